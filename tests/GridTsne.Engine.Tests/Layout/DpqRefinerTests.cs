using GridTsne.Engine.Assignment;
using GridTsne.Engine.Layout;
using GridTsne.Engine.Parallelism;

namespace GridTsne.Engine.Tests.Layout;

public class DpqRefinerTests
{
    [Fact]
    public void Puts_a_gradient_with_exchanged_neighbors_back_in_order()
    {
        // The features are each item's true position: DPQ16 is 1 in the ideal layout. Four disjoint pairs of
        // neighbors inside the grid are exchanged; each item's 3 × 3 mean is still near its true place, so the
        // guard lets them move back, and the ranks reward it.
        const int side = 12, count = side * side;
        float[] vectors = GridLayoutOptimizerTests.Gradient(side);
        int[] cellOfItem = Enumerable.Range(0, count).ToArray();
        foreach ((int p, int q) in new[] { (3 * side + 3, 3 * side + 4), (6 * side + 7, 7 * side + 7), (8 * side + 3, 9 * side + 4), (4 * side + 8, 4 * side + 9) })
        {
            (cellOfItem[p], cellOfItem[q]) = (q, p);
        }

        double before = BruteForceDpq(vectors, 3, side, cellOfItem);
        (DpqRefiner refiner, int[] itemAt) = Create(vectors, 3, side, side, cellOfItem, threads: 2);
        refiner.Refine(DpqRefiner.Passes);

        Assert.Equal(Enumerable.Range(0, count), cellOfItem);
        Assert.True(before < 0.999 && BruteForceDpq(vectors, 3, side, cellOfItem) > 0.999999, $"DPQ16 {before}");
        Assert.Equal(4, refiner.Moves); // exchanges
        AssertConsistent(cellOfItem, itemAt);
    }

    [Theory]
    [InlineData(9, 13, 100, 1)] // empty cells spread over a wide grid
    [InlineData(9, 13, 100, 2)]
    [InlineData(16, 16, 256, 3)] // a full grid
    [InlineData(1, 40, 31, 4)] // a single row with holes
    [InlineData(20, 3, 41, 5)] // a narrow column block
    public void Keeps_a_permutation_with_the_empty_cells_and_is_identical_across_thread_counts(int rows, int columns, int count, int seed)
    {
        float[] vectors = Clusters(count, 6, seed);
        int[] start = GridLayoutOptimizerTests.Shuffled(rows * columns, seed)[..count];
        int[] one = (int[])start.Clone(), two = (int[])start.Clone();
        (DpqRefiner single, int[] singleItemAt) = Create(vectors, 6, rows, columns, one, threads: 1);
        (DpqRefiner parallel, int[] parallelItemAt) = Create(vectors, 6, rows, columns, two, threads: 4);
        single.Refine(DpqRefiner.Passes);
        parallel.Refine(DpqRefiner.Passes);

        Assert.True(single.Moves > 0);
        Assert.Equal(one, two);
        Assert.Equal(single.Moves, parallel.Moves);
        GridLayoutOptimizerTests.AssertValidLayout(one, rows * columns);
        AssertConsistent(one, singleItemAt);
        AssertConsistent(two, parallelItemAt);
    }

    [Fact]
    public void No_pass_raises_the_items_total_distance_to_the_3_by_3_means_it_started_with()
    {
        // A full grid, so that the brute-force means are plain mirrored 3 × 3 means.
        const int rows = 14, columns = 15, count = rows * columns, dimensions = 5;
        float[] vectors = Clusters(count, dimensions, seed: 7);
        int[] cellOfItem = GridLayoutOptimizerTests.Shuffled(count, seed: 9);
        (DpqRefiner refiner, _) = Create(vectors, dimensions, rows, columns, cellOfItem, threads: 2);
        for (int pass = 0; pass < DpqRefiner.Passes; pass++)
        {
            int[] before = (int[])cellOfItem.Clone();
            double[] means = LayoutPartsTests.BoxMeans(vectors, dimensions, rows, columns, before, DpqRefiner.ContextRadius);
            long moves = refiner.Moves;
            refiner.Refine(1);
            Assert.True(refiner.Moves > moves, $"pass {pass + 1} moved nothing");
            double from = Enumerable.Range(0, count).Sum(item => Distance(vectors, dimensions, item, means, before[item]));
            double to = Enumerable.Range(0, count).Sum(item => Distance(vectors, dimensions, item, means, cellOfItem[item]));
            Assert.True(to < from, $"pass {pass + 1}: {from} → {to}");
        }
    }

