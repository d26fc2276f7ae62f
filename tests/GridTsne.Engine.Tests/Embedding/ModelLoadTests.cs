using GridTsne.Engine.Embedding;
using SixLabors.ImageSharp.PixelFormats;

namespace GridTsne.Engine.Tests.Embedding;

public sealed class ModelLoadTests : IDisposable
{
    private static readonly ImagePreprocessing Raw = new() { Width = 0, Height = 0, PixelScale = 1f, Mean = [0f, 0f, 0f], Std = [1f, 1f, 1f] };
    private readonly TemporaryDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void The_catalog_lists_ResNet18_with_its_preprocessing()
    {
        ModelCatalog catalog = ModelCatalog.Load(TestPaths.ModelsDirectory);
        Assert.Equal(["ResNet18", "ResNet18-Int8"], catalog.Names);
        EmbeddingModelSpec spec = catalog.Get("resnet18");
        Assert.True(spec.IsBuiltIn);
        Assert.Equal(ChannelOrder.BGR, spec.Preprocessing.ChannelOrder);
        Assert.Equal([103.06f, 115.90f, 123.15f], spec.Preprocessing.Mean);
        Assert.Equal(1f, spec.Preprocessing.PixelScale);
        Assert.Equal(224, spec.Preprocessing.Width);
        Assert.Equal("Pooling395_Output_0", spec.OutputName);
    }

