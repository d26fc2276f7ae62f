using GridTsne.Engine.Embedding;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace GridTsne.Engine.Tests.Embedding;

/// <summary>Where the repository's models and sample photos are, and where NuGet put the original model package.</summary>
internal static class TestPaths
{
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>models/, with models.json and the resnet18.onnx that build.ps1 writes.</summary>
    public static string ModelsDirectory => Path.Combine(RepositoryRoot, "models");

    /// <summary>samples/photos: 256 reCAPTCHA tiles, class = file-name prefix before "__".</summary>
    public static string SamplePhotos => Path.Combine(RepositoryRoot, "samples", "photos");

    /// <summary>tools/DnnImageModels of the Microsoft.ML.DnnImageFeaturizer.ResNet18 package (restored by build.ps1).</summary>
    public static string DnnImageModels =>
        Path.Combine(NuGetPackageRoot.Value, "microsoft.ml.dnnimagefeaturizer.resnet18", "0.23.1", "tools", "DnnImageModels");

    /// <summary>The NuGet global-packages folder, asked of dotnet as build.ps1 does (it honours NUGET_PACKAGES and NuGet.Config).</summary>
    private static readonly Lazy<string> NuGetPackageRoot = new(() =>
    {
        // dotnet test sets DOTNET_HOST_PATH to the dotnet that runs it.
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var start = new System.Diagnostics.ProcessStartInfo(dotnet, ["nuget", "locals", "global-packages", "--list"]) { RedirectStandardOutput = true };
        using var process = System.Diagnostics.Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"'dotnet nuget locals global-packages --list' failed with exit code {process.ExitCode}.");
        return output.Trim().Replace("global-packages:", string.Empty, StringComparison.Ordinal).Trim();
    });

    public static string OriginalResNet18 => Path.Combine(DnnImageModels, "ResNet18Onnx", "ResNet18.onnx");

    public static string ResNetPreprocess => Path.Combine(DnnImageModels, "ResNetPrepOnnx", "ResNetPreprocess.onnx");

    /// <summary>The sample photos of one class, sorted by name.</summary>
    public static string[] SamplesOf(string className) =>
        [.. Directory.GetFiles(SamplePhotos, className + "__*.png").Order(StringComparer.Ordinal)];

    public static string ClassOf(string path) => Path.GetFileName(path).Split("__")[0];

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "GridTsne.psd1")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("The tests must run inside the GridTsne repository.");
    }
}

/// <summary>A fresh directory under the system temp folder, deleted afterwards.</summary>
internal sealed class TemporaryDirectory : IDisposable
{
    public TemporaryDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "gridtsne-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by a failing test; the temp folder is cleaned by the system.
        }
    }
}

/// <summary>Real photos written by real ImageSharp.</summary>
internal static class TestImages
{
    /// <summary>Copies a sample photo (or any photo) to a new file, in the format its extension names.</summary>
    public static string Convert(string source, string destination, Action<IImageProcessingContext>? change = null)
    {
        using Image<Rgba32> image = Image.Load<Rgba32>(source);
        if (change is not null)
        {
            image.Mutate(change);
        }

        image.Save(destination);
        return destination;
    }

    /// <summary>A smooth two-colour gradient with a bright disc, so that crops and flips change it.</summary>
    public static string Synthetic(string path, int width, int height, Rgb24 from, Rgb24 to)
    {
        using var image = new Image<Rgb24>(width, height);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                float t = (float)x / Math.Max(1, width - 1);
                bool disc = Math.Pow(x - (width / 3.0), 2) + Math.Pow(y - (height / 2.0), 2) < Math.Pow(Math.Min(width, height) / 5.0, 2);
                image[x, y] = disc ? new Rgb24(250, 250, 240) : new Rgb24(Lerp(from.R, to.R, t), Lerp(from.G, to.G, t), Lerp(from.B, to.B, t));
            }
        }

        image.Save(path);
        return path;
    }

    private static byte Lerp(byte a, byte b, float t) => (byte)Math.Round(a + ((b - a) * t));
}

/// <summary>The built-in ResNet18, loaded once for every test class in the collection.</summary>
public sealed class ResNet18Fixture : IDisposable
{
    public ResNet18Fixture()
    {
        Catalog = ModelCatalog.Load(TestPaths.ModelsDirectory);
        Spec = Catalog.Get(ModelCatalog.DefaultModelName);
        Embedder = ImageEmbedder.Open(Spec);
    }

    public ModelCatalog Catalog { get; }

    public EmbeddingModelSpec Spec { get; }

    public ImageEmbedder Embedder { get; }

    public void Dispose() => Embedder.Dispose();
}

[CollectionDefinition(Name)]
public sealed class ResNet18Collection : ICollectionFixture<ResNet18Fixture>
{
    public const string Name = "ResNet18";
}

/// <summary>Runs photos through a pipeline and collects every result, in order.</summary>
internal static class PipelineRunner
{
    public static List<EmbeddingResult> Run(ImageEmbedder embedder, IEnumerable<string> paths, EmbeddingPipelineOptions? options = null, CancellationToken token = default)
    {
        using var pipeline = new EmbeddingPipeline(embedder, options ?? new EmbeddingPipelineOptions(), token);
        var results = new List<EmbeddingResult>();
        foreach (string path in paths)
        {
            while (!pipeline.TryAdd(path))
            {
                Assert.True(pipeline.Take(out EmbeddingResult? result));
                results.Add(result!);
            }
        }

        pipeline.Complete();
        while (pipeline.Take(out EmbeddingResult? result))
        {
            results.Add(result!);
        }

        return results;
    }

    public static float Cosine(float[] a, float[] b) => System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(a, b);
}
