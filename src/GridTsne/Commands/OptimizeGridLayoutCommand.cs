using System.Globalization;
using System.Management.Automation;
using GridTsne.Engine.Assignment;
using GridTsne.Engine.Layout;
using GridTsne.Infrastructure;

namespace GridTsne.Commands;

/// <summary>
/// Optimize-GridLayout: rearranges a grid layout (GridCell objects, or anything with Row, Column and Vector)
/// so that neighbouring cells hold items that are close in feature space, on the same grid. Items are checked
/// as they arrive (so an error names the item) and collected; the optimisation runs in EndProcessing on a
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

        int number = _items.Count + 1;
        string name = ItemName(number);
        int row = ReadIndex("Row", name, required: true);
        int column = ReadIndex("Column", name, required: true);
        int rows = ReadIndex("Rows", name, required: false);
        int columns = ReadIndex("Columns", name, required: false);
        if ((rows > 0 && row >= rows) || (columns > 0 && column >= columns))
        {
            Fail("CellOutsideGrid", $"The {name} is at row {row}, column {column}, outside its own grid of {rows} rows × {columns} columns.");
        }

        object? value = InputObject.BaseObject is GridCell { Vector: { } typed } ? typed : InputObject.Properties["Vector"]?.Value;
        float[] vector = VectorParser.ToVector(value, out string? problem);
        if (problem is not null)
        {
            Fail("VectorNotNumeric", $"The vector of {name} {problem} Optimize-GridLayout arranges items by their feature vectors (GridCell objects carry them).");
        }

        if (vector.Length == 0)
        {
            Fail("VectorEmpty", $"The vector of {name} is empty.");
        }

        if (_vectors.Count > 0 && vector.Length != _vectors[0].Length)
        {
            Fail("VectorLengthMismatch", $"The {name} has a {vector.Length}-dimensional vector; the first item's has {_vectors[0].Length}. Every item must come from the same model.");
        }

        if (Array.Exists(vector, v => !float.IsFinite(v)))
        {
            Fail("VectorNotFinite", $"The vector of {name} has a NaN or infinite value.");
        }

        if (!_itemAtCell.TryAdd((row, column), number))
        {
            Fail("DuplicateCell", $"The {name} and input item {_itemAtCell[(row, column)]} are both at row {row}, column {column}; a layout has one item per cell.");
        }

        _items.Add(InputObject);
        _vectors.Add(vector);
        _rows.Add(row);
        _columns.Add(column);
        _gridRows = Math.Max(_gridRows, Math.Max(row + 1, rows));
        _gridColumns = Math.Max(_gridColumns, Math.Max(column + 1, columns));
    }

    protected override void EndProcessing()
    {
        int count = _items.Count;
        if (count == 0)
        {
            return;
        }

        GridShape shape;
        try
        {
            shape = new GridShape(_gridRows, _gridColumns);
        }
        catch (GridShapeException ex)
        {
            ThrowTerminatingError(new ErrorRecord(ex, "CellOutsideGrid", ErrorCategory.InvalidData, count));
            throw; // Not reached: ThrowTerminatingError throws.
        }

        int dimensions = _vectors[0].Length;
        var matrix = new float[(long)count * dimensions <= Array.MaxLength ? count * dimensions : throw new PSArgumentException($"{count:N0} vectors of {dimensions} numbers exceed the largest array .NET allows.")];
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
            var lastReport = System.Diagnostics.Stopwatch.StartNew();
            bool first = true;
            void Report(GridLayoutProgress progress)
            {
                // At most five updates a second: the optimizer reports after every round.
                if (!first && lastReport.ElapsedMilliseconds < 200)
                {
                    return;
                }

                first = false;
                lastReport.Restart();
                messages.WriteProgress(new ProgressRecord(ProgressActivityId, activity, progress.Activity)
                {
                    PercentComplete = Math.Clamp((int)(100 * progress.Fraction), 0, 100),
                });
            }

            GridLayoutResult optimized = GridLayoutOptimizer.Optimize(matrix, count, shape, cells, options, Report, token);
            messages.WriteProgress(new ProgressRecord(ProgressActivityId, activity, "Done") { RecordType = ProgressRecordType.Completed });
            string scored = optimized.ScoredItems == count ? "exact" : string.Create(CultureInfo.InvariantCulture, $"estimated on {optimized.ScoredItems:N0} of the items' neighbourhoods");
            messages.WriteVerbose(string.Create(CultureInfo.InvariantCulture,
                $"DPQ16 {optimized.DpqBefore:0.0000} before, {optimized.DpqAfter:0.0000} after ({scored}); kept the {Describe(optimized.Chosen)}; {optimized.Rounds} sorting rounds, {optimized.Moves:N0} moves, {optimized.Elapsed.TotalSeconds:0.00} s."));
            return optimized;
        });

        for (int i = 0; i < count; i++)
        {
            WriteObject(Rearranged(_items[i], _vectors[i], result.CellOfItem[i] / shape.Columns, result.CellOfItem[i] % shape.Columns, shape.Rows, shape.Columns));
        }
    }

    private static string Describe(GridLayoutCandidate candidate) => candidate switch
    {
        GridLayoutCandidate.Sorted => "sorted layout (FLAS rounds, then neighbour swaps)",
        GridLayoutCandidate.Refined => "input layout improved by neighbour swaps",
        _ => "input layout unchanged (no candidate scored higher)",
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
            cell.Path = item.Properties["Path"]?.Value?.ToString();
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
        item.Properties[name]?.Value is { } value && LanguagePrimitives.TryConvertTo(value, CultureInfo.InvariantCulture, out double number) ? number : 0;

    private int ReadIndex(string name, string itemName, bool required)
    {
        object? value = InputObject!.Properties[name]?.Value;
        if (value is PSObject wrapped)
        {
            value = wrapped.BaseObject;
        }

        if (value is null || (value is string text && string.IsNullOrWhiteSpace(text)))
        {
            if (required)
            {
                Fail("InputCellMissing", $"The {itemName} has no {name} property; Optimize-GridLayout needs Row and Column (from Resolve-GridAssignment).");
            }

            return 0;
        }

        if (!LanguagePrimitives.TryConvertTo(value, CultureInfo.InvariantCulture, out int number) || number < 0)
        {
            Fail("InputCellInvalid", $"The {name} of {itemName} is '{value}', not a whole number of 0 or more.");
        }

        return number;
    }

    private string ItemName(int number) =>
        InputObject!.Properties["Path"]?.Value is { } path && path.ToString() is { Length: > 0 } text
            ? string.Create(CultureInfo.InvariantCulture, $"input item {number} ('{text}')")
            : string.Create(CultureInfo.InvariantCulture, $"input item {number}");

    private void Fail(string errorId, string message) =>
        ThrowTerminatingError(new ErrorRecord(new PSArgumentException(message), errorId, ErrorCategory.InvalidData, InputObject));
}
