using System.Diagnostics;
using System.Runtime.CompilerServices;
using GridTsne.Engine.Assignment;
using GridTsne.Engine.Parallelism;
using GridTsne.Engine.Quality;
using GridTsne.Engine.Tsne;

namespace GridTsne.Engine.Layout;

/// <summary>
/// Rearranges items on a grid so that neighboring cells hold items that are close in feature space, starting
/// from an existing layout (e.g. t-SNE + exact assignment). Two candidates are built and the one with the
/// higher DPQ16 is kept (never one that scores below the input):
/// <list type="number">
/// <item>Refined: the input after a local swap search on the neighborhood cost (<see cref="NeighborhoodRefiner"/>).</item>
/// <item>Sorted: Fast Linear Assignment Sorting (FLAS, Barthel et al., CGF 2023) warm-started from the input,
/// then the same swap search.</item>
/// </list>
/// bench/layout measured why both: on low-dimensional data that fills its space (random colors) FLAS adds
/// about +0.02 DPQ16 over t-SNE + assignment, while on photo embeddings it loses 0.01–0.04 against the t-SNE
/// layout, which the swap search alone improves by about +0.02.
/// <para>
/// Up to <see cref="GridLayoutOptions.ExactScoreItems"/> items, where every pair's distance fits in memory and
/// scores are exact, the kept candidate then goes through swaps driven by DPQ16 itself (<see cref="DpqRefiner"/>),
/// kept only if its DPQ16 is higher: on photo embeddings they add about +0.01–0.015.
/// </para>
/// <para>
/// A FLAS round smooths the current layout into a map (<see cref="SmoothedMap"/>), then lets groups of cells
/// exchange their items by an exact assignment of items to the map's vectors
/// (<see cref="DenseJonkerVolgenant{TMatrix, TRow}"/>, squared Euclidean cost). The radius of the filter and
/// of the window the groups are drawn from shrinks every round, down to 1. FLAS draws its groups one after
/// the other; here every round tiles the grid with windows at a random offset, shuffles each window's cells
/// and cuts them into groups. The groups of a round are disjoint and the map is fixed during a round, so they
/// are solved in parallel and the layout depends only on the seed. Empty cells are columns no item needs: an
/// assignment of fewer items than cells leaves them where they are cheapest.
/// </para>
/// </summary>
public static class GridLayoutOptimizer
{
    private const int TilesPerChunk = 8;
    /// <summary>Passes of the swap search at most; on 1,000 photos it settles after 4 to 8 (30 allowed gave the same).</summary>
    private const int MaxRefinementPasses = 10;

    /// <summary>
    /// Progress units of one pass of the DPQ16-driven swaps, in the units of the weights below: at 1,000 × 512 the
    /// whole stage took about 0.4 s of CPU against about 2.7 s for everything before it.
    /// </summary>
    private const double RankPassUnits = 10;

    /// <summary>Rounds × cells at most (then the radius decays faster): 150 rounds at 10,000 cells.</summary>
    private const double RoundCellsBudget = 1_500_000;

    /// <summary>Rounds at least, however large the grid (FLAS's 0.93 decay from radius 63 takes 57).</summary>
    private const double MinRounds = 50;

