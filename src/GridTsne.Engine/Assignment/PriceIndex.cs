using System.Numerics;
using System.Runtime.CompilerServices;
using GridTsne.Engine.Collections;

namespace GridTsne.Engine.Assignment;

/// <summary>
/// A block of cells with a model of its prices: v ≤ Offset + SlopeColumn·t + CurvatureColumn·t² + SlopeRow·s +
/// CurvatureRow·s² + MaxResidual, where t and s are the column and row offsets from the block's centre.
/// </summary>
internal struct PriceBlock
{
    public double CenterColumn;
    public double CenterRow;

    /// <summary>Offsets of the first and last cell centres from the centre (LowColumn ≤ 0 ≤ HighColumn).</summary>
    public double LowColumn;
    public double HighColumn;
    public double LowRow;
    public double HighRow;

    public double Offset;
    public double SlopeColumn;
    public double SlopeRow;
    public double CurvatureColumn;
    public double CurvatureRow;
    public double MaxResidual;
    public double MaxPrice;
}

/// <summary>
/// Finds, for a point, the cells with the smallest reduced cost <c>cost(p, q) − v(q)</c> over the whole grid,
/// exactly, without visiting every cell. For squared distances this is a query in the power (Laguerre) diagram
/// of the cell centres weighted by their prices. A quadtree of 4×4-cell leaves stores, per block, a quadratic
/// least-squares model of the prices and its largest excess, which gives a tight lower bound of the reduced
/// cost over the block (<see cref="IGridCost.LowerBound"/>); a depth-first branch and bound visits the blocks
/// nearest first and prunes the rest. Immutable after <see cref="Build"/>, so queries run in parallel.
/// </summary>
internal sealed class PriceIndex<TCost>
    where TCost : struct, IGridCost
{
    private const int LeafLevel = 2;
    private const int MaxStack = 96;

    /// <summary>0, 1, 2, … per vector lane.</summary>
    private static readonly Vector<double> LaneOffsets = CreateLaneOffsets();

    private readonly CellLattice _lattice;
    private readonly int _rows;
    private readonly int _columns;
    private readonly int _topLevel;
    private readonly PriceBlock[][] _levels;
    private double[] _prices = [];

    public PriceIndex(CellLattice lattice)
    {
        _lattice = lattice;
        int rows = lattice.Rows, columns = lattice.Columns;
        _rows = rows;
        _columns = columns;
        int top = LeafLevel;
        while ((1 << top) < Math.Max(rows, columns))
        {
            top++;
        }

        _topLevel = top;
        _levels = new PriceBlock[top + 1][];
        for (int level = LeafLevel; level <= top; level++)
        {
            _levels[level] = new PriceBlock[BlocksAcross(columns, level) * BlocksAcross(rows, level)];
        }
    }

    /// <summary>(Re)builds the block models for the given cell prices (indexed row × Columns + column).</summary>
    public void Build(double[] prices)
    {
        _prices = prices;
        for (int level = LeafLevel; level <= _topLevel; level++)
        {
            BuildLevel(level);
        }
    }

    /// <summary>
    /// Finds up to <paramref name="k"/> cells with the smallest reduced cost below <paramref name="threshold"/>,
    /// sorted ascending into <paramref name="values"/> and <paramref name="cells"/>; returns how many.
    /// A block is skipped when its lower bound is at least the current bound plus <paramref name="pruneOffset"/>:
    /// a small positive offset makes "nothing below the threshold" a proof despite rounding, a negative one
    /// skips exact ties when only good candidates are wanted.
    /// </summary>
    public int Query(double px, double py, int k, double threshold, double pruneOffset, Span<double> values, Span<int> cells)
    {
        Span<int> stackLevel = stackalloc int[MaxStack];
        Span<int> stackBlock = stackalloc int[MaxStack];
        Span<double> stackBound = stackalloc double[MaxStack];
        int depth = 0;
        var found = new SmallestKeysHeap<double>(values[..k], cells[..k]);
        stackLevel[0] = _topLevel;
        stackBlock[0] = 0;
        stackBound[0] = double.NegativeInfinity;
        depth = 1;

        Span<double> childBound = stackalloc double[4];
        Span<int> childBlock = stackalloc int[4];
        while (depth > 0)
        {
            depth--;
            int level = stackLevel[depth];
            int block = stackBlock[depth];
            double bound = Math.Min(found.Bound, threshold);
            if (stackBound[depth] >= bound + pruneOffset)
            {
                continue;
            }

            int across = BlocksAcross(_columns, level);
            int bx = block % across, by = block / across;
            if (level == LeafLevel)
            {
                ScanLeaf(px, py, bx, by, threshold, ref found);
                continue;
            }

            int childLevel = level - 1;
            int childAcross = BlocksAcross(_columns, childLevel);
            int childDown = BlocksAcross(_rows, childLevel);
            PriceBlock[] children = _levels[childLevel];
            int count = 0;
            for (int cy = 2 * by; cy <= (2 * by) + 1 && cy < childDown; cy++)
            {
                for (int cx = 2 * bx; cx <= (2 * bx) + 1 && cx < childAcross; cx++)
                {
                    int child = (cy * childAcross) + cx;
                    double lower = TCost.LowerBound(px, py, in children[child]);
                    if (lower >= bound + pruneOffset)
                    {
                        continue;
                    }

                    // Insertion by descending bound, so that the most promising child is popped first.
                    int at = count++;
                    while (at > 0 && childBound[at - 1] < lower)
                    {
                        childBound[at] = childBound[at - 1];
                        childBlock[at] = childBlock[at - 1];
                        at--;
                    }

                    childBound[at] = lower;
                    childBlock[at] = child;
                }
            }

            for (int i = 0; i < count; i++)
            {
                stackLevel[depth] = childLevel;
                stackBlock[depth] = childBlock[i];
                stackBound[depth] = childBound[i];
                depth++;
            }
        }

        found.SortAscending();
        return found.Size;
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int BlocksAcross(int cells, int level) => ((cells - 1) >> level) + 1;

    /// <summary>Offers the leaf's cells whose reduced cost is below the threshold and the k-th found so far.</summary>
    private void ScanLeaf(double px, double py, int bx, int by, double threshold, ref SmallestKeysHeap<double> found)
    {
        int rowEnd = Math.Min(_rows, (by + 1) << LeafLevel);
        int columnStart = bx << LeafLevel;
        int columnEnd = Math.Min(_columns, (bx + 1) << LeafLevel);
        double[] prices = _prices;
        if (Vector<double>.Count == 1 << LeafLevel && columnEnd - columnStart == Vector<double>.Count)
        {
            // A full leaf row is one vector: evaluate four cells at once and insert only those below the bound.
            Vector<double> dx = new Vector<double>(px - _lattice.CenterX(columnStart)) - (LaneOffsets * _lattice.SpacingX);
            for (int r = by << LeafLevel; r < rowEnd; r++)
            {
                int rowBase = (r * _columns) + columnStart;
                Vector<double> value = TCost.Of(dx, new Vector<double>(py - _lattice.CenterY(r))) - new Vector<double>(prices, rowBase);
                double bound = Math.Min(found.Bound, threshold);
                if (!Vector.LessThanAny(value, new Vector<double>(bound)))
                {
                    continue;
                }

                for (int lane = 0; lane < Vector<double>.Count; lane++)
                {
                    if (value[lane] < Math.Min(found.Bound, threshold))
                    {
                        found.Push(value[lane], rowBase + lane);
                    }
                }
            }

            return;
        }

        for (int r = by << LeafLevel; r < rowEnd; r++)
        {
            double dy = py - _lattice.CenterY(r);
            int rowBase = r * _columns;
            for (int c = columnStart; c < columnEnd; c++)
            {
                double value = TCost.Of(px - _lattice.CenterX(c), dy) - prices[rowBase + c];
                if (value < Math.Min(found.Bound, threshold))
                {
                    found.Push(value, rowBase + c);
                }
            }
        }
    }

    private void BuildLevel(int level)
    {
        int size = 1 << level;
        int across = BlocksAcross(_columns, level);
        int down = BlocksAcross(_rows, level);
        PriceBlock[] blocks = _levels[level];
        double[] prices = _prices;
        for (int by = 0; by < down; by++)
        {
            int rowStart = by * size, rowEnd = Math.Min(_rows, rowStart + size);
            int height = rowEnd - rowStart;
            double centreRow = (rowStart + rowEnd - 1) / 2.0;
            double spacingY = _lattice.SpacingY;
            AxisMoments(height, spacingY, out double meanS2, out double sumS2, out double sumS2Centered);
            for (int bx = 0; bx < across; bx++)
            {
                int columnStart = bx * size, columnEnd = Math.Min(_columns, columnStart + size);
                int width = columnEnd - columnStart;
                double centreColumn = (columnStart + columnEnd - 1) / 2.0;
                double spacingX = _lattice.SpacingX;
                AxisMoments(width, spacingX, out double meanT2, out double sumT2, out double sumT2Centered);

                // Least squares with the regressors 1, t, t² − mean, s, s² − mean: orthogonal on a full
                // rectangle of cells, so each coefficient is a separate projection.
                double sum = 0, sumT = 0, sumS = 0, sumTT = 0, sumSS = 0, max = double.NegativeInfinity;
                for (int r = rowStart; r < rowEnd; r++)
                {
                    double s = (r - centreRow) * spacingY;
                    double s2 = (s * s) - meanS2;
                    int rowBase = r * _columns;
                    for (int c = columnStart; c < columnEnd; c++)
                    {
                        double t = (c - centreColumn) * spacingX;
                        double v = prices[rowBase + c];
                        sum += v;
                        sumT += t * v;
                        sumS += s * v;
                        sumTT += ((t * t) - meanT2) * v;
                        sumSS += s2 * v;
                        max = Math.Max(max, v);
                    }
                }

                double mean = sum / (width * height);
                double slopeColumn = sumT2 > 0 ? sumT / (sumT2 * height) : 0;
                double slopeRow = sumS2 > 0 ? sumS / (sumS2 * width) : 0;
                double curvatureColumn = sumT2Centered > 1e-9 ? sumTT / (sumT2Centered * height) : 0;
                double curvatureRow = sumS2Centered > 1e-9 ? sumSS / (sumS2Centered * width) : 0;
                double offset = mean - (curvatureColumn * meanT2) - (curvatureRow * meanS2);

                double residual = double.NegativeInfinity;
                for (int r = rowStart; r < rowEnd; r++)
                {
                    double s = (r - centreRow) * spacingY;
                    double rowModel = offset + (slopeRow * s) + (curvatureRow * s * s);
                    int rowBase = r * _columns;
                    for (int c = columnStart; c < columnEnd; c++)
                    {
                        double t = (c - centreColumn) * spacingX;
                        double model = rowModel + (slopeColumn * t) + (curvatureColumn * t * t);
                        residual = Math.Max(residual, prices[rowBase + c] - model);
                    }
                }

                blocks[(by * across) + bx] = new PriceBlock
                {
                    CenterColumn = _lattice.OriginX + (centreColumn * spacingX),
                    CenterRow = _lattice.OriginY + (centreRow * spacingY),
                    LowColumn = (columnStart - centreColumn) * spacingX,
                    HighColumn = (columnEnd - 1 - centreColumn) * spacingX,
                    LowRow = (rowStart - centreRow) * spacingY,
                    HighRow = (rowEnd - 1 - centreRow) * spacingY,
                    Offset = offset,
                    SlopeColumn = slopeColumn,
                    SlopeRow = slopeRow,
                    CurvatureColumn = curvatureColumn,
                    CurvatureRow = curvatureRow,
                    // A little headroom for the rounding of the model's evaluation in the bound.
                    MaxResidual = residual + (1e-12 * (Math.Abs(max) + Math.Abs(offset) + 1)),
                    MaxPrice = max,
                };
            }
        }
    }

    /// <summary>For offsets t = (i − (n−1)/2)·spacing, i &lt; n: mean t², Σ t², Σ (t² − mean)².</summary>
    private static void AxisMoments(int n, double spacing, out double meanSquare, out double sumSquare, out double sumCenteredSquare)
    {
        double centre = (n - 1) / 2.0;
        sumSquare = 0;
        for (int i = 0; i < n; i++)
        {
            double t = (i - centre) * spacing;
            sumSquare += t * t;
        }

        meanSquare = sumSquare / n;
        sumCenteredSquare = 0;
        for (int i = 0; i < n; i++)
        {
            double t = (i - centre) * spacing;
            double d = (t * t) - meanSquare;
            sumCenteredSquare += d * d;
        }
    }
}
