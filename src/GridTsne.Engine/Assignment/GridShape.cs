namespace GridTsne.Engine.Assignment;

/// <summary>The size of the grid the points are snapped to.</summary>
public readonly record struct GridShape
{
    /// <summary>The largest grid accepted: 16.7 million cells (4096 × 4096).</summary>
    public const int MaxCells = 1 << 24;

    public GridShape(int rows, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        if ((long)rows * columns > MaxCells)
        {
            throw new GridShapeException(
                $"A grid of {rows} rows × {columns} columns has {(long)rows * columns:N0} cells; at most {MaxCells:N0} are supported.");
        }

        Rows = rows;
        Columns = columns;
    }

    public int Rows { get; }

    public int Columns { get; }

    public int CellCount => Rows * Columns;

    /// <summary>
    /// The grid for <paramref name="count"/> items. Without sizes it is the most square grid that holds them
    /// (Columns = ⌈√N⌉, Rows = ⌈N / Columns⌉); given one size, the other is the smallest that holds them;
    /// given both, they must hold the items.
    /// </summary>
    /// <exception cref="GridShapeException">Both sizes are given and hold fewer cells than items.</exception>
    public static GridShape ForCount(int count, int? columns = null, int? rows = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 0);
        if (columns is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(columns), columns, "The number of columns must be at least 1.");
        }

        if (rows is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(rows), rows, "The number of rows must be at least 1.");
        }

        int items = Math.Max(count, 1);
        switch (columns, rows)
        {
            case (int c, int r):
                if ((long)c * r < count)
                {
                    throw new GridShapeException(
                        $"A grid of {r} rows × {c} columns has {(long)r * c:N0} cells, fewer than the {count:N0} items. " +
                        $"Give at least {CeilDiv(count, c):N0} rows for {c} columns, or omit -Rows or -Columns to derive it.");
                }

                return new GridShape(r, c);
            case (int c, null):
                return new GridShape(CeilDiv(items, c), c);
            case (null, int r):
                return new GridShape(r, CeilDiv(items, r));
            default:
                int side = CeilSqrt(items);
                return new GridShape(CeilDiv(items, side), side);
        }
    }

    public override string ToString() => $"{Rows} × {Columns}";

    private static int CeilDiv(int a, int b) => (int)(((long)a + b - 1) / b);

    private static int CeilSqrt(int n)
    {
        int root = (int)Math.Sqrt(n);
        while ((long)root * root < n)
        {
            root++;
        }

        while (root > 1 && (long)(root - 1) * (root - 1) >= n)
        {
            root--;
        }

        return root;
    }
}

/// <summary>The requested grid cannot hold the items, or is too large.</summary>
public sealed class GridShapeException : Exception
{
    public GridShapeException(string message)
        : base(message)
    {
    }

    public GridShapeException()
    {
    }

    public GridShapeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
