using GridTsne.Engine.Parallelism;
using GridTsne.Engine.Tsne;

namespace GridTsne.Engine.Tests.Tsne;

public class GradientTests
{
    private static readonly FixedParallel Parallel = new(2, CancellationToken.None);

    private static readonly Lazy<(double[] Map, Affinities P)> Map500 = new(MakeMapOf500);

    [Fact]
    public void Analytic_gradient_matches_finite_differences()
    {
        // scikit-learn test_gradient: central differences of the KL divergence on a tiny set.
        const int count = 12, dimensions = 4;
        float[] data = Array.ConvertAll(TsneTestData.RandomMatrix(count, dimensions, seed: 11), v => (float)v);
        Affinities p = Affinities.FromNeighbors(ExactNeighbors.AllPairs(data, count, dimensions, Parallel), 3, Parallel);
        var objective = new TsneObjective(p, new ExactRepulsion(), Parallel);
        double[] y = TsneTestData.RandomMatrix(count, 2, seed: 12);
        var gradient = new double[2 * count];
        objective.Evaluate(y, 1, gradient, withCost: false);

        var scratch = new double[2 * count];
        const double step = 1e-6;
        for (int c = 0; c < y.Length; c++)
        {
            double original = y[c];
            y[c] = original + step;
            double plus = objective.Evaluate(y, 1, scratch, withCost: true);
            y[c] = original - step;
            double minus = objective.Evaluate(y, 1, scratch, withCost: true);
            y[c] = original;
            double numeric = (plus - minus) / (2 * step);
            Assert.True(Math.Abs(numeric - gradient[c]) <= 1e-6 + 1e-4 * Math.Abs(gradient[c]), $"coordinate {c}: analytic {gradient[c]}, numeric {numeric}");
        }
    }

    [Fact]
    public void Kl_divergence_and_affinities_match_an_independent_computation()
    {
        // Four fixed points, perplexity 2, all pairs: P and KL computed here from the definitions.
        float[] data = [0, 0, 1, 0, 0, 2, 3, 3];
        const int count = 4, dimensions = 2;
        const double perplexity = 2;
        double[] y = [0.1, -0.2, 0.7, 0.3, -0.5, 0.9, 1.4, -1.1];

        var conditional = new double[count, count];
        for (int i = 0; i < count; i++)
        {
            double low = 0, high = 1e6;
            for (int step = 0; step < 200; step++)
            {
                double beta = (low + high) / 2;
                double sum = 0, weighted = 0;
                for (int j = 0; j < count; j++)
                {
                    if (j != i)
                    {
                        double d = TsneTestData.InputDistance(data, dimensions, i, j);
                        sum += Math.Exp(-beta * d);
                        weighted += d * Math.Exp(-beta * d);
                    }
                }

                double entropy = Math.Log(sum) + beta * weighted / sum;
                if (entropy > Math.Log(perplexity))
                {
                    low = beta;
                }
                else
                {
                    high = beta;
                }

                for (int j = 0; j < count; j++)
                {
                    conditional[i, j] = j == i ? 0 : Math.Exp(-beta * TsneTestData.InputDistance(data, dimensions, i, j)) / sum;
                }
            }
        }

        double z = 0;
        for (int i = 0; i < count; i++)
        {
            for (int j = 0; j < count; j++)
            {
                z += i == j ? 0 : 1 / (1 + TsneTestData.Sq(y[2 * i] - y[2 * j]) + TsneTestData.Sq(y[2 * i + 1] - y[2 * j + 1]));
            }
        }

        double expected = 0;
        var serial = new FixedParallel(1, CancellationToken.None);
        Affinities p = Affinities.FromNeighbors(ExactNeighbors.AllPairs(data, count, dimensions, serial), perplexity, serial);
        for (int i = 0; i < count; i++)
        {
            for (int e = p.RowStarts[i]; e < p.RowStarts[i + 1]; e++)
            {
                int j = p.Columns[e];
                double pij = (conditional[i, j] + conditional[j, i]) / (2 * count);
                Assert.Equal(pij, p.Values[e], 1e-8);
                double qij = 1 / (1 + TsneTestData.Sq(y[2 * i] - y[2 * j]) + TsneTestData.Sq(y[2 * i + 1] - y[2 * j + 1])) / z;
                expected += pij * Math.Log(pij / qij);
            }
        }

        double actual = new TsneObjective(p, new ExactRepulsion(), serial).Evaluate(y, 1, new double[2 * count], withCost: true);
        Assert.Equal(expected, actual, 1e-8);
    }

