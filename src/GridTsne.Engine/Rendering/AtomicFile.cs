namespace GridTsne.Engine.Rendering;

/// <summary>
/// Writes a file so that readers only ever see the old content or the complete new one: the data goes to a
/// temporary file in the same folder, is flushed to disk, and then renamed over the target. A failure, a
/// full disk or a cancellation deletes the temporary file and leaves any previous file untouched.
/// </summary>
public static class AtomicFile
{
    private const int BufferSize = 1 << 16;
    private const string TemporaryPrefix = ".";
    private const string TemporaryMarker = ".gridtsne-";
    private const string TemporarySuffix = ".tmp";
    private const int MaxNameInTemporary = 120;

    /// <summary>
    /// Writes <paramref name="path"/> through <paramref name="write"/>. Without <paramref name="overwrite"/>,
    /// an existing file (even one that appears while writing) is never replaced: an IOException says so.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; nothing changed on disk.</exception>
    public static void Write(string path, Action<Stream> write, bool overwrite, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(write);
        string target = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(target) ?? throw new ArgumentException($"'{path}' names no file.", nameof(path));
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"The folder '{folder}' does not exist.");
        }

        if (!overwrite && File.Exists(target))
        {
            throw new IOException($"The file '{target}' already exists.");
        }

        string temporary = TemporaryPathFor(target);
        try
        {
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize))
            {
                using var guarded = new CancellableWriteStream(file, cancellationToken);
                write(guarded);
                guarded.Flush();
                file.Flush(flushToDisk: true);
            }

            cancellationToken.ThrowIfCancellationRequested();
            KeepPermissions(target, temporary);
            // Rename is atomic within a folder; without overwrite, Move fails if the target appeared meanwhile.
            File.Move(temporary, target, overwrite);
        }
        finally
        {
            TryDelete(temporary);
        }
    }

    /// <summary>True for a name <see cref="Write"/> gives its temporary files.</summary>
    public static bool IsTemporaryName(string fileName) =>
        fileName.StartsWith(TemporaryPrefix, StringComparison.Ordinal)
        && fileName.Contains(TemporaryMarker, StringComparison.Ordinal)
        && fileName.EndsWith(TemporarySuffix, StringComparison.Ordinal);

    /// <summary>A hidden, unique name beside <paramref name="target"/> (also used by the viewer for its temporary folders).</summary>
    internal static string TemporaryPathFor(string target)
    {
        // Hidden on Unix, beside the target (so the final rename stays on one file system), and unique.
        string name = Path.GetFileName(target);
        if (name.Length > MaxNameInTemporary)
        {
            name = name[..MaxNameInTemporary];
        }

        string unique = Guid.NewGuid().ToString("N")[..12];
        return Path.Combine(Path.GetDirectoryName(target)!, TemporaryPrefix + name + TemporaryMarker + unique + TemporarySuffix);
    }

    /// <summary>A replaced file keeps its permission bits, as it would had it been rewritten in place.</summary>
    private static void KeepPermissions(string target, string temporary)
    {
        if (OperatingSystem.IsWindows() || !File.Exists(target))
        {
            return;
        }

        try
        {
            File.SetUnixFileMode(temporary, File.GetUnixFileMode(target));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Default permissions are an acceptable fallback; the content is what matters.
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Nothing more can be done; the name marks it as GridTsne's temporary file.
        }
    }

    /// <summary>Passes writes on until the token is cancelled, so that a long encode stops within one buffer.</summary>
    private sealed class CancellableWriteStream(Stream inner, CancellationToken cancellationToken) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => inner.CanSeek;
        public override bool CanWrite => true;
        public override long Length => inner.Length;

        public override long Position
        {
            get => inner.Position;
            set => inner.Position = value;
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            cancellationToken.ThrowIfCancellationRequested();
            inner.Write(buffer);
        }

        public override void WriteByte(byte value)
        {
            cancellationToken.ThrowIfCancellationRequested();
            inner.WriteByte(value);
        }

        public override void Flush() => inner.Flush();

        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

        public override void SetLength(long value) => inner.SetLength(value);

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
