using GridTsne.Engine.Imaging;

namespace GridTsne.Engine.Embedding;

/// <summary>How an <see cref="EmbeddingPipeline"/> runs.</summary>
public sealed record EmbeddingPipelineOptions
{
    /// <summary>Default images per inference run: about 1.4x the throughput of single images on ResNet18.</summary>
    public const int DefaultBatchSize = 16;

    /// <summary>Images per inference run (a model with a fixed batch dimension runs its own size).</summary>
    public int BatchSize { get; init; } = DefaultBatchSize;

    /// <summary>Threads that read, decode and resize photos while inference runs.</summary>
    public int ThrottleLimit { get; init; } = Environment.ProcessorCount;

    /// <summary>Scale each vector to unit length (L2).</summary>
    public bool Normalize { get; init; }

    /// <summary>Short side of the thumbnail made from each decoded photo; 0 makes none.</summary>
    public int ThumbnailSize { get; init; } = Thumbnail.DefaultShortSide;

    /// <summary>Decoding limits (pixel limit, alpha background) and path.</summary>
    public ImageDecodeOptions DecodeOptions { get; init; } = ImageDecodeOptions.Default;

    /// <summary>Cache directory; null for no cache.</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>
    /// When input arrives slower than it is embedded, a partial batch waits this long for more before it
    /// runs, so results keep streaming without every batch shrinking to one image.
    /// </summary>
    public TimeSpan IdleFlushDelay { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// What the cache keys this run's entries by: the model and its preprocessing, and the decoding path,
    /// whose vectors differ slightly from another path's.
    /// </summary>
    public string CacheIdentity(ImageEmbedder embedder) => embedder.Identity + ";" + DecodeOptions.IdentityText;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(ThrottleLimit, 1, nameof(ThrottleLimit));
        ArgumentOutOfRangeException.ThrowIfLessThan(ThumbnailSize, 0, nameof(ThumbnailSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(DecodeOptions.MaxPixels, 1, nameof(DecodeOptions.MaxPixels));
    }
}

/// <summary>One photo's outcome, in input order: a vector, or the reason it has none.</summary>
public sealed class EmbeddingResult
{
    internal EmbeddingResult(long index, string path)
    {
        Index = index;
        Path = path;
    }

    /// <summary>Position in the input (0-based).</summary>
    public long Index { get; }

    public string Path { get; }

    /// <summary>The vector; null when <see cref="Error"/> is set.</summary>
    public float[]? Vector { get; internal set; }

    /// <summary>Size of the upright photo.</summary>
    public int Width { get; internal set; }

    public int Height { get; internal set; }

    public Thumbnail? Thumbnail { get; internal set; }

    /// <summary>True when the vector came from the cache.</summary>
    public bool FromCache { get; internal set; }

    /// <summary>Why the photo has no vector.</summary>
    public ImageLoadException? Error { get; internal set; }

    /// <summary>Why the cache could not store this result, if it could not; the vector is still good.</summary>
    public string? CacheWarning { get; internal set; }
}
