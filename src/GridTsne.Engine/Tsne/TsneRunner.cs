using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using GridTsne.Engine.Parallelism;

namespace GridTsne.Engine.Tsne;

/// <summary>
/// Runs t-SNE on a row-major float matrix: PCA, nearest neighbours, perplexity-calibrated affinities,
/// then gradient descent with the exact, Barnes-Hut or FFT-interpolation gradient. Memory is O(N·k) except
/// for the exact method (O(N²), refused above <see cref="TsneOptions.MaxExactPoints"/>). The token is checked
/// at least every few milliseconds' work, and the output depends only on the input, the options and the
/// seed — not on the thread count.
/// </summary>
public static class TsneRunner
{
    /// <summary>
    /// Exact neighbour search up to this N, the random projection forest above. The brute force is O(N²·D):
    /// about 5 s of CPU at 20,000 points × 50 dimensions on a 2-core machine, a tenth of the optimisation's.
    /// </summary>
    public const int ExactNeighborsMaxPoints = 25000;

    /// <summary>Standard deviation of the first coordinate of the initial map (openTSNE's choice).</summary>
    public const double InitialScale = 1e-4;

    /// <param name="data">N rows of D values, row-major; every value finite.</param>
    /// <exception cref="ArgumentException">The data is not N×D or holds a NaN or infinity, or the exact method was asked for above its limit.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public static TsneResult Run(float[] data, int count, int dimensions, TsneOptions options, IProgress<TsneProgress>? progress = null, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (count < 0 || dimensions < 1 || (long)count * dimensions != data.Length)
        {
            throw new ArgumentException($"The data holds {data.Length} values, not {count} rows of {dimensions}.", nameof(data));
        }

