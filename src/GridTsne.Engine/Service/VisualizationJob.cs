using System.Text.Json.Serialization;

namespace GridTsne.Engine.Service;

/// <summary>Where a job is; the names are the API's status codes.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<JobState>))]
public enum JobState
{
    PENDING,
    RUNNING,
    DONE,
    FAILED,
}

/// <summary>The stage a running job is in.</summary>
public enum JobPhase
{
    Starting,
    Embedding,
    Tsne,
    Assignment,

    /// <summary>The layout optimizer, when the request asked for it.</summary>
    Optimization,
    Rendering,
    Viewer,
}

/// <summary>Why a job failed, as the API reports it (status.reason).</summary>
public static class JobFailure
{
    /// <summary>The process ended (killed, crashed, or the service stopped) while the job ran.</summary>
    public const string Interrupted = "interrupted";

    /// <summary>A DELETE request canceled it.</summary>
    public const string Canceled = "canceled";

    /// <summary>None of its photos could be read.</summary>
    public const string NoPhotos = "no_photos";

    /// <summary>The model could not be loaded or run.</summary>
    public const string Model = "model";

    /// <summary>The grid is too large for the image format or the memory budget.</summary>
    public const string TooLarge = "too_large";

    /// <summary>Writing the outputs failed (disk full, permissions).</summary>
    public const string Output = "output";
}

/// <summary>What a finished job wrote, in its output folder.</summary>
public sealed record JobResult
{
    public required string ImageFile { get; init; }

    public required long Width { get; init; }

    public required long Height { get; init; }

    public required int Rows { get; init; }

    public required int Columns { get; init; }

    /// <summary>Photos placed on the grid.</summary>
    public required int Photos { get; init; }

    public required string ViewerFile { get; init; }

    public required string LayoutFile { get; init; }

    /// <summary>DPQ16 of the assignment's layout and of the optimized one, when the job ran the layout optimizer.</summary>
    public LayoutScore? Optimization { get; init; }

    /// <summary>What the steps warned about (for example a perplexity lowered for few photos).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>DPQ16 before and after the layout optimizer, as it measured them (exact, or on a sample of the items).</summary>
public sealed record LayoutScore(double Dpq16Before, double Dpq16After);

/// <summary>
/// One visualization: what was asked, where it is, and what it produced. The persisted part is job.json;
/// progress lives in memory only. Every change goes through <see cref="Gate"/>.
/// </summary>
public sealed class VisualizationJob
{
    /// <summary>Per-photo errors kept in the job (the count goes on).</summary>
    public const int MaxStoredErrors = 1000;

    public required string Id { get; init; }

    public required string Name { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    public JobState State { get; set; }

    /// <summary>For FAILED: one of <see cref="JobFailure"/>'s codes.</summary>
    public string? Reason { get; set; }

    /// <summary>A sentence for people: why it failed, or warnings of a finished job.</summary>
    public string? Description { get; set; }

    public required VisualizationOptions Options { get; init; }

    public required List<string> Paths { get; init; }

    public List<PhotoError> Errors { get; init; } = [];

    public int ErrorCount { get; set; }

    public JobResult? Result { get; set; }

    /// <summary>Guards every field and the progress below.</summary>
    [JsonIgnore]
    public object Gate { get; } = new();

    [JsonIgnore]
    public JobPhase Phase { get; set; }

    [JsonIgnore]
    public long PhaseDone { get; set; }

    [JsonIgnore]
    public long PhaseTotal { get; set; }

    /// <summary>Cancels this job when it runs; set by the runner.</summary>
    [JsonIgnore]
    public CancellationTokenSource? Cancellation { get; set; }

    [JsonIgnore]
    public bool IsFinished => State is JobState.DONE or JobState.FAILED;

    /// <summary>Records a photo's error (under the gate).</summary>
    public void AddError(PhotoError error)
    {
        ErrorCount++;
        if (Errors.Count < MaxStoredErrors)
        {
            Errors.Add(error);
        }
    }

    /// <summary>Records progress; within a phase it never goes back (tiles finish on several threads, out of order).</summary>
    public void Report(JobPhase phase, long done, long total)
    {
        lock (Gate)
        {
            if (phase == Phase && done < PhaseDone)
            {
                return;
            }

            Phase = phase;
            PhaseDone = done;
            PhaseTotal = total;
        }
    }
}
