using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using GridTsne.Engine.Parallelism;

namespace GridTsne.Engine.Tsne;

/// <summary>
/// Barnes-Hut repulsion (van der Maaten 2014): a quadtree over the map, rebuilt every iteration, in which a
/// cell whose width is below θ times its distance from the point acts as one body at its centre of mass.
/// Nodes are stored in depth-first order with the index of the node after their subtree, so a traversal is
/// a single forward loop with no stack; leaves hold up to <see cref="LeafSize"/> points, stored in tree order. The tree is built sequentially (deterministic), points are visited
/// in tree order (neighbouring points share paths, good for the cache), and each point's sums are computed
/// by one thread, so the result does not depend on the thread count.
/// </summary>
internal sealed class BarnesHutRepulsion : IRepulsion
{
    /// <summary>Coincident points would split forever: below this depth a cell stays a leaf holding all its points.</summary>
    private const int MaxDepth = 48;

    private const int PointsPerChunk = 256;

    /// <summary>
    /// Cells of up to this many points are leaves: a near leaf's points are summed exactly in a tight loop,
    /// which is cheaper than descending to one node per point.
    /// </summary>
    private const int LeafSize = 8;

    private readonly double _thetaSquared;
    private Node[] _nodes = [];
    private int _nodeCount;
    private int[] _order = [];
    private double[] _xs = [];
    private double[] _ys = [];
    private int[] _scratch = [];
    private byte[] _quadrants = [];

    public BarnesHutRepulsion(double theta) => _thetaSquared = theta * theta;

    public double Compute(double[] embedding, double[] forces, FixedParallel parallel)
    {
        int count = embedding.Length / 2;
        Build(embedding, count);
        Node[] nodes = _nodes;
        int nodeCount = _nodeCount;
        int[] order = _order;
        double[] xs = _xs, ys = _ys;
        double thetaSquared = _thetaSquared;
        return parallel.Sum(count, PointsPerChunk, (start, end) =>
        {
            double z = 0;
            ref Node first = ref MemoryMarshal.GetArrayDataReference(nodes);
            for (int p = start; p < end; p++)
            {
                double x = xs[p], y = ys[p];
                double sumW = 0, fx = 0, fy = 0;
                int node = 0;
                while (node < nodeCount)
                {
                    // node < nodeCount ≤ nodes.Length, so the bounds check can go.
                    ref readonly Node cell = ref Unsafe.Add(ref first, node);
                    double dx = x - cell.X, dy = y - cell.Y;
                    double distanceSquared = dx * dx + dy * dy;
                    if (cell.WidthSquared < thetaSquared * distanceSquared)
                    {
                        // Far enough: one body at the centre of mass (for θ ≤ 1/√2 such a cell cannot hold the point).
                        double w = 1 / (1 + distanceSquared);
                        double weighted = cell.Count * w;
                        sumW += weighted;
                        fx += weighted * w * dx;
                        fy += weighted * w * dy;
                        node = cell.Next;
                    }
                    else if (cell.Next == node + 1)
                    {
                        // A near leaf: every point exactly (the points are stored in tree order).
                        for (int q = cell.Start; q < cell.Start + cell.Count; q++)
                        {
                            if (q != p)
                            {
                                double ex = x - xs[q], ey = y - ys[q];
                                double w = 1 / (1 + ex * ex + ey * ey);
                                sumW += w;
                                fx += w * w * ex;
                                fy += w * w * ey;
                            }
                        }

                        node++;
                    }
                    else
                    {
                        node++;
                    }
                }

                z += sumW;
                forces[2 * order[p]] = fx;
                forces[2 * order[p] + 1] = fy;
            }

            return z;
        });
    }

    private void Build(double[] embedding, int count)
    {
        if (_order.Length != count)
        {
            _order = new int[count];
            _xs = new double[count];
            _ys = new double[count];
            _scratch = new int[count];
            _quadrants = new byte[count];
            _nodes = new Node[Math.Max(16, count)];
        }

        double minX = double.PositiveInfinity, minY = double.PositiveInfinity;
        double maxX = double.NegativeInfinity, maxY = double.NegativeInfinity;
        for (int i = 0; i < count; i++)
        {
            _order[i] = i;
            minX = Math.Min(minX, embedding[2 * i]);
            maxX = Math.Max(maxX, embedding[2 * i]);
            minY = Math.Min(minY, embedding[2 * i + 1]);
            maxY = Math.Max(maxY, embedding[2 * i + 1]);
        }

        double half = Math.Max(maxX - minX, maxY - minY) / 2;
        half = Math.Max(half * (1 + 1e-9), 1e-300);
        _nodeCount = 0;
        Subdivide(embedding, 0, count, (minX + maxX) / 2, (minY + maxY) / 2, half, 0);
    }

    /// <summary>Makes the node for order[start..end) in the square (cx ± half, cy ± half); returns its index.</summary>
    private int Subdivide(double[] embedding, int start, int end, double cx, double cy, double half, int depth)
    {
        int index = _nodeCount++;
        if (index == _nodes.Length)
        {
            Array.Resize(ref _nodes, _nodes.Length * 2);
        }

        double sumX = 0, sumY = 0;
        for (int p = start; p < end; p++)
        {
            sumX += embedding[2 * _order[p]];
            sumY += embedding[2 * _order[p] + 1];
        }

        int size = end - start;
        _nodes[index] = new Node
        {
            X = sumX / size,
            Y = sumY / size,
            WidthSquared = 4 * half * half,
            Count = size,
        };

        _nodes[index].Start = start;
        if (size <= LeafSize || depth >= MaxDepth)
        {
            for (int p = start; p < end; p++)
            {
                _xs[p] = embedding[2 * _order[p]];
                _ys[p] = embedding[2 * _order[p] + 1];
            }
        }
        else
        {
            // Stable partition into the quadrants SW, SE, NW, NE: one pass to classify and count, one to place.
            Span<int> bounds = stackalloc int[5];
            Span<int> fill = stackalloc int[4];
            for (int p = start; p < end; p++)
            {
                int quadrant = Quadrant(embedding, _order[p], cx, cy);
                _quadrants[p] = (byte)quadrant;
                fill[quadrant]++;
            }

            int next = start;
            for (int quadrant = 0; quadrant < 4; quadrant++)
            {
                bounds[quadrant] = next;
                next += fill[quadrant];
                fill[quadrant] = bounds[quadrant];
            }

            for (int p = start; p < end; p++)
            {
                _scratch[fill[_quadrants[p]]++] = _order[p];
            }

            bounds[4] = end;
            Array.Copy(_scratch, start, _order, start, size);
            double quarter = half / 2;
            for (int quadrant = 0; quadrant < 4; quadrant++)
            {
                if (bounds[quadrant + 1] > bounds[quadrant])
                {
                    double childX = (quadrant & 1) == 0 ? cx - quarter : cx + quarter;
                    double childY = (quadrant & 2) == 0 ? cy - quarter : cy + quarter;
                    Subdivide(embedding, bounds[quadrant], bounds[quadrant + 1], childX, childY, quarter, depth + 1);
                }
            }
        }

        _nodes[index].Next = _nodeCount;
        return index;
    }

    private static int Quadrant(double[] embedding, int point, double cx, double cy) =>
        (embedding[2 * point] < cx ? 0 : 1) | (embedding[2 * point + 1] < cy ? 0 : 2);

    private struct Node
    {
        public double X;
        public double Y;
        public double WidthSquared;
        public int Count;
        public int Next;
        public int Start;
    }
}
