using System.Runtime.CompilerServices;
using GridTsne.Engine.Parallelism;

namespace GridTsne.Engine.Layout;

/// <summary>
/// Local search on the layout's neighborhood cost: the sum over pairs of adjacent cells (the 8-neighborhood)
/// of w(d) × the feature distance of their items, with w(d) = exp(−d² / 2σ²), plus a context term:
/// <see cref="ContextWeight"/> × the distance from each item to the mean vector of the
/// (2 × <see cref="ContextRadius"/> + 1)² cells around its cell (<see cref="SmoothedMap"/>, rebuilt from the
/// layout before every pass and fixed during it). Two cells at most <see cref="SwapReach"/> apart exchange
/// their items (or an item moves into an empty cell) whenever that lowers the cost; passes repeat until one
/// changes nothing.
/// <para>
/// σ = 0.5 weighs the four direct neighbors 0.135 and the diagonal ones 0.018: DPQ16 is dominated by the
/// nearest grid neighbors. bench/layout measured σ 0.5, 0.6, 0.7, 1 and 1.5 (with cells two apart too, whose
/// weight is 0.0003 at σ = 0.5): σ = 0.5 scored highest on photo embeddings and the same on colors.
/// </para>
/// <para>
/// Why the context term: the neighborhood cost alone pulls an item next to its nearest feature neighbor even
/// when that neighbor belongs to another group and the item's other neighbors (the region t-SNE put it in)
/// are elsewhere. On the ImageNet sample (11 t-SNE layouts) that lowered 4-neighbor label agreement by 0.006
/// on average; with the context term at weight 0.05 (the direct neighbors weigh 4 × 0.135) the change was
/// −0.001, within the noise, and on samples/photos +0.028 instead of +0.006, for 0.001–0.002 less DPQ16.
/// Weights 0.1 and 0.2 kept less agreement and less DPQ16. The labels are never seen: bench/layout measures them.
/// </para>
/// <para>
/// A pass runs in four phases over tiles of <see cref="TileSide"/>² cells colored like a 2 × 2
/// checkerboard; tiles of one color are a whole tile apart, more than <see cref="Reach"/>, so a swap in one
/// never reads a cell another changes. They run in parallel and the result does not depend on the
/// thread count. The tiling shifts every pass so that swaps across tile borders happen too.
/// </para>
/// </summary>
internal sealed class NeighborhoodRefiner
{
    public const int Reach = 1;
    public const int SwapReach = 3;
    public const double Sigma = 0.5;
    private const int TileSide = 12;

    /// <summary>Weight of an item's distance to the mean of the cells around it; see the remarks.</summary>
    public const double ContextWeight = 0.05;

    /// <summary>Radius of the box the context mean is taken over (5 × 5 cells).</summary>
    public const int ContextRadius = 2;

    private static readonly (int Row, int Column, float Weight)[] Neighborhood = CreateNeighborhood();
    private static readonly (int Row, int Column)[] Candidates = CreateCandidates();

    private readonly ReadOnlyMemory<float> _vectors;
    private readonly int _dimensions;
    private readonly int _rows;
    private readonly int _columns;
    private readonly int[] _itemAt;
    private readonly int[] _cellOfItem;
    private readonly FixedParallel _parallel;
    private readonly SmoothedMap _context;

    /// <summary>
    /// Per cell, the weighted distances from its item to all its neighbors' (0 when empty): the current side of
    /// every comparison, so that a try computes only the swapped side. Recomputed around every accepted swap.
    /// </summary>
    private readonly double[] _current;

    /// <param name="context">The map the context means are kept in (rows × columns × dimensions); it is overwritten.</param>
    public NeighborhoodRefiner(ReadOnlyMemory<float> vectors, int dimensions, int rows, int columns, int[] itemAt, int[] cellOfItem, SmoothedMap context, FixedParallel parallel)
    {
        _vectors = vectors;
        _dimensions = dimensions;
        _rows = rows;
        _columns = columns;
        _itemAt = itemAt;
        _cellOfItem = cellOfItem;
        _parallel = parallel;
        _context = context;
        _current = new double[itemAt.Length];
        parallel.For(itemAt.Length, 1024, (start, end) =>
        {
            for (int cell = start; cell < end; cell++)
            {
                _current[cell] = Contribution(_itemAt[cell], cell, -1);
            }
        });
    }

