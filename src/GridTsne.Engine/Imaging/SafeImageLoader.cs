using System.Buffers;
using System.Collections.Concurrent;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Pbm;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace GridTsne.Engine.Imaging;

/// <summary>
/// Decodes untrusted photos: identifies the header first and refuses images that claim too many pixels,
/// decodes with a memory-capped allocator (ImageSharp's default one let a 185-byte PNG allocate 3.7 GB),
/// applies EXIF orientation (ImageSharp 2.1 does not on load), and composites alpha over a background.
/// Every failure becomes an <see cref="ImageLoadException"/> naming the file and the reason.
/// </summary>
public static class SafeImageLoader
{
    private const int BytesPerDecodedPixel = 8; // Rgba64 is the widest pixel a decoder produces for photos.
    private static readonly ConcurrentDictionary<long, Configuration> ConfigurationsByPixelLimit = new();

    /// <summary>Decodes a photo to upright RGB at full size.</summary>
    /// <param name="cancellationToken">Checked while the pixels decode, so that even a huge photo stops at once.</param>
    public static Image<Rgb24> Load(string path, ImageDecodeOptions? options = null, CancellationToken cancellationToken = default) =>
        Load(path, Size.Empty, options, out _, cancellationToken);

    /// <summary>
    /// Decodes a photo to upright RGB, at least <paramref name="minimumSize"/> wide and high (<see cref="Size.Empty"/>
    /// for the full size): a JPEG at the smallest DCT scale (1/8, 1/4, 1/2) that covers it, other images at
    /// full size. <paramref name="fullSize"/> is the upright photo's own size.
    /// </summary>
    public static Image<Rgb24> Load(string path, Size minimumSize, ImageDecodeOptions? options, out Size fullSize, CancellationToken cancellationToken = default)
    {
        options ??= ImageDecodeOptions.Default;
        // A pooled buffer: read one by one, photos of 100 KB and more would each land on the large-object
        // heap, and thousands of them in a row force full garbage collections.
        (byte[] buffer, int length) = ReadIntoPooledBuffer(path, options);
        try
        {
            return Decode(path, buffer.AsMemory(0, length), minimumSize, options, out fullSize, cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Decodes photo bytes already in memory at full size; <paramref name="path"/> names them in errors.</summary>
    public static Image<Rgb24> Decode(string path, ReadOnlyMemory<byte> content, ImageDecodeOptions? options = null, CancellationToken cancellationToken = default) =>
        Decode(path, content, Size.Empty, options, out _, cancellationToken);

    /// <summary>
    /// Decodes photo bytes already in memory, at least <paramref name="minimumSize"/> as
    /// <see cref="Load(string, Size, ImageDecodeOptions?, out Size, CancellationToken)"/> does.
    /// </summary>
    public static Image<Rgb24> Decode(string path, ReadOnlyMemory<byte> content, Size minimumSize, ImageDecodeOptions? options, out Size fullSize,
        CancellationToken cancellationToken = default)
    {
        options ??= ImageDecodeOptions.Default;
        if (content.Length == 0)
        {
            throw new ImageLoadException(path, ImageLoadFailure.Empty, "the file is empty (0 bytes).");
        }

        Configuration configuration = ConfigurationFor(options.MaxPixels);
        using var identifyStream = new ReadOnlyMemoryStream(content);
        IImageInfo? info;
        IImageFormat? format;
        try
        {
            info = Image.Identify(configuration, identifyStream, out format);
        }
        catch (Exception ex) when (IsDecodeFailure(ex))
        {
            throw new ImageLoadException(path, ImageLoadFailure.Corrupt, "the image header is truncated or damaged (" + ex.Message + ").", ex);
        }

        if (info is null || format is null)
        {
            throw new ImageLoadException(path, ImageLoadFailure.UnknownFormat, "the content is not an image format GridTsne can decode (JPEG, PNG, GIF, BMP, TGA, TIFF, WebP, PBM).");
        }

        long pixels = (long)info.Width * info.Height;
        if (info.Width <= 0 || info.Height <= 0)
        {
            throw new ImageLoadException(path, ImageLoadFailure.Corrupt, $"the header claims an empty size {info.Width}x{info.Height}.");
        }

        if (pixels > options.MaxPixels)
        {
            throw new ImageLoadException(path, ImageLoadFailure.TooLarge,
                $"the header claims {info.Width}x{info.Height} = {pixels:N0} pixels, more than the limit of {options.MaxPixels:N0} (raise -MaxPixels to allow it).");
        }

        if (format is JpegFormat && JpegStructure.FindDamage(content.Span) is { } damage)
        {
            throw new ImageLoadException(path, ImageLoadFailure.Corrupt, damage);
        }

        // Orientations 5 to 8 turn the photo a quarter: its stored width is its upright height.
        bool turned = ExifOrientation(info) is >= ExifOrientationMode.LeftTop and <= ExifOrientationMode.LeftBottom;
        fullSize = turned ? new Size(info.Height, info.Width) : new Size(info.Width, info.Height);
        return DecodeUpright(path, content, format, info, turned ? new Size(minimumSize.Height, minimumSize.Width) : minimumSize,
            options, configuration, cancellationToken);
    }

    private static Image<Rgb24> DecodeUpright(string path, ReadOnlyMemory<byte> content, IImageFormat format, IImageInfo info, Size minimumStoredSize,
        ImageDecodeOptions options, Configuration configuration, CancellationToken cancellationToken)
    {
        bool hasAlpha = MayHaveAlpha(info, format);
        using var decodeStream = new ReadOnlyMemoryStream(content);
        try
        {
            Image<Rgb24>? result = null;
            if (format is JpegFormat && options.ScaledJpegDecoding)
            {
                result = ScaledJpegDecoder.TryDecode(path, content.Span, new Size(info.Width, info.Height), minimumStoredSize, configuration, cancellationToken);
                if (result is not null)
                {
                    // ImageSharp's AutoOrient reads the orientation from the image's EXIF profile, as Identify found it.
                    result.Metadata.ExifProfile = info.Metadata.ExifProfile;
                    result.Mutate(context => context.AutoOrient());
                    return result;
                }
            }

            if (hasAlpha)
            {
                using Image<Rgba32> withAlpha = LoadPixels<Rgba32>(configuration, decodeStream, cancellationToken);
                withAlpha.Mutate(context => context.AutoOrient().BackgroundColor(Color.FromRgb(options.Background.R, options.Background.G, options.Background.B)));
                result = withAlpha.CloneAs<Rgb24>();
            }
            else
            {
                result = LoadPixels<Rgb24>(configuration, decodeStream, cancellationToken);
                result.Mutate(context => context.AutoOrient());
            }

            // Only the first frame of a GIF or multi-page TIFF is a photo.
            while (result.Frames.Count > 1)
            {
                result.Frames.RemoveFrame(result.Frames.Count - 1);
            }

            return result;
        }
        catch (InvalidMemoryOperationException ex)
        {
            throw new ImageLoadException(path, ImageLoadFailure.TooLarge, "decoding it needs more memory than the pixel limit allows (" + ex.Message + ").", ex);
        }
        catch (Exception ex) when (IsDecodeFailure(ex))
        {
            throw new ImageLoadException(path, ImageLoadFailure.Corrupt, "the image data is truncated or damaged (" + ex.Message + ").", ex);
        }
    }

    private static ushort ExifOrientation(IImageInfo info) =>
        info.Metadata.ExifProfile?.GetValue(ExifTag.Orientation) is { } orientation ? orientation.Value : ExifOrientationMode.Unknown;

    /// <summary>
    /// Reads a file, turning file-system failures into <see cref="ImageLoadException"/>. A file larger than
    /// <see cref="ImageDecodeOptions.MaxFileBytes"/> is refused before it is read into memory.
    /// </summary>
    public static byte[] ReadAllBytes(string path, ImageDecodeOptions? options = null) =>
        ReadFile(path, options ?? ImageDecodeOptions.Default, length => new byte[length], (buffer, _) => buffer);

    /// <summary>Reads a file into a buffer rented from the shared pool; the caller returns it.</summary>
    private static (byte[] Buffer, int Length) ReadIntoPooledBuffer(string path, ImageDecodeOptions options) =>
        ReadFile(path, options, length => ArrayPool<byte>.Shared.Rent(Math.Max(length, 1)), (buffer, length) => (buffer, length));

    /// <summary>
    /// Opens a regular file, checks its size against the limit, and reads it whole into a buffer from
    /// <paramref name="allocate"/>; file-system failures become <see cref="ImageLoadException"/>.
    /// </summary>
    private static T ReadFile<T>(string path, ImageDecodeOptions options, Func<int, byte[]> allocate, Func<byte[], int, T> result)
    {
        if (Directory.Exists(path))
        {
            throw new ImageLoadException(path, ImageLoadFailure.IsDirectory, "the path is a directory, not an image file.");
        }

        try
        {
            using FileStream stream = OpenRegularFile(path);
            long length = stream.Length;
            if (length > options.MaxFileBytes || length > Array.MaxLength)
            {
                throw new ImageLoadException(path, ImageLoadFailure.TooLarge,
                    $"the file has {length:N0} bytes, more than any image within the pixel limit of {options.MaxPixels:N0} can need (raise -MaxPixels to allow it).");
            }

            // A pooled buffer lost to a failed read is only garbage collected, never returned: harmless.
            byte[] buffer = allocate((int)length);
            stream.ReadExactly(buffer.AsSpan(0, (int)length));
            return result(buffer, (int)length);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ImageLoadException(path, ImageLoadFailure.NotFound, "the file does not exist.", ex);
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            throw new ImageLoadException(path, ImageLoadFailure.AccessDenied, "the file cannot be read (" + ex.Message + ").", ex);
        }
    }

    /// <summary>
    /// ImageSharp 2.1 checks a cancellation token while decoding only on its async path. The stream is in
    /// memory, so that path runs synchronously on this thread and waiting on it costs nothing.
    /// </summary>
    private static Image<TPixel> LoadPixels<TPixel>(Configuration configuration, Stream stream, CancellationToken cancellationToken)
        where TPixel : unmanaged, IPixel<TPixel> =>
        Image.LoadAsync<TPixel>(configuration, stream, cancellationToken).GetAwaiter().GetResult();

    /// Whether transparency must be composited. ImageSharp 2.1 leaves the alpha representation unknown for
    /// most formats (an RGBA PNG included), so unknown counts as "may have alpha"; JPEG and PBM never do.
    /// </summary>
    private static bool MayHaveAlpha(IImageInfo info, IImageFormat format) =>
        format is not (JpegFormat or PbmFormat)
        && info.PixelType?.AlphaRepresentation is not PixelAlphaRepresentation.None;

    private static FileStream OpenRegularFile(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        }

        // A FIFO, socket or device named like a photo must neither hang nor stream forever: open without
        // blocking, then accept only what can seek, i.e. a regular file.
        var stream = new FileStream(UnixLibc.OpenReadNonBlocking(path), FileAccess.Read, bufferSize: 1);
        if (!stream.CanSeek)
        {
            stream.Dispose();
            throw new ImageLoadException(path, ImageLoadFailure.AccessDenied, "it is not a regular file (a pipe, socket or device).");
        }

        return stream;
    }

    /// <summary>
    /// One configuration per pixel limit: its allocator refuses any single buffer larger than a decoded
    /// image of that many pixels could need, so a lying header cannot make a decoder allocate gigabytes.
    /// </summary>
    private static Configuration ConfigurationFor(long maxPixels) =>
        ConfigurationsByPixelLimit.GetOrAdd(maxPixels, static limit =>
        {
            long megabytes = Math.Clamp(limit * BytesPerDecodedPixel / (1024 * 1024) + 16, 16, int.MaxValue);
            Configuration configuration = Configuration.Default.Clone();
            configuration.MemoryAllocator = MemoryAllocator.Create(new MemoryAllocatorOptions
            {
                AllocationLimitMegabytes = (int)megabytes,
            });
            return configuration;
        });

    private static bool IsDecodeFailure(Exception ex) =>
        ex is ImageFormatException or UnknownImageFormatException or InvalidImageContentException
            or InvalidMemoryOperationException or NotSupportedException or InvalidOperationException
            or ArgumentException or IndexOutOfRangeException or EndOfStreamException or OutOfMemoryException;

    /// <summary>A read-only stream over memory, so one read of the file serves both Identify and Load.</summary>
    private sealed class ReadOnlyMemoryStream : Stream
    {
        private readonly ReadOnlyMemory<byte> _content;
        private int _position;

        public ReadOnlyMemoryStream(ReadOnlyMemory<byte> content) => _content = content;

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => _content.Length;

        public override long Position
        {
            get => _position;
            set => _position = (int)Math.Clamp(value, 0, _content.Length);
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int available = Math.Min(buffer.Length, _content.Length - _position);
            _content.Span.Slice(_position, available).CopyTo(buffer);
            _position += available;
            return available;
        }

        public override long Seek(long offset, SeekOrigin origin)
        {
            long target = origin switch
            {
                SeekOrigin.Begin => offset,
                SeekOrigin.Current => _position + offset,
                _ => _content.Length + offset,
            };
            Position = target;
            return _position;
        }

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
