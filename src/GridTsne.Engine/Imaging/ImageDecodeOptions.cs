namespace GridTsne.Engine.Imaging;

/// <summary>Limits and conversions applied to every decoded photo, for embedding and rendering alike.</summary>
public sealed record ImageDecodeOptions
{
    /// <summary>Default pixel limit: 100 megapixels, larger than any camera photo.</summary>
    public const long DefaultMaxPixels = 100_000_000;

    /// <summary>Images whose header claims more pixels than this are refused before any pixel is decoded.</summary>
    public long MaxPixels { get; init; } = DefaultMaxPixels;

    /// <summary>Colour that transparent pixels are composited over: white, as photo viewers show them.</summary>
    public (byte R, byte G, byte B) Background { get; init; } = (255, 255, 255);

    /// <summary>
    /// True (the default): JPEGs decode at the smallest DCT scale that covers the size the caller needs: at 1/8
    /// a baseline JPEG through GridTsne's own 1/8-scale decoder, otherwise through libjpeg-turbo (SkiaSharp),
    /// falling back to ImageSharp for what libjpeg-turbo cannot start on. False:
    /// every image decodes at full size with ImageSharp, as before shrink-on-load decoding; benchmarks and the tests that
    /// compare the two paths use it.
    /// </summary>
    public bool ScaledJpegDecoding { get; init; } = true;

    /// <summary>
    /// Names the decoding path for the embedding cache: vectors from another path differ slightly, so their
    /// cache entries must not be taken for this one's.
    /// </summary>
    public string IdentityText => ScaledJpegDecoding ? "decode=managed-eighth+libjpeg-turbo-dct-scaled" : "decode=imagesharp";

    /// <summary>
    /// Largest file worth reading: an uncompressed image of <see cref="MaxPixels"/> at 8 bytes per pixel plus
    /// 16 MB of metadata. A bigger file cannot hold an image within the limit, so it is refused unread.
    /// </summary>
    public long MaxFileBytes => MaxPixels > (long.MaxValue - MetadataAllowance) / 8 ? long.MaxValue : (MaxPixels * 8) + MetadataAllowance;

    public static ImageDecodeOptions Default { get; } = new();

    private const long MetadataAllowance = 16L * 1024 * 1024;
}
