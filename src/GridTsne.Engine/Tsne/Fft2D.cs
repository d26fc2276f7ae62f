using System.Numerics;
using System.Runtime.InteropServices;
using GridTsne.Engine.Parallelism;

namespace GridTsne.Engine.Tsne;

/// <summary>
/// Square 2-D complex double-precision FFT of a size whose prime factors are 2 and 3, for the FFT-interpolation gradient.
/// Columns are transformed a strip of <see cref="StripWidth"/> columns at a time by a Stockham mixed-radix
/// (4, 2, 3) FFT whose "elements" are row segments of the strip, so every butterfly is full-width SIMD and
/// the strip stays in cache; rows are done the same way after a transpose. The forward transform leaves
/// the spectrum transposed and the inverse expects it so, which a convolution does not mind, and saves two
/// transposes. Strips are independent, so the result does not depend on the thread count. Unnormalised.
/// </summary>
internal sealed class Fft2D
{
    private static readonly int StripWidth = Math.Max(16, Vector<double>.Count);

    private readonly Stage[] _forward;
    private readonly Stage[] _inverse;
    private readonly ThreadLocal<double[][]> _buffers;

    public Fft2D(int size)
    {
        if (!IsSupportedSize(size))
        {
            throw new ArgumentOutOfRangeException(nameof(size), "The size must be of the form 2^a·3^b.");
        }

        Size = size;
        var radices = new List<int>();
        int rest = size;
        while (rest % 4 == 0)
        {
            radices.Add(4);
            rest /= 4;
        }

        while (rest % 2 == 0)
        {
            radices.Add(2);
            rest /= 2;
        }

        while (rest % 3 == 0)
        {
            radices.Add(3);
            rest /= 3;
        }

        _forward = MakeStages(size, radices, -1);
        _inverse = MakeStages(size, radices, +1);
        _buffers = new ThreadLocal<double[][]>(() => [new double[size * StripWidth], new double[size * StripWidth], new double[size * StripWidth], new double[size * StripWidth]]);
    }

    public int Size { get; }

    public static bool IsSupportedSize(int size)
    {
        if (size < 1)
        {
            return false;
        }

        while (size % 2 == 0)
        {
            size /= 2;
        }

        while (size % 3 == 0)
        {
            size /= 3;
        }

        return size == 1;
    }

    /// <summary>Transforms both axes; only the first <paramref name="usedColumns"/> columns may be non-zero. Leaves the spectrum transposed.</summary>
    public void Forward(double[] re, double[] im, int usedColumns, FixedParallel parallel)
    {
        TransformColumns(re, im, usedColumns, _forward, parallel);
        Transpose(re, im, parallel);
        TransformColumns(re, im, Size, _forward, parallel);
    }

    /// <summary>Inverse of <see cref="Forward"/> times Size²; only the first <paramref name="neededColumns"/> columns of the result are computed.</summary>
    public void Inverse(double[] re, double[] im, int neededColumns, FixedParallel parallel)
    {
        TransformColumns(re, im, Size, _inverse, parallel);
        Transpose(re, im, parallel);
        TransformColumns(re, im, neededColumns, _inverse, parallel);
    }

    private static Stage[] MakeStages(int size, List<int> radices, int sign)
    {
        var stages = new Stage[radices.Count];
        int n = size, stride = 1;
        for (int s = 0; s < radices.Count; s++)
        {
            int radix = radices[s];
            int m = n / radix;
            var cos = new double[m * radix];
            var sin = new double[m * radix];
            for (int p = 0; p < m; p++)
            {
                for (int u = 0; u < radix; u++)
                {
                    double angle = sign * 2 * Math.PI * p * u / n;
                    cos[p * radix + u] = Math.Cos(angle);
                    sin[p * radix + u] = Math.Sin(angle);
                }
            }

            stages[s] = new Stage(radix, m, stride, sign, cos, sin);
            n = m;
            stride *= radix;
        }

        return stages;
    }

