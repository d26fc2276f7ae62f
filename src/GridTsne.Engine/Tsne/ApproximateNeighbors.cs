using System.Numerics.Tensors;
using GridTsne.Engine.Collections;
using GridTsne.Engine.Parallelism;

namespace GridTsne.Engine.Tsne;

/// <summary>
/// Approximate k-nearest neighbours for large N: a forest of random-projection trees (as in Annoy) gives
/// each point the members of its leaf in every tree as candidates, then rounds of neighbour-of-neighbour
/// refinement (as in NN-descent) repair most misses. Every tree has its own random stream forked in a
/// fixed order, and every refinement round reads only the previous round's graph, so the result does not
/// depend on the thread count.
/// </summary>
internal static class ApproximateNeighbors
{
    private const int Trees = 6;
    private const int RefinementRounds = 2;
    private const int RefinementFanOut = 12;
    private const int QueriesPerChunk = 256;

    public static NeighborGraph Search(float[] data, int count, int dimensions, int neighbors, int seed, FixedParallel parallel)
    {
        int leafSize = Math.Max(32, neighbors + 1);
        var random = new TsneRandom(seed ^ 0x524E_4E53);
        TsneRandom[] streams = Enumerable.Range(0, Trees).Select(random.Fork).ToArray();
        var orders = new int[Trees][];
        var leafStarts = new int[Trees][];
        var leafEnds = new int[Trees][];
        parallel.For(Trees, 1, (tree, _) =>
        {
            var order = Enumerable.Range(0, count).ToArray();
            var starts = new int[count];
            var ends = new int[count];
            Split(data, dimensions, order, 0, count, leafSize, streams[tree], starts, ends, parallel.Token);
            orders[tree] = order;
            leafStarts[tree] = starts;
            leafEnds[tree] = ends;
        });

        // Marks of the candidates already offered to the current query: one array per thread, stamped with a
        // value unique to (round, query), so it never needs clearing and does not affect the result.
        using var seen = new ThreadLocal<int[]>(() => new int[count]);
        var graph = new NeighborGraph(count, neighbors);
        parallel.For(count, QueriesPerChunk, (start, end) =>
        {
            int[] marks = seen.Value!;
            for (int query = start; query < end; query++)
            {
                var candidates = new Candidates(data, dimensions, query, marks, query + 1, graph);
                for (int tree = 0; tree < Trees; tree++)
                {
                    int[] order = orders[tree];
                    for (int p = leafStarts[tree][query]; p < leafEnds[tree][query]; p++)
                    {
                        candidates.Offer(order[p]);
                    }
                }

                // If the leaves held fewer than k other points, top the row up with the next indices.
                for (int step = 1; candidates.Heap.Size < neighbors && step < count; step++)
                {
                    candidates.Offer((query + step) % count);
                }
            }
        });

        graph.SortRows(parallel);
        for (int round = 1; round <= RefinementRounds; round++)
        {
            graph = Refine(graph, data, dimensions, seen, round * count, parallel);
            graph.SortRows(parallel);
        }

        return graph;
    }

