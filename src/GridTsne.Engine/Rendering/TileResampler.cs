using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.PixelFormats;

namespace GridTsne.Engine.Rendering;

/// <summary>
/// Resamples a photo straight into its tile of the canvas, with no intermediate image. Downscaling averages
/// the exact area each output pixel covers (a box filter with fractional edges, the right filter for the
/// strong reductions of a photo grid: every source pixel counts once, nothing aliases); upscaling is
/// bilinear. Separable: each output row first sums its source rows (vectorised), then the columns.
/// One instance per worker thread: it keeps its weight tables and row buffer between tiles.
/// </summary>
/// <remarks>
/// Embedding and thumbnails use another resampler, <see cref="Imaging.TriangleResampler"/>. There are two
/// because they serve different consumers: that one feeds the model, so it matches the triangle filter the
/// model was trained with (PIL/torchvision) and yields float rows; this one draws what people look at, where
/// an exact area average suits the strong reductions of a grid, straight into the canvas's bytes.
/// </remarks>
internal sealed class TileResampler
{
    private const int Channels = 3;

    private readonly AxisWeights _columns = new();
    private readonly AxisWeights _rows = new();
    private float[] _rowSums = [];

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Resample(Image<Rgb24> source, in TilePlacement placement, Image<Rgb24> canvas, int tileX, int tileY)
    {
        int width = placement.DestinationWidth;
        int height = placement.DestinationHeight;
        _columns.Compute(placement.SourceX, placement.SourceWidth, source.Width, width);
        _rows.Compute(placement.SourceY, placement.SourceHeight, source.Height, height);

        int firstColumn = _columns.First[0];
        int spanValues = (_columns.End - firstColumn) * Channels;
        if (_rowSums.Length < spanValues)
        {
            _rowSums = new float[spanValues];
        }

        Span<float> rowSum = _rowSums.AsSpan(0, spanValues);
        for (int y = 0; y < height; y++)
        {
            rowSum.Clear();
            int taps = _rows.Count[y];
            int sourceRow = _rows.First[y];
            ReadOnlySpan<float> rowWeights = _rows.WeightsOf(y);
            for (int tap = 0; tap < taps; tap++)
            {
                ReadOnlySpan<byte> pixels = MemoryMarshal.AsBytes(source.DangerousGetPixelRowMemory(sourceRow + tap).Span)
                    .Slice(firstColumn * Channels, spanValues);
                AddScaled(rowSum, pixels, rowWeights[tap]);
            }

            Span<Rgb24> destination = canvas.DangerousGetPixelRowMemory(tileY + placement.DestinationY + y).Span
                .Slice(tileX + placement.DestinationX, width);
            for (int x = 0; x < width; x++)
            {
                ReadOnlySpan<float> columnWeights = _columns.WeightsOf(x);
                int offset = (_columns.First[x] - firstColumn) * Channels;
                float r = 0, g = 0, b = 0;
                for (int tap = 0; tap < columnWeights.Length; tap++, offset += Channels)
                {
                    float weight = columnWeights[tap];
                    r += weight * rowSum[offset];
                    g += weight * rowSum[offset + 1];
                    b += weight * rowSum[offset + 2];
                }

                destination[x] = new Rgb24(ToByte(r), ToByte(g), ToByte(b));
            }
        }
    }

