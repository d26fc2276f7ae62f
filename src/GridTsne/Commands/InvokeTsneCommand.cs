using System.Globalization;
using System.Management.Automation;
using GridTsne.Engine.Imaging;
using GridTsne.Engine.Tsne;
using GridTsne.Infrastructure;

namespace GridTsne.Commands;

/// <summary>
/// Invoke-Tsne: maps feature vectors to 2-D points with t-SNE. Vectors are collected in ProcessRecord
/// (each checked as it arrives, so an error names the first offending item) and the map is computed in
/// EndProcessing on a worker thread, with progress and Ctrl+C handled by <see cref="GridTsneCmdlet"/>.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "Tsne")]
[OutputType(typeof(TsnePoint))]
public sealed class InvokeTsneCommand : GridTsneCmdlet
{
    private const int ProgressActivityId = 4;
    private readonly List<Item> _items = [];
    private int _dimensions;

    /// <summary>The feature vector: float[], double[], any numbers, or a string of numbers separated by ';', ',' or blanks.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Embedding", "Features")]
    [AllowNull]
    public object? Vector { get; set; }

    /// <summary>The item's path, passed on to the output.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    public string? Path { get; set; }

    /// <summary>Passed on from Get-ImageEmbedding to Export-PhotoGrid.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true, DontShow = true)]
    [ThumbnailTransformation]
    public Thumbnail? Thumbnail { get; set; }

    [Parameter]
    [ValidateRange(1.0, 10000.0)]
    public double Perplexity { get; set; } = 30;

    [Parameter]
    [ValidateRange(0, 100000)]
    public int Iterations { get; set; } = 750;

    /// <summary>Learning rate in openTSNE's convention; by default max(200, N / EarlyExaggeration).</summary>
    [Parameter]
    [ValidateRange(0.001, 1e9)]
    public double LearningRate { get; set; }

    [Parameter]
    [ValidateRange(0, 10000)]
    public int PcaDimensions { get; set; } = 50;

    [Parameter]
    [ValidateSet("Auto", "Exact", "BarnesHut", "Fft")]
    public string Method { get; set; } = "Auto";

    [Parameter]
    [ValidateRange(0.0, 2.0)]
    public double Theta { get; set; } = 0.5;

    [Parameter]
    [ValidateSet("Pca", "Random")]
    public string Initialization { get; set; } = "Pca";

    [Parameter]
    [ValidateSet("Euclidean", "Cosine")]
    public string Metric { get; set; } = "Euclidean";

    [Parameter]
    public int Seed { get; set; } = 42;

    [Parameter]
    [ValidateRange(1.0, 100.0)]
    public double EarlyExaggeration { get; set; } = 12;

    [Parameter]
    [ValidateRange(0, 100000)]
    public int EarlyExaggerationIterations { get; set; } = 250;

    protected override void ProcessRecord()
    {
        int number = _items.Count + 1;
        string? path = NormalizePath(Path);
        string itemName = ItemReader.ItemName(number, path);
        float[] vector = ItemReader.ToVector(Vector, out string? problem);
        if (problem is not null)
        {
            Terminate(ItemReader.VectorError(itemName, problem, Vector));
        }

        if (vector.Length == 0)
        {
            Terminate(ItemReader.InputError(ErrorIds.VectorEmpty, $"The vector of {itemName} is empty.", Vector));
        }

        if (_items.Count == 0)
        {
            _dimensions = vector.Length;
        }
        else if (vector.Length != _dimensions)
        {
            Terminate(ItemReader.InputError(ErrorIds.VectorLengthMismatch,
                $"The vector of {itemName} has {vector.Length} values, but the earlier items have {_dimensions}. Every vector must have the same length.",
                Vector));
        }

        int bad = TsneRunner.FindNonFinite(vector);
        if (bad >= 0)
        {
            Terminate(ItemReader.InputError(ErrorIds.VectorNotFinite,
                string.Create(CultureInfo.InvariantCulture, $"The vector of {itemName} holds {vector[bad]} at position {bad}; t-SNE needs finite numbers."),
                Vector));
        }

        _items.Add(new Item(vector, path, Thumbnail));
    }

