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

    /// <summary>A placed item: Row, Column and Vector (float[], numbers or a string of numbers).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public PSObject? InputObject { get; set; }

    /// <summary>A property name, or a scriptblock run with $_ set to each item, that gives the item's label.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNull]
    public object? Label { get; set; }

    protected override void BeginProcessing()
    {
        if (Label is PSObject wrapped)
        {
            Label = wrapped.BaseObject;
        }

        if (Label is not null and not string and not ScriptBlock)
        {
            ThrowTerminatingError(new ErrorRecord(
                new PSArgumentException("-Label takes a property name or a scriptblock."),
                "LabelNotPropertyOrScriptBlock", ErrorCategory.InvalidArgument, Label));
        }
    }

    protected override void ProcessRecord()
    {
        if (InputObject is null)
        {
            return;
        }

        int item = _vectors.Count + 1;
        int row = ReadCoordinate("Row", item);
        int column = ReadCoordinate("Column", item);
        float[] vector = VectorParser.ToVector(InputObject.Properties["Vector"]?.Value, out string? problem);
        if (problem is not null)
        {
            Fail("VectorNotNumbers", ErrorCategory.InvalidData, $"Item {item} ({Describe()}): its Vector {problem} Measure-GridQuality needs the feature vectors (GridCell objects carry them).");
        }

        if (_vectors.Count > 0 && vector.Length != _vectors[0].Length)
        {
            Fail("VectorLengthMismatch", ErrorCategory.InvalidData, $"Item {item} ({Describe()}) has a {vector.Length}-dimensional vector; the first item's has {_vectors[0].Length}.");
        }

        if (Array.Exists(vector, value => !float.IsFinite(value)))
        {
            Fail("VectorNotFinite", ErrorCategory.InvalidData, $"Item {item} ({Describe()}) has a NaN or infinite value in its vector.");
        }

        _vectors.Add(vector);
        _rows.Add(row);
        _columns.Add(column);
        _gridRows = Math.Max(_gridRows, Math.Max(row + 1, ReadOptionalCount("Rows")));
        _gridColumns = Math.Max(_gridColumns, Math.Max(column + 1, ReadOptionalCount("Columns")));
        if (Label is not null)
        {
            _labels.Add(EvaluateLabel());
        }
    }

    protected override void EndProcessing()
    {
        int count = _vectors.Count;
        if (count > GridLayoutQuality.MaxItems)
        {
            ThrowTerminatingError(new ErrorRecord(
                new PSArgumentException($"Measure-GridQuality compares every pair of items (O(N² log N)) and accepts at most {GridLayoutQuality.MaxItems:N0}; it got {count:N0}. Measure a sample, e.g. one region of the grid."),
                "TooManyItems", ErrorCategory.LimitsExceeded, count));
        }

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
                result = GridLayoutQuality.Measure(matrix, count, _rows.ToArray(), _columns.ToArray(), Label is null ? null : _labels, token);
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

    private int ReadCoordinate(string name, int item)
    {
        object? value = InputObject!.Properties[name]?.Value;
        int coordinate = -1;
        if (value is not null && LanguagePrimitives.TryConvertTo(value, CultureInfo.InvariantCulture, out int parsed))
        {
            coordinate = parsed;
        }

        if (coordinate < 0)
        {
            Fail("CellMissing", ErrorCategory.InvalidData, $"Item {item} ({Describe()}) has no valid {name} (a whole number ≥ 0): '{value}'.");
        }

        return coordinate;
    }

    private int ReadOptionalCount(string name)
    {
        object? value = InputObject!.Properties[name]?.Value;
        return value is not null && LanguagePrimitives.TryConvertTo(value, CultureInfo.InvariantCulture, out int count) ? count : 0;
    }

    private string? EvaluateLabel()
    {
        object? value = Label is ScriptBlock script
            ? script.InvokeWithContext(null, [new PSVariable("_", InputObject)]) is { Count: > 0 } results ? results[0] : null
            : InputObject!.Properties[(string)Label!]?.Value;
        return value is null ? null : LanguagePrimitives.ConvertTo<string>(value);
    }

    private string Describe() => InputObject!.Properties["Path"]?.Value is { } path ? $"'{path}'" : "no Path";

    private void Fail(string errorId, ErrorCategory category, string message) =>
        ThrowTerminatingError(new ErrorRecord(new PSArgumentException(message), errorId, category, InputObject));
}
