using GridTsne.Engine.Parallelism;
using GridTsne.Engine.Tsne;
using MathNet.Numerics.LinearAlgebra;

namespace GridTsne.Engine.Tests.Tsne;

public class PcaTests
{
    [Theory]
    [InlineData(40)]   // covariance eigen-decomposition
    [InlineData(700)]  // randomised SVD
    public void Scores_match_an_svd_of_the_centred_data_with_the_largest_score_positive(int dimensions)
    {
        const int count = 120, components = 5;
        // Decaying spectrum, so the leading components are well separated.
        double[] values = TsneTestData.RandomMatrix(count, dimensions, seed: dimensions);
        for (int row = 0; row < count; row++)
        {
            for (int column = 0; column < dimensions; column++)
            {
                values[row * dimensions + column] *= 10.0 / (1 + column) + 0.01;
            }
        }

        float[] data = Array.ConvertAll(values, v => (float)v);
        float[] scores = Pca.Scores(data, count, dimensions, components, seed: 1, new FixedParallel(2, CancellationToken.None));

        Matrix<double> centred = Matrix<double>.Build.Dense(count, dimensions, (r, c) => data[r * dimensions + c]);
        Vector<double> mean = centred.ColumnSums() / count;
        centred = Matrix<double>.Build.Dense(count, dimensions, (r, c) => centred[r, c] - mean[c]);
        var svd = centred.Svd(computeVectors: true);
        for (int c = 0; c < components; c++)
        {
            double[] expected = (svd.U.Column(c) * svd.S[c]).ToArray();
            double[] actual = Enumerable.Range(0, count).Select(r => (double)scores[r * components + c]).ToArray();
            int largest = Array.IndexOf(actual, actual.MaxBy(Math.Abs));
            Assert.True(actual[largest] > 0, "the largest-magnitude score is positive");
            double sign = Math.Sign(expected[largest]);
            double scale = expected.Max(Math.Abs);
            for (int r = 0; r < count; r++)
            {
                Assert.Equal(sign * expected[r], actual[r], 2e-3 * scale);
            }
        }
    }

    [Fact]
    public void Randomised_pca_is_the_same_whatever_the_thread_count()
    {
        const int count = 3000, dimensions = 600;
        float[] data = TsneTestData.Blobs(count, dimensions, 4, 3, seed: 2);
        float[] one = Pca.Scores(data, count, dimensions, 10, 7, new FixedParallel(1, CancellationToken.None));
        float[] two = Pca.Scores(data, count, dimensions, 10, 7, new FixedParallel(2, CancellationToken.None));
        Assert.Equal(one, two);
    }
}
