using System.Runtime.CompilerServices;

namespace GridTsne.Engine.Imaging;

/// <summary>
/// libjpeg's 2 x 2 reduced inverse DCT (jpeg_idct_2x2 in jidctred.c, the "islow" integer arithmetic), which
/// libjpeg-turbo runs on 4:2:0 chroma blocks at 1/8 scale: each output sample is the mean of one 4 x 4
/// quadrant of the block, computed from the coefficients whose row and column are 0, 1, 3, 5 or 7 (the
/// even ones above 0 cancel out over a quadrant). Those 25 coefficients are kept in a compact 5 x 5 layout.
/// </summary>
internal static class ReducedIdct
{
    /// <summary>Coefficients the transform reads: rows {0, 1, 3, 5, 7} x columns {0, 1, 3, 5, 7}.</summary>
    public const int CompactCount = 25;
    private const int CompactSide = 5;
    private const int ConstBits = 13;
    private const int Pass1Bits = 2;
    private const int Fix0720959822 = 5906; // FIX(0.720959822) at 13 bits, as jidctred.c.
    private const int Fix0850430095 = 6967;
    private const int Fix1272758580 = 10426;
    private const int Fix3624509785 = 29692;

    /// <summary>Zigzag position to natural (row * 8 + column) position, ITU T.81 figure A.6.</summary>
    public static ReadOnlySpan<byte> NaturalOrder =>
    [
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
        12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
        35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
        58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
    ];

    /// <summary>Zigzag position to compact index (row slot * 5 + column slot), or -1 for a coefficient the transform ignores.</summary>
    public static readonly sbyte[] CompactFromZigzag = BuildCompactFromZigzag();

    /// <summary>A quantization table (natural order) reduced to the 25 multipliers the transform needs, in compact order.</summary>
    public static int[] CompactQuantization(int[] natural)
    {
        var compact = new int[CompactCount];
        for (int zigzag = 0; zigzag < 64; zigzag++)
        {
            if (CompactFromZigzag[zigzag] >= 0)
            {
                compact[CompactFromZigzag[zigzag]] = natural[NaturalOrder[zigzag]];
            }
        }

        return compact;
    }

    /// <summary>
    /// The 2 x 2 samples (level-shifted, clamped) of a block whose dequantized coefficients are
    /// <paramref name="coefficients"/> in compact order, written at <paramref name="offset"/> and the next row
    /// (<paramref name="stride"/> on). The first pass keeps its results in the coefficients' first two rows.
    /// </summary>
    public static void Transform(Span<int> coefficients, byte[] output, int offset, int stride)
    {
        // Pass 1: each kept column to two rows, scaled up by Pass1Bits.
        for (int column = 0; column < CompactSide; column++)
        {
            long even = (long)coefficients[column] << (ConstBits + 2);
            long odd = Odd(coefficients[CompactSide + column], coefficients[(2 * CompactSide) + column],
                coefficients[(3 * CompactSide) + column], coefficients[(4 * CompactSide) + column]);
            coefficients[column] = (int)Descale(even + odd, ConstBits - Pass1Bits + 2);
            coefficients[CompactSide + column] = (int)Descale(even - odd, ConstBits - Pass1Bits + 2);
        }

        // Pass 2: each of the two rows to two samples.
        for (int row = 0; row < 2; row++)
        {
            ReadOnlySpan<int> w = coefficients.Slice(row * CompactSide, CompactSide);
            long even = (long)w[0] << (ConstBits + 2);
            long odd = Odd(w[1], w[2], w[3], w[4]);
            int position = offset + (row * stride);
            output[position] = Sample(Descale(even + odd, ConstBits + Pass1Bits + 3 + 2));
            output[position + 1] = Sample(Descale(even - odd, ConstBits + Pass1Bits + 3 + 2));
        }
    }

    /// <summary>The odd part from frequencies 1, 3, 5 and 7: sqrt(2) times sums of their cosines at the quadrant.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long Odd(int one, int three, int five, int seven) =>
        ((long)seven * -Fix0720959822) + ((long)five * Fix0850430095) + ((long)three * -Fix1272758580) + ((long)one * Fix3624509785);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long Descale(long value, int bits) => (value + (1L << (bits - 1))) >> bits;

    /// <summary>
    /// The level-shifted, clamped sample. The descaled value fits an int: the int inputs times the 15-bit
    /// constants stay below 2^50 before the final 20-bit shift.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte Sample(long value) => EighthScaleJpegDecoder.ClampToByte((int)value + 128);

    private static sbyte[] BuildCompactFromZigzag()
    {
        ReadOnlySpan<sbyte> slot = [0, 1, -1, 2, -1, 3, -1, 4]; // Row or column 0..7 to its compact slot.
        var compact = new sbyte[64];
        for (int zigzag = 0; zigzag < 64; zigzag++)
        {
            int natural = NaturalOrder[zigzag];
            int row = slot[natural >> 3], column = slot[natural & 7];
            compact[zigzag] = (sbyte)(row < 0 || column < 0 ? -1 : (row * CompactSide) + column);
        }

        return compact;
    }
}
