using System.Collections;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Language;
using GridTsne.Engine.Imaging;
using GridTsne.Engine.Rendering;
using GridTsne.Engine.Rendering.Viewer;
using GridTsne.Infrastructure;

namespace GridTsne.Commands;

/// <summary>
/// Export-PhotoGrid: draws photos into one grid image at their Row and Column (the last step of the
/// pipeline), writes it atomically, and optionally writes the layout (.csv or .json) beside it.
/// </summary>
/// <remarks>
/// No field or parameter of this class has an engine value type (enum or struct): pwsh lays out the
/// cmdlet types before the module initializer can resolve GridTsne.Engine, and a value-type field would
/// need the engine at that moment. Engine classes are fine; formats are re-derived from the paths.
/// </remarks>
[Cmdlet(VerbsData.Export, "PhotoGrid", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(FileInfo))]
public sealed class ExportPhotoGridCommand : GridTsneCmdlet
{
    private const int ProgressActivityId = 6;

    private readonly List<GridTile> _tiles = [];
    private readonly List<string?> _labels = [];
    private ItemLabel? _label;
    private int _itemCount;
    private int _inputRows;
    private int _inputColumns;
    private string _outputPath = string.Empty;
    private string? _layoutPath;
    private GridRenderOptions? _options;

    /// <summary>The file to write; its extension chooses the format.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [Alias("LiteralPath", "FilePath")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <summary>Items with Path (or FullName / PSPath), Row and Column, and optionally Rows, Columns and Thumbnail.</summary>
    [Parameter(ValueFromPipeline = true)]
    [System.Management.Automation.AllowNull]
    public PSObject?[]? InputObject { get; set; }

    [Parameter]
    [ValidateRange(1, GridOutputFormats.JpegMaxSide)]
    public int TileSize { get; set; } = 64;

    [Parameter]
    [ValidateRange(0, 4096)]
    public int Padding { get; set; }

