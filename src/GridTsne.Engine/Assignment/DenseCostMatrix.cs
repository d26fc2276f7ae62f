using System.Numerics;
using System.Runtime.CompilerServices;

namespace GridTsne.Engine.Assignment;

/// <summary>The costs of one row of an assignment problem, over columns described by two numbers each.</summary>
internal interface IDenseCostRow
{
    double Cost(double a, double b);

    Vector<double> Cost(Vector<double> a, Vector<double> b);
}

/// <summary>
/// A dense cost matrix (rows ≤ columns) that the dense solver reads row by row. Each column is described by
/// two numbers the solver moves along with the column, so that it can keep its working set contiguous.
/// </summary>
internal interface IDenseCostMatrix<TRow>
    where TRow : struct, IDenseCostRow
{
    int RowCount { get; }

    int ColumnCount { get; }

    void DescribeColumn(int column, out double a, out double b);

    TRow Row(int row);
}

/// <summary>Costs between points and the cell centres of a grid, computed on the fly from coordinates.</summary>
internal readonly struct GridCostMatrix<TCost> : IDenseCostMatrix<GridCostMatrix<TCost>.PointRow>
    where TCost : struct, IGridCost
{
    private readonly double[] _x;
    private readonly double[] _y;
    private readonly CellLattice _lattice;

    public GridCostMatrix(double[] x, double[] y, CellLattice lattice)
    {
        _x = x;
        _y = y;
        _lattice = lattice;
        ColumnCount = lattice.CellCount;
    }

    public int RowCount => _x.Length;

    public int ColumnCount { get; }

    public void DescribeColumn(int column, out double a, out double b)
    {
        a = _lattice.CellX(column);
        b = _lattice.CellY(column);
    }

    public PointRow Row(int row) => new(_x[row], _y[row]);

    internal readonly struct PointRow(double x, double y) : IDenseCostRow
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public double Cost(double a, double b) => TCost.Of(x - a, y - b);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector<double> Cost(Vector<double> a, Vector<double> b) =>
            TCost.Of(new Vector<double>(x) - a, new Vector<double>(y) - b);
    }
}

/// <summary>An explicit row-major cost matrix, for general problems and for tests.</summary>
internal readonly struct ExplicitCostMatrix : IDenseCostMatrix<ExplicitCostMatrix.MatrixRow>
{
    private readonly double[] _costs;

    public ExplicitCostMatrix(double[,] costs)
    {
        RowCount = costs.GetLength(0);
        ColumnCount = costs.GetLength(1);
        _costs = new double[RowCount * ColumnCount];
        for (int i = 0; i < RowCount; i++)
        {
            for (int j = 0; j < ColumnCount; j++)
            {
                double c = costs[i, j];
                if (!double.IsFinite(c))
                {
                    throw new ArgumentException($"The cost at row {i}, column {j} is {c}; costs must be finite.", nameof(costs));
                }

                _costs[(i * ColumnCount) + j] = c;
            }
        }
    }

    /// <summary>
    /// Wraps a row-major buffer without copying it, for callers that solve many small problems in one
    /// reused buffer (e.g. the layout optimizer's swaps); the costs must be finite.
    /// </summary>
    public ExplicitCostMatrix(double[] rowMajorCosts, int rows, int columns)
    {
        ArgumentNullException.ThrowIfNull(rowMajorCosts);
        if ((long)rows * columns > rowMajorCosts.Length)
        {
            throw new ArgumentException($"A {rows} × {columns} matrix needs {(long)rows * columns} costs; the buffer holds {rowMajorCosts.Length}.", nameof(rowMajorCosts));
        }

        _costs = rowMajorCosts;
        RowCount = rows;
        ColumnCount = columns;
    }

    public int RowCount { get; }

    public int ColumnCount { get; }

    public void DescribeColumn(int column, out double a, out double b)
    {
        a = column;
        b = 0;
    }

    public MatrixRow Row(int row) => new(_costs, row * ColumnCount);

    internal readonly struct MatrixRow(double[] costs, int offset) : IDenseCostRow
    {
        public double Cost(double a, double b) => costs[offset + (int)a];

        public Vector<double> Cost(Vector<double> a, Vector<double> b)
        {
            Span<double> gathered = stackalloc double[Vector<double>.Count];
            for (int lane = 0; lane < gathered.Length; lane++)
            {
                gathered[lane] = costs[offset + (int)a[lane]];
            }

            return new Vector<double>(gathered);
        }
    }
}
