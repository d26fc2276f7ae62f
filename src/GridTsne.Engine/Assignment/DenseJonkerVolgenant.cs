using System.Numerics;
using System.Runtime.CompilerServices;

namespace GridTsne.Engine.Assignment;

/// <summary>
/// The Jonker-Volgenant algorithm (Computing 38, 1987) for a dense rectangular cost matrix with rows ≤ columns:
/// initialisation (column reduction with reduction transfer when square, row reduction when rectangular),
/// two rounds of augmenting row reduction, then a shortest augmenting path per remaining free row.
/// <para>
/// Rectangular problems need no dummy rows: prices start at 0 and only ever fall, so an unassigned column
/// always has the highest price (0), which is exactly the dual condition for leaving it empty.
/// </para>
/// <para>
/// Grid costs are full of ties, so two guards (as in gatagat/lap) keep the reduction from ping-ponging a row
/// between equally cheap columns forever: a price is only lowered when the lowered value is really smaller in
/// floating point, and the augmenting row reduction stops after <c>free × columns</c> steps; the shortest
/// path phase, which always terminates, finishes the job. Costs are doubles throughout.
/// </para>
/// <para>
/// Columns live in position order: each per-column array is permuted together, so the columns still in play
/// in a shortest-path search are always the contiguous prefix, scanned with SIMD. Costs come from the matrix
/// on the fly (for a grid, from coordinates), so memory is O(columns), not O(rows × columns).
/// </para>
/// </summary>
internal sealed class DenseJonkerVolgenant<TMatrix, TRow>
    where TMatrix : struct, IDenseCostMatrix<TRow>
    where TRow : struct, IDenseCostRow
{
    private const int CancellationStride = 64;
    private const int ArrStepsPerFreeRow = 4;

    /// <summary>0, 1, 2, … per vector lane.</summary>
    private static readonly Vector<double> LaneOffsets = CreateLaneOffsets();

    private readonly TMatrix _matrix;
    private readonly int _rows;
    private readonly int _columns;
    private readonly CancellationToken _token;
    private readonly Action<AssignmentProgress>? _progress;

    // Per position (permuted together): column id, its two descriptors, price, owning row (-1 free),
    // shortest-path distance and predecessor row (as doubles, for SIMD selects).
    private readonly int[] _columnAt;
    private readonly double[] _a;
    private readonly double[] _b;
    private readonly double[] _price;
    private readonly double[] _owner;
    private readonly double[] _distance;
    private readonly double[] _predecessor;
    private readonly int[] _positionOf;
    private readonly int[] _columnOfRow;

    private DenseJonkerVolgenant(TMatrix matrix, Action<AssignmentProgress>? progress, CancellationToken token)
    {
        _matrix = matrix;
        _rows = matrix.RowCount;
        _columns = matrix.ColumnCount;
        if (_rows > _columns)
        {
            throw new ArgumentException($"The dense solver needs rows ≤ columns, not {_rows} > {_columns}.", nameof(matrix));
        }

        _token = token;
        _progress = progress;
        _columnAt = new int[_columns];
        _a = new double[_columns];
        _b = new double[_columns];
        _price = new double[_columns];
        _owner = new double[_columns];
        _distance = new double[_columns];
        _predecessor = new double[_columns];
        _positionOf = new int[_columns];
        _columnOfRow = new int[_rows];
        for (int p = 0; p < _columns; p++)
        {
            _columnAt[p] = p;
            _positionOf[p] = p;
            matrix.DescribeColumn(p, out _a[p], out _b[p]);
            _owner[p] = -1;
        }

        Array.Fill(_columnOfRow, -1);
    }

    public static AssignmentSolution Solve(TMatrix matrix, Action<AssignmentProgress>? progress, CancellationToken token)
    {
        var solver = new DenseJonkerVolgenant<TMatrix, TRow>(matrix, progress, token);
        return solver.Run();
    }

    private AssignmentSolution Run()
    {
        int[] free = new int[_rows];
        int freeCount = _rows == _columns ? ColumnReduction(free) : RowReduction(free);
        for (int pass = 0; pass < 2 && freeCount > 0; pass++)
        {
            freeCount = AugmentingRowReduction(free, freeCount);
        }

        for (int k = 0; k < freeCount; k++)
        {
            if ((k & 255) == 0)
            {
                _progress?.Invoke(new AssignmentProgress("Shortest augmenting paths", (double)k / freeCount));
            }

            AugmentShortestPath(free[k]);
        }

        return Certificate();
    }

    /// <summary>
    /// Square problems: each column's price is its cheapest cost; a row that is the cheapest for exactly one
    /// column takes it and passes on its slack to that column's price (reduction transfer).
    /// </summary>
    private int ColumnReduction(int[] free)
    {
        Array.Fill(_price, double.PositiveInfinity);
        double[] cheapestRow = _predecessor;
        int width = Vector<double>.Count;
        for (int i = 0; i < _rows; i++)
        {
            CheckCancellation(i);
            TRow row = _matrix.Row(i);
            var rowIndex = new Vector<double>(i);
            int p = 0;
            for (; p <= _columns - width; p += width)
            {
                Vector<double> cost = row.Cost(new Vector<double>(_a, p), new Vector<double>(_b, p));
                var price = new Vector<double>(_price, p);
                Vector<long> cheaper = Vector.LessThan(cost, price);
                Vector.ConditionalSelect(cheaper, cost, price).CopyTo(_price, p);
                Vector.ConditionalSelect(cheaper, rowIndex, new Vector<double>(cheapestRow, p)).CopyTo(cheapestRow, p);
            }

            for (; p < _columns; p++)
            {
                double cost = row.Cost(_a[p], _b[p]);
                if (cost < _price[p])
                {
                    _price[p] = cost;
                    cheapestRow[p] = i;
                }
            }
        }

        // Columns claim their cheapest row, last column first, as in the original.
        bool[] unique = new bool[_rows];
        Array.Fill(unique, true);
        for (int p = _columns - 1; p >= 0; p--)
        {
            int i = (int)cheapestRow[p];
            if (_columnOfRow[i] < 0)
            {
                Assign(i, p);
            }
            else
            {
                unique[i] = false;
            }
        }

        int freeCount = 0;
        for (int i = 0; i < _rows; i++)
        {
            CheckCancellation(i);
            if (_columnOfRow[i] < 0)
            {
                free[freeCount++] = i;
            }
            else if (unique[i])
            {
                int own = _positionOf[_columnOfRow[i]];
                TRow row = _matrix.Row(i);
                double slack = double.PositiveInfinity;
                for (int p = 0; p < _columns; p++)
                {
                    if (p != own)
                    {
                        slack = Math.Min(slack, row.Cost(_a[p], _b[p]) - _price[p]);
                    }
                }

                if (double.IsFinite(slack))
                {
                    _price[own] -= slack;
                }
            }
        }

        return freeCount;
    }

    /// <summary>
    /// Rectangular problems: prices stay 0 and each row takes its cheapest column if still free (among equally
    /// cheap columns, preferably a free one).
    /// </summary>
    private int RowReduction(int[] free)
    {
        int freeCount = 0;
        for (int i = 0; i < _rows; i++)
        {
            CheckCancellation(i);
            TRow row = _matrix.Row(i);
            double best = double.PositiveInfinity;
            int bestPosition = -1;
            bool bestTaken = true;
            for (int p = 0; p < _columns; p++)
            {
                double cost = row.Cost(_a[p], _b[p]);
                if (cost < best || (cost == best && bestTaken && _owner[p] < 0))
                {
                    best = cost;
                    bestPosition = p;
                    bestTaken = _owner[p] >= 0;
                }
            }

            if (!bestTaken)
            {
                Assign(i, bestPosition);
            }
            else
            {
                free[freeCount++] = i;
            }
        }

        return freeCount;
    }

    /// <summary>
    /// Each free row takes its cheapest column (by reduced cost), lowering that column's price by the gap to
    /// its second cheapest so that the evicted owner looks elsewhere; the evicted row is processed next.
    /// </summary>
    private int AugmentingRowReduction(int[] free, int freeCount)
    {
        int current = 0;
        int newFree = 0;
        long steps = 0;

        // On geometric costs nearly equal columns make rows chase each other with tiny price steps (an
        // auction with ε = 0); beyond a few steps per free row the shortest paths below are cheaper.
        long limit = ArrStepsPerFreeRow * (long)freeCount;
        while (current < freeCount)
        {
            steps++;
            CheckCancellation((int)(steps & int.MaxValue));
            int i = free[current++];
            TRow row = _matrix.Row(i);
            double v1 = row.Cost(_a[0], _b[0]) - _price[0], v2 = double.PositiveInfinity;
            int p1 = 0, p2 = -1;
            for (int p = 1; p < _columns; p++)
            {
                double reduced = row.Cost(_a[p], _b[p]) - _price[p];
                if (reduced < v2)
                {
                    if (reduced >= v1)
                    {
                        v2 = reduced;
                        p2 = p;
                    }
                    else
                    {
                        v2 = v1;
                        p2 = p1;
                        v1 = reduced;
                        p1 = p;
                    }
                }
            }

            int evicted = (int)_owner[p1];
            double lowered = _price[p1] - (v2 - v1);
            bool lowers = p2 >= 0 && lowered < _price[p1];
            if (steps < (long)current * _columns && steps < limit)
            {
                if (lowers)
                {
                    _price[p1] = lowered;
                }
                else if (evicted >= 0 && p2 >= 0)
                {
                    // A tie: move to the second cheapest column instead of lowering by nothing.
                    p1 = p2;
                    evicted = (int)_owner[p2];
                }

                if (evicted >= 0)
                {
                    if (lowers)
                    {
                        free[--current] = evicted;
                    }
                    else
                    {
                        free[newFree++] = evicted;
                    }
                }
            }
            else if (evicted >= 0)
            {
                free[newFree++] = evicted;
            }

            if (evicted >= 0)
            {
                _columnOfRow[evicted] = -1;
            }

            Assign(i, p1);
        }

        return newFree;
    }

    /// <summary>
    /// Dijkstra from a free row over reduced costs until a free column is reached, then price update and
    /// augmentation along the path. Positions [0, remaining) are the columns not yet scanned.
    /// </summary>
    private void AugmentShortestPath(int start)
    {
        int remaining = _columns;
        int width = Vector<double>.Count;
        TRow row = _matrix.Row(start);
        var startIndex = new Vector<double>(start);
        var lowest = new Vector<double>(double.PositiveInfinity);
        int p = 0;
        for (; p <= remaining - width; p += width)
        {
            Vector<double> d = row.Cost(new Vector<double>(_a, p), new Vector<double>(_b, p)) - new Vector<double>(_price, p);
            d.CopyTo(_distance, p);
            startIndex.CopyTo(_predecessor, p);
            lowest = Vector.Min(lowest, d);
        }

        double minimum = HorizontalMin(lowest);
        for (; p < remaining; p++)
        {
            _distance[p] = row.Cost(_a[p], _b[p]) - _price[p];
            _predecessor[p] = start;
            minimum = Math.Min(minimum, _distance[p]);
        }

        int sink = FreeFirstAt(minimum, remaining);
        int scanned = 0;
        while (_owner[sink] >= 0)
        {
            CheckCancellation(++scanned);

            // The nearest column is owned: settle it and scan its owner's row.
            Swap(sink, --remaining);
            int settled = remaining;
            int i = (int)_owner[settled];
            TRow owner = _matrix.Row(i);
            double offset = owner.Cost(_a[settled], _b[settled]) - _price[settled] - minimum;
            int hit = ScanRow(owner, i, offset, minimum, remaining, out minimum, out int nearest);
            if (hit >= 0)
            {
                sink = hit;
                break;
            }

            sink = nearest;
        }

        // Settled columns (the suffix) get cheaper by how much nearer they were than the free column found.
        for (int q = remaining; q < _columns; q++)
        {
            _price[q] += _distance[q] - minimum;
        }

        // Augment: each row on the path moves to the column it reached.
        int position = sink;
        while (true)
        {
            int i = (int)_predecessor[position];
            int previous = _columnOfRow[i];
            _owner[position] = i;
            _columnOfRow[i] = _columnAt[position];
            if (i == start)
            {
                break;
            }

            position = _positionOf[previous];
        }
    }

    /// <summary>
    /// Relaxes the unscanned columns through row <paramref name="i"/>; returns a free column already at the
    /// current distance (then the search is over), or -1 and the next smallest distance.
    /// </summary>
    private int ScanRow(TRow row, int i, double offset, double current, int remaining, out double next, out int nextAt)
    {
        int width = Vector<double>.Count;
        var offsetV = new Vector<double>(offset);
        var currentV = new Vector<double>(current);
        var rowIndex = new Vector<double>(i);
        var lowest = new Vector<double>(double.PositiveInfinity);
        var lowestAt = Vector<double>.Zero;
        var position = LaneOffsets;
        var step = new Vector<double>(width);
        int p = 0;
        for (; p <= remaining - width; p += width)
        {
            Vector<double> reduced = row.Cost(new Vector<double>(_a, p), new Vector<double>(_b, p)) - new Vector<double>(_price, p) - offsetV;
            var d = new Vector<double>(_distance, p);
            Vector<long> shorter = Vector.LessThan(reduced, d);
            if (shorter != Vector<long>.Zero)
            {
                d = Vector.ConditionalSelect(shorter, reduced, d);
                d.CopyTo(_distance, p);
                Vector.ConditionalSelect(shorter, rowIndex, new Vector<double>(_predecessor, p)).CopyTo(_predecessor, p);
            }

            Vector<long> freeNow = Vector.LessThan(new Vector<double>(_owner, p), Vector<double>.Zero) & Vector.LessThanOrEqual(d, currentV);
            if (freeNow != Vector<long>.Zero)
            {
                for (int lane = 0; lane < width; lane++)
                {
                    if (freeNow[lane] != 0)
                    {
                        next = current;
                        nextAt = -1;
                        return p + lane;
                    }
                }
            }

            Vector<long> lower = Vector.LessThan(d, lowest);
            lowest = Vector.ConditionalSelect(lower, d, lowest);
            lowestAt = Vector.ConditionalSelect(lower, position, lowestAt);
            position += step;
        }

        double minimum = double.PositiveInfinity;
        int minimumAt = -1;
        for (int lane = 0; lane < width; lane++)
        {
            if (lowest[lane] < minimum)
            {
                minimum = lowest[lane];
                minimumAt = (int)lowestAt[lane];
            }
        }

        for (; p < remaining; p++)
        {
            double reduced = row.Cost(_a[p], _b[p]) - _price[p] - offset;
            if (reduced < _distance[p])
            {
                _distance[p] = reduced;
                _predecessor[p] = i;
            }

            if (_owner[p] < 0 && _distance[p] <= current)
            {
                next = current;
                nextAt = -1;
                return p;
            }

            if (_distance[p] < minimum)
            {
                minimum = _distance[p];
                minimumAt = p;
            }
        }

        next = minimum;
        nextAt = minimumAt;
        return -1;
    }

    /// <summary>A position below <paramref name="remaining"/> at distance <paramref name="value"/>, a free one if any.</summary>
    private int FreeFirstAt(double value, int remaining)
    {
        int first = -1;
        for (int p = 0; p < remaining; p++)
        {
            if (_distance[p] == value)
            {
                if (_owner[p] < 0)
                {
                    return p;
                }

                if (first < 0)
                {
                    first = p;
                }
            }
        }

        return first;
    }

    private void Assign(int row, int position)
    {
        _owner[position] = row;
        _columnOfRow[row] = _columnAt[position];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Swap(int p, int q)
    {
        if (p == q)
        {
            return;
        }

        (_columnAt[p], _columnAt[q]) = (_columnAt[q], _columnAt[p]);
        (_a[p], _a[q]) = (_a[q], _a[p]);
        (_b[p], _b[q]) = (_b[q], _b[p]);
        (_price[p], _price[q]) = (_price[q], _price[p]);
        (_owner[p], _owner[q]) = (_owner[q], _owner[p]);
        (_distance[p], _distance[q]) = (_distance[q], _distance[p]);
        (_predecessor[p], _predecessor[q]) = (_predecessor[q], _predecessor[p]);
        _positionOf[_columnAt[p]] = p;
        _positionOf[_columnAt[q]] = q;
    }

    private AssignmentSolution Certificate()
    {
        double[] columnDuals = new double[_columns];
        for (int p = 0; p < _columns; p++)
        {
            columnDuals[_columnAt[p]] = _price[p];
        }

        double[] rowDuals = new double[_rows];
        for (int i = 0; i < _rows; i++)
        {
            int position = _positionOf[_columnOfRow[i]];
            rowDuals[i] = _matrix.Row(i).Cost(_a[position], _b[position]) - _price[position];
        }

        return new AssignmentSolution((int[])_columnOfRow.Clone(), rowDuals, columnDuals).Normalized();
    }

    private void CheckCancellation(int step)
    {
        if (step % CancellationStride == 0)
        {
            _token.ThrowIfCancellationRequested();
        }
    }

    private static Vector<double> CreateLaneOffsets()
    {
        Span<double> lanes = stackalloc double[Vector<double>.Count];
        for (int lane = 0; lane < lanes.Length; lane++)
        {
            lanes[lane] = lane;
        }

        return new Vector<double>(lanes);
    }

    private static double HorizontalMin(Vector<double> v)
    {
        double min = double.PositiveInfinity;
        for (int lane = 0; lane < Vector<double>.Count; lane++)
        {
            min = Math.Min(min, v[lane]);
        }

        return min;
    }
}