    public long Moves { get; private set; }

    /// <summary>The neighborhood cost of the current layout, every pair counted once.</summary>
    public double Cost()
    {
        double total = 0;
        for (int cell = 0; cell < _itemAt.Length; cell++)
        {
            total += Contribution(_itemAt[cell], cell, -1);
        }

        return total / 2;
    }

    /// <summary>
    /// Σ over items of the distance to the context map's vector at its cell (unweighted), against the map as the
    /// last pass left it: the context side of the cost the next pass would start from.
    /// </summary>
    public double ContextCost()
    {
        double total = 0;
        for (int cell = 0; cell < _itemAt.Length; cell++)
        {
            total += ContextDistance(_itemAt[cell], cell);
        }

        return total;
    }

    /// <summary>Rebuilds the context map from the current layout (before every pass).</summary>
    private void RebuildContext() =>
        _context.Smooth(_vectors.Span, _itemAt, ContextRadius, ContextRadius, _parallel);

    /// <summary>Runs passes until one improves nothing or <paramref name="maxPasses"/> ran; returns the passes run.</summary>
    public int Refine(int maxPasses, Action<int>? passDone = null)
    {
        int tilesAcross = (_columns + TileSide) / TileSide + 1;
        int tilesDown = (_rows + TileSide) / TileSide + 1;
        int pass = 0;
        while (pass < maxPasses)
        {
            // Shift the tiling by a third of a tile each pass (deterministic, no seed needed).
            int shift = (pass * TileSide / 3) % TileSide;
            RebuildContext();
            long passMoves = 0;
            for (int phase = 0; phase < 4; phase++)
            {
                int phaseRow = phase / 2, phaseColumn = phase % 2;
                int across = (tilesAcross + 1 - phaseColumn) / 2, down = (tilesDown + 1 - phaseRow) / 2;
                int tiles = across * down;
                var chunkMoves = new long[FixedParallel.ChunkCount(tiles, 1)];
                _parallel.For(tiles, 1, (start, end) =>
                {
                    long moves = 0;
                    for (int tile = start; tile < end; tile++)
                    {
                        int top = ((((tile / across) * 2) + phaseRow) * TileSide) - shift;
                        int left = ((((tile % across) * 2) + phaseColumn) * TileSide) - shift;
                        moves += RefineTile(Math.Max(top, 0), Math.Max(left, 0), Math.Min(top + TileSide, _rows), Math.Min(left + TileSide, _columns));
                    }

                    chunkMoves[start] = moves;
                });
                foreach (long moves in chunkMoves)
                {
                    passMoves += moves;
                }
            }

            pass++;
            Moves += passMoves;
            passDone?.Invoke(pass);
            if (passMoves == 0)
            {
                break;
            }
        }

        return pass;
    }

    /// <summary>Tries every swap with both cells in rows [top, bottom) × columns [left, right).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private long RefineTile(int top, int left, int bottom, int right)
    {
        long moves = 0;
        for (int row = top; row < bottom; row++)
        {
            for (int column = left; column < right; column++)
            {
                int cell = (row * _columns) + column;
                foreach ((int dr, int dc) in Candidates)
                {
                    int r = row + dr, c = column + dc;
                    if (r < bottom && c >= left && c < right && TrySwap(cell, (r * _columns) + c))
                    {
                        moves++;
                    }
                }
            }
        }

        return moves;
    }

