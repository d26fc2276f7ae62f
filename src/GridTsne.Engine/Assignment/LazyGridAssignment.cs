using GridTsne.Engine.Collections;

namespace GridTsne.Engine.Assignment;

/// <summary>
/// The assignment of one level of <see cref="SparseGridSolver{TCost}"/>: points to the cells of a lattice,
/// over the complete cost matrix without materialising it. An ε-scaling auction
/// (<c>LazyGridAssignment.Auction.cs</c>) does the bulk of the work; shortest augmenting paths
/// (<c>LazyGridAssignment.Search.cs</c>, the third phase of Jonker-Volgenant) make it exact.
/// <para>
/// Lazy rows: each point lists a few candidate cells, cheapest first, and a coverage bound θ: every cell it
/// does not list has c − v ≥ θ. Prices v only fall while a level is solved, so the bound stays valid. When
/// the auction or a search needs cells beyond θ, <see cref="PriceIndex{TCost}"/> lists the next ones (for
/// squared distances a query in the power diagram of the cells). Both phases are thus exact over all cells.
/// </para>
/// <para>
/// Spare cells: with S more cells than points, a node Z stands for S interchangeable dummy rows that cost 0
/// everywhere. Z owns S cells and has an edge to every cell, reached through a max tree of prices, so it costs
/// O(log M) per use instead of O(M). At the end Z's cells carry the highest price: the dual condition for
/// leaving them empty.
/// </para>
/// Invariants of the exact phase: c − u − v ≥ 0 for every (point, cell) and 0 on the assignment; −u_Z − v ≥ 0
/// for every cell not owned by Z and u_Z + v ≥ 0 for those it owns. Dijkstra's potential update keeps them.
/// </summary>
internal sealed partial class LazyGridAssignment<TCost>
    where TCost : struct, IGridCost
{
    public const int Free = -1;
    public const int SpareOwner = -2;

    /// <summary>Cells added to a list at a time when a point needs more.</summary>
    public const int ExpansionSize = 8;

    /// <summary>How many ε an auction bid may overlook among unlisted cells (see <see cref="Auction"/>).</summary>
    private const double AuctionSlack = 16;

    private const int BlockSize = 8;

    private readonly double[] _x;
    private readonly double[] _y;
    private readonly CellLattice _lattice;
    private readonly int _rows;
    private readonly int _columns;
    private readonly int _spare;
    private readonly double _tolerance;
    private readonly CancellationToken _token;
    private readonly PriceIndex<TCost> _index;

    // Candidate cells of each row in a pool of fixed-size blocks chained per row, with their cost and a lower
    // bound of c − v (the value when listed; non-decreasing along a list).
    private int[] _blockColumn;
    private double[] _blockCost;
    private double[] _blockBound;
    private int[] _blockNext;
    private int _blocks;
    private readonly int[] _rowFirstBlock;
    private readonly int[] _rowLastBlock;
    private readonly int[] _rowEdges;
    private readonly double[] _coverage;
    private readonly double[] _lastBound;
    private readonly int[] _mark;
    private int _markStamp;
    private double[] _queryValues = new double[64];
    private int[] _queryCells = new int[64];

    /// <summary>The prices of all cells (not owned by Z, during the exact phase), for Z's edges.</summary>
    private readonly MaxTree? _spareCandidates;
    private double _spareDual;

    private readonly MinHeap _queue = new();

    /// <param name="index">Price index over <see cref="ColumnDual"/>, rebuilt by the caller as prices fall.</param>
    /// <param name="tolerance">Rounding allowance for reduced costs.</param>
    public LazyGridAssignment(double[] x, double[] y, CellLattice lattice, PriceIndex<TCost> index, double tolerance, CancellationToken token)
    {
        _x = x;
        _y = y;
        _lattice = lattice;
        _rows = x.Length;
        _columns = lattice.CellCount;
        _spare = _columns - _rows;
        _index = index;
        _tolerance = tolerance;
        _token = token;
        RowDual = new double[_rows];
        ColumnDual = new double[_columns];
        ColumnOfRow = new int[_rows];
        OwnerOfColumn = new int[_columns];
        Array.Fill(ColumnOfRow, Free);
        Array.Fill(OwnerOfColumn, Free);
        _rowFirstBlock = new int[_rows];
        _rowLastBlock = new int[_rows];
        _rowEdges = new int[_rows];
        _coverage = new double[_rows];
        _lastBound = new double[_rows];
        _mark = new int[_columns];
        int blocks = Math.Max(16, 2 * _rows);
        _blockColumn = new int[blocks * BlockSize];
        _blockCost = new double[blocks * BlockSize];
        _blockBound = new double[blocks * BlockSize];
        _blockNext = new int[blocks];
        _distance = new double[_columns];
        _predecessor = new int[_columns];
        _reached = new int[_columns];
        _settled = new int[_columns];
        _settledList = new int[_columns];
        _rowDistance = new double[_rows];
        _cursor = new int[_rows];
        _cursorBlock = new int[_rows];
        if (_spare > 0)
        {
            _spareCandidates = new MaxTree(_columns);
        }

        ClearCandidates();
    }

    /// <summary>Dual of each point (u).</summary>
    public double[] RowDual { get; }

    /// <summary>Price of each cell (v); falls while a level is solved.</summary>
    public double[] ColumnDual { get; }

    public int[] ColumnOfRow { get; }

    /// <summary>The row owning each cell, <see cref="Free"/>, or <see cref="SpareOwner"/> (left empty).</summary>
    public int[] OwnerOfColumn { get; }

    public long Bids { get; private set; }

    public long Searches { get; private set; }

    public long Expansions { get; private set; }

    public long EdgeCount { get; private set; }

    public void SetPrices(double[] prices) => Array.Copy(prices, ColumnDual, _columns);

    /// <summary>Forgets all candidate lists, before they are listed afresh from a rebuilt price index.</summary>
    public void ClearCandidates()
    {
        _blocks = 0;
        EdgeCount = 0;
        Array.Fill(_rowFirstBlock, -1);
        Array.Clear(_rowEdges);
        Array.Clear(_coverage);
    }

    /// <summary>
    /// Adds candidate cells to a row in ascending order of c − v (<paramref name="values"/>, at prices at least
    /// the current ones); <paramref name="coverage"/> bounds c − v from below for all cells it does not list.
    /// </summary>
    public void AddCandidates(int row, ReadOnlySpan<int> cells, ReadOnlySpan<double> values, double coverage)
    {
        MarkCandidates(row);
        for (int k = 0; k < cells.Length; k++)
        {
            if (_mark[cells[k]] != _markStamp)
            {
                Append(row, cells[k], values[k]);
            }
        }

        _coverage[row] = Math.Max(_coverage[row], coverage);
    }

    /// <summary>
    /// Starts the exact phase from the auction's prices and assignment: Z keeps the dummies' cells (or takes
    /// the S priciest), each point's dual is its cheapest c − v over the whole grid, and a point keeps its cell
    /// only if that is a tight edge. Returns the points left free, for <see cref="Augment"/>.
    /// </summary>
    public List<int> Start()
    {
        int[] auctioned = (int[])ColumnOfRow.Clone();
        bool spareChosen = _spare > 0 && Array.FindAll(OwnerOfColumn, owner => owner == SpareOwner).Length == _spare;
        for (int j = 0; j < _columns; j++)
        {
            if (!spareChosen || OwnerOfColumn[j] != SpareOwner)
            {
                OwnerOfColumn[j] = Free;
            }
        }

        Array.Fill(ColumnOfRow, Free);
        if (_spare > 0)
        {
            if (!spareChosen)
            {
                int[] order = new int[_columns];
                double[] keys = new double[_columns];
                for (int j = 0; j < _columns; j++)
                {
                    order[j] = j;
                    keys[j] = -ColumnDual[j];
                }

                Array.Sort(keys, order);
                for (int k = 0; k < _spare; k++)
                {
                    OwnerOfColumn[order[k]] = SpareOwner;
                }
            }

            LevelSpareCells();
            for (int j = 0; j < _columns; j++)
            {
                _spareCandidates!.Set(j, OwnerOfColumn[j] == SpareOwner ? double.NegativeInfinity : ColumnDual[j]);
            }
        }

        var free = new List<int>();
        for (int i = 0; i < _rows; i++)
        {
            double best = Cheapest(i, out _, out _);
            RowDual[i] = best;
            int cell = auctioned[i];
            if (cell >= 0 && OwnerOfColumn[cell] == Free)
            {
                double reduced = TCost.Of(_x[i] - _lattice.CellX(cell), _y[i] - _lattice.CellY(cell)) - ColumnDual[cell];
                if (reduced <= best + _tolerance)
                {
                    RowDual[i] = Math.Min(best, reduced);
                    OwnerOfColumn[cell] = i;
                    ColumnOfRow[i] = cell;
                    continue;
                }
            }

            free.Add(i);
        }

        return free;
    }

    /// <summary>
    /// Pricing found cells cheaper for a point than its dual (possible only through rounding, the phases being
    /// exact): lists them, lowers the dual and frees the point. Returns whether it became free.
    /// </summary>
    public bool Reprice(int row, ReadOnlySpan<int> cells, ReadOnlySpan<double> values)
    {
        AddCandidates(row, cells, values, double.NegativeInfinity);
        double best = Cheapest(row, out _, out _);
        if (best >= RowDual[row])
        {
            return false;
        }

        RowDual[row] = best;
        int column = ColumnOfRow[row];
        if (column >= 0)
        {
            OwnerOfColumn[column] = Free;
            ColumnOfRow[row] = Free;
        }

        return true;
    }

    /// <summary>
    /// Gives Z's cells the price of the priciest other cell and makes that Z's price, so that every empty
    /// cell has the same, highest, price. After the exact phase this only lowers prices; after the auction it
    /// may raise a spare cell's price by at most ε, so candidates must be listed afresh after it.
    /// </summary>
    public void LevelSpareCells()
    {
        if (_spare == 0)
        {
            return;
        }

        double top = double.NegativeInfinity;
        for (int j = 0; j < _columns; j++)
        {
            if (OwnerOfColumn[j] != SpareOwner)
            {
                top = Math.Max(top, ColumnDual[j]);
            }
        }

        for (int j = 0; j < _columns; j++)
        {
            if (OwnerOfColumn[j] == SpareOwner)
            {
                ColumnDual[j] = top;
            }
        }

        _spareDual = -top;
    }

    /// <summary>
    /// A point's cheapest cell over the whole grid and its value c − v, with the second cheapest listed value;
    /// lists more cells while an unlisted one could be cheaper than the listed best by more than
    /// <paramref name="slack"/> (0 for exact answers).
    /// </summary>
    private double Cheapest(int row, out int column, out double second, double slack = 0)
    {
        while (true)
        {
            double best = double.PositiveInfinity;
            second = double.PositiveInfinity;
            column = -1;
            for (int b = _rowFirstBlock[row], left = _rowEdges[row]; left > 0; b = _blockNext[b], left -= BlockSize)
            {
                int end = (b * BlockSize) + Math.Min(BlockSize, left);
                for (int e = b * BlockSize; e < end; e++)
                {
                    double value = _blockCost[e] - ColumnDual[_blockColumn[e]];
                    if (value < second)
                    {
                        if (value < best)
                        {
                            second = best;
                            best = value;
                            column = _blockColumn[e];
                        }
                        else
                        {
                            second = value;
                        }
                    }
                }
            }

            if (best <= _coverage[row] + (4 * _tolerance) + slack)
            {
                return best;
            }

            ListCheaper(row, best);
        }
    }

    /// <summary>
    /// Lists unlisted cells cheaper than <paramref name="bound"/> (a few at a time); with none the coverage
    /// rises to the bound. Cheap: the query prunes everything at or above the bound.
    /// </summary>
    private void ListCheaper(int row, double bound)
    {
        Expansions++;
        int found = _index.Query(_x[row], _y[row], ExpansionSize, bound, -_tolerance, _queryValues, _queryCells);
        for (int k = 0; k < found; k++)
        {
            Append(row, _queryCells[k], _queryValues[k]);
        }

        double coverage = (found == ExpansionSize ? _queryValues[ExpansionSize - 1] : bound) - (2 * _tolerance);
        _coverage[row] = Math.Max(_coverage[row], coverage);
    }

    /// <summary>
    /// Lists a row's next cheapest cells, doubling its list, so that a row the searches keep reaching costs
    /// O(final length) in queries. Raises the coverage to the last listed value.
    /// </summary>
    private void ListMore(int row)
    {
        Expansions++;
        int have = _rowEdges[row];
        int want = Math.Min(_columns, have + Math.Max(ExpansionSize, have));
        if (_queryValues.Length < want)
        {
            Array.Resize(ref _queryValues, Math.Max(want, 2 * _queryValues.Length));
            Array.Resize(ref _queryCells, Math.Max(want, 2 * _queryCells.Length));
        }

        int found = _index.Query(_x[row], _y[row], want, double.PositiveInfinity, -_tolerance, _queryValues, _queryCells);
        double coverage = found < want || want == _columns ? double.PositiveInfinity : _queryValues[want - 1] - (2 * _tolerance);
        AddCandidates(row, _queryCells.AsSpan(0, found), _queryValues.AsSpan(0, found), coverage);
    }

    private void MarkCandidates(int row)
    {
        if (++_markStamp == int.MaxValue)
        {
            Array.Clear(_mark);
            _markStamp = 1;
        }

        for (int b = _rowFirstBlock[row], left = _rowEdges[row]; left > 0; b = _blockNext[b], left -= BlockSize)
        {
            foreach (int cell in _blockColumn.AsSpan(b * BlockSize, Math.Min(BlockSize, left)))
            {
                _mark[cell] = _markStamp;
            }
        }
    }

    /// <summary>Appends a cell; earlier bounds are lowered onto its bound if needed, so bounds never decrease along a list.</summary>
    private void Append(int row, int cell, double bound)
    {
        int edges = _rowEdges[row];
        int block = _rowLastBlock[row];
        if (edges % BlockSize == 0)
        {
            if (_blocks == _blockNext.Length)
            {
                Array.Resize(ref _blockNext, _blocks * 2);
                Array.Resize(ref _blockColumn, _blocks * 2 * BlockSize);
                Array.Resize(ref _blockCost, _blocks * 2 * BlockSize);
                Array.Resize(ref _blockBound, _blocks * 2 * BlockSize);
            }

            int fresh = _blocks++;
            _blockNext[fresh] = -1;
            if (edges == 0)
            {
                _rowFirstBlock[row] = fresh;
            }
            else
            {
                _blockNext[block] = fresh;
            }

            _rowLastBlock[row] = fresh;
            block = fresh;
        }

        int slot = (block * BlockSize) + (edges % BlockSize);
        _blockColumn[slot] = cell;
        _blockCost[slot] = TCost.Of(_x[row] - _lattice.CellX(cell), _y[row] - _lattice.CellY(cell));
        _blockBound[slot] = bound;
        _rowEdges[row] = edges + 1;
        EdgeCount++;
        if (edges > 0 && _lastBound[row] > bound)
        {
            LowerEarlierBounds(row, edges, bound);
        }

        _lastBound[row] = bound;
    }

    private void LowerEarlierBounds(int row, int edges, double bound)
    {
        // Rare: new cells are priced at or above the old coverage, which is at least every listed bound.
        int block = _rowFirstBlock[row];
        for (int k = 0; k < edges; k++)
        {
            int e = (block * BlockSize) + (k % BlockSize);
            _blockBound[e] = Math.Min(_blockBound[e], bound);
            if ((k + 1) % BlockSize == 0)
            {
                block = _blockNext[block];
            }
        }
    }

    private int BlockOf(int row, int edge)
    {
        int block = _rowFirstBlock[row];
        for (int k = BlockSize; k <= edge; k += BlockSize)
        {
            block = _blockNext[block];
        }

        return block;
    }
}
