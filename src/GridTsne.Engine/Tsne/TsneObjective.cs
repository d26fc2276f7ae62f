using GridTsne.Engine.Parallelism;

namespace GridTsne.Engine.Tsne;

/// <summary>
/// The t-SNE cost C = KL(P‖Q) = Σ p_ij log(p_ij / q_ij), q_ij = w_ij / Z, and its gradient
/// ∂C/∂y_i = 4 [α Σ_j p_ij w_ij (y_i − y_j) − Σ_j w_ij² (y_i − y_j) / Z], α being the exaggeration.
/// The attractive sum runs over the sparse P; the repulsive one comes from an <see cref="IRepulsion"/>.
/// </summary>
internal sealed class TsneObjective
{
    private const int RowsPerChunk = 256;

    private readonly Affinities _affinities;
    private readonly IRepulsion _repulsion;
    private readonly FixedParallel _parallel;
    private readonly double[] _forces;

    public TsneObjective(Affinities affinities, IRepulsion repulsion, FixedParallel parallel)
    {
        _affinities = affinities;
        _repulsion = repulsion;
        _parallel = parallel;
        _forces = new double[2 * affinities.Count];
    }

    /// <summary>
    /// Writes the gradient at <paramref name="embedding"/> into <paramref name="gradient"/> and returns the
    /// KL divergence against the true (not exaggerated) P when <paramref name="withCost"/>, else NaN.
    /// </summary>
    public double Evaluate(double[] embedding, double exaggeration, double[] gradient, bool withCost)
    {
        double z = _repulsion.Compute(embedding, _forces, _parallel);
        double[] forces = _forces;
        Affinities p = _affinities;
        double inverseZ = z > 0 ? 1 / z : 0;
        double sumPLogW = _parallel.Sum(p.Count, RowsPerChunk, (start, end) =>
        {
            double partial = 0;
            for (int i = start; i < end; i++)
            {
                double x = embedding[2 * i], y = embedding[2 * i + 1];
                double ax = 0, ay = 0;
                for (int e = p.RowStarts[i]; e < p.RowStarts[i + 1]; e++)
                {
                    int j = p.Columns[e];
                    double dx = x - embedding[2 * j], dy = y - embedding[2 * j + 1];
                    double w = 1 / (1 + dx * dx + dy * dy);
                    double pw = p.Values[e] * w;
                    ax += pw * dx;
                    ay += pw * dy;
                    if (withCost)
                    {
                        partial += p.Values[e] * Math.Log(w);
                    }
                }

                gradient[2 * i] = 4 * (exaggeration * ax - forces[2 * i] * inverseZ);
                gradient[2 * i + 1] = 4 * (exaggeration * ay - forces[2 * i + 1] * inverseZ);
            }

            return partial;
        });

        // KL = Σ p log p − Σ p log w + log Z, as Σ p = 1.
        return withCost ? Math.Max(0, p.SumPLogP - sumPLogW + Math.Log(Math.Max(z, double.Epsilon))) : double.NaN;
    }
}
