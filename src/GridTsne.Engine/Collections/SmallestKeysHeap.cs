using System.Numerics;

namespace GridTsne.Engine.Collections;

/// <summary>
/// Keeps the k smallest (key, index) pairs offered, in caller-owned spans of length k: a binary max-heap
/// ordered by key and then index, so the pair at the root is the first to go and ties resolve the same way
/// every run. Used for the nearest neighbours of t-SNE (float squared distances) and for the cheapest cells of
/// a point in the sparse assignment (double reduced costs).
/// </summary>
internal ref struct SmallestKeysHeap<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Span<T> _keys;
    private readonly Span<int> _indices;
    private int _size;

    public SmallestKeysHeap(Span<T> keys, Span<int> indices)
    {
        _keys = keys;
        _indices = indices;
        _size = 0;
    }

    public readonly int Size => _size;

    /// <summary>The current k-th key (infinity until the heap is full): keys beyond it cannot enter.</summary>
    public readonly T Bound => _size < _keys.Length ? T.PositiveInfinity : _keys[0];

    /// <summary>Adds the pair, or, when full, replaces the largest pair if the new one is smaller.</summary>
    public void Push(T key, int index)
    {
        if (_size < _keys.Length)
        {
            BinaryHeap.SiftUp<T, Descending>(_keys, _indices, _size++, key, index);
        }
        else if (_size > 0 && Descending.Before(_keys[0], _indices[0], key, index))
        {
            BinaryHeap.SiftDown<T, Descending>(_keys, _indices, _size, key, index);
        }
    }

    /// <summary>Sorts the kept pairs ascending in place (heapsort); the heap is no longer a heap afterwards.</summary>
    public readonly void SortAscending()
    {
        for (int end = _size - 1; end > 0; end--)
        {
            T last = _keys[end];
            int lastIndex = _indices[end];
            _keys[end] = _keys[0];
            _indices[end] = _indices[0];
            BinaryHeap.SiftDown<T, Descending>(_keys, _indices, end, last, lastIndex);
        }
    }

    /// <summary>Larger keys first, and of equal keys the larger index: the root is the pair to evict.</summary>
    private readonly struct Descending : IHeapOrder<T>
    {
        public static bool Before(T keyA, int itemA, T keyB, int itemB) => keyA > keyB || (keyA == keyB && itemA > itemB);
    }
}