    /// <summary>sums[i] += weight * bytes[i], eight or more lanes at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddScaled(Span<float> sums, ReadOnlySpan<byte> bytes, float weight)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int lanes = Vector<float>.Count;
            var weights = new Vector<float>(weight);
            for (; i <= bytes.Length - Vector<byte>.Count; i += Vector<byte>.Count)
            {
                Vector.Widen(new Vector<byte>(bytes.Slice(i)), out Vector<ushort> low, out Vector<ushort> high);
                Vector.Widen(low, out Vector<uint> a, out Vector<uint> b);
                Vector.Widen(high, out Vector<uint> c, out Vector<uint> d);
                Span<float> target = sums.Slice(i);
                (new Vector<float>(target) + (Vector.ConvertToSingle(a) * weights)).CopyTo(target);
                (new Vector<float>(target.Slice(lanes)) + (Vector.ConvertToSingle(b) * weights)).CopyTo(target.Slice(lanes));
                (new Vector<float>(target.Slice(2 * lanes)) + (Vector.ConvertToSingle(c) * weights)).CopyTo(target.Slice(2 * lanes));
                (new Vector<float>(target.Slice(3 * lanes)) + (Vector.ConvertToSingle(d) * weights)).CopyTo(target.Slice(3 * lanes));
            }
        }

        for (; i < bytes.Length; i++)
        {
            sums[i] += weight * bytes[i];
        }
    }

    private static byte ToByte(float value) => (byte)Math.Clamp((int)(value + 0.5f), 0, byte.MaxValue);

    /// <summary>For each output pixel along one axis: the first source pixel, how many follow, and their weights.</summary>
    internal sealed class AxisWeights
    {
        private int _stride;

        public int[] First { get; private set; } = [];

        public int[] Count { get; private set; } = [];

        public float[] Weights { get; private set; } = [];

        /// <summary>One past the last source pixel any output pixel reads.</summary>
        public int End { get; private set; }

        public ReadOnlySpan<float> WeightsOf(int index) => Weights.AsSpan(index * _stride, Count[index]);

        /// <summary>
        /// Maps the source interval [start, start + length) onto <paramref name="outputs"/> pixels; source
        /// pixels outside [0, sourceSize) are never read.
        /// </summary>
        public void Compute(double start, double length, int sourceSize, int outputs)
        {
            double scale = length / outputs;
            _stride = scale >= 1 ? (int)Math.Ceiling(scale) + 1 : 2;
            if (First.Length < outputs)
            {
                First = new int[outputs];
                Count = new int[outputs];
            }

            if (Weights.Length < outputs * _stride)
            {
                Weights = new float[outputs * _stride];
            }

            int last = sourceSize - 1;
            End = 0;
            for (int i = 0; i < outputs; i++)
            {
                Span<float> weights = Weights.AsSpan(i * _stride, _stride);
                int first, count;
                if (scale >= 1)
                {
                    // Box: each source pixel weighs by how much of it the output pixel's footprint covers.
                    double from = start + i * scale, to = from + scale;
                    first = Math.Clamp((int)Math.Floor(from), 0, last);
                    int end = Math.Clamp((int)Math.Ceiling(to), first + 1, sourceSize);
                    count = end - first;
                    double total = 0;
                    for (int tap = 0; tap < count; tap++)
                    {
                        double overlap = Math.Min(to, first + tap + 1) - Math.Max(from, first + tap);
                        weights[tap] = (float)Math.Max(0, overlap);
                        total += weights[tap];
                    }

                    Normalize(weights[..count], total);
                }
                else
                {
                    // Bilinear between the two source pixels whose centres enclose the output pixel's centre.
                    double centre = start + (i + 0.5) * scale - 0.5;
                    int left = (int)Math.Floor(centre);
                    float fraction = (float)(centre - left);
                    first = Math.Clamp(left, 0, last);
                    int second = Math.Clamp(left + 1, 0, last);
                    if (second == first)
                    {
                        count = 1;
                        weights[0] = 1;
                    }
                    else
                    {
                        count = 2;
                        weights[0] = 1 - fraction;
                        weights[1] = fraction;
                    }
                }

                First[i] = first;
                Count[i] = count;
                End = Math.Max(End, first + count);
            }
        }

        private static void Normalize(Span<float> weights, double total)
        {
            // Exact in theory; clamping at the image edge can lose a sliver, so the weights always sum to 1.
            if (total <= 0)
            {
                weights.Clear();
                weights[0] = 1;
                return;
            }

            float factor = (float)(1 / total);
            for (int i = 0; i < weights.Length; i++)
            {
                weights[i] *= factor;
            }
        }
    }
}
