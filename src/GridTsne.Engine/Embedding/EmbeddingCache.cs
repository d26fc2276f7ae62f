using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using GridTsne.Engine.Imaging;

namespace GridTsne.Engine.Embedding;

/// <summary>What the cache holds for one photo under one model and preprocessing.</summary>
/// <param name="Vector">The raw (never normalised) vector.</param>
/// <param name="Width">Width of the upright photo.</param>
/// <param name="Height">Height of the upright photo.</param>
/// <param name="ThumbnailSize">The short side the thumbnail was requested at; 0 when none is stored.</param>
/// <param name="Thumbnail">The stored thumbnail, if any.</param>
public sealed record CachedEmbedding(float[] Vector, int Width, int Height, int ThumbnailSize, Thumbnail? Thumbnail);

/// <summary>
/// A directory of embeddings keyed by the photo's content, the model and the preprocessing, so that a rerun
/// on unchanged photos skips decoding and inference, and a changed photo (new content) is embedded again.
/// </summary>
/// <remarks>
/// Layout: <c>&lt;dir&gt;/&lt;hh&gt;/&lt;key&gt;.gtemb</c>, where key = hex SHA-256(SHA-256(file content) ‖ SHA-256(identity)),
/// identity = the model's name, file SHA-256 and output plus every preprocessing setting, and hh its first two
/// hex digits. Entry format version 1, little-endian:
/// <code>
///   8 bytes   magic "GTEMB\0\0\x01"
///  32 bytes   SHA-256 of the photo file's content
///  32 bytes   SHA-256 of the identity text (UTF-8)
///   int32     width, int32 height of the upright photo
///   int32     D, then D float32: the raw vector
///   int32     thumbnail short side requested (0 = no thumbnail), int32 width, int32 height,
///   int32     L, then L bytes: the thumbnail's JPEG
///  32 bytes   SHA-256 of every byte before it
/// </code>
/// Entries are written to a unique temporary file in the same directory and renamed over the final name,
/// so readers and other processes see a whole entry or none. An entry that is truncated, corrupt or for other
/// content or identity fails its checks, counts as a miss and is rewritten.
/// </remarks>
public sealed class EmbeddingCache
{
    /// <summary>File extension of cache entries.</summary>
    public const string EntryExtension = ".gtemb";

    private const int HashLength = 32;
    private const int HeaderLength = 8 + HashLength + HashLength + 4 + 4 + 4;
    private const int ThumbnailHeaderLength = 4 + 4 + 4 + 4;
    private const int MaxEntryLength = 256 * 1024 * 1024;
    private const int ReplaceAttempts = 5;
    private static readonly byte[] Magic = [(byte)'G', (byte)'T', (byte)'E', (byte)'M', (byte)'B', 0, 0, 1];

    private readonly byte[] _identityHash;

    /// <summary>Opens (and creates if needed) a cache directory for one model identity.</summary>
    public EmbeddingCache(string directory, string identity)
    {
        Directory = Path.GetFullPath(directory);
        System.IO.Directory.CreateDirectory(Directory);
        _identityHash = SHA256.HashData(Encoding.UTF8.GetBytes(identity));
    }

    public string Directory { get; }

    /// <summary>The content hash that keys a photo.</summary>
    public static byte[] HashContent(ReadOnlySpan<byte> content) => SHA256.HashData(content);

    /// <summary>Path of the entry for a photo with this content hash.</summary>
    public string EntryPath(ReadOnlySpan<byte> contentHash)
    {
        Span<byte> keyInput = stackalloc byte[HashLength * 2];
        contentHash.CopyTo(keyInput);
        _identityHash.CopyTo(keyInput[HashLength..]);
        string key = Convert.ToHexString(SHA256.HashData(keyInput)).ToLowerInvariant();
        return Path.Combine(Directory, key[..2], key + EntryExtension);
    }

    /// <summary>Reads the entry for this content; false for a miss, including any damaged or foreign entry.</summary>
    public bool TryRead(byte[] contentHash, out CachedEmbedding? entry)
    {
        entry = null;
        byte[] bytes;
        try
        {
            string path = EntryPath(contentHash);
            var info = new FileInfo(path);
            if (!info.Exists || info.Length > MaxEntryLength)
            {
                return false;
            }

            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Missing, being replaced (Windows) or unreadable: embed again.
            return false;
        }

        entry = Parse(bytes, contentHash);
        return entry is not null;
    }

