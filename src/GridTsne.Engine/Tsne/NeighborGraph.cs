using System.Numerics.Tensors;
using GridTsne.Engine.Parallelism;

namespace GridTsne.Engine.Tsne;

/// <summary>Each point's k nearest neighbours (other than itself) and their squared distances, row by row.</summary>
internal sealed class NeighborGraph
{
    public NeighborGraph(int count, int neighbors)
    {
        Count = count;
        Neighbors = neighbors;
        Indices = new int[count * neighbors];
        SquaredDistances = new float[count * neighbors];
    }

    public int Count { get; }

    public int Neighbors { get; }

    public int[] Indices { get; }

    public float[] SquaredDistances { get; }

    public Span<int> IndicesOf(int point) => Indices.AsSpan(point * Neighbors, Neighbors);

    public Span<float> DistancesOf(int point) => SquaredDistances.AsSpan(point * Neighbors, Neighbors);

    /// <summary>Sorts each row by ascending distance.</summary>
    public void SortRows(FixedParallel parallel) =>
        parallel.For(Count, 256, (start, end) =>
        {
            for (int point = start; point < end; point++)
            {
                DistancesOf(point).Sort(IndicesOf(point));
            }
        });

    /// <summary>
    /// Replaces each squared distance by one computed from the coordinate differences (the search may use
    /// the faster but less accurate |a|² + |b|² − 2a·b). Rows stay in no particular order.
    /// </summary>
    public void Finish(float[] data, int dimensions, FixedParallel parallel)
    {
        parallel.For(Count, 256, (start, end) =>
        {
            for (int point = start; point < end; point++)
            {
                ReadOnlySpan<float> x = data.AsSpan(point * dimensions, dimensions);
                Span<int> indices = IndicesOf(point);
                Span<float> distances = DistancesOf(point);
                for (int n = 0; n < indices.Length; n++)
                {
                    float distance = TensorPrimitives.Distance(x, data.AsSpan(indices[n] * dimensions, dimensions));
                    distances[n] = Math.Min(distance * distance, float.MaxValue);
                }
            }
        });
    }
}

/// <summary>A bounded max-heap of (squared distance, index) pairs, ordered by distance and then index.</summary>
internal ref struct NeighborHeap
{
    private readonly Span<float> _distances;
    private readonly Span<int> _indices;
    private int _size;

    public NeighborHeap(Span<float> distances, Span<int> indices)
    {
        _distances = distances;
        _indices = indices;
        _size = 0;
    }

    public readonly int Size => _size;

    public readonly int Capacity => _distances.Length;

    /// <summary>The current k-th distance (infinity until the heap is full): candidates at or beyond it cannot enter.</summary>
    public readonly float Bound => _size < _distances.Length ? float.PositiveInfinity : _distances[0];

    public readonly bool Contains(int index)
    {
        for (int i = 0; i < _size; i++)
        {
            if (_indices[i] == index)
            {
                return true;
            }
        }

        return false;
    }

    public void Push(float distance, int index)
    {
        if (_size < _distances.Length)
        {
            int child = _size++;
            while (child > 0)
            {
                int parent = (child - 1) >> 1;
                if (!Greater(distance, index, _distances[parent], _indices[parent]))
                {
                    break;
                }

                _distances[child] = _distances[parent];
                _indices[child] = _indices[parent];
                child = parent;
            }

            _distances[child] = distance;
            _indices[child] = index;
            return;
        }

        if (!Greater(_distances[0], _indices[0], distance, index))
        {
            return;
        }

        int node = 0;
        while (true)
        {
            int left = 2 * node + 1;
            if (left >= _size)
            {
                break;
            }

            int largest = left;
            int right = left + 1;
            if (right < _size && Greater(_distances[right], _indices[right], _distances[left], _indices[left]))
            {
                largest = right;
            }

            if (!Greater(_distances[largest], _indices[largest], distance, index))
            {
                break;
            }

            _distances[node] = _distances[largest];
            _indices[node] = _indices[largest];
            node = largest;
        }

        _distances[node] = distance;
        _indices[node] = index;
    }

    private static bool Greater(float distanceA, int indexA, float distanceB, int indexB) =>
        distanceA > distanceB || (distanceA == distanceB && indexA > indexB);
}