    /// <summary>Splits order[start..end) by a random hyperplane between two of its points until leaves are small.</summary>
    private static void Split(float[] data, int dimensions, int[] order, int start, int end, int leafSize, TsneRandom random, int[] leafStarts, int[] leafEnds, CancellationToken token)
    {
        var pending = new Stack<(int Start, int End)>();
        pending.Push((start, end));
        var normal = new float[dimensions];
        var midpoint = new float[dimensions];
        while (pending.Count > 0)
        {
            token.ThrowIfCancellationRequested();
            (int first, int last) = pending.Pop();
            int size = last - first;
            if (size <= leafSize)
            {
                for (int p = first; p < last; p++)
                {
                    leafStarts[order[p]] = first;
                    leafEnds[order[p]] = last;
                }

                continue;
            }

            ReadOnlySpan<float> a = data.AsSpan(order[first + random.NextInt(size)] * dimensions, dimensions);
            ReadOnlySpan<float> b = data.AsSpan(order[first + random.NextInt(size)] * dimensions, dimensions);
            TensorPrimitives.Subtract(a, b, normal);
            TensorPrimitives.Add(a, b, midpoint);
            TensorPrimitives.Multiply(midpoint, 0.5f, midpoint);
            float offset = TensorPrimitives.Dot(normal, midpoint);
            int left = first, right = last - 1;
            while (left <= right)
            {
                float side = TensorPrimitives.Dot(data.AsSpan(order[left] * dimensions, dimensions), normal) - offset;
                // Points on the plane (e.g. duplicates, or a == b) alternate sides so that splits always progress.
                bool goesLeft = side < 0 || (side == 0 && (left & 1) == 0);
                if (goesLeft)
                {
                    left++;
                }
                else
                {
                    (order[left], order[right]) = (order[right], order[left]);
                    right--;
                }
            }

            int middle = left;
            if (middle == first || middle == last)
            {
                middle = first + size / 2; // degenerate split: halve in the current order
            }

            pending.Push((middle, last));
            pending.Push((first, middle));
        }
    }

    /// <summary>One round: each point's candidates are its neighbours' nearest neighbours (read from the previous graph).</summary>
    private static NeighborGraph Refine(NeighborGraph previous, float[] data, int dimensions, ThreadLocal<int[]> seen, int stampBase, FixedParallel parallel)
    {
        int count = previous.Count;
        int neighbors = previous.Neighbors;
        int fanOut = Math.Min(RefinementFanOut, neighbors);
        var next = new NeighborGraph(count, neighbors);
        parallel.For(count, QueriesPerChunk, (start, end) =>
        {
            int[] marks = seen.Value!;
            for (int query = start; query < end; query++)
            {
                var candidates = new Candidates(data, dimensions, query, marks, stampBase + query + 1, next);
                Span<int> current = previous.IndicesOf(query);
                Span<float> currentDistances = previous.DistancesOf(query);
                for (int n = 0; n < neighbors; n++)
                {
                    candidates.Keep(current[n], currentDistances[n]);
                }

                // Rows are sorted, so these are the fan-out nearest neighbours' fan-out nearest neighbours.
                for (int n = 0; n < neighbors; n++)
                {
                    Span<int> second = previous.IndicesOf(current[n]);
                    for (int m = 0; m < Math.Min(fanOut, second.Length); m++)
                    {
                        candidates.Offer(second[m]);
                    }

                    if (n + 1 >= fanOut)
                    {
                        break;
                    }
                }
            }
        });
        return next;
    }

    /// <summary>Offers candidates to one query's heap, each at most once.</summary>
    private ref struct Candidates
    {
        private readonly float[] _data;
        private readonly int _dimensions;
        private readonly int[] _marks;
        private readonly int _stamp;
        private readonly ReadOnlySpan<float> _point;
        public SmallestKeysHeap<float> Heap;

        public Candidates(float[] data, int dimensions, int query, int[] marks, int stamp, NeighborGraph graph)
        {
            _data = data;
            _dimensions = dimensions;
            _marks = marks;
            _stamp = stamp;
            _point = data.AsSpan(query * dimensions, dimensions);
            Heap = new SmallestKeysHeap<float>(graph.DistancesOf(query), graph.IndicesOf(query));
            marks[query] = stamp;
        }

        public void Keep(int candidate, float squaredDistance)
        {
            _marks[candidate] = _stamp;
            Heap.Push(squaredDistance, candidate);
        }

        public void Offer(int candidate)
        {
            if (_marks[candidate] == _stamp)
            {
                return;
            }

            _marks[candidate] = _stamp;
            float distance = TensorPrimitives.Distance(_point, _data.AsSpan(candidate * _dimensions, _dimensions));
            if (distance * distance <= Heap.Bound)
            {
                Heap.Push(distance * distance, candidate);
            }
        }
    }
}
