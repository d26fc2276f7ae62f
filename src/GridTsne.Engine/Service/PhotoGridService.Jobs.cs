using System.Globalization;
using System.Net;
using System.Runtime.ExceptionServices;
using GridTsne.Engine.Embedding;

namespace GridTsne.Engine.Service;

/// <summary>The service's jobs: the queue, the runners, cancellation, and the models they share.</summary>
public sealed partial class PhotoGridService
{
    /// <summary>
    /// Queues a new job from a checked request. <paramref name="accepted"/> sees the job while it is certainly
    /// still PENDING (a runner may take it the moment it is queued), for the 202 answer.
    /// </summary>
    /// <exception cref="ServiceRequestException">429 when the queue is full.</exception>
    public T Submit<T>(VisualizationRequest request, Func<VisualizationJob, T> accepted)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(accepted);
        var job = new VisualizationJob
        {
            Id = JobStore.NewId(),
            Name = request.Name,
            CreatedAt = DateTimeOffset.UtcNow,
            State = JobState.PENDING,
            Options = request.Options,
            Paths = [.. request.Paths],
        };
        foreach (PhotoError skipped in request.Skipped)
        {
            job.AddError(skipped);
        }

        T answer;
        lock (_queue)
        {
            if (_pending >= _options.QueueLimit)
            {
                throw new ServiceRequestException((HttpStatusCode)429, "QUEUE_FULL", string.Create(CultureInfo.InvariantCulture,
                    $"{_pending} visualizations are already waiting, the most this service queues. Try again when one has started."));
            }

            lock (job.Gate)
            {
                Store.Save(job);
            }

            lock (_jobs)
            {
                _jobs.Add(job.Id, job);
            }

            answer = accepted(job);
            _pending++;
            _queue.Enqueue(job);
        }

