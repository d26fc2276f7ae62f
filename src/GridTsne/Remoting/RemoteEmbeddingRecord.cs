using System.Management.Automation;
using System.Runtime.InteropServices;
using GridTsne.Engine.Imaging;
using GridTsne.Infrastructure;

namespace GridTsne.Remoting;

/// <summary>
/// One photo's result as it crosses a PowerShell session, from Get-ImageEmbedding on the remote side back to
/// the caller of <c>Get-ImageEmbedding -Session</c>. It holds only strings, numbers and byte arrays, which the
/// remoting serializer carries exactly: a float[] would travel as text, a thumbnail as a property bag, and an
/// ErrorRecord would lose its exception. <see cref="Decode"/> rebuilds the real objects.
/// </summary>
/// <remarks>Public because the remote session's script calls <see cref="Encode"/>; not part of the cmdlets' API.</remarks>
public sealed class RemoteEmbeddingRecord
{
    /// <summary>The photo's path: the embedding's Path, or the error's target.</summary>
    public string Path { get; set; } = string.Empty;

    /// <summary>The vector's float32 values, little-endian; null for an error.</summary>
    public byte[]? Vector { get; set; }

    public string? Model { get; set; }

    public int Width { get; set; }

    public int Height { get; set; }

    /// <summary>The thumbnail's JPEG; null when there is none.</summary>
    public byte[]? Thumbnail { get; set; }

    /// <summary>The error's ErrorId (the part of FullyQualifiedErrorId before the command name).</summary>
    public string? ErrorId { get; set; }

    public string? Category { get; set; }

    /// <summary>The <see cref="ImageLoadFailure"/> name when the error is a photo that could not be read.</summary>
    public string? Failure { get; set; }

    /// <summary>The failure's reason without the path (photo errors), or the whole message (other errors).</summary>
    public string? Message { get; set; }

    /// <summary>Turns one output of Get-ImageEmbedding (an ImageEmbedding or an ErrorRecord merged by 2>&amp;1) into a record.</summary>
    public static RemoteEmbeddingRecord Encode(object output)
    {
        object value = output is PSObject wrapped ? wrapped.BaseObject : output;
        switch (value)
        {
            case ImageEmbedding embedding:
                return new RemoteEmbeddingRecord
                {
                    Path = embedding.Path,
                    Vector = MemoryMarshal.AsBytes(embedding.Vector.AsSpan()).ToArray(),
                    Model = embedding.Model,
                    Width = embedding.Width,
                    Height = embedding.Height,
                    Thumbnail = embedding.Thumbnail?.EncodedJpeg,
                };
            case ErrorRecord error when error.Exception is ImageLoadException photoError:
                return new RemoteEmbeddingRecord
                {
                    Path = photoError.Path,
                    ErrorId = ImageErrors.ErrorId(photoError.Failure),
                    Category = error.CategoryInfo.Category.ToString(),
                    Failure = photoError.Failure.ToString(),
                    Message = photoError.Reason,
                };
            case ErrorRecord error:
                return new RemoteEmbeddingRecord
                {
                    Path = error.TargetObject is PSObject target ? target.BaseObject?.ToString() ?? string.Empty : error.TargetObject?.ToString() ?? string.Empty,
                    ErrorId = error.FullyQualifiedErrorId.Split(',')[0],
                    Category = error.CategoryInfo.Category.ToString(),
                    Message = error.Exception?.Message ?? error.ToString(),
                };
            default:
                // Nothing else is expected; a record with no path matches no photo, so the caller drops the session.
                return new RemoteEmbeddingRecord { ErrorId = "UnexpectedOutput", Message = value?.ToString() };
        }
    }

    /// <summary>Reads a record as it arrives (a deserialized property bag).</summary>
    internal static RemoteEmbeddingRecord FromDeserialized(PSObject bag) => new()
    {
        Path = Read<string>(bag, nameof(Path)) ?? string.Empty,
        Vector = Read<byte[]>(bag, nameof(Vector)),
        Model = Read<string>(bag, nameof(Model)),
        Width = Read<int>(bag, nameof(Width)),
        Height = Read<int>(bag, nameof(Height)),
        Thumbnail = Read<byte[]>(bag, nameof(Thumbnail)),
        ErrorId = Read<string>(bag, nameof(ErrorId)),
        Category = Read<string>(bag, nameof(Category)),
        Failure = Read<string>(bag, nameof(Failure)),
        Message = Read<string>(bag, nameof(Message)),
    };

    /// <summary>
    /// Rebuilds what the local cmdlet would have written for the photo at <paramref name="path"/>: a real
    /// <see cref="ImageEmbedding"/> (same vector bits, size, model and thumbnail), or an ErrorRecord with the same
    /// ErrorId, category, target and message.
    /// </summary>
    internal (ImageEmbedding? Embedding, ErrorRecord? Error) Decode(string path)
    {
        if (ErrorId is null)
        {
            if (Vector is not { Length: > 0 } bytes || bytes.Length % sizeof(float) != 0)
            {
                return (null, new ErrorRecord(new InvalidDataException($"The session returned no vector for '{path}'."), ErrorIds.SessionResultInvalid, ErrorCategory.InvalidData, path));
            }

            return (new ImageEmbedding
            {
                Path = path,
                Vector = MemoryMarshal.Cast<byte, float>(bytes).ToArray(),
                Model = Model ?? string.Empty,
                Width = Width,
                Height = Height,
                Thumbnail = Thumbnail is { Length: > 0 } jpeg ? Engine.Imaging.Thumbnail.FromEncodedJpeg(jpeg, Width, Height) : null,
            }, null);
        }

        if (Enum.TryParse(Failure, out ImageLoadFailure failure))
        {
            return (null, ImageErrors.ToErrorRecord(new ImageLoadException(path, failure, Message ?? string.Empty)));
        }

        ErrorCategory category = Enum.TryParse(Category, out ErrorCategory parsed) ? parsed : ErrorCategory.NotSpecified;
        return (null, new ErrorRecord(new RemoteException(Message), ErrorId, category, path));
    }

    private static T? Read<T>(PSObject bag, string name)
    {
        object? value = bag.Properties[name]?.Value;
        value = value is PSObject wrapped ? wrapped.BaseObject : value;
        return value is T typed ? typed : default;
    }
}