    private void TransformColumns(double[] re, double[] im, int columns, Stage[] stages, FixedParallel parallel)
    {
        int size = Size;
        int strips = (columns + StripWidth - 1) / StripWidth;
        parallel.For(strips, 1, (strip, _) =>
        {
            double[][] buffers = _buffers.Value!;
            double[] aRe = buffers[0], aIm = buffers[1], bRe = buffers[2], bIm = buffers[3];
            int first = strip * StripWidth;
            int width = Math.Min(StripWidth, size - first);
            for (int row = 0; row < size; row++)
            {
                re.AsSpan(row * size + first, width).CopyTo(aRe.AsSpan(row * StripWidth));
                im.AsSpan(row * size + first, width).CopyTo(aIm.AsSpan(row * StripWidth));
            }

            bool inA = true;
            foreach (Stage stage in stages)
            {
                if (inA)
                {
                    stage.Apply(aRe, aIm, bRe, bIm);
                }
                else
                {
                    stage.Apply(bRe, bIm, aRe, aIm);
                }

                inA = !inA;
            }

            double[] outRe = inA ? aRe : bRe, outIm = inA ? aIm : bIm;
            for (int row = 0; row < size; row++)
            {
                outRe.AsSpan(row * StripWidth, width).CopyTo(re.AsSpan(row * size + first));
                outIm.AsSpan(row * StripWidth, width).CopyTo(im.AsSpan(row * size + first));
            }
        });
    }

    private void Transpose(double[] re, double[] im, FixedParallel parallel)
    {
        const int block = 32;
        int size = Size;
        int blocks = (size + block - 1) / block;
        parallel.For(blocks, 1, (blockRow, _) =>
        {
            int rowStart = blockRow * block, rowEnd = Math.Min(size, rowStart + block);
            for (int blockColumn = blockRow; blockColumn < blocks; blockColumn++)
            {
                int columnStart = blockColumn * block, columnEnd = Math.Min(size, columnStart + block);
                for (int r = rowStart; r < rowEnd; r++)
                {
                    for (int c = blockColumn == blockRow ? r + 1 : columnStart; c < columnEnd; c++)
                    {
                        int a = r * size + c, b = c * size + r;
                        (re[a], re[b]) = (re[b], re[a]);
                        (im[a], im[b]) = (im[b], im[a]);
                    }
                }
            }
        });
    }

    /// <summary>
    /// One Stockham decimation-in-frequency stage: for p &lt; m, q &lt; stride, the radix-r DFT of the inputs
    /// x[q + stride·(p + t·m)], t &lt; r, times the twiddle w^(p·u), goes to y[q + stride·(r·p + u)].
    /// Each index is an element: a row segment of <see cref="StripWidth"/> values.
    /// </summary>
    private sealed class Stage(int radix, int m, int stride, int sign, double[] cos, double[] sin)
    {
        private static readonly double Sqrt3Half = Math.Sqrt(3) / 2;

        public void Apply(double[] xRe, double[] xIm, double[] yRe, double[] yIm)
        {
            Span<Vector<double>> xr = MemoryMarshal.Cast<double, Vector<double>>(xRe.AsSpan());
            Span<Vector<double>> xi = MemoryMarshal.Cast<double, Vector<double>>(xIm.AsSpan());
            Span<Vector<double>> yr = MemoryMarshal.Cast<double, Vector<double>>(yRe.AsSpan());
            Span<Vector<double>> yi = MemoryMarshal.Cast<double, Vector<double>>(yIm.AsSpan());
            switch (radix)
            {
                case 2:
                    Radix2(xr, xi, yr, yi);
                    break;
                case 3:
                    Radix3(xr, xi, yr, yi);
                    break;
                default:
                    Radix4(xr, xi, yr, yi);
                    break;
            }
        }

        private void Radix2(Span<Vector<double>> xr, Span<Vector<double>> xi, Span<Vector<double>> yr, Span<Vector<double>> yi)
        {
            int lanes = StripWidth / Vector<double>.Count, inputStep = stride * m * lanes, outputStep = stride * lanes;
            for (int p = 0; p < m; p++)
            {
                double c1 = cos[p * 2 + 1], s1 = sin[p * 2 + 1];
                int input = stride * p * lanes, output = stride * 2 * p * lanes;
                for (int e = 0; e < stride * lanes; e++, input++, output++)
                {
                    Vector<double> ar = xr[input], ai = xi[input];
                    Vector<double> br = xr[input + inputStep], bi = xi[input + inputStep];
                    yr[output] = ar + br;
                    yi[output] = ai + bi;
                    Store(yr, yi, output + outputStep, ar - br, ai - bi, c1, s1);
                }
            }
        }