        _queued.Release();
        Log.Information(string.Create(CultureInfo.InvariantCulture, $"Job {job.Id} queued: '{job.Name}', {job.Paths.Count} photos."));
        return answer;
    }

    /// <summary>
    /// DELETE: a PENDING or RUNNING job is canceled (it becomes FAILED "canceled"; a running one within about a
    /// second); a finished one is deleted with its files. Returns false when the job was deleted.
    /// </summary>
    public bool CancelOrDelete(VisualizationJob job)
    {
        CancellationTokenSource? running = null;
        lock (_queue)
        {
            lock (job.Gate)
            {
                switch (job.State)
                {
                    case JobState.PENDING:
                        _pending--;
                        Finish(job, JobState.FAILED, JobFailure.Canceled, "Canceled by a DELETE request before it started.");
                        Log.Information($"Job {job.Id} canceled before it started.");
                        return true;
                    case JobState.RUNNING:
                        running = job.Cancellation;
                        break;
                }
            }
        }

        if (running is not null)
        {
            try
            {
                running.Cancel();
                Log.Information($"Job {job.Id} canceled while running.");
            }
            catch (ObjectDisposedException)
            {
                // It finished in the meantime; the answer shows how.
            }

            return true;
        }

        try
        {
            Store.Delete(job.Id, Log);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ServiceRequestException(HttpStatusCode.Conflict, "DELETE_FAILED", $"The visualization's files cannot be deleted now: {ex.Message}");
        }

        lock (_jobs)
        {
            _jobs.Remove(job.Id);
        }

        Log.Information($"Job {job.Id} deleted.");
        return false;
    }

    /// <summary>Waits until a job has left RUNNING (or the timeout passed); for DELETE's answer.</summary>
    public static bool WaitUntilFinished(VisualizationJob job, TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        lock (job.Gate)
        {
            while (!job.IsFinished)
            {
                TimeSpan left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero || !Monitor.Wait(job.Gate, left))
                {
                    return job.IsFinished;
                }
            }

            return true;
        }
    }

    private void Recover()
    {
        List<VisualizationJob> jobs = Store.Recover(Log);
        lock (_queue)
        {
            foreach (VisualizationJob job in jobs)
            {
                lock (_jobs)
                {
                    _jobs[job.Id] = job;
                }

                if (job.State == JobState.PENDING)
                {
                    // Jobs that never started run now, in the order they came.
                    _pending++;
                    _queue.Enqueue(job);
                    _queued.Release();
                }
            }
        }

        Log.Information(string.Create(CultureInfo.InvariantCulture,
            $"Recovered {jobs.Count} jobs ({_pending} waiting to run) from '{Store.Directory}'."));
    }

    private void RunJobs()
    {
        CancellationToken stopping = _stopping.Token;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                _queued.Wait(stopping);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            VisualizationJob? job = null;
            lock (_queue)
            {
                if (_queue.Count > 0)
                {
                    job = _queue.Dequeue();
                }
            }

            if (job is not null)
            {
                RunJob(job, stopping);
            }
        }
    }

    private void RunJob(VisualizationJob job, CancellationToken stopping)
    {
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        lock (_queue)
        {
            lock (job.Gate)
            {
                if (job.State != JobState.PENDING)
                {
                    return; // Canceled while it waited.
                }

                _pending--;
                job.State = JobState.RUNNING;
                job.StartedAt = DateTimeOffset.UtcNow;
                job.Phase = JobPhase.Starting;
                job.Cancellation = cancellation;
                SaveQuietly(job);
            }
        }

        Log.Information($"Job {job.Id} started.");
        string output = Store.OutputFolderOf(job.Id);
        try
        {
            ImageEmbedder embedder = GetEmbedder(job.Options.Model, cancellation.Token);
            JobResult result = VisualizationPipeline.Run(job, embedder, output, _options.ImageErrorId, cancellation.Token);
            lock (job.Gate)
            {
                job.Result = result;
                IEnumerable<string> notes = result.Optimization is not { } score ? result.Warnings
                    : result.Warnings.Prepend(string.Create(CultureInfo.InvariantCulture, $"Layout optimized: DPQ16 {score.Dpq16Before:0.0000} before, {score.Dpq16After:0.0000} after."));
                if (job.ErrorCount > 0)
                {
                    notes = notes.Append(string.Create(CultureInfo.InvariantCulture, $"{job.ErrorCount} of {job.Paths.Count} photos could not be used; see the errors."));
                }

                Finish(job, JobState.DONE, null, string.Join(" ", notes.Prepend("Done.")));
            }

            Log.Information(string.Create(CultureInfo.InvariantCulture,
                $"Job {job.Id} done: {result.Photos} photos on {result.Rows} x {result.Columns}, {job.ErrorCount} errors, in {(DateTimeOffset.UtcNow - job.StartedAt!.Value).TotalSeconds:0.0} s."));
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            bool serviceStopping = stopping.IsCancellationRequested;
            Fail(job, output, serviceStopping ? JobFailure.Interrupted : JobFailure.Canceled,
                serviceStopping ? "The service stopped while the job was running. Post it again to run it." : "Canceled by a DELETE request while it was running.");
        }
        catch (JobFailedException ex)
        {
            Fail(job, output, ex.Reason, ex.Message);
        }
        catch (ModelLoadException ex)
        {
            Fail(job, output, JobFailure.Model, ex.Message);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.Error($"Job {job.Id} failed unexpectedly: {ex}");
            Fail(job, output, "error", $"The job failed: {ex.Message}");
        }
        finally
        {
            lock (job.Gate)
            {
                job.Cancellation = null;
            }
        }
    }

    private void Fail(VisualizationJob job, string output, string reason, string description)
    {
        try
        {
            if (Directory.Exists(output))
            {
                Directory.Delete(output, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.Warning($"Cannot delete the partial outputs of job {job.Id}: {ex.Message}");
        }

        lock (job.Gate)
        {
            Finish(job, JobState.FAILED, reason, description);
        }

        Log.Warning($"Job {job.Id} failed ({reason}): {description}");
    }

    /// <summary>Moves a job to a final state and saves it; the caller holds its gate.</summary>
    private void Finish(VisualizationJob job, JobState state, string? reason, string? description)
    {
        job.State = state;
        job.Reason = reason;
        job.Description = description;
        job.FinishedAt = DateTimeOffset.UtcNow;
        SaveQuietly(job);
        Monitor.PulseAll(job.Gate);
    }

    private void SaveQuietly(VisualizationJob job)
    {
        try
        {
            Store.Save(job);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.Error($"Cannot save the state of job {job.Id}: {ex.Message}");
        }
    }

    /// <summary>
    /// The loaded model, shared by every job. A model loads once (ONNX Runtime cannot be interrupted while it
    /// loads), on its own task, so a job waiting for it still stops at once when canceled; a failed load is
    /// retried by the next job.
    /// </summary>
    private ImageEmbedder GetEmbedder(string model, CancellationToken token)
    {
        Task<ImageEmbedder> loading = StartLoading(model);
        try
        {
            loading.Wait(token);
        }
        catch (AggregateException ex) when (ex.InnerException is not null)
        {
            ExceptionDispatchInfo.Throw(ex.InnerException);
        }

        return loading.Result;
    }

    /// <summary>The load of a model: the one under way or done, else a new one (also after a failed one).</summary>
    private Task<ImageEmbedder> StartLoading(string model)
    {
        lock (_embedders)
        {
            if (!_embedders.TryGetValue(model, out Task<ImageEmbedder>? loading) || loading.IsFaulted)
            {
                EmbeddingModelSpec spec = Catalog.Get(model);
                loading = Task.Run(() =>
                {
                    ImageEmbedder embedder = ImageEmbedder.Open(spec);
                    Log.Information(string.Create(CultureInfo.InvariantCulture, $"Loaded model {embedder.Name} in {embedder.LoadTime.TotalMilliseconds:0} ms; it stays loaded for later jobs."));
                    return embedder;
                }, CancellationToken.None);
                _embedders[model] = loading;
            }

            return loading;
        }
    }
}
