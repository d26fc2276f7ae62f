using GridTsne.Engine.Parallelism;
using GridTsne.Engine.Tsne;

namespace GridTsne.Engine.Tests.Tsne;

public class AffinitiesTests
{
    private static readonly FixedParallel Serial = new(1, CancellationToken.None);

    [Theory]
    [InlineData(5.0)]
    [InlineData(25.0)]
    [InlineData(60.0)]
    public void Each_points_conditional_entropy_is_log_perplexity(double perplexity)
    {
        // scikit-learn test_binary_search: random data, every row's entropy must hit log(perplexity).
        const int count = 200, dimensions = 5;
        float[] data = Array.ConvertAll(TsneTestData.RandomMatrix(count, dimensions, seed: 0), v => (float)v);
        NeighborGraph graph = ExactNeighbors.AllPairs(data, count, dimensions, Serial);
        var probabilities = new double[count - 1];
        var scratch = new double[count - 1];
        for (int i = 0; i < count; i++)
        {
            Affinities.Calibrate(graph.DistancesOf(i), perplexity, probabilities, scratch);
            Assert.Equal(1.0, probabilities.Sum(), 10);
            Assert.InRange(Entropy(probabilities) - Math.Log(perplexity), -1e-5, 1e-5);
        }
    }

    [Fact]
    public void Calibration_does_not_underflow_far_from_the_origin()
    {
        // scikit-learn test_binary_search_underflow: values near 100 in float32 still give the target entropy.
        var random = new Random(42);
        float[] distances = Enumerable.Range(0, 90).Select(_ => (float)(Math.Pow(100 + TsneTestData.Gaussian(random), 2) * 50)).ToArray();
        var probabilities = new double[90];
        Affinities.Calibrate(distances, 30, probabilities, new double[90]);
        Assert.All(probabilities, p => Assert.True(double.IsFinite(p)));
        Assert.InRange(Entropy(probabilities) - Math.Log(30), -1e-5, 1e-5);
    }

    [Fact]
    public void Equal_distances_give_a_uniform_row_and_an_unreachable_perplexity_a_valid_one()
    {
        var probabilities = new double[4];
        Affinities.Calibrate([2f, 2f, 2f, 2f], 3, probabilities, new double[4]);
        Assert.All(probabilities, p => Assert.Equal(0.25, p, 12));

        var single = new double[1];
        Affinities.Calibrate([7f], 1 / 3.0, single, new double[1]);
        Assert.Equal(1.0, single[0]);

        var two = new double[2];
        Affinities.Calibrate([1f, 4f], 0.5, two, new double[2]);
        Assert.All(two, p => Assert.True(double.IsFinite(p)));
        Assert.Equal(1.0, two.Sum(), 12);
    }

    [Fact]
    public void Joint_probabilities_are_symmetric_positive_and_sum_to_one()
    {
        const int count = 150, dimensions = 4;
        float[] data = TsneTestData.Blobs(count, dimensions, 3, 5, seed: 1);
        Affinities p = Affinities.FromNeighbors(ExactNeighbors.Search(data, count, dimensions, 30, Serial), 10, Serial);
        var dense = new double[count, count];
        for (int i = 0; i < count; i++)
        {
            for (int e = p.RowStarts[i]; e < p.RowStarts[i + 1]; e++)
            {
                Assert.NotEqual(i, p.Columns[e]);
                Assert.True(p.Values[e] > 0);
                dense[i, p.Columns[e]] += p.Values[e];
            }
        }

        double total = 0;
        for (int i = 0; i < count; i++)
        {
            for (int j = 0; j < count; j++)
            {
                Assert.Equal(dense[i, j], dense[j, i], 15);
                total += dense[i, j];
            }
        }

        Assert.Equal(1.0, total, 10);
    }

    [Fact]
    public void Nearest_neighbour_affinities_approach_the_all_pairs_ones()
    {
        // scikit-learn test_binary_search_neighbors: with 3·perplexity neighbours the mass beyond them is tiny.
        const int count = 200, dimensions = 2;
        float[] data = Array.ConvertAll(TsneTestData.RandomMatrix(count, dimensions, seed: 3), v => (float)v);
        Affinities full = Affinities.FromNeighbors(ExactNeighbors.AllPairs(data, count, dimensions, Serial), 25, Serial);
        Affinities sparse = Affinities.FromNeighbors(ExactNeighbors.Search(data, count, dimensions, 75, Serial), 25, Serial);
        double[,] a = Dense(full), b = Dense(sparse);
        double difference = 0;
        for (int i = 0; i < count; i++)
        {
            for (int j = 0; j < count; j++)
            {
                difference += Math.Abs(a[i, j] - b[i, j]);
            }
        }

        // Both sum to 1; the probability mass that moves is what lies beyond the 75 nearest neighbours.
        Assert.True(difference < 0.02, $"total variation {difference:0.0000}");
    }

    private static double[,] Dense(Affinities p)
    {
        var dense = new double[p.Count, p.Count];
        for (int i = 0; i < p.Count; i++)
        {
            for (int e = p.RowStarts[i]; e < p.RowStarts[i + 1]; e++)
            {
                dense[i, p.Columns[e]] = p.Values[e];
            }
        }

        return dense;
    }

    private static double Entropy(double[] probabilities) => -probabilities.Where(p => p > 0).Sum(p => p * Math.Log(p));
}
