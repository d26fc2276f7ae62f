using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace GridTsne.Engine.Embedding;

/// <summary>
/// One ONNX image model behind one <see cref="InferenceSession"/>: checks that the model takes one float
/// tensor [N,3,H,W], and turns batches of preprocessed tensors into vectors (an output of rank &gt; 2 is
/// flattened per image). A model whose batch dimension is fixed runs batches of exactly that size.
/// </summary>
public sealed class ImageEmbedder : IDisposable
{
    /// <summary>Input size used when the model leaves height and width open and none is given.</summary>
    public const int DefaultInputSize = 224;

    private readonly InferenceSession _session;
    private readonly SessionOptions _sessionOptions;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly int _fixedBatch;
    private readonly Lazy<string> _identity;
    private readonly string? _poolKey;
    private bool _disposed;

    private ImageEmbedder(EmbeddingModelSpec spec, SessionOptions options, InferenceSession session, string inputName, string outputName,
        ImagePreprocessing preprocessing, int fixedBatch, int dimensions, int intraOpThreads, TimeSpan loadTime, string? poolKey, bool sessionReused)
    {
        _poolKey = poolKey;
        SessionReused = sessionReused;
        Spec = spec;
        _sessionOptions = options;
        _session = session;
        _inputNames = [inputName];
        _outputNames = [outputName];
        Preprocessing = preprocessing;
        Preprocessor = new ImagePreprocessor(preprocessing);
        _fixedBatch = fixedBatch;
        Dimensions = dimensions;
        IntraOpThreads = intraOpThreads;
        LoadTime = loadTime;
        _identity = new Lazy<string>(ComputeIdentity, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public EmbeddingModelSpec Spec { get; }

    /// <summary>The model's name, shown on each embedding.</summary>
    public string Name => Spec.Name;

    public string InputName => _inputNames[0];

    public string OutputName => _outputNames[0];

    /// <summary>The preprocessing with the input size resolved from the model.</summary>
    public ImagePreprocessing Preprocessing { get; }

    /// <summary>Writes photos into this model's input tensor.</summary>
    public ImagePreprocessor Preprocessor { get; }

    /// <summary>Floats per image in the input tensor.</summary>
    public int TensorLength => Preprocessor.TensorLength;

    /// <summary>The batch size the model fixes (e.g. 1), or 0 when the batch dimension is open.</summary>
    public int FixedBatchSize => _fixedBatch;

    /// <summary>Length of each vector; 0 when the model leaves it open until the first run.</summary>
    public int Dimensions { get; private set; }

    public int IntraOpThreads { get; }

    /// <summary>Time taken to verify and load the model.</summary>
    public TimeSpan LoadTime { get; }

    /// <summary>The session was one an earlier <see cref="OpenReusable"/> handed back, not loaded now.</summary>
    public bool SessionReused { get; }

    /// <summary>
    /// What the cache keys on besides the photo: the model file's content, the output read and every
    /// preprocessing setting. Computed on first use (hashing a large user model takes a moment).
    /// </summary>
    public string Identity => _identity.Value;

    /// <summary>The number of images one run takes: <paramref name="requested"/>, or the model's fixed batch size.</summary>
    public int EffectiveBatchSize(int requested) => _fixedBatch > 0 ? _fixedBatch : Math.Max(1, requested);

    /// <summary>
    /// Loads and checks a model. Every problem (missing file, failed hash, not ONNX, wrong input or output)
    /// is a <see cref="ModelLoadException"/> raised before any photo is read.
    /// </summary>
    public static ImageEmbedder Open(EmbeddingModelSpec spec, int intraOpThreads = 0) => Open(spec, intraOpThreads, reusable: false);

    /// <summary>
    /// Like <see cref="Open(EmbeddingModelSpec, int)"/>, but takes an idle session of the same model file and
    /// thread count that an earlier embedder handed back, if there is one, and hands its session back on
    /// <see cref="Dispose"/> instead of destroying it, for the next command in this process
    /// (<see cref="IdleSessionPool"/>). The vectors are the same either way.
    /// </summary>
    public static ImageEmbedder OpenReusable(EmbeddingModelSpec spec, int intraOpThreads = 0) => Open(spec, intraOpThreads, reusable: true);

    /// <summary>Destroys the idle sessions <see cref="OpenReusable"/> kept (e.g. when the module is removed); returns how many.</summary>
    public static int ReleaseIdleSessions() => IdleSessionPool.Clear();

    private static ImageEmbedder Open(EmbeddingModelSpec spec, int intraOpThreads, bool reusable)
    {
        var clock = Stopwatch.StartNew();
        if (spec.IsBuiltIn)
        {
            ModelCatalog.VerifyBuiltInFile(spec);
        }
        else if (!File.Exists(spec.FilePath))
        {
            throw new ModelLoadException(spec.FilePath, ModelLoadFailure.NotFound,
                Directory.Exists(spec.FilePath)
                    ? $"The model path '{spec.FilePath}' is a directory; give the .onnx file."
                    : $"The model file '{spec.FilePath}' does not exist.");
        }

        int threads = intraOpThreads > 0 ? intraOpThreads : Environment.ProcessorCount;
        string? poolKey = reusable ? IdleSessionPool.KeyOf(spec, threads) : null;
        InferenceSession? session = null;
        SessionOptions? options = null;
        bool reused = poolKey is not null && IdleSessionPool.TryTake(poolKey, out session, out options);
        options ??= OnnxRuntimeEnvironment.CreateSessionOptions(threads);
        bool handedOver = false;
        try
        {
            try
            {
                session ??= OnnxRuntimeEnvironment.CreateSession(spec.FilePath, options);
            }
            catch (OnnxRuntimeException ex)
            {
                throw new ModelLoadException(spec.FilePath, ModelLoadFailure.NotOnnx,
                    $"'{spec.FilePath}' cannot be loaded as an ONNX model: {ex.Message}", ex);
            }

            (string inputName, ImagePreprocessing preprocessing, int fixedBatch) = CheckInput(spec, session);
            (string outputName, int dimensions) = CheckOutput(spec, session);
            var embedder = new ImageEmbedder(spec, options, session, inputName, outputName, preprocessing, fixedBatch, dimensions, threads, clock.Elapsed,
                poolKey, reused);
            handedOver = true;
            return embedder;
        }
        finally
        {
            if (!handedOver)
            {
                // A session the spec does not fit (e.g. another output name) is still good for the next caller.
                if (reused)
                {
                    IdleSessionPool.Return(poolKey!, session!, options);
                }
                else
                {
                    session?.Dispose();
                    options.Dispose();
                }
            }
        }
    }

    /// <summary>
    /// Runs the model on the first <paramref name="count"/> images of <paramref name="batch"/> (each
    /// <see cref="TensorLength"/> floats) and returns their vectors. A fixed-batch model gets the rest of
    /// its batch zero-filled. <paramref name="token"/> aborts a run in progress.
    /// </summary>
    public float[][] Run(float[] batch, int count, CancellationToken token)
    {
        int runSize = _fixedBatch > 0 ? _fixedBatch : count;
        if (count < 1 || count > runSize || batch.Length < runSize * TensorLength)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"A run takes 1..{runSize} images in a buffer of {runSize * TensorLength} floats.");
        }

        if (runSize > count)
        {
            Array.Clear(batch, count * TensorLength, (runSize - count) * TensorLength);
        }

        token.ThrowIfCancellationRequested();
        long[] shape = [runSize, 3, Preprocessing.Height, Preprocessing.Width];
        using RunOptions runOptions = OnnxRuntimeEnvironment.CreateRunOptions();
        using CancellationTokenRegistration abort = token.Register(static state => ((RunOptions)state!).Terminate = true, runOptions);
        using OrtValue input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, batch.AsMemory(0, runSize * TensorLength), shape);
        IDisposableReadOnlyCollection<OrtValue> outputs;
        try
        {
            outputs = _session.Run(runOptions, _inputNames, [input], _outputNames);
        }
        catch (OnnxRuntimeException) when (token.IsCancellationRequested)
        {
            throw new OperationCanceledException(token);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new ModelLoadException(Name, ModelLoadFailure.InferenceFailed, $"The model '{Name}' failed to run: {ex.Message}", ex);
        }

