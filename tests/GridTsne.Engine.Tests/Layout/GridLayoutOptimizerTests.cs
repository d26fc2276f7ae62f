using GridTsne.Engine.Assignment;
using GridTsne.Engine.Layout;
using GridTsne.Engine.Quality;

namespace GridTsne.Engine.Tests.Layout;

public class GridLayoutOptimizerTests
{
    [Fact]
    public void Sorts_a_shuffled_gradient_far_better_and_returns_a_valid_permutation()
    {
        // The features are each item's true position (plus a third, dependent axis): the ideal layout is known.
        const int side = 16, count = side * side;
        float[] vectors = Gradient(side);
        int[] shuffled = Shuffled(count, seed: 5);
        var shape = new GridShape(side, side);
        int[] input = (int[])shuffled.Clone();

        GridLayoutResult result = GridLayoutOptimizer.Optimize(vectors, count, shape, shuffled);

        Assert.Equal(input, shuffled); // the caller's layout is not changed
        AssertValidLayout(result.CellOfItem, shape.CellCount);
        double before = Dpq(vectors, count, side, shuffled), after = Dpq(vectors, count, side, result.CellOfItem);
        Assert.True(after > before + 0.3, $"DPQ16 {before:0.000} → {after:0.000}");
        Assert.True(after > 0.85, $"DPQ16 after {after:0.000}");
        Assert.True(MeanFourNeighborDistance(vectors, side, side, result.CellOfItem) < 0.5 * MeanFourNeighborDistance(vectors, side, side, shuffled));

        // The scores it reports are the exact ones (256 items is within the default sample).
        Assert.Equal(count, result.ScoredItems);
        Assert.Equal(before, result.DpqBefore, 9);
        Assert.Equal(after, result.DpqAfter, 9);
    }

    [Fact]
    public void Never_returns_a_layout_that_scores_below_the_input()
    {
        // The ideal layout of a gradient: nothing can improve it, so it must come back with the same score.
        const int side = 10, count = side * side;
        float[] vectors = Gradient(side);
        int[] ideal = Enumerable.Range(0, count).ToArray();
        GridLayoutResult result = GridLayoutOptimizer.Optimize(vectors, count, new GridShape(side, side), ideal);
        double before = Dpq(vectors, count, side, ideal);
        Assert.True(Dpq(vectors, count, side, result.CellOfItem) >= before - 1e-12);
    }

    [Theory]
    [InlineData(60, 100, 10, 60)] // within ExactScoreItems: every item, exact
    [InlineData(60, 20, 100, 60)] // within the sample size: every item
    [InlineData(60, 20, 10, 10)] // above both: a sample of ScoreSampleSize items
    public void Scores_every_item_up_to_the_exact_limit_and_a_sample_above(int count, int exactItems, int sampleSize, int expected)
    {
        float[] vectors = RandomVectors(count, 4, seed: 21);
        var shape = GridShape.ForCount(count);
        int[] start = Shuffled(shape.CellCount, seed: 22)[..count];
        GridLayoutResult result = GridLayoutOptimizer.Optimize(vectors, count, shape, start, new GridLayoutOptions { ExactScoreItems = exactItems, ScoreSampleSize = sampleSize });
        Assert.Equal(expected, result.ScoredItems);
        if (expected == count)
        {
            int[] rows = Array.ConvertAll(start, cell => cell / shape.Columns), columns = Array.ConvertAll(start, cell => cell % shape.Columns);
            Assert.Equal(GridLayoutQuality.Measure(vectors, count, rows, columns, null).Dpq16, result.DpqBefore, 9);
        }
    }

    [Fact]
    public void The_same_seed_gives_the_same_layout_whatever_the_thread_count()
    {
        const int count = 300;
        float[] vectors = RandomVectors(count, 8, seed: 11);
        var shape = GridShape.ForCount(count);
        int[] start = Shuffled(count, seed: 2);
        GridLayoutResult one = GridLayoutOptimizer.Optimize(vectors, count, shape, start, new GridLayoutOptions { Seed = 9, MaxDegreeOfParallelism = 1 });
        GridLayoutResult four = GridLayoutOptimizer.Optimize(vectors, count, shape, start, new GridLayoutOptions { Seed = 9, MaxDegreeOfParallelism = 4 });
        GridLayoutResult other = GridLayoutOptimizer.Optimize(vectors, count, shape, start, new GridLayoutOptions { Seed = 10, MaxDegreeOfParallelism = 4 });
        Assert.Equal(one.CellOfItem, four.CellOfItem);
        Assert.Equal(one.DpqAfter, four.DpqAfter);
        Assert.NotEqual(one.CellOfItem, other.CellOfItem);
    }

    [Theory]
    [InlineData(5, 13, 50)] // a wide grid with 15 empty cells
    [InlineData(1, 40, 33)] // a single row
    [InlineData(30, 1, 30)] // a single column, full
    [InlineData(8, 8, 3)]   // nearly empty
    public void Empty_cells_and_thin_grids_give_valid_layouts(int rows, int columns, int count)
    {
        float[] vectors = RandomVectors(count, 3, seed: rows + columns);
        var shape = new GridShape(rows, columns);
        int[] start = Shuffled(rows * columns, seed: 4)[..count];
        GridLayoutResult result = GridLayoutOptimizer.Optimize(vectors, count, shape, start);
        AssertValidLayout(result.CellOfItem, shape.CellCount);
        Assert.True(result.DpqAfter >= result.DpqBefore);
    }

