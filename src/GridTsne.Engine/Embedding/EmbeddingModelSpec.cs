namespace GridTsne.Engine.Embedding;

/// <summary>What to load: a built-in model from the catalog, or any ONNX image model a user points at.</summary>
public sealed record EmbeddingModelSpec
{
    /// <summary>Name shown on every embedding, e.g. ResNet18, or the file name of a user's model.</summary>
    public required string Name { get; init; }

    /// <summary>Full path of the .onnx file.</summary>
    public required string FilePath { get; init; }

    /// <summary>
    /// Expected lower-case hex SHA-256 of the file (built-in models): checked once per process before first
    /// use, so a damaged or replaced file is never silently used. Null for a user's model.
    /// </summary>
    public string? Sha256 { get; init; }

    /// <summary>
    /// How photos become tensors. A width or height of 0 means "the model's own input size" (224 when the
    /// model leaves it open).
    /// </summary>
    public ImagePreprocessing Preprocessing { get; init; } = new() { Width = 0, Height = 0 };

    /// <summary>The output to read; null for the model's first output.</summary>
    public string? OutputName { get; init; }

    /// <summary>True for models from the catalog, whose missing or damaged files build.ps1 restores.</summary>
    public bool IsBuiltIn { get; init; }

    /// <summary>A spec for any ONNX model file, named after the file.</summary>
    public static EmbeddingModelSpec FromFile(string filePath, ImagePreprocessing preprocessing, string? outputName = null) => new()
    {
        Name = Path.GetFileNameWithoutExtension(filePath),
        FilePath = Path.GetFullPath(filePath),
        Preprocessing = preprocessing,
        OutputName = outputName,
    };
}
