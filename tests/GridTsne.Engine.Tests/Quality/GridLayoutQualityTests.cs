using GridTsne.Engine.Quality;

namespace GridTsne.Engine.Tests.Quality;

public class GridLayoutQualityTests
{
    // Three items on a line, features 0, 1 and 3: d(a,b) = 1, d(a,c) = 3, d(b,c) = 2, mean distance 2.
    private static readonly float[] LineFeatures = [0f, 1f, 3f];

    [Fact]
    public void A_layout_in_feature_order_scores_one_by_hand()
    {
        // a, b, c left to right: every item's grid order equals its feature order.
        GridLayoutScores scores = GridLayoutQuality.Measure(LineFeatures, 3, [0, 0, 0], [0, 1, 2], null);
        Assert.Equal(1.0, scores.Dpq16, 12);
        // Nearest (here both others): a 2, b 1.5, c 2.5, mean 2. Grid neighbours: a 1, b 1.5, c 2, mean 1.5.
        Assert.Equal(2.0 / 1.5, scores.NeighborDistanceRatio, 12);
    }

    [Fact]
    public void A_layout_that_separates_the_nearest_pair_scores_zero_by_hand()
    {
        // a, c, b left to right. Grid order: a → c, b; c → b, a (tie broken by feature distance); b → c, a.
        // D_1 = (3 + 2 + 2) / 3 = 7/3 > mean 2, so g_1 = 0; D_2 = 2, so g_2 = 0: DPQ = 0 / (1/3) = 0.
        GridLayoutScores scores = GridLayoutQuality.Measure(LineFeatures, 3, [0, 0, 0], [0, 2, 1], null);
        Assert.Equal(0.0, scores.Dpq16, 12);
        // Grid neighbours: a 3, c (3 + 2) / 2, b 2: mean 2.5; nearest mean 2.
        Assert.Equal(2.0 / 2.5, scores.NeighborDistanceRatio, 12);
    }

    [Fact]
    public void Label_agreement_and_its_random_expectation_by_hand()
    {
        GridLayoutScores scores = GridLayoutQuality.Measure(LineFeatures, 3, [0, 0, 0], [0, 1, 2], ["x", "x", "y"]);
        // a: 1 of 1 neighbours agree; b: 1 of 2; c: 0 of 1. Random: (2/3)² + (1/3)².
        Assert.Equal((1 + 0.5 + 0) / 3, scores.LabelAgreement!.Value, 12);
        Assert.Equal(5.0 / 9, scores.RandomLabelAgreement!.Value, 12);
    }

    [Fact]
    public void Matches_a_direct_reference_implementation_on_a_random_layout()
    {
        var random = new Random(7);
        const int side = 6, count = side * side, dimensions = 5;
        float[] vectors = new float[count * dimensions];
        for (int i = 0; i < vectors.Length; i++)
        {
            vectors[i] = (float)random.NextDouble();
        }

        int[] cells = Enumerable.Range(0, count).OrderBy(_ => random.Next()).ToArray();
        int[] rows = cells.Select(c => c / side).ToArray();
        int[] columns = cells.Select(c => c % side).ToArray();

        double expected = ReferenceDpq(vectors, dimensions, rows, columns, 16);
        GridLayoutScores scores = GridLayoutQuality.Measure(vectors, count, rows, columns, null);
        Assert.Equal(expected, scores.Dpq16, 6);
    }

    [Fact]
    public void A_sorted_gradient_scores_near_one_and_a_shuffled_grid_far_lower()
    {
        const int side = 16, count = side * side;
        // Features vary smoothly over the grid: a 2-D gradient embedded in 3 dimensions.
        float[] vectors = new float[count * 3];
        for (int r = 0; r < side; r++)
        {
            for (int c = 0; c < side; c++)
            {
                int i = r * side + c;
                vectors[i * 3] = r;
                vectors[i * 3 + 1] = c;
                vectors[i * 3 + 2] = 0.5f * (r + c);
            }
        }

        int[] rows = Enumerable.Range(0, count).Select(i => i / side).ToArray();
        int[] columns = Enumerable.Range(0, count).Select(i => i % side).ToArray();
        GridLayoutScores sorted = GridLayoutQuality.Measure(vectors, count, rows, columns, null);

        var random = new Random(3);
        int[] shuffled = Enumerable.Range(0, count).OrderBy(_ => random.Next()).ToArray();
        GridLayoutScores mixed = GridLayoutQuality.Measure(vectors, count, shuffled.Select(i => rows[i]).ToArray(), shuffled.Select(i => columns[i]).ToArray(), null);

        Assert.True(sorted.Dpq16 > 0.95, $"sorted DPQ16 {sorted.Dpq16}");
        Assert.True(mixed.Dpq16 < 0.6, $"shuffled DPQ16 {mixed.Dpq16}");
        Assert.True(sorted.NeighborDistanceRatio > 2 * mixed.NeighborDistanceRatio);
    }

    [Fact]
    public void Two_items_in_one_cell_are_refused()
    {
        Assert.Throws<ArgumentException>(() => GridLayoutQuality.Measure(LineFeatures, 3, [0, 0, 0], [0, 1, 1], null));
    }

    [Fact]
    public void Too_many_items_are_refused_before_any_work()
    {
        int count = GridLayoutQuality.MaxItems + 1;
        Assert.Throws<ArgumentOutOfRangeException>(() => GridLayoutQuality.Measure(new float[count], count, new int[count], new int[count], null));
    }

    [Fact]
    public void Identical_items_and_a_single_item_do_not_give_NaN()
    {
        GridLayoutScores same = GridLayoutQuality.Measure(new float[8], 4, [0, 0, 1, 1], [0, 1, 0, 1], null);
        Assert.Equal(1.0, same.Dpq16);
        GridLayoutScores single = GridLayoutQuality.Measure(new float[] { 1, 2 }, 1, [0], [0], ["x"]);
        Assert.Equal(1.0, single.Dpq16);
        Assert.False(double.IsNaN(same.NeighborDistanceRatio));
    }

    private static double ReferenceDpq(float[] vectors, int dimensions, int[] rows, int[] columns, int p)
    {
        int n = rows.Length;
        double Distance(int i, int j) => Math.Sqrt(Enumerable.Range(0, dimensions).Sum(k => Math.Pow(vectors[i * dimensions + k] - vectors[j * dimensions + k], 2)));
        double mean = 0;
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                if (i != j)
                {
                    mean += Distance(i, j);
                }
            }
        }

        mean /= n * (n - 1.0);
        var feature = new double[n - 1];
        var grid = new double[n - 1];
        for (int i = 0; i < n; i++)
        {
            var others = Enumerable.Range(0, n).Where(j => j != i).ToList();
            var byFeature = others.Select(j => Distance(i, j)).OrderBy(d => d).ToList();
            var byGrid = others.OrderBy(j => Math.Pow(rows[j] - rows[i], 2) + Math.Pow(columns[j] - columns[i], 2)).ThenBy(j => Distance(i, j)).Select(j => Distance(i, j)).ToList();
            for (int k = 1; k < n; k++)
            {
                feature[k - 1] += byFeature.Take(k).Average() / n;
                grid[k - 1] += byGrid.Take(k).Average() / n;
            }
        }

        double Norm(double[] d) => Math.Pow(d.Sum(dk => Math.Pow(Math.Max(0, (mean - dk) / mean), p)), 1.0 / p);
        return Norm(grid) / Norm(feature);
    }
}