    [Fact]
    public void Bad_layouts_and_vectors_are_refused()
    {
        float[] vectors = RandomVectors(4, 2, seed: 1);
        var shape = new GridShape(2, 2);
        Assert.Throws<ArgumentException>(() => GridLayoutOptimizer.Optimize(vectors, 4, shape, [0, 1, 1, 2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => GridLayoutOptimizer.Optimize(vectors, 4, shape, [0, 1, 2, 4]));
        Assert.Throws<GridShapeException>(() => GridLayoutOptimizer.Optimize(RandomVectors(5, 2, 1), 5, shape, [0, 1, 2, 3, 3]));
        vectors[3] = float.NaN;
        ArgumentException nan = Assert.Throws<ArgumentException>(() => GridLayoutOptimizer.Optimize(vectors, 4, shape, [0, 1, 2, 3]));
        Assert.Contains("Item 2", nan.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => GridLayoutOptimizer.Optimize(RandomVectors(4, 2, 1), 4, shape, [0, 1, 2, 3], new GridLayoutOptions { SwapSize = 1 }));
    }

    [Fact]
    public void A_cancelled_token_stops_it()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            GridLayoutOptimizer.Optimize(RandomVectors(100, 4, 3), 100, GridShape.ForCount(100), Enumerable.Range(0, 100).ToArray(), cancellation: cancelled.Token));
    }

    [Fact]
    public void Reports_progress_up_to_done()
    {
        var reports = new List<GridLayoutProgress>();
        GridLayoutOptimizer.Optimize(RandomVectors(64, 3, 8), 64, GridShape.ForCount(64), Shuffled(64, 1), progress: reports.Add);
        Assert.NotEmpty(reports);
        Assert.All(reports, report => Assert.InRange(report.Fraction, 0, 1));
        Assert.Contains(reports, report => report.Activity.StartsWith("Sorting", StringComparison.Ordinal));
    }

    [Fact]
    public void The_schedule_shrinks_to_radius_one()
    {
        int[] radii = GridLayoutOptimizer.Schedule(new GridLayoutOptions { InitialRadius = 10, RadiusDecay = 0.5 }, new GridShape(40, 40));
        Assert.Equal([10, 5, 3, 1], radii); // 10, 5, 2.5 → 3 (half away from zero, as FLAS), 1.25 → 1; then 0.625 stops

        // A million cells: the 0.99 decay from radius 200 would take 528 rounds; the budget allows 50.
        int[] large = GridLayoutOptimizer.Schedule(new GridLayoutOptions(), new GridShape(1000, 1000));
        Assert.Equal(200, large[0]);
        Assert.InRange(large.Length, 50, 51);
        Assert.Equal(1, large[^1]);
    }

    [Fact]
    public void The_sampled_score_with_every_item_is_measure_quality_exactly()
    {
        const int count = 49;
        float[] vectors = RandomVectors(count, 6, seed: 21);
        int[] cells = Shuffled(count, 3);
        int[] rows = Array.ConvertAll(cells, c => c / 7), columns = Array.ConvertAll(cells, c => c % 7);
        double exact = GridLayoutQuality.Measure(vectors, count, rows, columns, null).Dpq16;
        Assert.Equal(exact, GridLayoutQuality.EstimateDpq(vectors, count, rows, columns, Enumerable.Range(0, count).ToArray(), default));
        double sampled = GridLayoutQuality.EstimateDpq(vectors, count, rows, columns, [0, 5, 9, 30], default);
        Assert.InRange(sampled, 0, 1);
    }

    internal static float[] Gradient(int side)
    {
        var vectors = new float[side * side * 3];
        for (int cell = 0; cell < side * side; cell++)
        {
            vectors[cell * 3] = cell / side;
            vectors[(cell * 3) + 1] = cell % side;
            vectors[(cell * 3) + 2] = 0.3f * ((cell / side) - (cell % side));
        }

        return vectors;
    }

    internal static float[] RandomVectors(int count, int dimensions, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count * dimensions).Select(_ => (float)random.NextDouble()).ToArray();
    }

    internal static int[] Shuffled(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).OrderBy(_ => random.Next()).ToArray();
    }

    internal static void AssertValidLayout(int[] cellOfItem, int cellCount)
    {
        Assert.All(cellOfItem, cell => Assert.InRange(cell, 0, cellCount - 1));
        Assert.Equal(cellOfItem.Length, cellOfItem.Distinct().Count());
    }

    private static double Dpq(float[] vectors, int count, int columns, int[] cells) =>
        GridLayoutQuality.Measure(vectors, count, Array.ConvertAll(cells, c => c / columns), Array.ConvertAll(cells, c => c % columns), null).Dpq16;

    /// <summary>An independent check: the mean feature distance between items in 4-adjacent cells.</summary>
    internal static double MeanFourNeighborDistance(float[] vectors, int rows, int columns, int[] cellOfItem)
    {
        int dimensions = vectors.Length / cellOfItem.Length;
        var itemAt = new Dictionary<int, int>();
        for (int item = 0; item < cellOfItem.Length; item++)
        {
            itemAt[cellOfItem[item]] = item;
        }

        double sum = 0;
        int pairs = 0;
        foreach ((int cell, int item) in itemAt)
        {
            int row = cell / columns, column = cell % columns;
            foreach (int neighborCell in new[] { column + 1 < columns ? cell + 1 : -1, row + 1 < rows ? cell + columns : -1 })
            {
                if (neighborCell >= 0 && itemAt.TryGetValue(neighborCell, out int neighbor))
                {
                    sum += Math.Sqrt(Enumerable.Range(0, dimensions).Sum(d => Math.Pow(vectors[(item * dimensions) + d] - vectors[(neighbor * dimensions) + d], 2)));
                    pairs++;
                }
            }
        }

        return sum / pairs;
    }
}