    /// <summary>Rearranges the items; the input layout is not changed.</summary>
    /// <param name="vectors">Row-major feature vectors, <paramref name="count"/> × dimensions.</param>
    /// <param name="count">Number of items.</param>
    /// <param name="shape">The grid; it has at least <paramref name="count"/> cells.</param>
    /// <param name="cellOfItem">Each item's starting cell (row × columns + column), all different.</param>
    /// <param name="options">Settings; null for the defaults.</param>
    /// <param name="progress">Called now and then on the calling thread.</param>
    /// <param name="cancellation">Checked between groups of cells.</param>
    public static GridLayoutResult Optimize(
        ReadOnlyMemory<float> vectors,
        int count,
        GridShape shape,
        ReadOnlySpan<int> cellOfItem,
        GridLayoutOptions? options = null,
        Action<GridLayoutProgress>? progress = null,
        CancellationToken cancellation = default)
    {
        options ??= new GridLayoutOptions();
        options.Validate();
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (cellOfItem.Length != count)
        {
            throw new ArgumentException($"There are {count} items but {cellOfItem.Length} cells.", nameof(cellOfItem));
        }

        if (count > shape.CellCount)
        {
            throw new GridShapeException($"A grid of {shape} has {shape.CellCount:N0} cells, fewer than the {count:N0} items.");
        }

        if (count > 0 && vectors.Length % count != 0)
        {
            throw new ArgumentException("The vectors do not divide evenly into the items.", nameof(vectors));
        }

        int dimensions = count == 0 ? 0 : vectors.Length / count;
        int[] inputItemAt = ItemsByCell(cellOfItem, shape.CellCount);
        int[] input = cellOfItem.ToArray();
        var stopwatch = Stopwatch.StartNew();
        if (count < 2 || dimensions == 0)
        {
            return new GridLayoutResult(input, GridLayoutCandidate.Input, false, 1, 1, count, 0, 0, stopwatch.Elapsed);
        }

        int nonFinite = TsneRunner.FindNonFinite(vectors.Span);
        if (nonFinite >= 0)
        {
            throw new ArgumentException($"Item {(nonFinite / dimensions) + 1} has a NaN or infinite value in its vector.", nameof(vectors));
        }

        var parallel = new FixedParallel(options.MaxDegreeOfParallelism, cancellation);
        int[] radii = Schedule(options, shape);

        // Progress weights: each refinement pass about as long as 15 FLAS rounds (measured at 1,000 × 512).
        bool rankSwaps = count <= Math.Min(options.ExactScoreItems, DpqRefiner.MaxItems);
        double total = radii.Length + (4.0 * 15 * 2) + (rankSwaps ? DpqRefiner.Passes * RankPassUnits : 0), done = 0;
        void Report(string activity, double units)
        {
            done += units;
            progress?.Invoke(new GridLayoutProgress(activity, Math.Min(1, done / total)));
        }

        int[] sample = ScoreSample(count, options);
        double Score(int[] cells) => GridLayoutQuality.EstimateDpq(
            vectors, count, Array.ConvertAll(cells, c => c / shape.Columns), Array.ConvertAll(cells, c => c % shape.Columns), sample, cancellation);

        double before = Score(input);

        // One map serves every stage in turn (the swap searches' context means, FLAS's smoothed map, the DPQ16
        // stage's context means): at 100,000 × 512 it is 400 MB. Only the first stage sees empty cells hold the
        // mean of all vectors: each smoothing starts an empty cell from its previous value (with a small weight),
        // so later stages inherit what the earlier ones left there.
        var map = new SmoothedMap(shape.Rows, shape.Columns, dimensions, Pca.ColumnMeans(vectors.Span, count, dimensions, cancellation));
        var refinedItemAt = (int[])inputItemAt.Clone();
        var refined = (int[])input.Clone();
        var refiner = new NeighborhoodRefiner(vectors, dimensions, shape.Rows, shape.Columns, refinedItemAt, refined, map, parallel);
        refiner.Refine(MaxRefinementPasses, pass => Report("Swapping neighbors in the input layout", 15));
        double refinedScore = Score(refined);

        var sortedItemAt = (int[])inputItemAt.Clone();
        var sorted = (int[])input.Clone();
        var run = new Run(vectors, dimensions, shape, sortedItemAt, sorted, map, options, parallel);
        for (int round = 0; round < radii.Length; round++)
        {
            cancellation.ThrowIfCancellationRequested();
            run.Round(round, radii[round]);
            Report($"Sorting: round {round + 1} of {radii.Length}, radius {radii[round]}", 1);
        }

        var sortedRefiner = new NeighborhoodRefiner(vectors, dimensions, shape.Rows, shape.Columns, sortedItemAt, sorted, map, parallel);
        sortedRefiner.Refine(MaxRefinementPasses, pass => Report("Swapping neighbors in the sorted layout", 15));
        double sortedScore = Score(sorted);

        (GridLayoutCandidate chosen, int[] cells, double after, long moves) =
            sortedScore > refinedScore && sortedScore > before ? (GridLayoutCandidate.Sorted, sorted, sortedScore, run.Moves + sortedRefiner.Moves)
            : refinedScore > before ? (GridLayoutCandidate.Refined, refined, refinedScore, refiner.Moves)
            : (GridLayoutCandidate.Input, input, before, 0L);

        // The DPQ16-driven stage, where the candidates are scored exactly (its result is kept only if higher).
        bool rankSwapsKept = false;
        if (rankSwaps)
        {
            var swapped = (int[])cells.Clone();
            var rankRefiner = new DpqRefiner(vectors, dimensions, shape.Rows, shape.Columns, ItemsByCell(swapped, shape.CellCount), swapped, map, parallel);
            rankRefiner.Refine(DpqRefiner.Passes, pass => Report("Swapping neighbors by their DPQ16 ranks", RankPassUnits));

            // Without a move the layout is the candidate itself, already scored: skip the exact N² · d pass.
            if (rankRefiner.Moves > 0)
            {
                double swappedScore = Score(swapped);
                if (swappedScore > after)
                {
                    (cells, after, moves, rankSwapsKept) = (swapped, swappedScore, moves + rankRefiner.Moves, true);
                }
            }
        }

        return new GridLayoutResult(cells, chosen, rankSwapsKept, before, after, sample.Length, radii.Length, moves, stopwatch.Elapsed);
    }

