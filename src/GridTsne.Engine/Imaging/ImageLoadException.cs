namespace GridTsne.Engine.Imaging;

/// <summary>Why a photo could not be read. Each reason maps to one stable PowerShell ErrorId.</summary>
public enum ImageLoadFailure
{
    /// <summary>No file at that path.</summary>
    NotFound,
    /// <summary>The path is a directory.</summary>
    IsDirectory,
    /// <summary>The file exists but cannot be opened for reading.</summary>
    AccessDenied,
    /// <summary>The file has zero bytes.</summary>
    Empty,
    /// <summary>The content is no image format ImageSharp decodes.</summary>
    UnknownFormat,
    /// <summary>The header was recognised but the data is truncated or malformed.</summary>
    Corrupt,
    /// <summary>The header claims more pixels than allowed (a decompression bomb, or simply too large).</summary>
    TooLarge,
}

/// <summary>A photo that could not be decoded, with the reason and the file it concerns.</summary>
public sealed class ImageLoadException : Exception
{
    public ImageLoadException(string path, ImageLoadFailure failure, string reason, Exception? innerException = null)
        : base($"Cannot read image '{path}': {reason}", innerException)
    {
        Path = path;
        Failure = failure;
        Reason = reason;
    }

    public string Path { get; }

    public ImageLoadFailure Failure { get; }

    /// <summary>The reason alone, without the path.</summary>
    public string Reason { get; }
}