    [Fact]
    public void An_unknown_name_lists_the_built_in_models()
    {
        var error = Assert.Throws<ModelLoadException>(() => ModelCatalog.Load(TestPaths.ModelsDirectory).Get("VGG99"));
        Assert.Equal(ModelLoadFailure.UnknownModel, error.Failure);
        Assert.Contains("ResNet18", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_catalog_is_reported_and_offers_no_completions()
    {
        var error = Assert.Throws<ModelLoadException>(() => ModelCatalog.Load(_temp.Path));
        Assert.Equal(ModelLoadFailure.CatalogUnreadable, error.Failure);
        Assert.Empty(ModelCatalog.TryReadNames(_temp.Path));
        Assert.Equal(["ResNet18", "ResNet18-Int8"], ModelCatalog.TryReadNames(TestPaths.ModelsDirectory));
    }

    [Fact]
    public void A_missing_built_in_file_asks_for_build_ps1()
    {
        EmbeddingModelSpec spec = ModelCatalog.Load(TestPaths.ModelsDirectory).Get("ResNet18") with { FilePath = _temp.File("resnet18.onnx") };
        var error = Assert.Throws<ModelLoadException>(() => ImageEmbedder.Open(spec));
        Assert.Equal(ModelLoadFailure.NotFound, error.Failure);
        Assert.Contains("build.ps1", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ResNet18")]
    [InlineData("ResNet18-Int8")]
    public void A_built_in_file_that_fails_its_hash_is_never_used(string model)
    {
        // A working model, but not the one the catalog vouches for.
        string impostor = TinyOnnxModels.Identity(_temp.File("model.onnx"), TinyOnnxModels.Float, "N", 3, 224, 224);
        EmbeddingModelSpec spec = ModelCatalog.Load(TestPaths.ModelsDirectory).Get(model) with { FilePath = impostor };
        var error = Assert.Throws<ModelLoadException>(() => ImageEmbedder.Open(spec));
        Assert.Equal(ModelLoadFailure.HashMismatch, error.Failure);
        Assert.Contains("build.ps1", error.Message, StringComparison.Ordinal);
        Assert.Contains(spec.Sha256!, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_model_file_or_a_directory_is_refused()
    {
        var missing = Assert.Throws<ModelLoadException>(() => ImageEmbedder.Open(EmbeddingModelSpec.FromFile(_temp.File("none.onnx"), Raw)));
        Assert.Equal(ModelLoadFailure.NotFound, missing.Failure);
        var directory = Assert.Throws<ModelLoadException>(() => ImageEmbedder.Open(EmbeddingModelSpec.FromFile(_temp.Path, Raw)));
        Assert.Equal(ModelLoadFailure.NotFound, directory.Failure);
        Assert.Contains("directory", directory.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_is_not_ONNX_is_refused()
    {
        string text = _temp.File("notes.onnx");
        File.WriteAllText(text, "this is not a model");
        var error = Assert.Throws<ModelLoadException>(() => ImageEmbedder.Open(EmbeddingModelSpec.FromFile(text, Raw)));
        Assert.Equal(ModelLoadFailure.NotOnnx, error.Failure);
        Assert.Contains(text, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("vector")]
    [InlineData("int64")]
    [InlineData("four-channels")]
    [InlineData("two-inputs")]
    public void An_input_that_is_not_one_float_image_tensor_is_refused(string kind)
    {
        string path = _temp.File(kind + ".onnx");
        _ = kind switch
        {
            "vector" => TinyOnnxModels.Identity(path, TinyOnnxModels.Float, "N", 10),
            "int64" => TinyOnnxModels.Identity(path, TinyOnnxModels.Int64, "N", 3, 32, 32),
            "four-channels" => TinyOnnxModels.Identity(path, TinyOnnxModels.Float, "N", 4, 32, 32),
            _ => TinyOnnxModels.Add(path, "N", 3, 32, 32),
        };
        var error = Assert.Throws<ModelLoadException>(() => ImageEmbedder.Open(EmbeddingModelSpec.FromFile(path, Raw)));
        Assert.Equal(ModelLoadFailure.UnsupportedInput, error.Failure);
        Assert.Contains("[N,3,H,W]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_requested_size_that_contradicts_a_fixed_input_is_refused()
    {
        string path = TinyOnnxModels.Identity(_temp.File("fixed.onnx"), TinyOnnxModels.Float, "N", 3, 32, 32);
        var error = Assert.Throws<ModelLoadException>(() => ImageEmbedder.Open(EmbeddingModelSpec.FromFile(path, Raw with { Width = 64, Height = 64 })));
        Assert.Equal(ModelLoadFailure.UnsupportedInput, error.Failure);
        Assert.Contains("64", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_output_name_lists_the_outputs()
    {
        string path = TinyOnnxModels.Identity(_temp.File("identity.onnx"), TinyOnnxModels.Float, "N", 3, 8, 8);
        var error = Assert.Throws<ModelLoadException>(() => ImageEmbedder.Open(EmbeddingModelSpec.FromFile(path, Raw, outputName: "features")));
        Assert.Equal(ModelLoadFailure.UnsupportedOutput, error.Failure);
        Assert.Contains("Y", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_preprocessing_is_refused()
    {
        string path = TinyOnnxModels.Identity(_temp.File("identity.onnx"), TinyOnnxModels.Float, "N", 3, 8, 8);
        var error = Assert.Throws<ModelLoadException>(() => ImageEmbedder.Open(EmbeddingModelSpec.FromFile(path, Raw with { Std = [1f, 0f, 1f] })));
        Assert.Equal(ModelLoadFailure.InvalidPreprocessing, error.Failure);
    }

    [Fact]
    public void Sizes_come_from_the_model_or_the_request_and_a_rank_4_output_is_flattened()
    {
        string fixedSize = TinyOnnxModels.Identity(_temp.File("fixed.onnx"), TinyOnnxModels.Float, "N", 3, 8, 6);
        using (ImageEmbedder embedder = ImageEmbedder.Open(EmbeddingModelSpec.FromFile(fixedSize, Raw)))
        {
            Assert.Equal((6, 8), (embedder.Preprocessing.Width, embedder.Preprocessing.Height));
            Assert.Equal(3 * 8 * 6, embedder.Dimensions);
            Assert.Equal(0, embedder.FixedBatchSize);
        }

        string open = TinyOnnxModels.Identity(_temp.File("open.onnx"), TinyOnnxModels.Float, "N", 3, "H", "W");
        using (ImageEmbedder embedder = ImageEmbedder.Open(EmbeddingModelSpec.FromFile(open, Raw)))
        {
            Assert.Equal((224, 224), (embedder.Preprocessing.Width, embedder.Preprocessing.Height));
            Assert.Equal(0, embedder.Dimensions); // Learnt on the first run.
        }

        using (ImageEmbedder embedder = ImageEmbedder.Open(EmbeddingModelSpec.FromFile(open, Raw with { Width = 16, Height = 16 })))
        {
            Assert.Equal((16, 16), (embedder.Preprocessing.Width, embedder.Preprocessing.Height));
        }
    }

    [Fact]
    public void An_identity_model_returns_the_preprocessed_tensor_flattened()
    {
        // With an identity model the "embedding" is the tensor itself: checks preprocessing, layout and flattening.
        string path = TinyOnnxModels.Identity(_temp.File("identity.onnx"), TinyOnnxModels.Float, "N", 3, 4, 4);
        string photo = _temp.File("solid.png");
        using (var image = new SixLabors.ImageSharp.Image<Rgb24>(10, 10, new Rgb24(200, 100, 50)))
        {
            SixLabors.ImageSharp.ImageExtensions.Save(image, photo);
        }

        var preprocessing = Raw with { ChannelOrder = ChannelOrder.BGR, Mean = [10f, 20f, 30f], Std = [2f, 4f, 5f] };
        using ImageEmbedder embedder = ImageEmbedder.Open(EmbeddingModelSpec.FromFile(path, preprocessing));
        float[] vector = Assert.Single(PipelineRunner.Run(embedder, [photo])).Vector!;
        Assert.Equal(48, vector.Length);
        Assert.All(vector[..16], value => Assert.Equal((50f - 10f) / 2f, value));
        Assert.All(vector[16..32], value => Assert.Equal((100f - 20f) / 4f, value));
        Assert.All(vector[32..], value => Assert.Equal((200f - 30f) / 5f, value));
    }
}
