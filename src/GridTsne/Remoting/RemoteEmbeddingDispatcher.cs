using System.Collections;
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
/// more. Results are handed back in input order. A session that breaks puts its unanswered photos back at the
/// front of the queue; when no session is left, the remaining photos fail. Every photo is answered exactly once.
/// </summary>
/// <remarks>
/// The pipeline thread adds and takes; remoting threads deliver results and state changes. All state is
/// guarded by one lock, and nothing here writes to the pipeline: warnings wait in <see cref="TakeWarnings"/>.
/// Calls into remoting (sending a batch, stopping, closing input) are never made under the lock: they are
/// queued as actions and run after it is released, because remoting raises its events while holding locks
/// of its own, which would deadlock against a thread that holds ours and waits for remoting.
/// </remarks>
internal sealed class RemoteEmbeddingDispatcher : IDisposable
{
    private readonly object _gate = new();
    private readonly List<SessionWorker> _workers;
    private readonly List<RemoteWorkItem> _queue = [];
    private readonly Dictionary<long, RemoteEmbeddingResult> _finished = [];
    private readonly List<string> _warnings = [];
    private readonly List<Action> _remotingCalls = [];
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
    public RemoteEmbeddingDispatcher(IReadOnlyList<CheckedSession> sessions, Hashtable parameters, int batchSize, CancellationToken cancellationToken)
    {
        BatchSize = batchSize;
        // Room for two batches on the way to every session, results waiting behind a slow batch, and a full
        // batch queued: enough to keep every session busy with memory bounded (about 10 kB per photo).
        Window = 4 * batchSize * sessions.Count;
        _cancellationToken = cancellationToken;
        _workers = sessions.Select(session => new SessionWorker(session, parameters)).ToList();
        foreach (SessionWorker worker in _workers)
        {
            worker.Start(
                (_, _) => OnOutput(worker),
                (_, _) => OnWarning(worker),
                (_, change) => OnStateChanged(worker, change.InvocationStateInfo));
        }

        _cancellation = cancellationToken.Register(OnCancelled);
    }

    public int BatchSize { get; }

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

        RunRemotingCalls();
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

        RunRemotingCalls();
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
    /// <see cref="OperationCanceledException"/> when the run is cancelled.
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
                if (_remotingCalls.Count == 0)
                {
                    Monitor.Wait(_gate);
                }
            }

            RunRemotingCalls();
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

    /// <summary>Ends every remote pipeline (stopping those with work left); the sessions stay open.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            // Stop every pipeline with work left at once (a clean end for the others), then wait for each.
            foreach (SessionWorker worker in _workers)
            {
                _remotingCalls.Add(worker.Outstanding.Count > 0 ? worker.BeginStop : worker.CloseInput);
            }
        }

        RunRemotingCalls();

        _cancellation.Dispose();
        foreach (SessionWorker worker in _workers)
        {
            worker.Dispose();
        }
    }

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
            worker.Outstanding.AddRange(batch);
            _remotingCalls.Add(() => Send(worker, batch));
        }
    }

    /// <summary>Runs the remoting calls queued under the lock, now that it is released.</summary>
    private void RunRemotingCalls()
    {
        while (true)
        {
            List<Action> calls;
            lock (_gate)
            {
                if (_remotingCalls.Count == 0)
                {
                    return;
                }

                calls = [.. _remotingCalls];
                _remotingCalls.Clear();
            }

            foreach (Action call in calls)
            {
                call();
            }
        }
    }

    private void Send(SessionWorker worker, List<RemoteWorkItem> batch)
    {
        try
        {
            worker.Send(batch);
        }
        catch (Exception ex) when (ex is PSInvalidOperationException or PSRemotingTransportException or InvalidRunspaceStateException)
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

            foreach (RemoteEmbeddingRecord record in records)
            {
                RemoteWorkItem? item = worker.TakeOutstanding(record.Path);
                if (item is null)
                {
                    LoseSession(worker, $"it answered for a photo it was not sent ('{record.Path}'{(record.Message is null ? "" : ": " + record.Message)})");
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

        RunRemotingCalls();
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
        lock (_gate)
        {
            if (!worker.IsLive || _disposed || _cancellationToken.IsCancellationRequested)
            {
                return;
            }

            if (state.State == PSInvocationState.Completed && worker.Outstanding.Count == 0 && worker.InputClosed)
            {
                worker.Fail("it finished its work");
                return;
            }

            LoseSession(worker, worker.DescribeEnd(state));
            Monitor.PulseAll(_gate);
        }

        RunRemotingCalls();
    }

    /// <summary>A session left mid-run: its unanswered photos go back to the front of the queue, in input order.</summary>
    private void LoseSession(SessionWorker worker, string reason)
    {
        List<RemoteWorkItem> unfinished = worker.Fail(reason);
        _remotingCalls.Add(worker.BeginStop);
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
            foreach (SessionWorker worker in _workers)
            {
                _remotingCalls.Add(worker.CloseInput);
            }
        }
    }

    private void OnCancelled()
    {
        lock (_gate)
        {
            _remotingCalls.AddRange(_workers.Select(worker => (Action)worker.BeginStop));
            Monitor.PulseAll(_gate);
        }

        RunRemotingCalls();
    }
}
