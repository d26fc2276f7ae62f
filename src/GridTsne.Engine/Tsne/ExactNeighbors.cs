using System.Numerics;
using System.Numerics.Tensors;
using GridTsne.Engine.Collections;
using GridTsne.Engine.Parallelism;

namespace GridTsne.Engine.Tsne;

/// <summary>
/// Exact k-nearest neighbours by SIMD brute force: squared distances |a|² + |b|² − 2a·b, four queries at a
/// time against each candidate so that every candidate load feeds four dot products. O(N²·D) work and
/// O(N·k) memory; each query row is computed by one thread in a fixed candidate order, so the result does
/// not depend on the thread count. In the ≤ 50 dimensions left after PCA this beats a vantage-point tree,
/// whose pruning fails in that many dimensions.
/// </summary>
internal static class ExactNeighbors
{
    private const int QueriesPerChunk = 64;

    public static NeighborGraph Search(float[] data, int count, int dimensions, int neighbors, FixedParallel parallel)
    {
        var graph = new NeighborGraph(count, neighbors);
        int width = Vector<float>.Count;
        int padded = (dimensions + width - 1) / width * width;
        var rows = new float[count * padded];
        var norms = new float[count];
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<float> source = data.AsSpan(i * dimensions, dimensions);
            source.CopyTo(rows.AsSpan(i * padded, dimensions));
            norms[i] = TensorPrimitives.Dot(source, source);
        }

        parallel.For(count, QueriesPerChunk, (start, end) =>
        {
            for (int query = start; query < end; query += 4)
            {
                int group = Math.Min(4, end - query);
                SearchGroup(rows, norms, count, padded, query, group, graph, parallel.Token);
            }
        });

        graph.Finish(data, dimensions, parallel);
        return graph;
    }

    /// <summary>The exact method's graph: every other point, in index order, with its squared distance.</summary>
    public static NeighborGraph AllPairs(float[] data, int count, int dimensions, FixedParallel parallel)
    {
        var graph = new NeighborGraph(count, count - 1);
        parallel.For(count, 16, (start, end) =>
        {
            for (int point = start; point < end; point++)
            {
                ReadOnlySpan<float> x = data.AsSpan(point * dimensions, dimensions);
                Span<int> indices = graph.IndicesOf(point);
                Span<float> distances = graph.DistancesOf(point);
                for (int other = 0, slot = 0; other < count; other++)
                {
                    if (other != point)
                    {
                        float distance = TensorPrimitives.Distance(x, data.AsSpan(other * dimensions, dimensions));
                        indices[slot] = other;
                        distances[slot++] = Math.Min(distance * distance, float.MaxValue);
                    }
                }
            }
        });
        return graph;
    }

    private static void SearchGroup(float[] rows, float[] norms, int count, int padded, int first, int group, NeighborGraph graph, CancellationToken token)
    {
        token.ThrowIfCancellationRequested();
        int width = Vector<float>.Count;
        int vectors = padded / width;
        // Missing queries of a short group repeat the first one; their results are discarded.
        int q0 = first, q1 = first + Math.Min(1, group - 1), q2 = first + Math.Min(2, group - 1), q3 = first + Math.Min(3, group - 1);
        ReadOnlySpan<Vector<float>> a0 = System.Runtime.InteropServices.MemoryMarshal.Cast<float, Vector<float>>(rows.AsSpan(q0 * padded, padded));
        ReadOnlySpan<Vector<float>> a1 = System.Runtime.InteropServices.MemoryMarshal.Cast<float, Vector<float>>(rows.AsSpan(q1 * padded, padded));
        ReadOnlySpan<Vector<float>> a2 = System.Runtime.InteropServices.MemoryMarshal.Cast<float, Vector<float>>(rows.AsSpan(q2 * padded, padded));
        ReadOnlySpan<Vector<float>> a3 = System.Runtime.InteropServices.MemoryMarshal.Cast<float, Vector<float>>(rows.AsSpan(q3 * padded, padded));
        var heap0 = new SmallestKeysHeap<float>(graph.DistancesOf(q0), graph.IndicesOf(q0));
        var heap1 = new SmallestKeysHeap<float>(graph.DistancesOf(q1), graph.IndicesOf(q1));
        var heap2 = new SmallestKeysHeap<float>(graph.DistancesOf(q2), graph.IndicesOf(q2));
        var heap3 = new SmallestKeysHeap<float>(graph.DistancesOf(q3), graph.IndicesOf(q3));
        float n0 = norms[q0], n1 = norms[q1], n2 = norms[q2], n3 = norms[q3];
        for (int candidate = 0; candidate < count; candidate++)
        {
            if ((candidate & 8191) == 0)
            {
                token.ThrowIfCancellationRequested();
            }

            ReadOnlySpan<Vector<float>> b = System.Runtime.InteropServices.MemoryMarshal.Cast<float, Vector<float>>(rows.AsSpan(candidate * padded, padded));
            Vector<float> s0 = Vector<float>.Zero, s1 = Vector<float>.Zero, s2 = Vector<float>.Zero, s3 = Vector<float>.Zero;
            for (int v = 0; v < vectors; v++)
            {
                Vector<float> bv = b[v];
                s0 += a0[v] * bv;
                s1 += a1[v] * bv;
                s2 += a2[v] * bv;
                s3 += a3[v] * bv;
            }

            float nb = norms[candidate];
            Offer(ref heap0, q0, candidate, n0 + nb - 2 * Vector.Sum(s0));
            if (group > 1)
            {
                Offer(ref heap1, q1, candidate, n1 + nb - 2 * Vector.Sum(s1));
            }

            if (group > 2)
            {
                Offer(ref heap2, q2, candidate, n2 + nb - 2 * Vector.Sum(s2));
            }

            if (group > 3)
            {
                Offer(ref heap3, q3, candidate, n3 + nb - 2 * Vector.Sum(s3));
            }
        }
    }

    private static void Offer(ref SmallestKeysHeap<float> heap, int query, int candidate, float distance)
    {
        if (candidate != query)
        {
            distance = Math.Max(distance, 0);
            if (distance <= heap.Bound)
            {
                heap.Push(distance, candidate);
            }
        }
    }
}