        using (outputs)
        {
            OrtValue output = outputs[0];
            long[] outputShape = output.GetTensorTypeAndShape().Shape;
            ReadOnlySpan<float> values = output.GetTensorDataAsSpan<float>();
            if (outputShape.Length < 1 || outputShape[0] != runSize || values.Length % runSize != 0 || values.Length == 0)
            {
                throw new ModelLoadException(Name, ModelLoadFailure.UnsupportedOutput,
                    $"The model '{Name}' returned output '{OutputName}' of shape [{string.Join(",", outputShape)}] for a batch of {runSize}; its first dimension must be the batch.");
            }

            int dimensions = values.Length / runSize;
            if (Dimensions != 0 && Dimensions != dimensions)
            {
                throw new ModelLoadException(Name, ModelLoadFailure.UnsupportedOutput,
                    $"The model '{Name}' returned {dimensions} values per image after {Dimensions} before; GridTsne needs one vector length per run.");
            }

            Dimensions = dimensions;
            var vectors = new float[count][];
            for (int image = 0; image < count; image++)
            {
                vectors[image] = values.Slice(image * dimensions, dimensions).ToArray();
            }

            return vectors;
        }
    }

    /// <summary>Destroys the session, or, for <see cref="OpenReusable"/>, hands it back for the next command.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_poolKey is not null)
        {
            IdleSessionPool.Return(_poolKey, _session, _sessionOptions);
            return;
        }

        _session.Dispose();
        _sessionOptions.Dispose();
    }

    private static (string Name, ImagePreprocessing Preprocessing, int FixedBatch) CheckInput(EmbeddingModelSpec spec, InferenceSession session)
    {
        if (session.InputMetadata.Count != 1)
        {
            throw new ModelLoadException(spec.FilePath, ModelLoadFailure.UnsupportedInput,
                $"The model '{spec.Name}' has {session.InputMetadata.Count} inputs ({string.Join(", ", session.InputMetadata.Keys)}); GridTsne feeds exactly one image tensor [N,3,H,W].");
        }

        (string name, NodeMetadata input) = session.InputMetadata.First();
        int[] dims = input.Dimensions;
        bool imageShaped = input.IsTensor && input.ElementDataType == TensorElementType.Float && dims.Length == 4 && (dims[1] == 3 || dims[1] < 0);
        if (!imageShaped)
        {
            string type = input.IsTensor ? input.ElementDataType.ToString().ToLowerInvariant() : input.OnnxValueType.ToString();
            throw new ModelLoadException(spec.FilePath, ModelLoadFailure.UnsupportedInput,
                $"The model '{spec.Name}' takes input '{name}' as {type} [{DescribeShape(input)}]; GridTsne needs a float tensor [N,3,H,W] (3 colour planes).");
        }

        ImagePreprocessing preprocessing = spec.Preprocessing;
        int height = ResolveSide(spec, name, input, dims[2], preprocessing.Height, "height");
        int width = ResolveSide(spec, name, input, dims[3], preprocessing.Width, "width");
        preprocessing = preprocessing with { Width = width, Height = height };
        try
        {
            preprocessing.Validate();
        }
        catch (ArgumentException ex)
        {
            throw new ModelLoadException(spec.FilePath, ModelLoadFailure.InvalidPreprocessing, $"The preprocessing for '{spec.Name}' is invalid: {ex.Message}", ex);
        }

        return (name, preprocessing, dims[0] > 0 ? dims[0] : 0);
    }

    private static int ResolveSide(EmbeddingModelSpec spec, string inputName, NodeMetadata input, int modelSide, int requestedSide, string side)
    {
        if (modelSide > 0 && requestedSide > 0 && modelSide != requestedSide)
        {
            throw new ModelLoadException(spec.FilePath, ModelLoadFailure.UnsupportedInput,
                $"The model '{spec.Name}' fixes input '{inputName}' at [{DescribeShape(input)}], so its {side} is {modelSide}, not the requested {requestedSide}.");
        }

        return modelSide > 0 ? modelSide : requestedSide > 0 ? requestedSide : DefaultInputSize;
    }

    private static (string Name, int Dimensions) CheckOutput(EmbeddingModelSpec spec, InferenceSession session)
    {
        string name = spec.OutputName ?? session.OutputMetadata.Keys.First();
        if (!session.OutputMetadata.TryGetValue(name, out NodeMetadata? output))
        {
            throw new ModelLoadException(spec.FilePath, ModelLoadFailure.UnsupportedOutput,
                $"The model '{spec.Name}' has no output '{name}'. Its outputs: {string.Join(", ", session.OutputMetadata.Keys)}.");
        }

        if (!output.IsTensor || output.ElementDataType != TensorElementType.Float || output.Dimensions.Length < 2)
        {
            string type = output.IsTensor ? output.ElementDataType.ToString().ToLowerInvariant() : output.OnnxValueType.ToString();
            throw new ModelLoadException(spec.FilePath, ModelLoadFailure.UnsupportedOutput,
                $"The model '{spec.Name}' gives output '{name}' as {type} [{DescribeShape(output)}]; GridTsne needs a float tensor [N, ...] with the batch first.");
        }

        // Known now when every per-image dimension is fixed; otherwise learnt on the first run.
        long dimensions = 1;
        foreach (int dimension in output.Dimensions.AsSpan(1))
        {
            dimensions = dimension > 0 ? dimensions * dimension : 0;
        }

        return (name, (int)Math.Min(dimensions, int.MaxValue));
    }

    private static string DescribeShape(NodeMetadata node) =>
        string.Join(",", node.Dimensions.Select((dimension, index) =>
            dimension > 0 ? dimension.ToString(System.Globalization.CultureInfo.InvariantCulture)
                : node.SymbolicDimensions.Length > index && !string.IsNullOrEmpty(node.SymbolicDimensions[index]) ? node.SymbolicDimensions[index] : "?"));

    private string ComputeIdentity()
    {
        string fileHash = Spec.Sha256 ?? OnnxBatchPatcher.Sha256(Spec.FilePath);
        return $"model={Name};sha256={fileHash};output={OutputName};{Preprocessing.IdentityText}";
    }
}
