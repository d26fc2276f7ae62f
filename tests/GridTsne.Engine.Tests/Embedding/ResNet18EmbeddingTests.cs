using GridTsne.Engine.Embedding;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace GridTsne.Engine.Tests.Embedding;

[Collection(ResNet18Collection.Name)]
public sealed class ResNet18EmbeddingTests : IDisposable
{
    private readonly ResNet18Fixture _model;
    private readonly TemporaryDirectory _temp = new();

    public ResNet18EmbeddingTests(ResNet18Fixture model) => _model = model;

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Vectors_have_512_finite_non_negative_values()
    {
        string[] photos = [.. TestPaths.SamplesOf("Bus").Take(3), .. TestPaths.SamplesOf("Palm").Take(3)];
        List<EmbeddingResult> results = PipelineRunner.Run(_model.Embedder, photos);
        Assert.Equal(photos, results.Select(result => result.Path));
        foreach (EmbeddingResult result in results)
        {
            Assert.Null(result.Error);
            Assert.Equal(512, result.Vector!.Length);
            Assert.All(result.Vector, value => Assert.True(float.IsFinite(value) && value >= 0f, $"{value} in {result.Path}"));
            Assert.True(result.Vector.Max() > 0f);
            Assert.Equal((120, 120), (result.Width, result.Height));
        }
    }

    [Fact]
    public void The_same_photo_gives_identical_vectors_in_any_batch_position_and_size()
    {
        string[] photos = [.. TestPaths.SamplesOf("Hydrant").Take(5)];
        string repeated = photos[2];
        List<EmbeddingResult> batched = PipelineRunner.Run(_model.Embedder, [.. photos, repeated, repeated], new EmbeddingPipelineOptions { BatchSize = 16 });
        List<EmbeddingResult> single = PipelineRunner.Run(_model.Embedder, [repeated], new EmbeddingPipelineOptions { BatchSize = 1 });
        Assert.Equal(batched[2].Vector, batched[5].Vector);
        Assert.Equal(batched[2].Vector, batched[6].Vector);
        Assert.Equal(batched[2].Vector, single[0].Vector);
        Assert.NotEqual(batched[1].Vector, batched[2].Vector);
    }

    [Fact]
    public void Matches_the_original_ResNetPreprocess_and_ResNet18_chain()
    {
        // The package's own chain: raw RGB 0-255 -> ResNetPreprocess.onnx (swaps to BGR and subtracts the exact
        // per-pixel mean image) -> the unpatched ResNet18.onnx, batch 1. Both run through -ModelPath-style specs
        // with explicit preprocessing; the first one's rank-4 output comes back flattened, ready to feed the second.
        var rawRgb = new ImagePreprocessing { Width = 0, Height = 0, ChannelOrder = ChannelOrder.RGB, PixelScale = 1f, Mean = [0f, 0f, 0f], Std = [1f, 1f, 1f] };
        using ImageEmbedder preprocess = ImageEmbedder.Open(EmbeddingModelSpec.FromFile(TestPaths.ResNetPreprocess, rawRgb));
        using ImageEmbedder original = ImageEmbedder.Open(EmbeddingModelSpec.FromFile(TestPaths.OriginalResNet18, rawRgb));
        Assert.Equal(1, preprocess.FixedBatchSize);
        Assert.Equal(1, original.FixedBatchSize);
        Assert.Equal(3 * 224 * 224, preprocess.Dimensions);

        string[] photos = [.. new[] { "Bus", "Palm", "Crosswalk", "Bridge", "Car", "Traffic_Light" }.Select(kind => TestPaths.SamplesOf(kind)[0])];
        List<EmbeddingResult> tensors = PipelineRunner.Run(preprocess, photos, new EmbeddingPipelineOptions { BatchSize = 16 });
        List<EmbeddingResult> ours = PipelineRunner.Run(_model.Embedder, photos);
        for (int index = 0; index < photos.Length; index++)
        {
            float[] reference = original.Run(tensors[index].Vector!, 1, CancellationToken.None)[0];
            float cosine = PipelineRunner.Cosine(reference, ours[index].Vector!);
            Assert.True(cosine >= 0.995f, $"cosine {cosine} for {photos[index]}");
        }
    }

