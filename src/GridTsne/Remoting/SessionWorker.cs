using System.Collections;
using System.Diagnostics;
using System.Management.Automation;
using System.Management.Automation.Remoting;
using System.Management.Automation.Runspaces;

namespace GridTsne.Remoting;

/// <summary>
/// One session's share of a <see cref="RemoteEmbeddingDispatcher"/> run: a single remote pipeline that runs
/// Get-ImageEmbedding for the whole run (so the model loads once there), fed one batch of paths per input
/// object. The remote cmdlet writes every result of a batch before it reads the next one
/// (-CompleteEachInput), and each result comes back as a <see cref="RemoteEmbeddingRecord"/>.
/// </summary>
/// <remarks>
/// The dispatcher reads and changes the state (<see cref="Outstanding"/>, <see cref="IsLive"/>,
/// <see cref="LastProgress"/>) under its lock. Nothing that talks to the session runs on the caller's thread:
/// a session that is lost can block any call into it for good (a close that never completes, a transport
/// that no longer answers), so the input goes out through <see cref="Post"/>, one call after another on a
/// thread-pool thread, and stops are fire-and-forget.
/// </remarks>
internal sealed class SessionWorker
{
    private const string WorkerScript = """
        param([hashtable] $Parameters)
        $ProgressPreference = 'SilentlyContinue'
        $input | GridTsne\Get-ImageEmbedding @Parameters -CompleteEachInput 2>&1 |
            ForEach-Object { [GridTsne.Remoting.RemoteEmbeddingRecord]::Encode($_) }
        """;

    private readonly PowerShell _shell;
    private readonly PSDataCollection<PSObject> _input = new();
    private readonly PSDataCollection<PSObject> _output = new();
    private readonly object _postGate = new();
    private Task _posted = Task.CompletedTask;
    private IAsyncResult? _running;
    private int _stopRequested;

    public SessionWorker(CheckedSession session, Hashtable parameters)
    {
        Session = session;
        _shell = PowerShell.Create();
        _shell.Runspace = session.Session.Runspace;
        _shell.AddScript(WorkerScript).AddArgument(parameters);
    }

    public CheckedSession Session { get; }

    public string Description => Session.Description;

    public Runspace Runspace => Session.Session.Runspace;

    /// <summary>Photos sent and not yet answered, in the order sent.</summary>
    public List<RemoteWorkItem> Outstanding { get; } = [];

    /// <summary>True until the session leaves the run (its pipeline ended, or it was found lost).</summary>
    public bool IsLive { get; private set; }

    /// <summary>Why the session left the run, for the errors of photos that no session could embed.</summary>
    public string? FailureReason { get; private set; }

    public long Completed { get; set; }

    /// <summary>
    /// When the session last showed progress (<see cref="Stopwatch.GetTimestamp"/>): an answer, or work sent
    /// while it had none. The watchdog measures silence from here.
    /// </summary>
    public long LastProgress { get; set; }

    /// <summary>No more batches may be sent (set under the dispatcher's lock; the input closes just after).</summary>
    public bool InputClosed { get; private set; }

    /// <summary>True once the remote pipeline has ended, whichever way.</summary>
    public bool HasEnded => _running?.IsCompleted ?? true;

    /// <summary>Signaled when the remote pipeline ends.</summary>
    public WaitHandle EndedHandle => _running!.AsyncWaitHandle;

    /// <summary>Starts the remote pipeline; results, warnings and its end arrive through the handlers.</summary>
    public void Start(EventHandler<DataAddedEventArgs> onOutput, EventHandler<DataAddedEventArgs> onWarning, EventHandler<PSInvocationStateChangedEventArgs> onStateChanged)
    {
        _output.DataAdded += onOutput;
        _shell.Streams.Warning.DataAdded += onWarning;
        _shell.InvocationStateChanged += onStateChanged;
        IsLive = true;
        LastProgress = Stopwatch.GetTimestamp();
        _running = _shell.BeginInvoke(_input, _output);
    }

