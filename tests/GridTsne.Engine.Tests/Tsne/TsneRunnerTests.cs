using GridTsne.Engine.Parallelism;
using GridTsne.Engine.Tsne;

namespace GridTsne.Engine.Tests.Tsne;

public class TsneRunnerTests
{
    [Theory]
    [InlineData(TsneMethod.Exact)]
    [InlineData(TsneMethod.BarnesHut)]
    [InlineData(TsneMethod.Fft)]
    public void Well_separated_blobs_stay_separated(TsneMethod method)
    {
        // scikit-learn test_preserve_trustworthiness_approximately, with a label check.
        const int count = 300, dimensions = 10, clusters = 5;
        float[] data = TsneTestData.Blobs(count, dimensions, clusters, 8, seed: 4);
        TsneResult result = TsneRunner.Run(data, count, dimensions, TsneTestData.Quick(method));
        Assert.Equal(method, result.Method);
        TsneTestData.AssertFinite(result.Embedding);
        double accuracy = TsneTestData.NeighborLabelAccuracy(result.Embedding, count, clusters);
        double trust = TsneTestData.Trustworthiness(data, dimensions, result.Embedding, count, 10);
        Assert.True(accuracy >= 0.95, $"10-NN label accuracy {accuracy:0.000}");
        Assert.True(trust >= 0.9, $"trustworthiness {trust:0.000}");
    }

    [Theory]
    [InlineData(TsneMethod.Exact, TsneInitialization.Pca)]
    [InlineData(TsneMethod.BarnesHut, TsneInitialization.Pca)]
    [InlineData(TsneMethod.Fft, TsneInitialization.Random)]
    public void Same_seed_gives_the_same_bits_whatever_the_thread_count(TsneMethod method, TsneInitialization initialization)
    {
        const int count = 700, dimensions = 60;
        float[] data = TsneTestData.Blobs(count, dimensions, 6, 4, seed: 9);
        TsneOptions options = TsneTestData.Quick(method, 120) with { Initialization = initialization, PcaDimensions = 20, EarlyExaggerationIterations = 60 };
        TsneResult one = TsneRunner.Run(data, count, dimensions, options with { MaxDegreeOfParallelism = 1 });
        TsneResult two = TsneRunner.Run(data, count, dimensions, options with { MaxDegreeOfParallelism = 2 });
        TsneResult again = TsneRunner.Run(data, count, dimensions, options with { MaxDegreeOfParallelism = 3 });
        Assert.Equal(one.Embedding, two.Embedding);
        Assert.Equal(one.Embedding, again.Embedding);
        Assert.Equal(one.KullbackLeibler, two.KullbackLeibler);
    }

    [Fact]
    public void Approximate_neighbours_are_the_same_whatever_the_thread_count()
    {
        const int count = 2000, dimensions = 8;
        float[] data = TsneTestData.Blobs(count, dimensions, 10, 3, seed: 10);
        NeighborGraph one = ApproximateNeighbors.Search(data, count, dimensions, 20, 5, new FixedParallel(1, CancellationToken.None));
        NeighborGraph two = ApproximateNeighbors.Search(data, count, dimensions, 20, 5, new FixedParallel(2, CancellationToken.None));
        Assert.Equal(one.Indices, two.Indices);
        Assert.Equal(one.SquaredDistances, two.SquaredDistances);
    }

    [Fact]
    public void A_different_seed_gives_a_different_random_start()
    {
        float[] data = TsneTestData.Blobs(100, 5, 2, 5, seed: 1);
        TsneOptions options = TsneTestData.Quick(TsneMethod.BarnesHut, 50) with { Initialization = TsneInitialization.Random };
        Assert.NotEqual(TsneRunner.Run(data, 100, 5, options with { Seed = 1 }).Embedding, TsneRunner.Run(data, 100, 5, options with { Seed = 2 }).Embedding);
    }

