using System.Collections;
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
/// The dispatcher reads and changes the state (<see cref="Outstanding"/>, <see cref="IsLive"/>) under its lock,
/// and calls the members that talk to the session (<see cref="Send"/>, <see cref="BeginStop"/>,
/// <see cref="CloseInput"/>) outside it.
/// </remarks>
internal sealed class SessionWorker : IDisposable
{
    private const string WorkerScript = """
        param([hashtable] $Parameters)
        $ProgressPreference = 'SilentlyContinue'
        $input | GridTsne\Get-ImageEmbedding @Parameters -CompleteEachInput 2>&1 |
            ForEach-Object { [GridTsne.Remoting.RemoteEmbeddingRecord]::Encode($_) }
        """;

    private static readonly TimeSpan EndWait = TimeSpan.FromSeconds(5);

    private readonly PowerShell _shell;
    private readonly PSDataCollection<PSObject> _input = new();
    private readonly PSDataCollection<PSObject> _output = new();
    private IAsyncResult? _running;

    public SessionWorker(CheckedSession session, Hashtable parameters)
    {
        Session = session;
        _shell = PowerShell.Create();
        _shell.Runspace = session.Session.Runspace;
        _shell.AddScript(WorkerScript).AddArgument(parameters);
    }

    public CheckedSession Session { get; }

    public string Description => Session.Description;

    /// <summary>Photos sent and not yet answered, in the order sent.</summary>
    public List<RemoteWorkItem> Outstanding { get; } = [];

    /// <summary>True until the remote pipeline ends or fails.</summary>
    public bool IsLive { get; private set; }

    /// <summary>Why the session left the run, for the errors of photos that no session could embed.</summary>
    public string? FailureReason { get; private set; }

    public long Completed { get; set; }

    /// <summary>No more batches may be sent (set under the dispatcher's lock; the input closes just after).</summary>
    public bool InputClosed { get; private set; }

    /// <summary>Starts the remote pipeline; results, warnings and its end arrive through the handlers.</summary>
    public void Start(EventHandler<DataAddedEventArgs> onOutput, EventHandler<DataAddedEventArgs> onWarning, EventHandler<PSInvocationStateChangedEventArgs> onStateChanged)
    {
        _output.DataAdded += onOutput;
        _shell.Streams.Warning.DataAdded += onWarning;
        _shell.InvocationStateChanged += onStateChanged;
        IsLive = true;
        _running = _shell.BeginInvoke(_input, _output);
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

    /// <summary>The session left the run: its outstanding photos go back to the caller.</summary>
    public List<RemoteWorkItem> Fail(string reason)
    {
        IsLive = false;
        FailureReason = reason;
        List<RemoteWorkItem> unfinished = [.. Outstanding];
        Outstanding.Clear();
        return unfinished;
    }

    /// <summary>No more batches: the remote pipeline ends once it has answered the last one.</summary>
    public void CloseInput()
    {
        InputClosed = true;
        if (_input.IsOpen)
        {
            _input.Complete();
        }
    }

    /// <summary>Asks the remote pipeline to stop, without waiting (Ctrl+C).</summary>
    public void BeginStop()
    {
        if (_running is not null && !_running.IsCompleted)
        {
            _shell.BeginStop(null, null);
        }
    }

    /// <summary>Why the remote pipeline ended, in words for a warning.</summary>
    public string DescribeEnd(PSInvocationStateInfo state)
    {
        RunspaceState runspace = Session.Session.Runspace.RunspaceStateInfo.State;
        string reason = state.Reason?.Message ?? state.State.ToString();
        return runspace == RunspaceState.Opened ? reason : $"the session is {runspace} ({reason})";
    }

    /// <summary>
    /// Ends the remote pipeline: when all work is done it finishes on its own (waited for briefly), otherwise it is
    /// stopped. The session itself stays open and usable.
    /// </summary>
    public void Dispose()
    {
        if (_running is not null && !_running.IsCompleted)
        {
            CloseInput();
            // With nothing outstanding the pipeline ends by itself once its input is closed; otherwise it is stopped.
            if (!_running.AsyncWaitHandle.WaitOne(Outstanding.Count == 0 ? EndWait : TimeSpan.Zero))
            {
                try
                {
                    _shell.Stop();
                }
                catch (Exception ex) when (ex is PSRemotingTransportException or InvalidRunspaceStateException or PSInvalidOperationException)
                {
                    // The session broke meanwhile; there is nothing left to stop.
                }
            }
        }

        WaitUntilSessionIdle();
        _shell.Dispose();
        _input.Dispose();
        _output.Dispose();
    }

    /// <summary>
    /// The session reports itself available again only when the server confirms the pipeline's end, a moment
    /// after the invocation ended here; the caller's next command in that session must not find it busy.
    /// </summary>
    private void WaitUntilSessionIdle()
    {
        Runspace runspace = Session.Session.Runspace;
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
                idle.Wait(EndWait);
            }
        }
        finally
        {
            runspace.AvailabilityChanged -= onChange;
        }
    }
}

/// <summary>One photo of a remote run, identified by its place in the input.</summary>
internal sealed class RemoteWorkItem(long index, string path)
{
    public long Index { get; } = index;

    public string Path { get; } = path;
}
