using System.Globalization;
using System.Management.Automation;
using GridTsne.Engine.Assignment;
using GridTsne.Engine.Imaging;
using GridTsne.Infrastructure;

namespace GridTsne.Commands;

/// <summary>
/// Resolve-GridAssignment: snaps 2-D points onto grid cells with the least total displacement, an exact
/// linear assignment. Points are collected in ProcessRecord (each checked as it arrives, so an error names
/// the item) and solved in EndProcessing on a worker thread, with progress and Ctrl+C handled by
/// <see cref="GridTsneCmdlet"/>.
/// </summary>
/// <remarks>
/// Engine enums and structs stay out of fields and parameters: pwsh lays the cmdlet type out before the
/// module initializer can resolve GridTsne.Engine. They are parsed from strings inside methods.
/// </remarks>
[Cmdlet(VerbsDiagnostic.Resolve, "GridAssignment")]
[OutputType(typeof(GridCell))]
public sealed class ResolveGridAssignmentCommand : GridTsneCmdlet
{
    private const int ProgressActivityId = 5;
    private readonly List<GridCell> _cells = [];

    /// <summary>The point's horizontal position, e.g. from Invoke-Tsne.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    public double X { get; set; }

    /// <summary>The point's vertical position.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    public double Y { get; set; }

    /// <summary>The item's path, passed on.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    public string? Path { get; set; }

    /// <summary>The item's feature vector, passed on for Measure-GridQuality.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Embedding", "Features")]
    [AllowNull]
    public object? Vector { get; set; }

    /// <summary>Passed on from Get-ImageEmbedding to Export-PhotoGrid.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true, DontShow = true)]
    [ThumbnailTransformation]
    public Thumbnail? Thumbnail { get; set; }

    [Parameter]
    [ValidateRange(1, 4096)]
    public int Columns { get; set; }

    [Parameter]
    [ValidateRange(1, 4096)]
    public int Rows { get; set; }

    [Parameter]
    [ValidateSet("SquaredEuclidean", "Euclidean")]
    public string Cost { get; set; } = "SquaredEuclidean";

    [Parameter]
    [ValidateSet("Auto", "Dense", "Sparse")]
    public string Method { get; set; } = "Auto";

    protected override void ProcessRecord()
    {
        int number = _cells.Count + 1;
        string? path = Path;
        string itemName = ItemReader.ItemName(number, path);
        if (!double.IsFinite(X) || !double.IsFinite(Y))
        {
            Terminate(ItemReader.InputError(ErrorIds.CoordinateNotFinite,
                string.Create(CultureInfo.InvariantCulture, $"The {itemName} has the position ({X}, {Y}); grid assignment needs finite coordinates."),
                path ?? (object)number));
        }

        float[]? vector = null;
        if (Vector is not null)
        {
            vector = ItemReader.ToVector(Vector, out string? problem);
            if (problem is not null)
            {
                Terminate(ItemReader.VectorError(itemName, problem, Vector));
            }
        }

        _cells.Add(new GridCell { Path = path, X = X, Y = Y, Vector = vector, Thumbnail = Thumbnail });
    }

    protected override void EndProcessing()
    {
        int count = _cells.Count;
        if (count == 0)
        {
            return;
        }

        var x = new double[count];
        var y = new double[count];
        for (int i = 0; i < count; i++)
        {
            x[i] = _cells[i].X;
            y[i] = _cells[i].Y;
        }

        GridAssignmentResult result = Solve(x, y);
        for (int i = 0; i < count; i++)
        {
            GridCell cell = _cells[i];
            cell.Row = result.RowOf(i);
            cell.Column = result.ColumnOf(i);
            cell.Rows = result.Shape.Rows;
            cell.Columns = result.Shape.Columns;
            WriteObject(cell);
        }
    }

    private GridAssignmentResult Solve(double[] x, double[] y)
    {
        GridShape shape = default;
        try
        {
            shape = GridShape.ForCount(x.Length,
                MyInvocation.BoundParameters.ContainsKey(nameof(Columns)) ? Columns : null,
                MyInvocation.BoundParameters.ContainsKey(nameof(Rows)) ? Rows : null);
        }
        catch (GridShapeException ex)
        {
            Terminate(ex, ErrorIds.GridTooSmall, ErrorCategory.InvalidArgument, x.Length);
        }

        var cost = Enum.Parse<AssignmentCost>(Cost, ignoreCase: true);
        var method = Enum.Parse<AssignmentMethod>(Method, ignoreCase: true);
        GridAssignmentResult result = RunOnWorker((messages, token) =>
        {
            string activity = string.Create(CultureInfo.InvariantCulture, $"Resolve-GridAssignment: {x.Length} points onto {shape.Rows} × {shape.Columns}");
            var throttle = new ProgressThrottle();
            void Report(AssignmentProgress progress)
            {
                // The solver reports far more often than a host can show.
                if (!throttle.IsDue())
                {
                    return;
                }

                messages.WriteProgress(new ProgressRecord(ProgressActivityId, activity, progress.Activity)
                {
                    PercentComplete = Math.Clamp((int)(100 * progress.Fraction), 0, 100),
                });
            }

            GridAssignmentResult solved = GridAssigner.Assign(x, y, shape, cost, method, Report, token);
            messages.WriteProgress(new ProgressRecord(ProgressActivityId, activity, "Done") { RecordType = ProgressRecordType.Completed });
            messages.WriteVerbose(string.Create(CultureInfo.InvariantCulture,
                $"Grid {shape.Rows} rows × {shape.Columns} columns; {solved.Method} solver; total {cost} cost {solved.TotalCost:0.######} (cell units) in {solved.Elapsed.TotalSeconds:0.000} s."));
            if (solved.Sparse is { } sparse)
            {
                messages.WriteVerbose(string.Create(CultureInfo.InvariantCulture,
                    $"Sparse solver: {sparse.Levels} levels, {sparse.Bids:N0} auction bids, {sparse.Searches:N0} augmenting-path searches, {sparse.CandidateEdges:N0} candidate pairs; proven gap to the optimum {sparse.ProvenGap:0.######}{(sparse.ProvenGap == 0 ? " (optimal)" : string.Empty)}."));
            }

            return solved;
        });

        return result;
    }
}
