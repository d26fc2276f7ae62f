using System.Collections.Concurrent;
using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.ExceptionServices;
using GridTsne.Engine.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace GridTsne.Engine.Embedding;

/// <summary>
/// Embeds a stream of photos: <see cref="EmbeddingPipelineOptions.ThrottleLimit"/> decoder threads read,
/// decode, thumbnail and preprocess photos while one inference thread runs batches through the model, and
/// results come back in input order. At most <see cref="Window"/> photos are between <see cref="TryAdd"/> and
/// <see cref="TryTake"/> at any time, so memory stays bounded however many photos come in.
/// </summary>
/// <remarks>
/// Only the caller's thread adds and takes; it drains results whenever <see cref="TryAdd"/> reports the
/// window full. A photo that cannot be read becomes a result with an <see cref="EmbeddingResult.Error"/>
/// and the pipeline goes on; a model failure stops it and is rethrown by the next take.
/// </remarks>
public sealed class EmbeddingPipeline : IDisposable
{
    private static readonly TimeSpan DecoderStopWait = TimeSpan.FromMilliseconds(500);

    private readonly ImageEmbedder _embedder;
    private readonly EmbeddingPipelineOptions _options;
    private readonly EmbeddingCache? _cache;
    private readonly CancellationTokenSource _stop;
    private readonly BlockingCollection<WorkItem> _toPrepare = new();
    private readonly BlockingCollection<WorkItem> _inOrder = new();
    private readonly BlockingCollection<WorkItem> _done = new();
    private readonly ConcurrentBag<float[]> _spareTensors = new();
    private readonly Thread[] _decoders;
    private readonly Thread _inference;
    private readonly int _batchSize;
    private long _nextIndex;
    private int _inFlight;
    private long _inferenceTicks;
    private int _batches;
    private Exception? _fatal;
    private bool _disposed;

    public EmbeddingPipeline(ImageEmbedder embedder, EmbeddingPipelineOptions options, CancellationToken cancellationToken)
    {
        options.Validate();
        _embedder = embedder;
        _options = options;
        _batchSize = embedder.EffectiveBatchSize(options.BatchSize);
        // Room for the batch being run, the next one being decoded, and results not yet taken.
        Window = (2 * _batchSize) + (2 * options.ThrottleLimit);
        _cache = options.CacheDirectory is null ? null : new EmbeddingCache(options.CacheDirectory, options.CacheIdentity(embedder));
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        _decoders = new Thread[options.ThrottleLimit];
        for (int index = 0; index < _decoders.Length; index++)
        {
            _decoders[index] = new Thread(RunDecoder) { IsBackground = true, Name = $"GridTsne decoder {index + 1}" };
        }

        _inference = new Thread(RunInference) { IsBackground = true, Name = "GridTsne inference" };
        foreach (Thread decoder in _decoders)
        {
            decoder.Start();
        }

        _inference.Start();
    }

    /// <summary>Photos that can be in the pipeline at once.</summary>
    public int Window { get; }

    /// <summary>Images per inference run.</summary>
    public int BatchSize => _batchSize;

    /// <summary>Inference runs so far.</summary>
    public int Batches => Volatile.Read(ref _batches);

    /// <summary>Time spent in the model so far.</summary>
    public TimeSpan InferenceTime => TimeSpan.FromTicks(Interlocked.Read(ref _inferenceTicks));

    /// <summary>True once every thread of the pipeline has ended (after <see cref="Dispose"/> or completion).</summary>
    internal bool ThreadsStopped => !_inference.IsAlive && _decoders.All(decoder => !decoder.IsAlive);

    /// <summary>Queues a photo; false when the window is full (take a result, then try again).</summary>
    public bool TryAdd(string path)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ThrowIfFailed();
        if (Volatile.Read(ref _inFlight) >= Window)
        {
            return false;
        }

