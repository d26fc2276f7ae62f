using System.Diagnostics;

namespace GridTsne.Infrastructure;

/// <summary>
/// Decides when a Write-Progress record is due, for every cmdlet: at most one per <see cref="Interval"/>
/// (the host redraws no faster, and each record costs a trip through the pipeline thread), the first one
/// at once. Safe to call from several worker threads; exactly one caller wins each interval. Final and
/// Completed records are written regardless.
/// </summary>
internal sealed class ProgressThrottle
{
    /// <summary>The one progress interval of GridTsne.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);

    private static readonly long IntervalTicks = (long)(Interval.TotalSeconds * Stopwatch.Frequency);
    private long _lastReport = Stopwatch.GetTimestamp() - IntervalTicks;

    /// <summary>True when a record is due now; the caller then writes it.</summary>
    public bool IsDue()
    {
        long now = Stopwatch.GetTimestamp();
        long last = Interlocked.Read(ref _lastReport);
        return now - last >= IntervalTicks && Interlocked.CompareExchange(ref _lastReport, now, last) == last;
    }
}
