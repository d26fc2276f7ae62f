using System.Globalization;
using System.Reflection;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace GridTsne.Engine.Rendering;

/// <summary>An opaque colour, parsed from a CSS colour name (black, cornflowerblue...) or #RRGGBB / #RGB.</summary>
public readonly record struct RgbColor(byte R, byte G, byte B)
{
    // The named colours ImageSharp defines (the CSS / X11 set), opaque ones only: grids have no alpha channel.
    private static readonly Lazy<SortedDictionary<string, RgbColor>> NamedColors = new(LoadNamedColors);

    public static RgbColor Black { get; } = new(0, 0, 0);

    /// <summary>The colour names <see cref="Parse"/> accepts, in alphabetical order.</summary>
    public static IEnumerable<string> KnownNames => NamedColors.Value.Keys;

    /// <summary>Parses a colour name (case-insensitive) or #RRGGBB / #RGB.</summary>
    /// <exception cref="FormatException">The text is neither; the message says what is accepted.</exception>
    public static RgbColor Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (TryParse(text, out RgbColor color))
        {
            return color;
        }

        string hint = text.Trim().Equals("transparent", StringComparison.OrdinalIgnoreCase)
            ? " The grid formats are written without transparency; choose an opaque colour."
            : string.Empty;
        throw new FormatException(
            $"'{text}' is not a colour. Use a colour name such as black, white or cornflowerblue, or #RRGGBB such as #1E1E1E.{hint}");
    }

    public static bool TryParse(string? text, out RgbColor color)
    {
        color = default;
        string trimmed = text?.Trim() ?? string.Empty;
        if (trimmed.StartsWith('#'))
        {
            return TryParseHex(trimmed.AsSpan(1), out color);
        }

        return trimmed.Length > 0 && NamedColors.Value.TryGetValue(trimmed, out color);
    }

    /// <summary>#RRGGBB, upper case.</summary>
    public override string ToString() => $"#{R:X2}{G:X2}{B:X2}";

    internal Rgb24 ToRgb24() => new(R, G, B);

    private static bool TryParseHex(ReadOnlySpan<char> digits, out RgbColor color)
    {
        color = default;
        if (digits.Length == 3)
        {
            // #RGB stands for #RRGGBB.
            Span<char> doubled = [digits[0], digits[0], digits[1], digits[1], digits[2], digits[2]];
            return TryParseHex(doubled, out color);
        }

        if (digits.Length != 6 || !int.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int value))
        {
            return false;
        }

        color = new RgbColor((byte)(value >> 16), (byte)(value >> 8), (byte)value);
        return true;
    }

    private static SortedDictionary<string, RgbColor> LoadNamedColors()
    {
        var colors = new SortedDictionary<string, RgbColor>(StringComparer.OrdinalIgnoreCase);
        foreach (FieldInfo field in typeof(Color).GetFields(BindingFlags.Public | BindingFlags.Static))
        {
            if (field.FieldType != typeof(Color) || field.GetValue(null) is not Color named)
            {
                continue;
            }

            Rgba32 pixel = named.ToPixel<Rgba32>();
            if (pixel.A == byte.MaxValue)
            {
                colors[field.Name.ToLowerInvariant()] = new RgbColor(pixel.R, pixel.G, pixel.B);
            }
        }

        return colors;
    }
}
