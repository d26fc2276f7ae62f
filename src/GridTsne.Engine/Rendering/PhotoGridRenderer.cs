using System.Diagnostics;
using System.Runtime.ExceptionServices;
using GridTsne.Engine.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Tiff.Constants;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.PixelFormats;

namespace GridTsne.Engine.Rendering;

/// <summary>
/// Draws a <see cref="GridLayout"/> into one image and writes it atomically. Tiles are decoded in parallel,
/// each photo resampled straight into its cell and released at once, so the canvas is the only large
/// buffer: memory is the canvas plus one decoded photo per worker, whatever the number of photos.
/// </summary>
public static class PhotoGridRenderer
{
    // The canvas gets its own allocator with a small pool: a large canvas is returned to the system when
    // disposed, instead of lingering in ImageSharp's shared pool.
    private static readonly Lazy<Configuration> CanvasConfiguration = new(() =>
    {
        Configuration configuration = Configuration.Default.Clone();
        configuration.MemoryAllocator = MemoryAllocator.Create(new MemoryAllocatorOptions
        {
            MaximumPoolSizeMegabytes = 64,
            AllocationLimitMegabytes = 4096 + 16,
        });
        return configuration;
    });

    /// <summary>Renders <paramref name="layout"/> and writes it to <paramref name="path"/> as <paramref name="format"/>.</summary>
    /// <exception cref="GridLayoutException">The canvas is too large for the format or the memory budget (checked before any decoding).</exception>
    /// <exception cref="OperationCanceledException">Cancelled; no file was changed.</exception>
    public static GridRenderResult WriteImage(GridLayout layout, string path, GridOutputFormat format, GridRenderOptions options,
        bool overwrite, GridRenderCallbacks? callbacks = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(options);
        if (!format.IsImage())
        {
            throw new ArgumentException($"{format.DisplayName()} is not an image format.", nameof(format));
        }

        CanvasLimits.Check(layout, format, options.MemoryBudgetBytes);
        IImageEncoder encoder = CreateEncoder(format, options.Quality);

        var clock = Stopwatch.StartNew();
        using Image<Rgb24> canvas = RenderCanvas(layout, options, callbacks, cancellationToken, out TileCounts counts);
        TimeSpan drawTime = clock.Elapsed;

        callbacks?.Writing?.Invoke(path);
        clock.Restart();
        AtomicFile.Write(path, stream => canvas.Save(stream, encoder), overwrite, cancellationToken);
        return new GridRenderResult(canvas.Width, canvas.Height, layout.Tiles.Count,
            counts.Thumbnails, counts.Originals, counts.Failed, drawTime, clock.Elapsed);
    }

    /// <summary>
    /// Draws every tile into a new canvas filled with the background. The caller has checked the canvas
    /// size against the limits.
    /// </summary>
    internal static Image<Rgb24> RenderCanvas(GridLayout layout, GridRenderOptions options, GridRenderCallbacks? callbacks,
        CancellationToken cancellationToken, out TileCounts counts)
    {
        var canvas = new Image<Rgb24>(CanvasConfiguration.Value, checked((int)layout.Width), checked((int)layout.Height), options.Background.ToRgb24());
        var tally = new TileCounts();
        try
        {
            DrawTiles(layout, options, canvas, callbacks, tally, cancellationToken);
        }
        catch
        {
            canvas.Dispose();
            throw;
        }

        counts = tally;
        return canvas;
    }

    private static void DrawTiles(GridLayout layout, GridRenderOptions options, Image<Rgb24> canvas, GridRenderCallbacks? callbacks,
        TileCounts counts, CancellationToken cancellationToken)
    {
        IReadOnlyList<GridTile> tiles = layout.Tiles;
        int completed = 0;
        var parallel = new ParallelOptions
        {
            MaxDegreeOfParallelism = Math.Max(1, options.MaxDegreeOfParallelism),
            CancellationToken = cancellationToken,
        };

        try
        {
            Parallel.For(0, tiles.Count, parallel, static () => new TileResampler(), (index, _, resampler) =>
            {
                cancellationToken.ThrowIfCancellationRequested();
                GridTile tile = tiles[index];
                TileSource source = DrawTile(tile, layout, options, canvas, resampler, callbacks, cancellationToken);
                counts.Add(source);
                callbacks?.TileDone?.Invoke(new TileProgress(tile, source, Interlocked.Increment(ref completed), tiles.Count));
                return resampler;
            }, static _ => { });
        }
        catch (AggregateException ex) when (ex.InnerExceptions.Count >= 1)
        {
            // Parallel.For wraps whatever a tile threw; surface the first cause as itself.
            Exception first = ex.InnerExceptions.FirstOrDefault(inner => inner is OperationCanceledException) ?? ex.InnerExceptions[0];
            ExceptionDispatchInfo.Throw(first);
        }
    }

