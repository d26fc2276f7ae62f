using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace GridTsne.Engine.Tsne;

/// <summary>
/// Barnes-Hut repulsion (van der Maaten 2014): a quadtree over the map, rebuilt every iteration, in which a
/// cell whose width is below θ times its distance from the point acts as one body at its centre of mass.
/// Nodes are stored in depth-first order with the index of the node after their subtree, so a traversal is
/// a single forward loop with no stack. The tree is built sequentially (deterministic), points are visited
/// in tree order (neighbouring points share paths, good for the cache), and each point's sums are computed
/// by one thread, so the result does not depend on the thread count.
/// </summary>
internal sealed class BarnesHutRepulsion : IRepulsion
{
    /// <summary>Coincident points would split forever: below this depth a cell stays a leaf holding all its points.</summary>
    private const int MaxDepth = 48;

    private const int PointsPerChunk = 256;

    private readonly double _thetaSquared;
    private Node[] _nodes = [];
    private int _nodeCount;
    private int[] _order = [];
    private int[] _leafOf = [];
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
        int[] leafOf = _leafOf;
        double thetaSquared = _thetaSquared;
        return parallel.Sum(count, PointsPerChunk, (start, end) =>
        {
            double z = 0;
            for (int p = start; p < end; p++)
            {
                int point = order[p];
                double x = embedding[2 * point], y = embedding[2 * point + 1];
                int own = leafOf[point];
                double sumW = 0, fx = 0, fy = 0;
                int node = 0;
                ref Node first = ref MemoryMarshal.GetArrayDataReference(nodes);
                while (node < nodeCount)
                {
                    // node < nodeCount ≤ nodes.Length, so the bounds check can go.
                    ref readonly Node cell = ref Unsafe.Add(ref first, node);
                    double dx = x - cell.X, dy = y - cell.Y;
                    double distanceSquared = dx * dx + dy * dy;
                    bool leaf = cell.Next == node + 1;
                    if (leaf || cell.WidthSquared < thetaSquared * distanceSquared)
                    {
                        int bodies = node == own ? cell.Count - 1 : cell.Count;
                        double w = 1 / (1 + distanceSquared);
                        double weighted = bodies * w;
                        sumW += weighted;
                        fx += weighted * w * dx;
                        fy += weighted * w * dy;
                        node = cell.Next;
                    }
                    else
                    {
                        node++;
                    }
                }

                z += sumW;
                forces[2 * point] = fx;
                forces[2 * point + 1] = fy;
            }

            return z;
        });
    }

    private void Build(double[] embedding, int count)
    {
        if (_order.Length != count)
        {
            _order = new int[count];
            _leafOf = new int[count];
            _scratch = new int[count];
            _quadrants = new byte[count];
            _nodes = new Node[Math.Max(16, 2 * count)];
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

        if (size == 1 || depth >= MaxDepth)
        {
            for (int p = start; p < end; p++)
            {
                _leafOf[_order[p]] = index;
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
    }
}
