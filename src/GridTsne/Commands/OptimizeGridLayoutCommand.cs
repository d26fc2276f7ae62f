using System.Globalization;
using System.Management.Automation;
using GridTsne.Engine.Assignment;
using GridTsne.Engine.Layout;
using GridTsne.Infrastructure;

namespace GridTsne.Commands;

/// <summary>
/// Optimize-GridLayout: rearranges a grid layout (GridCell objects, or anything with Row, Column and Vector)
/// so that neighboring cells hold items that are close in feature space, on the same grid. Items are checked
/// as they arrive (so an error names the item) and collected; the optimization runs in EndProcessing on a
/// worker thread. Each item comes out as a new GridCell in input order, with every other property passed on.
/// </summary>
/// <remarks>
/// Engine types stay out of fields and parameters: pwsh lays the cmdlet type out before the module
/// initializer can resolve GridTsne.Engine.
/// </remarks>
[Cmdlet(VerbsCommon.Optimize, "GridLayout")]
[OutputType(typeof(GridCell))]
public sealed class OptimizeGridLayoutCommand : GridTsneCmdlet
{
    private const int ProgressActivityId = 8;
    private static readonly HashSet<string> CellProperties = new(StringComparer.OrdinalIgnoreCase)
    {
        nameof(GridCell.Path), nameof(GridCell.Row), nameof(GridCell.Column), nameof(GridCell.X), nameof(GridCell.Y),
        nameof(GridCell.Vector), nameof(GridCell.Rows), nameof(GridCell.Columns), nameof(GridCell.Thumbnail),
    };

    private readonly List<PSObject> _items = [];
    private readonly List<float[]> _vectors = [];
    private readonly List<int> _rows = [];
    private readonly List<int> _columns = [];
    private readonly Dictionary<(int Row, int Column), int> _itemAtCell = [];
    private int _gridRows;
    private int _gridColumns;

    /// <summary>A placed item: Row, Column and Vector (float[], numbers or a string of numbers).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public PSObject? InputObject { get; set; }

    /// <summary>Seed of the random choices: the same seed gives the same layout on any machine and thread count.</summary>
    [Parameter]
    public int Seed { get; set; } = 42;

    /// <summary>Radius in cells of the first sorting round; 0 (the default) picks a fifth of the grid's longer side.</summary>
    [Parameter]
    [ValidateRange(0.0, 4096.0)]
    public double InitialRadius { get; set; }

    /// <summary>Cells exchanged by one exact assignment in the sorting rounds.</summary>
    [Parameter]
    [ValidateRange(2, 64)]
    public int SwapSize { get; set; } = 49;

    protected override void ProcessRecord()
    {
        if (InputObject is null)
        {
            return;
        }

        // Every problem stops the command: a layout optimized without some of its items would mislead.
        int number = _items.Count + 1;
        string itemName = ItemReader.ItemName(number, ItemReader.ReadPath(InputObject));
        if (ItemReader.ReadCell(InputObject, itemName, "Optimize-GridLayout", out ItemCell cell) is { } cellError)
        {
            Terminate(cellError);
        }

        if ((cell.Rows > 0 && cell.Row >= cell.Rows) || (cell.Columns > 0 && cell.Column >= cell.Columns))
        {
            Terminate(ItemReader.InputError(ErrorIds.CellOutsideGrid, $"The {itemName} is at row {cell.Row}, column {cell.Column}, outside its own grid of {cell.Rows} rows × {cell.Columns} columns.", InputObject));
        }

        if (ItemReader.ReadVector(InputObject, itemName, out float[] vector) is { } vectorError)
        {
            Terminate(vectorError);
        }

        if (vector.Length == 0)
        {
            Terminate(ItemReader.InputError(ErrorIds.VectorEmpty, $"The vector of {itemName} is empty.", InputObject));
        }

        if (_vectors.Count > 0 && vector.Length != _vectors[0].Length)
        {
            Terminate(ItemReader.InputError(ErrorIds.VectorLengthMismatch, $"The {itemName} has a {vector.Length}-dimensional vector; the first item's has {_vectors[0].Length}. Every item must come from the same model.", InputObject));
        }

        if (Array.Exists(vector, v => !float.IsFinite(v)))
        {
            Terminate(ItemReader.InputError(ErrorIds.VectorNotFinite, $"The {itemName} has a NaN or infinite value in its vector.", InputObject));
        }

        if (!_itemAtCell.TryAdd((cell.Row, cell.Column), number))
        {
            Terminate(ItemReader.InputError(ErrorIds.DuplicateCell, $"The {itemName} and input item {_itemAtCell[(cell.Row, cell.Column)]} are both at row {cell.Row}, column {cell.Column}; a layout has one item per cell.", InputObject));
        }

        _items.Add(InputObject);
        _vectors.Add(vector);
        _rows.Add(cell.Row);
        _columns.Add(cell.Column);
        _gridRows = Math.Max(_gridRows, Math.Max(cell.Row + 1, cell.Rows));
        _gridColumns = Math.Max(_gridColumns, Math.Max(cell.Column + 1, cell.Columns));
    }

