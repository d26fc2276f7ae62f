using System.Collections;
using System.Diagnostics;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using GridTsne.Engine.Embedding;
using GridTsne.Engine.Imaging;
using GridTsne.Infrastructure;
using GridTsne.Remoting;

namespace GridTsne.Commands;

/// <summary>
/// Get-ImageEmbedding: photos to feature vectors. Paths stream into an <see cref="EmbeddingPipeline"/> as they
/// arrive; results are written in input order as soon as their batch is done, and the last partial batch
/// runs in EndProcessing. With -Session the photos are embedded by Get-ImageEmbedding in remote sessions
/// instead (<see cref="RemoteEmbeddingDispatcher"/>), and come back here in the same order and form.
/// </summary>
[Cmdlet(VerbsCommon.Get, "ImageEmbedding", DefaultParameterSetName = PathSet)]
[OutputType(typeof(ImageEmbedding))]
public sealed class GetImageEmbeddingCommand : GridTsneCmdlet
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";
    private const string PathModelFileSet = "PathModelFile";
    private const string LiteralPathModelFileSet = "LiteralPathModelFile";
    private const int ProgressActivityId = 0x4754; // "GT"

    private static bool s_sessionsKept;
    private ImageEmbedder? _embedder;
    private EmbeddingPipeline? _pipeline;
    private readonly Stopwatch _clock = new();
    private readonly ProgressThrottle _progressThrottle = new();
    private long _submitted;
    private long _written;
    private long _failed;
    private long _fromCache;
    private bool _cacheWarningWritten;
    private bool _inputComplete;
    private RemoteEmbeddingDispatcher? _remote;
    private string _activity = "Get-ImageEmbedding";

    /// <summary>Photos to embed; wildcards allowed.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = PathSet)]
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = PathModelFileSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    /// <summary>Photos to embed, used exactly as typed (no wildcards).</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralPathSet)]
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralPathModelFileSet)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = [];

    /// <summary>A built-in model from models/models.json.</summary>
    [Parameter(ParameterSetName = PathSet)]
    [Parameter(ParameterSetName = LiteralPathSet)]
    [ArgumentCompleter(typeof(ModelNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Model { get; set; } = ModelCatalog.DefaultModelName;

    /// <summary>Any ONNX image model taking a float tensor [N,3,H,W].</summary>
    [Parameter(Mandatory = true, ParameterSetName = PathModelFileSet)]
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathModelFileSet)]
    [ValidateNotNullOrEmpty]
    public string ModelPath { get; set; } = string.Empty;

    /// <summary>Input side in pixels for -ModelPath; 0 takes the model's own (224 when it leaves it open).</summary>
    [Parameter(ParameterSetName = PathModelFileSet)]
    [Parameter(ParameterSetName = LiteralPathModelFileSet)]
    [ValidateRange(0, 8192)]
    public int InputSize { get; set; }

    /// <summary>Per-channel mean for -ModelPath, in the model's channel order, after -PixelScale.</summary>
    [Parameter(ParameterSetName = PathModelFileSet)]
    [Parameter(ParameterSetName = LiteralPathModelFileSet)]
    [ValidateCount(3, 3)]
    public float[] Mean { get; set; } = [.. ImagePreprocessing.ImageNetMean];

    /// <summary>Per-channel standard deviation for -ModelPath, in the model's channel order.</summary>
    [Parameter(ParameterSetName = PathModelFileSet)]
    [Parameter(ParameterSetName = LiteralPathModelFileSet)]
    [ValidateCount(3, 3)]
    public float[] Std { get; set; } = [.. ImagePreprocessing.ImageNetStd];

    /// <summary>Channel order of the -ModelPath model's input: RGB or BGR.</summary>
    /// <remarks>
    /// A string, not the engine's enum: a value-type field of an engine type would make pwsh load the engine
    /// while it scans this class at Import-Module, before GridTsne's load context can supply it.
    /// </remarks>
    [Parameter(ParameterSetName = PathModelFileSet)]
    [Parameter(ParameterSetName = LiteralPathModelFileSet)]
    [ValidateSet("RGB", "BGR")]
    public string ChannelOrder { get; set; } = "RGB";

    /// <summary>Factor applied to 0-255 pixel values before the mean for -ModelPath.</summary>
    [Parameter(ParameterSetName = PathModelFileSet)]
    [Parameter(ParameterSetName = LiteralPathModelFileSet)]
    public float PixelScale { get; set; } = 1f / 255f;

    /// <summary>The -ModelPath model's output to read; the first output when omitted.</summary>
    [Parameter(ParameterSetName = PathModelFileSet)]
    [Parameter(ParameterSetName = LiteralPathModelFileSet)]
    [ValidateNotNullOrEmpty]
    public string? OutputName { get; set; }

    /// <summary>Center crops to the input's aspect ratio; None squeezes the whole photo. A string for the reason given at <see cref="ChannelOrder"/>.</summary>
    [Parameter]
    [ValidateSet("Center", "None")]
    public string Crop { get; set; } = "Center";

    [Parameter]
    [ValidateRange(1, 1024)]
    public int BatchSize { get; set; } = EmbeddingPipelineOptions.DefaultBatchSize;

    /// <summary>Threads that decode photos while inference runs.</summary>
    [Parameter]
    [ValidateRange(1, 256)]
    public int ThrottleLimit { get; set; } = Environment.ProcessorCount;

    /// <summary>Directory that keeps embeddings between runs.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? CachePath { get; set; }

    [Parameter]
    public SwitchParameter Normalize { get; set; }

    [Parameter]
    [ValidateRange(1L, long.MaxValue)]
    public long MaxPixels { get; set; } = ImageDecodeOptions.DefaultMaxPixels;

    [Parameter]
    [ValidateRange(0, 4096)]
    public int ThumbnailSize { get; set; } = Thumbnail.DefaultShortSide;

    /// <summary>
    /// Sessions (New-PSSession) that embed the photos instead of this computer; the photos must be at the same
    /// paths there. Every other parameter applies on each session.
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public PSSession[]? Session { get; set; }

    /// <summary>
    /// With -Session: how long a session that has photos to embed may answer none before it is treated as lost
    /// (its photos go to the other sessions). By default 60 s plus 5 s per photo of -BatchSize.
    /// </summary>
    [Parameter]
    [ValidateRange(1, 86400)]
    public int OperationTimeoutSec { get; set; }

    /// <summary>
    /// Writes every result of an input object before reading the next one. The remote side of -Session uses it:
    /// the caller sends a session its next batch only when the results of an earlier one are back, so results
    /// must not wait for input that comes after them.
    /// </summary>
    [Parameter(DontShow = true)]
    public SwitchParameter CompleteEachInput { get; set; }

    /// <summary>
    /// &lt;module base&gt;/models, where build.ps1 puts the built-in models and models.json. The module base is
    /// the folder above bin/GridTsne.dll, in the repository and in a packaged module alike, however it was imported.
    /// </summary>
    internal static string ModelsDirectory { get; } =
        System.IO.Path.Combine(System.IO.Path.GetDirectoryName(System.IO.Path.GetDirectoryName(typeof(GetImageEmbeddingCommand).Assembly.Location))!, "models");

    protected override void BeginProcessing()
    {
        // Every model or cache-path problem ends the command here, before any photo is read.
        string? cacheDirectory = CachePath is null ? null : ProviderPaths.ResolveOutput(this, CachePath);
        if (Session is not null)
        {
            BeginRemote(cacheDirectory);
            return;
        }

        EmbeddingModelSpec spec = ResolveModel();
        using (var warmUpStop = new CancellationTokenSource())
        {
            Task warmUp = Task.Run(() => DecoderWarmUp.Run(ThumbnailSize, warmUpStop.Token));
            try
            {
                // The session stays loaded for the next Get-ImageEmbedding in this process (removed with the module).
                _embedder = ImageEmbedder.OpenReusable(spec);
                Volatile.Write(ref s_sessionsKept, true);
            }
            catch (ModelLoadException ex)
            {
                Terminate(ModelError(ex));
            }
            finally
            {
                warmUpStop.Cancel();
                warmUp.Wait();
            }
        }

        var options = new EmbeddingPipelineOptions
        {
            BatchSize = BatchSize,
            ThrottleLimit = ThrottleLimit,
            Normalize = Normalize.IsPresent,
            ThumbnailSize = ThumbnailSize,
            DecodeOptions = new ImageDecodeOptions { MaxPixels = MaxPixels },
            CacheDirectory = cacheDirectory,
        };
        try
        {
            _pipeline = new EmbeddingPipeline(_embedder!, options, CancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException || (ex is ArgumentException && cacheDirectory is not null))
        {
            Terminate(new IOException($"The cache directory '{cacheDirectory}' cannot be used: {ex.Message}", ex),
                ErrorIds.CacheUnavailable, ErrorCategory.WriteError, CachePath);
        }

        ImagePreprocessing preprocessing = _embedder!.Preprocessing;
        string loaded = _embedder.SessionReused ? "Reused the loaded model" : "Loaded model";
        WriteVerbose(string.Create(CultureInfo.InvariantCulture,
            $"{loaded} {_embedder.Name} ({_embedder.Spec.FilePath}) in {_embedder.LoadTime.TotalMilliseconds:0} ms: input '{_embedder.InputName}' {preprocessing.Width}x{preprocessing.Height} {preprocessing.ChannelOrder}, output '{_embedder.OutputName}' ({DescribeDimensions(_embedder.Dimensions)})."));
        WriteVerbose(string.Create(CultureInfo.InvariantCulture,
            $"Batch size {_pipeline!.BatchSize}, {_embedder.IntraOpThreads} inference threads, {ThrottleLimit} decoder threads, crop {Crop}{(cacheDirectory is null ? "" : ", cache " + cacheDirectory)}."));
    }

    protected override void ProcessRecord()
    {
        bool literal = ParameterSetName is LiteralPathSet or LiteralPathModelFileSet;
        IReadOnlyList<string> paths = ResolveInputPaths(literal ? LiteralPath : Path, literal);
        if (_remote is not null)
        {
            ProcessRemote(paths);
            return;
        }

        Pump(() =>
        {
            foreach (string path in paths)
            {
                // A full window means the pipeline holds enough work: write results until a place frees up.
                while (!_pipeline!.TryAdd(path))
                {
                    if (_pipeline.Take(out EmbeddingResult? result))
                    {
                        Emit(result!);
                    }
                }

                if (!_clock.IsRunning)
                {
                    _clock.Start();
                }

                _submitted++;
                WriteReadyResults();
            }

            while (CompleteEachInput && _written < _submitted && _pipeline!.Take(out EmbeddingResult? result))
            {
                Emit(result!);
            }
        });
    }

    protected override void EndProcessing()
    {
        _inputComplete = true;
        if (_remote is not null)
        {
            EndRemote();
            return;
        }

        Pump(() =>
        {
            _pipeline!.Complete();
            while (_pipeline.Take(out EmbeddingResult? result))
            {
                Emit(result!);
            }
        });

        WriteProgress(new ProgressRecord(ProgressActivityId, _activity, "Done") { RecordType = ProgressRecordType.Completed });
        double seconds = Math.Max(_clock.Elapsed.TotalSeconds, 1e-9);
        long embedded = _written - _failed;
        WriteVerbose(string.Create(CultureInfo.InvariantCulture,
            $"Embedded {embedded} photos ({_fromCache} from the cache, {_failed} failed) in {seconds:0.00} s: {embedded / seconds:0.0} images/s; {_pipeline!.Batches} inference runs took {_pipeline.InferenceTime.TotalSeconds:0.00} s ({(_pipeline.Batches == 0 ? 0 : _pipeline.InferenceTime.TotalMilliseconds / _pipeline.Batches):0} ms per run)."));
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            // The pipeline stops its threads (aborting a run in progress) before the session goes.
            _pipeline?.Dispose();
            _embedder?.Dispose();
            _remote?.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>Destroys the model sessions kept for later commands; the module calls it when it is removed.</summary>
    internal static void ReleaseIdleSessions()
    {
        // Without a command run there is nothing to release, and no reason to load the engine.
        if (Volatile.Read(ref s_sessionsKept))
        {
            ReleaseEngineSessions();
        }

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        static void ReleaseEngineSessions() => ImageEmbedder.ReleaseIdleSessions();
    }

    private EmbeddingModelSpec ResolveModel()
    {
        EmbeddingModelSpec? spec = null;
        try
        {
            // Not ParameterSetName: in BeginProcessing, with -Path still to come from the pipeline, it may
            // name the default set.
            if (MyInvocation.BoundParameters.ContainsKey(nameof(ModelPath)))
            {
                string file = ProviderPaths.ResolveOutput(this, ModelPath);
                spec = EmbeddingModelSpec.FromFile(file, new ImagePreprocessing
                {
                    Width = InputSize,
                    Height = InputSize,
                    ChannelOrder = Enum.Parse<Engine.Embedding.ChannelOrder>(ChannelOrder, ignoreCase: true),
                    PixelScale = PixelScale,
                    Mean = Mean,
                    Std = Std,
                    Crop = ParseCrop(),
                }, OutputName);
            }
            else
            {
                spec = ModelCatalog.Load(ModelsDirectory).Get(Model);
                spec = spec with { Preprocessing = spec.Preprocessing with { Crop = ParseCrop() } };
            }
        }
        catch (ModelLoadException ex)
        {
            Terminate(ModelError(ex));
        }

        return spec;
    }

    /// <summary>Runs pipeline work on this thread, turning cancellation and model failures into PowerShell's terms.</summary>
    private void Pump(Action work)
    {
        try
        {
            work();
        }
        catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        catch (ModelLoadException ex)
        {
            Terminate(ModelError(ex));
        }
    }

    private void WriteReadyResults()
    {
        while (_pipeline!.TryTake(out EmbeddingResult? result))
        {
            Emit(result!);
        }
    }

    private void Emit(EmbeddingResult result)
    {
        _written++;
        if (result.Error is not null)
        {
            _failed++;
            WriteError(ImageErrors.ToErrorRecord(result.Error));
        }
        else
        {
            if (result.FromCache)
            {
                _fromCache++;
            }

            WriteObject(new ImageEmbedding
            {
                Path = result.Path,
                Vector = result.Vector!,
                Model = _embedder!.Name,
                Width = result.Width,
                Height = result.Height,
                Thumbnail = result.Thumbnail,
            });
        }

        if (result.CacheWarning is not null && !_cacheWarningWritten)
        {
            _cacheWarningWritten = true;
            WriteWarning(result.CacheWarning + " Further cache failures are not reported.");
        }

        WriteProgressIfDue();
    }

    private void WriteProgressIfDue()
    {
        if (!_progressThrottle.IsDue())
        {
            return;
        }

        TimeSpan now = _clock.Elapsed;
        double rate = now.TotalSeconds > 0 ? _written / now.TotalSeconds : 0;
        // The total is known once all input has arrived (EndProcessing); until then it is what came so far.
        bool totalKnown = _inputComplete;
        string status = totalKnown
            ? string.Create(CultureInfo.InvariantCulture, $"{_written} of {_submitted} photos, {rate:0.0} images/s")
            : string.Create(CultureInfo.InvariantCulture, $"{_written} photos done, {_submitted - _written} queued, {rate:0.0} images/s");
        var progress = new ProgressRecord(ProgressActivityId, _activity, status);
        if (totalKnown && _submitted > 0)
        {
            progress.PercentComplete = (int)Math.Min(100, 100 * _written / _submitted);
            if (rate > 0)
            {
                progress.SecondsRemaining = (int)Math.Ceiling((_submitted - _written) / rate);
            }
        }

        WriteProgress(progress);
    }

    /// <summary>Checks the sessions and starts a remote pipeline on each; see <see cref="RemoteSessionCheck"/>.</summary>
    private void BeginRemote(string? cacheDirectory)
    {
        bool modelFile = MyInvocation.BoundParameters.ContainsKey(nameof(ModelPath));
        string? modelPath = modelFile ? ProviderPaths.ResolveOutput(this, ModelPath) : null;
        string? model = modelFile ? null : Model;
        string reference = string.Empty;
        try
        {
            reference = RemoteModelFingerprint.OfReference(model, modelPath);
        }
        catch (ModelLoadException ex)
        {
            Terminate(ModelError(ex));
        }

        IReadOnlyList<CheckedSession> sessions;
        try
        {
            sessions = RemoteSessionCheck.Check(this, Session!, model, modelPath, reference, CancellationToken);
        }
        catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }

        foreach (CheckedSession session in sessions)
        {
            WriteVerbose($"Session {session.Description}: GridTsne {(session.ImportedNow ? "imported from" : "loaded from")} {session.ModulePath}; its model file matches this computer's.");
        }

        // Everything but the paths applies on the sessions too; local paths become the same paths there.
        var parameters = new Hashtable(StringComparer.OrdinalIgnoreCase);
        foreach ((string name, object value) in MyInvocation.BoundParameters)
        {
            if (name is nameof(Model) or nameof(InputSize) or nameof(Mean) or nameof(Std) or nameof(ChannelOrder) or nameof(PixelScale)
                or nameof(OutputName) or nameof(Crop) or nameof(BatchSize) or nameof(ThrottleLimit) or nameof(MaxPixels) or nameof(ThumbnailSize))
            {
                parameters[name] = value;
            }
        }

        parameters[nameof(Normalize)] = Normalize.IsPresent;
        if (modelPath is not null)
        {
            parameters[nameof(ModelPath)] = modelPath;
        }

        if (cacheDirectory is not null)
        {
            parameters[nameof(CachePath)] = cacheDirectory;
        }

        // Two inference runs per batch: fewer round trips, and still small enough to balance the sessions.
        int silenceSeconds = OperationTimeoutSec > 0 ? OperationTimeoutSec : SessionWatchdog.DefaultSilenceSeconds(BatchSize);
        _remote = new RemoteEmbeddingDispatcher(sessions, parameters, 2 * BatchSize, TimeSpan.FromSeconds(silenceSeconds), CancellationToken);
        _activity = string.Create(CultureInfo.InvariantCulture, $"Get-ImageEmbedding on {sessions.Count} session(s)");
        WriteVerbose(string.Create(CultureInfo.InvariantCulture, $"Batches of {_remote.BatchSize} photos to {sessions.Count} session(s), at most {_remote.Window} photos on the way; a session silent for {silenceSeconds} s with photos to embed is given up."));
    }

    private void ProcessRemote(IReadOnlyList<string> paths) => Pump(() =>
    {
        foreach (string path in paths)
        {
            // A full window: write results until a place frees up.
            while (!_remote!.TryAdd(path))
            {
                if (_remote.Take(out RemoteEmbeddingResult? result))
                {
                    EmitRemote(result);
                }
            }

            if (!_clock.IsRunning)
            {
                _clock.Start();
            }

            _submitted++;
            while (_remote.TryTake(out RemoteEmbeddingResult? result))
            {
                EmitRemote(result);
            }
        }

        EmitRemote(null);
    });

    private void EndRemote()
    {
        Pump(() =>
        {
            _remote!.Complete();
            while (_remote.Take(out RemoteEmbeddingResult? result))
            {
                EmitRemote(result);
            }

            EmitRemote(null);
        });

        WriteProgress(new ProgressRecord(ProgressActivityId, _activity, "Done") { RecordType = ProgressRecordType.Completed });
        double seconds = Math.Max(_clock.Elapsed.TotalSeconds, 1e-9);
        long embedded = _written - _failed;
        string shares = string.Join(", ", _remote!.Shares.Select(share => string.Create(CultureInfo.InvariantCulture, $"{share.Session} {share.Photos}")));
        WriteVerbose(string.Create(CultureInfo.InvariantCulture,
            $"Embedded {embedded} photos ({_failed} failed) in {seconds:0.00} s: {embedded / seconds:0.0} images/s. Photos answered per session: {shares}."));
    }

    /// <summary>Writes the sessions' warnings, then the result if there is one.</summary>
    private void EmitRemote(RemoteEmbeddingResult? result)
    {
        foreach (string warning in _remote!.TakeWarnings())
        {
            WriteWarning(warning);
        }

        if (result is null)
        {
            return;
        }

        _written++;
        if (result.Error is not null)
        {
            _failed++;
            WriteError(result.Error);
        }
        else
        {
            WriteObject(result.Embedding);
        }

        WriteProgressIfDue();
    }

    private CropMode ParseCrop() => Enum.Parse<CropMode>(Crop, ignoreCase: true);

    private static string DescribeDimensions(int dimensions) =>
        dimensions > 0 ? dimensions.ToString(CultureInfo.InvariantCulture) + " dimensions" : "dimensions known after the first run";

    private static ErrorRecord ModelError(ModelLoadException exception)
    {
        (string id, ErrorCategory category) = exception.Failure switch
        {
            ModelLoadFailure.CatalogUnreadable => (ErrorIds.ModelCatalogUnreadable, ErrorCategory.ResourceUnavailable),
            ModelLoadFailure.UnknownModel => (ErrorIds.ModelUnknown, ErrorCategory.ObjectNotFound),
            ModelLoadFailure.NotFound => (ErrorIds.ModelNotFound, ErrorCategory.ObjectNotFound),
            ModelLoadFailure.HashMismatch => (ErrorIds.ModelHashMismatch, ErrorCategory.InvalidData),
            ModelLoadFailure.NotOnnx => (ErrorIds.ModelNotOnnx, ErrorCategory.InvalidData),
            ModelLoadFailure.UnsupportedInput => (ErrorIds.ModelInputUnsupported, ErrorCategory.InvalidType),
            ModelLoadFailure.UnsupportedOutput => (ErrorIds.ModelOutputUnsupported, ErrorCategory.InvalidType),
            ModelLoadFailure.InvalidPreprocessing => (ErrorIds.ModelPreprocessingInvalid, ErrorCategory.InvalidArgument),
            _ => (ErrorIds.ModelInferenceFailed, ErrorCategory.InvalidOperation),
        };
        return new ErrorRecord(exception, id, category, exception.Model);
    }
}