    private static TileSource DrawTile(GridTile tile, GridLayout layout, GridRenderOptions options, Image<Rgb24> canvas,
        TileResampler resampler, GridRenderCallbacks? callbacks, CancellationToken cancellationToken)
    {
        try
        {
            using Image<Rgb24> photo = LoadTileSource(tile, layout.TileSize, options, cancellationToken, out TileSource source);
            TilePlacement placement = TilePlacement.For(photo.Width, photo.Height, layout.TileSize, options.Fit);
            resampler.Resample(photo, placement, canvas, (int)layout.TileX(tile.Column), (int)layout.TileY(tile.Row));
            return source;
        }
        catch (ImageLoadException ex)
        {
            callbacks?.TileFailed?.Invoke(tile, ex);
            return TileSource.Failed;
        }
    }

    /// <summary>
    /// The thumbnail when it is large enough for the tile without upscaling, otherwise the original. A
    /// thumbnail that fails to decode falls back to the original too. Either is decoded only as large as a
    /// tile-sized square needs (a 12-megapixel JPEG at 1/8 for 64 px tiles), which serves both fits.
    /// </summary>
    internal static Image<Rgb24> LoadTileSource(GridTile tile, int tileSize, GridRenderOptions options, CancellationToken cancellationToken,
        out TileSource source)
    {
        var tileSquare = new Size(tileSize, tileSize);
        if (tile.Thumbnail is { } thumbnail && TilePlacement.CoversWithoutUpscaling(thumbnail.Width, thumbnail.Height, tileSize, options.Fit))
        {
            try
            {
                Image<Rgb24> small = SafeImageLoader.Decode(tile.Path, thumbnail.EncodedJpeg, tileSquare, options.DecodeOptions, out _, cancellationToken);
                source = TileSource.Thumbnail;
                return small;
            }
            catch (ImageLoadException)
            {
                // A damaged thumbnail is no reason to lose the tile: the original may still be readable.
            }
        }

        source = TileSource.Original;
        return SafeImageLoader.Load(tile.Path, tileSquare, options.DecodeOptions, out _, cancellationToken);
    }

    internal static IImageEncoder CreateEncoder(GridOutputFormat format, int quality)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(quality, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(quality, 100);
        return format switch
        {
            GridOutputFormat.Jpeg => new JpegEncoder { Quality = quality },
            GridOutputFormat.Png => new PngEncoder { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit8 },
            GridOutputFormat.Webp => new WebpEncoder { FileFormat = WebpFileFormatType.Lossy, Quality = quality },
            GridOutputFormat.Bmp => new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel24 },
            // Deflate with the horizontal predictor: lossless, about half the size of uncompressed, read everywhere.
            GridOutputFormat.Tiff => new TiffEncoder
            {
                BitsPerPixel = TiffBitsPerPixel.Bit24,
                Compression = TiffCompression.Deflate,
                HorizontalPredictor = TiffPredictor.Horizontal,
            },
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Not an image format."),
        };
    }

    /// <summary>Thread-safe tally of where the tiles came from.</summary>
    internal sealed class TileCounts
    {
        private int _thumbnails, _originals, _failed;

        public int Thumbnails => _thumbnails;

        public int Originals => _originals;

        public int Failed => _failed;

        public void Add(TileSource source)
        {
            switch (source)
            {
                case TileSource.Thumbnail:
                    Interlocked.Increment(ref _thumbnails);
                    break;
                case TileSource.Original:
                    Interlocked.Increment(ref _originals);
                    break;
                default:
                    Interlocked.Increment(ref _failed);
                    break;
            }
        }
    }
}