        private void Radix3(Span<Vector<double>> xr, Span<Vector<double>> xi, Span<Vector<double>> yr, Span<Vector<double>> yi)
        {
            int lanes = StripWidth / Vector<double>.Count, inputStep = stride * m * lanes, outputStep = stride * lanes;
            // (a1 − a2) · (sign · i · √3/2)
            double factor = sign * Sqrt3Half;
            for (int p = 0; p < m; p++)
            {
                double c1 = cos[p * 3 + 1], s1 = sin[p * 3 + 1], c2 = cos[p * 3 + 2], s2 = sin[p * 3 + 2];
                int input = stride * p * lanes, output = stride * 3 * p * lanes;
                for (int e = 0; e < stride * lanes; e++, input++, output++)
                {
            Vector<double> a0r = xr[input], a0i = xi[input];
            Vector<double> a1r = xr[input + inputStep], a1i = xi[input + inputStep];
            Vector<double> a2r = xr[input + 2 * inputStep], a2i = xi[input + 2 * inputStep];
            Vector<double> sumR = a1r + a2r, sumI = a1i + a2i;
            yr[output] = a0r + sumR;
            yi[output] = a0i + sumI;
            Vector<double> midR = a0r - sumR * 0.5, midI = a0i - sumI * 0.5;
            Vector<double> rotR = (a2i - a1i) * factor, rotI = (a1r - a2r) * factor;
            Store(yr, yi, output + outputStep, midR + rotR, midI + rotI, c1, s1);
            Store(yr, yi, output + 2 * outputStep, midR - rotR, midI - rotI, c2, s2);
                }
            }
        }

        private void Radix4(Span<Vector<double>> xr, Span<Vector<double>> xi, Span<Vector<double>> yr, Span<Vector<double>> yi)
        {
            int lanes = StripWidth / Vector<double>.Count, inputStep = stride * m * lanes, outputStep = stride * lanes;
            double rotation = sign;
            for (int p = 0; p < m; p++)
            {
                double c1 = cos[p * 4 + 1], s1 = sin[p * 4 + 1], c2 = cos[p * 4 + 2], s2 = sin[p * 4 + 2], c3 = cos[p * 4 + 3], s3 = sin[p * 4 + 3];
                int input = stride * p * lanes, output = stride * 4 * p * lanes;
                for (int e = 0; e < stride * lanes; e++, input++, output++)
                {
            Vector<double> a0r = xr[input], a0i = xi[input];
            Vector<double> a1r = xr[input + inputStep], a1i = xi[input + inputStep];
            Vector<double> a2r = xr[input + 2 * inputStep], a2i = xi[input + 2 * inputStep];
            Vector<double> a3r = xr[input + 3 * inputStep], a3i = xi[input + 3 * inputStep];
            Vector<double> t0r = a0r + a2r, t0i = a0i + a2i;
            Vector<double> t1r = a0r - a2r, t1i = a0i - a2i;
            Vector<double> t2r = a1r + a3r, t2i = a1i + a3i;
            // (a1 − a3) · (sign · i)
            Vector<double> t3r = (a3i - a1i) * rotation, t3i = (a1r - a3r) * rotation;
            yr[output] = t0r + t2r;
            yi[output] = t0i + t2i;
            Store(yr, yi, output + outputStep, t1r + t3r, t1i + t3i, c1, s1);
            Store(yr, yi, output + 2 * outputStep, t0r - t2r, t0i - t2i, c2, s2);
            Store(yr, yi, output + 3 * outputStep, t1r - t3r, t1i - t3i, c3, s3);
                }
            }
        }

        private static void Store(Span<Vector<double>> yr, Span<Vector<double>> yi, int index, Vector<double> r, Vector<double> i, double c, double s)
        {
            yr[index] = r * c - i * s;
            yi[index] = r * s + i * c;
        }
    }
}
