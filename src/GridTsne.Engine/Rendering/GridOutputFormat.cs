namespace GridTsne.Engine.Rendering;

/// <summary>What Export-PhotoGrid writes, chosen by the output file's extension.</summary>
public enum GridOutputFormat
{
    Jpeg,
    Png,
    Webp,
    Bmp,
    Tiff,

    /// <summary>The interactive viewer (an index page and its assets), not a single image.</summary>
    Html,
}

/// <summary>Extensions, limits and capabilities of each <see cref="GridOutputFormat"/>.</summary>
public static class GridOutputFormats
{
    /// <summary>
    /// ImageSharp 2.1's JPEG encoder refuses 65,535 px (the format's own 16-bit limit) and accepts 65,534.
    /// </summary>
    public const int JpegMaxSide = 65_534;

    /// <summary>WebP stores each side in 14 bits.</summary>
    public const int WebpMaxSide = 16_383;

    /// <summary>BMP allows more, but most readers (ImageSharp's among them) refuse a side beyond 65,535 px.</summary>
    public const int BmpMaxSide = 65_535;

    /// <summary>The BMP header stores the file size in 32 bits and ImageSharp computes it as a signed int.</summary>
    public const long BmpMaxPixelBytes = int.MaxValue - 1024;

    /// <summary>Classic TIFF addresses its data with 32-bit offsets; leave room for the directory and compression overhead.</summary>
    public const long TiffMaxPixelBytes = uint.MaxValue - (64L << 20);

    private static readonly Dictionary<string, GridOutputFormat> ByExtension = new(StringComparer.OrdinalIgnoreCase)
    {
        [".jpg"] = GridOutputFormat.Jpeg,
        [".jpeg"] = GridOutputFormat.Jpeg,
        [".png"] = GridOutputFormat.Png,
        [".webp"] = GridOutputFormat.Webp,
        [".bmp"] = GridOutputFormat.Bmp,
        [".tif"] = GridOutputFormat.Tiff,
        [".tiff"] = GridOutputFormat.Tiff,
        [".html"] = GridOutputFormat.Html,
        [".htm"] = GridOutputFormat.Html,
    };

    /// <summary>The extensions of the image formats, for messages.</summary>
    public static string ImageExtensionList => ".jpg, .jpeg, .png, .webp, .bmp, .tif, .tiff";

    /// <summary>The format an output path asks for, or null when its extension is none GridTsne writes.</summary>
    public static GridOutputFormat? FromPath(string path)
    {
        string extension = Path.GetExtension(path);
        return ByExtension.TryGetValue(extension, out GridOutputFormat format) ? format : null;
    }

    /// <summary>True for the single-image formats, false for the viewer.</summary>
    public static bool IsImage(this GridOutputFormat format) => format != GridOutputFormat.Html;

    /// <summary>True when -Quality means something for the format (the viewer's tiles are JPEG).</summary>
    public static bool UsesQuality(this GridOutputFormat format) => format is GridOutputFormat.Jpeg or GridOutputFormat.Webp or GridOutputFormat.Html;

    /// <summary>The longest side, in pixels, the format (as written here) can hold.</summary>
    public static long MaxSide(this GridOutputFormat format) => format switch
    {
        GridOutputFormat.Jpeg => JpegMaxSide,
        GridOutputFormat.Webp => WebpMaxSide,
        GridOutputFormat.Bmp => BmpMaxSide,
        _ => int.MaxValue,
    };

    /// <summary>The most bytes of 24-bit pixel data the format can hold.</summary>
    public static long MaxPixelBytes(this GridOutputFormat format) => format switch
    {
        GridOutputFormat.Bmp => BmpMaxPixelBytes,
        GridOutputFormat.Tiff => TiffMaxPixelBytes,
        _ => long.MaxValue,
    };

    /// <summary>The name used in messages.</summary>
    public static string DisplayName(this GridOutputFormat format) => format switch
    {
        GridOutputFormat.Jpeg => "JPEG",
        GridOutputFormat.Png => "PNG",
        GridOutputFormat.Webp => "WebP",
        GridOutputFormat.Bmp => "BMP",
        GridOutputFormat.Tiff => "TIFF",
        _ => "HTML",
    };
}