    protected override void EndProcessing()
    {
        int count = _items.Count;
        if (count == 0)
        {
            return;
        }

        if ((long)_gridRows * _gridColumns > GridShape.MaxCells)
        {
            Terminate(new PSArgumentException($"The items span {_gridRows:N0} rows × {_gridColumns:N0} columns, more than the {GridShape.MaxCells:N0} cells a grid may have."),
                ErrorIds.CellOutsideGrid, ErrorCategory.LimitsExceeded, count);
        }

        var shape = new GridShape(_gridRows, _gridColumns);
        int dimensions = _vectors[0].Length;
        if ((long)count * dimensions > Array.MaxLength)
        {
            Terminate(new PSArgumentException($"{count:N0} vectors of {dimensions} numbers exceed the largest array .NET allows; optimize the layout in parts."),
                ErrorIds.TooManyItems, ErrorCategory.LimitsExceeded, count);
        }

        var matrix = new float[count * dimensions];
        var cells = new int[count];
        for (int i = 0; i < count; i++)
        {
            _vectors[i].CopyTo(matrix, i * dimensions);
            cells[i] = (_rows[i] * shape.Columns) + _columns[i];
        }

        var options = new GridLayoutOptions { Seed = Seed, InitialRadius = InitialRadius, SwapSize = SwapSize };
        GridLayoutResult result = RunOnWorker((messages, token) =>
        {
            string activity = string.Create(CultureInfo.InvariantCulture, $"Optimize-GridLayout: {count:N0} items on {shape.Rows} × {shape.Columns}");
            var throttle = new ProgressThrottle();
            void Report(GridLayoutProgress progress)
            {
                // The optimizer reports after every round, far more often than a host redraws.
                if (!throttle.IsDue())
                {
                    return;
                }

                messages.WriteProgress(new ProgressRecord(ProgressActivityId, activity, progress.Activity)
                {
                    PercentComplete = Math.Clamp((int)(100 * progress.Fraction), 0, 100),
                });
            }

            GridLayoutResult optimized = GridLayoutOptimizer.Optimize(matrix, count, shape, cells, options, Report, token);
            messages.WriteProgress(new ProgressRecord(ProgressActivityId, activity, "Done") { RecordType = ProgressRecordType.Completed });
            string scored = optimized.ScoredItems == count ? "exact" : string.Create(CultureInfo.InvariantCulture, $"estimated on {optimized.ScoredItems:N0} of the items' neighborhoods");
            messages.WriteVerbose(string.Create(CultureInfo.InvariantCulture,
                $"DPQ16 {optimized.DpqBefore:0.0000} before, {optimized.DpqAfter:0.0000} after ({scored}); kept the {Describe(optimized.Chosen)}{(optimized.RankSwapsKept ? ", then swaps between neighbors driven by DPQ16" : "")}; {optimized.Rounds} sorting rounds, {optimized.Moves:N0} moves, {optimized.Elapsed.TotalSeconds:0.00} s."));
            return optimized;
        });

        for (int i = 0; i < count; i++)
        {
            WriteObject(Rearranged(_items[i], _vectors[i], result.CellOfItem[i] / shape.Columns, result.CellOfItem[i] % shape.Columns, shape.Rows, shape.Columns));
        }
    }

    private static string Describe(GridLayoutCandidate candidate) => candidate switch
    {
        GridLayoutCandidate.Sorted => "sorted layout (FLAS rounds, then neighbor swaps)",
        GridLayoutCandidate.Refined => "input layout improved by neighbor swaps",
        _ => "input layout (no candidate scored higher)",
    };

    /// <summary>A new GridCell at the new place, with the item's own values and every extra property.</summary>
    private static PSObject Rearranged(PSObject item, float[] vector, int row, int column, int rows, int columns)
    {
        var cell = new GridCell { Row = row, Column = column, Rows = rows, Columns = columns, Vector = vector };
        if (item.BaseObject is GridCell typed)
        {
            cell.Path = typed.Path;
            cell.X = typed.X;
            cell.Y = typed.Y;
            cell.Thumbnail = typed.Thumbnail;
        }
        else
        {
            cell.Path = ItemReader.ReadPath(item);
            cell.X = ReadCoordinate(item, "X");
            cell.Y = ReadCoordinate(item, "Y");
        }

        var output = new PSObject(cell);
        foreach (PSPropertyInfo property in item.Properties)
        {
            if (!CellProperties.Contains(property.Name) && (item.BaseObject is not GridCell || property is PSNoteProperty))
            {
                output.Properties.Add(new PSNoteProperty(property.Name, property.Value));
            }
        }

        return output;
    }

    private static double ReadCoordinate(PSObject item, string name) =>
        ItemReader.Property(item, name) is { } value && LanguagePrimitives.TryConvertTo(value, CultureInfo.InvariantCulture, out double number) ? number : 0;
}
