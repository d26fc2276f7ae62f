namespace GridTsne.Engine.Assignment;

/// <summary>How a sparse solve went: the solution, its proven optimality gap and the work it took.</summary>
internal sealed record SparseSolveReport(
    AssignmentSolution Solution,
    double ProvenGap,
    int Levels,
    int PricingRounds,
    long CandidateEdges,
    long Searches);

/// <summary>
/// Exact grid assignment without a dense matrix: coarse-to-fine shortest augmenting paths on candidate cells
/// that the dual prices generate, grown until the prices prove the assignment optimal over all cells.
/// <list type="number">
/// <item>Coarsen: a nested random subset of the points (a quarter per level) on a grid of 2×2 blocks, down to
/// a size the dense solver handles in milliseconds.</item>
/// <item>Refine each level from the coarser level's cell prices, interpolated (dual potentials of optimal
/// transport are smooth, so they are good guesses): each point's candidates are its cheapest cells under
/// those prices, found with <see cref="PriceIndex{TCost}"/> (for squared distances a power-diagram query);
/// shortest augmenting paths solve the assignment on the candidates.</item>
/// <item>Pricing: for every point, the cheapest cell over the whole grid under the new prices. If none beats
/// the point's dual, the duals are feasible for the full matrix and the assignment is optimal (LP duality).
/// Otherwise those cells become candidates, their points are freed and re-augmented, and pricing repeats.</item>
/// </list>
/// Each point also keeps one edge of a sorted layout, so the candidates always admit a complete assignment.
/// </summary>
internal static class SparseGridSolver<TCost>
    where TCost : struct, IGridCost
{
    /// <summary>Levels are coarsened until they have at most this many points (then solved dense).</summary>
    internal const int DenseBasePoints = 1024;

    /// <summary>... and at most this many cells.</summary>
    internal const int DenseBaseCells = 4096;

    internal static readonly int InitialCandidates = int.Parse(Environment.GetEnvironmentVariable("JVK0") ?? "8");
    internal static readonly int AddedCandidates = int.Parse(Environment.GetEnvironmentVariable("JVK1") ?? "8");
    internal const int MaxPricingRounds = 200;

    private const int ParallelChunk = 512;

    public static SparseSolveReport Solve(double[] x, double[] y, GridShape shape, Action<AssignmentProgress>? progress, CancellationToken token)
    {
        List<Level> levels = Coarsen(x, y, CellLattice.Unit(shape));
        int rounds = 0;
        long searches = 0;
        double gap = 0;
        double[] prices;
        int[]? coarseAssignment = null;
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
            coarseAssignment = dense.ColumnOfRow;
            first = levels.Count - 2;
        }

        AssignmentSolution? solution = null;
        long edges = 0;
        for (int k = first; k >= 0; k--)
        {
            Level level = levels[k];
            double[] start = prices;
            int[]? initial = null;
            if (k < levels.Count - 1)
            {
                start = Interpolate(prices, levels[k + 1].Lattice, level.Lattice);
                initial = Lift(level, levels[k + 1].Lattice, coarseAssignment!);
            }

            string activity = $"Level {k + 1}/{levels.Count}: {level.X.Length:N0} points on {level.Lattice.Shape}";
            var refined = Refine(level, start, initial, activity, progress, token);
            solution = refined.Solution;
            prices = solution.ColumnDuals;
            coarseAssignment = solution.ColumnOfRow;
            rounds += refined.Rounds;
            searches += refined.Searches;
            edges = refined.Edges;
            gap = refined.Gap;
        }

        return new SparseSolveReport(solution!, gap, levels.Count, rounds, edges, searches);
    }

    /// <summary>A level's points and cells; <see cref="GroupOf"/> maps each point to its group at the next coarser level.</summary>
    private sealed record Level(double[] X, double[] Y, CellLattice Lattice)
    {
        public int[]? GroupOf { get; set; }
    }

    private sealed record Refinement(AssignmentSolution Solution, double Gap, int Rounds, long Edges, long Searches);

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
            if ((fine.X.Length <= DenseBasePoints && fineLattice.CellCount <= DenseBaseCells) || fineLattice.CellCount == 1)
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
            Locate((to.CentreY(r) - from.OriginY) / from.SpacingY, from.Rows, out int r0, out double wr);
            for (int c = 0; c < to.Columns; c++)
            {
                Locate((to.CentreX(c) - from.OriginX) / from.SpacingX, from.Columns, out int c0, out double wc);
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
        GridShape shape = lattice.Shape;
        int n = x.Length;
        double tolerance = Tolerance(lattice);
        bool trace = Environment.GetEnvironmentVariable("JVTRACE") != null;
        var sw = System.Diagnostics.Stopwatch.StartNew();

        var index = new PriceIndex<TCost>(lattice);
        var paths = new LazyShortestPaths<TCost>(x, y, lattice, index, AddedCandidates, tolerance, token);
        paths.SetPrices(startPrices);
        index.Build(paths.ColumnDual);

        ListCandidates(paths, index, x, y, tolerance, token);
        if (trace) Console.Error.WriteLine($"  listed t={sw.Elapsed.TotalMilliseconds:F0}ms");
        double eps0 = double.Parse(Environment.GetEnvironmentVariable("JVEPS0") ?? "0");
        if (eps0 > 0)
        {
            paths.Auction(initial, eps0, double.Parse(Environment.GetEnvironmentVariable("JVEPS1") ?? "0.01"), double.Parse(Environment.GetEnvironmentVariable("JVEPSF") ?? "4"), () =>
            {
                index.Build(paths.ColumnDual);
                ListCandidates(paths, index, x, y, tolerance, token);
            });
            if (trace) Console.Error.WriteLine($"  auction t={sw.Elapsed.TotalMilliseconds:F0}ms bids={paths.Bids} expansions={paths.Expansions} edges={paths.EdgeCount}");
            index.Build(paths.ColumnDual);
            ListCandidates(paths, index, x, y, tolerance, token);
        }

        List<int> free = paths.Start(eps0 > 0 ? null : initial);
        if (trace) Console.Error.WriteLine($"{activity}: start free={free.Count} t={sw.Elapsed.TotalMilliseconds:F0}ms");

        int rounds = 0;
        double gap;
        int[] cheaper = new int[n * AddedCandidates];
        double[] cheaperValue = new double[n * AddedCandidates];
        int[] cheaperCount = new int[n];
        double[] shortfall = new double[n];
        while (true)
        {
            AugmentAll(paths, free, activity, rounds, progress, token);
            if (trace) { var ss = paths.SearchSizes.OrderBy(t => t).ToArray(); var dd = paths.SearchDistances.OrderBy(t => t).ToArray(); if (ss.Length > 0) Console.Error.WriteLine($"  sizes p50={ss[ss.Length/2]} p90={ss[ss.Length*9/10]} p99={ss[ss.Length*99/100]} max={ss[^1]} sum={ss.Sum()} top1%={ss.Skip(ss.Length*99/100).Sum()} D* p50={dd[dd.Length/2]:G3} p90={dd[dd.Length*9/10]:G3} max={dd[^1]:G3}"); }
            if (trace) Console.Error.WriteLine($"  augmented t={sw.Elapsed.TotalMilliseconds:F0}ms searches={paths.Searches} settled={paths.SettledColumns} expansions={paths.Expansions} edges={paths.EdgeCount} relax={paths.RelaxCount} push={paths.PushCount} queryCells={paths.QueryCells}");

            // The proof: no cell is cheaper for any point than its dual allows (the search was exact over all
            // cells, so only rounding could leave one; if so it is added and the point re-augmented).
            progress?.Invoke(new AssignmentProgress($"{activity}: proving optimality", 1));
            paths.LevelSparePrices();
            index.Build(paths.ColumnDual);
            double[] rowDual = paths.RowDual;
            ForRows(n, token, (from, to) =>
            {
                for (int i = from; i < to; i++)
                {
                    Span<double> values = cheaperValue.AsSpan(i * AddedCandidates, AddedCandidates);
                    int count = index.Query(x[i], y[i], AddedCandidates, rowDual[i] - tolerance, tolerance / 16,
                        values, cheaper.AsSpan(i * AddedCandidates, AddedCandidates));
                    cheaperCount[i] = count;
                    shortfall[i] = count > 0 ? rowDual[i] - values[0] : 0;
                }
            });
            if (trace) Console.Error.WriteLine($"  priced t={sw.Elapsed.TotalMilliseconds:F0}ms violators={cheaperCount.Count(c => c > 0)}");

            gap = 0;
            free.Clear();
            for (int i = 0; i < n; i++)
            {
                if (cheaperCount[i] > 0)
                {
                    gap += shortfall[i];
                    if (paths.Reprice(i, cheaper.AsSpan(i * AddedCandidates, cheaperCount[i]), cheaperValue.AsSpan(i * AddedCandidates, cheaperCount[i])))
                    {
                        free.Add(i);
                    }
                }
            }

            if (free.Count == 0 || ++rounds >= MaxPricingRounds)
            {
                break;
            }
        }

        if (trace && Environment.GetEnvironmentVariable("JVMAP") != null)
        {
            double[] diff = new double[paths.ColumnDual.Length];
            for (int j = 0; j < diff.Length; j++) diff[j] = paths.ColumnDual[j] - startPrices[j];
            double mean = diff.Average();
            int bs = Math.Max(1, shape.Columns / 20);
            for (int br = 0; br < shape.Rows; br += bs)
            {
                var line = new System.Text.StringBuilder();
                for (int bc = 0; bc < shape.Columns; bc += bs)
                {
                    double m = 0; int cnt = 0;
                    for (int r = br; r < Math.Min(shape.Rows, br + bs); r++) for (int c = bc; c < Math.Min(shape.Columns, bc + bs); c++) { m += diff[r * shape.Columns + c] - mean; cnt++; }
                    line.Append($"{m / cnt,5:F0}");
                }
                Console.Error.WriteLine(line);
            }
            // density of points per block
            int[] dens = new int[diff.Length];
            for (int i = 0; i < n; i++) { dens[NearestCell(lattice, x[i], y[i])]++; }
            Console.Error.WriteLine("density:");
            for (int br = 0; br < shape.Rows; br += bs)
            {
                var line = new System.Text.StringBuilder();
                for (int bc = 0; bc < shape.Columns; bc += bs)
                {
                    int m = 0;
                    for (int r = br; r < Math.Min(shape.Rows, br + bs); r++) for (int c = bc; c < Math.Min(shape.Columns, bc + bs); c++) m += dens[r * shape.Columns + c];
                    line.Append($"{m,5}");
                }
                Console.Error.WriteLine(line);
            }
        }
        var solution = new AssignmentSolution((int[])paths.ColumnOfRow.Clone(), (double[])paths.RowDual.Clone(), (double[])paths.ColumnDual.Clone()).Normalized();
        return new Refinement(solution, gap, rounds, paths.EdgeCount, paths.Searches);
    }

    /// <summary>Lists each point's cheapest cells under the index's prices, with the bound on all others.</summary>
    private static void ListCandidates(LazyShortestPaths<TCost> paths, PriceIndex<TCost> index, double[] x, double[] y, double tolerance, CancellationToken token)
    {
        int n = x.Length;
        int k = InitialCandidates;
        int[] found = new int[n * k];
        double[] foundValue = new double[n * k];
        int[] foundCount = new int[n];
        double[] coverage = new double[n];
        ForRows(n, token, (from, to) =>
        {
            for (int i = from; i < to; i++)
            {
                Span<double> values = foundValue.AsSpan(i * k, k);
                int count = index.Query(x[i], y[i], k, double.PositiveInfinity, -tolerance, values, found.AsSpan(i * k, k));
                foundCount[i] = count;
                coverage[i] = count < k ? double.PositiveInfinity : values[count - 1] - (2 * tolerance);
            }
        });

        paths.ClearCandidates();
        for (int i = 0; i < n; i++)
        {
            paths.AddCandidates(i, found.AsSpan(i * k, foundCount[i]), foundValue.AsSpan(i * k, foundCount[i]), coverage[i]);
        }
    }

    /// <summary>The rounding allowance for reduced costs: far above double rounding, far below any real cost difference.</summary>
    internal static double Tolerance(CellLattice lattice) => 1e-12 * (TCost.Of(lattice.Extent, lattice.Extent) + 1);

    private static void AugmentAll(LazyShortestPaths<TCost> paths, List<int> free, string activity, int round, Action<AssignmentProgress>? progress, CancellationToken token)
    {
        for (int k = 0; k < free.Count; k++)
        {
            if ((k & 1023) == 0)
            {
                token.ThrowIfCancellationRequested();
                progress?.Invoke(new AssignmentProgress(
                    round == 0 ? $"{activity}: augmenting" : $"{activity}: augmenting after pricing round {round}",
                    (double)k / free.Count));
            }

            paths.Augment(free[k]);
        }
    }

    private static void ForRows(int n, CancellationToken token, Action<int, int> body)
    {
        int chunks = (n + ParallelChunk - 1) / ParallelChunk;
        Parallel.For(0, chunks, new ParallelOptions { CancellationToken = token }, chunk =>
        {
            int from = chunk * ParallelChunk;
            body(from, Math.Min(n, from + ParallelChunk));
        });
    }
}
