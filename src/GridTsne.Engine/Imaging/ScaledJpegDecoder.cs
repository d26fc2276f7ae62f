using System.Buffers;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.PixelFormats;
using SkiaSharp;

namespace GridTsne.Engine.Imaging;

/// <summary>
/// Decodes a JPEG at a reduced size: the inverse DCT then produces 1/2, 1/4 or 1/8 of the pixels directly, so
/// a 12-megapixel photo wanted at 224 x 224 costs a fraction of a full decode and a hundredth of its memory.
/// At 1/8 a baseline JPEG goes to <see cref="EighthScaleJpegDecoder"/>, which decodes only the DC coefficients
/// (and the AC ones of 4:2:0 chroma's 2 x 2 inverse DCT) and skips the other AC coefficients;
/// other scales and encodings to libjpeg-turbo (through SkiaSharp's SKCodec). ImageSharp 2.1 has no such
/// scaling. The caller has checked the header's size and the marker structure (<see cref="JpegStructure"/>) already.
/// </summary>
internal static class ScaledJpegDecoder
{
    private const int BytesPerSkiaPixel = 4; // Rgba8888: SKCodec refuses Rgb888x for JPEG.

    /// <summary>DCT-domain scales, smallest first: libjpeg-turbo has fast reduced inverse DCTs for these.</summary>
    private static readonly float[] Scales = [1f / 8, 1f / 4, 1f / 2];

    /// <summary>
    /// The size the photo decodes at: the smallest scale whose width and height still reach
    /// <paramref name="minimum"/> (in the JPEG's stored orientation), else the full size.
    /// An empty <paramref name="minimum"/> asks for the full size.
    /// </summary>
    internal static SKSizeI ChooseSize(SKCodec codec, Size minimum)
    {
        if (minimum.Width > 0 && minimum.Height > 0)
        {
            foreach (float scale in Scales)
            {
                SKSizeI scaled = codec.GetScaledDimensions(scale);
                if (scaled.Width >= minimum.Width && scaled.Height >= minimum.Height)
                {
                    return scaled;
                }
            }
        }

        return new SKSizeI(codec.Info.Width, codec.Info.Height);
    }

    /// <summary>
    /// Decodes <paramref name="content"/> (in stored orientation, not yet rotated, <paramref name="storedSize"/>
    /// as its header says) at least as large as <paramref name="minimum"/>. Null when no DCT scale is small enough to help (ImageSharp then decodes at
    /// full size, as before) or libjpeg-turbo does not support the encoding, so that the caller can try
    /// ImageSharp; data that fails part-way is damaged and is refused. The decode is not interruptible, but
    /// it is bounded: the caller checked the pixel count and the number of scans.
    /// </summary>
    public static Image<Rgb24>? TryDecode(string path, ReadOnlySpan<byte> content, Size storedSize, Size minimum, Configuration configuration,
        CancellationToken cancellationToken)
    {
        // Half the size (rounded up, as libjpeg-turbo does) must still cover the request; if not, no codec is made.
        if (minimum.Width <= 0 || minimum.Height <= 0 || (storedSize.Width + 1) / 2 < minimum.Width || (storedSize.Height + 1) / 2 < minimum.Height)
        {
            return null;
        }

        // At 1/8 luma needs only its DC coefficients: the managed decoder skips the rest, faster than libjpeg-turbo decodes them.
        Size eighth = EighthScaleJpegDecoder.ScaledSize(storedSize.Width, storedSize.Height);
        if (eighth.Width >= minimum.Width && eighth.Height >= minimum.Height
            && EighthScaleJpegDecoder.TryDecode(path, content, configuration, cancellationToken) is { } managed)
        {
            return managed;
        }

        return TryDecodeWithLibjpegTurbo(path, content, minimum, configuration, cancellationToken);
    }

    /// <summary>
    /// Decodes with libjpeg-turbo at the smallest of its DCT scales that covers <paramref name="minimum"/>;
    /// null when that is the full size or libjpeg-turbo does not support the encoding.
    /// </summary>
    internal static Image<Rgb24>? TryDecodeWithLibjpegTurbo(string path, ReadOnlySpan<byte> content, Size minimum, Configuration configuration,
        CancellationToken cancellationToken)
    {
        using SKData data = SKData.CreateCopy(content);
        using SKCodec? codec = SKCodec.Create(data);
        if (codec is null || codec.EncodedFormat != SKEncodedImageFormat.Jpeg)
        {
            return null;
        }

        SKSizeI size = ChooseSize(codec, minimum);
        if (size.Width == codec.Info.Width && size.Height == codec.Info.Height)
        {
            return null; // No reduction possible: ImageSharp decodes at full size as it always did.
        }

        // No colour space: pixel values are taken as stored, with no colour management, as ImageSharp does.
        var target = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        int rowBytes = size.Width * BytesPerSkiaPixel;
        byte[] pixels = ArrayPool<byte>.Shared.Rent(rowBytes * size.Height);
        try
        {
            SKCodecResult result;
            unsafe
            {
                fixed (byte* start = pixels)
                {
                    result = codec.GetPixels(target, (IntPtr)start);
                }
            }

            switch (result)
            {
                case SKCodecResult.Success:
                    break;
                case SKCodecResult.IncompleteInput or SKCodecResult.ErrorInInput or SKCodecResult.InvalidInput:
                    throw new ImageLoadException(path, ImageLoadFailure.Corrupt, $"the JPEG data is truncated or damaged (libjpeg-turbo: {result}).");
                default:
                    return null; // InvalidConversion, Unimplemented and the like: an encoding for ImageSharp to try.
            }

            cancellationToken.ThrowIfCancellationRequested();
            var image = new Image<Rgb24>(configuration, size.Width, size.Height);
            for (int y = 0; y < size.Height; y++)
            {
                CopyRgb(pixels.AsSpan(y * rowBytes, rowBytes), image.DangerousGetPixelRowMemory(y).Span);
            }

            return image;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(pixels);
        }
    }

    private static void CopyRgb(ReadOnlySpan<byte> rgba, Span<Rgb24> rgb)
    {
        for (int x = 0; x < rgb.Length; x++)
        {
            int offset = x * BytesPerSkiaPixel;
            rgb[x] = new Rgb24(rgba[offset], rgba[offset + 1], rgba[offset + 2]);
        }
    }
}