    /// <summary>
    /// Writes (or replaces) the entry for this content atomically. Throws <see cref="IOException"/> or
    /// <see cref="UnauthorizedAccessException"/> when the directory cannot be written; nothing is left behind.
    /// </summary>
    public void Write(byte[] contentHash, CachedEmbedding entry)
    {
        byte[] bytes = Serialize(contentHash, entry);
        string path = EntryPath(contentHash);
        string directory = Path.GetDirectoryName(path)!;
        System.IO.Directory.CreateDirectory(directory);
        string temporary = Path.Combine(directory, $"{Path.GetFileName(path)}.{Environment.ProcessId}-{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllBytes(temporary, bytes);
            for (int attempt = 1; ; attempt++)
            {
                try
                {
                    File.Move(temporary, path, overwrite: true);
                    break;
                }
                catch (IOException) when (OperatingSystem.IsWindows() && attempt < ReplaceAttempts)
                {
                    // Windows refuses to replace a file another process is reading at that moment.
                    Thread.Sleep(10 * attempt);
                }
            }
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    private byte[] Serialize(byte[] contentHash, CachedEmbedding entry)
    {
        byte[] thumbnail = entry.Thumbnail?.EncodedJpeg ?? [];
        int length = HeaderLength + (4 * entry.Vector.Length) + ThumbnailHeaderLength + thumbnail.Length + HashLength;
        var bytes = new byte[length];
        Span<byte> span = bytes;
        Magic.CopyTo(span);
        contentHash.CopyTo(span[8..]);
        _identityHash.CopyTo(span[(8 + HashLength)..]);
        int offset = 8 + (2 * HashLength);
        offset = WriteInt(span, offset, entry.Width);
        offset = WriteInt(span, offset, entry.Height);
        offset = WriteInt(span, offset, entry.Vector.Length);
        foreach (float value in entry.Vector)
        {
            BinaryPrimitives.WriteSingleLittleEndian(span[offset..], value);
            offset += 4;
        }

        offset = WriteInt(span, offset, entry.Thumbnail is null ? 0 : entry.ThumbnailSize);
        offset = WriteInt(span, offset, entry.Thumbnail?.Width ?? 0);
        offset = WriteInt(span, offset, entry.Thumbnail?.Height ?? 0);
        offset = WriteInt(span, offset, thumbnail.Length);
        thumbnail.CopyTo(span[offset..]);
        offset += thumbnail.Length;
        SHA256.HashData(span[..offset], span[offset..]);
        return bytes;
    }

    private CachedEmbedding? Parse(byte[] bytes, byte[] contentHash)
    {
        ReadOnlySpan<byte> span = bytes;
        if (span.Length < HeaderLength + ThumbnailHeaderLength + HashLength
            || !span[..8].SequenceEqual(Magic)
            || !span.Slice(8, HashLength).SequenceEqual(contentHash)
            || !span.Slice(8 + HashLength, HashLength).SequenceEqual(_identityHash))
        {
            return null;
        }

        Span<byte> checksum = stackalloc byte[HashLength];
        SHA256.HashData(span[..^HashLength], checksum);
        if (!checksum.SequenceEqual(span[^HashLength..]))
        {
            return null;
        }

        int offset = 8 + (2 * HashLength);
        int width = ReadInt(span, ref offset);
        int height = ReadInt(span, ref offset);
        int dimensions = ReadInt(span, ref offset);
        if (width < 1 || height < 1 || dimensions < 1 || (long)dimensions * 4 > span.Length - offset - ThumbnailHeaderLength - HashLength)
        {
            return null;
        }

        var vector = new float[dimensions];
        for (int index = 0; index < dimensions; index++)
        {
            vector[index] = BinaryPrimitives.ReadSingleLittleEndian(span[offset..]);
            offset += 4;
        }

        int thumbnailSize = ReadInt(span, ref offset);
        int thumbnailWidth = ReadInt(span, ref offset);
        int thumbnailHeight = ReadInt(span, ref offset);
        int thumbnailLength = ReadInt(span, ref offset);
        if (thumbnailLength < 0 || thumbnailLength != span.Length - offset - HashLength)
        {
            return null;
        }

        Thumbnail? thumbnail = null;
        if (thumbnailSize > 0)
        {
            if (thumbnailLength == 0 || thumbnailWidth < 1 || thumbnailHeight < 1)
            {
                return null;
            }

            thumbnail = Thumbnail.FromEncoded(span.Slice(offset, thumbnailLength).ToArray(), thumbnailWidth, thumbnailHeight, width, height);
        }

        return new CachedEmbedding(vector, width, height, thumbnailSize, thumbnail);
    }

    private static int WriteInt(Span<byte> span, int offset, int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(span[offset..], value);
        return offset + 4;
    }

    private static int ReadInt(ReadOnlySpan<byte> span, ref int offset)
    {
        int value = BinaryPrimitives.ReadInt32LittleEndian(span[offset..]);
        offset += 4;
        return value;
    }
}
