using GridTsne.Engine.Embedding;

namespace GridTsne.Engine.Tests.Embedding;

/// <summary>
/// ImageEmbedder.OpenReusable: a session handed back by one command serves the next one in the process, with
/// the same vectors, and never two embedders at once. The only tests that use the idle sessions, so they run
/// one after another and see no other test's sessions.
/// </summary>
public sealed class ReusableSessionTests : IDisposable
{
    private static readonly ImagePreprocessing Raw = new() { Width = 0, Height = 0, PixelScale = 1f, Mean = [0f, 0f, 0f], Std = [1f, 1f, 1f] };
    private readonly TemporaryDirectory _temp = new();

    public ReusableSessionTests() => ImageEmbedder.ReleaseIdleSessions();

    public void Dispose()
    {
        ImageEmbedder.ReleaseIdleSessions();
        _temp.Dispose();
    }

    [Fact]
    public void A_reused_ResNet18_session_gives_the_same_vectors_bit_for_bit_as_a_fresh_one()
    {
        EmbeddingModelSpec spec = ModelCatalog.Load(TestPaths.ModelsDirectory).Get("ResNet18");
        string[] photos = [.. Directory.GetFiles(TestPaths.SamplePhotos).Order(StringComparer.Ordinal).Take(5)];
        float[][] fresh;
        using (ImageEmbedder owned = ImageEmbedder.Open(spec))
        {
            fresh = Vectors(owned, photos);
        }

        using (ImageEmbedder first = ImageEmbedder.OpenReusable(spec))
        {
            Assert.False(first.SessionReused);
            Assert.Equal(fresh, Vectors(first, photos));
        }

        Assert.Equal(1, IdleSessionPool.Count);
        using ImageEmbedder second = ImageEmbedder.OpenReusable(spec);
        Assert.True(second.SessionReused);
        Assert.Equal(0, IdleSessionPool.Count);
        Assert.Equal(fresh, Vectors(second, photos));
    }

    [Fact]
    public void An_embedder_in_use_keeps_its_session_to_itself()
    {
        EmbeddingModelSpec spec = EmbeddingModelSpec.FromFile(TinyOnnxModels.Identity(_temp.File("identity.onnx"), TinyOnnxModels.Float, "N", 3, 8, 8), Raw);
        using (ImageEmbedder first = ImageEmbedder.OpenReusable(spec))
        using (ImageEmbedder second = ImageEmbedder.OpenReusable(spec))
        {
            Assert.False(first.SessionReused);
            Assert.False(second.SessionReused);
        }

        // Both came back; one is kept, the other destroyed.
        Assert.Equal(1, IdleSessionPool.Count);
        using ImageEmbedder third = ImageEmbedder.OpenReusable(spec);
        Assert.True(third.SessionReused);
        using ImageEmbedder fourth = ImageEmbedder.OpenReusable(spec);
        Assert.False(fourth.SessionReused);
    }

    [Fact]
    public void A_replaced_model_file_is_loaded_afresh()
    {
        string path = _temp.File("model.onnx");
        EmbeddingModelSpec spec = EmbeddingModelSpec.FromFile(TinyOnnxModels.Identity(path, TinyOnnxModels.Float, "N", 3, 8, 8), Raw);
        using (ImageEmbedder small = ImageEmbedder.OpenReusable(spec))
        {
            Assert.Equal(3 * 8 * 8, small.Dimensions);
        }

        TinyOnnxModels.Identity(path, TinyOnnxModels.Float, "N", 3, 16, 16);
        File.SetLastWriteTimeUtc(path, File.GetLastWriteTimeUtc(path).AddSeconds(1));
        using ImageEmbedder large = ImageEmbedder.OpenReusable(spec);
        Assert.False(large.SessionReused);
        Assert.Equal(3 * 16 * 16, large.Dimensions);
    }

    [Fact]
    public void Other_thread_counts_get_their_own_session_and_at_most_two_stay_idle()
    {
        EmbeddingModelSpec spec = EmbeddingModelSpec.FromFile(TinyOnnxModels.Identity(_temp.File("identity.onnx"), TinyOnnxModels.Float, "N", 3, 8, 8), Raw);
        for (int threads = 1; threads <= 3; threads++)
        {
            using ImageEmbedder embedder = ImageEmbedder.OpenReusable(spec, threads);
            Assert.False(embedder.SessionReused);
        }

        Assert.Equal(IdleSessionPool.Capacity, IdleSessionPool.Count);
        using (ImageEmbedder oldest = ImageEmbedder.OpenReusable(spec, 1))
        {
            Assert.False(oldest.SessionReused);
        }

        using (ImageEmbedder kept = ImageEmbedder.OpenReusable(spec, 3))
        {
            Assert.True(kept.SessionReused);
            Assert.Equal(3, kept.IntraOpThreads);
        }

        Assert.Equal(IdleSessionPool.Capacity, ImageEmbedder.ReleaseIdleSessions());
        Assert.Equal(0, IdleSessionPool.Count);
    }

    [Fact]
    public void A_plain_Open_never_keeps_its_session()
    {
        EmbeddingModelSpec spec = EmbeddingModelSpec.FromFile(TinyOnnxModels.Identity(_temp.File("identity.onnx"), TinyOnnxModels.Float, "N", 3, 8, 8), Raw);
        using (ImageEmbedder.Open(spec))
        {
        }

        Assert.Equal(0, IdleSessionPool.Count);
    }

    private static float[][] Vectors(ImageEmbedder embedder, string[] photos) =>
        [.. PipelineRunner.Run(embedder, photos).Select(result => result.Vector ?? throw new InvalidOperationException(result.Error?.Message))];
}
