using GridTsne.Commands;
using GridTsne.Engine.Embedding;

namespace GridTsne.Remoting;

/// <summary>
/// Which model version a session would embed with: the model's name and its file's SHA-256. The caller
/// computes it from its own catalog (or model file) and each session from the file it would actually load,
/// so a session with another model version is refused before it makes a single vector.
/// </summary>
/// <remarks>Public because the session's check script calls <see cref="OfSessionModel"/>.</remarks>
public static class RemoteModelFingerprint
{
    /// <summary>
    /// The fingerprint of the model this process would load: for a built-in model the SHA-256 of its file as it
    /// is on disk (not what the catalog expects), for <paramref name="modelPath"/> that file's SHA-256. Throws a
    /// <see cref="ModelLoadException"/> naming what is wrong (unknown model, missing file).
    /// </summary>
    public static string OfSessionModel(string? model, string? modelPath) => Describe(model, modelPath, hashBuiltInFile: true);

    /// <summary>The caller's reference: a built-in model's hash as its catalog records it, or the -ModelPath file's.</summary>
    internal static string OfReference(string? model, string? modelPath) => Describe(model, modelPath, hashBuiltInFile: false);

    private static string Describe(string? model, string? modelPath, bool hashBuiltInFile)
    {
        if (!string.IsNullOrEmpty(modelPath))
        {
            if (!File.Exists(modelPath))
            {
                throw new ModelLoadException(modelPath, ModelLoadFailure.NotFound, $"The model file '{modelPath}' does not exist.");
            }

            return Format(Path.GetFileNameWithoutExtension(modelPath), OnnxBatchPatcher.Sha256(modelPath));
        }

        EmbeddingModelSpec spec = ModelCatalog.Load(GetImageEmbeddingCommand.ModelsDirectory).Get(model ?? ModelCatalog.DefaultModelName);
        if (!hashBuiltInFile)
        {
            return Format(spec.Name, spec.Sha256 ?? string.Empty);
        }

        if (!File.Exists(spec.FilePath))
        {
            throw new ModelLoadException(spec.Name, ModelLoadFailure.NotFound, $"The built-in model file '{spec.FilePath}' is missing.");
        }

        return Format(spec.Name, OnnxBatchPatcher.Sha256(spec.FilePath));
    }

    private static string Format(string name, string sha256) => $"{name} (SHA-256 {sha256.ToLowerInvariant()})";
}
