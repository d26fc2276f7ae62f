using System.Diagnostics;

namespace GridTsne.Engine.Assignment;

/// <summary>
/// Snaps 2-D points onto the cells of a grid so that the total displacement cost is minimal (a linear
/// assignment problem), exactly. Points are min-max scaled per axis onto the cell centres first, so costs are
/// in cell units: a move by one cell costs 1.
/// </summary>
public static class GridAssigner
{
    /// <summary>
    /// <see cref="AssignmentMethod.Auto"/> uses the dense solver up to this many points and the sparse one above.
    /// The measured crossover on clustered t-SNE-like points (bench/assignment): about 150 to 250 points.
    /// </summary>
    public const int AutoDensePoints = 200;

    public static GridAssignmentResult Assign(
        IReadOnlyList<double> x,
        IReadOnlyList<double> y,
        GridShape shape,
        AssignmentCost cost = AssignmentCost.SquaredEuclidean,
        AssignmentMethod method = AssignmentMethod.Auto,
        Action<AssignmentProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Count != y.Count)
        {
            throw new ArgumentException($"There are {x.Count} X and {y.Count} Y coordinates.", nameof(y));
        }

        int n = x.Count;
        if (n > shape.CellCount)
        {
            throw new GridShapeException($"A grid of {shape.Rows} rows × {shape.Columns} columns has {shape.CellCount:N0} cells, fewer than the {n:N0} items.");
        }

        var stopwatch = Stopwatch.StartNew();
        double[] scaledX = GridScaling.ToCellCenters(x, shape.Columns, "X");
        double[] scaledY = GridScaling.ToCellCenters(y, shape.Rows, "Y");
        AssignmentMethod used = method switch
        {
            AssignmentMethod.Auto => n <= AutoDensePoints ? AssignmentMethod.Dense : AssignmentMethod.Sparse,
            _ => method,
        };

        if (n == 0)
        {
            return new GridAssignmentResult(shape, cost, used, [], scaledX, scaledY, [], new double[shape.CellCount], 0, stopwatch.Elapsed, null);
        }

        return cost == AssignmentCost.Euclidean
            ? Solve<EuclideanCost>(scaledX, scaledY, shape, used, progress, cancellationToken, stopwatch)
            : Solve<SquaredEuclideanCost>(scaledX, scaledY, shape, used, progress, cancellationToken, stopwatch);
    }

    private static GridAssignmentResult Solve<TCost>(
        double[] x, double[] y, GridShape shape, AssignmentMethod method, Action<AssignmentProgress>? progress, CancellationToken token, Stopwatch stopwatch)
        where TCost : struct, IGridCost
    {
        AssignmentSolution solution;
        double gap = 0;
        SparseSolveReport? report = null;
        if (method == AssignmentMethod.Dense)
        {
            solution = DenseJonkerVolgenant<GridCostMatrix<TCost>, GridCostMatrix<TCost>.PointRow>
                .Solve(new GridCostMatrix<TCost>(x, y, CellLattice.Unit(shape)), progress, token);
        }
        else
        {
            report = SparseGridSolver<TCost>.Solve(x, y, shape, progress, token);
            solution = report.Solution;
            gap = report.ProvenGap;
        }

        double total = 0;
        for (int i = 0; i < x.Length; i++)
        {
            int cell = solution.ColumnOfRow[i];
            total += TCost.Of(x[i] - (cell % shape.Columns), y[i] - (cell / shape.Columns));
        }

        var sparse = report is null ? null : new SparseSolveStatistics(report.Levels, report.Bids, report.Searches, report.CandidateEdges, gap);
        return new GridAssignmentResult(shape, TCost.Kind, method, solution.ColumnOfRow, x, y, solution.RowDuals, solution.ColumnDuals, total, stopwatch.Elapsed, sparse);
    }
}

/// <summary>The work and proof of a sparse solve.</summary>
/// <param name="Levels">Coarse-to-fine levels, including the dense base.</param>
/// <param name="Bids">Auction bids at all levels.</param>
/// <param name="Searches">Shortest augmenting path searches at all levels.</param>
/// <param name="CandidateEdges">Candidate (point, cell) pairs listed at the finest level, out of N × M.</param>
/// <param name="ProvenGap">How much the total cost can at most exceed the optimum; 0 when proven optimal.</param>
public sealed record SparseSolveStatistics(int Levels, long Bids, long Searches, long CandidateEdges, double ProvenGap);

/// <summary>The cell of each point, and the dual certificate that no other assignment costs less.</summary>
public sealed class GridAssignmentResult
{
    internal GridAssignmentResult(
        GridShape shape, AssignmentCost cost, AssignmentMethod method, int[] cells, double[] scaledX, double[] scaledY,
        double[] rowDuals, double[] columnDuals, double totalCost, TimeSpan elapsed, SparseSolveStatistics? sparse)
    {
        Shape = shape;
        Cost = cost;
        Method = method;
        Cells = cells;
        ScaledX = scaledX;
        ScaledY = scaledY;
        RowDuals = rowDuals;
        ColumnDuals = columnDuals;
        TotalCost = totalCost;
        Elapsed = elapsed;
        Sparse = sparse;
    }

    public GridShape Shape { get; }

    public AssignmentCost Cost { get; }

    /// <summary>The solver that ran (Dense or Sparse).</summary>
    public AssignmentMethod Method { get; }

    /// <summary>Cell index (row × Columns + column) of each point, in input order.</summary>
    public IReadOnlyList<int> Cells { get; }

    /// <summary>The points scaled onto the grid: cell (row, column) has its centre at (column, row).</summary>
    public IReadOnlyList<double> ScaledX { get; }

    public IReadOnlyList<double> ScaledY { get; }

    /// <summary>Dual variable of each point (u).</summary>
    public IReadOnlyList<double> RowDuals { get; }

    /// <summary>Dual variable (price) of each cell (v): all ≤ 0, and 0 for the empty cells.</summary>
    public IReadOnlyList<double> ColumnDuals { get; }

    /// <summary>The minimal total cost, in cell units (squared for <see cref="AssignmentCost.SquaredEuclidean"/>).</summary>
    public double TotalCost { get; }

    public TimeSpan Elapsed { get; }

    /// <summary>Statistics of the sparse solver; null for the dense solver.</summary>
    public SparseSolveStatistics? Sparse { get; }

    /// <summary>How much the total cost can at most exceed the optimum; 0 when proven optimal (always, for Dense).</summary>
    public double ProvenGap => Sparse?.ProvenGap ?? 0;

    public int RowOf(int point) => Cells[point] / Shape.Columns;

    public int ColumnOf(int point) => Cells[point] % Shape.Columns;
}
