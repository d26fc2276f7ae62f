using GridTsne.Engine.Parallelism;

namespace GridTsne.Engine.Tsne;

/// <summary>
/// FFT-accelerated interpolation (Linderman et al. 2019, FIt-SNE). The map's bounding square is cut into
/// boxes of width at most 1 (at least <see cref="MinBoxes"/> per side), each with 4×4 equispaced
/// interpolation nodes: FIt-SNE's 3×3 underestimates the sharp near-field repulsion enough to leave the
/// final KL divergence about 4% above Barnes-Hut's at N = 5,000 (0.6% with 4×4, for 1.8× the grid).
/// Each point spreads four charges (1, x, y, x² + y²) to the nodes of its box with Lagrange weights; the
/// node potentials under the kernel 1/(1 + r²)² are a 2-D convolution on the uniform node grid, done with
/// FFTs of a circulant embedding; each point gathers its potentials back. From
/// φ = Σ_j w_ij² (1, x_j, y_j, |y_j|²): F_i = y_i φ₁ − (φ_x, φ_y) and
/// Σ_j w_ij = (1 + |y_i|²) φ₁ − 2 y_i·(φ_x, φ_y) + φ₄, since w = (1 + r²) w². The charges are packed two per
/// complex grid, and the kernel's spectrum is real. Spreading is sequential (deterministic); gathering is
/// parallel per point. The FFTs are double precision, as FIt-SNE's: single precision's rounding noise,
/// which grows with N, would be multiplied by |y|² in the cancellation of Σ_j w_ij.
/// </summary>
internal sealed class FftRepulsion : IRepulsion
{
    public const int MinBoxes = 36;
    public const int NodesPerBox = 4;

    private const int NodesPerPoint = NodesPerBox * NodesPerBox;

    private const int PointsPerChunk = 1024;

    /// <summary>The grid's side grows in steps of this factor, so its spacing, and so the kernel's spectrum, can be reused.</summary>
    private const double SpanStep = 1.05;

    private readonly Dictionary<int, Fft2D> _plans = [];
    private double _kernelSpan = double.NaN;
    private readonly double[] _nodeOffsets = new double[NodesPerBox];
    private readonly double[] _denominators = new double[NodesPerBox];
    private int[] _firstNodes = [];
    private double[] _weights = [];
    private double[][] _grids = [];

    public FftRepulsion()
    {
        for (int k = 0; k < NodesPerBox; k++)
        {
            _nodeOffsets[k] = (k + 0.5) / NodesPerBox;
        }

        for (int k = 0; k < NodesPerBox; k++)
        {
            double denominator = 1;
            for (int m = 0; m < NodesPerBox; m++)
            {
                if (m != k)
                {
                    denominator *= _nodeOffsets[k] - _nodeOffsets[m];
                }
            }

            _denominators[k] = denominator;
        }
    }

    /// <summary>Boxes per side for a map of the given span: at least <see cref="MinBoxes"/>, width ≤ 1, and 6·boxes a 2^a·3^b FFT size.</summary>
    public static int BoxesFor(double span)
    {
        int boxes = Math.Max(MinBoxes, (int)Math.Ceiling(Math.Min(span, 1e6)));
        while (!Fft2D.IsSupportedSize(boxes))
        {
            boxes++;
        }

        return boxes;
    }

