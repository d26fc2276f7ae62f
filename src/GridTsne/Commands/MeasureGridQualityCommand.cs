using System.Globalization;
using System.Management.Automation;
using GridTsne.Engine.Quality;
using GridTsne.Infrastructure;

namespace GridTsne.Commands;

/// <summary>
/// Measure-GridQuality: scores how well a grid layout keeps feature-space neighbours together. Items
/// (GridCell objects, or anything with Row, Column and Vector) are collected in ProcessRecord, where the
/// -Label scriptblock also runs (scriptblocks belong on the pipeline thread); the scores are computed in
/// EndProcessing on a worker thread.
/// </summary>
[Cmdlet(VerbsDiagnostic.Measure, "GridQuality")]
[OutputType(typeof(GridQuality))]
public sealed class MeasureGridQualityCommand : GridTsneCmdlet
{
    private const int ProgressActivityId = 7;
    private readonly List<float[]> _vectors = [];
    private readonly List<int> _rows = [];
    private readonly List<int> _columns = [];
    private readonly List<string?> _labels = [];
    private int _gridRows;
    private int _gridColumns;
    private readonly Dictionary<(int Row, int Column), string> _itemInCell = [];
    private ItemLabel? _label;

    /// <summary>A placed item: Row, Column and Vector (float[], numbers or a string of numbers).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public PSObject? InputObject { get; set; }

    /// <summary>A property name, or a scriptblock run with $_ set to each item, that gives the item's label.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNull]
    public object? Label { get; set; }

    protected override void BeginProcessing() => _label = ItemLabel.FromParameter(this, Label);

    protected override void ProcessRecord()
    {
        if (InputObject is null)
        {
            return;
        }

        // Every problem stops the command: a score over the items that happened to be readable would mislead.
        string itemName = ItemReader.ItemName(_vectors.Count + 1, ItemReader.ReadPath(InputObject));
        if (ItemReader.ReadCell(InputObject, itemName, "Measure-GridQuality", out ItemCell cell) is { } cellError)
        {
            Terminate(cellError);
        }

        if (!_itemInCell.TryAdd((cell.Row, cell.Column), itemName))
        {
            Terminate(ItemReader.InputError(ErrorIds.DuplicateCell,
                $"The {_itemInCell[(cell.Row, cell.Column)]} and the {itemName} share the cell at row {cell.Row}, column {cell.Column}.", InputObject));
        }

        if (ItemReader.ReadVector(InputObject, itemName, out float[] vector) is { } vectorError)
        {
            Terminate(vectorError);
        }

        if (_vectors.Count > 0 && vector.Length != _vectors[0].Length)
        {
            Terminate(ItemReader.InputError(ErrorIds.VectorLengthMismatch, $"The {itemName} has a {vector.Length}-dimensional vector; the first item's has {_vectors[0].Length}.", InputObject));
        }

        if (Array.Exists(vector, value => !float.IsFinite(value)))
        {
            Terminate(ItemReader.InputError(ErrorIds.VectorNotFinite, $"The {itemName} has a NaN or infinite value in its vector.", InputObject));
        }

        _vectors.Add(vector);
        _rows.Add(cell.Row);
        _columns.Add(cell.Column);
        _gridRows = Math.Max(_gridRows, Math.Max(cell.Row + 1, cell.Rows));
        _gridColumns = Math.Max(_gridColumns, Math.Max(cell.Column + 1, cell.Columns));
        if (_label is not null)
        {
            _labels.Add(_label.Read(this, InputObject, itemName));
        }
    }

    protected override void EndProcessing()
    {
        int count = _vectors.Count;
        if (count > GridLayoutQuality.MaxItems)
        {
            Terminate(new PSArgumentException($"Measure-GridQuality compares every pair of items (O(N² log N)) and accepts at most {GridLayoutQuality.MaxItems:N0}; it got {count:N0}. Measure a sample, e.g. one region of the grid."),
                ErrorIds.TooManyItems, ErrorCategory.LimitsExceeded, count);
        }

        _label?.WarnIfPropertyUnseen(this, count, "every item counts as having the same (empty) label.");
        int dimensions = count > 0 ? _vectors[0].Length : 0;
        var matrix = new float[count * dimensions];
        for (int i = 0; i < count; i++)
        {
            _vectors[i].CopyTo(matrix, i * dimensions);
        }

        GridLayoutScores scores = RunOnWorker((messages, token) =>
        {
            messages.WriteProgress(new ProgressRecord(ProgressActivityId, "Measure-GridQuality", $"Comparing {count:N0} items pairwise"));
            var started = System.Diagnostics.Stopwatch.StartNew();
            GridLayoutScores result;
            try
            {
                result = GridLayoutQuality.Measure(matrix, count, _rows.ToArray(), _columns.ToArray(), _label is null ? null : _labels, token);
            }
            catch (ArgumentException ex)
            {
                throw new PSArgumentException(ex.Message, ex);
            }

            messages.WriteVerbose(string.Create(CultureInfo.InvariantCulture, $"Measured {count} items in {started.Elapsed.TotalSeconds:0.00} s."));
            messages.WriteProgress(new ProgressRecord(ProgressActivityId, "Measure-GridQuality", "Done") { RecordType = ProgressRecordType.Completed });
            return result;
        });

        WriteObject(new GridQuality
        {
            Count = count,
            Rows = _gridRows,
            Columns = _gridColumns,
            Dpq16 = scores.Dpq16,
            NeighborDistanceRatio = scores.NeighborDistanceRatio,
            LabelAgreement = scores.LabelAgreement,
            RandomLabelAgreement = scores.RandomLabelAgreement,
        });
    }
}
