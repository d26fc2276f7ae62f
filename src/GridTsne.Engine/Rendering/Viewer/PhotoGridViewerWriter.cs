using System.Diagnostics;
using System.Globalization;
using System.Runtime.ExceptionServices;
using GridTsne.Engine.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;

namespace GridTsne.Engine.Rendering.Viewer;

/// <summary>
/// Writes the interactive viewer: <c>grid.html</c> and the folder <c>grid_files/</c> beside it, holding the
/// script, the style, layout.js, tile atlases per level (<c>tiles/&lt;size&gt;/&lt;row&gt;-&lt;column&gt;.jpg</c>) and
/// medium-size copies of the photos that cannot be linked (<c>photos/&lt;index&gt;.jpg</c>).
/// Tiles come from the image renderer's own code: the same choice of thumbnail or original, the same
/// Cover/Contain placement and the same area-averaging resampler, drawn straight into each level's atlas.
/// Everything is written into a hidden temporary folder beside the page first; only a complete viewer is
/// swapped in, and a failure or cancellation removes the temporary folder and keeps the previous viewer.
/// </summary>
public static class PhotoGridViewerWriter
{
    /// <summary>Largest tile size: a finest-level atlas then still holds 2 x 2 tiles in 2048 px.</summary>
    public const int MaxTileSize = 1024;

    /// <summary>Most cells a viewer holds (4096 x 4096): the page indexes every cell in memory.</summary>
    public const long MaxCells = 4096L * 4096;

    /// <summary>Longest side of the copy embedded for a photo that lies away from the page.</summary>
    public const int PreviewLongSide = 640;

    private const string TilesFolder = "tiles";
    private const string PhotosFolder = "photos";

    /// <summary>The assets folder of a page: its name without extension, then "_files", as browsers save pages.</summary>
    public static string AssetsDirectoryFor(string indexPath)
    {
        string full = Path.GetFullPath(indexPath);
        return Path.Combine(Path.GetDirectoryName(full)!, Path.GetFileNameWithoutExtension(full) + "_files");
    }

    /// <summary>Refuses, before any decoding, a layout the viewer cannot hold.</summary>
    /// <exception cref="GridLayoutException">The tiles are larger than <see cref="MaxTileSize"/> or the grid has more than <see cref="MaxCells"/> cells.</exception>
    public static void CheckLayout(GridLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        if (layout.TileSize > MaxTileSize)
        {
            throw new GridLayoutException(GridLayoutProblem.CanvasTooLarge,
                $"The viewer's tiles are at most {MaxTileSize} px; -TileSize is {layout.TileSize}. Zooming in shows the finest level, and clicking a tile opens the photo itself.");
        }

        if ((long)layout.Rows * layout.Columns > MaxCells)
        {
            throw new GridLayoutException(GridLayoutProblem.CanvasTooLarge, string.Create(CultureInfo.InvariantCulture,
                $"The viewer holds at most {MaxCells:N0} cells; {layout.Rows:N0} rows × {layout.Columns:N0} columns is more."));
        }
    }

