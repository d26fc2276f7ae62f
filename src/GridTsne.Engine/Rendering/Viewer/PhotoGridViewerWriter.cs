using System.Runtime.ExceptionServices;
using GridTsne.Engine.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace GridTsne.Engine.Rendering.Viewer;

/// <summary>
/// Writes the interactive viewer: <c>grid.html</c> and the folder <c>grid_files/</c> beside it, holding the
/// script, the style, layout.js, tile atlases per level (<c>tiles/&lt;size&gt;/&lt;row&gt;-&lt;column&gt;.jpg</c>) and
/// medium-size copies of the photos that cannot be linked (<c>photos/&lt;cell&gt;.jpg</c>).
/// Everything is written into a hidden temporary folder beside the page first; only a complete viewer is
/// swapped in (two renames), and a failure or cancellation removes the temporary folder and keeps the
/// previous viewer as it was.
/// </summary>
public static class PhotoGridViewerWriter
{
    private const string TilesFolder = "tiles";
    private const string PhotosFolder = "photos";

    /// <summary>The assets folder of a page: its name without extension, then "_files", as browsers save pages.</summary>
    public static string AssetsDirectoryFor(string indexPath)
    {
        string full = Path.GetFullPath(indexPath);
        return Path.Combine(Path.GetDirectoryName(full)!, Path.GetFileNameWithoutExtension(full) + "_files");
    }

    /// <summary>
    /// Checks, before any photo is decoded, that the page can be written: its folder exists, the page is not a
    /// folder, and the assets folder is free or was written by this viewer (another folder of that name is
    /// never replaced). Throws <see cref="DirectoryNotFoundException"/> or <see cref="IOException"/>.
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
    /// Writes the viewer for <paramref name="cells"/>. A photo that cannot be read is reported through
    /// <paramref name="progress"/> and its tile stays background. Cancellation throws
    /// <see cref="OperationCanceledException"/> and leaves the previous viewer untouched.
    /// </summary>
    public static ViewerWriteResult Write(string indexPath, IReadOnlyList<ViewerCell> cells, ViewerOptions options,
        IViewerPhotoSource photos, Action<ViewerProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cells);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(photos);
        options.Validate();
        CheckTarget(indexPath);
        int[] cellAt = PlaceCells(cells, options);

