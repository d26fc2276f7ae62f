namespace GridTsne.Engine.Assignment;

/// <summary>
/// Shortest augmenting paths (the third phase of Jonker-Volgenant: Dijkstra with a binary heap) over the
/// complete point × cell cost matrix of a grid, without materialising it.
/// <para>
/// Lazy rows: each point keeps a short list of candidate cells and a coverage bound θ: every cell not in the
/// list has c − v ≥ θ. Prices v only fall during a solve, so the bound stays valid. When Dijkstra settles a
/// point at distance D, the cells it has not listed are at least D + θ − u away, so an "expand" event at that
/// distance is queued; if the search gets that far, <see cref="PriceIndex{TCost}"/> supplies the next cells
/// (a power-diagram query for squared distances). The search is therefore exact over all cells, the duals stay
/// feasible for the whole matrix, and a point with a good price guess never looks beyond a few cells.
/// </para>
/// <para>
/// Spare cells: with S more cells than points, a single extra node Z stands for S dummy rows costing 0
/// everywhere. Z owns S cells and has an edge to every cell, which Dijkstra relaxes lazily in order of
/// decreasing price (a max tree), so Z costs O(log M) per use instead of O(M). At the end Z's cells carry the
/// highest price, which is exactly the dual condition for leaving them empty.
/// </para>
/// Invariants: c − u − v ≥ 0 for every (point, cell), = 0 on the assignment; −u_Z − v ≥ 0 for every cell not
/// owned by Z, and u_Z + v ≥ 0 for those it owns. Dijkstra's potential update keeps them.
/// </summary>
internal sealed class LazyShortestPaths<TCost>
    where TCost : struct, IGridCost
{
    public const int Free = -1;
    public const int SpareOwner = -2;

    private const int SpareNodeEntry = -1;
    private const int SpareStreamEntry = -2;
    private const int ExpandEntryBase = -3;
    private const int BlockSize = 8;

    private readonly double[] _x;
    private readonly double[] _y;
    private readonly CellLattice _lattice;
    private readonly int _rows;
    private readonly int _columns;
    private readonly int _spare;
    private readonly int _expansion;
    private readonly double _tolerance;
    private readonly CancellationToken _token;
    private readonly MaxTree? _spareCandidates;
    private PriceIndex<TCost> _index;

    // Candidate cells of each row, in a pool of fixed-size blocks chained per row.
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

    private double _spareDual;

    // Dijkstra scratch, reused across searches (stamps avoid clearing).
    private readonly double[] _distance;
    private readonly int[] _predecessor;
    private readonly int[] _reached;
    private readonly int[] _settled;
    private readonly int[] _settledList;
    private readonly double[] _rowDistance;
    private readonly int[] _mark;
    private int _markStamp;
    private readonly int[] _cursor;
    private readonly int[] _cursorBlock;
    private readonly List<int> _masked = [];
    private int _stamp;
    private int _settledCount;
    private double[] _heapKey = new double[1024];
    private int[] _heapItem = new int[1024];
    private int _heapCount;
    private double[] _queryValues = new double[64];
    private int[] _queryCells = new int[64];

    public LazyShortestPaths(double[] x, double[] y, CellLattice lattice, PriceIndex<TCost> index, int expansion, double tolerance, CancellationToken token)
    {
        _x = x;
        _y = y;
        _lattice = lattice;
        _rows = x.Length;
        _columns = lattice.CellCount;
        _spare = _columns - _rows;
        _index = index;
        _expansion = expansion;
        _tolerance = tolerance;
        _token = token;
        RowDual = new double[_rows];
        ColumnDual = new double[_columns];
        ColumnOfRow = new int[_rows];
        OwnerOfColumn = new int[_columns];
        _rowFirstBlock = new int[_rows];
        _rowLastBlock = new int[_rows];
        _rowEdges = new int[_rows];
        _coverage = new double[_rows];
        _lastBound = new double[_rows];
        Array.Fill(_rowFirstBlock, -1);
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
        _mark = new int[_columns];
        _cursor = new int[_rows];
        _cursorBlock = new int[_rows];
        if (_spare > 0)
        {
            _spareCandidates = new MaxTree(_columns);
        }
    }

    public double[] RowDual { get; }

    /// <summary>Cell prices; they only fall during a solve.</summary>
    public double[] ColumnDual { get; }

    public int[] ColumnOfRow { get; }

    /// <summary>The row owning each cell, <see cref="Free"/>, or <see cref="SpareOwner"/> (left empty).</summary>
    public int[] OwnerOfColumn { get; }

    public List<int> SearchSizes { get; } = new();
    public List<double> SearchDistances { get; } = new();
    public long Searches { get; private set; }

    public long SettledColumns { get; private set; }

    public long Expansions { get; private set; }

    public long EdgeCount { get; private set; }

    /// <summary>Replaces the price index used for expansions (any snapshot of prices at least the current ones works).</summary>
    public void UseIndex(PriceIndex<TCost> index) => _index = index;

    /// <summary>Forgets all candidate lists (before listing them afresh from a new price index).</summary>
    public void ClearCandidates()
    {
        _blocks = 0;
        EdgeCount = 0;
        Array.Fill(_rowFirstBlock, -1);
        Array.Clear(_rowEdges);
        Array.Clear(_coverage);
    }

    /// <summary>
    /// Adds candidate cells to a row, in ascending order of c − v (<paramref name="values"/>, at prices at
    /// least the current ones); <paramref name="coverage"/> bounds c − v from below for all cells the row
    /// does not list (+∞ when it lists them all).
    /// </summary>
    public void AddCandidates(int row, ReadOnlySpan<int> cells, ReadOnlySpan<double> values, double coverage)
    {
        for (int k = 0; k < cells.Length; k++)
        {
            if (!HasCandidate(row, cells[k]))
            {
                Append(row, cells[k], values[k]);
            }
        }

        _coverage[row] = Math.Max(_coverage[row], coverage);
    }

    /// <summary>
    /// Forward auction with ε-scaling (Bertsekas) over the lazy lists: an unassigned point takes its cheapest
    /// cell and makes it dearer by the gap to its second cheapest plus ε, evicting the previous owner. Nearly
    /// identical points (a dense cluster) spread out in a few bids each, where shortest paths would search the
    /// whole cluster for every one of them. Ends ε-optimal; <see cref="Start"/> and the augmentations make it
    /// exact. <paramref name="initial"/> seeds the assignment (cells may be -1).
    /// </summary>
    public void Auction(int[]? initial, double epsilon, double finalEpsilon, double factor, Action beforePhase)
    {
        Array.Fill(OwnerOfColumn, Free);
        Array.Fill(ColumnOfRow, Free);
        for (int i = 0; initial is not null && i < _rows; i++)
        {
            int given = initial[i];
            if (given >= 0 && OwnerOfColumn[given] == Free)
            {
                OwnerOfColumn[given] = i;
                ColumnOfRow[i] = given;
            }
        }

        // Spare cells: S interchangeable dummy bidders that cost 0 everywhere, so they bid for the priciest
        // cell (from the max tree). The auction ends square, and Z inherits the dummies' cells.
        MaxTree? prices = _spareCandidates;
        int spareUnit = _rows;
        int[] queue = new int[_rows + _spare];
        var phaseWatch = System.Diagnostics.Stopwatch.StartNew();
        bool tracePhases = Environment.GetEnvironmentVariable("JVTRACE") != null;
        while (true)
        {
            phaseWatch.Restart();
            long expansionsBefore = Expansions;
            beforePhase();
            double relistMs = phaseWatch.Elapsed.TotalMilliseconds;
            for (int j = 0; prices is not null && j < _columns; j++)
            {
                prices.Set(j, ColumnDual[j]);
            }

            // Phase start: bidders not within ε of their best cell let go.
            int tail = 0;
            for (int i = 0; i < _rows; i++)
            {
                int own = ColumnOfRow[i];
                if (own >= 0)
                {
                    double best = BestTwo(i, out _, out _);
                    double current = TCost.Of(_x[i] - _lattice.CellX(own), _y[i] - _lattice.CellY(own)) - ColumnDual[own];
                    if (current <= best + epsilon)
                    {
                        continue;
                    }

                    OwnerOfColumn[own] = Free;
                    ColumnOfRow[i] = Free;
                }

                queue[tail++] = i;
            }

            int spareHeld = 0;
            for (int j = 0; prices is not null && j < _columns; j++)
            {
                if (OwnerOfColumn[j] == SpareOwner)
                {
                    if (ColumnDual[j] >= prices.Max - epsilon)
                    {
                        spareHeld++;
                    }
                    else
                    {
                        OwnerOfColumn[j] = Free;
                    }
                }
            }

            for (int d = spareHeld; d < _spare; d++)
            {
                queue[tail++] = spareUnit;
            }

            long bids = 0;
            _auctionSlack = epsilon * SlackFactor;
            int head = 0, pending = tail;
            tail %= queue.Length;
            while (pending > 0)
            {
                if ((++bids & 0x3FFF) == 0)
                {
                    _token.ThrowIfCancellationRequested();
                }

                int unit = queue[head];
                head = head + 1 == queue.Length ? 0 : head + 1;
                pending--;
                int column;
                if (unit == spareUnit)
                {
                    column = prices!.ArgMax();
                    double top = prices.Max;
                    prices.Set(column, double.NegativeInfinity);
                    double next = prices.Max;
                    ColumnDual[column] = (double.IsNegativeInfinity(next) ? top : next) - epsilon;
                }
                else
                {
                    double best = BestTwo(unit, out column, out double second);
                    double gap = double.IsPositiveInfinity(second) ? 0 : second - best;
                    ColumnDual[column] -= gap + epsilon;
                    ColumnOfRow[unit] = column;
                }

                prices?.Set(column, ColumnDual[column]);
                int evicted = OwnerOfColumn[column];
                OwnerOfColumn[column] = unit == spareUnit ? SpareOwner : unit;
                if (evicted != Free)
                {
                    if (evicted >= 0)
                    {
                        ColumnOfRow[evicted] = Free;
                    }

                    queue[tail] = evicted >= 0 ? evicted : spareUnit;
                    tail = tail + 1 == queue.Length ? 0 : tail + 1;
                    pending++;
                }
            }

            _auctionSlack = 0;
            Bids += bids;
            if (tracePhases) Console.Error.WriteLine($"    eps={epsilon:G3} bids={bids} expansions={Expansions - expansionsBefore} relist={relistMs:F0}ms total={phaseWatch.Elapsed.TotalMilliseconds:F0}ms");
            if (epsilon <= finalEpsilon)
            {
                break;
            }

            epsilon = Math.Max(finalEpsilon, epsilon / factor);
        }

        LevelSpareCells();
    }

    /// <summary>
    /// Gives every spare cell (Z's) the price of the priciest other cell, Z's dual. After the auction they are
    /// within ε of it, so this may raise a price a little: call it before candidates are listed again.
    /// </summary>
    private void LevelSpareCells()
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

    public long Bids { get; private set; }

    /// <summary>
    /// The row's cheapest cell over the whole grid and a lower bound of the second cheapest c − v (the listed
    /// second, or the coverage bound if lower); expands the list while an unlisted cell could be the cheapest.
    /// </summary>
    private double _auctionSlack;
    private static readonly double SlackFactor = double.Parse(Environment.GetEnvironmentVariable("JVSLACK") ?? "0");
    private double BestTwo(int row, out int column, out double second)
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

            // Within the rounding allowance the listed best is the true best.
            if (best <= _coverage[row] + (4 * _tolerance) + _auctionSlack)
            {
                return best;
            }

            ListCheaper(row, best);
        }
    }

    /// <summary>
    /// Lists the unlisted cells cheaper than <paramref name="bound"/> (a few at a time); if there are none the
    /// coverage rises to the bound. Cheap, since the query prunes everything at or above the bound.
    /// </summary>
    private void ListCheaper(int row, double bound)
    {
        Expansions++;
        int want = _expansion;
        int found = _index.Query(_x[row], _y[row], want, bound, -_tolerance, _queryValues, _queryCells);
        QueryCells += found;
        for (int k = 0; k < found; k++)
        {
            Append(row, _queryCells[k], _queryValues[k]);
        }

        double coverage = (found == want ? _queryValues[want - 1] : bound) - (2 * _tolerance);
        _coverage[row] = Math.Max(_coverage[row], coverage);
    }

    /// <summary>Sets the starting prices (before candidates are generated from them).</summary>
    public void SetPrices(double[] prices) => Array.Copy(prices, ColumnDual, _columns);

    /// <summary>
    /// Starts the exact phase from the current prices: Z takes the S priciest cells (lowered to the S-th price);
    /// each row's dual is its cheapest c − v over the whole grid; a row keeps its current cell (from the
    /// auction) or <paramref name="given"/> cell only if that is a tight edge, otherwise it is freed (with
    /// neither, it takes its cheapest cell if still free). Returns the rows left free.
    /// </summary>
    public List<int> Start(int[]? given)
    {
        int[] current = (int[])ColumnOfRow.Clone();
        bool seeded = given is not null || Array.Exists(current, c => c >= 0);
        given ??= current;
        bool spareChosen = _spare > 0 && Array.FindAll(OwnerOfColumn, o => o == SpareOwner).Length == _spare;
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
                // Z takes the S priciest cells.
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
            double best = BestTwo(i, out int bestColumn, out _);
            RowDual[i] = best;
            int cell = given[i];
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

            if (!seeded && OwnerOfColumn[bestColumn] == Free)
            {
                OwnerOfColumn[bestColumn] = i;
                ColumnOfRow[i] = bestColumn;
            }
            else
            {
                free.Add(i);
            }
        }

        return free;
    }

    /// <summary>
    /// After pricing found cells cheaper than the row's dual (only possible through rounding, since the search
    /// is exact): adds them, lowers the dual and frees the row. Returns whether the row became free.
    /// </summary>
    public bool Reprice(int row, ReadOnlySpan<int> cells, ReadOnlySpan<double> values)
    {
        AddCandidates(row, cells, values, double.NegativeInfinity);
        double best = double.PositiveInfinity;
        for (int b = _rowFirstBlock[row], left = _rowEdges[row]; left > 0; b = _blockNext[b], left -= BlockSize)
        {
            int end = (b * BlockSize) + Math.Min(BlockSize, left);
            for (int e = b * BlockSize; e < end; e++)
            {
                best = Math.Min(best, _blockCost[e] - ColumnDual[_blockColumn[e]]);
            }
        }

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

    /// <summary>Lowers Z's cells to Z's price, so every empty cell has the same, highest, price.</summary>
    public void LevelSparePrices()
    {
        for (int j = 0; j < _columns && _spare > 0; j++)
        {
            if (OwnerOfColumn[j] == SpareOwner)
            {
                ColumnDual[j] = -_spareDual;
            }
        }
    }

    /// <summary>Assigns a free row along a shortest augmenting path and updates the duals.</summary>
    public void Augment(int start)
    {
        Searches++;
        NextStamp();
        _settledCount = 0;
        _masked.Clear();
        _heapCount = 0;
        bool spareReached = false, spareSettled = false;
        double spareDistance = double.PositiveInfinity;
        int spareFrom = -1;

        int sink = SettleRow(start, 0.0, out double sinkDistance);
        long pops = 0;
        while (sink < 0)
        {
            if (_heapCount == 0)
            {
                throw new InvalidOperationException("No augmenting path exists; the grid has fewer cells than points.");
            }

            if ((++pops & 0x3FFF) == 0)
            {
                _token.ThrowIfCancellationRequested();
            }

            double key = _heapKey[0];
            int item = _heapItem[0];
            Pop();
            if (item >= 0)
            {
                int j = item;
                if (_settled[j] == _stamp || key > _distance[j])
                {
                    continue;
                }

                _settled[j] = _stamp;
                _settledList[_settledCount++] = j;
                int owner = OwnerOfColumn[j];
                if (owner == Free)
                {
                    sink = j;
                    sinkDistance = key;
                }
                else if (owner == SpareOwner)
                {
                    // Back along Z's edge to j (reduced cost u_Z + v_j ≥ 0), then on from Z.
                    double viaSpare = key + Math.Max(0.0, _spareDual + ColumnDual[j]);
                    if (!spareSettled && (!spareReached || viaSpare < spareDistance))
                    {
                        spareReached = true;
                        spareDistance = viaSpare;
                        spareFrom = j;
                        Push(viaSpare, SpareNodeEntry);
                    }
                }
                else
                {
                    sink = SettleRow(owner, key, out sinkDistance);
                }
            }
            else if (item == SpareNodeEntry)
            {
                if (!spareSettled && key <= spareDistance)
                {
                    spareSettled = true;
                    PushSpareStream(spareDistance);
                }
            }
            else if (item == SpareStreamEntry)
            {
                sink = RelaxFromSpare(key, spareDistance, out sinkDistance);
            }
            else
            {
                int row = ExpandEntryBase - item;
                if (_cursor[row] == _rowEdges[row])
                {
                    Expand(row);
                }

                sink = RelaxRow(row, key, out sinkDistance);
            }
        }

        SettledColumns += _settledCount;
        SearchSizes.Add(_settledCount); SearchDistances.Add(sinkDistance);
        UpdateDuals(start, sinkDistance, spareSettled, spareDistance);
        AugmentPath(start, sink, spareFrom);
        if (_spareCandidates is not null)
        {
            RefreshSpareCandidates();
        }
    }

    private int SettleRow(int row, double rowDistance, out double sinkDistance)
    {
        _rowDistance[row] = rowDistance;
        _cursor[row] = 0;
        _cursorBlock[row] = _rowFirstBlock[row];
        return RelaxRow(row, rowDistance, out sinkDistance);
    }

    /// <summary>
    /// Relaxes a settled row's listed cells in order while their lower bound is not beyond the heap's next key;
    /// the rest wait behind one queued entry (at their bound, or at the coverage bound once the list is used
    /// up, when the row is expanded). So a settle costs only the edges that can matter now.
    /// </summary>
    private int RelaxRow(int row, double current, out double sinkDistance)
    {
        double rowDistance = _rowDistance[row];
        double dual = RowDual[row];
        int cursor = _cursor[row], block = _cursorBlock[row], edges = _rowEdges[row];
        while (cursor < edges)
        {
            int e = (block * BlockSize) + (cursor % BlockSize);
            double bound = rowDistance + _blockBound[e] - dual;
            if (bound > current && _heapCount > 0 && bound > _heapKey[0])
            {
                _cursor[row] = cursor;
                _cursorBlock[row] = block;
                Push(bound, ExpandEntryBase - row);
                sinkDistance = 0;
                return -1;
            }

            cursor++;
            if (cursor % BlockSize == 0)
            {
                block = _blockNext[block];
            }

            int j = _blockColumn[e];
            if (Relax(j, rowDistance + Math.Max(0.0, _blockCost[e] - dual - ColumnDual[j]), row, current))
            {
                _cursor[row] = cursor;
                _cursorBlock[row] = block;
                sinkDistance = _distance[j];
                return j;
            }
        }

        _cursor[row] = cursor;
        _cursorBlock[row] = block;
        if (_coverage[row] < double.PositiveInfinity)
        {
            Push(rowDistance + Math.Max(0.0, _coverage[row] - dual), ExpandEntryBase - row);
        }

        sinkDistance = 0;
        return -1;
    }

    /// <summary>
    /// The search reached the distance beyond which a row's unlisted cells may matter: list the next cells,
    /// cheapest first under the index's prices, for <see cref="RelaxRow"/> to go on with.
    /// </summary>
    private void Expand(int row)
    {
        Expansions++;
        int have = _rowEdges[row];
        // Lists double, so a row that the searches keep reaching costs O(final length) in queries.
        int want = Math.Min(_columns, have + Math.Max(_expansion, have));
        if (_queryValues.Length < want)
        {
            Array.Resize(ref _queryValues, Math.Max(want, 2 * _queryValues.Length));
            Array.Resize(ref _queryCells, Math.Max(want, 2 * _queryCells.Length));
        }

        int found = _index.Query(_x[row], _y[row], want, double.PositiveInfinity, -_tolerance, _queryValues, _queryCells);
        QueryCells += found;
        double coverage = found < want || want == _columns ? double.PositiveInfinity : _queryValues[want - 1] - (2 * _tolerance);
        bool wasExhausted = _cursor[row] == have;
        MarkCandidates(row);
        for (int k = 0; k < found; k++)
        {
            if (_mark[_queryCells[k]] != _markStamp)
            {
                Append(row, _queryCells[k], _queryValues[k]);
            }
        }

        _coverage[row] = Math.Max(_coverage[row], coverage);
        if (wasExhausted && have % BlockSize == 0 && _rowEdges[row] > have)
        {
            // The cursor sat at the end of a full block; the new edges start in the next one.
            _cursorBlock[row] = BlockOf(row, have);
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

    /// <summary>Relaxes cell j to <paramref name="candidate"/>; true if it is free and no nearer than <paramref name="current"/> (then it is the sink).</summary>
    public long RelaxCount, PushCount, QueryCells;
    private bool Relax(int j, double candidate, int from, double current)
    {
        RelaxCount++;
        if (_settled[j] == _stamp || (_reached[j] == _stamp && candidate >= _distance[j]))
        {
            return false;
        }

        _reached[j] = _stamp;
        _distance[j] = candidate;
        _predecessor[j] = from;
        if (OwnerOfColumn[j] == Free && candidate <= current)
        {
            return true;
        }

        Push(candidate, j);
        return false;
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

    private bool HasCandidate(int row, int cell)
    {
        for (int b = _rowFirstBlock[row], left = _rowEdges[row]; left > 0; b = _blockNext[b], left -= BlockSize)
        {
            if (_blockColumn.AsSpan(b * BlockSize, Math.Min(BlockSize, left)).Contains(cell))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Appends a cell; its bound is lowered onto earlier ones if needed, so bounds never decrease along a list.</summary>
    private double Append(int row, int cell, double bound)
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
        double cost = TCost.Of(_x[row] - _lattice.CellX(cell), _y[row] - _lattice.CellY(cell));
        _blockColumn[slot] = cell;
        _blockCost[slot] = cost;
        _blockBound[slot] = bound;
        _rowEdges[row] = edges + 1;
        if (edges > 0 && _lastBound[row] > bound)
        {
            LowerEarlierBounds(row, edges, bound);
        }

        _lastBound[row] = Math.Max(bound, edges > 0 ? Math.Min(_lastBound[row], bound) : bound);
        EdgeCount++;
        return cost;
    }

    private void LowerEarlierBounds(int row, int edges, double bound)
    {
        // Rare (new cells are priced at or above the old coverage); a walk from the start is fine.
        int block = _rowFirstBlock[row];
        for (int k = 0; k < edges; k++)
        {
            int e = (block * BlockSize) + (k % BlockSize);
            if (_blockBound[e] > bound)
            {
                _blockBound[e] = bound;
            }

            if ((k + 1) % BlockSize == 0)
            {
                block = _blockNext[block];
            }
        }
    }

    private void PushSpareStream(double spareDistance)
    {
        if (_spareCandidates!.ArgMax() >= 0)
        {
            Push(spareDistance + Math.Max(0.0, -_spareDual - _spareCandidates.Max), SpareStreamEntry);
        }
    }

    /// <summary>Relaxes Z's edge to the priciest cell not yet relaxed from Z, and queues the next one.</summary>
    private int RelaxFromSpare(double key, double spareDistance, out double sinkDistance)
    {
        sinkDistance = 0;
        int j = _spareCandidates!.ArgMax();
        if (j < 0)
        {
            return -1;
        }

        _spareCandidates.Set(j, double.NegativeInfinity);
        _masked.Add(j);
        if (Relax(j, spareDistance + Math.Max(0.0, -_spareDual - ColumnDual[j]), SpareOwner, key))
        {
            sinkDistance = _distance[j];
            return j;
        }

        PushSpareStream(spareDistance);
        return -1;
    }

    private void UpdateDuals(int start, double sinkDistance, bool spareSettled, double spareDistance)
    {
        for (int k = 0; k < _settledCount; k++)
        {
            int j = _settledList[k];
            double delta = sinkDistance - _distance[j];
            int owner = OwnerOfColumn[j];
            if (owner >= 0)
            {
                RowDual[owner] += delta;
            }

            ColumnDual[j] -= delta;
        }

        RowDual[start] += sinkDistance;
        if (spareSettled)
        {
            _spareDual += sinkDistance - spareDistance;
        }
    }

    private void AugmentPath(int start, int sink, int spareFrom)
    {
        int j = sink;
        while (true)
        {
            int i = _predecessor[j];
            if (i == SpareOwner)
            {
                // Z takes j and lets go of the cell it was reached through.
                OwnerOfColumn[j] = SpareOwner;
                _masked.Add(j);
                j = spareFrom;
                continue;
            }

            OwnerOfColumn[j] = i;
            int previous = ColumnOfRow[i];
            ColumnOfRow[i] = j;
            if (i == start)
            {
                return;
            }

            j = previous;
        }
    }

    private void RefreshSpareCandidates()
    {
        MaxTree tree = _spareCandidates!;
        for (int k = 0; k < _settledCount; k++)
        {
            int j = _settledList[k];
            tree.Set(j, OwnerOfColumn[j] == SpareOwner ? double.NegativeInfinity : ColumnDual[j]);
        }

        foreach (int j in _masked)
        {
            tree.Set(j, OwnerOfColumn[j] == SpareOwner ? double.NegativeInfinity : ColumnDual[j]);
        }
    }

    private void NextStamp()
    {
        if (_stamp == int.MaxValue)
        {
            Array.Clear(_reached);
            Array.Clear(_settled);
            _stamp = 0;
        }

        _stamp++;
    }

    private void Push(double key, int item)
    {
        PushCount++;
        if (_heapCount == _heapKey.Length)
        {
            Array.Resize(ref _heapKey, _heapKey.Length * 2);
            Array.Resize(ref _heapItem, _heapItem.Length * 2);
        }

        int at = _heapCount++;
        while (at > 0)
        {
            int parent = (at - 1) >> 1;
            if (_heapKey[parent] <= key)
            {
                break;
            }

            _heapKey[at] = _heapKey[parent];
            _heapItem[at] = _heapItem[parent];
            at = parent;
        }

        _heapKey[at] = key;
        _heapItem[at] = item;
    }

    private void Pop()
    {
        int last = --_heapCount;
        if (last == 0)
        {
            return;
        }

        double key = _heapKey[last];
        int item = _heapItem[last];
        int at = 0;
        while (true)
        {
            int child = (2 * at) + 1;
            if (child >= last)
            {
                break;
            }

            if (child + 1 < last && _heapKey[child + 1] < _heapKey[child])
            {
                child++;
            }

            if (_heapKey[child] >= key)
            {
                break;
            }

            _heapKey[at] = _heapKey[child];
            _heapItem[at] = _heapItem[child];
            at = child;
        }

        _heapKey[at] = key;
        _heapItem[at] = item;
    }
}
