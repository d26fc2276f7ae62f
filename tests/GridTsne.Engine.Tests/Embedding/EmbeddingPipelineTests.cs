using GridTsne.Engine.Embedding;
using GridTsne.Engine.Imaging;
using GridTsne.Engine.Tests.Imaging;
using SixLabors.ImageSharp.Processing;

namespace GridTsne.Engine.Tests.Embedding;

[Collection(ResNet18Collection.Name)]
public sealed class EmbeddingPipelineTests : IDisposable
{
    private readonly ResNet18Fixture _model;
    private readonly TemporaryDirectory _temp = new();

    public EmbeddingPipelineTests(ResNet18Fixture model) => _model = model;

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Results_come_in_input_order_whatever_order_the_decoders_finish_in()
    {
        // Large photos (slow to decode) between small ones, decoded on four threads in batches of three:
        // the decoders finish out of order, the results must not.
        var photos = new List<string>();
        string[] samples = [.. Directory.GetFiles(TestPaths.SamplePhotos).Order(StringComparer.Ordinal).Take(12)];
        for (int index = 0; index < samples.Length; index++)
        {
            photos.Add(index % 4 == 0
                ? TestImages.Convert(samples[index], _temp.File($"large-{index}.png"), context => context.Resize(1600, 1600))
                : samples[index]);
        }

        List<EmbeddingResult> parallel = PipelineRunner.Run(_model.Embedder, photos, new EmbeddingPipelineOptions { ThrottleLimit = 4, BatchSize = 3 });
        List<EmbeddingResult> sequential = PipelineRunner.Run(_model.Embedder, photos, new EmbeddingPipelineOptions { ThrottleLimit = 1, BatchSize = 1 });
        Assert.Equal(photos, parallel.Select(result => result.Path));
        Assert.Equal(Enumerable.Range(0, photos.Count).Select(index => (long)index), parallel.Select(result => result.Index));
        for (int index = 0; index < photos.Count; index++)
        {
            Assert.Equal(sequential[index].Vector, parallel[index].Vector);
        }
    }

    [Fact]
    public void Each_bad_file_becomes_an_error_in_its_place_and_the_rest_are_embedded()
    {
        string good = TestPaths.SamplesOf("Palm")[0];
        string directory = Directory.CreateDirectory(_temp.File("folder.jpg")).FullName;
        string unreadable = _temp.File("locked.jpg");
        using IDisposable holder = HostileFiles.Unreadable(unreadable);
        (string Path, ImageLoadFailure? Failure)[] inputs =
        [
            (good, null),
            (_temp.File("missing.jpg"), ImageLoadFailure.NotFound),
            (directory, ImageLoadFailure.IsDirectory),
            (unreadable, ImageLoadFailure.AccessDenied),
            (HostileFiles.Empty(_temp.File("empty.jpg")), ImageLoadFailure.Empty),
            (HostileFiles.Truncated(good, _temp.File("cut.jpg")), ImageLoadFailure.Corrupt),
            (HostileFiles.Truncated(good, _temp.File("cut.png")), ImageLoadFailure.Corrupt),
            (HostileFiles.Text(_temp.File("notes.jpg")), ImageLoadFailure.UnknownFormat),
            (HostileFiles.Heic(_temp.File("iphone.heic")), ImageLoadFailure.UnknownFormat),
            (HostileFiles.PngBomb(_temp.File("bomb.png")), ImageLoadFailure.TooLarge),
            (TestPaths.SamplesOf("Bus")[0], null),
        ];

        List<EmbeddingResult> results = PipelineRunner.Run(_model.Embedder, inputs.Select(input => input.Path), new EmbeddingPipelineOptions { BatchSize = 2 });
        Assert.Equal(inputs.Select(input => input.Path), results.Select(result => result.Path));
        for (int index = 0; index < inputs.Length; index++)
        {
            Assert.Equal(inputs[index].Failure, results[index].Error?.Failure);
            Assert.Equal(inputs[index].Failure is null, results[index].Vector is { Length: 512 });
        }
    }

