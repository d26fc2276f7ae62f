using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using GridTsne.Engine.Parallelism;
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Factorization;
// MathNet also has a Vector<T>.
using FloatVector = System.Numerics.Vector<float>;

namespace GridTsne.Engine.Tsne;

/// <summary>
/// Principal component scores of a row-major float matrix. Up to <see cref="ExactMaxDimensions"/> dimensions
/// the covariance matrix is formed and diagonalised exactly (MathNet); above, a randomised SVD (Halko,
/// Martinsson &amp; Tropp 2011) with power iterations keeps the cost at O(N·D·k). Each component's sign is
/// fixed so that its score of largest magnitude is positive (scikit-learn's svd_flip), which makes the
/// result independent of the eigen-solver's arbitrary signs.
/// </summary>
internal static class Pca
{
    /// <summary>Above this many dimensions the D×D covariance (and its O(N·D²) cost) gives way to the randomised SVD.</summary>
    public const int ExactMaxDimensions = 512;

    private const int Oversampling = 10;
    private const int PowerIterations = 4;
    private const int RowChunk = 256;

    /// <summary>Returns the N×<paramref name="components"/> row-major scores of the centred data.</summary>
    public static float[] Scores(float[] data, int count, int dimensions, int components, int seed, FixedParallel parallel)
    {
        components = Math.Min(components, dimensions);
        float[] centred = Center(data, count, dimensions, parallel);
        float[] scores = dimensions <= ExactMaxDimensions
            ? ExactScores(centred, count, dimensions, components, parallel)
            : RandomisedScores(centred, count, dimensions, components, seed, parallel);
        FixSigns(scores, count, components);
        return scores;
    }

    /// <summary>
    /// The mean of the <paramref name="count"/> rows of <paramref name="data"/>, summed in double in row order
    /// (the same bits whoever calls it; the layout optimizer fills empty cells with it too).
    /// </summary>
    internal static float[] ColumnMeans(ReadOnlySpan<float> data, int count, int dimensions, CancellationToken cancellation)
    {
        var mean = new double[dimensions];
        for (int row = 0; row < count; row++)
        {
            if ((row & 4095) == 0)
            {
                cancellation.ThrowIfCancellationRequested();
            }

            ReadOnlySpan<float> values = data.Slice(row * dimensions, dimensions);
            for (int column = 0; column < dimensions; column++)
            {
                mean[column] += values[column];
            }
        }

        var result = new float[dimensions];
        for (int column = 0; column < dimensions; column++)
        {
            result[column] = (float)(mean[column] / count);
        }

        return result;
    }

    private static float[] Center(float[] data, int count, int dimensions, FixedParallel parallel)
    {
        float[] meanF = ColumnMeans(data, count, dimensions, parallel.Token);
        var centred = new float[data.Length];
        parallel.For(count, RowChunk, (start, end) =>
        {
            for (int row = start; row < end; row++)
            {
                TensorPrimitives.Subtract(data.AsSpan(row * dimensions, dimensions), meanF, centred.AsSpan(row * dimensions, dimensions));
            }
        });
        return centred;
    }