    [Fact]
    public void Raises_dpq16_from_a_shuffled_layout()
    {
        const int rows = 12, columns = 14, count = 150;
        float[] vectors = Clusters(count, 8, seed: 3);
        int[] cellOfItem = GridLayoutOptimizerTests.Shuffled(rows * columns, seed: 5)[..count];
        double before = BruteForceDpq(vectors, 8, columns, cellOfItem);
        (DpqRefiner refiner, _) = Create(vectors, 8, rows, columns, cellOfItem, threads: 2);
        refiner.Refine(DpqRefiner.Passes);
        double after = BruteForceDpq(vectors, 8, columns, cellOfItem);
        Assert.True(after > before + 0.02, $"DPQ16 {before:0.0000} → {after:0.0000}");
    }

    [Theory]
    [InlineData(16, 16, 256, 1)]
    [InlineData(9, 13, 100, 2)]
    [InlineData(6, 40, 200, 3)]
    [InlineData(31, 33, 1000, 4)]
    public void In_the_optimizer_it_never_lowers_brute_force_dpq16_and_is_kept_only_when_higher(int rows, int columns, int count, int seed)
    {
        float[] vectors = Clusters(count, 16, seed);
        var shape = new GridShape(rows, columns);
        int[] start = GridLayoutOptimizerTests.Shuffled(rows * columns, seed)[..count];

        // The same candidates scored exactly on every item, without the last stage (it runs up to ExactScoreItems only).
        GridLayoutResult without = GridLayoutOptimizer.Optimize(vectors, count, shape, start, new GridLayoutOptions { ExactScoreItems = 1, ScoreSampleSize = count });
        GridLayoutResult with = GridLayoutOptimizer.Optimize(vectors, count, shape, start);
        Assert.False(without.RankSwapsKept);
        Assert.Equal(without.Chosen, with.Chosen);
        GridLayoutOptimizerTests.AssertValidLayout(with.CellOfItem, shape.CellCount);

        double candidate = BruteForceDpq(vectors, 16, columns, without.CellOfItem), final = BruteForceDpq(vectors, 16, columns, with.CellOfItem);
        Assert.Equal(final, with.DpqAfter, 5);
        if (with.RankSwapsKept)
        {
            Assert.True(final > candidate, $"kept at DPQ16 {candidate} → {final}");
        }
        else
        {
            Assert.Equal(without.CellOfItem, with.CellOfItem);
        }
    }

    [Fact]
    public void The_optimizer_keeps_it_on_clustered_photo_like_vectors()
    {
        const int count = 400;
        float[] vectors = Clusters(count, 32, seed: 12);
        var shape = GridShape.ForCount(count);
        GridLayoutResult result = GridLayoutOptimizer.Optimize(vectors, count, shape, GridLayoutOptimizerTests.Shuffled(count, seed: 13));
        Assert.True(result.RankSwapsKept);
    }

