using System.Collections.Concurrent;
using System.Management.Automation;

namespace GridTsne.Infrastructure;

/// <summary>
/// A queue of writes from a worker thread to the pipeline thread. Objects are bounded, so a fast worker
/// waits for a slow pipeline instead of piling results up in memory.
/// </summary>
public sealed class WorkerMessages : IDisposable
{
    private const int Capacity = 256;
    private readonly BlockingCollection<Action<Cmdlet>> _queue = new(Capacity);
    private readonly CancellationTokenSource _abandoned = new();

    public void WriteObject(object value) => Add(cmdlet => cmdlet.WriteObject(value));

    public void WriteError(ErrorRecord error) => Add(cmdlet => cmdlet.WriteError(error));

    public void WriteWarning(string text) => Add(cmdlet => cmdlet.WriteWarning(text));

    public void WriteVerbose(string text) => Add(cmdlet => cmdlet.WriteVerbose(text));

    public void WriteProgress(ProgressRecord progress) => Add(cmdlet => cmdlet.WriteProgress(progress));

    /// <summary>
    /// Blocks until the pipeline thread has written everything queued so far, or has stopped reading. A
    /// worker calls it before committing a result, so that an earlier error under -ErrorAction Stop (which
    /// cancels the worker's token) takes effect before anything is written.
    /// </summary>
    public void WaitUntilDelivered()
    {
        using var delivered = new ManualResetEventSlim();
        Add(_ => delivered.Set());
        try
        {
            delivered.Wait(_abandoned.Token);
        }
        catch (OperationCanceledException)
        {
            // The pipeline stopped reading; the worker's own token is cancelled too.
        }
    }

    internal IEnumerable<Action<Cmdlet>> Consume() => _queue.GetConsumingEnumerable();

    internal void Complete() => _queue.CompleteAdding();

    /// <summary>The pipeline thread stopped reading: let a blocked worker go on (and then see its cancellation).</summary>
    internal void Abandon() => _abandoned.Cancel();

    public void Dispose()
    {
        _queue.Dispose();
        _abandoned.Dispose();
    }

    private void Add(Action<Cmdlet> message)
    {
        try
        {
            _queue.Add(message, _abandoned.Token);
        }
        catch (OperationCanceledException)
        {
            // Nobody reads any more; the message is dropped and the worker's token is already cancelled.
        }
    }
}
