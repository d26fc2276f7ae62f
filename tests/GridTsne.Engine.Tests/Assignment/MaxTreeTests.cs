using GridTsne.Engine.Assignment;

namespace GridTsne.Engine.Tests.Assignment;

public class MaxTreeTests
{
    [Fact]
    public void An_empty_tree_has_no_largest_index()
    {
        var tree = new MaxTree(5);
        Assert.Equal(-1, tree.ArgMax());
        Assert.Equal(double.NegativeInfinity, tree.Max);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(7, 3)]
    [InlineData(64, 4)]
    [InlineData(1000, 5)]
    public void Max_and_arg_max_follow_every_update_as_a_scan_would(int count, int seed)
    {
        var random = new Random(seed);
        var tree = new MaxTree(count);
        var values = new double[count];
        Array.Fill(values, double.NegativeInfinity);
        for (int step = 0; step < 20 * count + 20; step++)
        {
            int index = random.Next(count);
            // Values rise and fall, repeat (ties) and return to −∞, as cell prices and removed cells do.
            double value = random.Next(10) switch
            {
                0 => double.NegativeInfinity,
                1 => values[random.Next(count)],
                _ => Math.Round(random.NextDouble() * 20, 1) - 10,
            };
            values[index] = value;
            tree.Set(index, value);

            double max = values.Max();
            Assert.Equal(max, tree.Max);
            int arg = tree.ArgMax();
            if (double.IsNegativeInfinity(max))
            {
                Assert.Equal(-1, arg);
            }
            else
            {
                Assert.Equal(max, values[arg]);
            }
        }
    }
}
