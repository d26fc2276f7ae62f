using System.Diagnostics;
using System.Globalization;
using System.Management.Automation.Runspaces;

namespace GridTsne.Remoting;

/// <summary>
/// The rules by which <see cref="RemoteEmbeddingDispatcher"/> gives a session up: what counts as a lost
/// session, and how long a session with work may stay silent.
/// </summary>
internal static class SessionWatchdog
{
    /// <summary>Silence allowed whatever the batch: model loading on a busy computer, a slow first read from shared storage.</summary>
    private const int BaseSilenceSeconds = 60;

    /// <summary>Silence allowed per photo of an inference run (-BatchSize): a 50 MP camera JPEG on a loaded computer takes seconds.</summary>
    private const int SilenceSecondsPerPhoto = 5;

    /// <summary>
    /// The default silence limit for -BatchSize <paramref name="batchSize"/>: a session answers after every
    /// inference run of that many photos, so the limit grows with it (140 s at the default 16).
    /// </summary>
    public static int DefaultSilenceSeconds(int batchSize) => BaseSilenceSeconds + (SilenceSecondsPerPhoto * batchSize);

    /// <summary>True for every state in which a session can no longer run our pipeline.</summary>
    public static bool IsLost(RunspaceState state) =>
        state is RunspaceState.Closing or RunspaceState.Closed or RunspaceState.Broken
            or RunspaceState.Disconnecting or RunspaceState.Disconnected;

    /// <summary>
    /// True when a session that has work has answered nothing since <paramref name="lastProgress"/> for longer than
    /// <paramref name="limit"/> (timestamps of <see cref="Stopwatch.GetTimestamp"/>).
    /// </summary>
    public static bool IsSilentTooLong(long lastProgress, long now, TimeSpan limit) =>
        Stopwatch.GetElapsedTime(lastProgress, now) > limit;

    /// <summary>The reason given in the warning for a session whose runspace left the Opened state.</summary>
    public static string DescribeState(RunspaceStateInfo state) =>
        state.Reason is null ? $"the session is {state.State}" : $"the session is {state.State} ({state.Reason.Message})";

    /// <summary>The reason given in the warning for a silent session.</summary>
    public static string DescribeSilence(int photos, TimeSpan limit) =>
        string.Create(CultureInfo.InvariantCulture, $"it answered none of its {photos} photos for {limit.TotalSeconds:0} s (-OperationTimeoutSec)");
}