    /// <summary>
    /// Checks, before any decoding, that the page can be written: its folder exists, the page is not a folder,
    /// and the assets folder is free or was written by this viewer (another folder of that name is never
    /// replaced). Throws <see cref="DirectoryNotFoundException"/> or <see cref="IOException"/>.
    /// </summary>
    public static void CheckTarget(string indexPath)
    {
        string full = Path.GetFullPath(indexPath);
        string directory = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"The folder '{directory}' does not exist; create it before writing '{Path.GetFileName(full)}' into it.");
        }

        if (Directory.Exists(full))
        {
            throw new IOException($"'{full}' is a folder; give the viewer a file name such as grid.html.");
        }

        string assets = AssetsDirectoryFor(full);
        if (File.Exists(assets))
        {
            throw new IOException($"The viewer's assets folder '{assets}' exists as a file; move or rename it.");
        }

        if (Directory.Exists(assets) && !IsViewerAssets(assets))
        {
            throw new IOException($"The folder '{assets}' exists and was not written by the GridTsne viewer; it is never replaced. Move or rename it, or choose another page name.");
        }
    }

    /// <summary>
    /// Writes the viewer of <paramref name="layout"/> to <paramref name="indexPath"/> and its assets folder.
    /// <paramref name="labels"/>, when given, holds one label (or null) per tile, in the layout's order.
    /// A photo that cannot be read is reported through <see cref="GridRenderCallbacks.TileFailed"/> and its tile
    /// shows the background. Cancellation throws <see cref="OperationCanceledException"/> and changes nothing.
    /// </summary>
    /// <exception cref="GridLayoutException">See <see cref="CheckLayout"/>.</exception>
    /// <exception cref="IOException">See <see cref="CheckTarget"/>; also a failed write, which leaves the previous viewer as it was.</exception>
    public static ViewerWriteResult Write(GridLayout layout, IReadOnlyList<string?>? labels, string indexPath, GridRenderOptions options,
        bool overwrite, GridRenderCallbacks? callbacks = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(options);
        if (labels is not null && labels.Count != layout.Tiles.Count)
        {
            throw new ArgumentException($"{labels.Count} labels for {layout.Tiles.Count} tiles.", nameof(labels));
        }

        CheckLayout(layout);
        CheckTarget(indexPath);
        string fullIndex = Path.GetFullPath(indexPath);
        if (!overwrite && File.Exists(fullIndex))
        {
            throw new IOException($"The file '{fullIndex}' already exists.");
        }

        string pageDirectory = Path.GetDirectoryName(fullIndex)!;
        string assetsDirectory = AssetsDirectoryFor(fullIndex);
        string temporary = TemporaryPathFor(assetsDirectory);
        Directory.CreateDirectory(temporary);
        string? previous = null;
        try
        {
            var clock = Stopwatch.StartNew();
            var build = new Build(layout, labels, options, callbacks, pageDirectory, assetsDirectory, temporary, cancellationToken);
            build.Run();
            TimeSpan drawTime = clock.Elapsed;

            string title = Path.GetFileNameWithoutExtension(fullIndex);
            using (FileStream file = File.Create(Path.Combine(temporary, ViewerAssets.LayoutFile)))
            {
                ViewerLayoutScript.Write(file, title, layout, options.Background, build.Levels, build.Atlases, build.Entries);
            }

            ViewerAssets.WriteText(Path.Combine(temporary, ViewerAssets.ScriptFile), ViewerAssets.Script);
            ViewerAssets.WriteText(Path.Combine(temporary, ViewerAssets.StyleFile), ViewerAssets.Style);
            byte[] page = System.Text.Encoding.UTF8.GetBytes(ViewerAssets.IndexHtml(Path.GetFileName(assetsDirectory), title));

            FileInfo[] files = new DirectoryInfo(temporary).GetFiles("*", SearchOption.AllDirectories);
            callbacks?.Writing?.Invoke(fullIndex);
            cancellationToken.ThrowIfCancellationRequested();

            // The swap. The page is a fixed template that reads everything from the assets folder, so for the
            // instant between the two steps an old page beside the new folder already shows the new grid.
            // Any failure puts the previous folder back.
            bool moved = false;
            try
            {
                if (Directory.Exists(assetsDirectory))
                {
                    previous = TemporaryPathFor(assetsDirectory);
                    Directory.Move(assetsDirectory, previous);
                }

                Directory.Move(temporary, assetsDirectory);
                moved = true;
                AtomicFile.Write(fullIndex, stream => stream.Write(page), overwrite, CancellationToken.None);
            }
            catch
            {
                if (moved)
                {
                    TryRun(() => Directory.Move(assetsDirectory, temporary));
                }

                if (previous is not null)
                {
                    // After a failure the previous folder is never deleted: it goes back, or stays for the user.
                    string keep = previous;
                    previous = null;
                    if (!Directory.Exists(assetsDirectory))
                    {
                        TryRun(() => Directory.Move(keep, assetsDirectory));
                    }
                }

                throw;
            }

            return new ViewerWriteResult
            {
                IndexPath = fullIndex,
                AssetsDirectory = assetsDirectory,
                TotalBytes = files.Sum(file => file.Length) + page.Length,
                FileCount = files.Length + 1,
                Linked = build.Entries.Count(entry => entry.Href is not null && !entry.Embedded),
                Embedded = build.Entries.Count(entry => entry.Embedded),
                FromThumbnails = build.FromThumbnails,
                Failed = build.Entries.Count(entry => entry.Failed),
                LevelSizes = build.Levels.Sizes,
                DrawTime = drawTime,
            };
        }
        finally
        {
            DeleteQuietly(temporary);
            if (previous is not null)
            {
                DeleteQuietly(previous);
            }
        }
    }

    /// <summary>An empty folder, or one whose layout.js carries the viewer's signature.</summary>
    internal static bool IsViewerAssets(string directory)
    {
        if (!Directory.EnumerateFileSystemEntries(directory).Any())
        {
            return true;
        }

        string layout = Path.Combine(directory, ViewerAssets.LayoutFile);
        if (!File.Exists(layout))
        {
            return false;
        }

        using FileStream stream = File.OpenRead(layout);
        var start = new byte[ViewerLayoutScript.Signature.Length];
        return stream.ReadAtLeast(start, start.Length, throwOnEndOfStream: false) == start.Length
            && System.Text.Encoding.ASCII.GetString(start) == ViewerLayoutScript.Signature;
    }

    /// <summary>A hidden, unique folder beside <paramref name="assetsDirectory"/>, named as <see cref="AtomicFile"/> names its temporary files.</summary>
    private static string TemporaryPathFor(string assetsDirectory) => AtomicFile.TemporaryPathFor(assetsDirectory);

    private static void DeleteQuietly(string directory) => TryRun(() =>
    {
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    });

    private static void TryRun(Action action)
    {
        try
        {
            action();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Secondary to the failure already leaving, or a leftover the user can delete.
        }
    }

    /// <summary>
    /// One write: walks the atlas blocks from the coarsest level down (the blocks nest), draws the finest
    /// block's photos in parallel into the unfinished atlas of every level, and encodes an atlas as soon as
    /// its block is complete. Memory holds one atlas per level and one decoded photo per worker.
    /// </summary>
    private sealed class Build
    {
        private readonly GridLayout _layout;
        private readonly IReadOnlyList<string?>? _labels;
        private readonly GridRenderOptions _options;
        private readonly GridRenderCallbacks? _callbacks;
        private readonly string _assets;
        private readonly CancellationToken _cancellationToken;
        private readonly int[] _cellAt;
        private readonly string?[] _hrefs;
        private readonly bool[] _embedded;
        private readonly bool[] _failed;
        private readonly List<ViewerAtlas>[] _atlases;
        private readonly (Image<Rgb24> Image, int Row, int Column)?[] _open;
        private readonly JpegEncoder _encoder;
        private int _completed;
        private int _fromThumbnails;

        public Build(GridLayout layout, IReadOnlyList<string?>? labels, GridRenderOptions options, GridRenderCallbacks? callbacks,
            string pageDirectory, string assetsDirectory, string temporaryAssets, CancellationToken cancellationToken)
        {
            _layout = layout;
            _labels = labels;
            _options = options;
            _callbacks = callbacks;
            _assets = temporaryAssets;
            _cancellationToken = cancellationToken;
            Levels = ViewerLevels.For(layout.TileSize);
            _atlases = [.. Enumerable.Range(0, Levels.Count).Select(_ => new List<ViewerAtlas>())];
            _open = new (Image<Rgb24>, int, int)?[Levels.Count];
            _encoder = new JpegEncoder { Quality = options.Quality };

            IReadOnlyList<GridTile> tiles = layout.Tiles;
            _cellAt = new int[layout.Rows * layout.Columns];
            Array.Fill(_cellAt, -1);
            _hrefs = new string?[tiles.Count];
            _embedded = new bool[tiles.Count];
            _failed = new bool[tiles.Count];
            string copies = "./" + Uri.EscapeDataString(Path.GetFileName(assetsDirectory)) + "/" + PhotosFolder + "/";
            for (int index = 0; index < tiles.Count; index++)
            {
                _cellAt[tiles[index].Row * layout.Columns + tiles[index].Column] = index;
                _hrefs[index] = OriginalLinks.RelativeHref(pageDirectory, assetsDirectory, tiles[index].Path);
                if (_hrefs[index] is null)
                {
                    _embedded[index] = true;
                    _hrefs[index] = copies + index.ToString(CultureInfo.InvariantCulture) + ".jpg";
                }
            }
        }

        public ViewerLevels Levels { get; }

        public IReadOnlyList<IReadOnlyList<ViewerAtlas>> Atlases => _atlases;

        public List<ViewerCellEntry> Entries { get; } = [];

        public int FromThumbnails => _fromThumbnails;

        public void Run()
        {
            Directory.CreateDirectory(Path.Combine(_assets, TilesFolder));
            if (_embedded.Contains(true))
            {
                Directory.CreateDirectory(Path.Combine(_assets, PhotosFolder));
            }

            int coarsest = Levels.CellsPerAtlas[0];
            for (int row = 0; row < _layout.Rows; row += coarsest)
            {
                for (int column = 0; column < _layout.Columns; column += coarsest)
                {
                    ProcessBlock(0, row, column);
                }
            }

            foreach (List<ViewerAtlas> level in _atlases)
            {
                level.Sort((a, b) => a.Row != b.Row ? a.Row.CompareTo(b.Row) : a.Column.CompareTo(b.Column));
            }

            for (int index = 0; index < _layout.Tiles.Count; index++)
            {
                GridTile tile = _layout.Tiles[index];
                bool failed = _failed[index];
                Entries.Add(new ViewerCellEntry(tile.Row, tile.Column, Path.GetFileName(tile.Path), _labels?[index],
                    failed ? null : _hrefs[index], !failed && _embedded[index], failed));
            }
        }

        private void ProcessBlock(int level, int row, int column)
        {
            int cellsPerSide = Levels.CellsPerAtlas[level];
            int rows = Math.Min(cellsPerSide, _layout.Rows - row);
            int columns = Math.Min(cellsPerSide, _layout.Columns - column);
            List<int> indices = TilesIn(row, column, rows, columns);
            if (indices.Count == 0)
            {
                return; // The page draws a missing atlas as background.
            }

            int size = Levels.Sizes[level];
            using var atlas = new Image<Rgb24>(columns * size, rows * size, _options.Background.ToRgb24());
            _open[level] = (atlas, row, column);
            try
            {
                if (level == Levels.Count - 1)
                {
                    DrawTiles(indices);
                }
                else
                {
                    int inner = Levels.CellsPerAtlas[level + 1];
                    for (int r = row; r < row + rows; r += inner)
                    {
                        for (int c = column; c < column + columns; c += inner)
                        {
                            ProcessBlock(level + 1, r, c);
                        }
                    }
                }

                _cancellationToken.ThrowIfCancellationRequested();
                string name = string.Create(CultureInfo.InvariantCulture, $"{row / cellsPerSide}-{column / cellsPerSide}.jpg");
                string folder = Path.Combine(_assets, TilesFolder, size.ToString(CultureInfo.InvariantCulture));
                Directory.CreateDirectory(folder);
                atlas.SaveAsJpeg(Path.Combine(folder, name), _encoder);
                _atlases[level].Add(new ViewerAtlas(string.Create(CultureInfo.InvariantCulture, $"{TilesFolder}/{size}/{name}"), row, column, rows, columns));
            }
            finally
            {
                _open[level] = null;
            }
        }

        private List<int> TilesIn(int row, int column, int rows, int columns)
        {
            var indices = new List<int>();
            for (int r = row; r < row + rows; r++)
            {
                for (int c = column; c < column + columns; c++)
                {
                    int index = _cellAt[r * _layout.Columns + c];
                    if (index >= 0)
                    {
                        indices.Add(index);
                    }
                }
            }

            return indices;
        }

        private void DrawTiles(List<int> indices)
        {
            var parallel = new ParallelOptions
            {
                CancellationToken = _cancellationToken,
                MaxDegreeOfParallelism = Math.Max(1, _options.MaxDegreeOfParallelism),
            };
            try
            {
                Parallel.ForEach(indices, parallel, static () => new TileResampler(), (index, _, resampler) =>
                {
                    DrawTile(index, resampler);
                    return resampler;
                }, static _ => { });
            }
            catch (AggregateException ex) when (ex.InnerExceptions.Count >= 1)
            {
                // Parallel.ForEach wraps whatever a tile threw; surface the first cause as itself.
                ExceptionDispatchInfo.Throw(ex.InnerExceptions.FirstOrDefault(inner => inner is OperationCanceledException) ?? ex.InnerExceptions[0]);
            }
        }

        /// <summary>
        /// Loads the photo as the image renderer does (the thumbnail when it covers the finest tile, else the
        /// original), resamples it into every level's atlas, and writes its copy when it is to be embedded;
        /// a copy needs the original, so an embedded photo is always decoded from it.
        /// </summary>
        private void DrawTile(int index, TileResampler resampler)
        {
            _cancellationToken.ThrowIfCancellationRequested();
            GridTile tile = _layout.Tiles[index];
            TileSource source;
            try
            {
                Image<Rgb24> photo;
                if (_embedded[index])
                {
                    photo = SafeImageLoader.Load(tile.Path, _options.DecodeOptions, _cancellationToken);
                    source = TileSource.Original;
                }
                else
                {
                    photo = PhotoGridRenderer.LoadTileSource(tile, Levels.Sizes[^1], _options, _cancellationToken, out source);
                }

                using (photo)
                {
                    for (int level = 0; level < Levels.Count; level++)
                    {
                        int size = Levels.Sizes[level];
                        (Image<Rgb24> atlas, int atlasRow, int atlasColumn) = _open[level]!.Value;
                        // Each tile owns its rectangle of the atlas, so workers draw side by side safely.
                        resampler.Resample(photo, TilePlacement.For(photo.Width, photo.Height, size, _options.Fit), atlas,
                            (tile.Column - atlasColumn) * size, (tile.Row - atlasRow) * size);
                    }

                    if (_embedded[index])
                    {
                        WriteCopy(index, photo, resampler);
                    }
                }

                if (source == TileSource.Thumbnail)
                {
                    Interlocked.Increment(ref _fromThumbnails);
                }
            }
            catch (ImageLoadException ex)
            {
                _failed[index] = true;
                source = TileSource.Failed;
                _callbacks?.TileFailed?.Invoke(tile, ex);
            }

            _callbacks?.TileDone?.Invoke(new TileProgress(tile, source, Interlocked.Increment(ref _completed), _layout.Tiles.Count));
        }

        /// <summary>The whole upright photo, no longer than <see cref="PreviewLongSide"/> (never enlarged).</summary>
        private void WriteCopy(int index, Image<Rgb24> photo, TileResampler resampler)
        {
            double scale = Math.Min(1.0, (double)PreviewLongSide / Math.Max(photo.Width, photo.Height));
            int width = Math.Max(1, (int)Math.Round(photo.Width * scale));
            int height = Math.Max(1, (int)Math.Round(photo.Height * scale));
            using var copy = new Image<Rgb24>(width, height);
            resampler.Resample(photo, new TilePlacement(0, 0, photo.Width, photo.Height, 0, 0, width, height), copy, 0, 0);
            copy.SaveAsJpeg(Path.Combine(_assets, PhotosFolder, index.ToString(CultureInfo.InvariantCulture) + ".jpg"), _encoder);
        }
    }
}