    private static float[] ExactScores(float[] centred, int count, int dimensions, int components, FixedParallel parallel)
    {
        // Covariance, block of rows by block of rows: each block belongs to one thread, and float partial sums
        // over 256 input rows are flushed into doubles, so the result is accurate and thread-count independent.
        const int blockRows = 16;
        var covariance = new double[dimensions * dimensions];
        parallel.For(dimensions, blockRows, (start, end) =>
        {
            int rows = end - start;
            var partial = new float[rows * dimensions];
            for (int first = 0; first < count; first += RowChunk)
            {
                parallel.Token.ThrowIfCancellationRequested();
                int last = Math.Min(count, first + RowChunk);
                for (int row = first; row < last; row++)
                {
                    ReadOnlySpan<float> x = centred.AsSpan(row * dimensions, dimensions);
                    for (int a = start; a < end; a++)
                    {
                        Span<float> target = partial.AsSpan((a - start) * dimensions, dimensions);
                        AddScaled(x, x[a], target);
                    }
                }

                for (int i = 0; i < partial.Length; i++)
                {
                    covariance[start * dimensions + i] += partial[i];
                }

                Array.Clear(partial);
            }
        });

        // Symmetric, so the row-major array reads the same as MathNet's column-major storage.
        Evd<double> evd = Matrix<double>.Build.Dense(dimensions, dimensions, covariance).Evd(Symmetricity.Symmetric);
        var axes = new float[components * dimensions];
        for (int c = 0; c < components; c++)
        {
            int column = dimensions - 1 - c; // eigenvalues ascend
            for (int a = 0; a < dimensions; a++)
            {
                axes[c * dimensions + a] = (float)evd.EigenVectors[a, column];
            }
        }

        var scores = new float[count * components];
        parallel.For(count, RowChunk, (start, end) =>
        {
            for (int row = start; row < end; row++)
            {
                ReadOnlySpan<float> x = centred.AsSpan(row * dimensions, dimensions);
                for (int c = 0; c < components; c++)
                {
                    scores[row * components + c] = TensorPrimitives.Dot(x, axes.AsSpan(c * dimensions, dimensions));
                }
            }
        });
        return scores;
    }

    private static float[] RandomisedScores(float[] centred, int count, int dimensions, int components, int seed, FixedParallel parallel)
    {
        int width = Math.Min(components + Oversampling, Math.Min(count, dimensions));
        var random = new TsneRandom(seed ^ 0x5043_4131);
        var test = new float[width * dimensions];
        for (int i = 0; i < test.Length; i++)
        {
            test[i] = (float)random.NextGaussian();
        }

        // Q = orth(X Ω); q times: Q = orth(X (orth(Xᵀ Q))).
        double[][] basis = Orthonormalise(MultiplyRows(centred, count, dimensions, test, width, parallel));
        for (int iteration = 0; iteration < PowerIterations; iteration++)
        {
            float[] rowSpace = ToRows(Orthonormalise(MultiplyTransposed(centred, count, dimensions, basis, parallel)), dimensions);
            basis = Orthonormalise(MultiplyRows(centred, count, dimensions, rowSpace, width, parallel));
        }

        // B = Qᵀ X (width × D); B Bᵀ = U Σ² Uᵀ; the scores X V = Q U Σ.
        double[][] small = MultiplyTransposed(centred, count, dimensions, basis, parallel);
        var gram = new double[width * width];
        for (int i = 0; i < width; i++)
        {
            for (int j = 0; j <= i; j++)
            {
                double dot = Dot(small[i], small[j]);
                gram[i * width + j] = dot;
                gram[j * width + i] = dot;
            }
        }

        Evd<double> evd = Matrix<double>.Build.Dense(width, width, gram).Evd(Symmetricity.Symmetric);
        var scores = new float[count * components];
        for (int c = 0; c < Math.Min(components, width); c++)
        {
            int column = width - 1 - c;
            double sigma = Math.Sqrt(Math.Max(0, evd.EigenValues[column].Real));
            for (int row = 0; row < count; row++)
            {
                double sum = 0;
                for (int t = 0; t < width; t++)
                {
                    sum += basis[t][row] * evd.EigenVectors[t, column];
                }

                scores[row * components + c] = (float)(sum * sigma);
            }
        }

        return scores;
    }

    /// <summary>X (N×D) times the transpose of <paramref name="rows"/> (W×D): W columns of length N.</summary>
    private static double[][] MultiplyRows(float[] centred, int count, int dimensions, float[] rows, int width, FixedParallel parallel)
    {
        var result = new double[width][];
        for (int t = 0; t < width; t++)
        {
            result[t] = new double[count];
        }

        parallel.For(count, RowChunk, (start, end) =>
        {
            for (int row = start; row < end; row++)
            {
                ReadOnlySpan<float> x = centred.AsSpan(row * dimensions, dimensions);
                for (int t = 0; t < width; t++)
                {
                    result[t][row] = TensorPrimitives.Dot(x, rows.AsSpan(t * dimensions, dimensions));
                }
            }
        });
        return result;
    }

