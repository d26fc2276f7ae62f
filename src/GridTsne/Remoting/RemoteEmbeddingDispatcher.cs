using System.Collections;
using System.Diagnostics;
using System.Management.Automation;
using System.Management.Automation.Remoting;
using System.Management.Automation.Runspaces;
using GridTsne.Infrastructure;

namespace GridTsne.Remoting;

/// <summary>What one photo of a remote run came to: an embedding or an error, in input order.</summary>
internal sealed record RemoteEmbeddingResult(string Path, ImageEmbedding? Embedding, ErrorRecord? Error);

/// <summary>
/// Spreads photos over PowerShell sessions for <c>Get-ImageEmbedding -Session</c>. Photos wait in one local
/// queue; each session takes a batch whenever it has fewer than two on the way, so a faster computer takes
/// more. Results are handed back in input order. A session that is lost puts its unanswered photos back at the
/// front of the queue; when no session is left, the remaining photos fail. Every photo is answered exactly once.
/// </summary>
/// <remarks>
/// <para>
/// A watchdog makes sure that a lost session can never hang the run. A session is lost when its remote
/// pipeline ends early, when its runspace leaves the Opened state (Closing, Closed, Broken, Disconnecting,
/// Disconnected: seen from the runspace's events, and polled every <see cref="PollInterval"/> in case no event
/// comes), or when it has photos to embed and answers none for <see cref="SilenceLimit"/>. Every wait here is
/// bounded by the poll interval and wakes on cancellation; calls into the sessions never run on the caller's
/// thread (<see cref="SessionWorker.Post"/>), since a lost session can block them for good.
/// </para>
/// <para>
/// The pipeline thread adds and takes; remoting and thread-pool threads deliver results and state changes.
/// All state is guarded by one lock, and nothing here writes to the pipeline: warnings wait in
/// <see cref="TakeWarnings"/>. Runspace states are read outside the lock, because remoting raises its events
/// while holding locks of its own.
/// </para>
/// </remarks>
internal sealed class RemoteEmbeddingDispatcher : IDisposable
{
    /// <summary>How often a waiting caller looks at the sessions even when no event came.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>How long <see cref="Dispose"/> waits for the sessions' pipelines to end cleanly, all together.</summary>
    private static readonly TimeSpan EndWait = TimeSpan.FromSeconds(5);

    private readonly object _gate = new();
    private readonly List<SessionWorker> _workers;
    private readonly List<RemoteWorkItem> _queue = [];
    private readonly Dictionary<long, RemoteEmbeddingResult> _finished = [];
    private readonly List<string> _warnings = [];
    private readonly List<Action> _unsubscribe = [];
    private readonly CancellationToken _cancellationToken;
    private readonly CancellationTokenRegistration _cancellation;
    private long _nextIndex;
    private long _nextToTake;
    private long _answered;
    private bool _inputComplete;
    private bool _takerWaiting;
    private bool _disposed;

    /// <param name="sessions">Checked sessions, each given one remote pipeline.</param>
    /// <param name="parameters">Get-ImageEmbedding's parameters for the remote side (no paths).</param>
    /// <param name="batchSize">Photos per batch sent to a session.</param>
    /// <param name="silenceLimit">How long a session with photos to embed may answer none before it counts as lost.</param>
    public RemoteEmbeddingDispatcher(IReadOnlyList<CheckedSession> sessions, Hashtable parameters, int batchSize, TimeSpan silenceLimit, CancellationToken cancellationToken)
    {
        BatchSize = batchSize;
        SilenceLimit = silenceLimit;
        // Room for two batches on the way to every session, results waiting behind a slow batch, and a full
        // batch queued: enough to keep every session busy with memory bounded (about 10 kB per photo).
        Window = 4 * batchSize * sessions.Count;
        _cancellationToken = cancellationToken;
        _workers = sessions.Select(session => new SessionWorker(session, parameters)).ToList();
        foreach (SessionWorker worker in _workers)
        {
            Watch(worker);
            worker.Start(
                (_, _) => OnOutput(worker),
                (_, _) => OnWarning(worker),
                (_, change) => OnStateChanged(worker, change.InvocationStateInfo));
        }

        _cancellation = cancellationToken.Register(OnCancelled);
    }

    public int BatchSize { get; }

    /// <summary>How long a session with photos to embed may answer none before the watchdog gives it up.</summary>
    public TimeSpan SilenceLimit { get; }

    /// <summary>Photos that can be between <see cref="TryAdd"/> and <see cref="Take"/> at once.</summary>
    public int Window { get; }