    [Parameter]
    [ArgumentCompleter(typeof(ColorNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Background { get; set; } = "black";

    /// <summary>Cover or Contain (the engine's TileFit).</summary>
    [Parameter]
    [ValidateSet(nameof(TileFit.Cover), nameof(TileFit.Contain), IgnoreCase = true)]
    public string Fit { get; set; } = nameof(TileFit.Cover);

    [Parameter]
    [ValidateRange(1, 100)]
    public int Quality { get; set; } = GridRenderOptions.DefaultQuality;

    /// <summary>Number of columns; by default the input's Columns property, or enough for the largest Column.</summary>
    [Parameter]
    [ValidateRange(1, 1_000_000)]
    public int Columns { get; set; }

    /// <summary>Number of rows; by default the input's Rows property, or enough for the largest Row.</summary>
    [Parameter]
    [ValidateRange(1, 1_000_000)]
    public int Rows { get; set; }

    /// <summary>Also write the layout to this .csv or .json file.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? LayoutPath { get; set; }

    /// <summary>For the .html viewer: each photo's label, from a property name or a script block run with $_ = the item.</summary>
    [Parameter]
    [ValidateNotNull]
    public object? Label { get; set; }

    [Parameter]
    [Alias("NoOverwrite")]
    public SwitchParameter NoClobber { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void BeginProcessing()
    {
        // Everything that can be refused is refused here, before a single photo is read.
        _outputPath = ResolveOutputFile(Path, "Path");
        GridOutputFormat? format = GridOutputFormats.FromPath(_outputPath);
        if (format is null)
        {
            Terminate(new PSArgumentException(
                    $"Export-PhotoGrid cannot tell the format of '{_outputPath}' from its extension. Use one of {GridOutputFormats.ImageExtensionList}."),
                ErrorIds.OutputFormatUnknown, ErrorCategory.InvalidArgument, Path);
        }

        if (!format!.Value.IsImage())
        {
            try
            {
                PhotoGridViewerWriter.CheckTarget(_outputPath);
            }
            catch (IOException ex)
            {
                Terminate(ex, ErrorIds.ViewerAssetsFolderInUse, ErrorCategory.ResourceExists, Path);
            }
        }

        _label = ItemLabel.FromParameter(this, Label);
        if (_label is not null && format.Value.IsImage())
        {
            WriteWarning("-Label is shown by the .html viewer only; the image has no labels.");
        }

        if (LayoutPath is not null)
        {
            _layoutPath = ResolveOutputFile(LayoutPath, "LayoutPath");
            GridLayoutFileFormat? layoutFormat = GridLayoutFile.FromPath(_layoutPath);
            if (layoutFormat is null)
            {
                Terminate(new PSArgumentException($"-LayoutPath must end in .csv or .json, not '{System.IO.Path.GetExtension(_layoutPath)}'."),
                    ErrorIds.LayoutFormatUnknown, ErrorCategory.InvalidArgument, LayoutPath);
            }
        }

        try
        {
            _options = new GridRenderOptions { Background = RgbColor.Parse(Background), Fit = Enum.Parse<TileFit>(Fit, ignoreCase: true), Quality = Quality };
        }
        catch (FormatException ex)
        {
            Terminate(new PSArgumentException(ex.Message, ex), ErrorIds.BackgroundInvalid, ErrorCategory.InvalidArgument, Background);
        }

        if (MyInvocation.BoundParameters.ContainsKey(nameof(Quality)) && !OutputFormat.UsesQuality())
        {
            WriteWarning($"-Quality applies to JPEG, WebP and the .html viewer's tiles only; {OutputFormat.DisplayName()} is written losslessly.");
        }
    }

    protected override void ProcessRecord()
    {
        if (InputObject is null)
        {
            return;
        }

        foreach (PSObject? item in InputObject)
        {
            if (item is null)
            {
                continue;
            }

            string itemName = ItemReader.ItemName(++_itemCount, ItemReader.ReadPath(item));
            if (TryReadTile(item, itemName, out GridTile? tile, out int rows, out int columns))
            {
                _tiles.Add(tile!);
                _labels.Add(_label?.Read(this, item, itemName));
                _inputRows = Math.Max(_inputRows, rows);
                _inputColumns = Math.Max(_inputColumns, columns);
            }
        }
    }

    protected override void EndProcessing()
    {
        GridLayout layout = CreateLayout();
        GridRenderOptions options = _options!;
        try
        {
            if (OutputFormat.IsImage())
            {
                CanvasLimits.Check(layout, OutputFormat, options.MemoryBudgetBytes);
            }
            else
            {
                PhotoGridViewerWriter.CheckLayout(layout);
            }
        }
        catch (GridLayoutException ex)
        {
            Terminate(ex, ErrorIds.CanvasTooLarge, ErrorCategory.LimitsExceeded, Path);
        }

        _label?.WarnIfPropertyUnseen(this, _tiles.Count, "the viewer shows no labels.");

        WriteVerbose(string.Create(CultureInfo.InvariantCulture,
            $"Grid of {layout.Rows:N0} rows × {layout.Columns:N0} columns, {layout.TileSize} px tiles: {layout.Width:N0} × {layout.Height:N0} px, {layout.Tiles.Count:N0} photos ({options.Fit})."));
        bool writeGrid = ShouldProcess(_outputPath, OutputFormat.IsImage()
            ? string.Create(CultureInfo.InvariantCulture, $"Write a {layout.Width:N0} × {layout.Height:N0} px {OutputFormat.DisplayName()} grid of {layout.Tiles.Count:N0} photos")
            : string.Create(CultureInfo.InvariantCulture, $"Write an interactive viewer of {layout.Tiles.Count:N0} photos ({layout.Rows:N0} × {layout.Columns:N0}) and its folder '{System.IO.Path.GetFileName(PhotoGridViewerWriter.AssetsDirectoryFor(_outputPath))}'"));
        bool writeLayout = _layoutPath is not null
            && ShouldProcess(_layoutPath, string.Create(CultureInfo.InvariantCulture, $"Write the layout of {layout.Tiles.Count:N0} photos"));
        if (!writeGrid && !writeLayout)
        {
            return;
        }

        try
        {
            RunOnWorker((messages, token) =>
            {
                if (writeGrid)
                {
                    WriteGrid(layout, options, messages, token);
                }

                if (writeLayout)
                {
                    GridLayoutFile.Write(layout, _layoutPath!, GridLayoutFile.FromPath(_layoutPath!)!.Value, options, writeGrid ? _outputPath : null, overwrite: !NoClobber, token);
                    messages.WriteVerbose($"Wrote the layout to '{_layoutPath}'.");
                }
            });
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Terminate(ex, ErrorIds.OutputWriteFailed,
                ex is UnauthorizedAccessException ? ErrorCategory.PermissionDenied : ErrorCategory.WriteError, Path);
        }

        if (PassThru && writeGrid)
        {
            WriteObject(SessionState.InvokeProvider.Item.Get([_outputPath], force: true, literalPath: true), enumerateCollection: true);
        }
    }

    /// <summary>
    /// Writes the grid in the chosen output format. The image formats go through the renderer; another
    /// output kind (the viewer) adds its writer here, sharing the layout, tile decoding and atomic writing.
    /// </summary>
    private void WriteGrid(GridLayout layout, GridRenderOptions options, WorkerMessages messages, CancellationToken token)
    {
        var progress = new ProgressReporter(messages, _outputPath);
        var callbacks = new GridRenderCallbacks { TileFailed = progress.TileFailed, TileDone = progress.TileDone, Writing = progress.Writing };
        if (!OutputFormat.IsImage())
        {
            ViewerWriteResult viewer = PhotoGridViewerWriter.Write(layout, _label is null ? null : _labels, _outputPath, options, overwrite: !NoClobber, callbacks, token);
            progress.Complete();
            messages.WriteVerbose(string.Create(CultureInfo.InvariantCulture,
                $"Drew {layout.Tiles.Count:N0} tiles at {string.Join(", ", viewer.LevelSizes)} px in {viewer.DrawTime.TotalSeconds:0.00} s ({viewer.FromThumbnails:N0} from thumbnails, {viewer.Failed:N0} unreadable); wrote '{_outputPath}' and {viewer.FileCount - 1:N0} files in '{viewer.AssetsDirectory}', {viewer.TotalBytes / 1048576.0:0.0} MB in all. {viewer.Linked:N0} photos link to their original, {viewer.Embedded:N0} open a copy stored with the page."));
            return;
        }

        GridRenderResult result = PhotoGridRenderer.WriteImage(layout, _outputPath, OutputFormat, options, overwrite: !NoClobber, callbacks, token);
        progress.Complete();
        messages.WriteVerbose(string.Create(CultureInfo.InvariantCulture,
            $"Drew {result.Tiles:N0} tiles in {result.DrawTime.TotalSeconds:0.00} s ({result.FromThumbnails:N0} from thumbnails, {result.FromOriginals:N0} decoded from the originals, {result.Failed:N0} unreadable); wrote '{_outputPath}' in {result.WriteTime.TotalSeconds:0.00} s."));
    }

    /// <summary>The output format, checked in BeginProcessing.</summary>
    private GridOutputFormat OutputFormat => GridOutputFormats.FromPath(_outputPath)!.Value;

    private GridLayout CreateLayout()
    {
        // An explicit -Rows / -Columns wins; else the size the input carries; else what the cells need.
        bool rowsGiven = MyInvocation.BoundParameters.ContainsKey(nameof(Rows));
        bool columnsGiven = MyInvocation.BoundParameters.ContainsKey(nameof(Columns));
        int rows = rowsGiven ? Rows : _inputRows;
        int columns = columnsGiven ? Columns : _inputColumns;
        GridLayout? layout = null;
        try
        {
            layout = GridLayout.Create(_tiles, rows, columns, TileSize, Padding);
        }
        catch (GridLayoutException ex)
        {
            string hint = ex.Problem != GridLayoutProblem.CellOutsideGrid ? string.Empty
                : rowsGiven || columnsGiven ? " Raise -Rows / -Columns, or leave them out to size the grid from the input."
                : " The input's Rows and Columns properties give that size; give -Rows and -Columns to override it.";
            string id = ex.Problem switch
            {
                GridLayoutProblem.DuplicateCell => ErrorIds.DuplicateCell,
                GridLayoutProblem.CellOutsideGrid => ErrorIds.CellOutsideGrid,
                _ => ErrorIds.NoInput,
            };
            Terminate(new GridLayoutException(ex.Problem, ex.Message + hint, ex.Tile), id, ErrorCategory.InvalidData, ex.Tile?.Path);
        }

        return layout;
    }

    /// <summary>Reads one input item; a missing or invalid property gets an error naming the item, and the item is skipped.</summary>
    private bool TryReadTile(PSObject item, string itemName, out GridTile? tile, out int rows, out int columns)
    {
        tile = null;
        rows = columns = 0;
        string? path = ItemReader.ReadPath(item);
        if (path is null)
        {
            WriteError(ItemReader.InputError(ErrorIds.InputPathMissing,
                $"The {itemName} ('{ItemReader.Describe(item)}') has no Path (or FullName / PSPath) property naming a photo.", item));
            return false;
        }

        if (ItemReader.ReadCell(item, itemName, "Export-PhotoGrid", out ItemCell cell) is { } error)
        {
            WriteError(error);
            return false;
        }

        string? resolved = ResolvePhotoPath(path);
        if (resolved is null)
        {
            return false;
        }

        (rows, columns) = (cell.Rows, cell.Columns);
        Thumbnail? thumbnail = item.BaseObject is GridCell typed ? typed.Thumbnail
            : ThumbnailConversion.FromObject(item.Properties[nameof(GridCell.Thumbnail)]?.Value);
        tile = new GridTile(resolved, cell.Row, cell.Column, thumbnail);
        return true;
    }

    /// <summary>
    /// A photo path as a file-system path. An absolute path needs no provider (resolving each of 10,000
    /// through the session would cost a second); others resolve from the current location, and paths on
    /// other providers get an error.
    /// </summary>
    private string? ResolvePhotoPath(string path)
    {
        if (System.IO.Path.IsPathFullyQualified(path))
        {
            return System.IO.Path.GetFullPath(path);
        }

        IReadOnlyList<string> resolved = ResolveInputPaths([path], literal: true);
        return resolved.Count == 0 ? null : resolved[0];
    }

    /// <summary>Resolves an output path and checks, before any work, that it can be written.</summary>
    private string ResolveOutputFile(string path, string parameterName)
    {
        string resolved = ProviderPaths.ResolveOutput(this, path);
        string? folder = System.IO.Path.GetDirectoryName(resolved);
        if (Directory.Exists(resolved))
        {
            Terminate(new PSArgumentException($"-{parameterName} '{resolved}' is a folder; give a file name."), ErrorIds.OutputIsFolder, ErrorCategory.InvalidArgument, path);
        }

        if (folder is null || !Directory.Exists(folder))
        {
            Terminate(new DirectoryNotFoundException($"The folder '{folder}' of -{parameterName} does not exist. Create it first (New-Item -ItemType Directory)."),
                ErrorIds.OutputFolderNotFound, ErrorCategory.ObjectNotFound, path);
        }

        if (File.Exists(resolved))
        {
            if (NoClobber)
            {
                Terminate(new IOException($"The file '{resolved}' already exists, and -NoClobber forbids replacing it."),
                    ErrorIds.NoClobber, ErrorCategory.ResourceExists, path);
            }

            if (new FileInfo(resolved).IsReadOnly)
            {
                Terminate(new UnauthorizedAccessException($"The file '{resolved}' is read-only; Export-PhotoGrid does not replace it."),
                    ErrorIds.OutputReadOnly, ErrorCategory.PermissionDenied, path);
            }
        }

        return resolved;
    }

    /// <summary>
    /// Queues Write-Progress for the tiles from the worker threads: every tile counts, but a record is queued
    /// when the <see cref="ProgressThrottle"/> lets it (and for the last tile), so a fast render is not slowed by the host.
    /// </summary>
    private sealed class ProgressReporter(WorkerMessages messages, string path)
    {
        private readonly string _activity = $"Export-PhotoGrid {System.IO.Path.GetFileName(path)}";
        private readonly ProgressThrottle _throttle = new();

        public void TileFailed(GridTile tile, ImageLoadException error) => messages.WriteError(ImageErrors.ToErrorRecord(error));

        public void TileDone(TileProgress tile)
        {
            (int completed, int total) = (tile.Completed, tile.Total);
            if (completed != total && !_throttle.IsDue())
            {
                return;
            }

            messages.WriteProgress(new ProgressRecord(ProgressActivityId, _activity,
                string.Create(CultureInfo.InvariantCulture, $"Tile {completed:N0} of {total:N0}"))
            {
                PercentComplete = (int)(100L * completed / Math.Max(1, total)),
                CurrentOperation = System.IO.Path.GetFileName(tile.Tile.Path),
            });
        }

        /// <summary>
        /// Before the file is written, waits until every tile's error has reached the pipeline: under
        /// -ErrorAction Stop the first one stops the command, and then nothing must be written.
        /// </summary>
        public void Writing(string file)
        {
            messages.WriteProgress(new ProgressRecord(ProgressActivityId, _activity, $"Writing {System.IO.Path.GetFileName(file)}") { PercentComplete = 100 });
            messages.WaitUntilDelivered();
        }

        public void Complete() =>
            messages.WriteProgress(new ProgressRecord(ProgressActivityId, _activity, "Done") { RecordType = ProgressRecordType.Completed });
    }

    /// <summary>Tab-completes -Background with the colour names RgbColor accepts.</summary>
    private sealed class ColorNameCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters) =>
            RgbColor.KnownNames
                .Where(name => name.StartsWith(wordToComplete.Trim('\'', '"'), StringComparison.OrdinalIgnoreCase))
                .Select(name => new CompletionResult(name));
    }
}
