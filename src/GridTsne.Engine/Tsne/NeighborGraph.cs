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