    /// <summary>The items the candidates are scored on: all (up to <see cref="GridLayoutOptions.ExactScoreItems"/>), or a sample drawn from the seed.</summary>
    private static int[] ScoreSample(int count, GridLayoutOptions options)
    {
        int[] items = new int[count];
        for (int i = 0; i < count; i++)
        {
            items[i] = i;
        }

        if (count <= Math.Max(options.ExactScoreItems, options.ScoreSampleSize))
        {
            return items;
        }

        var random = new TsneRandom(StreamSeed(options.Seed, -1, -1));
        for (int i = 0; i < options.ScoreSampleSize; i++)
        {
            int j = i + random.NextInt(count - i);
            (items[i], items[j]) = (items[j], items[i]);
        }

        int[] sample = items[..options.ScoreSampleSize];
        Array.Sort(sample);
        return sample;
    }

    /// <summary>
    /// The radius of every round: from the initial radius down by the decay factor, the last one 1. Large grids
    /// get a faster decay, so that rounds × cells stays within <see cref="RoundCellsBudget"/> (and at least
    /// <see cref="MinRounds"/> rounds): a round costs cells × swap size distances.
    /// </summary>
    internal static int[] Schedule(GridLayoutOptions options, GridShape shape)
    {
        int side = Math.Max(shape.Rows, shape.Columns);
        double radius = options.InitialRadius > 0 ? options.InitialRadius : options.AutoRadiusFraction * side;
        radius = Math.Min(radius, side);
        double decay = options.RadiusDecay;
        double maxRounds = Math.Max(MinRounds, RoundCellsBudget / shape.CellCount);
        if (radius > 1 && Math.Log(radius) / -Math.Log(decay) > maxRounds)
        {
            decay = Math.Pow(radius, -1 / maxRounds);
        }

        var radii = new List<int>();
        do
        {
            radii.Add(Math.Max(1, (int)Math.Round(radius, MidpointRounding.AwayFromZero)));
            radius *= decay;
        }
        while (radius > 1);
        return [.. radii];
    }

    private static int[] ItemsByCell(ReadOnlySpan<int> cellOfItem, int cellCount)
    {
        var itemAt = new int[cellCount];
        Array.Fill(itemAt, -1);
        for (int item = 0; item < cellOfItem.Length; item++)
        {
            int cell = cellOfItem[item];
            if ((uint)cell >= (uint)cellCount)
            {
                throw new ArgumentOutOfRangeException(nameof(cellOfItem), cell, $"Item {item + 1} is in cell {cell}, outside the grid's {cellCount} cells.");
            }

            if (itemAt[cell] >= 0)
            {
                throw new ArgumentException($"Items {itemAt[cell] + 1} and {item + 1} share cell {cell}.", nameof(cellOfItem));
            }

            itemAt[cell] = item;
        }

        return itemAt;
    }

    /// <summary>A 64-bit mix of the seed and a round/stream pair (SplitMix64's finaliser), so streams never overlap.</summary>
    private static long StreamSeed(long seed, int round, int stream)
    {
        ulong z = unchecked((ulong)seed ^ ((ulong)(uint)round << 32) ^ (uint)stream);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return unchecked((long)(z ^ (z >> 31)));
    }

    /// <summary>The state of one optimization: the layout both ways, the map and the per-round swaps.</summary>
    private sealed class Run
    {
        private readonly ReadOnlyMemory<float> _vectors;
        private readonly int _dimensions;
        private readonly int _rows;
        private readonly int _columns;
        private readonly int[] _itemAt;
        private readonly int[] _cellOfItem;
        private readonly GridLayoutOptions _options;
        private readonly FixedParallel _parallel;
        private readonly SmoothedMap _map;
        private long _moves;

        public Run(ReadOnlyMemory<float> vectors, int dimensions, GridShape shape, int[] itemAt, int[] cellOfItem, SmoothedMap map, GridLayoutOptions options, FixedParallel parallel)
        {
            _vectors = vectors;
            _dimensions = dimensions;
            _rows = shape.Rows;
            _columns = shape.Columns;
            _itemAt = itemAt;
            _cellOfItem = cellOfItem;
            _options = options;
            _parallel = parallel;
            _map = map;
        }

        public long Moves => _moves;