    protected override void EndProcessing()
    {
        int count = _items.Count;
        if (count == 0)
        {
            return;
        }

        var data = new float[(long)count * _dimensions];
        for (int i = 0; i < count; i++)
        {
            _items[i].Vector.CopyTo(data, (long)i * _dimensions);
        }

        TsneOptions options = new()
        {
            Perplexity = Perplexity,
            Iterations = Iterations,
            LearningRate = MyInvocation.BoundParameters.ContainsKey(nameof(LearningRate)) ? LearningRate : null,
            PcaDimensions = PcaDimensions,
            Method = Enum.Parse<TsneMethod>(Method, ignoreCase: true),
            Theta = Theta,
            Initialization = Enum.Parse<TsneInitialization>(Initialization, ignoreCase: true),
            Metric = Enum.Parse<TsneMetric>(Metric, ignoreCase: true),
            Seed = Seed,
            EarlyExaggeration = EarlyExaggeration,
            EarlyExaggerationIterations = EarlyExaggerationIterations,
        };

        if (options.Method == TsneMethod.Exact && count > TsneOptions.MaxExactPoints)
        {
            Terminate(new PSArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"-Method Exact is limited to {TsneOptions.MaxExactPoints} items (it keeps N² affinities); use BarnesHut, Fft or Auto for {count} items.")),
                ErrorIds.ExactMethodTooLarge, ErrorCategory.LimitsExceeded, count);
        }

        TsneResult result = RunOnWorker((messages, token) =>
        {
            var progress = new ProgressReporter(messages, count);
            TsneResult value = TsneRunner.Run(data, count, _dimensions, options, progress, token);
            progress.Complete();
            return value;
        });

        foreach (string warning in result.Warnings)
        {
            WriteWarning(warning);
        }

        WriteVerbose(string.Create(CultureInfo.InvariantCulture,
            $"t-SNE of {count} points × {_dimensions} dimensions: method {result.Method}{(result.Method == TsneMethod.BarnesHut ? $" (theta {Theta})" : string.Empty)}, perplexity {result.Perplexity:0.###} on {result.Neighbors} {(result.ApproximateNeighbors ? "approximate" : "exact")} neighbours, learning rate {result.LearningRate:0.#}, {result.Iterations} iterations."));
        WriteVerbose(string.Create(CultureInfo.InvariantCulture, $"PCA: {Seconds(result.Times.Pca)} ({_dimensions} -> {result.Dimensions} dimensions)."));
        WriteVerbose(string.Create(CultureInfo.InvariantCulture, $"Neighbours: {Seconds(result.Times.Neighbors)}."));
        WriteVerbose(string.Create(CultureInfo.InvariantCulture, $"Affinities: {Seconds(result.Times.Affinities)}."));
        WriteVerbose(string.Create(CultureInfo.InvariantCulture, $"Optimisation: {Seconds(result.Times.Optimization)}."));
        WriteVerbose(string.Create(CultureInfo.InvariantCulture, $"Final KL divergence: {result.KullbackLeibler:0.######}."));

        for (int i = 0; i < count; i++)
        {
            Item item = _items[i];
            WriteObject(new TsnePoint
            {
                Path = item.Path,
                X = result.Embedding[2 * i],
                Y = result.Embedding[2 * i + 1],
                Vector = item.Vector,
                Thumbnail = item.Thumbnail,
            });
        }
    }

    private static string Seconds(TimeSpan time) => string.Create(CultureInfo.InvariantCulture, $"{time.TotalSeconds:0.000} s");

    private string? NormalizePath(string? path)
    {
        // A provider-qualified PSPath (FileSystem::/photos/a.jpg) becomes a plain file-system path.
        if (path is not null && path.Contains("::", StringComparison.Ordinal))
        {
            try
            {
                return SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
            }
            catch (Exception exception) when (exception is ProviderNotFoundException or System.Management.Automation.DriveNotFoundException or NotSupportedException or PSArgumentException)
            {
                return path;
            }
        }

        return path;
    }

    private sealed record Item(float[] Vector, string? Path, Thumbnail? Thumbnail);

    /// <summary>Turns engine progress into Write-Progress records (on the worker; written by the pipeline thread).</summary>
    private sealed class ProgressReporter(WorkerMessages messages, int count) : IProgress<TsneProgress>
    {
        private readonly ProgressRecord _record = new(ProgressActivityId, "Invoke-Tsne", "Starting");

        // Not throttled by time: the engine already reports only every few iterations.
        public void Report(TsneProgress value)
        {
            string activity = string.Create(CultureInfo.InvariantCulture, $"Invoke-Tsne: {count} points");
            var record = new ProgressRecord(ProgressActivityId, activity, Describe(value));
            if (value.TotalIterations > 0 && value.Iteration > 0)
            {
                record.PercentComplete = Math.Clamp(100 * value.Iteration / value.TotalIterations, 0, 100);
                record.CurrentOperation = string.Create(CultureInfo.InvariantCulture, $"KL divergence {value.KullbackLeibler:0.0000}");
            }

            messages.WriteProgress(record);
        }

        public void Complete()
        {
            _record.RecordType = ProgressRecordType.Completed;
            messages.WriteProgress(_record);
        }

        private static string Describe(TsneProgress value) => value.Phase switch
        {
            TsnePhase.Pca => "PCA",
            TsnePhase.Neighbors => "Nearest neighbours",
            TsnePhase.Affinities => "Affinities",
            TsnePhase.EarlyExaggeration => string.Create(CultureInfo.InvariantCulture, $"Early exaggeration, iteration {value.Iteration} of {value.TotalIterations}"),
            _ => string.Create(CultureInfo.InvariantCulture, $"Optimisation, iteration {value.Iteration} of {value.TotalIterations}"),
        };
    }
}