    /// <summary>
    /// Runs a call into the session on a thread-pool thread, after the calls posted before it: the caller never
    /// waits for the session. A call that fails with a remoting error goes to <paramref name="onFailure"/>.
    /// </summary>
    public void Post(Action call, Action<Exception> onFailure)
    {
        lock (_postGate)
        {
            _posted = _posted.ContinueWith(
                _ =>
                {
                    try
                    {
                        call();
                    }
                    catch (Exception ex) when (IsRemotingFailure(ex))
                    {
                        onFailure(ex);
                    }
                },
                CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        }
    }

    /// <summary>Sends one batch (already in <see cref="Outstanding"/>); the remote side answers every path in it before it reads the next batch.</summary>
    public void Send(IReadOnlyList<RemoteWorkItem> batch)
    {
        var unit = new PSObject();
        unit.Properties.Add(new PSNoteProperty("LiteralPath", batch.Select(item => item.Path).ToArray()));
        _input.Add(unit);
    }

    /// <summary>Results that arrived so far; thread-safe, called outside the lock too.</summary>
    public IReadOnlyList<PSObject> ReadOutput() => _output.ReadAll();

    public IReadOnlyList<WarningRecord> ReadWarnings() => _shell.Streams.Warning.ReadAll();

    /// <summary>The first outstanding photo with this path (a path may be queued twice), removed; null when there is none.</summary>
    public RemoteWorkItem? TakeOutstanding(string path)
    {
        int index = Outstanding.FindIndex(item => string.Equals(item.Path, path, StringComparison.Ordinal));
        if (index < 0)
        {
            return null;
        }

        RemoteWorkItem item = Outstanding[index];
        Outstanding.RemoveAt(index);
        return item;
    }

    /// <summary>True when the session was given up mid-run (as opposed to finishing its work).</summary>
    public bool WasLost { get; private set; }

    /// <summary>The session was lost: its outstanding photos go back to the caller.</summary>
    public List<RemoteWorkItem> Fail(string reason)
    {
        IsLive = false;
        WasLost = true;
        FailureReason = reason;
        List<RemoteWorkItem> unfinished = [.. Outstanding];
        Outstanding.Clear();
        return unfinished;
    }

    /// <summary>The remote pipeline ended after answering everything it was sent.</summary>
    public void Finish()
    {
        IsLive = false;
        FailureReason = "it finished its work";
    }

    /// <summary>
    /// No more batches may be sent: marks the input closed and, once, posts its closing after the batches
    /// already posted (the remote pipeline ends once it has answered the last of them).
    /// </summary>
    public void EndInput()
    {
        if (InputClosed)
        {
            return;
        }

        InputClosed = true;
        Post(CloseInput, _ => { });
    }

    private void CloseInput()
    {
        if (_input.IsOpen)
        {
            _input.Complete();
        }
    }

    /// <summary>
    /// Asks the remote pipeline to stop, once, on a thread-pool thread: even starting a stop can block when the
    /// session is lost.
    /// </summary>
    public void BeginStop()
    {
        if (HasEnded || Interlocked.Exchange(ref _stopRequested, 1) != 0)
        {
            return;
        }

        _ = Task.Run(() =>
        {
            try
            {
                _shell.BeginStop(null, null);
            }
            catch (Exception ex) when (IsRemotingFailure(ex))
            {
                // The session broke meanwhile; there is nothing left to stop.
            }
        });
    }

    /// <summary>Why the remote pipeline ended, in words for a warning.</summary>
    public string DescribeEnd(PSInvocationStateInfo state)
    {
        RunspaceState runspace = Runspace.RunspaceStateInfo.State;
        string reason = state.Reason?.Message ?? state.State.ToString();
        return runspace == RunspaceState.Opened ? reason : $"the session is {runspace} ({reason})";
    }

    /// <summary>
    /// Lets go of the remote pipeline. One that ended in a session still in the run is disposed here; any other
    /// (a lost session, or one that did not confirm its stop in time) is stopped and disposed on a thread-pool
    /// thread, since both calls can wait for the session. The session itself stays open; it is the user's.
    /// </summary>
    public void Release()
    {
        if (HasEnded && !WasLost)
        {
            DisposeStreams();
            return;
        }

        _ = Task.Run(() =>
        {
            try
            {
                _shell.Stop();
            }
            catch (Exception ex) when (IsRemotingFailure(ex))
            {
                // The session broke meanwhile; there is nothing left to stop.
            }

            DisposeStreams();
        });
    }

    /// <summary>
    /// Waits, at most <paramref name="timeout"/>, until the session is no longer busy with our pipeline. The
    /// session reports itself available again only when the server confirms the pipeline's end, a moment after
    /// the invocation ended here, and the caller's next command in that session must not find it busy.
    /// </summary>
    public void WaitUntilIdle(TimeSpan timeout)
    {
        Runspace runspace = Runspace;
        using var idle = new ManualResetEventSlim();
        EventHandler<RunspaceAvailabilityEventArgs> onChange = (_, _) =>
        {
            if (runspace.RunspaceAvailability != RunspaceAvailability.Busy)
            {
                idle.Set();
            }
        };
        runspace.AvailabilityChanged += onChange;
        try
        {
            if (runspace.RunspaceAvailability == RunspaceAvailability.Busy && runspace.RunspaceStateInfo.State == RunspaceState.Opened)
            {
                idle.Wait(timeout);
            }
        }
        finally
        {
            runspace.AvailabilityChanged -= onChange;
        }
    }

    private static bool IsRemotingFailure(Exception ex) =>
        ex is PSInvalidOperationException or PSRemotingTransportException or InvalidRunspaceStateException or ObjectDisposedException;

    private void DisposeStreams()
    {
        _shell.Dispose();
        _input.Dispose();
        _output.Dispose();
    }
}

/// <summary>One photo of a remote run, identified by its place in the input.</summary>
internal sealed class RemoteWorkItem(long index, string path)
{
    public long Index { get; } = index;

    public string Path { get; } = path;
}