        int bad = FindNonFinite(data);
        if (bad >= 0)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Row {bad / dimensions} holds {data[bad]} at column {bad % dimensions}; t-SNE needs finite values."), nameof(data));
        }

        var warnings = new List<string>();
        double perplexity = options.Perplexity;
        if (count > 1 && 3 * perplexity >= count)
        {
            perplexity = (count - 1) / 3.0;
            warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"Perplexity {options.Perplexity:0.###} needs more than {3 * options.Perplexity:0.###} points; with {count} points it was lowered to {perplexity:0.###}."));
        }

        TsneMethod method = options.Method == TsneMethod.Auto ? TsneOptions.ChooseMethod(count) : options.Method;
        if (method == TsneMethod.Exact && count > TsneOptions.MaxExactPoints)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"The exact method is limited to {TsneOptions.MaxExactPoints} points (it keeps N² affinities); use BarnesHut or Fft for {count} points."), nameof(options));
        }

        double learningRate = options.LearningRate ?? Math.Max(TsneOptions.MinAutoLearningRate, count / options.EarlyExaggeration);
        if (count <= 1)
        {
            return new TsneResult
            {
                Embedding = new double[2 * count],
                Count = count,
                KullbackLeibler = 0,
                Method = method,
                Perplexity = perplexity,
                Neighbors = 0,
                ApproximateNeighbors = false,
                Dimensions = dimensions,
                LearningRate = learningRate,
                Iterations = 0,
                Times = new TsnePhaseTimes(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero),
                Warnings = warnings,
            };
        }

        var parallel = new FixedParallel(options.MaxDegreeOfParallelism, token);
        var clock = Stopwatch.StartNew();

        progress?.Report(new TsneProgress(TsnePhase.Pca, 0, options.Iterations, double.NaN));
        float[] features = options.Metric == TsneMetric.Cosine ? UnitRows(data, count, dimensions) : data;
        int reducedDimensions = dimensions;
        float[]? scores = null;
        if (options.PcaDimensions > 0 && options.PcaDimensions < dimensions)
        {
            reducedDimensions = Math.Min(options.PcaDimensions, dimensions);
            scores = Pca.Scores(features, count, dimensions, reducedDimensions, options.Seed, parallel);
            features = scores;
        }

        double[] embedding = options.Initialization == TsneInitialization.Pca
            ? PcaInitialization(features, count, reducedDimensions, scores is not null, options.Seed, parallel)
            : RandomInitialization(count, options.Seed);
        TimeSpan pcaTime = clock.Elapsed;

        progress?.Report(new TsneProgress(TsnePhase.Neighbors, 0, options.Iterations, double.NaN));
        int neighbors = method == TsneMethod.Exact ? count - 1 : Math.Max(1, Math.Min(count - 1, (int)Math.Floor(3 * perplexity)));
        bool approximate = method != TsneMethod.Exact && count > ExactNeighborsMaxPoints;
        NeighborGraph graph = method == TsneMethod.Exact ? ExactNeighbors.AllPairs(features, count, reducedDimensions, parallel)
            : approximate ? ApproximateNeighbors.Search(features, count, reducedDimensions, neighbors, options.Seed, parallel)
            : ExactNeighbors.Search(features, count, reducedDimensions, neighbors, parallel);
        TimeSpan neighborsTime = clock.Elapsed - pcaTime;

        progress?.Report(new TsneProgress(TsnePhase.Affinities, 0, options.Iterations, double.NaN));
        Affinities affinities = Affinities.FromNeighbors(graph, perplexity, parallel);
        TimeSpan affinitiesTime = clock.Elapsed - pcaTime - neighborsTime;

        IRepulsion repulsion = method switch
        {
            TsneMethod.Exact => new ExactRepulsion(),
            TsneMethod.BarnesHut => new BarnesHutRepulsion(options.Theta),
            _ => new FftRepulsion(),
        };
        var objective = new TsneObjective(affinities, repulsion, parallel);
        int earlyIterations = Math.Min(options.EarlyExaggerationIterations, options.Iterations);
        double kl = TsneOptimizer.Run(
            embedding,
            objective,
            options,
            earlyIterations,
            learningRate,
            progress is null ? null : (phase, iteration, cost) => progress.Report(new TsneProgress(phase, iteration, options.Iterations, cost)),
            token);
        TimeSpan optimisationTime = clock.Elapsed - pcaTime - neighborsTime - affinitiesTime;

        return new TsneResult
        {
            Embedding = embedding,
            Count = count,
            KullbackLeibler = kl,
            Method = method,
            Perplexity = perplexity,
            Neighbors = neighbors,
            ApproximateNeighbors = approximate,
            Dimensions = reducedDimensions,
            LearningRate = learningRate,
            Iterations = options.Iterations,
            Times = new TsnePhaseTimes(pcaTime, neighborsTime, affinitiesTime, optimisationTime),
            Warnings = warnings,
        };
    }

    /// <summary>Index of the first NaN or infinity in <paramref name="values"/>, or -1.</summary>
    public static int FindNonFinite(ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Rows scaled to unit length (a zero row stays zero: it is then equally far from every unit row).</summary>
    private static float[] UnitRows(float[] data, int count, int dimensions)
    {
        var unit = new float[data.Length];
        for (int row = 0; row < count; row++)
        {
            ReadOnlySpan<float> source = data.AsSpan(row * dimensions, dimensions);
            float norm = TensorPrimitives.Norm(source);
            if (norm > 0 && float.IsFinite(norm))
            {
                TensorPrimitives.Divide(source, norm, unit.AsSpan(row * dimensions, dimensions));
            }
            else if (norm > 0)
            {
                // The squared norm overflowed: scale down first.
                float largest = TensorPrimitives.MaxMagnitude(source);
                Span<float> target = unit.AsSpan(row * dimensions, dimensions);
                TensorPrimitives.Divide(source, largest, target);
                TensorPrimitives.Divide(target, TensorPrimitives.Norm(target), target);
            }
        }

        return unit;
    }

    /// <summary>
    /// The first two principal components scaled so the first has standard deviation 1e-4 (Kobak &amp;
    /// Berens 2019). Falls back to random noise where there is no spread to use.
    /// </summary>
    private static double[] PcaInitialization(float[] features, int count, int dimensions, bool alreadyScores, int seed, FixedParallel parallel)
    {
        int components = Math.Min(2, dimensions);
        float[] scores = alreadyScores ? features : Pca.Scores(features, count, dimensions, components, seed, parallel);
        int stride = alreadyScores ? dimensions : components;
        double[] random = RandomInitialization(count, seed);
        double mean = 0;
        for (int i = 0; i < count; i++)
        {
            mean += scores[i * stride];
        }

        mean /= count;
        double variance = 0;
        for (int i = 0; i < count; i++)
        {
            double d = scores[i * stride] - mean;
            variance += d * d;
        }

        double deviation = Math.Sqrt(variance / count);
        if (!(deviation > 0))
        {
            return random;
        }

        var embedding = new double[2 * count];
        double scale = InitialScale / deviation;
        for (int i = 0; i < count; i++)
        {
            embedding[2 * i] = scores[i * stride] * scale;
            embedding[2 * i + 1] = components > 1 ? scores[i * stride + 1] * scale : random[2 * i + 1];
        }

        return embedding;
    }

    private static double[] RandomInitialization(int count, int seed)
    {
        var random = new TsneRandom(seed);
        var embedding = new double[2 * count];
        for (int i = 0; i < embedding.Length; i++)
        {
            embedding[i] = random.NextGaussian() * InitialScale;
        }

        return embedding;
    }
}