    public double Compute(double[] embedding, double[] forces, FixedParallel parallel)
    {
        int count = embedding.Length / 2;
        double low = double.PositiveInfinity, high = double.NegativeInfinity;
        foreach (double value in embedding)
        {
            low = Math.Min(low, value);
            high = Math.Max(high, value);
        }

        // The grid covers [low, low + span] with span the map's extent rounded up to a power of SpanStep: the
        // kernel's spectrum depends on the node spacing only, so it is recomputed only when the span moves to
        // another step (the map grows slowly after the first iterations), and boxes stay at most 1 wide.
        double extent = Math.Max(high - low, 1e-12);
        double span = Math.Pow(SpanStep, Math.Ceiling(Math.Log(extent) / Math.Log(SpanStep)));
        span = Math.Max(span, extent);
        int boxes = BoxesFor(span);
        double boxWidth = span / boxes;
        int nodes = boxes * NodesPerBox;
        int size = 2 * nodes;
        if (!_plans.TryGetValue(size, out Fft2D? fft))
        {
            fft = new Fft2D(size);
            _plans[size] = fft;
        }

        LocatePoints(embedding, count, low, boxWidth, boxes, size);
        parallel.Token.ThrowIfCancellationRequested();

        // Charges (1, x) in grid a, (y, x² + y²) in grid b; the kernel's spectrum in the last, computed in the
        // last two.
        if (_grids.Length == 0 || _grids[0].Length != size * size)
        {
            _grids = [new double[size * size], new double[size * size], new double[size * size], new double[size * size], new double[size * size], new double[size * size]];
            _kernelSpan = double.NaN;
        }

        for (int g = 0; g < 4; g++)
        {
            Array.Clear(_grids[g]);
        }

        double[] aRe = _grids[0], aIm = _grids[1], bRe = _grids[2], bIm = _grids[3];
        int[] firstNodes = _firstNodes;
        double[] weights = _weights;
        int[] offsets = NodeOffsets(size);
        for (int i = 0; i < count; i++)
        {
            double x = embedding[2 * i], y = embedding[2 * i + 1];
            double squared = x * x + y * y;
            for (int k = 0; k < NodesPerPoint; k++)
            {
                double weight = weights[i * NodesPerPoint + k];
                int index = firstNodes[i] + offsets[k];
                aRe[index] += weight;
                aIm[index] += weight * x;
                bRe[index] += weight * y;
                bIm[index] += weight * squared;
            }
        }

        if (span != _kernelSpan)
        {
            Array.Clear(_grids[4]);
            Array.Clear(_grids[5]);
            KernelSpectrum(fft, nodes, boxWidth / NodesPerBox, _grids[4], _grids[5], parallel);
            _kernelSpan = span;
        }

        double[] kernel = _grids[4];
        fft.Forward(aRe, aIm, nodes, parallel);
        fft.Forward(bRe, bIm, nodes, parallel);
        parallel.For(size * size, 4096, (start, end) =>
        {
            for (int k = start; k < end; k++)
            {
                aRe[k] *= kernel[k];
                aIm[k] *= kernel[k];
                bRe[k] *= kernel[k];
                bIm[k] *= kernel[k];
            }
        });
        fft.Inverse(aRe, aIm, nodes, parallel);
        fft.Inverse(bRe, bIm, nodes, parallel);

        return parallel.Sum(count, PointsPerChunk, (start, end) =>
        {
            double z = 0;
            for (int i = start; i < end; i++)
            {
                double p1 = 0, px = 0, py = 0, p4 = 0;
                for (int k = 0; k < NodesPerPoint; k++)
                {
                    double weight = weights[i * NodesPerPoint + k];
                    int index = firstNodes[i] + offsets[k];
                    p1 += weight * aRe[index];
                    px += weight * aIm[index];
                    py += weight * bRe[index];
                    p4 += weight * bIm[index];
                }

                double x = embedding[2 * i], y = embedding[2 * i + 1];
                forces[2 * i] = x * p1 - px;
                forces[2 * i + 1] = y * p1 - py;
                // Minus the pair (i, i), whose w is 1.
                z += (1 + x * x + y * y) * p1 - 2 * (x * px + y * py) + p4 - 1;
            }

            return z;
        });
    }

    /// <summary>Each point's first node (the grid index of its box's corner node) and its 4×4 node weights.</summary>
    private void LocatePoints(double[] embedding, int count, double low, double boxWidth, int boxes, int size)
    {
        if (_firstNodes.Length != count)
        {
            _firstNodes = new int[count];
            _weights = new double[count * NodesPerPoint];
        }

        Span<double> wx = stackalloc double[NodesPerBox];
        Span<double> wy = stackalloc double[NodesPerBox];
        for (int i = 0; i < count; i++)
        {
            int bx = Locate(embedding[2 * i], low, boxWidth, boxes, wx);
            int by = Locate(embedding[2 * i + 1], low, boxWidth, boxes, wy);
            _firstNodes[i] = by * NodesPerBox * size + bx * NodesPerBox;
            for (int ky = 0; ky < NodesPerBox; ky++)
            {
                for (int kx = 0; kx < NodesPerBox; kx++)
                {
                    _weights[i * NodesPerPoint + ky * NodesPerBox + kx] = wy[ky] * wx[kx];
                }
            }
        }
    }

    /// <summary>Grid offsets of a box's nodes from its first node, in the order of the weights.</summary>
    private static int[] NodeOffsets(int size)
    {
        var offsets = new int[NodesPerPoint];
        for (int ky = 0; ky < NodesPerBox; ky++)
        {
            for (int kx = 0; kx < NodesPerBox; kx++)
            {
                offsets[ky * NodesPerBox + kx] = ky * size + kx;
            }
        }

        return offsets;
    }

    private int Locate(double value, double low, double boxWidth, int boxes, Span<double> weights)
    {
        double position = (value - low) / boxWidth;
        int box = Math.Clamp((int)Math.Floor(position), 0, boxes - 1);
        double t = position - box;
        for (int k = 0; k < NodesPerBox; k++)
        {
            double numerator = 1;
            for (int m = 0; m < NodesPerBox; m++)
            {
                if (m != k)
                {
                    numerator *= t - _nodeOffsets[m];
                }
            }

            weights[k] = numerator / _denominators[k];
        }

        return box;
    }

    /// <summary>
    /// The spectrum of the kernel 1/(1 + r²)² on the circulant embedding of the node grid, divided by size²
    /// so that the unnormalised inverse FFT comes out right. The kernel is even, so its spectrum is real.
    /// </summary>
    private static void KernelSpectrum(Fft2D fft, int nodes, double spacing, double[] re, double[] im, FixedParallel parallel)
    {
        int size = fft.Size;
        parallel.For(size, 16, (start, end) =>
        {
            for (int row = start; row < end; row++)
            {
                int dy = row <= nodes ? row : size - row;
                for (int column = 0; column < size; column++)
                {
                    int dx = column <= nodes ? column : size - column;
                    double r2 = ((double)dx * dx + (double)dy * dy) * spacing * spacing;
                    double w = 1 / (1 + r2);
                    re[row * size + column] = w * w;
                }
            }
        });
        fft.Forward(re, im, size, parallel);
        double scale = 1.0 / ((double)size * size);
        for (int k = 0; k < re.Length; k++)
        {
            re[k] *= scale;
        }
    }
}
