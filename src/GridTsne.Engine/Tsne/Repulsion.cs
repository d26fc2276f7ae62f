using System.Numerics;
using GridTsne.Engine.Parallelism;

namespace GridTsne.Engine.Tsne;

/// <summary>
/// The repulsive half of the t-SNE gradient. With w_ij = 1 / (1 + |y_i − y_j|²), an implementation writes
/// F_i = Σ_j w_ij² (y_i − y_j) for every point and returns Z = Σ_{i≠j} w_ij; the repulsive gradient is then
/// −4 F_i / Z. Implementations must give the same bits whatever the thread count.
/// </summary>
internal interface IRepulsion
{
    /// <param name="embedding">N rows of (x, y).</param>
    /// <param name="forces">Receives N rows of F_i.</param>
    double Compute(double[] embedding, double[] forces, FixedParallel parallel);
}

/// <summary>All pairs, O(N²) per call, SIMD over the second point of each pair.</summary>
internal sealed class ExactRepulsion : IRepulsion
{
    private double[] _xs = [];
    private double[] _ys = [];

    public double Compute(double[] embedding, double[] forces, FixedParallel parallel)
    {
        int count = embedding.Length / 2;
        if (_xs.Length != count)
        {
            _xs = new double[count];
            _ys = new double[count];
        }

        for (int i = 0; i < count; i++)
        {
            _xs[i] = embedding[2 * i];
            _ys[i] = embedding[2 * i + 1];
        }

        double[] xs = _xs, ys = _ys;
        return parallel.Sum(count, 32, (start, end) =>
        {
            double z = 0;
            int width = Vector<double>.Count;
            ReadOnlySpan<Vector<double>> xv = System.Runtime.InteropServices.MemoryMarshal.Cast<double, Vector<double>>(xs);
            ReadOnlySpan<Vector<double>> yv = System.Runtime.InteropServices.MemoryMarshal.Cast<double, Vector<double>>(ys);
            for (int i = start; i < end; i++)
            {
                var xi = new Vector<double>(xs[i]);
                var yi = new Vector<double>(ys[i]);
                Vector<double> sumW = Vector<double>.Zero, fx = Vector<double>.Zero, fy = Vector<double>.Zero;
                for (int v = 0; v < xv.Length; v++)
                {
                    Vector<double> dx = xi - xv[v];
                    Vector<double> dy = yi - yv[v];
                    Vector<double> w = Vector<double>.One / (Vector<double>.One + dx * dx + dy * dy);
                    Vector<double> w2 = w * w;
                    sumW += w;
                    fx += w2 * dx;
                    fy += w2 * dy;
                }

                double totalW = Vector.Sum(sumW), totalX = Vector.Sum(fx), totalY = Vector.Sum(fy);
                for (int j = xv.Length * width; j < count; j++)
                {
                    double dx = xs[i] - xs[j], dy = ys[i] - ys[j];
                    double w = 1 / (1 + dx * dx + dy * dy);
                    totalW += w;
                    totalX += w * w * dx;
                    totalY += w * w * dy;
                }

                // The pair (i, i) added w = 1 and no force.
                z += totalW - 1;
                forces[2 * i] = totalX;
                forces[2 * i + 1] = totalY;
            }

            return z;
        });
    }
}