    [Fact]
    public void No_points_and_one_point()
    {
        Assert.Empty(TsneRunner.Run([], 0, 3, new TsneOptions()).Embedding);
        TsneResult single = TsneRunner.Run([5f, -3f, 2f], 1, 3, new TsneOptions());
        Assert.Equal(new[] { 0.0, 0.0 }, single.Embedding);
        Assert.Equal(0, single.KullbackLeibler);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Two_or_three_points_give_distinct_finite_positions_and_a_warning(int count)
    {
        float[] data = new[] { 0f, 0f, 1f, 0f, 0f, 3f }[..(2 * count)];
        foreach (TsneMethod method in new[] { TsneMethod.Auto, TsneMethod.BarnesHut, TsneMethod.Fft })
        {
            TsneResult result = TsneRunner.Run(data, count, 2, new TsneOptions { Method = method, Iterations = 300 });
            TsneTestData.AssertFinite(result.Embedding);
            Assert.Single(result.Warnings);
            Assert.True(result.Perplexity < 1.0);
            Assert.NotEqual((result.Embedding[0], result.Embedding[1]), (result.Embedding[2], result.Embedding[3]));
        }
    }

    [Theory]
    [InlineData(TsneMethod.Exact)]
    [InlineData(TsneMethod.BarnesHut)]
    [InlineData(TsneMethod.Fft)]
    public void Many_identical_vectors_and_a_zero_vector_give_no_nan(TsneMethod method)
    {
        const int count = 250, dimensions = 6;
        float[] data = TsneTestData.Blobs(count, dimensions, 3, 5, seed: 3);
        for (int i = 0; i < 150; i++)
        {
            Array.Fill(data, 1.5f, i * dimensions, dimensions); // 150 identical rows
        }

        Array.Clear(data, 200 * dimensions, dimensions); // a zero vector
        foreach (TsneMetric metric in new[] { TsneMetric.Euclidean, TsneMetric.Cosine })
        {
            TsneResult result = TsneRunner.Run(data, count, dimensions, TsneTestData.Quick(method, 150) with { Metric = metric, EarlyExaggerationIterations = 100 });
            TsneTestData.AssertFinite(result.Embedding);
            Assert.True(double.IsFinite(result.KullbackLeibler));
        }

        float[] identical = new float[100 * dimensions];
        Array.Fill(identical, 2f);
        TsneResult same = TsneRunner.Run(identical, 100, dimensions, TsneTestData.Quick(method, 100));
        TsneTestData.AssertFinite(same.Embedding);
    }

    [Fact]
    public void High_dimensional_input_uses_randomised_pca_and_gives_no_nan()
    {
        const int count = 80, dimensions = 4096;
        float[] data = TsneTestData.Blobs(count, dimensions, 4, 1, seed: 5);
        TsneResult result = TsneRunner.Run(data, count, dimensions, TsneTestData.Quick(TsneMethod.Auto, 300) with { Perplexity = 10 });
        TsneTestData.AssertFinite(result.Embedding);
        Assert.Equal(50, result.Dimensions);
        Assert.True(TsneTestData.NeighborLabelAccuracy(result.Embedding, count, 4) >= 0.95);
    }

    [Fact]
    public void Cosine_ignores_the_length_of_the_vectors()
    {
        const int count = 200, dimensions = 8, clusters = 4;
        float[] data = TsneTestData.Blobs(count, dimensions, clusters, 6, seed: 6);
        var random = new Random(1);
        for (int i = 0; i < count; i++)
        {
            float scale = (float)(0.01 + 100 * random.NextDouble());
            for (int d = 0; d < dimensions; d++)
            {
                data[i * dimensions + d] *= scale;
            }
        }

        TsneResult result = TsneRunner.Run(data, count, dimensions, TsneTestData.Quick(TsneMethod.BarnesHut) with { Metric = TsneMetric.Cosine });
        Assert.True(TsneTestData.NeighborLabelAccuracy(result.Embedding, count, clusters) >= 0.95);
    }

    [Fact]
    public void Uniform_grid_keeps_even_spacing()
    {
        // scikit-learn test_uniform_grid: nearest-neighbour distances of a t-SNE of a grid stay comparable.
        const int side = 10, count = side * side;
        var data = new float[count * 2];
        for (int i = 0; i < count; i++)
        {
            data[2 * i] = i % side;
            data[2 * i + 1] = i / side;
        }

        foreach (TsneMethod method in new[] { TsneMethod.Exact, TsneMethod.BarnesHut })
        {
            TsneResult result = TsneRunner.Run(data, count, 2, new TsneOptions { Method = method, Perplexity = 20 });
            double[] nearest = Enumerable.Range(0, count).Select(i => Enumerable.Range(0, count).Where(j => j != i)
                .Min(j => Math.Sqrt(TsneTestData.Sq(result.Embedding[2 * i] - result.Embedding[2 * j]) + TsneTestData.Sq(result.Embedding[2 * i + 1] - result.Embedding[2 * j + 1])))).ToArray();
            double mean = nearest.Average();
            Assert.True(nearest.Min() / mean > 0.5, $"{method}: smallest/mean {nearest.Min() / mean:0.00}");
            Assert.True(nearest.Max() / mean < 2, $"{method}: largest/mean {nearest.Max() / mean:0.00}");
        }
    }

    [Fact]
    public void More_iterations_lower_the_kl_divergence_and_progress_reports_it()
    {
        // scikit-learn test_optimization_minimizes_kl_divergence.
        const int count = 300, dimensions = 10;
        float[] data = TsneTestData.Blobs(count, dimensions, 5, 3, seed: 12);
        var reports = new List<TsneProgress>();
        var progress = new SynchronousProgress(reports.Add);
        double short1 = TsneRunner.Run(data, count, dimensions, TsneTestData.Quick(TsneMethod.BarnesHut, 300)).KullbackLeibler;
        double long1 = TsneRunner.Run(data, count, dimensions, TsneTestData.Quick(TsneMethod.BarnesHut, 750), progress).KullbackLeibler;
        Assert.True(long1 < short1, $"750 iterations: {long1}, 300: {short1}");
        Assert.Equal([TsnePhase.Pca, TsnePhase.Neighbors, TsnePhase.Affinities], reports.Take(3).Select(r => r.Phase));
        Assert.Equal(75, reports.Count(r => r.Phase is TsnePhase.EarlyExaggeration or TsnePhase.Optimization));
        Assert.Equal(750, reports[^1].Iteration);
        Assert.Equal(long1, reports[^1].KullbackLeibler, 0.05);
    }

    [Fact]
    public void Perplexity_is_lowered_with_a_warning_when_there_are_too_few_points()
    {
        float[] data = TsneTestData.Blobs(50, 3, 2, 3, seed: 2);
        TsneResult result = TsneRunner.Run(data, 50, 3, TsneTestData.Quick(TsneMethod.BarnesHut, 50));
        Assert.Equal(49 / 3.0, result.Perplexity, 12);
        Assert.Equal(49, result.Neighbors);
        Assert.Contains("lowered", Assert.Single(result.Warnings));
    }

    [Fact]
    public void Bad_input_is_refused_with_a_clear_message()
    {
        float[] data = [1, 2, 3, float.NaN, 5, 6];
        ArgumentException nan = Assert.Throws<ArgumentException>(() => TsneRunner.Run(data, 2, 3, new TsneOptions()));
        Assert.Contains("Row 1", nan.Message);
        Assert.Throws<ArgumentException>(() => TsneRunner.Run([1, 2, 3], 2, 3, new TsneOptions()));
        int tooMany = TsneOptions.MaxExactPoints + 1;
        ArgumentException exact = Assert.Throws<ArgumentException>(() => TsneRunner.Run(new float[tooMany], tooMany, 1, new TsneOptions { Method = TsneMethod.Exact }));
        Assert.Contains("exact method", exact.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => TsneRunner.Run([1, 2], 2, 1, new TsneOptions { Perplexity = -1 }));
    }

    [Fact]
    public void Cancellation_stops_a_run_in_the_middle_of_the_optimization()
    {
        // How fast it stops is measured in bench/; here: it stops, well before its 100,000 iterations.
        const int count = 6000, dimensions = 50, iterations = 100000;
        float[] data = TsneTestData.Blobs(count, dimensions, 10, 5, seed: 7);
        using var cancellation = new CancellationTokenSource();
        using var optimizing = new ManualResetEventSlim();
        int lastIteration = 0;
        var progress = new SynchronousProgress(value =>
        {
            if (value.Phase is TsnePhase.EarlyExaggeration or TsnePhase.Optimization)
            {
                Volatile.Write(ref lastIteration, value.Iteration);
                optimizing.Set();
            }
        });
        Task run = Task.Run(() => TsneRunner.Run(data, count, dimensions, new TsneOptions { Method = TsneMethod.BarnesHut, Iterations = iterations }, progress, cancellation.Token));
        Assert.True(optimizing.Wait(TimeSpan.FromMinutes(5)), "the optimization never started");
        cancellation.Cancel();
        Assert.True(((IAsyncResult)run).AsyncWaitHandle.WaitOne(TimeSpan.FromMinutes(2)), "the run did not end after its cancellation");
        Assert.ThrowsAny<OperationCanceledException>(() => run.GetAwaiter().GetResult());
        Assert.InRange(Volatile.Read(ref lastIteration), 1, iterations - 1);
    }

    private sealed class SynchronousProgress(Action<TsneProgress> report) : IProgress<TsneProgress>
    {
        public void Report(TsneProgress value) => report(value);
    }
}