        Interlocked.Increment(ref _inFlight);
        var item = new WorkItem(_nextIndex++, path);
        _inOrder.Add(item);
        _toPrepare.Add(item);
        return true;
    }

    /// <summary>No more photos: the last partial batch runs now.</summary>
    public void Complete()
    {
        _toPrepare.CompleteAdding();
        _inOrder.CompleteAdding();
    }

    /// <summary>The next result in input order if it is ready, without waiting.</summary>
    public bool TryTake(out EmbeddingResult? result) => Take(0, out result);

    /// <summary>
    /// Waits for the next result in input order. False once <see cref="Complete"/> was called and every result
    /// was taken. Throws <see cref="OperationCanceledException"/> on cancellation and rethrows a model failure.
    /// </summary>
    public bool Take(out EmbeddingResult? result) => Take(Timeout.Infinite, out result);

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _stop.Cancel();
        Complete();
        // The inference thread aborts its run (RunOptions.Terminate) and must be gone before the caller
        // disposes the session. A decoder inside one huge decode is left to finish on its own: it owns
        // nothing shared and drops its work when it sees the cancellation.
        _inference.Join();
        foreach (Thread decoder in _decoders)
        {
            decoder.Join(DecoderStopWait);
        }

        if (ThreadsStopped)
        {
            _toPrepare.Dispose();
            _inOrder.Dispose();
            _done.Dispose();
        }

        _stop.Dispose();
    }

    private bool Take(int millisecondsTimeout, out EmbeddingResult? result)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        result = null;
        bool taken;
        try
        {
            taken = _done.TryTake(out WorkItem? item, millisecondsTimeout, _stop.Token);
            if (taken)
            {
                Interlocked.Decrement(ref _inFlight);
                result = item!.Finish(_options.Normalize);
                return true;
            }
        }
        catch (OperationCanceledException) when (_fatal is not null)
        {
            // A model failure cancelled everything; report the failure, not the cancellation.
        }

        ThrowIfFailed();
        return false;
    }

    private void ThrowIfFailed()
    {
        if (Volatile.Read(ref _fatal) is { } fatal)
        {
            ExceptionDispatchInfo.Capture(fatal).Throw();
        }
    }

    private void RunDecoder()
    {
        CancellationToken token = _stop.Token;
        try
        {
            foreach (WorkItem item in _toPrepare.GetConsumingEnumerable(token))
            {
                Prepare(item, token);
                item.Prepared.TrySetResult();
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
        catch (ObjectDisposedException)
        {
            // Disposed while this thread finished a long decode after cancellation.
        }
    }

    /// <summary>Reads a photo and gets it ready for inference: from the cache, or decoded into a tensor.</summary>
    private void Prepare(WorkItem item, CancellationToken token)
    {
        EmbeddingResult result = item.Result;
        try
        {
            byte[] content = SafeImageLoader.ReadAllBytes(result.Path, _options.DecodeOptions);
            int thumbnailSize = _options.ThumbnailSize;
            if (_cache is not null)
            {
                item.ContentHash = EmbeddingCache.HashContent(content);
                if (_cache.TryRead(item.ContentHash, out CachedEmbedding? cached))
                {
                    result.Vector = cached!.Vector;
                    result.Width = cached.Width;
                    result.Height = cached.Height;
                    result.FromCache = true;
                    if (thumbnailSize == 0 || cached.ThumbnailSize == thumbnailSize)
                    {
                        result.Thumbnail = thumbnailSize == 0 ? null : cached.Thumbnail;
                        return;
                    }

                    // The vector is cached but not a thumbnail of this size: decode for the thumbnail only.
                }
            }

            token.ThrowIfCancellationRequested();
            using Image<Rgb24> upright = _embedder.Preprocessor.Decode(result.Path, content, forTensor: result.Vector is null, thumbnailSize,
                _options.DecodeOptions, out Size fullSize, token);
            result.Width = fullSize.Width;
            result.Height = fullSize.Height;
            if (thumbnailSize > 0)
            {
                result.Thumbnail = Thumbnail.Create(upright, thumbnailSize, fullSize);
            }

            item.NeedsCacheWrite = _cache is not null;
            if (result.Vector is null)
            {
                float[] tensor = _spareTensors.TryTake(out float[]? spare) ? spare : new float[_embedder.TensorLength];
                _embedder.Preprocessor.Write(upright, tensor);
                item.Tensor = tensor;
            }
        }
        catch (ImageLoadException ex)
        {
            result.Error = ex;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A hostile file can make a decoder fail in ways no list of exception types foresees; one bad
            // photo must not end a run over thousands.
            result.Error = new ImageLoadException(result.Path, ImageLoadFailure.Corrupt,
                $"decoding failed ({ex.GetType().Name}: {ex.Message}).", ex);
        }
    }

    private void RunInference()
    {
        CancellationToken token = _stop.Token;
        var batch = new List<WorkItem>(_batchSize * 2);
        float[] input = new float[_batchSize * _embedder.TensorLength];
        int idleMilliseconds = (int)_options.IdleFlushDelay.TotalMilliseconds;
        int tensors = 0;
        try
        {
            while (true)
            {
                // With a partial batch waiting, new input gets a short grace period before the batch runs.
                if (!_inOrder.TryTake(out WorkItem? item, tensors > 0 ? idleMilliseconds : Timeout.Infinite, token))
                {
                    Flush(batch, input, token);
                    tensors = 0;
                    if (_inOrder.IsCompleted)
                    {
                        break;
                    }

                    continue;
                }

                item!.Prepared.Task.Wait(token);
                batch.Add(item);
                if (item.Tensor is not null)
                {
                    tensors++;
                }

                // A full batch runs; results that need no inference (cache hits, errors) go out at once when
                // nothing waits before them, and do not pile up behind a partial batch beyond half the window.
                if (tensors == _batchSize || tensors == 0 || batch.Count >= Window / 2)
                {
                    Flush(batch, input, token);
                    tensors = 0;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping; Dispose or the caller's cancellation reports it.
        }
        catch (Exception ex)
        {
            // The model failed (or something no photo explains): stop everything and report it to the caller.
            Volatile.Write(ref _fatal, ex);
            _stop.Cancel();
        }
        finally
        {
            _done.CompleteAdding();
        }
    }

    /// <summary>Runs the batch's tensors through the model and hands the batch's results on, in order.</summary>
    private void Flush(List<WorkItem> batch, float[] input, CancellationToken token)
    {
        int count = 0;
        foreach (WorkItem item in batch)
        {
            if (item.Tensor is not null)
            {
                item.Tensor.CopyTo(input, count * _embedder.TensorLength);
                _spareTensors.Add(item.Tensor);
                item.Tensor = null;
                count++;
            }
        }

        if (count > 0)
        {
            long started = Stopwatch.GetTimestamp();
            float[][] vectors = _embedder.Run(input, count, token);
            Interlocked.Add(ref _inferenceTicks, Stopwatch.GetElapsedTime(started).Ticks);
            Interlocked.Increment(ref _batches);
            int next = 0;
            foreach (WorkItem item in batch)
            {
                if (item.Result.Vector is null && item.Result.Error is null)
                {
                    item.Result.Vector = vectors[next++];
                }
            }
        }

        foreach (WorkItem item in batch)
        {
            if (item.NeedsCacheWrite && item.Result.Vector is not null)
            {
                WriteToCache(item);
            }

            _done.Add(item, token);
        }

        batch.Clear();
    }

    private void WriteToCache(WorkItem item)
    {
        EmbeddingResult result = item.Result;
        try
        {
            _cache!.Write(item.ContentHash!, new CachedEmbedding(result.Vector!, result.Width, result.Height,
                result.Thumbnail is null ? 0 : _options.ThumbnailSize, result.Thumbnail));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            result.CacheWarning = $"The embedding of '{result.Path}' could not be cached in '{_cache!.Directory}': {ex.Message}";
        }
    }

    /// <summary>One photo on its way through the pipeline.</summary>
    private sealed class WorkItem
    {
        public WorkItem(long index, string path) => Result = new EmbeddingResult(index, path);

        public EmbeddingResult Result { get; }

        /// <summary>Completed by the decoder that prepared the photo (even when it failed).</summary>
        public TaskCompletionSource Prepared { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>The preprocessed image, until it is copied into a batch.</summary>
        public float[]? Tensor { get; set; }

        public byte[]? ContentHash { get; set; }

        /// <summary>The photo was decoded, so the cache lacks its vector or thumbnail.</summary>
        public bool NeedsCacheWrite { get; set; }

        public EmbeddingResult Finish(bool normalize)
        {
            if (normalize && Result.Vector is { } vector)
            {
                float norm = TensorPrimitives.Norm(vector);
                if (norm > 0f)
                {
                    TensorPrimitives.Divide(vector, norm, vector);
                }
            }

            return Result;
        }
    }
}
