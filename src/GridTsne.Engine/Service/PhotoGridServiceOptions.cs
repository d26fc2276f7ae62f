using GridTsne.Engine.Imaging;

namespace GridTsne.Engine.Service;

/// <summary>How a <see cref="PhotoGridService"/> listens, what it may read, where it keeps its state, and its limits.</summary>
public sealed record PhotoGridServiceOptions
{
    public const int DefaultPort = 8047;

    /// <summary>TCP port; 0 picks a free one.</summary>
    public int Port { get; init; } = DefaultPort;

    /// <summary>The IP address to listen on; 0.0.0.0 or :: listens on every interface.</summary>
    public string ListenAddress { get; init; } = "127.0.0.1";

    /// <summary>The only folders whose photos may be requested.</summary>
    public required IReadOnlyList<string> Roots { get; init; }

    /// <summary>Jobs, outputs, the access key and the log.</summary>
    public required string StatePath { get; init; }

    /// <summary>The folder of models.json and the built-in models.</summary>
    public required string ModelsDirectory { get; init; }

    /// <summary>Jobs that may wait (PENDING) at once; one more is refused with 429.</summary>
    public int QueueLimit { get; init; } = 16;

    /// <summary>Jobs run at once; each uses every core.</summary>
    public int MaxRunningJobs { get; init; } = 1;

    /// <summary>Largest request body; a larger one is refused with 413.</summary>
    public long MaxRequestBytes { get; init; } = 4L << 20;

    /// <summary>Most photos in one visualization.</summary>
    public int MaxPhotos { get; init; } = 50_000;

    /// <summary>
    /// The "reason" the API gives a photo that cannot be read: the shell passes its ErrorId vocabulary, so a
    /// photo fails with the same name through the API as through the cmdlets.
    /// </summary>
    public Func<ImageLoadFailure, string> ImageErrorId { get; init; } = failure => failure.ToString();

    /// <summary>The "reason" of a folder's file left out because it is a link leading out of the roots.</summary>
    public string PathOutsideRootsErrorId { get; init; } = "PathOutsideRoots";

    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(Port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Port, 65535);
        ArgumentOutOfRangeException.ThrowIfNegative(QueueLimit);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRunningJobs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRequestBytes, 1024);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPhotos, 1);
        ArgumentException.ThrowIfNullOrEmpty(StatePath);
        ArgumentException.ThrowIfNullOrEmpty(ModelsDirectory);
    }
}

/// <summary>Why a service could not start.</summary>
public enum ServiceStartFailure
{
    /// <summary>The port is taken, by another service or another program.</summary>
    PortInUse,

    /// <summary>Another service (maybe in another process) uses the state folder.</summary>
    StateInUse,

    /// <summary>The state folder cannot be created or written.</summary>
    StateUnusable,

    /// <summary>A root folder does not exist.</summary>
    RootNotFound,

    /// <summary>The listen address is not an IP address.</summary>
    InvalidAddress,

    /// <summary>The model catalog cannot be read.</summary>
    ModelsUnavailable,
}

/// <summary>A service that could not start, and why.</summary>
public sealed class ServiceStartException : Exception
{
    public ServiceStartException(ServiceStartFailure failure, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Failure = failure;
    }

    public ServiceStartException()
        : this(ServiceStartFailure.StateUnusable, "The service could not start.")
    {
    }

    public ServiceStartException(string message)
        : this(ServiceStartFailure.StateUnusable, message)
    {
    }

    public ServiceStartException(string message, Exception innerException)
        : this(ServiceStartFailure.StateUnusable, message, innerException)
    {
    }

    public ServiceStartFailure Failure { get; }
}