    private bool TrySwap(int p, int q)
    {
        int a = _itemAt[p], b = _itemAt[q];
        if (a < 0 && b < 0)
        {
            return false;
        }

        // Cost of a at p and b at q against that of b at p and a at q, each without the p–q pair, which keeps
        // its two items either way. A relative margin keeps rounding noise from swapping equal pairs back and forth.
        double pair = PairWeight(p, q) is > 0 and float weight && a >= 0 && b >= 0
            ? weight * FeatureDistance.Euclidean(Vector(a), Vector(b))
            : 0;
        double now = _current[p] + _current[q] - (2 * pair) + (ContextWeight * (ContextDistance(a, p) + ContextDistance(b, q)));
        double swapped = Contribution(b, p, q) + Contribution(a, q, p) + (ContextWeight * (ContextDistance(b, p) + ContextDistance(a, q)));
        if (!(swapped < now * (1 - 1e-9)))
        {
            return false;
        }

        CellExchange.Exchange(_itemAt, _cellOfItem, p, q);
        Recompute(p);
        Recompute(q);
        return true;
    }

    /// <summary>Refreshes the cached contributions of <paramref name="cell"/> and its neighbors.</summary>
    private void Recompute(int cell)
    {
        int row = cell / _columns, column = cell % _columns;
        _current[cell] = Contribution(_itemAt[cell], cell, -1);
        foreach ((int dr, int dc, _) in Neighborhood)
        {
            int r = row + dr, c = column + dc;
            if ((uint)r < (uint)_rows && (uint)c < (uint)_columns)
            {
                int neighbor = (r * _columns) + c;
                _current[neighbor] = Contribution(_itemAt[neighbor], neighbor, -1);
            }
        }
    }

    /// <summary>The weight between two cells, 0 when they are not neighbors.</summary>
    private float PairWeight(int p, int q)
    {
        int dr = (q / _columns) - (p / _columns), dc = (q % _columns) - (p % _columns);
        foreach ((int row, int column, float weight) in Neighborhood)
        {
            if (row == dr && column == dc)
            {
                return weight;
            }
        }

        return 0;
    }

    private ReadOnlySpan<float> Vector(int item) => _vectors.Span.Slice(item * _dimensions, _dimensions);

    private double ContextDistance(int item, int cell) => item < 0 ? 0 : FeatureDistance.Euclidean(Vector(item), _context[cell]);

    /// <summary>The weighted distances from <paramref name="item"/> placed at <paramref name="cell"/> to its neighbors, except <paramref name="excluded"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first call: tier-0 code would run for seconds
    private double Contribution(int item, int cell, int excluded)
    {
        if (item < 0)
        {
            return 0;
        }

        ReadOnlySpan<float> vectors = _vectors.Span;
        ReadOnlySpan<float> own = vectors.Slice(item * _dimensions, _dimensions);
        int row = cell / _columns, column = cell % _columns;
        double sum = 0;
        foreach ((int dr, int dc, float weight) in Neighborhood)
        {
            int r = row + dr, c = column + dc;
            if ((uint)r >= (uint)_rows || (uint)c >= (uint)_columns)
            {
                continue;
            }

            int neighborCell = (r * _columns) + c;
            int neighbor = _itemAt[neighborCell];
            if (neighbor >= 0 && neighborCell != excluded)
            {
                sum += weight * FeatureDistance.Euclidean(own, vectors.Slice(neighbor * _dimensions, _dimensions));
            }
        }

        return sum;
    }

    private static (int, int, float)[] CreateNeighborhood()
    {
        var neighborhood = new List<(int, int, float)>();
        for (int dr = -Reach; dr <= Reach; dr++)
        {
            for (int dc = -Reach; dc <= Reach; dc++)
            {
                int squared = (dr * dr) + (dc * dc);
                if (squared > 0)
                {
                    neighborhood.Add((dr, dc, (float)Math.Exp(-squared / (2 * Sigma * Sigma))));
                }
            }
        }

        return [.. neighborhood];
    }

    /// <summary>Offsets to the cells after a cell (later row, or same row to the right) within <see cref="SwapReach"/>.</summary>
    private static (int, int)[] CreateCandidates()
    {
        var candidates = new List<(int, int)>();
        for (int dr = 0; dr <= SwapReach; dr++)
        {
            for (int dc = -SwapReach; dc <= SwapReach; dc++)
            {
                if ((dr > 0 || dc > 0) && (dr * dr) + (dc * dc) <= SwapReach * SwapReach)
                {
                    candidates.Add((dr, dc));
                }
            }
        }

        return [.. candidates];
    }
}
