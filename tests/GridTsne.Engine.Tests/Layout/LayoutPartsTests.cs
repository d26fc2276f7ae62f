using GridTsne.Engine.Layout;
using GridTsne.Engine.Parallelism;

namespace GridTsne.Engine.Tests.Layout;

public class LayoutPartsTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 2)]
    [InlineData(3, 2)]
    public void The_smoothed_map_is_the_weighted_mirrored_box_mean(int radiusX, int radiusY)
    {
        const int rows = 5, columns = 7, dimensions = 2;
        var random = new Random(radiusX * 10 + radiusY);
        int[] itemAt = Enumerable.Range(0, rows * columns).Select(cell => cell % 4 == 3 ? -1 : cell).ToArray();
        float[] vectors = Enumerable.Range(0, rows * columns * dimensions).Select(_ => (float)random.NextDouble()).ToArray();
        float[] holeStart = [0.25f, -0.5f];
        var map = new SmoothedMap(rows, columns, dimensions, holeStart);
        map.Smooth(vectors, itemAt, radiusX, radiusY, new FixedParallel(2, default));

        static int Mirror(int i, int n) => i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i;
        for (int row = 0; row < rows; row++)
        {
            for (int column = 0; column < columns; column++)
            {
                var sum = new double[dimensions];
                double weights = 0;
                for (int dr = -radiusY; dr <= radiusY; dr++)
                {
                    for (int dc = -radiusX; dc <= radiusX; dc++)
                    {
                        int cell = Mirror(row + dr, rows) * columns + Mirror(column + dc, columns);
                        double weight = itemAt[cell] >= 0 ? 1 : 0.01;
                        for (int d = 0; d < dimensions; d++)
                        {
                            sum[d] += weight * (itemAt[cell] >= 0 ? vectors[itemAt[cell] * dimensions + d] : holeStart[d]);
                        }

                        weights += weight;
                    }
                }

                ReadOnlySpan<float> smoothed = map[row * columns + column];
                for (int d = 0; d < dimensions; d++)
                {
                    Assert.Equal(sum[d] / weights, smoothed[d], 4);
                }
            }
        }
    }

    [Fact]
    public void The_swap_search_lowers_an_independently_computed_neighborhood_cost_and_is_thread_independent()
    {
        const int rows = 20, columns = 23, count = 430, dimensions = 4;
        float[] vectors = GridLayoutOptimizerTests.RandomVectors(count, dimensions, seed: 6);
        int[] start = GridLayoutOptimizerTests.Shuffled(rows * columns, seed: 8)[..count];

        (int[] Cells, double Reported) Run(int threads)
        {
            int[] cellOfItem = (int[])start.Clone();
            int[] itemAt = Enumerable.Repeat(-1, rows * columns).ToArray();
            for (int item = 0; item < count; item++)
            {
                itemAt[cellOfItem[item]] = item;
            }

            var refiner = new NeighborhoodRefiner(vectors, dimensions, rows, columns, itemAt, cellOfItem, new SmoothedMap(rows, columns, dimensions, new float[dimensions]), new FixedParallel(threads, default));
            double expected = ReferenceCost(vectors, dimensions, rows, columns, start);
            Assert.Equal(expected, refiner.Cost(), 1e-6 * expected);
            refiner.Refine(10);
            Assert.True(refiner.Moves > 0);
            for (int item = 0; item < count; item++)
            {
                Assert.Equal(item, itemAt[cellOfItem[item]]);
            }

            return (cellOfItem, refiner.Cost());
        }

        (int[] one, double reported) = Run(1);
        (int[] two, _) = Run(2);
        Assert.Equal(one, two);
        GridLayoutOptimizerTests.AssertValidLayout(one, rows * columns);
        double before = ReferenceCost(vectors, dimensions, rows, columns, start), after = ReferenceCost(vectors, dimensions, rows, columns, one);
        Assert.Equal(after, reported, 1e-6 * after);
        Assert.True(after < 0.9 * before, $"cost {before} → {after}");
    }

    [Fact]
    public void Every_pass_lowers_the_neighborhood_plus_context_cost_against_the_5_by_5_means_it_started_from()
    {
        // A full grid of two interleaved groups: the context means are plain 5 × 5 means, mirrored at the borders.
        const int rows = 14, columns = 15, count = rows * columns, dimensions = 3;
        var random = new Random(3);
        float[] vectors = new float[count * dimensions];
        for (int item = 0; item < count; item++)
        {
            for (int d = 0; d < dimensions; d++)
            {
                vectors[item * dimensions + d] = (float)((item % 2 == 0 && d == 0 ? 3 : 0) + random.NextDouble());
            }
        }

        int[] cellOfItem = GridLayoutOptimizerTests.Shuffled(count, seed: 4);
        int[] itemAt = new int[count];
        for (int item = 0; item < count; item++)
        {
            itemAt[cellOfItem[item]] = item;
        }

        var refiner = new NeighborhoodRefiner(vectors, dimensions, rows, columns, itemAt, cellOfItem, new SmoothedMap(rows, columns, dimensions, new float[dimensions]), new FixedParallel(2, default));
        for (int pass = 0; pass < 4; pass++)
        {
            int[] before = (int[])cellOfItem.Clone();
            double[] means = BoxMeans(vectors, dimensions, rows, columns, before, NeighborhoodRefiner.ContextRadius);
            double costBefore = ReferenceCost(vectors, dimensions, rows, columns, before) + NeighborhoodRefiner.ContextWeight * ContextCost(vectors, dimensions, before, means);
            long movesBefore = refiner.Moves;
            refiner.Refine(1);
            Assert.Equal(ContextCost(vectors, dimensions, cellOfItem, means), refiner.ContextCost(), 1e-4);
            double costAfter = ReferenceCost(vectors, dimensions, rows, columns, cellOfItem) + NeighborhoodRefiner.ContextWeight * ContextCost(vectors, dimensions, cellOfItem, means);
            Assert.True(refiner.Moves == movesBefore ? costAfter == costBefore : costAfter < costBefore, $"pass {pass + 1}: {costBefore} → {costAfter}");
        }

        Assert.True(refiner.Moves > 0);
        GridLayoutOptimizerTests.AssertValidLayout(cellOfItem, count);
    }

    [Fact]
    public void Once_settled_no_exchange_within_reach_lowers_the_brute_force_neighborhood_plus_context_cost()
    {
        // Two kinds of item, 0 and 1: the neighbor cost alone only counts unlike neighbors, so many exchanges tie
        // on it exactly and only the context term decides them.
        const int rows = 9, columns = 10, count = rows * columns, dimensions = 1;
        float[] vectors = Enumerable.Range(0, count).Select(item => item % 3 == 0 ? 1f : 0f).ToArray();
        int[] cellOfItem = GridLayoutOptimizerTests.Shuffled(count, seed: 13);
        int[] itemAt = new int[count];
        for (int item = 0; item < count; item++)
        {
            itemAt[cellOfItem[item]] = item;
        }

        var refiner = new NeighborhoodRefiner(vectors, dimensions, rows, columns, itemAt, cellOfItem, new SmoothedMap(rows, columns, dimensions, new float[dimensions]), new FixedParallel(2, default));
        int passes = refiner.Refine(100);
        Assert.True(passes < 100, "the search did not settle");

        // The last pass changed nothing against the means of the final layout: check every exchange by brute force.
        double[] means = BoxMeans(vectors, dimensions, rows, columns, cellOfItem, NeighborhoodRefiner.ContextRadius);
        double Cost(int[] cells) => ReferenceCost(vectors, dimensions, rows, columns, cells) + NeighborhoodRefiner.ContextWeight * ContextCost(vectors, dimensions, cells, means);
        double settled = Cost(cellOfItem);
        for (int p = 0; p < count; p++)
        {
            for (int q = p + 1; q < count; q++)
            {
                int dr = q / columns - p / columns, dc = q % columns - p % columns;
                if (dr * dr + dc * dc > NeighborhoodRefiner.SwapReach * NeighborhoodRefiner.SwapReach)
                {
                    continue;
                }

                int[] swapped = (int[])cellOfItem.Clone();
                (swapped[itemAt[p]], swapped[itemAt[q]]) = (q, p);
                Assert.True(Cost(swapped) >= settled * (1 - 1e-7), $"exchanging cells {p} and {q}: {settled} → {Cost(swapped)}");
            }
        }
    }

    /// <summary>The mean vector of the (2r + 1)² cells around every cell of a full grid, mirrored at the borders.</summary>
    internal static double[] BoxMeans(float[] vectors, int dimensions, int rows, int columns, int[] cellOfItem, int radius)
    {
        int[] itemAt = new int[rows * columns];
        for (int item = 0; item < cellOfItem.Length; item++)
        {
            itemAt[cellOfItem[item]] = item;
        }

        static int Mirror(int i, int n) => i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i;
        var means = new double[rows * columns * dimensions];
        for (int row = 0; row < rows; row++)
        {
            for (int column = 0; column < columns; column++)
            {
                for (int dr = -radius; dr <= radius; dr++)
                {
                    for (int dc = -radius; dc <= radius; dc++)
                    {
                        int item = itemAt[Mirror(row + dr, rows) * columns + Mirror(column + dc, columns)];
                        for (int d = 0; d < dimensions; d++)
                        {
                            means[(row * columns + column) * dimensions + d] += vectors[item * dimensions + d] / (double)((2 * radius + 1) * (2 * radius + 1));
                        }
                    }
                }
            }
        }

        return means;
    }

    /// <summary>Σ over items of the distance from the item's vector to the mean at its cell.</summary>
    private static double ContextCost(float[] vectors, int dimensions, int[] cellOfItem, double[] means) =>
        Enumerable.Range(0, cellOfItem.Length).Sum(item => Math.Sqrt(Enumerable.Range(0, dimensions)
            .Sum(d => Math.Pow(vectors[item * dimensions + d] - means[cellOfItem[item] * dimensions + d], 2))));

    /// <summary>Σ over unordered pairs of 8-adjacent occupied cells of exp(−d²/2σ²) × feature distance.</summary>
    private static double ReferenceCost(float[] vectors, int dimensions, int rows, int columns, int[] cellOfItem)
    {
        double total = 0;
        for (int a = 0; a < cellOfItem.Length; a++)
        {
            for (int b = a + 1; b < cellOfItem.Length; b++)
            {
                int dr = cellOfItem[a] / columns - cellOfItem[b] / columns, dc = cellOfItem[a] % columns - cellOfItem[b] % columns;
                if (Math.Abs(dr) <= 1 && Math.Abs(dc) <= 1)
                {
                    double distance = Math.Sqrt(Enumerable.Range(0, dimensions).Sum(d => Math.Pow(vectors[a * dimensions + d] - vectors[b * dimensions + d], 2)));
                    total += Math.Exp(-(dr * dr + dc * dc) / (2 * NeighborhoodRefiner.Sigma * NeighborhoodRefiner.Sigma)) * distance;
                }
            }
        }

        return total;
    }
}
