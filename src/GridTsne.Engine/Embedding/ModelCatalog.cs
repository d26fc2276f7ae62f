using System.Collections.Concurrent;
using System.Text.Json;

namespace GridTsne.Engine.Embedding;

/// <summary>
/// The built-in models described by models/models.json (the module finds it at &lt;module base&gt;/models).
/// build.ps1 restores and patches the files; the catalog only reads the descriptions, and each file's
/// SHA-256 is verified the first time a process uses it.
/// </summary>
public sealed class ModelCatalog
{
    /// <summary>The catalog's file name inside the models directory.</summary>
    public const string FileName = "models.json";

    /// <summary>
    /// The model used when none is named: the int8 ResNet18, about 2.25 times as fast as the fp32 one, chosen by
    /// bench/embedding/Compare-EmbeddingModels.ps1 (its layouts' DPQ16 and label agreement match fp32's within
    /// the noise of t-SNE; figures in bench/README.md). -Model ResNet18 gives the fp32 model.
    /// </summary>
    public const string DefaultModelName = "ResNet18-Int8";

    private static readonly ConcurrentDictionary<string, bool> VerifiedFiles = new(StringComparer.Ordinal);
    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNameCaseInsensitive = true };

    private readonly IReadOnlyList<CatalogEntry> _entries;

    private ModelCatalog(string directory, IReadOnlyList<CatalogEntry> entries)
    {
        Directory = directory;
        _entries = entries;
    }

    /// <summary>The models directory the catalog was read from.</summary>
    public string Directory { get; }

    /// <summary>Names of the built-in models, in catalog order.</summary>
    public IReadOnlyList<string> Names => _entries.Select(entry => entry.Name!).ToList();

    /// <summary>Reads &lt;modelsDirectory&gt;/models.json.</summary>
    public static ModelCatalog Load(string modelsDirectory)
    {
        string path = Path.Combine(modelsDirectory, FileName);
        try
        {
            using FileStream stream = File.OpenRead(path);
            CatalogFile? file = JsonSerializer.Deserialize<CatalogFile>(stream, JsonOptions);
            if (file?.Models is not { Count: > 0 } entries || entries.Any(entry => string.IsNullOrWhiteSpace(entry.Name) || string.IsNullOrWhiteSpace(entry.File)))
            {
                throw new InvalidDataException("it lists no complete model entry.");
            }

            return new ModelCatalog(modelsDirectory, entries);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException or InvalidDataException)
        {
            throw new ModelLoadException(path, ModelLoadFailure.CatalogUnreadable,
                $"The model catalog '{path}' cannot be read ({ex.Message}). Run ./build.ps1 in the GridTsne repository, or reinstall the module.", ex);
        }
    }

    /// <summary>Names for tab completion; an unreadable catalog simply offers none.</summary>
    public static IReadOnlyList<string> TryReadNames(string modelsDirectory)
    {
        try
        {
            return Load(modelsDirectory).Names;
        }
        catch (ModelLoadException)
        {
            return [];
        }
    }

    /// <summary>The spec of the built-in model called <paramref name="name"/> (case-insensitive).</summary>
    public EmbeddingModelSpec Get(string name)
    {
        CatalogEntry? entry = _entries.FirstOrDefault(candidate => string.Equals(candidate.Name, name, StringComparison.OrdinalIgnoreCase));
        if (entry is null)
        {
            throw new ModelLoadException(name, ModelLoadFailure.UnknownModel,
                $"There is no built-in model '{name}'. Built-in models: {string.Join(", ", Names)}. Use -ModelPath for any other ONNX image model.");
        }

        CatalogPreprocessing preprocessing = entry.Preprocessing ?? new CatalogPreprocessing();
        return new EmbeddingModelSpec
        {
            Name = entry.Name!,
            FilePath = Path.GetFullPath(Path.Combine(Directory, entry.File!)),
            Sha256 = entry.Sha256,
            IsBuiltIn = true,
            OutputName = entry.Output?.Name,
            Preprocessing = new ImagePreprocessing
            {
                Width = entry.InputSize,
                Height = entry.InputSize,
                ChannelOrder = Enum.Parse<ChannelOrder>(preprocessing.ChannelOrder, ignoreCase: true),
                PixelScale = preprocessing.PixelScale,
                Mean = preprocessing.Mean,
                Std = preprocessing.Std,
            },
        };
    }

    /// <summary>
    /// Checks a built-in model file against its SHA-256, once per process and file. A missing or damaged
    /// file is never used: the error tells the user how to restore it.
    /// </summary>
    internal static void VerifyBuiltInFile(EmbeddingModelSpec spec)
    {
        if (spec.Sha256 is null || VerifiedFiles.ContainsKey(spec.FilePath + "|" + spec.Sha256))
        {
            return;
        }

        if (!File.Exists(spec.FilePath))
        {
            throw new ModelLoadException(spec.Name, ModelLoadFailure.NotFound,
                $"The built-in model '{spec.Name}' is missing: '{spec.FilePath}' does not exist. Run ./build.ps1 in the GridTsne repository to restore it (or reinstall the module).");
        }

        string actual = OnnxBatchPatcher.Sha256(spec.FilePath);
        if (!string.Equals(actual, spec.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new ModelLoadException(spec.Name, ModelLoadFailure.HashMismatch,
                $"The built-in model file '{spec.FilePath}' is damaged or was replaced: its SHA-256 is {actual}, not {spec.Sha256}. Run ./build.ps1 in the GridTsne repository to restore it (or reinstall the module).");
        }

        VerifiedFiles.TryAdd(spec.FilePath + "|" + spec.Sha256, true);
    }

    // The parts of models.json the engine reads; build.ps1 reads the source fields.
    private sealed class CatalogFile
    {
        public List<CatalogEntry>? Models { get; set; }
    }

    private sealed class CatalogEntry
    {
        public string? Name { get; set; }
        public string? File { get; set; }
        public string? Sha256 { get; set; }
        public int InputSize { get; set; } = 224;
        public CatalogOutput? Output { get; set; }
        public CatalogPreprocessing? Preprocessing { get; set; }
    }

    private sealed class CatalogOutput
    {
        public string? Name { get; set; }
    }

    private sealed class CatalogPreprocessing
    {
        public string ChannelOrder { get; set; } = nameof(Embedding.ChannelOrder.RGB);
        public float PixelScale { get; set; } = 1f / 255f;
        public float[] Mean { get; set; } = [.. ImagePreprocessing.ImageNetMean];
        public float[] Std { get; set; } = [.. ImagePreprocessing.ImageNetStd];
    }
}
