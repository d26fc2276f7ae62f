using GridTsne.Engine.Embedding;
using GridTsne.Engine.Imaging;
using Microsoft.ML.OnnxRuntime;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace GridTsne.Engine.Quantization;

/// <summary>How a tensor's calibrated range is chosen from the values it took on the calibration photos.</summary>
public enum CalibrationMethod
{
    /// <summary>The smallest and largest value seen.</summary>
    MinMax,

    /// <summary>
    /// The values at the given percentile from each end (a histogram of 4096 bins over the min-max range):
    /// rare outliers are clipped so that the common values get finer steps.
    /// </summary>
    Percentile,
}

/// <summary>
/// Measures activation ranges: the fp32 model runs on calibration photos with every tensor to be quantized
/// exposed as an extra graph output.
/// </summary>
internal static class ActivationCalibrator
{
    private const int HistogramBins = 4096;
    private const int BatchSize = 8;

    private delegate void TensorVisitor(int index, ReadOnlySpan<float> values);

    public static List<ActivationRange> Measure(OnnxGraph folded, IReadOnlyList<string> tensors, IReadOnlyList<string> photos,
        ImagePreprocessing preprocessing, CalibrationMethod method, double percentile)
    {
        if (photos.Count == 0)
        {
            throw new ArgumentException("Calibration needs at least one photo.", nameof(photos));
        }

        OnnxGraph exposed = OnnxGraph.Read(folded.Write());
        var existingOutputs = exposed.OutputNames.ToHashSet(StringComparer.Ordinal);
        foreach (string tensor in tensors.Where(tensor => !existingOutputs.Contains(tensor)))
        {
            exposed.AddFloatOutput(tensor);
        }

        using SessionOptions options = OnnxRuntimeEnvironment.CreateSessionOptions(Environment.ProcessorCount);
        using InferenceSession session = OnnxRuntimeEnvironment.CreateSession(exposed.Write(), options);
        string inputName = session.InputMetadata.Keys.Single();

        var minimum = new float[tensors.Count];
        var maximum = new float[tensors.Count];
        Array.Fill(minimum, float.PositiveInfinity);
        Array.Fill(maximum, float.NegativeInfinity);
        ForEachBatch(session, inputName, tensors, photos, preprocessing, (index, values) =>
        {
            minimum[index] = MathF.Min(minimum[index], System.Numerics.Tensors.TensorPrimitives.Min(values));
            maximum[index] = MathF.Max(maximum[index], System.Numerics.Tensors.TensorPrimitives.Max(values));
        });

        if (method == CalibrationMethod.Percentile)
        {
            var histograms = new long[tensors.Count][];
            for (int i = 0; i < histograms.Length; i++)
            {
                histograms[i] = new long[HistogramBins];
            }

            ForEachBatch(session, inputName, tensors, photos, preprocessing, (index, values) =>
            {
                float low = minimum[index], width = (maximum[index] - low) / HistogramBins;
                long[] histogram = histograms[index];
                foreach (float value in values)
                {
                    int bin = width > 0 ? (int)((value - low) / width) : 0;
                    histogram[Math.Clamp(bin, 0, HistogramBins - 1)]++;
                }
            });

            for (int index = 0; index < tensors.Count; index++)
            {
                (minimum[index], maximum[index]) = PercentileRange(histograms[index], minimum[index], maximum[index], percentile);
            }
        }

        return tensors.Select((tensor, index) => new ActivationRange(tensor, minimum[index], maximum[index])).ToList();
    }

    private static (float Min, float Max) PercentileRange(long[] histogram, float min, float max, double percentile)
    {
        long total = histogram.Sum();
        long clipped = (long)Math.Floor(total * (100 - percentile) / 100);
        float width = (max - min) / HistogramBins;
        int lowBin = 0, highBin = HistogramBins - 1;
        for (long below = 0; lowBin < HistogramBins - 1 && below + histogram[lowBin] <= clipped; lowBin++)
        {
            below += histogram[lowBin];
        }

        for (long above = 0; highBin > 0 && above + histogram[highBin] <= clipped; highBin--)
        {
            above += histogram[highBin];
        }

        return (min + (lowBin * width), min + ((highBin + 1) * width));
    }

    private static void ForEachBatch(InferenceSession session, string inputName, IReadOnlyList<string> tensors, IReadOnlyList<string> photos,
        ImagePreprocessing preprocessing, TensorVisitor visit)
    {
        var preprocessor = new ImagePreprocessor(preprocessing);
        var batch = new float[BatchSize * preprocessor.TensorLength];
        string[] outputNames = [.. tensors];
        for (int start = 0; start < photos.Count; start += BatchSize)
        {
            int count = Math.Min(BatchSize, photos.Count - start);
            for (int i = 0; i < count; i++)
            {
                using Image<Rgb24> photo = SafeImageLoader.Load(photos[start + i]);
                preprocessor.Write(photo, batch.AsSpan(i * preprocessor.TensorLength, preprocessor.TensorLength));
            }

            long[] shape = [count, 3, preprocessing.Height, preprocessing.Width];
            using OrtValue input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, batch.AsMemory(0, count * preprocessor.TensorLength), shape);
            using RunOptions runOptions = OnnxRuntimeEnvironment.CreateRunOptions();
            using IDisposableReadOnlyCollection<OrtValue> outputs = session.Run(runOptions, [inputName], [input], outputNames);
            for (int index = 0; index < outputNames.Length; index++)
            {
                visit(index, outputs[index].GetTensorDataAsSpan<float>());
            }
        }
    }
}