    [Fact]
    public void Cancellation_stops_it_between_rows()
    {
        const int rows = 20, columns = 20, count = 400;
        float[] vectors = Clusters(count, 8, seed: 2);
        int[] cellOfItem = GridLayoutOptimizerTests.Shuffled(count, seed: 3);
        using var cancellation = new CancellationTokenSource();
        (DpqRefiner refiner, _) = Create(vectors, 8, rows, columns, cellOfItem, threads: 2, cancellation.Token);

        // Cancelled after the first pass: the second stops before moving anything.
        Assert.ThrowsAny<OperationCanceledException>(() => refiner.Refine(DpqRefiner.Passes, pass => cancellation.Cancel()));
        Assert.True(refiner.Moves > 0);

        // And in the optimizer, once the stage has started.
        using var stage = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => GridLayoutOptimizer.Optimize(vectors, count, GridShape.ForCount(count), cellOfItem, progress: report =>
        {
            if (report.Activity.Contains("DPQ16", StringComparison.Ordinal))
            {
                stage.Cancel();
            }
        }, cancellation: stage.Token));
        Assert.True(stage.IsCancellationRequested);
    }

    private static (DpqRefiner Refiner, int[] ItemAt) Create(float[] vectors, int dimensions, int rows, int columns, int[] cellOfItem, int threads, CancellationToken cancellation = default)
    {
        int[] itemAt = Enumerable.Repeat(-1, rows * columns).ToArray();
        for (int item = 0; item < cellOfItem.Length; item++)
        {
            itemAt[cellOfItem[item]] = item;
        }

        var map = new SmoothedMap(rows, columns, dimensions, new float[dimensions]);
        return (new DpqRefiner(vectors, dimensions, rows, columns, itemAt, cellOfItem, map, new FixedParallel(threads, cancellation)), itemAt);
    }

    private static void AssertConsistent(int[] cellOfItem, int[] itemAt)
    {
        Assert.Equal(cellOfItem.Length, itemAt.Count(item => item >= 0));
        for (int item = 0; item < cellOfItem.Length; item++)
        {
            Assert.Equal(item, itemAt[cellOfItem[item]]);
        }
    }

    private static double Distance(float[] vectors, int dimensions, int item, double[] means, int cell) =>
        Math.Sqrt(Enumerable.Range(0, dimensions).Sum(d => Math.Pow(vectors[item * dimensions + d] - means[cell * dimensions + d], 2)));

    /// <summary>Gaussian-ish clusters (sums of uniforms around 12 random centers), like photo embeddings' groups.</summary>
    private static float[] Clusters(int count, int dimensions, int seed)
    {
        var random = new Random(seed);
        double[] centers = Enumerable.Range(0, 12 * dimensions).Select(_ => random.NextDouble() * 4).ToArray();
        var vectors = new float[count * dimensions];
        for (int item = 0; item < count; item++)
        {
            int cluster = random.Next(12);
            for (int d = 0; d < dimensions; d++)
            {
                vectors[item * dimensions + d] = (float)(centers[cluster * dimensions + d] + random.NextDouble() + random.NextDouble() - 1);
            }
        }

        return vectors;
    }

    /// <summary>
    /// DPQ16 from its definition (Barthel et al., CGF 2023), in doubles with LINQ sorts: for every item the
    /// others by feature distance and by squared grid distance (ties by feature distance); D_k the mean over
    /// items of the average distance to the first k; g_k = max(0, (D̄ − D_k) / D̄);
    /// DPQ16 = ‖g(grid)‖₁₆ / ‖g(feature)‖₁₆.
    /// </summary>
    internal static double BruteForceDpq(float[] vectors, int dimensions, int columns, int[] cellOfItem)
    {
        int count = cellOfItem.Length;
        var featureOrder = new double[count - 1];
        var gridOrder = new double[count - 1];
        for (int i = 0; i < count; i++)
        {
            var others = Enumerable.Range(0, count).Where(j => j != i).Select(j =>
            {
                double distance = Math.Sqrt(Enumerable.Range(0, dimensions).Sum(d => Math.Pow((double)vectors[i * dimensions + d] - vectors[j * dimensions + d], 2)));
                int dr = cellOfItem[i] / columns - cellOfItem[j] / columns, dc = cellOfItem[i] % columns - cellOfItem[j] % columns;
                return (Distance: distance, Squared: dr * dr + dc * dc);
            }).ToList();
            AddAverages(others.OrderBy(o => o.Distance).Select(o => o.Distance), featureOrder);
            AddAverages(others.OrderBy(o => o.Squared).ThenBy(o => o.Distance).Select(o => o.Distance), gridOrder);
        }

        double mean = featureOrder[^1] / count;
        double Norm(double[] sums) => Math.Pow(sums.Sum(sum => Math.Pow(Math.Max(0, (mean - sum / count) / mean), 16)), 1.0 / 16);
        return Norm(gridOrder) / Norm(featureOrder);

        static void AddAverages(IEnumerable<double> distances, double[] sums)
        {
            double running = 0;
            int k = 0;
            foreach (double distance in distances)
            {
                running += distance;
                sums[k] += running / ++k;
            }
        }
    }
}