    /// <summary>
    /// Xᵀ Q for Q given as W columns of length N: W columns of length D. Partial sums per fixed chunk of
    /// rows are combined in chunk order.
    /// </summary>
    private static double[][] MultiplyTransposed(float[] centred, int count, int dimensions, double[][] columns, FixedParallel parallel)
    {
        const int chunk = 1024;
        int width = columns.Length;
        int chunks = FixedParallel.ChunkCount(count, chunk);
        var partials = new float[chunks][];
        parallel.For(count, chunk, (start, end) =>
        {
            var partial = new float[width * dimensions];
            for (int row = start; row < end; row++)
            {
                ReadOnlySpan<float> x = centred.AsSpan(row * dimensions, dimensions);
                for (int t = 0; t < width; t++)
                {
                    Span<float> target = partial.AsSpan(t * dimensions, dimensions);
                    TensorPrimitives.MultiplyAdd(x, (float)columns[t][row], target, target);
                }
            }

            partials[start / chunk] = partial;
        });

        var result = new double[width][];
        for (int t = 0; t < width; t++)
        {
            var column = new double[dimensions];
            foreach (float[] partial in partials)
            {
                for (int a = 0; a < dimensions; a++)
                {
                    column[a] += partial[t * dimensions + a];
                }
            }

            result[t] = column;
        }

        return result;
    }

    /// <summary>Modified Gram-Schmidt, twice; a column that is (numerically) dependent becomes zero.</summary>
    private static double[][] Orthonormalise(double[][] columns)
    {
        for (int j = 0; j < columns.Length; j++)
        {
            double[] column = columns[j];
            double original = Math.Sqrt(Dot(column, column));
            for (int pass = 0; pass < 2; pass++)
            {
                for (int i = 0; i < j; i++)
                {
                    double projection = Dot(columns[i], column);
                    double[] previous = columns[i];
                    for (int r = 0; r < column.Length; r++)
                    {
                        column[r] -= projection * previous[r];
                    }
                }
            }

            double norm = Math.Sqrt(Dot(column, column));
            double scale = norm > 1e-10 * Math.Max(original, double.Epsilon) && norm > 0 ? 1 / norm : 0;
            for (int r = 0; r < column.Length; r++)
            {
                column[r] *= scale;
            }
        }

        return columns;
    }

    private static float[] ToRows(double[][] columns, int length)
    {
        var rows = new float[columns.Length * length];
        for (int t = 0; t < columns.Length; t++)
        {
            for (int a = 0; a < length; a++)
            {
                rows[t * length + a] = (float)columns[t][a];
            }
        }

        return rows;
    }

    private static double Dot(double[] a, double[] b) => TensorPrimitives.Dot<double>(a, b);

    /// <summary>
    /// target += scale · x. TensorPrimitives.MultiplyAdd does the same, but the covariance calls it once per
    /// (row, dimension), hundreds of thousands of times in the first seconds of a session, while tiered
    /// compilation still runs it as quick-JIT code; this loop is compiled fully optimised from the start.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.AggressiveInlining)]
    private static void AddScaled(ReadOnlySpan<float> x, float scale, Span<float> target)
    {
        var factor = new FloatVector(scale);
        int i = 0;
        for (; i <= x.Length - FloatVector.Count; i += FloatVector.Count)
        {
            var sum = new FloatVector(target.Slice(i)) + (new FloatVector(x.Slice(i)) * factor);
            sum.CopyTo(target.Slice(i));
        }

        for (; i < x.Length; i++)
        {
            target[i] += x[i] * scale;
        }
    }

    /// <summary>Makes the largest-magnitude score of each component positive (the first one on a tie).</summary>
    private static void FixSigns(float[] scores, int count, int components)
    {
        for (int c = 0; c < components; c++)
        {
            float largest = 0;
            for (int row = 0; row < count; row++)
            {
                float value = scores[row * components + c];
                if (Math.Abs(value) > Math.Abs(largest))
                {
                    largest = value;
                }
            }

            if (largest < 0)
            {
                for (int row = 0; row < count; row++)
                {
                    scores[row * components + c] = -scores[row * components + c];
                }
            }
        }
    }
}
