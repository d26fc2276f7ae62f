using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Management.Automation;

namespace GridTsne.Infrastructure;

/// <summary>
/// Base of every GridTsne cmdlet: long work runs on a worker thread while the pipeline thread writes what
/// the worker queued (PowerShell allows Write* only from the pipeline thread), and Ctrl+C cancels a token
/// the engine checks, so a stop takes effect within a second.
/// </summary>
public abstract class GridTsneCmdlet : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private bool _disposed;

    /// <summary>Cancelled when the user presses Ctrl+C or the pipeline stops.</summary>
    protected CancellationToken CancellationToken => _stopping.Token;

    protected override void StopProcessing() => _stopping.Cancel();

    /// <summary>
    /// Runs <paramref name="work"/> on a worker thread and, until it finishes, writes its queued messages
    /// from this thread. A cancelled run surfaces as <see cref="PipelineStoppedException"/>.
    /// </summary>
    protected T RunOnWorker<T>(Func<WorkerMessages, CancellationToken, T> work)
    {
        using var messages = new WorkerMessages();
        CancellationToken token = _stopping.Token;
        Task<T> worker = Task.Run(() =>
        {
            try
            {
                return work(messages, token);
            }
            finally
            {
                messages.Complete();
            }
        });

        try
        {
            foreach (Action<Cmdlet> message in messages.Consume())
            {
                message(this);
            }
        }
        catch
        {
            // Writing failed (the pipeline is stopping, or -ErrorAction Stop turned an error terminating):
            // stop the worker before the exception leaves, so nothing keeps running behind the user's back.
            _stopping.Cancel();
            messages.Abandon();
            WaitQuietly(worker);
            throw;
        }

        try
        {
            return worker.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
    }

    /// <summary>Runs work that produces no value on a worker thread; see <see cref="RunOnWorker{T}"/>.</summary>
    protected void RunOnWorker(Action<WorkerMessages, CancellationToken> work) =>
        RunOnWorker<bool>((messages, token) =>
        {
            work(messages, token);
            return true;
        });

    /// <summary>
    /// The one way a GridTsne cmdlet stops with an error: ThrowTerminatingError, marked so that the compiler
    /// knows the code after it is not reached. Use <see cref="ErrorIds"/> for <paramref name="errorId"/>.
    /// </summary>
    [DoesNotReturn]
    internal void Terminate(Exception exception, string errorId, ErrorCategory category, object? target) =>
        Terminate(new ErrorRecord(exception, errorId, category, target));

    /// <summary>Stops the cmdlet with a prepared ErrorRecord; see the overload above.</summary>
    [DoesNotReturn]
    internal void Terminate(ErrorRecord error)
    {
        ThrowTerminatingError(error);
        throw new UnreachableException();
    }

    /// <summary>Resolves -Path or -LiteralPath values to file-system paths; see <see cref="ProviderPaths"/>.</summary>
    protected IReadOnlyList<string> ResolveInputPaths(IEnumerable<string> paths, bool literal) =>
        ProviderPaths.ResolveExisting(this, paths, literal);

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (_disposed)
        {
            return;
        }

        if (disposing)
        {
            _stopping.Dispose();
        }

        _disposed = true;
    }

    private static void WaitQuietly(Task worker)
    {
        try
        {
            worker.Wait();
        }
        catch (AggregateException)
        {
            // The worker's own failure is secondary to the one already leaving.
        }
    }
}
