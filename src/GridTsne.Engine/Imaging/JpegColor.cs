using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace GridTsne.Engine.Imaging;

/// <summary>
/// Brings a subsampled component plane (the DC samples of 4:2:2, 4:4:0 or 4:1:1 chroma, at half or a quarter
/// of the luma resolution one way) to the output grid by linear interpolation between sample centres, as
/// libjpeg's "fancy" upsampling does for 2:1. 4:2:0 chroma needs none at 1/8: its 2 x 2 inverse DCT puts it on
/// the luma grid.
/// </summary>
internal static class PlaneUpsampler
{
    private const int WeightBits = 8;
    private const int WeightOne = 1 << WeightBits;

    /// <param name="plane">The samples, <paramref name="stride"/> per row; the first <paramref name="usedWidth"/> x <paramref name="usedHeight"/> hold the picture.</param>
    /// <param name="horizontalFactor">Output pixels per sample across (1 to 4; not 1 both ways, which needs no upsampling).</param>
    /// <param name="verticalFactor">Output pixels per sample down (1 to 4).</param>
    /// <param name="output">size.Width x size.Height samples, row by row.</param>
    public static void Upsample(byte[] plane, int stride, int usedWidth, int usedHeight, int horizontalFactor, int verticalFactor, byte[] output, Size size)
    {
        (int[] left, int[] right, int[] rightWeight) = Taps(size.Width, horizontalFactor, usedWidth);
        (int[] top, int[] bottom, int[] bottomWeight) = Taps(size.Height, verticalFactor, usedHeight);
        for (int y = 0; y < size.Height; y++)
        {
            ReadOnlySpan<byte> upper = plane.AsSpan(top[y] * stride, usedWidth);
            ReadOnlySpan<byte> lower = plane.AsSpan(bottom[y] * stride, usedWidth);
            int lowerWeight = bottomWeight[y];
            int upperWeight = WeightOne - lowerWeight;
            Span<byte> row = output.AsSpan(y * size.Width, size.Width);
            for (int x = 0; x < row.Length; x++)
            {
                int a = left[x], b = right[x], wb = rightWeight[x], wa = WeightOne - wb;
                int value = ((((upper[a] * wa) + (upper[b] * wb)) * upperWeight) + (((lower[a] * wa) + (lower[b] * wb)) * lowerWeight)
                    + (1 << ((2 * WeightBits) - 1))) >> (2 * WeightBits);
                row[x] = (byte)value;
            }
        }
    }

    /// <summary>For each output position: the two samples around its centre and the second one's weight.</summary>
    private static (int[] First, int[] Second, int[] SecondWeight) Taps(int count, int factor, int used)
    {
        var first = new int[count];
        var second = new int[count];
        var weight = new int[count];
        for (int index = 0; index < count; index++)
        {
            // The sample coordinate of this pixel's centre: (index + 1/2) / factor - 1/2, in 1/(2 factor) units.
            int numerator = (2 * index) + 1 - factor;
            int denominator = 2 * factor;
            int lower = numerator < 0 ? -1 : numerator / denominator;
            int fraction = numerator - (lower * denominator);
            first[index] = Math.Clamp(lower, 0, used - 1);
            second[index] = Math.Clamp(lower + 1, 0, used - 1);
            weight[index] = fraction * WeightOne / denominator;
        }

        return (first, second, weight);
    }
}

/// <summary>JFIF YCbCr to RGB (ITU-R BT.601, full range), in libjpeg's fixed point.</summary>
internal static class YCbCrConverter
{
    private const int ScaleBits = 16;
    private const int Half = 1 << (ScaleBits - 1);
    private static readonly int[] RedFromCr = new int[256];
    private static readonly int[] BlueFromCb = new int[256];
    private static readonly int[] GreenFromCr = new int[256];
    private static readonly int[] GreenFromCb = new int[256];

    static YCbCrConverter()
    {
        for (int value = 0; value < 256; value++)
        {
            int centered = value - 128;
            RedFromCr[value] = ((Fixed(1.40200) * centered) + Half) >> ScaleBits;
            BlueFromCb[value] = ((Fixed(1.77200) * centered) + Half) >> ScaleBits;
            GreenFromCr[value] = -Fixed(0.71414) * centered;
            GreenFromCb[value] = (-Fixed(0.34414) * centered) + Half;
        }
    }

    public static void ToRgb(ReadOnlySpan<byte> luma, ReadOnlySpan<byte> blue, ReadOnlySpan<byte> red, Span<Rgb24> output)
    {
        for (int x = 0; x < output.Length; x++)
        {
            int y = luma[x], cb = blue[x], cr = red[x];
            output[x] = new Rgb24(
                EighthScaleJpegDecoder.ClampToByte(y + RedFromCr[cr]),
                EighthScaleJpegDecoder.ClampToByte(y + ((GreenFromCb[cb] + GreenFromCr[cr]) >> ScaleBits)),
                EighthScaleJpegDecoder.ClampToByte(y + BlueFromCb[cb]));
        }
    }

    private static int Fixed(double value) => (int)((value * (1 << ScaleBits)) + 0.5);
}
