using GridTsne.Engine.Tsne;

namespace GridTsne.Engine.Tests.Tsne;

/// <summary>Data sets and quality measures shared by the t-SNE tests, computed independently of the engine.</summary>
internal static class TsneTestData
{
    /// <summary>Gaussian blobs: <paramref name="clusters"/> centres spread by <paramref name="spread"/>, unit noise; labels are i % clusters.</summary>
    public static float[] Blobs(int count, int dimensions, int clusters, double spread, int seed)
    {
        var random = new Random(seed);
        var centres = new double[clusters * dimensions];
        for (int i = 0; i < centres.Length; i++)
        {
            centres[i] = (random.NextDouble() * 2 - 1) * spread;
        }

        var data = new float[count * dimensions];
        for (int i = 0; i < count; i++)
        {
            for (int d = 0; d < dimensions; d++)
            {
                data[i * dimensions + d] = (float)(centres[i % clusters * dimensions + d] + Gaussian(random));
            }
        }

        return data;
    }

    public static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    public static double[] RandomMatrix(int rows, int columns, int seed, double scale = 1)
    {
        var random = new Random(seed);
        var values = new double[rows * columns];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = Gaussian(random) * scale;
        }

        return values;
    }

    /// <summary>Share of points whose 10 nearest map neighbours mostly (a strict majority) share their label.</summary>
    public static double NeighborLabelAccuracy(double[] embedding, int count, int clusters, int k = 10)
    {
        int correct = 0;
        for (int i = 0; i < count; i++)
        {
            int[] nearest = Nearest(i, count, k, (a, b) => Sq(embedding[2 * a] - embedding[2 * b]) + Sq(embedding[2 * a + 1] - embedding[2 * b + 1]));
            int same = nearest.Count(j => j % clusters == i % clusters);
            correct += same * 2 > k ? 1 : 0;
        }

        return (double)correct / count;
    }

    /// <summary>Trustworthiness (Venna &amp; Kaski 2001) as scikit-learn defines it.</summary>
    public static double Trustworthiness(float[] data, int dimensions, double[] embedding, int count, int k)
    {
        double penalty = 0;
        for (int i = 0; i < count; i++)
        {
            // Rank of every point in the input space, counted from 1 for the nearest other point.
            int[] byInput = Nearest(i, count, count - 1, (a, b) => InputDistance(data, dimensions, a, b));
            var rank = new int[count];
            for (int r = 0; r < byInput.Length; r++)
            {
                rank[byInput[r]] = r + 1;
            }

            foreach (int j in Nearest(i, count, k, (a, b) => Sq(embedding[2 * a] - embedding[2 * b]) + Sq(embedding[2 * a + 1] - embedding[2 * b + 1])))
            {
                penalty += Math.Max(0, rank[j] - k);
            }
        }

        return 1 - 2.0 / (count * k * (2.0 * count - 3.0 * k - 1.0)) * penalty;
    }

    public static double InputDistance(float[] data, int dimensions, int a, int b)
    {
        double sum = 0;
        for (int d = 0; d < dimensions; d++)
        {
            sum += Sq(data[a * dimensions + d] - (double)data[b * dimensions + d]);
        }

        return sum;
    }

    public static int[] Nearest(int i, int count, int k, Func<int, int, double> distance) =>
        Enumerable.Range(0, count).Where(j => j != i).OrderBy(j => distance(i, j)).ThenBy(j => j).Take(k).ToArray();

    public static double Sq(double x) => x * x;

    public static TsneOptions Quick(TsneMethod method, int iterations = 500) => new()
    {
        Method = method,
        Iterations = iterations,
        MaxDegreeOfParallelism = 2,
    };

    public static void AssertFinite(double[] values)
    {
        foreach (double value in values)
        {
            Assert.True(double.IsFinite(value), "The map holds a NaN or infinity.");
        }
    }
}
