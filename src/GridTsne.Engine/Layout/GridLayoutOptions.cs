namespace GridTsne.Engine.Layout;

/// <summary>
/// Settings of <see cref="GridLayoutOptimizer"/>. The defaults were chosen with bench/layout (random colors,
/// photo embeddings); see bench/README.md for the measurements behind them.
/// </summary>
public sealed record GridLayoutOptions
{
    /// <summary>Largest swap group: an exact assignment is O(k³) and its cost matrix k² distances.</summary>
    public const int MaxSwapSize = 64;

    /// <summary>Seed of every random choice; the same seed gives the same layout whatever the thread count.</summary>
    public long Seed { get; init; } = 42;

    /// <summary>
    /// Radius (in cells) of the smoothing filter and of the swap window in the first round; 0 picks
    /// <see cref="AutoRadiusFraction"/> of the longer side of the grid.
    /// </summary>
    public double InitialRadius { get; init; }

    /// <summary>
    /// The automatic initial radius, as a fraction of the grid's longer side: from a t-SNE layout ⅕ scored as
    /// well as FLAS's ½ on random colors, in fewer rounds.
    /// </summary>
    public double AutoRadiusFraction { get; init; } = 0.2;

    /// <summary>
    /// Up to this many items the candidate layouts are scored on every item's neighborhood (exact DPQ16,
    /// O(N²)). 1024 makes the choice exact on a 32 × 32 grid: at 1,000 photos a 500-item estimate kept the
    /// sorted candidate on 2 of 11 ImageNet layouts where the refined one scored higher. Up to this many items
    /// (and at most <see cref="DpqRefiner.MaxItems"/>) the DPQ16-driven swaps run last, as they hold every
    /// pair's distance and are kept only if the exact DPQ16 is higher.
    /// </summary>
    public int ExactScoreItems { get; init; } = 1024;

    /// <summary>
    /// Above <see cref="ExactScoreItems"/>, the items whose neighborhoods the candidates are scored on
    /// (O(sample × N)); a larger sample costs time and, at 100,000 items, memory (1,024 raised the peak from
    /// 1.24 to 1.73 GB).
    /// </summary>
    public int ScoreSampleSize { get; init; } = 500;

    /// <summary>Factor the radius shrinks by after every round (FLAS: 0.93, LAS: 0.99); the last round has radius 1.</summary>
    public double RadiusDecay { get; init; } = 0.99;

    /// <summary>
    /// Cells per exact assignment (FLAS: 9). On random colors (seed 1) groups of 9, 16, 36, 49 and 64 scored
    /// DPQ16 0.945, 0.947, 0.951, 0.952 and 0.950.
    /// </summary>
    public int SwapSize { get; init; } = 49;

    /// <summary>Threads to use; the result does not depend on it.</summary>
    public int MaxDegreeOfParallelism { get; init; } = Environment.ProcessorCount;

    internal void Validate()
    {
        if (!(InitialRadius >= 0) || double.IsInfinity(InitialRadius))
        {
            throw new ArgumentOutOfRangeException(nameof(InitialRadius), InitialRadius, "The initial radius must be a finite number ≥ 0.");
        }

        if (!(AutoRadiusFraction > 0 && AutoRadiusFraction <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(AutoRadiusFraction), AutoRadiusFraction, "The automatic radius fraction must be in (0, 1].");
        }

        if (!(RadiusDecay > 0 && RadiusDecay < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(RadiusDecay), RadiusDecay, "The radius decay must be in (0, 1).");
        }

        if (SwapSize < 2 || SwapSize > MaxSwapSize)
        {
            throw new ArgumentOutOfRangeException(nameof(SwapSize), SwapSize, $"The swap size must be between 2 and {MaxSwapSize}.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDegreeOfParallelism, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(ScoreSampleSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(ExactScoreItems, 1);
    }
}

/// <summary>A progress report: what runs now and the share of the whole optimization done.</summary>
public readonly record struct GridLayoutProgress(string Activity, double Fraction);

/// <summary>Which candidate layout <see cref="GridLayoutOptimizer"/> kept.</summary>
public enum GridLayoutCandidate
{
    /// <summary>Neither candidate scored higher than the input: it is returned unchanged.</summary>
    Input,

    /// <summary>The input after the local swap search alone.</summary>
    Refined,

    /// <summary>The input sorted by FLAS rounds, then the local swap search.</summary>
    Sorted,
}

/// <summary>The outcome of <see cref="GridLayoutOptimizer.Optimize"/>.</summary>
/// <param name="CellOfItem">Each item's cell (row × columns + column), in input order.</param>
/// <param name="Chosen">The candidate kept.</param>
/// <param name="RankSwapsKept">
/// Whether the last stage, swaps between neighbors driven by DPQ16's ranks (up to
/// <see cref="GridLayoutOptions.ExactScoreItems"/> items), raised the kept candidate's DPQ16 and was kept.
/// </param>
/// <param name="DpqBefore">DPQ16 of the input layout (over <paramref name="ScoredItems"/> items' neighborhoods).</param>
/// <param name="DpqAfter">DPQ16 of the layout returned, on the same items.</param>
/// <param name="ScoredItems">Items the scores were averaged over; all of them when it equals the count (exact DPQ16).</param>
/// <param name="Rounds">FLAS rounds run.</param>
/// <param name="Moves">Item moves over all rounds and swap passes of the kept candidate (and of the last stage when kept).</param>
/// <param name="Elapsed">Wall-clock time.</param>
public sealed record GridLayoutResult(
    int[] CellOfItem,
    GridLayoutCandidate Chosen,
    bool RankSwapsKept,
    double DpqBefore,
    double DpqAfter,
    int ScoredItems,
    int Rounds,
    long Moves,
    TimeSpan Elapsed);
