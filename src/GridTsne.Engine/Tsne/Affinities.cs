using System.Numerics.Tensors;
using GridTsne.Engine.Parallelism;

namespace GridTsne.Engine.Tsne;

/// <summary>
/// The symmetric joint probabilities P of t-SNE as a sparse (CSR) matrix: p_ij = (p_j|i + p_i|j) / 2N,
/// where each conditional row is a Gaussian over the point's neighbours whose width is calibrated to the
/// perplexity. Memory is O(N·k); the exact method's all-pairs graph gives a dense-in-CSR matrix.
/// </summary>
internal sealed class Affinities
{
    /// <summary>Stop the per-point binary search when the entropy is this close to log(perplexity).</summary>
    public const double EntropyTolerance = 1e-10;

    private const int MaxSearchSteps = 200;

    private Affinities(int count, int[] rowStarts, int[] columns, double[] values)
    {
        Count = count;
        RowStarts = rowStarts;
        Columns = columns;
        Values = values;
        double sum = 0;
        foreach (double value in values)
        {
            if (value > 0)
            {
                sum += value * Math.Log(value);
            }
        }

        SumPLogP = sum;
    }

    public int Count { get; }

    public int[] RowStarts { get; }

    public int[] Columns { get; }

    public double[] Values { get; }

    /// <summary>Σ p log p, the constant part of KL(P‖Q).</summary>
    public double SumPLogP { get; }

    /// <summary>Builds P from a directed k-nearest-neighbour graph (or the all-pairs graph of the exact method).</summary>
    public static Affinities FromNeighbors(NeighborGraph graph, double perplexity, FixedParallel parallel)
    {
        int count = graph.Count;
        int neighbors = graph.Neighbors;
        var conditional = new double[count * neighbors];
        parallel.For(count, 256, (start, end) =>
        {
            var shifted = new double[neighbors];
            for (int point = start; point < end; point++)
            {
                Calibrate(graph.DistancesOf(point), perplexity, conditional.AsSpan(point * neighbors, neighbors), shifted);
            }
        });

        return neighbors == count - 1 && count > 1
            ? SymmetriseAllPairs(graph, conditional)
            : Symmetrise(graph, conditional, parallel);
    }

    /// <summary>
    /// Writes p_j|i ∝ exp(−β·d²_ij) into <paramref name="probabilities"/>, with β found by bisection so that
    /// the entropy −Σ p ln p equals ln(perplexity). Distances are shifted by their minimum first (which the
    /// normalisation cancels), so the largest weight is 1 and nothing underflows to an all-zero row. When the
    /// target cannot be reached (all distances equal, or perplexity below 1 with one neighbour) the search
    /// ends at its bound with a valid distribution. Returns β.
    /// </summary>
    public static double Calibrate(ReadOnlySpan<float> squaredDistances, double perplexity, Span<double> probabilities, Span<double> scratch)
    {
        int k = squaredDistances.Length;
        if (k == 0)
        {
            return 0;
        }

        Span<double> shifted = scratch[..k];
        float minimum = float.PositiveInfinity;
        foreach (float value in squaredDistances)
        {
            minimum = Math.Min(minimum, value);
        }

        double mean = 0;
        for (int j = 0; j < k; j++)
        {
            shifted[j] = (double)squaredDistances[j] - minimum;
            mean += shifted[j];
        }

        mean /= k;
        double target = Math.Log(perplexity);
        double beta = mean > 0 ? 1 / mean : 1;
        double low = 0, high = double.PositiveInfinity;
        double sum = 1;
        for (int step = 0; step < MaxSearchSteps; step++)
        {
            TensorPrimitives.Multiply(shifted, -beta, probabilities);
            TensorPrimitives.Exp(probabilities, probabilities);
            sum = TensorPrimitives.Sum<double>(probabilities);
            double entropy = Math.Log(sum) + beta * TensorPrimitives.Dot<double>(shifted, probabilities) / sum;
            double error = entropy - target;
            if (Math.Abs(error) <= EntropyTolerance || mean == 0)
            {
                break;
            }

            if (error > 0)
            {
                low = beta;
                beta = double.IsPositiveInfinity(high) ? beta * 2 : (beta + high) / 2;
            }
            else
            {
                high = beta;
                beta = (beta + low) / 2;
            }
        }

        TensorPrimitives.Multiply(probabilities, 1 / sum, probabilities);
        return beta;
    }

