using GridTsne.Engine.Parallelism;
using GridTsne.Engine.Tsne;

namespace GridTsne.Engine.Tests.Tsne;

public class NeighborsTests
{
    [Fact]
    public void Exact_search_finds_the_true_nearest_neighbours()
    {
        const int count = 301, dimensions = 13, k = 17;
        float[] data = Array.ConvertAll(TsneTestData.RandomMatrix(count, dimensions, seed: 5), v => (float)v);
        NeighborGraph graph = ExactNeighbors.Search(data, count, dimensions, k, new FixedParallel(2, CancellationToken.None));
        for (int i = 0; i < count; i++)
        {
            int[] expected = TsneTestData.Nearest(i, count, k, (a, b) => TsneTestData.InputDistance(data, dimensions, a, b));
            Assert.Equal(expected.Order(), graph.IndicesOf(i).ToArray().Order());
            for (int n = 0; n < k; n++)
            {
                double truth = TsneTestData.InputDistance(data, dimensions, i, graph.IndicesOf(i)[n]);
                Assert.Equal(truth, graph.DistancesOf(i)[n], truth * 1e-5 + 1e-6);
            }
        }
    }

    [Fact]
    public void Approximate_search_recalls_most_neighbours_and_never_the_point_itself()
    {
        const int count = 3000, dimensions = 10, k = 30;
        float[] data = TsneTestData.Blobs(count, dimensions, 20, 4, seed: 6);
        var parallel = new FixedParallel(2, CancellationToken.None);
        NeighborGraph exact = ExactNeighbors.Search(data, count, dimensions, k, parallel);
        NeighborGraph approximate = ApproximateNeighbors.Search(data, count, dimensions, k, seed: 1, parallel);
        int found = 0;
        for (int i = 0; i < count; i++)
        {
            var truth = new HashSet<int>(exact.IndicesOf(i).ToArray());
            int[] row = approximate.IndicesOf(i).ToArray();
            Assert.DoesNotContain(i, row);
            Assert.Equal(k, row.Distinct().Count());
            found += row.Count(truth.Contains);
        }

        double recall = (double)found / (count * k);
        Assert.True(recall >= 0.9, $"recall {recall:0.000}");
    }

    [Fact]
    public void Searches_survive_duplicates()
    {
        const int count = 400, dimensions = 3;
        var data = new float[count * dimensions]; // all zero: every distance ties
        var parallel = new FixedParallel(2, CancellationToken.None);
        foreach (NeighborGraph graph in new[] { ExactNeighbors.Search(data, count, dimensions, 10, parallel), ApproximateNeighbors.Search(data, count, dimensions, 10, 3, parallel) })
        {
            for (int i = 0; i < count; i++)
            {
                Assert.DoesNotContain(i, graph.IndicesOf(i).ToArray());
                Assert.Equal(10, graph.IndicesOf(i).ToArray().Distinct().Count());
                Assert.All(graph.DistancesOf(i).ToArray(), d => Assert.Equal(0f, d));
            }
        }
    }
}
