using System.Text.Json;
using System.Text.Json.Serialization;
using GridTsne.Engine.Embedding;

namespace GridTsne.Engine.Quantization;

/// <summary>
/// The recorded result of a calibration: what was measured, how, and each activation tensor's float range.
/// Building from a recorded calibration is pure managed arithmetic, so every machine makes the same bytes;
/// the calibration itself runs ONNX Runtime, whose float results may differ in the last bits between CPUs,
/// and so is done once and kept in the repository (models/*.calibration.json).
/// </summary>
public sealed class Int8Calibration
{
    public required string SourceModel { get; init; }

    public required QuantizationScope Scope { get; init; }

    /// <summary>
    /// Nodes (by name) that stay float inside the quantized graph, e.g. the first convolution, whose 3-channel
    /// input carries the photo's full 0-255 range and whose error every later layer inherits.
    /// </summary>
    public List<string> FloatNodes { get; init; } = [];

    public required CalibrationMethod Method { get; init; }

    /// <summary>For <see cref="CalibrationMethod.Percentile"/>: the share of values kept at each end, e.g. 99.999.</summary>
    public double Percentile { get; init; }

    /// <summary>How many photos were measured, and where they came from.</summary>
    public required int PhotoCount { get; init; }

    public required string Photos { get; init; }

    public required List<ActivationRange> Ranges { get; init; }
}

/// <summary>
/// Builds an int8 model from an fp32 CNN: BatchNormalization folded into the convolutions, opset lifted to
/// 13, then static QDQ quantization (see <see cref="QdqQuantizer"/>) with recorded activation ranges.
/// </summary>
public static class Int8ModelBuilder
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        PropertyNameCaseInsensitive = true,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>Measures activation ranges of <paramref name="fp32Model"/> on <paramref name="photos"/>.</summary>
    public static Int8Calibration Calibrate(byte[] fp32Model, string sourceModelName, IReadOnlyList<string> photos, string photosDescription,
        ImagePreprocessing preprocessing, QuantizationScope scope, CalibrationMethod method, double percentile = 99.999,
        IReadOnlyList<string>? floatNodes = null)
    {
        OnnxGraph folded = Prepare(fp32Model);
        floatNodes ??= [];
        IReadOnlyList<string> tensors = QdqQuantizer.TensorsToCalibrate(folded, scope, [.. floatNodes]);
        List<ActivationRange> ranges = ActivationCalibrator.Measure(folded, tensors, photos, preprocessing, method, percentile);
        return new Int8Calibration
        {
            SourceModel = sourceModelName,
            Scope = scope,
            FloatNodes = [.. floatNodes],
            Method = method,
            Percentile = method == CalibrationMethod.Percentile ? percentile : 0,
            PhotoCount = photos.Count,
            Photos = photosDescription,
            Ranges = ranges,
        };
    }

    /// <summary>The quantized model's bytes: the same for the same inputs, on any machine.</summary>
    public static byte[] Build(byte[] fp32Model, Int8Calibration calibration)
    {
        OnnxGraph graph = Prepare(fp32Model);
        QdqQuantizer.Quantize(graph, calibration.Ranges.ToDictionary(range => range.Tensor, StringComparer.Ordinal), calibration.Scope,
            [.. calibration.FloatNodes]);
        return graph.Write();
    }

    /// <summary>The fp32 model with BatchNormalization folded and opset 13: the float twin of the int8 model.</summary>
    public static byte[] FoldBatchNormalization(byte[] fp32Model) => Prepare(fp32Model).Write();

    /// <summary>build.ps1: quantizes <paramref name="fp32Path"/> with the calibration file into <paramref name="destinationPath"/> (written atomically).</summary>
    public static void BuildFile(string fp32Path, string calibrationPath, string destinationPath)
    {
        byte[] model = Build(File.ReadAllBytes(fp32Path), ReadCalibration(calibrationPath));
        string temporary = destinationPath + ".tmp-" + Environment.ProcessId;
        File.WriteAllBytes(temporary, model);
        File.Move(temporary, destinationPath, overwrite: true);
    }

    /// <summary>
    /// Calibrates the built-in model <paramref name="sourceModelName"/> of <paramref name="modelsDirectory"/>
    /// on every photo in <paramref name="photoDirectory"/> and writes the calibration file.
    /// </summary>
    public static Int8Calibration CalibrateFile(string modelsDirectory, string sourceModelName, string photoDirectory, string calibrationPath,
        QuantizationScope scope, CalibrationMethod method, double percentile = 99.999, string[]? floatNodes = null)
    {
        EmbeddingModelSpec spec = ModelCatalog.Load(modelsDirectory).Get(sourceModelName);
        ModelCatalog.VerifyBuiltInFile(spec);
        string[] photos = [.. Directory.GetFiles(photoDirectory).Where(IsPhoto).Order(StringComparer.Ordinal)];
        // Relative to the repository (the models directory's parent), so that the record is the same on every machine.
        string root = Path.GetDirectoryName(Path.GetFullPath(Path.TrimEndingDirectorySeparator(modelsDirectory)))!;
        string description = Path.GetRelativePath(root, Path.GetFullPath(photoDirectory)).Replace('\\', '/');
        Int8Calibration calibration = Calibrate(File.ReadAllBytes(spec.FilePath), spec.Name, photos, description,
            spec.Preprocessing, scope, method, percentile, floatNodes);
        WriteCalibration(calibration, calibrationPath);
        return calibration;
    }

    public static Int8Calibration ReadCalibration(string path)
    {
        try
        {
            using FileStream stream = File.OpenRead(path);
            return JsonSerializer.Deserialize<Int8Calibration>(stream, JsonOptions) ?? throw new InvalidDataException("it is empty.");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"The calibration file '{path}' cannot be read: {ex.Message}", ex);
        }
    }

    public static void WriteCalibration(Int8Calibration calibration, string path)
    {
        string temporary = path + ".tmp-" + Environment.ProcessId;
        File.WriteAllText(temporary, JsonSerializer.Serialize(calibration, JsonOptions) + "\n");
        File.Move(temporary, path, overwrite: true);
    }

    private static OnnxGraph Prepare(byte[] fp32Model)
    {
        OnnxGraph graph = OnnxGraph.Read(fp32Model);
        BatchNormFolding.FoldAndLift(graph);
        return graph;
    }

    private static bool IsPhoto(string path) =>
        Path.GetExtension(path).ToLowerInvariant() is ".jpg" or ".jpeg" or ".png" or ".bmp" or ".gif" or ".webp" or ".tif" or ".tiff";
}
