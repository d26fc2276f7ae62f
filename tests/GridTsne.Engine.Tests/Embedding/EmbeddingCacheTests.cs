using GridTsne.Engine.Embedding;

namespace GridTsne.Engine.Tests.Embedding;

[Collection(ResNet18Collection.Name)]
public sealed class EmbeddingCacheTests : IDisposable
{
    private readonly ResNet18Fixture _model;
    private readonly TemporaryDirectory _temp = new();
    private readonly string _cache;
    private readonly List<string> _photos;

    public EmbeddingCacheTests(ResNet18Fixture model)
    {
        _model = model;
        _cache = _temp.File("cache");
        _photos = [.. TestPaths.SamplesOf("Bridge").Take(3).Select((sample, index) => TestImages.Convert(sample, _temp.File($"photo-{index}.png")))];
    }

    public void Dispose() => _temp.Dispose();

    private EmbeddingPipelineOptions Cached => new() { CacheDirectory = _cache };

    private string[] Entries => Directory.Exists(_cache) ? Directory.GetFiles(_cache, "*" + EmbeddingCache.EntryExtension, SearchOption.AllDirectories) : [];

    [Fact]
    public void A_miss_writes_an_entry_and_a_rerun_hits_it_with_the_same_vector_and_thumbnail()
    {
        List<EmbeddingResult> first = PipelineRunner.Run(_model.Embedder, _photos, Cached);
        Assert.All(first, result => Assert.False(result.FromCache));
        Assert.Equal(_photos.Count, Entries.Length);

        List<EmbeddingResult> second = PipelineRunner.Run(_model.Embedder, _photos, Cached);
        for (int index = 0; index < _photos.Count; index++)
        {
            Assert.True(second[index].FromCache);
            Assert.Equal(first[index].Vector, second[index].Vector);
            Assert.Equal((first[index].Width, first[index].Height), (second[index].Width, second[index].Height));
            Assert.Equal(first[index].Thumbnail!.EncodedJpeg, second[index].Thumbnail!.EncodedJpeg);
        }

        Assert.Empty(Directory.GetFiles(_cache, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void A_changed_file_is_embedded_again()
    {
        List<EmbeddingResult> first = PipelineRunner.Run(_model.Embedder, _photos, Cached);
        TestImages.Convert(TestPaths.SamplesOf("Hydrant")[0], _photos[1]);
        List<EmbeddingResult> second = PipelineRunner.Run(_model.Embedder, _photos, Cached);
        Assert.True(second[0].FromCache);
        Assert.False(second[1].FromCache);
        Assert.NotEqual(first[1].Vector, second[1].Vector);
        Assert.Equal(PipelineRunner.Run(_model.Embedder, [_photos[1]])[0].Vector, second[1].Vector);
        Assert.True(second[2].FromCache);
    }

    [Fact]
    public void A_truncated_or_corrupt_entry_is_ignored_and_rewritten()
    {
        List<EmbeddingResult> first = PipelineRunner.Run(_model.Embedder, _photos, Cached);
        var cache = new EmbeddingCache(_cache, Cached.CacheIdentity(_model.Embedder));
        string truncated = cache.EntryPath(EmbeddingCache.HashContent(File.ReadAllBytes(_photos[0])));
        string flipped = cache.EntryPath(EmbeddingCache.HashContent(File.ReadAllBytes(_photos[1])));
        byte[] whole = File.ReadAllBytes(truncated);
        File.WriteAllBytes(truncated, whole[..(whole.Length / 2)]);
        byte[] damaged = File.ReadAllBytes(flipped);
        damaged[100] ^= 0x40; // A bit in the vector: only the checksum notices.
        File.WriteAllBytes(flipped, damaged);

        List<EmbeddingResult> second = PipelineRunner.Run(_model.Embedder, _photos, Cached);
        Assert.Equal([false, false, true], second.Select(result => result.FromCache));
        for (int index = 0; index < _photos.Count; index++)
        {
            Assert.Equal(first[index].Vector, second[index].Vector);
        }

        Assert.Equal(whole, File.ReadAllBytes(truncated));
        Assert.All(PipelineRunner.Run(_model.Embedder, _photos, Cached), result => Assert.True(result.FromCache));
    }

    [Fact]
    public void Other_preprocessing_or_another_thumbnail_size_does_not_reuse_what_it_cannot()
    {
        PipelineRunner.Run(_model.Embedder, _photos, Cached);

        EmbeddingModelSpec squeezed = _model.Spec with { Preprocessing = _model.Spec.Preprocessing with { Crop = CropMode.None } };
        using (ImageEmbedder other = ImageEmbedder.Open(squeezed))
        {
            Assert.All(PipelineRunner.Run(other, _photos, Cached), result => Assert.False(result.FromCache));
        }

        // The vector is reused, the thumbnail is made anew at the new size and stored for next time.
        List<EmbeddingResult> smaller = PipelineRunner.Run(_model.Embedder, _photos, Cached with { ThumbnailSize = 32 });
        Assert.All(smaller, result => Assert.True(result.FromCache && result.Thumbnail!.ShortSide == 32));
        var cache = new EmbeddingCache(_cache, Cached.CacheIdentity(_model.Embedder));
        Assert.True(cache.TryRead(EmbeddingCache.HashContent(File.ReadAllBytes(_photos[0])), out CachedEmbedding? entry));
        Assert.Equal(32, entry!.ThumbnailSize);
    }

    [Fact]
    public void Cache_hits_behind_a_photo_that_needs_the_model_do_not_wait_for_its_batch_to_fill()
    {
        PipelineRunner.Run(_model.Embedder, _photos, Cached);
        string fresh = TestImages.Convert(TestPaths.SamplesOf("Car")[0], _temp.File("fresh.png"));
        List<string> inputs = [fresh, .. Enumerable.Repeat(_photos, 20).SelectMany(photos => photos)];
        // With the idle flush an hour away, only the pipeline's own rule can let the hits through in time.
        List<EmbeddingResult> results = Completion.Within(TimeSpan.FromMinutes(5), "the run",
            () => PipelineRunner.Run(_model.Embedder, inputs, Cached with { IdleFlushDelay = TimeSpan.FromHours(1) }));
        Assert.Equal(inputs, results.Select(result => result.Path));
        Assert.Equal(inputs.Count - 1, results.Count(result => result.FromCache));
    }

    [Fact]
    public void Concurrent_writers_and_readers_never_see_a_partial_entry()
    {
        var cache = new EmbeddingCache(_cache, "identity");
        byte[] content = EmbeddingCache.HashContent("photo"u8);
        float[][] vectors = [.. Enumerable.Range(0, 4).Select(seed => Enumerable.Range(0, 4096).Select(index => (float)(seed * 10000 + index)).ToArray())];
        int hits = 0;
        Parallel.For(0, 400, new ParallelOptions { MaxDegreeOfParallelism = 8 }, iteration =>
        {
            if (iteration % 2 == 0)
            {
                cache.Write(content, new CachedEmbedding(vectors[iteration % 4], 10, 20, 0, null));
            }
            else if (cache.TryRead(content, out CachedEmbedding? entry))
            {
                Assert.Contains(vectors, vector => vector.AsSpan().SequenceEqual(entry!.Vector));
                Interlocked.Increment(ref hits);
            }
        });

        Assert.True(hits > 0);
        Assert.Single(Entries);
        Assert.Empty(Directory.GetFiles(_cache, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void A_cache_that_cannot_be_written_warns_and_the_vector_is_still_returned()
    {
        var cache = new EmbeddingCache(_cache, Cached.CacheIdentity(_model.Embedder));
        string entry = cache.EntryPath(EmbeddingCache.HashContent(File.ReadAllBytes(_photos[0])));
        File.WriteAllText(Path.GetDirectoryName(entry)!, "a file where the entry's folder should be");

        EmbeddingResult result = PipelineRunner.Run(_model.Embedder, [_photos[0]], Cached)[0];
        Assert.Equal(512, result.Vector!.Length);
        Assert.Contains("could not be cached", result.CacheWarning, StringComparison.Ordinal);
        Assert.Contains(Path.GetFileName(_photos[0]), result.CacheWarning, StringComparison.Ordinal);
    }
}
