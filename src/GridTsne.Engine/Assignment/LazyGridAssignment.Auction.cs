namespace GridTsne.Engine.Assignment;

internal sealed partial class LazyGridAssignment<TCost>
{
    /// <summary>
    /// Forward auction with ε-scaling (Bertsekas): an unassigned point takes its cheapest cell and makes it
    /// dearer by the gap to its second cheapest plus ε, evicting the previous owner. Where many nearly equal
    /// points compete (a dense t-SNE cluster that has to spread out) each settles in a few bids, whereas
    /// shortest augmenting paths would search the whole cluster once per point. Ends ε-optimal; <see cref="Start"/>
    /// and <see cref="Augment"/> make it exact.
    /// </summary>
    /// <param name="initial">A starting cell per point (-1 for none), e.g. the coarser level's assignment.</param>
    /// <param name="epsilon">The first phase's ε; each phase divides it by <paramref name="factor"/>.</param>
    /// <param name="beforePhase">Called before each phase, to rebuild the price index and list candidates afresh.</param>
    public void Auction(int[]? initial, double epsilon, double finalEpsilon, double factor, Action beforePhase)
    {
        for (int i = 0; initial is not null && i < _rows; i++)
        {
            int cell = initial[i];
            if (cell >= 0 && OwnerOfColumn[cell] == Free)
            {
                OwnerOfColumn[cell] = i;
                ColumnOfRow[i] = cell;
            }
        }

        // Spare cells: S interchangeable dummy bidders that cost 0 everywhere bid for the priciest cell (from
        // the max tree), so the auction is square and Z inherits the dummies' cells.
        MaxTree? prices = _spareCandidates;
        int spareBidder = _rows;
        int[] queue = new int[_rows + _spare];
        while (true)
        {
            beforePhase();
            for (int j = 0; prices is not null && j < _columns; j++)
            {
                prices.Set(j, ColumnDual[j]);
            }

            int tail = QueueUnsatisfied(queue, epsilon, spareBidder);
            int head = 0, pending = tail;
            tail %= queue.Length;

            // Bids may ignore unlisted cells that are cheaper by less than a few ε: the exact phase settles those,
            // and listing them on every small price change would cost a query per bid.
            double slack = AuctionSlack * epsilon;
            long bids = 0;
            while (pending > 0)
            {
                if ((++bids & 0x3FFF) == 0)
                {
                    _token.ThrowIfCancellationRequested();
                }

                int bidder = queue[head];
                head = head + 1 == queue.Length ? 0 : head + 1;
                pending--;
                int column;
                if (bidder == spareBidder)
                {
                    column = prices!.ArgMax();
                    double top = prices.Max;
                    prices.Set(column, double.NegativeInfinity);
                    double next = prices.Max;
                    ColumnDual[column] = (double.IsNegativeInfinity(next) ? top : next) - epsilon;
                }
                else
                {
                    double best = Cheapest(bidder, out column, out double second, slack);
                    double gap = double.IsPositiveInfinity(second) ? 0 : second - best;
                    ColumnDual[column] -= gap + epsilon;
                    ColumnOfRow[bidder] = column;
                }

                prices?.Set(column, ColumnDual[column]);
                int evicted = OwnerOfColumn[column];
                OwnerOfColumn[column] = bidder == spareBidder ? SpareOwner : bidder;
                if (evicted != Free)
                {
                    if (evicted >= 0)
                    {
                        ColumnOfRow[evicted] = Free;
                    }

                    queue[tail] = evicted >= 0 ? evicted : spareBidder;
                    tail = tail + 1 == queue.Length ? 0 : tail + 1;
                    pending++;
                }
            }

            Bids += bids;
            if (epsilon <= finalEpsilon)
            {
                break;
            }

            epsilon = Math.Max(finalEpsilon, epsilon / factor);
        }

        LevelSpareCells();
    }

    /// <summary>
    /// At a phase start, lets go of every bidder not within ε of its cheapest cell and queues it with the
    /// unassigned ones; returns how many are queued.
    /// </summary>
    private int QueueUnsatisfied(int[] queue, double epsilon, int spareBidder)
    {
        int queued = 0;
        for (int i = 0; i < _rows; i++)
        {
            int own = ColumnOfRow[i];
            if (own >= 0)
            {
                double best = Cheapest(i, out _, out _);
                double current = TCost.Of(_x[i] - _lattice.CellX(own), _y[i] - _lattice.CellY(own)) - ColumnDual[own];
                if (current <= best + epsilon)
                {
                    continue;
                }

                OwnerOfColumn[own] = Free;
                ColumnOfRow[i] = Free;
            }

            queue[queued++] = i;
        }

        int spareHeld = 0;
        for (int j = 0; _spareCandidates is not null && j < _columns; j++)
        {
            if (OwnerOfColumn[j] == SpareOwner)
            {
                if (ColumnDual[j] >= _spareCandidates.Max - epsilon)
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
            queue[queued++] = spareBidder;
        }

        return queued;
    }
}