    [Fact]
    public void Barnes_Hut_with_theta_zero_is_exact()
    {
        (double[] y, _) = MapOf500();
        var exact = new double[y.Length];
        var tree = new double[y.Length];
        double zExact = new ExactRepulsion().Compute(y, exact, Parallel);
        double zTree = new BarnesHutRepulsion(0).Compute(y, tree, Parallel);
        Assert.Equal(zExact, zTree, zExact * 1e-10);
        for (int c = 0; c < y.Length; c++)
        {
            Assert.Equal(exact[c], tree[c], 1e-9 * (1 + Math.Abs(exact[c])));
        }
    }

    [Theory]
    [InlineData("BarnesHut")]
    [InlineData("Fft")]
    public void Approximate_gradients_are_within_a_few_percent_of_the_exact_one(string method)
    {
        // The approximations replace the repulsive term −4 F_i / Z; the attractive term is exact in every method.
        // Near convergence the two terms nearly cancel, so the test measures the term that is approximated.
        (double[] y, Affinities p) = MapOf500();
        IRepulsion approximation = method == "Fft" ? new FftRepulsion() : new BarnesHutRepulsion(0.5);
        var exact = new double[y.Length];
        var approximate = new double[y.Length];
        double exactZ = new ExactRepulsion().Compute(y, exact, Parallel);
        double approximateZ = approximation.Compute(y, approximate, Parallel);
        double error = 0, norm = 0;
        for (int c = 0; c < y.Length; c++)
        {
            error += TsneTestData.Sq(approximate[c] / approximateZ - exact[c] / exactZ);
            norm += TsneTestData.Sq(exact[c] / exactZ);
        }

        double relative = Math.Sqrt(error / norm);
        Assert.True(relative < 0.03, $"{method}: relative error of the repulsive gradient {relative:0.0000}");
        Assert.Equal(exactZ, approximateZ, 0.01 * exactZ);

        double exactKl = new TsneObjective(p, new ExactRepulsion(), Parallel).Evaluate(y, 1, exact, withCost: true);
        double approximateKl = new TsneObjective(p, approximation, Parallel).Evaluate(y, 1, approximate, withCost: true);
        Assert.Equal(exactKl, approximateKl, 0.01 * exactKl);
    }

    [Theory]
    [InlineData(12)]
    [InlineData(18)]
    [InlineData(48)]
    public void Fft_matches_a_direct_discrete_fourier_transform(int size)
    {
        var random = new Random(size);
        double[] re = Enumerable.Range(0, size * size).Select(_ => random.NextDouble() - 0.5).ToArray();
        double[] im = Enumerable.Range(0, size * size).Select(_ => random.NextDouble() - 0.5).ToArray();
        double[] originalRe = (double[])re.Clone(), originalIm = (double[])im.Clone();
        var fft = new Fft2D(size);
        fft.Forward(re, im, size, Parallel);

        // The forward transform leaves the spectrum transposed: re[k·size + l] holds frequency (row l, column k).
        for (int u = 0; u < size; u += 5)
        {
            for (int v = 0; v < size; v += 3)
            {
                double sumRe = 0, sumIm = 0;
                for (int r = 0; r < size; r++)
                {
                    for (int c = 0; c < size; c++)
                    {
                        double angle = -2 * Math.PI * ((double)u * r + (double)v * c) / size;
                        sumRe += originalRe[r * size + c] * Math.Cos(angle) - originalIm[r * size + c] * Math.Sin(angle);
                        sumIm += originalRe[r * size + c] * Math.Sin(angle) + originalIm[r * size + c] * Math.Cos(angle);
                    }
                }

                Assert.Equal(sumRe, re[v * size + u], 1e-9);
                Assert.Equal(sumIm, im[v * size + u], 1e-9);
            }
        }

        fft.Inverse(re, im, size, Parallel);
        for (int k = 0; k < re.Length; k++)
        {
            Assert.Equal(originalRe[k], re[k] / (size * size), 1e-12);
            Assert.Equal(originalIm[k], im[k] / (size * size), 1e-12);
        }
    }

    /// <summary>A realistic map: 500 blob points optimised briefly by the exact method, with their sparse P.</summary>
    private static (double[] Map, Affinities P) MapOf500() => Map500.Value;

    private static (double[] Map, Affinities P) MakeMapOf500()
    {
        const int count = 500, dimensions = 10;
        float[] data = TsneTestData.Blobs(count, dimensions, 5, 6, seed: 8);
        TsneResult result = TsneRunner.Run(data, count, dimensions, TsneTestData.Quick(TsneMethod.Exact, 300));
        Affinities p = Affinities.FromNeighbors(ExactNeighbors.Search(data, count, dimensions, 90, Parallel), 30, Parallel);
        return (result.Embedding, p);
    }
}