    [Fact]
    public void No_more_than_a_window_of_photos_is_in_flight()
    {
        string photo = TestPaths.SamplesOf("Car")[0];
        using var pipeline = new EmbeddingPipeline(_model.Embedder, new EmbeddingPipelineOptions { BatchSize = 4, ThrottleLimit = 2 }, CancellationToken.None);
        Assert.Equal((2 * 4) + (2 * 2), pipeline.Window);
        for (int added = 0; added < pipeline.Window; added++)
        {
            Assert.True(pipeline.TryAdd(photo));
        }

        Assert.False(pipeline.TryAdd(photo));
        Assert.True(pipeline.Take(out EmbeddingResult? first));
        Assert.Equal(0, first!.Index);
        Assert.True(pipeline.TryAdd(photo));
    }

    [Fact]
    public void A_partial_batch_runs_when_no_more_input_comes_without_waiting_for_the_end()
    {
        using var pipeline = new EmbeddingPipeline(_model.Embedder, new EmbeddingPipelineOptions { BatchSize = 16 }, CancellationToken.None);
        Assert.True(pipeline.TryAdd(TestPaths.SamplesOf("Bus")[0]));
        Assert.True(pipeline.TryAdd(TestPaths.SamplesOf("Bus")[1]));
        // Take blocks until a result is ready: without the idle flush it would wait for input that never comes.
        List<EmbeddingResult> results = Completion.Within(TimeSpan.FromMinutes(2), "taking the two results", () =>
        {
            var taken = new List<EmbeddingResult>();
            while (taken.Count < 2 && pipeline.Take(out EmbeddingResult? result))
            {
                taken.Add(result!);
            }

            return taken;
        });

        Assert.Equal(2, results.Count);
        Assert.Equal(1, pipeline.Batches);
    }

    [Fact]
    public void Cancellation_stops_the_pipeline_and_disposal_ends_every_thread()
    {
        string[] photos = [.. Directory.GetFiles(TestPaths.SamplePhotos).Order(StringComparer.Ordinal)];
        using var cancellation = new CancellationTokenSource();
        var pipeline = new EmbeddingPipeline(_model.Embedder, new EmbeddingPipelineOptions { BatchSize = 16 }, cancellation.Token);
        try
        {
            int next = 0;
            while (pipeline.TryAdd(photos[next]))
            {
                next++;
            }

            Assert.True(pipeline.Take(out _));
            // How fast they stop is measured in bench/; here: a take sees the cancellation and disposal ends.
            cancellation.Cancel();
            Completion.Within(TimeSpan.FromMinutes(1), "taking after the cancellation", () => Assert.ThrowsAny<OperationCanceledException>(() =>
            {
                while (pipeline.Take(out _))
                {
                }
            }));
            Completion.Within(TimeSpan.FromMinutes(1), "disposal", pipeline.Dispose);
            Assert.True(pipeline.ThreadsStopped);
        }
        finally
        {
            pipeline.Dispose();
        }

        // The embedder is still usable after a cancelled run.
        Assert.Single(PipelineRunner.Run(_model.Embedder, [photos[0]]));
    }

    [Fact]
    public void A_model_that_fails_while_running_ends_the_run_with_that_failure()
    {
        // It passes the checks at load (float [N,3,8,8] in, float tensor out) but returns the batch second.
        string path = TinyOnnxModels.BatchSecond(_temp.File("batch-second.onnx"), 8);
        using ImageEmbedder embedder = ImageEmbedder.Open(EmbeddingModelSpec.FromFile(path, new ImagePreprocessing { Width = 0, Height = 0 }));
        var error = Assert.Throws<ModelLoadException>(() => PipelineRunner.Run(embedder, TestPaths.SamplesOf("Bus").Take(2), new EmbeddingPipelineOptions { BatchSize = 2 }));
        Assert.Equal(ModelLoadFailure.UnsupportedOutput, error.Failure);
        Assert.Contains("batch", error.Message, StringComparison.Ordinal);
    }
}
