using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.PixelFormats;

namespace GridTsne.Engine.Imaging;

/// <summary>Receives one resampled row: <c>width</c> pixels as interleaved R, G, B floats on the 0-255 scale.</summary>
internal delegate void ResampledRowHandler(int y, ReadOnlySpan<float> rgb);

/// <summary>
/// Resamples a region of an RGB photo with a triangle (bilinear) filter, widened when shrinking so that it
/// averages every source pixel (antialiased, as PIL and torchvision do). It does the work of ImageSharp's
/// Resize(Triangle) in about half the time for the shrinking that embedding and thumbnails need: only the
/// region's rows and columns are read, the vertical pass runs first on SIMD spans so that the scalar
/// horizontal pass sees only output rows, and results stay float until the caller stores them.
/// </summary>
/// <remarks>
/// The grid renderer has its own resampler, <see cref="Rendering.TileResampler"/>. There are two because they
/// serve different consumers: this one feeds the model, so it must match the triangle filter the model was
/// trained with (PIL/torchvision) and hands out float rows; that one draws tiles into the canvas, where an
/// exact area average (box filter) is the right filter for strong reductions and writes bytes in place.
/// </remarks>
internal static class TriangleResampler
{
    /// <summary>
    /// Resamples the source region (<paramref name="left"/>, <paramref name="top"/>, <paramref name="width"/> x
    /// <paramref name="height"/>, in source pixels) to <paramref name="targetWidth"/> x <paramref name="targetHeight"/>
    /// and hands each output row to <paramref name="onRow"/>, top to bottom.
    /// </summary>
    public static void Resample(Image<Rgb24> source, double left, double top, double width, double height,
        int targetWidth, int targetHeight, ResampledRowHandler onRow)
    {
        Kernel horizontal = Kernel.Create(source.Width, left, width, targetWidth);
        Kernel vertical = Kernel.Create(source.Height, top, height, targetHeight);
        int firstColumn = horizontal.MinIndex;
        int columns = horizontal.MaxIndex - firstColumn + 1;
        int rowLength = columns * 3;
        // Source rows converted to float, kept in a ring: each is used by several neighbouring output rows.
        int ringSize = vertical.RowWindow;
        float[] ring = ArrayPool<float>.Shared.Rent(ringSize * rowLength);
        int[] ringRow = ArrayPool<int>.Shared.Rent(ringSize);
        float[] column = ArrayPool<float>.Shared.Rent(rowLength);
        float[] output = ArrayPool<float>.Shared.Rent(targetWidth * 3);
        try
        {
            ringRow.AsSpan(0, ringSize).Fill(-1);
            ImageFrame<Rgb24> frame = source.Frames.RootFrame;
            for (int y = 0; y < targetHeight; y++)
            {
                Span<float> accumulated = column.AsSpan(0, rowLength);
                ReadOnlySpan<int> rows = vertical.IndicesOf(y);
                ReadOnlySpan<float> rowWeights = vertical.WeightsOf(y);
                for (int tap = 0; tap < rows.Length; tap++)
                {
                    ReadOnlySpan<float> sourceRow = ConvertedRow(frame, rows[tap], firstColumn, rowLength, ring, ringRow, ringSize);
                    if (tap == 0)
                    {
                        TensorPrimitives.Multiply(sourceRow, rowWeights[0], accumulated);
                    }
                    else
                    {
                        TensorPrimitives.MultiplyAdd(sourceRow, rowWeights[tap], accumulated, accumulated);
                    }
                }

                Span<float> result = output.AsSpan(0, targetWidth * 3);
                for (int x = 0; x < targetWidth; x++)
                {
                    ReadOnlySpan<int> taps = horizontal.IndicesOf(x);
                    ReadOnlySpan<float> weights = horizontal.WeightsOf(x);
                    float red = 0f, green = 0f, blue = 0f;
                    for (int tap = 0; tap < taps.Length; tap++)
                    {
                        int offset = (taps[tap] - firstColumn) * 3;
                        float weight = weights[tap];
                        red += accumulated[offset] * weight;
                        green += accumulated[offset + 1] * weight;
                        blue += accumulated[offset + 2] * weight;
                    }

                    result[x * 3] = red;
                    result[(x * 3) + 1] = green;
                    result[(x * 3) + 2] = blue;
                }

                onRow(y, result);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(ring);
            ArrayPool<int>.Shared.Return(ringRow);
            ArrayPool<float>.Shared.Return(column);
            ArrayPool<float>.Shared.Return(output);
        }
    }

    /// <summary>Resamples the whole photo into a new image (a thumbnail).</summary>
    public static Image<Rgb24> Resize(Image<Rgb24> source, int targetWidth, int targetHeight)
    {
        var target = new Image<Rgb24>(source.GetConfiguration(), targetWidth, targetHeight);
        ImageFrame<Rgb24> frame = target.Frames.RootFrame;
        Resample(source, 0, 0, source.Width, source.Height, targetWidth, targetHeight, (y, rgb) =>
        {
            Span<byte> row = MemoryMarshal.AsBytes(frame.DangerousGetPixelRowMemory(y).Span);
            for (int index = 0; index < row.Length; index++)
            {
                row[index] = (byte)Math.Clamp(MathF.Round(rgb[index]), 0f, 255f);
            }
        });
        return target;
    }

    /// <summary>
    /// One pass from a decoded photo more than twice the size a caller needs down to just cover
    /// <paramref name="needed"/>, disposing the original; smaller photos come back as they are. The embedding
    /// step then makes the tensor and the thumbnail from the small copy: a large PNG, TIFF or WebP has no DCT
    /// shortcut, and a 50-megapixel JPEG is still large at 1/8.
    /// </summary>
    public static Image<Rgb24> ShrinkToCover(Image<Rgb24> photo, Size needed)
    {
        double scale = Math.Max((double)needed.Width / photo.Width, (double)needed.Height / photo.Height);
        if (needed.Width < 1 || needed.Height < 1 || scale >= 0.5)
        {
            return photo;
        }

        int width = Math.Max(needed.Width, (int)Math.Ceiling(photo.Width * scale));
        int height = Math.Max(needed.Height, (int)Math.Ceiling(photo.Height * scale));
        using (photo)
        {
            return Resize(photo, width, height);
        }
    }

    private static ReadOnlySpan<float> ConvertedRow(ImageFrame<Rgb24> frame, int row, int firstColumn, int rowLength,
        float[] ring, int[] ringRow, int ringSize)
    {
        int slot = row % ringSize;
        Span<float> converted = ring.AsSpan(slot * rowLength, rowLength);
        if (ringRow[slot] != row)
        {
            ReadOnlySpan<byte> bytes = MemoryMarshal.AsBytes(frame.DangerousGetPixelRowMemory(row).Span).Slice(firstColumn * 3, rowLength);
            TensorPrimitives.ConvertTruncating<byte, float>(bytes, converted);
            ringRow[slot] = row;
        }

        return converted;
    }

    /// <summary>For each output position, the source indices it reads and their weights (summing to 1).</summary>
    private sealed class Kernel
    {
        private readonly int[] _indices;
        private readonly float[] _weights;
        private readonly int[] _starts;

        private Kernel(int[] indices, float[] weights, int[] starts, int maxTaps)
        {
            _indices = indices;
            _weights = weights;
            _starts = starts;
            RowWindow = maxTaps + 1;
            MinIndex = indices.Min();
            MaxIndex = indices.Max();
        }

        /// <summary>
        /// Rows a ring must hold: one output row's taps (consecutive source indices) never collide in a ring
        /// this long, and every row it evicts is behind the current output row.
        /// </summary>
        public int RowWindow { get; }

        public int MinIndex { get; }

        public int MaxIndex { get; }

        public ReadOnlySpan<int> IndicesOf(int position) => _indices.AsSpan(_starts[position], _starts[position + 1] - _starts[position]);

        public ReadOnlySpan<float> WeightsOf(int position) => _weights.AsSpan(_starts[position], _starts[position + 1] - _starts[position]);

        /// <summary>
        /// Output pixel i covers source [start + i*step, start + (i+1)*step); its centre, in source index
        /// coordinates, is start + (i + 0.5)*step - 0.5. The triangle's half-width is one source pixel when
        /// enlarging and one output pixel (step source pixels) when shrinking. Indices past the edge repeat it.
        /// </summary>
        public static Kernel Create(int sourceSize, double start, double length, int targetSize)
        {
            double step = length / targetSize;
            double radius = Math.Max(1.0, step);
            var indices = new List<int>(targetSize * ((int)Math.Ceiling(radius) * 2 + 1));
            var weights = new List<float>(indices.Capacity);
            var starts = new int[targetSize + 1];
            int maxTaps = 1;
            for (int position = 0; position < targetSize; position++)
            {
                starts[position] = indices.Count;
                double centre = start + ((position + 0.5) * step) - 0.5;
                int first = (int)Math.Floor(centre - radius) + 1;
                int last = (int)Math.Ceiling(centre + radius) - 1;
                double total = 0;
                int begin = indices.Count;
                for (int index = first; index <= last; index++)
                {
                    double weight = 1.0 - (Math.Abs(index - centre) / radius);
                    if (weight <= 0)
                    {
                        continue;
                    }

                    int clamped = Math.Clamp(index, 0, sourceSize - 1);
                    if (indices.Count > begin && indices[^1] == clamped)
                    {
                        weights[^1] += (float)weight; // An edge pixel repeated: one tap with the summed weight.
                    }
                    else
                    {
                        indices.Add(clamped);
                        weights.Add((float)weight);
                    }

                    total += weight;
                }

                for (int tap = begin; tap < indices.Count; tap++)
                {
                    weights[tap] = (float)(weights[tap] / total);
                }

                maxTaps = Math.Max(maxTaps, indices.Count - begin);
            }

            starts[targetSize] = indices.Count;
            return new Kernel([.. indices], [.. weights], starts, maxTaps);
        }
    }
}