    private static Affinities Symmetrise(NeighborGraph graph, double[] conditional, FixedParallel parallel)
    {
        int count = graph.Count;
        int neighbors = graph.Neighbors;
        int[] indices = graph.Indices;

        // Row i holds its own neighbours (j, p_j|i) and every (j, p_i|j) of a point j that has i as neighbour.
        var starts = new int[count + 1];
        for (int i = 0; i < count; i++)
        {
            starts[i + 1] += neighbors;
        }

        foreach (int j in indices)
        {
            starts[j + 1]++;
        }

        for (int i = 0; i < count; i++)
        {
            starts[i + 1] += starts[i];
        }

        var columns = new int[starts[count]];
        var values = new double[starts[count]];
        var fill = new int[count];
        for (int i = 0; i < count; i++)
        {
            parallel.Token.ThrowIfCancellationRequested();
            for (int n = 0; n < neighbors; n++)
            {
                int j = indices[i * neighbors + n];
                double p = conditional[i * neighbors + n];
                columns[starts[i] + fill[i]] = j;
                values[starts[i] + fill[i]++] = p;
                columns[starts[j] + fill[j]] = i;
                values[starts[j] + fill[j]++] = p;
            }
        }

        // Sort each row by column and merge the (at most two) entries of a pair; addition of two values is
        // commutative, so the unstable sort cannot change the sums.
        var merged = new int[count];
        parallel.For(count, 256, (start, end) =>
        {
            for (int i = start; i < end; i++)
            {
                Span<int> rowColumns = columns.AsSpan(starts[i], starts[i + 1] - starts[i]);
                Span<double> rowValues = values.AsSpan(starts[i], rowColumns.Length);
                rowColumns.Sort(rowValues);
                int kept = 0;
                for (int e = 0; e < rowColumns.Length; e++)
                {
                    if (kept > 0 && rowColumns[kept - 1] == rowColumns[e])
                    {
                        rowValues[kept - 1] += rowValues[e];
                    }
                    else
                    {
                        rowColumns[kept] = rowColumns[e];
                        rowValues[kept++] = rowValues[e];
                    }
                }

                merged[i] = kept;
            }
        });

        var rowStarts = new int[count + 1];
        for (int i = 0; i < count; i++)
        {
            rowStarts[i + 1] = rowStarts[i] + merged[i];
        }

        var finalColumns = new int[rowStarts[count]];
        var finalValues = new double[rowStarts[count]];
        double scale = 1.0 / (2.0 * count);
        for (int i = 0; i < count; i++)
        {
            columns.AsSpan(starts[i], merged[i]).CopyTo(finalColumns.AsSpan(rowStarts[i]));
            TensorPrimitives.Multiply(values.AsSpan(starts[i], merged[i]), scale, finalValues.AsSpan(rowStarts[i], merged[i]));
        }

        return new Affinities(count, rowStarts, finalColumns, finalValues);
    }

    /// <summary>All pairs (the exact method): row i of the graph lists every j ≠ i in index order.</summary>
    private static Affinities SymmetriseAllPairs(NeighborGraph graph, double[] conditional)
    {
        int count = graph.Count;
        int neighbors = count - 1;
        var rowStarts = new int[count + 1];
        for (int i = 0; i < count; i++)
        {
            rowStarts[i + 1] = rowStarts[i] + neighbors;
        }

        var columns = new int[count * neighbors];
        var values = new double[count * neighbors];
        double scale = 1.0 / (2.0 * count);
        for (int i = 0; i < count; i++)
        {
            for (int j = 0; j < count; j++)
            {
                if (j == i)
                {
                    continue;
                }

                int slot = i * neighbors + (j < i ? j : j - 1);
                int mirror = j * neighbors + (i < j ? i : i - 1);
                columns[slot] = j;
                values[slot] = (conditional[slot] + conditional[mirror]) * scale;
            }
        }

        return new Affinities(count, rowStarts, columns, values);
    }
}
