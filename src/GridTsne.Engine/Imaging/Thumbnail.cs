using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;

namespace GridTsne.Engine.Imaging;

/// <summary>
/// A small, JPEG-encoded copy of an upright photo that the embedding step keeps so that rendering need not
/// decode the original again. Encoded, it costs a few kilobytes, so 10,000 of them stay well under 100 MB.
/// </summary>
public sealed class Thumbnail
{
    /// <summary>Default length of the shorter side: enough for tiles up to 128 px.</summary>
    public const int DefaultShortSide = 128;

    private const int JpegQuality = 90;

    private Thumbnail(byte[] encodedJpeg, int width, int height, int sourceWidth, int sourceHeight)
    {
        EncodedJpeg = encodedJpeg;
        Width = width;
        Height = height;
        SourceWidth = sourceWidth;
        SourceHeight = sourceHeight;
    }

    /// <summary>The thumbnail, encoded as JPEG.</summary>
    public byte[] EncodedJpeg { get; }

    public int Width { get; }

    public int Height { get; }

    /// <summary>Size of the upright original the thumbnail was made from.</summary>
    public int SourceWidth { get; }

    public int SourceHeight { get; }

    /// <summary>Length of the shorter side, which bounds the tile size this thumbnail can serve.</summary>
    public int ShortSide => Math.Min(Width, Height);

    /// <summary>Makes a thumbnail whose shorter side is <paramref name="shortSide"/> (never upscaled).</summary>
    public static Thumbnail Create(Image<Rgb24> upright, int shortSide = DefaultShortSide) =>
        Create(upright, shortSide, new Size(upright.Width, upright.Height));

    /// <summary>
    /// Makes a thumbnail from a photo decoded at reduced size; <paramref name="sourceSize"/> is the size of
    /// the upright original, which the thumbnail reports.
    /// </summary>
    public static Thumbnail Create(Image<Rgb24> upright, int shortSide, Size sourceSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shortSide, 1);
        double scale = Math.Min(1.0, (double)shortSide / Math.Min(upright.Width, upright.Height));
        int width = Math.Max(1, (int)Math.Round(upright.Width * scale));
        int height = Math.Max(1, (int)Math.Round(upright.Height * scale));
        using Image<Rgb24> small = TriangleResampler.Resize(upright, width, height);
        using var buffer = new MemoryStream();
        small.SaveAsJpeg(buffer, new JpegEncoder { Quality = JpegQuality });
        return new Thumbnail(buffer.ToArray(), width, height, Math.Max(sourceSize.Width, width), Math.Max(sourceSize.Height, height));
    }

    /// <summary>
    /// Rebuilds a thumbnail from its JPEG bytes, e.g. from an Export-Clixml cache, reading its size from the
    /// JPEG header. Null when the bytes are not a JPEG; the pixels are decoded (safely) only when used.
    /// </summary>
    public static Thumbnail? FromEncodedJpeg(byte[] encodedJpeg, int sourceWidth, int sourceHeight)
    {
        ArgumentNullException.ThrowIfNull(encodedJpeg);
        try
        {
            IImageInfo? info = Image.Identify(encodedJpeg, out IImageFormat? format);
            if (info is null || format is not JpegFormat || info.Width < 1 || info.Height < 1)
            {
                return null;
            }

            return new Thumbnail(encodedJpeg, info.Width, info.Height, Math.Max(sourceWidth, info.Width), Math.Max(sourceHeight, info.Height));
        }
        catch (ImageFormatException)
        {
            return null;
        }
    }

    /// <summary>Rebuilds a thumbnail from its stored parts, as the embedding cache keeps them.</summary>
    internal static Thumbnail FromEncoded(byte[] encodedJpeg, int width, int height, int sourceWidth, int sourceHeight) =>
        new(encodedJpeg, width, height, sourceWidth, sourceHeight);

    /// <summary>Decodes the thumbnail.</summary>
    public Image<Rgb24> Decode() => Image.Load<Rgb24>(EncodedJpeg);
}
