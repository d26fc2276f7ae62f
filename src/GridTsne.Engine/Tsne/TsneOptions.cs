namespace GridTsne.Engine.Tsne;

/// <summary>How the repulsive part of the gradient is computed.</summary>
public enum TsneMethod
{
    /// <summary>Picks by the number of points, from crossovers measured by bench/tsne (see <see cref="TsneOptions.ChooseMethod"/>).</summary>
    Auto,

    /// <summary>All-pairs affinities and the exact O(N²) gradient; refused above <see cref="TsneOptions.MaxExactPoints"/>.</summary>
    Exact,

    /// <summary>Barnes-Hut quadtree approximation, O(N log N) per iteration, accuracy set by <see cref="TsneOptions.Theta"/>.</summary>
    BarnesHut,

    /// <summary>FFT-accelerated polynomial interpolation on a grid (FIt-SNE), O(N) per iteration plus the grid's FFTs.</summary>
    Fft,
}

/// <summary>How the 2-D map starts.</summary>
public enum TsneInitialization
{
    /// <summary>The first two principal components, scaled so that the first has standard deviation 1e-4.</summary>
    Pca,

    /// <summary>Gaussian noise with standard deviation 1e-4, drawn from the seed.</summary>
    Random,
}

/// <summary>The input-space distance.</summary>
public enum TsneMetric
{
    Euclidean,

    /// <summary>1 − cosine similarity: rows are scaled to unit length, where squared Euclidean distance is 2·(1 − cos).</summary>
    Cosine,
}

/// <summary>
/// Settings of one t-SNE run. The defaults follow openTSNE and Kobak &amp; Berens (2019): perplexity 30,
/// PCA to 50 dimensions, PCA initialisation, early exaggeration 12 for 250 of 750 iterations,
/// learning rate max(200, N / early exaggeration), momentum 0.5 then 0.8.
/// </summary>
public sealed record TsneOptions
{
    /// <summary>The exact method keeps N² affinities (12 bytes each) and does N² work per iteration: refused above this.</summary>
    public const int MaxExactPoints = 5000;

    /// <summary>Floor of the automatic learning rate (openTSNE's; the same as scikit-learn's floor of 50 in its convention).</summary>
    public const double MinAutoLearningRate = 200;

    /// <summary>
    /// Auto uses the exact method up to this N. Measured (bench/tsne's machine, 750 iterations): exact and
    /// Barnes-Hut take the same time at about 200 points; at 300 the exact method takes twice as long.
    /// </summary>
    public const int AutoExactMaxPoints = 200;

    /// <summary>
    /// Auto uses Barnes-Hut up to this N and FFT interpolation above it. Measured (one thread, 750 iterations,
    /// 50-d Gaussian mixtures): FFT took 4.5× Barnes-Hut's CPU time at 2,000 points, 2× at 5,000, 1.3× at
    /// 10,000 and the same at 20,000; Barnes-Hut grows as N log N, the FFT's grid only with the map's span.
    /// </summary>
    public const int AutoBarnesHutMaxPoints = 20000;

    /// <summary>Perplexity of the Gaussian affinities: the effective number of neighbours. Lowered to (N − 1)/3 when 3·perplexity ≥ N.</summary>
    public double Perplexity { get; init; } = 30;

    /// <summary>Total number of gradient-descent iterations, early exaggeration included.</summary>
    public int Iterations { get; init; } = 750;

    /// <summary>Learning rate in openTSNE's convention (4× scikit-learn's); null chooses max(200, N / EarlyExaggeration).</summary>
    public double? LearningRate { get; init; }

    /// <summary>PCA reduces the input to this many dimensions first; 0 turns it off. Ignored when the input has no more dimensions.</summary>
    public int PcaDimensions { get; init; } = 50;

    public TsneMethod Method { get; init; } = TsneMethod.Auto;

    /// <summary>Barnes-Hut opening angle: a cell whose width is below Theta times its distance is summarised by its centre of mass.</summary>
    public double Theta { get; init; } = 0.5;

    public TsneInitialization Initialization { get; init; } = TsneInitialization.Pca;

    public TsneMetric Metric { get; init; } = TsneMetric.Euclidean;

    /// <summary>Seeds every random choice (random initialisation, randomised PCA, approximate neighbours).</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Factor on the attractive forces during the first <see cref="EarlyExaggerationIterations"/> iterations.</summary>
    public double EarlyExaggeration { get; init; } = 12;

    /// <summary>Length of the early exaggeration phase (momentum 0.5); capped at <see cref="Iterations"/>.</summary>
    public int EarlyExaggerationIterations { get; init; } = 250;

    /// <summary>Threads to use; -1 uses every core. The output does not depend on it.</summary>
    public int MaxDegreeOfParallelism { get; init; } = -1;

    /// <summary>How many iterations pass between progress reports (each report carries the current KL divergence).</summary>
    public int ProgressInterval { get; init; } = 10;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for a setting outside its range.</summary>
    public void Validate()
    {
        Check(Perplexity is > 0 and <= 1e5, nameof(Perplexity), "must be above 0 and at most 100000");
        Check(Iterations is >= 0 and <= 1_000_000, nameof(Iterations), "must be between 0 and 1000000");
        Check(LearningRate is null || (LearningRate > 0 && double.IsFinite(LearningRate.Value)), nameof(LearningRate), "must be above 0");
        Check(PcaDimensions is >= 0, nameof(PcaDimensions), "must be 0 or more");
        Check(Theta is >= 0 and <= 10, nameof(Theta), "must be between 0 and 10");
        Check(EarlyExaggeration is >= 1 and <= 1000, nameof(EarlyExaggeration), "must be between 1 and 1000");
        Check(EarlyExaggerationIterations >= 0, nameof(EarlyExaggerationIterations), "must be 0 or more");
        Check(MaxDegreeOfParallelism == -1 || MaxDegreeOfParallelism >= 1, nameof(MaxDegreeOfParallelism), "must be -1 or at least 1");
        Check(ProgressInterval >= 1, nameof(ProgressInterval), "must be at least 1");
        Check(Enum.IsDefined(Method) && Enum.IsDefined(Initialization) && Enum.IsDefined(Metric), nameof(Method), "is not a defined value");
    }

    /// <summary>The method <see cref="TsneMethod.Auto"/> stands for at <paramref name="count"/> points.</summary>
    public static TsneMethod ChooseMethod(int count) => count switch
    {
        <= AutoExactMaxPoints => TsneMethod.Exact,
        <= AutoBarnesHutMaxPoints => TsneMethod.BarnesHut,
        _ => TsneMethod.Fft,
    };

    private static void Check(bool valid, string name, string rule)
    {
        if (!valid)
        {
            throw new ArgumentOutOfRangeException(name, $"{name} {rule}.");
        }
    }
}
