using System.Security.Cryptography;
using System.Text.Json;
using GridTsne.Engine.Embedding;
using GridTsne.Engine.Imaging;
using GridTsne.Engine.Quantization;
using GridTsne.Engine.Tests.Embedding;
using Microsoft.ML.OnnxRuntime;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace GridTsne.Engine.Tests.Quantization;

/// <summary>The built-in ResNet18-Int8 that build.ps1 quantizes from the fp32 ResNet18.</summary>
public sealed class ResNet18Int8Tests : IDisposable
{
    private const string Int8Name = "ResNet18-Int8";
    private readonly TemporaryDirectory _temp = new();
    private readonly ModelCatalog _catalog = ModelCatalog.Load(TestPaths.ModelsDirectory);

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void The_build_is_byte_for_byte_deterministic_and_matches_the_recorded_hash()
    {
        EmbeddingModelSpec fp32 = _catalog.Get("ResNet18");
        EmbeddingModelSpec int8 = _catalog.Get(Int8Name);
        byte[] source = File.ReadAllBytes(fp32.FilePath);
        Int8Calibration calibration = Int8ModelBuilder.ReadCalibration(Path.Combine(TestPaths.ModelsDirectory, "resnet18-int8.calibration.json"));

        byte[] first = Int8ModelBuilder.Build(source, calibration);
        byte[] second = Int8ModelBuilder.Build(source, calibration);

        Assert.Equal(first, second);
        Assert.Equal(int8.Sha256, Convert.ToHexString(SHA256.HashData(first)).ToLowerInvariant());
        Assert.NotEqual(fp32.Sha256, int8.Sha256);
    }

    [Fact]
    public void ONNX_Runtime_runs_every_convolution_but_the_first_and_every_residual_add_as_an_int8_kernel()
    {
        int convolutions = OnnxGraph.Read(File.ReadAllBytes(_catalog.Get("ResNet18").FilePath)).Nodes.Count(node => node.OpType == "Conv");
        int adds = OnnxGraph.Read(File.ReadAllBytes(_catalog.Get("ResNet18").FilePath)).Nodes.Count(node => node.OpType == "Add");
        // The first convolution is kept float on purpose (see models.json's recipe): its 3 channels of 0-255
        // photo values are where 8 bits lost the most fidelity, for 6 % of the multiply-adds.
        Int8Calibration calibration = Int8ModelBuilder.ReadCalibration(Path.Combine(TestPaths.ModelsDirectory, "resnet18-int8.calibration.json"));
        Assert.Equal(["Convolution249"], calibration.FloatNodes);
        EmbeddingModelSpec spec = _catalog.Get(Int8Name);
        using SessionOptions options = OnnxRuntimeEnvironment.CreateSessionOptions(1);
        options.EnableProfiling = true;
        options.ProfileOutputPathPrefix = Path.Combine(_temp.Path, "int8");
        string profile;
        using (InferenceSession session = OnnxRuntimeEnvironment.CreateSession(spec.FilePath, options))
        {
            var preprocessor = new ImagePreprocessor(spec.Preprocessing);
            var input = new float[preprocessor.TensorLength];
            using (Image<Rgb24> photo = SafeImageLoader.Load(TestPaths.SamplesOf("Bicycle")[0]))
            {
                preprocessor.Write(photo, input);
            }

            using OrtValue tensor = OrtValue.CreateTensorValueFromMemory(input, [1, 3, 224, 224]);
            using RunOptions runOptions = OnnxRuntimeEnvironment.CreateRunOptions();
            using IDisposableReadOnlyCollection<OrtValue> outputs = session.Run(runOptions, [session.InputMetadata.Keys.Single()], [tensor], [spec.OutputName!]);
            Assert.Equal(512, outputs[0].GetTensorDataAsSpan<float>().Length);
            profile = session.EndProfiling();
        }

        // Node events name the kernel that ran each (fused) node; count distinct nodes per operator.
        using JsonDocument trace = JsonDocument.Parse(File.ReadAllText(profile));
        Dictionary<string, int> nodesByOperator = trace.RootElement.EnumerateArray()
            .Where(e => e.GetProperty("cat").GetString() == "Node" && e.TryGetProperty("args", out JsonElement args) && args.TryGetProperty("op_name", out _))
            .Select(e => (Op: e.GetProperty("args").GetProperty("op_name").GetString()!, Node: e.GetProperty("name").GetString()!.Split("_kernel_time")[0]))
            .Distinct()
            .GroupBy(e => e.Op)
            .ToDictionary(group => group.Key, group => group.Count());

        string summary = string.Join(", ", nodesByOperator.OrderBy(pair => pair.Key, StringComparer.Ordinal).Select(pair => $"{pair.Key} {pair.Value}"));
        Assert.Equal(22, convolutions);
        Assert.True(convolutions - 1 == nodesByOperator.GetValueOrDefault("QLinearConv"), summary);
        Assert.True(nodesByOperator.GetValueOrDefault("Conv") + nodesByOperator.GetValueOrDefault("FusedConv") == 1, summary);
        Assert.Equal(adds, nodesByOperator.GetValueOrDefault("QLinearAdd"));
        Assert.DoesNotContain("Add", nodesByOperator.Keys);
    }

    [Fact]
    public void Int8_embeddings_point_the_same_way_as_fp32_ones()
    {
        string[] photos = [.. new[] { "Bicycle", "Bus", "Hydrant", "Palm" }.SelectMany(kind => TestPaths.SamplesOf(kind).Take(4))];
        using ImageEmbedder fp32 = ImageEmbedder.Open(_catalog.Get("ResNet18"), 1);
        using ImageEmbedder int8 = ImageEmbedder.Open(_catalog.Get(Int8Name), 1);
        Assert.NotEqual(fp32.Identity, int8.Identity);
        float[][] reference = Embed(fp32, photos);
        float[][] quantized = Embed(int8, photos);

        double[] cosines = [.. reference.Zip(quantized, Cosine)];
        Assert.All(cosines, cosine => Assert.True(cosine > 0.95, $"cosine {cosine}"));
        Assert.True(cosines.Average() > 0.98, $"mean cosine {cosines.Average()}");
        Assert.All(quantized, vector => Assert.All(vector, value => Assert.True(value >= 0f && float.IsFinite(value))));
    }

    private static float[][] Embed(ImageEmbedder embedder, string[] photos)
    {
        var batch = new float[photos.Length * embedder.TensorLength];
        for (int i = 0; i < photos.Length; i++)
        {
            using Image<Rgb24> photo = SafeImageLoader.Load(photos[i]);
            embedder.Preprocessor.Write(photo, batch.AsSpan(i * embedder.TensorLength, embedder.TensorLength));
        }

        return embedder.Run(batch, photos.Length, CancellationToken.None);
    }

    private static double Cosine(float[] a, float[] b)
    {
        double dot = 0, normA = 0, normB = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += a[i] * (double)b[i];
            normA += a[i] * (double)a[i];
            normB += b[i] * (double)b[i];
        }

        return dot / Math.Sqrt(normA * normB);
    }
}