    [Fact]
    public void A_photos_nearest_neighbour_is_its_flip_or_a_photo_of_the_same_kind()
    {
        // Six kinds of reCAPTCHA tile, five of each, plus a mirrored copy of the first of each kind.
        string[] kinds = ["Bus", "Palm", "Hydrant", "Crosswalk", "Traffic_Light", "Bicycle"];
        List<string> originals = [.. kinds.SelectMany(kind => TestPaths.SamplesOf(kind).Take(5))];
        List<string> flips = [.. kinds.Select(kind => TestImages.Convert(TestPaths.SamplesOf(kind)[0], _temp.File(kind + "__mirrored.png"), context => context.Flip(FlipMode.Horizontal)))];
        List<string> all = [.. originals, .. flips];
        List<EmbeddingResult> results = PipelineRunner.Run(_model.Embedder, all);
        int NearestTo(int query) => Enumerable.Range(0, all.Count).Where(other => other != query)
            .MaxBy(other => PipelineRunner.Cosine(results[query].Vector!, results[other].Vector!));

        // A mirrored photo and its original find each other first of all.
        foreach (string kind in kinds)
        {
            int original = all.IndexOf(TestPaths.SamplesOf(kind)[0]);
            int flip = all.IndexOf(_temp.File(kind + "__mirrored.png"));
            Assert.Equal(all[original], all[NearestTo(flip)]);
            Assert.Equal(all[flip], all[NearestTo(original)]);
        }

        // The others mostly find a photo of their own kind: ResNet18 finds 60 % of same-kind neighbours among
        // all 256 samples (these tiles are small and hard); a random vector would find 4 in 35 here.
        var misses = new List<string>();
        foreach (string photo in originals.Where(photo => !all[NearestTo(all.IndexOf(photo))].Contains("__mirrored", StringComparison.Ordinal)))
        {
            string nearest = all[NearestTo(all.IndexOf(photo))];
            if (TestPaths.ClassOf(nearest) != TestPaths.ClassOf(photo))
            {
                misses.Add($"{Path.GetFileName(photo)} -> {Path.GetFileName(nearest)}");
            }
        }

        Assert.True(misses.Count <= originals.Count / 3, $"{misses.Count} of {originals.Count} photos are nearest to another kind: {string.Join(", ", misses)}");
    }

    [Fact]
    public void A_photo_stored_sideways_with_EXIF_orientation_6_matches_the_upright_photo()
    {
        // A landscape photo (wider than tall), so that a missed rotation changes the crop as well as the content;
        // stored losslessly upright, and as a camera would store it held sideways: a JPEG of the pixels turned
        // 90 degrees anticlockwise, tagged orientation 6 ("rotate 90 degrees clockwise to view").
        string upright = TestImages.Convert(TestPaths.SamplesOf("Bus")[1], _temp.File("upright.png"), context => context.Resize(180, 120));
        string sideways = _temp.File("sideways.jpg");
        string sidewaysWithoutTag = _temp.File("sideways-untagged.jpg");
        var camera = new JpegEncoder { Quality = 100 };
        using (Image<Rgb24> image = Image.Load<Rgb24>(upright))
        {
            image.Mutate(context => context.Rotate(RotateMode.Rotate270));
            image.Save(sidewaysWithoutTag, camera);
            image.Metadata.ExifProfile = new ExifProfile();
            image.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)6);
            image.Save(sideways, camera);
        }

        List<EmbeddingResult> results = PipelineRunner.Run(_model.Embedder, [upright, sideways, sidewaysWithoutTag]);
        Assert.Equal((180, 120), (results[1].Width, results[1].Height));
        Assert.Equal((120, 180), (results[2].Width, results[2].Height));
        float oriented = PipelineRunner.Cosine(results[0].Vector!, results[1].Vector!);
        float ignored = PipelineRunner.Cosine(results[0].Vector!, results[2].Vector!);
        Assert.True(oriented >= 0.99f, $"cosine {oriented} (untagged {ignored})");
        Assert.True(ignored < oriented - 0.05f, $"the untagged sideways photo is as close ({ignored}) as the tagged one ({oriented})");
    }

    [Fact]
    public void Normalize_gives_unit_vectors_in_the_same_direction()
    {
        string photo = TestPaths.SamplesOf("Car")[0];
        float[] raw = PipelineRunner.Run(_model.Embedder, [photo])[0].Vector!;
        float[] unit = PipelineRunner.Run(_model.Embedder, [photo], new EmbeddingPipelineOptions { Normalize = true })[0].Vector!;
        Assert.Equal(1f, System.Numerics.Tensors.TensorPrimitives.Norm(unit), 4);
        Assert.True(PipelineRunner.Cosine(raw, unit) > 0.9999f);
        Assert.True(System.Numerics.Tensors.TensorPrimitives.Norm(raw) > 1.5f);
    }

    [Fact]
    public void Each_photo_gets_a_thumbnail_of_the_requested_size_unless_disabled()
    {
        string photo = TestImages.Convert(TestPaths.SamplesOf("Bridge")[0], _temp.File("wide.png"), context => context.Resize(240, 120));
        EmbeddingResult withThumbnail = PipelineRunner.Run(_model.Embedder, [photo], new EmbeddingPipelineOptions { ThumbnailSize = 64 })[0];
        Assert.Equal((128, 64), (withThumbnail.Thumbnail!.Width, withThumbnail.Thumbnail.Height));
        Assert.Equal((240, 120), (withThumbnail.Thumbnail.SourceWidth, withThumbnail.Thumbnail.SourceHeight));
        using (Image<Rgb24> decoded = withThumbnail.Thumbnail.Decode())
        {
            Assert.Equal(128, decoded.Width);
        }

        Assert.Null(PipelineRunner.Run(_model.Embedder, [photo], new EmbeddingPipelineOptions { ThumbnailSize = 0 })[0].Thumbnail);
    }
}