        public void Round(int round, int radius)
        {
            _map.Smooth(_vectors.Span, _itemAt, Math.Min(radius, _columns / 2), Math.Min(radius, _rows / 2), _parallel);

            // The window: (2r + 1)² cells, widened alternately until it holds a whole group.
            int width = Math.Min((2 * radius) + 1, _columns);
            int height = Math.Min((2 * radius) + 1, _rows);
            for (int k = 0; width * height < _options.SwapSize && (width < _columns || height < _rows); k++)
            {
                if ((k % 2 == 0 && width < _columns) || height == _rows)
                {
                    width++;
                }
                else
                {
                    height++;
                }
            }

            var random = new TsneRandom(StreamSeed(_options.Seed, round, -1));
            int offsetX = random.NextInt(width);
            int offsetY = random.NextInt(height);
            int tilesAcross = (_columns + offsetX + width - 1) / width;
            int tilesDown = (_rows + offsetY + height - 1) / height;
            int tiles = tilesAcross * tilesDown;
            var chunkMoves = new long[FixedParallel.ChunkCount(tiles, TilesPerChunk)];
            _parallel.For(tiles, TilesPerChunk, (start, end) =>
            {
                var swapper = new GroupSwapper(this, width * height);
                for (int tile = start; tile < end; tile++)
                {
                    int left = ((tile % tilesAcross) * width) - offsetX;
                    int top = ((tile / tilesAcross) * height) - offsetY;
                    swapper.SwapTile(left, top, width, height, new TsneRandom(StreamSeed(_options.Seed, round, tile)));
                }

                chunkMoves[start / TilesPerChunk] = swapper.Moves;
            });

            foreach (long moves in chunkMoves)
            {
                _moves += moves;
            }
        }

        /// <summary>One thread's buffers for the groups of its tiles.</summary>
        private sealed class GroupSwapper(Run run, int windowCells)
        {
            private readonly int[] _windowCells = new int[windowCells];
            private readonly int[] _groupItems = new int[run._options.SwapSize];
            private readonly double[] _costs = new double[run._options.SwapSize * run._options.SwapSize];

            public long Moves { get; private set; }

            public void SwapTile(int left, int top, int width, int height, TsneRandom random)
            {
                int count = 0;
                for (int row = Math.Max(top, 0); row < Math.Min(top + height, run._rows); row++)
                {
                    for (int column = Math.Max(left, 0); column < Math.Min(left + width, run._columns); column++)
                    {
                        _windowCells[count++] = (row * run._columns) + column;
                    }
                }

                for (int i = count - 1; i > 0; i--)
                {
                    int j = random.NextInt(i + 1);
                    (_windowCells[i], _windowCells[j]) = (_windowCells[j], _windowCells[i]);
                }

                int size = run._options.SwapSize;
                for (int start = 0; start < count; start += size)
                {
                    Swap(_windowCells.AsSpan(start, Math.Min(size, count - start)));
                }
            }

            /// <summary>Reassigns the items of <paramref name="group"/>'s cells among those cells, at least total cost.</summary>
            [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first call: tier-0 code would run for seconds
            private void Swap(Span<int> group)
            {
                if (group.Length < 2)
                {
                    return;
                }

                int items = 0;
                foreach (int cell in group)
                {
                    if (run._itemAt[cell] >= 0)
                    {
                        _groupItems[items++] = run._itemAt[cell];
                    }
                }

                if (items == 0)
                {
                    return;
                }

                int dimensions = run._dimensions;
                ReadOnlySpan<float> vectors = run._vectors.Span;
                for (int i = 0; i < items; i++)
                {
                    ReadOnlySpan<float> vector = vectors.Slice(_groupItems[i] * dimensions, dimensions);
                    for (int j = 0; j < group.Length; j++)
                    {
                        _costs[(i * group.Length) + j] = FeatureDistance.Squared(vector, run._map[group[j]]);
                    }
                }

                AssignmentSolution solution = DenseJonkerVolgenant<ExplicitCostMatrix, ExplicitCostMatrix.MatrixRow>
                    .Solve(new ExplicitCostMatrix(_costs, items, group.Length), null, run._parallel.Token);
                foreach (int cell in group)
                {
                    run._itemAt[cell] = -1;
                }

                for (int i = 0; i < items; i++)
                {
                    int item = _groupItems[i];
                    int cell = group[solution.ColumnOfRow[i]];
                    if (run._cellOfItem[item] != cell)
                    {
                        Moves++;
                    }

                    run._itemAt[cell] = item;
                    run._cellOfItem[item] = cell;
                }
            }
        }
    }
}