    /// <summary>Sessions still taking work.</summary>
    public int LiveSessions
    {
        get
        {
            lock (_gate)
            {
                return _workers.Count(worker => worker.IsLive);
            }
        }
    }

    /// <summary>How many photos each session answered, for the closing verbose message.</summary>
    public IReadOnlyList<(string Session, long Photos)> Shares
    {
        get
        {
            lock (_gate)
            {
                return _workers.Select(worker => (worker.Description, worker.Completed)).ToList();
            }
        }
    }

    /// <summary>Queues a photo; false when the window is full (take a result, then try again).</summary>
    public bool TryAdd(string path)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _cancellationToken.ThrowIfCancellationRequested();
            if (_nextIndex - _nextToTake >= Window)
            {
                return false;
            }

            var item = new RemoteWorkItem(_nextIndex++, path);
            if (_workers.Any(worker => worker.IsLive))
            {
                _queue.Add(item);
                Dispatch();
            }
            else
            {
                FailWithoutSession(item);
            }
        }

        return true;
    }

    /// <summary>No more photos: partial batches go out, and the sessions' pipelines end after the last answer.</summary>
    public void Complete()
    {
        lock (_gate)
        {
            _inputComplete = true;
            Dispatch();
            CloseInputsWhenDone();
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>The next result in input order if it is ready, without waiting.</summary>
    public bool TryTake(out RemoteEmbeddingResult? result)
    {
        lock (_gate)
        {
            return TryTakeNext(out result);
        }
    }

    /// <summary>
    /// Waits for the next result in input order, or for a warning to write (then true with a null result).
    /// False once <see cref="Complete"/> was called and every result was taken. Throws
    /// <see cref="OperationCanceledException"/> when the run is cancelled. While it waits, it runs the watchdog
    /// every <see cref="PollInterval"/>, so that a session lost without a word cannot keep it waiting.
    /// </summary>
    public bool Take(out RemoteEmbeddingResult? result)
    {
        while (true)
        {
            lock (_gate)
            {
                _cancellationToken.ThrowIfCancellationRequested();
                if (TryTakeNext(out result))
                {
                    return true;
                }

                if (_inputComplete && _nextToTake == _nextIndex)
                {
                    return false;
                }

                if (_warnings.Count > 0)
                {
                    return true;
                }

                // The caller waits for results, so nothing more comes in for now: partial batches must go out.
                _takerWaiting = true;
                Dispatch();
                _takerWaiting = false;
                Monitor.Wait(_gate, PollInterval);
            }

            Watchdog();
        }
    }

    /// <summary>Warnings gathered since the last call (sessions lost, remote cache warnings).</summary>
    public IReadOnlyList<string> TakeWarnings()
    {
        lock (_gate)
        {
            if (_warnings.Count == 0)
            {
                return [];
            }

            List<string> warnings = [.. _warnings];
            _warnings.Clear();
            return warnings;
        }
    }

    /// <summary>
    /// Ends every remote pipeline: those with work left (after Ctrl+C or an error) are stopped, the others end
    /// once their input closes. It waits at most <see cref="EndWait"/> in all for the sessions still in the run
    /// to confirm, so that they are idle for the caller's next command; lost sessions are not waited for.
    /// The sessions stay open.
    /// </summary>
    public void Dispose()
    {
        List<SessionWorker> live;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            // Sessions that finished their work are waited for too (until idle); lost ones are not.
            live = _workers.Where(worker => !worker.WasLost).ToList();
            foreach (SessionWorker worker in live.Where(worker => worker.IsLive))
            {
                if (worker.Outstanding.Count > 0 || _cancellationToken.IsCancellationRequested)
                {
                    worker.BeginStop();
                }
                else
                {
                    worker.EndInput();
                }
            }
        }

        _cancellation.Dispose();
        foreach (Action unsubscribe in _unsubscribe)
        {
            unsubscribe();
        }

        long deadline = Stopwatch.GetTimestamp() + (long)(EndWait.TotalSeconds * Stopwatch.Frequency);
        foreach (SessionWorker worker in live)
        {
            if (!worker.EndedHandle.WaitOne(Remaining(deadline)))
            {
                continue; // It did not end in time: Release below stops it, without waiting any longer.
            }

            worker.WaitUntilIdle(Remaining(deadline));
        }

        foreach (SessionWorker worker in _workers)
        {
            worker.Release();
        }
    }

    private static TimeSpan Remaining(long deadline) =>
        TimeSpan.FromSeconds(Math.Max(0, (deadline - Stopwatch.GetTimestamp()) / (double)Stopwatch.Frequency));

    private bool TryTakeNext(out RemoteEmbeddingResult? result)
    {
        if (_finished.Remove(_nextToTake, out result))
        {
            _nextToTake++;
            return true;
        }

        return false;
    }

    /// <summary>Sends queued photos to sessions with room: full batches, and partial ones once no more input can come soon.</summary>
    private void Dispatch()
    {
        if (_disposed || _cancellationToken.IsCancellationRequested)
        {
            return;
        }

        bool sendPartial = _inputComplete || _takerWaiting;
        while (_queue.Count > 0 && (_queue.Count >= BatchSize || sendPartial))
        {
            // The live session with the least work on the way takes the next batch, if it has room for it.
            SessionWorker? worker = _workers.Where(candidate => candidate.IsLive && !candidate.InputClosed)
                .MinBy(candidate => candidate.Outstanding.Count);
            if (worker is null || worker.Outstanding.Count > BatchSize)
            {
                return;
            }

            int count = Math.Min(BatchSize, _queue.Count);
            List<RemoteWorkItem> batch = _queue.GetRange(0, count);
            _queue.RemoveRange(0, count);
            if (worker.Outstanding.Count == 0)
            {
                // Silence is measured from the moment an idle session gets work.
                worker.LastProgress = Stopwatch.GetTimestamp();
            }

            worker.Outstanding.AddRange(batch);
            worker.Post(() => worker.Send(batch), ex => OnSendFailed(worker, ex));
        }
    }

    private void OnSendFailed(SessionWorker worker, Exception ex)
    {
        // The session broke as the batch went out: its photos go back to the queue.
        lock (_gate)
        {
            if (worker.IsLive)
            {
                LoseSession(worker, ex.Message);
                Monitor.PulseAll(_gate);
            }
        }
    }

    /// <summary>Follows the session's runspace: leaving the Opened state is the end of that session's part in the run.</summary>
    private void Watch(SessionWorker worker)
    {
        Runspace runspace = worker.Runspace;
        EventHandler<RunspaceStateEventArgs> onState = (_, change) => OnRunspaceState(worker, change.RunspaceStateInfo);
        // Availability changes with every pipeline start and end; it only wakes the watchdog, which reads the state.
        EventHandler<RunspaceAvailabilityEventArgs> onAvailability = (_, _) => WakeTaker();
        runspace.StateChanged += onState;
        runspace.AvailabilityChanged += onAvailability;
        _unsubscribe.Add(() =>
        {
            runspace.StateChanged -= onState;
            runspace.AvailabilityChanged -= onAvailability;
        });
    }

    private void WakeTaker()
    {
        lock (_gate)
        {
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>
    /// Gives up the sessions whose runspace is no longer open, and those silent for longer than
    /// <see cref="SilenceLimit"/> with photos to embed. Runs on the pipeline thread, between waits.
    /// </summary>
    private void Watchdog()
    {
        List<SessionWorker> live;
        lock (_gate)
        {
            live = _workers.Where(worker => worker.IsLive).ToList();
        }

        // Read outside the lock: the runspace takes its own lock to answer.
        var states = live.Select(worker => (Worker: worker, State: worker.Runspace.RunspaceStateInfo)).ToList();
        long now = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            foreach ((SessionWorker worker, RunspaceStateInfo state) in states)
            {
                if (!worker.IsLive || _disposed || _cancellationToken.IsCancellationRequested)
                {
                    continue;
                }

                if (SessionWatchdog.IsLost(state.State))
                {
                    LoseSession(worker, SessionWatchdog.DescribeState(state));
                }
                else if (worker.Outstanding.Count > 0 && SessionWatchdog.IsSilentTooLong(worker.LastProgress, now, SilenceLimit))
                {
                    LoseSession(worker, SessionWatchdog.DescribeSilence(worker.Outstanding.Count, SilenceLimit));
                }
            }
        }
    }

    private void OnRunspaceState(SessionWorker worker, RunspaceStateInfo state)
    {
        if (!SessionWatchdog.IsLost(state.State))
        {
            return;
        }

        lock (_gate)
        {
            if (worker.IsLive && !_disposed && !_cancellationToken.IsCancellationRequested)
            {
                LoseSession(worker, SessionWatchdog.DescribeState(state));
            }

            Monitor.PulseAll(_gate);
        }
    }

    private void OnOutput(SessionWorker worker)
    {
        // Decoding (array copies, a JPEG header read) happens outside the lock.
        var records = worker.ReadOutput().Select(RemoteEmbeddingRecord.FromDeserialized).ToList();
        if (records.Count == 0)
        {
            return;
        }

        lock (_gate)
        {
            if (!worker.IsLive)
            {
                // Answers that arrive after a session was given up: its photos are back in the queue already.
                return;
            }

            worker.LastProgress = Stopwatch.GetTimestamp();
            foreach (RemoteEmbeddingRecord record in records)
            {
                RemoteWorkItem? item = worker.TakeOutstanding(record.Path);
                if (item is null)
                {
                    LoseSession(worker, $"it answered for a photo it was not sent ('{record.Path}'{(record.Message is null ? "" : ": " + record.Message)})");
                    Monitor.PulseAll(_gate);
                    return;
                }

                (ImageEmbedding? embedding, ErrorRecord? error) = record.Decode(item.Path);
                Finish(item, new RemoteEmbeddingResult(item.Path, embedding, error));
                worker.Completed++;
            }

            Dispatch();
            CloseInputsWhenDone();
            Monitor.PulseAll(_gate);
        }
    }

    private void OnWarning(SessionWorker worker)
    {
        IReadOnlyList<WarningRecord> warnings = worker.ReadWarnings();
        lock (_gate)
        {
            _warnings.AddRange(warnings.Select(warning => $"Session {worker.Description}: {warning.Message}"));
            Monitor.PulseAll(_gate);
        }
    }

    private void OnStateChanged(SessionWorker worker, PSInvocationStateInfo state)
    {
        if (state.State is not (PSInvocationState.Completed or PSInvocationState.Failed or PSInvocationState.Stopped))
        {
            return;
        }

        // Answers that arrived just before the end count.
        OnOutput(worker);
        string reason = worker.DescribeEnd(state);
        lock (_gate)
        {
            if (!worker.IsLive || _disposed || _cancellationToken.IsCancellationRequested)
            {
                return;
            }

            if (state.State == PSInvocationState.Completed && worker.Outstanding.Count == 0 && worker.InputClosed)
            {
                worker.Finish();
                return;
            }

            LoseSession(worker, reason);
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>A session left mid-run: its unanswered photos go back to the front of the queue, in input order.</summary>
    private void LoseSession(SessionWorker worker, string reason)
    {
        List<RemoteWorkItem> unfinished = worker.Fail(reason);
        worker.BeginStop();
        int live = _workers.Count(candidate => candidate.IsLive);
        _warnings.Add(live > 0
            ? $"Session {worker.Description} was lost: {reason}. Its {unfinished.Count} unfinished photos go back to the queue for the {live} remaining session(s)."
            : $"Session {worker.Description} was lost: {reason}. No session is left; the {unfinished.Count + _queue.Count} photos not yet embedded fail.");
        _queue.AddRange(unfinished);
        _queue.Sort((left, right) => left.Index.CompareTo(right.Index));
        if (live == 0)
        {
            foreach (RemoteWorkItem item in _queue)
            {
                FailWithoutSession(item);
            }

            _queue.Clear();
        }

        Dispatch();
        CloseInputsWhenDone();
    }

    private void FailWithoutSession(RemoteWorkItem item)
    {
        string reasons = string.Join("; ", _workers.Select(worker => $"{worker.Description}: {worker.FailureReason}"));
        var error = new ErrorRecord(
            new PSInvalidOperationException($"'{item.Path}' was not embedded: no session is left to embed it ({reasons})."),
            ErrorIds.NoSessionLeft, ErrorCategory.ResourceUnavailable, item.Path);
        Finish(item, new RemoteEmbeddingResult(item.Path, null, error));
    }

    private void Finish(RemoteWorkItem item, RemoteEmbeddingResult result)
    {
        _finished.Add(item.Index, result);
        _answered++;
    }

    private void CloseInputsWhenDone()
    {
        if (_inputComplete && _answered == _nextIndex)
        {
            foreach (SessionWorker worker in _workers.Where(worker => worker.IsLive))
            {
                worker.EndInput();
            }
        }
    }

    private void OnCancelled()
    {
        // Ctrl+C: the remote pipelines start stopping at once (Dispose waits for them), and the taker wakes.
        lock (_gate)
        {
            foreach (SessionWorker worker in _workers)
            {
                worker.BeginStop();
            }

            Monitor.PulseAll(_gate);
        }
    }
}
