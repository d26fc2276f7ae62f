namespace GridTsne.Engine.Assignment;

internal sealed partial class LazyGridAssignment<TCost>
{
    private const int SpareNodeEntry = -1;
    private const int SpareStreamEntry = -2;
    private const int RowEntryBase = -3;

    // Dijkstra scratch, reused across searches (stamps avoid clearing).
    private readonly double[] _distance;
    private readonly int[] _predecessor;
    private readonly int[] _reached;
    private readonly int[] _settled;
    private readonly int[] _settledList;
    private readonly double[] _rowDistance;
    private readonly int[] _cursor;
    private readonly int[] _cursorBlock;
    private readonly List<int> _masked = [];
    private int _stamp;
    private int _settledCount;

    /// <summary>
    /// Assigns a free point along a shortest augmenting path over all cells (Dijkstra on reduced costs), then
    /// updates the duals so that the invariants hold again.
    /// </summary>
    public void Augment(int start)
    {
        Searches++;
        NextStamp();
        _settledCount = 0;
        _masked.Clear();
        _queue.Clear();
        bool spareReached = false, spareSettled = false;
        double spareDistance = double.PositiveInfinity;
        int spareFrom = -1;

        int sink = SettleRow(start, 0.0, out double sinkDistance);
        long pops = 0;
        while (sink < 0)
        {
            if (_queue.Count == 0)
            {
                throw new InvalidOperationException("No augmenting path exists: the grid has fewer cells than points.");
            }

            if ((++pops & 0x3FFF) == 0)
            {
                _token.ThrowIfCancellationRequested();
            }

            double key = _queue.MinKey;
            int item = _queue.MinItem;
            _queue.Pop();
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
                        _queue.Push(viaSpare, SpareNodeEntry);
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
                int row = RowEntryBase - item;
                int have = _rowEdges[row];
                if (_cursor[row] == have)
                {
                    ListMore(row);
                    if (have % BlockSize == 0 && _rowEdges[row] > have)
                    {
                        // The cursor sat at the end of a full block; the new cells start in the next one.
                        _cursorBlock[row] = BlockOf(row, have);
                    }
                }

                sink = RelaxRow(row, key, out sinkDistance);
            }
        }

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
    /// the rest wait behind one queued entry for the row (at their bound, or at the coverage bound once the
    /// list is used up, when more cells are listed). So a settle costs only the edges that can matter now.
    /// </summary>
    private int RelaxRow(int row, double current, out double sinkDistance)
    {
        double rowDistance = _rowDistance[row];
        double dual = RowDual[row];
        int cursor = _cursor[row], block = _cursorBlock[row], edges = _rowEdges[row];
        sinkDistance = 0;
        while (cursor < edges)
        {
            int e = (block * BlockSize) + (cursor % BlockSize);
            double bound = rowDistance + _blockBound[e] - dual;
            if (bound > current && _queue.Count > 0 && bound > _queue.MinKey)
            {
                _cursor[row] = cursor;
                _cursorBlock[row] = block;
                _queue.Push(bound, RowEntryBase - row);
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
            _queue.Push(rowDistance + Math.Max(0.0, _coverage[row] - dual), RowEntryBase - row);
        }

        return -1;
    }

    /// <summary>Relaxes cell j to <paramref name="candidate"/>; true if it is free and no farther than <paramref name="current"/>, so the sink.</summary>
    private bool Relax(int j, double candidate, int from, double current)
    {
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

        _queue.Push(candidate, j);
        return false;
    }

    private void PushSpareStream(double spareDistance)
    {
        if (_spareCandidates!.ArgMax() >= 0)
        {
            _queue.Push(spareDistance + Math.Max(0.0, -_spareDual - _spareCandidates.Max), SpareStreamEntry);
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

    /// <summary>Settled nodes move closer by how much nearer they were than the sink (Dijkstra potentials).</summary>
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
}