        string fullIndex = Path.GetFullPath(indexPath);
        string pageDirectory = Path.GetDirectoryName(fullIndex)!;
        string assetsDirectory = AssetsDirectoryFor(fullIndex);
        string temporary = Path.Combine(pageDirectory, "." + Path.GetFileName(fullIndex) + "." + Guid.NewGuid().ToString("N")[..12] + ".tmp");
        Directory.CreateDirectory(temporary);
        try
        {
            string temporaryAssets = Path.Combine(temporary, "assets");
            string temporaryIndex = Path.Combine(temporary, "index.html");
            var build = new Build(cells, cellAt, options, photos, progress, pageDirectory, assetsDirectory, temporaryAssets, cancellationToken);
            build.Run();

            string title = options.Title ?? Path.GetFileNameWithoutExtension(fullIndex);
            using (FileStream layout = File.Create(Path.Combine(temporaryAssets, ViewerAssets.LayoutFile)))
            {
                ViewerLayoutScript.Write(layout, title, options, build.Levels, build.Atlases, build.Entries);
            }

            ViewerAssets.WriteText(Path.Combine(temporaryAssets, ViewerAssets.ScriptFile), ViewerAssets.Script);
            ViewerAssets.WriteText(Path.Combine(temporaryAssets, ViewerAssets.StyleFile), ViewerAssets.Style);
            ViewerAssets.WriteText(temporaryIndex, ViewerAssets.IndexHtml(Path.GetFileName(assetsDirectory), title));

            FileInfo[] files = new DirectoryInfo(temporary).GetFiles("*", SearchOption.AllDirectories);
            long totalBytes = files.Sum(file => file.Length);
            cancellationToken.ThrowIfCancellationRequested();
            Swap(temporary, temporaryIndex, temporaryAssets, fullIndex, assetsDirectory);
            return new ViewerWriteResult
            {
                IndexPath = fullIndex,
                AssetsDirectory = assetsDirectory,
                TotalBytes = totalBytes,
                FileCount = files.Length,
                Linked = build.Entries.Count(entry => entry.Href is not null && !entry.Embedded),
                Embedded = build.Entries.Count(entry => entry.Embedded),
                Failed = build.Entries.Count(entry => entry.Failed),
                LevelSizes = build.Levels.Sizes,
            };
        }
        finally
        {
            DeleteQuietly(temporary);
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

    /// <summary>Grid position -> cell index (-1 when empty); refuses cells outside the grid or sharing a position.</summary>
    private static int[] PlaceCells(IReadOnlyList<ViewerCell> cells, ViewerOptions options)
    {
        var cellAt = new int[checked(options.Rows * options.Columns)];
        Array.Fill(cellAt, -1);
        for (int index = 0; index < cells.Count; index++)
        {
            ViewerCell cell = cells[index];
            if (cell.Row < 0 || cell.Row >= options.Rows || cell.Column < 0 || cell.Column >= options.Columns)
            {
                throw new ArgumentException($"'{cell.Path}' is at row {cell.Row}, column {cell.Column}, outside the {options.Rows}x{options.Columns} grid.", nameof(cells));
            }

            ref int slot = ref cellAt[cell.Row * options.Columns + cell.Column];
            if (slot >= 0)
            {
                throw new ArgumentException($"'{cell.Path}' and '{cells[slot].Path}' are both at row {cell.Row}, column {cell.Column}.", nameof(cells));
            }

            slot = index;
        }

        return cellAt;
    }

    /// <summary>
    /// Puts the new viewer in place: the old assets folder moves into the temporary folder, the new one takes
    /// its name, then the page is replaced by a rename. The page is a fixed template that reads everything
    /// from the assets folder, so an old page beside new assets for an instant still shows the new grid.
    /// Any failure puts the old folder back.
    /// </summary>
    private static void Swap(string temporary, string temporaryIndex, string temporaryAssets, string indexPath, string assetsDirectory)
    {
        string? previous = null;
        bool assetsMoved = false;
        try
        {
            if (Directory.Exists(assetsDirectory))
            {
                previous = Path.Combine(temporary, "previous");
                Directory.Move(assetsDirectory, previous);
            }

            Directory.Move(temporaryAssets, assetsDirectory);
            assetsMoved = true;
            File.Move(temporaryIndex, indexPath, overwrite: true);
        }
        catch
        {
            TryRun(() =>
            {
                if (assetsMoved)
                {
                    Directory.Move(assetsDirectory, temporaryAssets);
                }

                if (previous is not null)
                {
                    Directory.Move(previous, assetsDirectory);
                }
            });
            throw;
        }
    }

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
    /// One write: walks the atlas blocks from the coarsest level down (the blocks nest), produces the finest
    /// block's tiles in parallel, draws each into the unfinished atlas of every level, and encodes an atlas as
    /// soon as its block is complete. Memory holds one atlas per level and one block of tiles.
    /// </summary>
    private sealed class Build
    {
        private readonly IReadOnlyList<ViewerCell> _cells;
        private readonly int[] _cellAt;
        private readonly ViewerOptions _options;
        private readonly IViewerPhotoSource _photos;
        private readonly Action<ViewerProgress>? _progress;
        private readonly string _temporaryAssets;
        private readonly CancellationToken _cancellationToken;
        private readonly string?[] _hrefs;
        private readonly bool[] _failed;
        private readonly List<ViewerAtlas>[] _atlases;
        private readonly (Image<Rgb24> Image, int Row, int Column)?[] _open;
        private readonly JpegEncoder _encoder;
        private readonly Rgb24 _background;
        private int _completed;

        public Build(IReadOnlyList<ViewerCell> cells, int[] cellAt, ViewerOptions options, IViewerPhotoSource photos, Action<ViewerProgress>? progress,
            string pageDirectory, string assetsDirectory, string temporaryAssets, CancellationToken cancellationToken)
        {
            _cells = cells;
            _cellAt = cellAt;
            _options = options;
            _photos = photos;
            _progress = progress;
            _temporaryAssets = temporaryAssets;
            _cancellationToken = cancellationToken;
            Levels = ViewerLevels.For(options.TileSize);
            _atlases = [.. Enumerable.Range(0, Levels.Count).Select(_ => new List<ViewerAtlas>())];
            _open = new (Image<Rgb24>, int, int)?[Levels.Count];
            _encoder = new JpegEncoder { Quality = options.JpegQuality };
            _background = new Rgb24(options.Background.R, options.Background.G, options.Background.B);
            _failed = new bool[cells.Count];
            _hrefs = new string?[cells.Count];
            string assetsHrefPrefix = "./" + Uri.EscapeDataString(Path.GetFileName(assetsDirectory)) + "/" + PhotosFolder + "/";
            Embedded = new bool[cells.Count];
            for (int index = 0; index < cells.Count; index++)
            {
                _hrefs[index] = OriginalLinks.RelativeHref(pageDirectory, assetsDirectory, cells[index].Path);
                if (_hrefs[index] is null)
                {
                    Embedded[index] = true;
                    _hrefs[index] = assetsHrefPrefix + index.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".jpg";
                }
            }
        }

        public ViewerLevels Levels { get; }

        public IReadOnlyList<IReadOnlyList<ViewerAtlas>> Atlases => _atlases;

        public List<ViewerCellEntry> Entries { get; } = [];

        private bool[] Embedded { get; }

        public void Run()
        {
            Directory.CreateDirectory(Path.Combine(_temporaryAssets, TilesFolder));
            Directory.CreateDirectory(Path.Combine(_temporaryAssets, PhotosFolder));
            int coarsest = Levels.CellsPerAtlas[0];
            for (int row = 0; row < _options.Rows; row += coarsest)
            {
                for (int column = 0; column < _options.Columns; column += coarsest)
                {
                    ProcessBlock(0, row, column);
                }
            }

            foreach (List<ViewerAtlas> level in _atlases)
            {
                level.Sort((a, b) => a.Row != b.Row ? a.Row.CompareTo(b.Row) : a.Column.CompareTo(b.Column));
            }

            for (int index = 0; index < _cells.Count; index++)
            {
                ViewerCell cell = _cells[index];
                bool failed = _failed[index];
                Entries.Add(new ViewerCellEntry(cell.Row, cell.Column, Path.GetFileName(cell.Path), cell.Label,
                    failed ? null : _hrefs[index], !failed && Embedded[index], failed));
            }
        }

        private void ProcessBlock(int level, int row, int column)
        {
            int cellsPerSide = Levels.CellsPerAtlas[level];
            int rows = Math.Min(cellsPerSide, _options.Rows - row);
            int columns = Math.Min(cellsPerSide, _options.Columns - column);
            if (!AnyCellIn(row, column, rows, columns))
            {
                return;
            }

            int size = Levels.Sizes[level];
            using var atlas = new Image<Rgb24>(columns * size, rows * size, _background);
            _open[level] = (atlas, row, column);
            try
            {
                if (level == Levels.Count - 1)
                {
                    ProduceTiles(row, column, rows, columns);
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
                string file = $"{TilesFolder}/{size}/{row / cellsPerSide}-{column / cellsPerSide}.jpg";
                string path = Path.Combine(_temporaryAssets, TilesFolder, size.ToString(System.Globalization.CultureInfo.InvariantCulture), $"{row / cellsPerSide}-{column / cellsPerSide}.jpg");
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                atlas.SaveAsJpeg(path, _encoder);
                _atlases[level].Add(new ViewerAtlas(file, row, column, rows, columns));
            }
            finally
            {
                _open[level] = null;
            }
        }

        private bool AnyCellIn(int row, int column, int rows, int columns)
        {
            for (int r = row; r < row + rows; r++)
            {
                for (int c = column; c < column + columns; c++)
                {
                    if (_cellAt[r * _options.Columns + c] >= 0)
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        private void ProduceTiles(int row, int column, int rows, int columns)
        {
            var indices = new List<int>(rows * columns);
            for (int r = row; r < row + rows; r++)
            {
                for (int c = column; c < column + columns; c++)
                {
                    int index = _cellAt[r * _options.Columns + c];
                    if (index >= 0)
                    {
                        indices.Add(index);
                    }
                }
            }

            var parallel = new ParallelOptions
            {
                CancellationToken = _cancellationToken,
                MaxDegreeOfParallelism = _options.MaxDegreeOfParallelism > 0 ? _options.MaxDegreeOfParallelism : Environment.ProcessorCount,
            };
            try
            {
                Parallel.ForEach(indices, parallel, ProduceTile);
            }
            catch (AggregateException ex) when (ex.InnerExceptions.Count >= 1)
            {
                // Parallel.ForEach wraps whatever a tile threw; surface the first cause as itself.
                ExceptionDispatchInfo.Throw(ex.InnerExceptions.FirstOrDefault(inner => inner is OperationCanceledException) ?? ex.InnerExceptions[0]);
            }
        }

        private void ProduceTile(int index)
        {
            _cancellationToken.ThrowIfCancellationRequested();
            ImageLoadException? failure = null;
            try
            {
                int tileSize = Levels.Sizes[^1];
                using ViewerPhoto photo = _photos.Load(index, tileSize, Embedded[index] ? _options.PreviewLongSide : 0, _cancellationToken);
                if (photo.Tile.Width != tileSize || photo.Tile.Height != tileSize)
                {
                    throw new InvalidOperationException($"The photo source returned a {photo.Tile.Width}x{photo.Tile.Height} tile for '{_cells[index].Path}', not {tileSize}x{tileSize}.");
                }

                if (Embedded[index])
                {
                    Image<Rgb24> preview = photo.Preview
                        ?? throw new InvalidOperationException($"The photo source returned no copy of '{_cells[index].Path}' to embed.");
                    preview.SaveAsJpeg(Path.Combine(_temporaryAssets, PhotosFolder, index.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".jpg"), _encoder);
                }

                DrawInEveryLevel(index, photo.Tile);
            }
            catch (ImageLoadException ex)
            {
                failure = ex;
                _failed[index] = true;
            }

            _progress?.Invoke(new ViewerProgress(Interlocked.Increment(ref _completed), _cells.Count, index, failure));
        }

        /// <summary>Copies the tile into the finest atlas, then each smaller copy (made from the previous one) into the coarser ones.</summary>
        private void DrawInEveryLevel(int index, Image<Rgb24> tile)
        {
            ViewerCell cell = _cells[index];
            Image<Rgb24> current = tile;
            try
            {
                for (int level = Levels.Count - 1; level >= 0; level--)
                {
                    int size = Levels.Sizes[level];
                    if (current.Width != size)
                    {
                        Image<Rgb24> smaller = current.Clone(context => context.Resize(size, size, KnownResamplers.Triangle));
                        if (!ReferenceEquals(current, tile))
                        {
                            current.Dispose();
                        }

                        current = smaller;
                    }

                    (Image<Rgb24> atlas, int atlasRow, int atlasColumn) = _open[level]!.Value;
                    int x = (cell.Column - atlasColumn) * size;
                    int y = (cell.Row - atlasRow) * size;
                    // Each cell owns its own rectangle of the atlas, so threads copy rows side by side safely.
                    for (int line = 0; line < size; line++)
                    {
                        current.DangerousGetPixelRowMemory(line).Span.CopyTo(atlas.DangerousGetPixelRowMemory(y + line).Span.Slice(x, size));
                    }
                }
            }
            finally
            {
                if (!ReferenceEquals(current, tile))
                {
                    current.Dispose();
                }
            }
        }
    }
}
