namespace GridTsne.Engine.Tsne;

/// <summary>The stages of a run, in order.</summary>
public enum TsnePhase
{
    Pca,
    Neighbors,
    Affinities,
    EarlyExaggeration,
    Optimization,
}

/// <summary>A progress report: the phase, and during optimisation the iteration and the current KL divergence.</summary>
/// <param name="Iteration">Iterations done so far (0 before optimisation).</param>
/// <param name="KullbackLeibler">KL(P‖Q) of the current map against the true (not exaggerated) P; NaN before optimisation.</param>
public readonly record struct TsneProgress(TsnePhase Phase, int Iteration, int TotalIterations, double KullbackLeibler);

/// <summary>Wall-clock time of each phase.</summary>
public sealed record TsnePhaseTimes(TimeSpan Pca, TimeSpan Neighbors, TimeSpan Affinities, TimeSpan Optimization)
{
    public TimeSpan Total => Pca + Neighbors + Affinities + Optimization;
}

/// <summary>The outcome of <see cref="TsneRunner.Run"/>.</summary>
public sealed record TsneResult
{
    /// <summary>The map, N rows of (x, y), in input order.</summary>
    public required double[] Embedding { get; init; }

    public required int Count { get; init; }

    /// <summary>KL(P‖Q) of the final map, with the normaliser Z of the method used.</summary>
    public required double KullbackLeibler { get; init; }

    /// <summary>The method actually used (never Auto).</summary>
    public required TsneMethod Method { get; init; }

    /// <summary>The perplexity actually used (lower than asked for when 3·perplexity ≥ N).</summary>
    public required double Perplexity { get; init; }

    /// <summary>Neighbours per point the affinities were calibrated on (N − 1 for the exact method).</summary>
    public required int Neighbors { get; init; }

    /// <summary>True when the neighbours came from the approximate (random projection forest) search.</summary>
    public required bool ApproximateNeighbors { get; init; }

    /// <summary>Dimensions after PCA (the input's when PCA was off or not needed).</summary>
    public required int Dimensions { get; init; }

    /// <summary>The learning rate used, in openTSNE's convention.</summary>
    public required double LearningRate { get; init; }

    public required int Iterations { get; init; }

    public required TsnePhaseTimes Times { get; init; }

    /// <summary>Things the caller should tell the user, e.g. that the perplexity was lowered.</summary>
    public required IReadOnlyList<string> Warnings { get; init; }
}
