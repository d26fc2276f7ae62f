using GridTsne.Engine.Parallelism;

namespace GridTsne.Engine.Assignment;

/// <summary>How a sparse solve went: the solution, its proven optimality gap and the work it took.</summary>
internal sealed record SparseSolveReport(
    AssignmentSolution Solution,
    double ProvenGap,
    int Levels,
    long Bids,
    long Searches,
    long CandidateEdges);

/// <summary>
/// Exact grid assignment without a dense matrix, coarse to fine:
/// <list type="number">
/// <item>Coarsen: each coarser level has a quarter of the points, the centroids of spatially compact groups,
/// on a lattice with half as many cells per axis over the same extent; the coarsest level is solved by
/// <see cref="DenseJonkerVolgenant{TMatrix, TRow}"/>.</item>
/// <item>Refine each finer level from the coarser one: its cell prices interpolated (optimal transport
/// potentials are smooth, so they are good guesses) and its assignment lifted, each group to the cells of its
/// coarse cell. Points list their cheapest cells under these prices (<see cref="PriceIndex{TCost}"/>, a
/// power-diagram query for squared distances); an ε-scaling auction and then shortest augmenting paths over
/// all cells solve the level exactly (<see cref="LazyGridAssignment{TCost}"/>).</item>
/// <item>Prove it: for every point the cheapest cell over the whole grid under the final prices. None is
/// cheaper than the point's dual allows, so the duals are feasible for the full matrix and the assignment is
/// optimal by LP duality. (If rounding ever left one, it would be listed and the point re-augmented; the
/// report carries the gap that remained.)</item>
/// </list>
/// Memory is O(N + M) plus a few candidates per point; no N × M matrix.
/// </summary>
internal static class SparseGridSolver<TCost>
    where TCost : struct, IGridCost
{
    /// <summary>Levels are coarsened until they have at most this many points and four times as many cells, then solved dense.</summary>
    internal const int DenseBasePoints = 256;

    /// <summary>Cheapest cells listed per point when a level starts and after each auction phase.</summary>
    internal const int InitialCandidates = 8;

    /// <summary>
    /// The auction's ε schedule, in cost units (a move by one cell costs 1): after coarse-to-fine the prices
    /// are off by a few units, so 4 is a fair start; dividing by 8 per phase, 0.01 ends with only slack the
    /// exact phase removes in a few steps per point.
    /// </summary>
    internal const double StartEpsilon = 4;

    internal const double FinalEpsilon = 0.01;

    internal const double EpsilonFactor = 8;

    /// <summary>Proof rounds (pricing, then re-augmenting what rounding left) before the gap is reported instead.</summary>
    internal const int MaxPricingRounds = 20;

    private const int ParallelChunk = 512;

    public static SparseSolveReport Solve(double[] x, double[] y, GridShape shape, Action<AssignmentProgress>? progress, CancellationToken token)
    {
        List<Level> levels = Coarsen(x, y, CellLattice.Unit(shape));
        double[] prices;
        int[]? assignment = null;
        int first;
        if (levels.Count == 1)
        {
            prices = new double[shape.CellCount];
            first = 0;
        }
        else
        {
            Level coarsest = levels[^1];
            progress?.Invoke(new AssignmentProgress($"Level {levels.Count}/{levels.Count}: {coarsest.X.Length:N0} points, dense", 0));
            AssignmentSolution dense = DenseJonkerVolgenant<GridCostMatrix<TCost>, GridCostMatrix<TCost>.PointRow>
                .Solve(new GridCostMatrix<TCost>(coarsest.X, coarsest.Y, coarsest.Lattice), null, token);
            prices = dense.ColumnDuals;
            assignment = dense.ColumnOfRow;
            first = levels.Count - 2;
        }

        Refinement? refined = null;
        long bids = 0, searches = 0;
        for (int k = first; k >= 0; k--)
        {
            Level level = levels[k];
            double[] start = prices;
            int[]? initial = null;
            if (k < levels.Count - 1)
            {
                start = Interpolate(prices, levels[k + 1].Lattice, level.Lattice);
                initial = Lift(level, levels[k + 1].Lattice, assignment!);
            }

            string activity = $"Level {k + 1}/{levels.Count}: {level.X.Length:N0} points on {level.Lattice.Shape}";
            refined = Refine(level, start, initial, activity, progress, token);
            prices = refined.Solution.ColumnDuals;
            assignment = refined.Solution.ColumnOfRow;
            bids += refined.Bids;
            searches += refined.Searches;
        }

        return new SparseSolveReport(refined!.Solution, refined.Gap, levels.Count, bids, searches, refined.Edges);
    }

    /// <summary>A level's points and cells; <see cref="GroupOf"/> maps each point to its group at the next coarser level.</summary>
    private sealed record Level(double[] X, double[] Y, CellLattice Lattice)
    {
        public int[]? GroupOf { get; set; }
    }

    private sealed record Refinement(AssignmentSolution Solution, double Gap, long Bids, long Searches, long Edges);

    /// <summary>
    /// Each coarser level has about a quarter of the points: the centroids of spatially compact groups (median
    /// splits along the wider axis), as many as keep the share of empty cells, on a lattice of half as many
    /// cells per axis over the same extent. Coordinates and costs stay those of the finest level.
    /// </summary>
    private static List<Level> Coarsen(double[] x, double[] y, CellLattice lattice)
    {
        var levels = new List<Level> { new(x, y, lattice) };
        while (true)
        {
            Level fine = levels[^1];
            CellLattice fineLattice = fine.Lattice;
            if ((fine.X.Length <= DenseBasePoints && fineLattice.CellCount <= 4 * DenseBasePoints) || fineLattice.CellCount == 1)
            {
                break;
            }

            CellLattice coarse = fineLattice.Coarsened();
            int count = (int)Math.Clamp(Math.Round((double)fine.X.Length * coarse.CellCount / fineLattice.CellCount), 1, Math.Min(coarse.CellCount, fine.X.Length));
            double[] cx = new double[count], cy = new double[count];
            int[] order = new int[fine.X.Length];
            for (int k = 0; k < order.Length; k++)
            {
                order[k] = k;
            }

            fine.GroupOf = new int[fine.X.Length];
            Group(fine.X, fine.Y, order, 0, order.Length, 0, count, cx, cy, fine.GroupOf);
            levels.Add(new Level(cx, cy, coarse));
        }

        return levels;
    }

    /// <summary>Splits points order[from..to) into <paramref name="groups"/> groups at the median of the wider axis; writes centroids.</summary>
    private static void Group(double[] x, double[] y, int[] order, int from, int to, int firstGroup, int groups, double[] cx, double[] cy, int[] groupOf)
    {
        if (groups == 1)
        {
            double sx = 0, sy = 0;
            for (int k = from; k < to; k++)
            {
                sx += x[order[k]];
                sy += y[order[k]];
                groupOf[order[k]] = firstGroup;
            }

            cx[firstGroup] = sx / (to - from);
            cy[firstGroup] = sy / (to - from);
            return;
        }

        double minX = double.PositiveInfinity, maxX = double.NegativeInfinity, minY = double.PositiveInfinity, maxY = double.NegativeInfinity;
        for (int k = from; k < to; k++)
        {
            minX = Math.Min(minX, x[order[k]]);
            maxX = Math.Max(maxX, x[order[k]]);
            minY = Math.Min(minY, y[order[k]]);
            maxY = Math.Max(maxY, y[order[k]]);
        }

        double[] axis = maxX - minX >= maxY - minY ? x : y;
        int leftGroups = groups / 2;
        int middle = from + (int)((long)(to - from) * leftGroups / groups);
        Array.Sort(order, from, to - from, Comparer<int>.Create((a, b) => axis[a] != axis[b] ? axis[a].CompareTo(axis[b]) : a.CompareTo(b)));
        Group(x, y, order, from, middle, firstGroup, leftGroups, cx, cy, groupOf);
        Group(x, y, order, middle, to, firstGroup + leftGroups, groups - leftGroups, cx, cy, groupOf);
    }

    /// <summary>
    /// The coarse assignment on the fine lattice: each group's points go to the fine cells nearest to its
    /// coarse cell, matched optimally by enumeration (a handful of points and cells). Points that do not fit
    /// stay unplaced (-1).
    /// </summary>
    private static int[] Lift(Level fine, CellLattice coarse, int[] coarseAssignment)
    {
        int n = fine.X.Length;
        CellLattice lattice = fine.Lattice;
        int[] memberStart = Buckets(coarseAssignment.Length, n, i => fine.GroupOf![i], out int[] members);
        int[] cellStart = Buckets(coarse.CellCount, lattice.CellCount, cell => NearestCell(coarse, lattice.CellX(cell), lattice.CellY(cell)), out int[] cellsByCoarse);

        int[] placed = new int[n];
        Array.Fill(placed, -1);
        Span<int> best = stackalloc int[8];
        Span<int> trial = stackalloc int[8];
        for (int g = 0; g < coarseAssignment.Length; g++)
        {
            int coarseCell = coarseAssignment[g];
            ReadOnlySpan<int> group = members.AsSpan(memberStart[g], Math.Min(8, memberStart[g + 1] - memberStart[g]));
            ReadOnlySpan<int> cells = cellsByCoarse.AsSpan(cellStart[coarseCell], cellStart[coarseCell + 1] - cellStart[coarseCell]);
            double bestCost = double.PositiveInfinity;
            best.Fill(-1);
            trial.Fill(-1);
            MatchSmall(fine, group, cells, 0, 0, trial, ref bestCost, best);
            for (int k = 0; k < group.Length; k++)
            {
                placed[group[k]] = best[k];
            }
        }

        return placed;
    }

    /// <summary>Groups items 0..count-1 by key (counting sort); returns the start of each key's run.</summary>
    private static int[] Buckets(int keys, int count, Func<int, int> keyOf, out int[] items)
    {
        int[] start = new int[keys + 1];
        int[] key = new int[count];
        for (int i = 0; i < count; i++)
        {
            key[i] = keyOf(i);
            start[key[i] + 1]++;
        }

        for (int k = 0; k < keys; k++)
        {
            start[k + 1] += start[k];
        }

        items = new int[count];
        int[] fill = (int[])start.Clone();
        for (int i = 0; i < count; i++)
        {
            items[fill[key[i]]++] = i;
        }

        return start;
    }

    private static int NearestCell(CellLattice lattice, double x, double y)
    {
        int column = Math.Clamp((int)Math.Round((x - lattice.OriginX) / lattice.SpacingX), 0, lattice.Columns - 1);
        int row = Math.Clamp((int)Math.Round((y - lattice.OriginY) / lattice.SpacingY), 0, lattice.Rows - 1);
        return (row * lattice.Columns) + column;
    }

    /// <summary>Enumerates injective placements of the group's points (as many as fit) into the cells, keeping the cheapest.</summary>
    private static void MatchSmall(Level fine, ReadOnlySpan<int> group, ReadOnlySpan<int> cells, int member, double cost, Span<int> trial, ref double bestCost, Span<int> best)
    {
        if (cost >= bestCost)
        {
            return;
        }

        int placedCount = 0;
        for (int k = 0; k < member; k++)
        {
            placedCount += trial[k] >= 0 ? 1 : 0;
        }

        if (member == group.Length)
        {
            if (placedCount == Math.Min(group.Length, cells.Length))
            {
                bestCost = cost;
                trial[..group.Length].CopyTo(best);
            }

            return;
        }

        int i = group[member];
        for (int c = 0; c < cells.Length; c++)
        {
            if (trial[..member].Contains(cells[c]))
            {
                continue;
            }

            trial[member] = cells[c];
            double step = TCost.Of(fine.X[i] - fine.Lattice.CellX(cells[c]), fine.Y[i] - fine.Lattice.CellY(cells[c]));
            MatchSmall(fine, group, cells, member + 1, cost + step, trial, ref bestCost, best);
        }

        if (group.Length - member > cells.Length - placedCount)
        {
            trial[member] = -1;
            MatchSmall(fine, group, cells, member + 1, cost, trial, ref bestCost, best);
        }

        trial[member] = -1;
    }

    /// <summary>Coarse prices at the fine cell centres: bilinear, extrapolated linearly beyond the outer centres.</summary>
    private static double[] Interpolate(double[] coarse, CellLattice from, CellLattice to)
    {
        double[] fine = new double[to.CellCount];
        for (int r = 0; r < to.Rows; r++)
        {
            Locate((to.CenterY(r) - from.OriginY) / from.SpacingY, from.Rows, out int r0, out double wr);
            for (int c = 0; c < to.Columns; c++)
            {
                Locate((to.CenterX(c) - from.OriginX) / from.SpacingX, from.Columns, out int c0, out double wc);
                int r1 = Math.Min(r0 + 1, from.Rows - 1), c1 = Math.Min(c0 + 1, from.Columns - 1);
                double top = ((1 - wc) * coarse[(r0 * from.Columns) + c0]) + (wc * coarse[(r0 * from.Columns) + c1]);
                double bottom = ((1 - wc) * coarse[(r1 * from.Columns) + c0]) + (wc * coarse[(r1 * from.Columns) + c1]);
                fine[(r * to.Columns) + c] = ((1 - wr) * top) + (wr * bottom);
            }
        }

        return fine;
    }

    private static void Locate(double t, int count, out int index, out double weight)
    {
        if (count == 1)
        {
            index = 0;
            weight = 0;
            return;
        }

        index = Math.Clamp((int)Math.Floor(t), 0, count - 2);
        weight = t - index;
    }

    private static Refinement Refine(Level level, double[] startPrices, int[]? initial, string activity, Action<AssignmentProgress>? progress, CancellationToken token)
    {
        double[] x = level.X, y = level.Y;
        CellLattice lattice = level.Lattice;
        int n = x.Length;
        double tolerance = Tolerance(lattice);
        var index = new PriceIndex<TCost>(lattice);
        var assignment = new LazyGridAssignment<TCost>(x, y, lattice, index, tolerance, token);
        assignment.SetPrices(startPrices);

        // Prices fall during the auction; each phase starts from an index and candidate lists of its prices.
        int phase = 0;
        progress?.Invoke(new AssignmentProgress($"{activity}: auction", 0));
        assignment.Auction(initial, StartEpsilon, FinalEpsilon, EpsilonFactor, () =>
        {
            progress?.Invoke(new AssignmentProgress($"{activity}: auction", Math.Min(0.9, 0.2 * phase++)));
            index.Build(assignment.ColumnDual);
            ListCandidates(assignment, index, x, y, tolerance, token);
        });
        index.Build(assignment.ColumnDual);
        ListCandidates(assignment, index, x, y, tolerance, token);
        List<int> free = assignment.Start();

        int rounds = 0;
        double gap;
        int[] cheaper = new int[n * LazyGridAssignment<TCost>.ExpansionSize];
        double[] cheaperValue = new double[cheaper.Length];
        int[] cheaperCount = new int[n];
        while (true)
        {
            AugmentAll(assignment, free, activity, progress, token);
            progress?.Invoke(new AssignmentProgress($"{activity}: proving optimality", 1));
            assignment.LevelSpareCells();
            index.Build(assignment.ColumnDual);
            gap = CheaperCells(assignment.RowDual, index, x, y, tolerance, cheaper, cheaperValue, cheaperCount, token);
            free.Clear();
            for (int i = 0; i < n; i++)
            {
                int k = LazyGridAssignment<TCost>.ExpansionSize;
                if (cheaperCount[i] > 0 && assignment.Reprice(i, cheaper.AsSpan(i * k, cheaperCount[i]), cheaperValue.AsSpan(i * k, cheaperCount[i])))
                {
                    free.Add(i);
                }
            }

            if (free.Count == 0 || ++rounds >= MaxPricingRounds)
            {
                break;
            }
        }

        var solution = new AssignmentSolution((int[])assignment.ColumnOfRow.Clone(), (double[])assignment.RowDual.Clone(), (double[])assignment.ColumnDual.Clone()).Normalized();
        return new Refinement(solution, gap, assignment.Bids, assignment.Searches, assignment.EdgeCount);
    }

    /// <summary>
    /// For every point, the cells over the whole grid cheaper than its dual allows (up to a few of them). None
    /// for any point proves the duals feasible for the full matrix. Returns the gap: how much the assignment
    /// can at most exceed the optimum, the sum of the shortfalls.
    /// </summary>
    private static double CheaperCells(double[] rowDual, PriceIndex<TCost> index, double[] x, double[] y, double tolerance,
        int[] cells, double[] values, int[] counts, CancellationToken token)
    {
        int k = LazyGridAssignment<TCost>.ExpansionSize;
        new FixedParallel(Environment.ProcessorCount, token).For(x.Length, ParallelChunk, (from, to) =>
        {
            for (int i = from; i < to; i++)
            {
                // A small positive prune offset keeps "none found" a proof despite rounding in the bounds.
                counts[i] = index.Query(x[i], y[i], k, rowDual[i] - tolerance, tolerance / 16, values.AsSpan(i * k, k), cells.AsSpan(i * k, k));
            }
        });

        double gap = 0;
        for (int i = 0; i < x.Length; i++)
        {
            if (counts[i] > 0)
            {
                gap += rowDual[i] - values[i * k];
            }
        }

        return gap;
    }

    /// <summary>Lists each point's cheapest cells under the index's prices, with the bound on all others.</summary>
    private static void ListCandidates(LazyGridAssignment<TCost> assignment, PriceIndex<TCost> index, double[] x, double[] y, double tolerance, CancellationToken token)
    {
        int n = x.Length;
        const int k = InitialCandidates;
        int[] found = new int[n * k];
        double[] foundValue = new double[n * k];
        int[] foundCount = new int[n];
        double[] coverage = new double[n];
        new FixedParallel(Environment.ProcessorCount, token).For(n, ParallelChunk, (from, to) =>
        {
            for (int i = from; i < to; i++)
            {
                Span<double> values = foundValue.AsSpan(i * k, k);
                int count = index.Query(x[i], y[i], k, double.PositiveInfinity, -tolerance, values, found.AsSpan(i * k, k));
                foundCount[i] = count;
                coverage[i] = count < k ? double.PositiveInfinity : values[count - 1] - (2 * tolerance);
            }
        });

        assignment.ClearCandidates();
        for (int i = 0; i < n; i++)
        {
            assignment.AddCandidates(i, found.AsSpan(i * k, foundCount[i]), foundValue.AsSpan(i * k, foundCount[i]), coverage[i]);
        }
    }

    /// <summary>The rounding allowance for reduced costs: far above double rounding, far below any real cost difference.</summary>
    internal static double Tolerance(CellLattice lattice) => 1e-12 * (TCost.Of(lattice.Extent, lattice.Extent) + 1);

    private static void AugmentAll(LazyGridAssignment<TCost> assignment, List<int> free, string activity, Action<AssignmentProgress>? progress, CancellationToken token)
    {
        for (int k = 0; k < free.Count; k++)
        {
            if ((k & 1023) == 0)
            {
                token.ThrowIfCancellationRequested();
                progress?.Invoke(new AssignmentProgress($"{activity}: shortest augmenting paths", (double)k / free.Count));
            }

            assignment.Augment(free[k]);
        }
    }
}
