using GridTsne.Engine.Embedding;
using GridTsne.Engine.Imaging;
using GridTsne.Engine.Tests.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;

namespace GridTsne.Engine.Tests.Embedding;

/// <summary>
/// Decoding camera photos at 1/8 or 1/4 must not change what the model sees in them: the vectors stay
/// those of ImageSharp's full decode, within a cosine of 0.99 (median) and 0.97 (worst).
/// </summary>
[Collection(ResNet18Collection.Name)]
public sealed class ShrinkOnLoadEmbeddingTests : IDisposable
{
    private static readonly EmbeddingPipelineOptions FullDecode = new() { DecodeOptions = new ImageDecodeOptions { ScaledJpegDecoding = false } };
    private readonly ResNet18Fixture _model;
    private readonly TemporaryDirectory _temp = new();

    public ShrinkOnLoadEmbeddingTests(ResNet18Fixture model) => _model = model;

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Shrink_on_load_vectors_match_full_decode_vectors()
    {
        // Twelve photos of four classes at two camera sizes: 1/4 (1600 x 1200) and 1/8 (2400 x 1800) apply.
        string[] samples = [.. new[] { "Bus", "Bridge", "Hydrant", "Palm" }.SelectMany(name => TestPaths.SamplesOf(name).Take(3))];
        var photos = new List<string>();
        for (int index = 0; index < samples.Length; index++)
        {
            (int width, int height) = index % 2 == 0 ? (1600, 1200) : (2400, 1800);
            string path = _temp.File($"camera-{index}.jpg");
            using Image<Rgb24> photo = ScaledJpegDecodingTests.CameraLikePhoto(width, height, seed: index, samples[index]);
            photo.SaveAsJpeg(path, new JpegEncoder { Quality = 90 });
            photos.Add(path);
        }

        List<EmbeddingResult> scaled = PipelineRunner.Run(_model.Embedder, photos);
        List<EmbeddingResult> full = PipelineRunner.Run(_model.Embedder, photos, FullDecode);

        double[] cosines = [.. scaled.Zip(full, (a, b) => (double)PipelineRunner.Cosine(a.Vector!, b.Vector!)).Order()];
        double median = (cosines[(cosines.Length / 2) - 1] + cosines[cosines.Length / 2]) / 2;
        Assert.True(median >= 0.99, $"median cosine {median:0.0000}; all: {string.Join(", ", cosines.Select(c => c.ToString("0.0000")))}");
        Assert.True(cosines[0] >= 0.97, $"lowest cosine {cosines[0]:0.0000}");

        // Each photo's shrink-on-load vector is nearer its own full-decode vector than any other photo's.
        for (int index = 0; index < photos.Count; index++)
        {
            Assert.Equal(index, Nearest(full, scaled[index].Vector!));
        }

        // The full size is reported, whatever size the photo was decoded at.
        Assert.Equal((1600, 1200), (scaled[0].Width, scaled[0].Height));
        Assert.Equal((2400, 1800), (scaled[1].Width, scaled[1].Height));
        Assert.Equal((2400, 1800), (scaled[1].Thumbnail!.SourceWidth, scaled[1].Thumbnail!.SourceHeight));
        Assert.Equal(128, scaled[1].Thumbnail!.ShortSide);
    }

    [Fact]
    public void Entries_cached_by_one_decoding_path_are_misses_for_the_other()
    {
        string photo = _temp.File("camera.jpg");
        using (Image<Rgb24> image = ScaledJpegDecodingTests.CameraLikePhoto(1600, 1200, seed: 1))
        {
            image.SaveAsJpeg(photo, new JpegEncoder { Quality = 90 });
        }

        string cache = _temp.File("cache");
        Assert.False(PipelineRunner.Run(_model.Embedder, [photo], FullDecode with { CacheDirectory = cache })[0].FromCache);
        Assert.False(PipelineRunner.Run(_model.Embedder, [photo], new EmbeddingPipelineOptions { CacheDirectory = cache })[0].FromCache);
        Assert.True(PipelineRunner.Run(_model.Embedder, [photo], new EmbeddingPipelineOptions { CacheDirectory = cache })[0].FromCache);
        Assert.True(PipelineRunner.Run(_model.Embedder, [photo], FullDecode with { CacheDirectory = cache })[0].FromCache);
    }

    private static int Nearest(List<EmbeddingResult> results, float[] vector) =>
        Enumerable.Range(0, results.Count).MaxBy(index => PipelineRunner.Cosine(vector, results[index].Vector!));
}
