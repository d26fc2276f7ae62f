namespace GridTsne.Engine.Collections;

/// <summary>
/// A growable binary min-heap of (key, item) pairs: the priority queue of Dijkstra's search in the sparse
/// assignment. Unlike <see cref="PriorityQueue{TElement, TPriority}"/> it keeps its storage between searches
/// (<see cref="Clear"/>) and shows the smallest key in place. Ties pop in no particular (but deterministic) order.
/// </summary>
internal sealed class MinHeap
{
    private double[] _keys;
    private int[] _items;

    public MinHeap(int capacity = 1024)
    {
        _keys = new double[Math.Max(1, capacity)];
        _items = new int[_keys.Length];
    }

    public int Count { get; private set; }

    /// <summary>The smallest key; only when <see cref="Count"/> &gt; 0.</summary>
    public double MinKey => _keys[0];

    /// <summary>The item of the smallest key; only when <see cref="Count"/> &gt; 0.</summary>
    public int MinItem => _items[0];

    public void Clear() => Count = 0;

    public void Push(double key, int item)
    {
        if (Count == _keys.Length)
        {
            Array.Resize(ref _keys, _keys.Length * 2);
            Array.Resize(ref _items, _items.Length * 2);
        }

        BinaryHeap.SiftUp<double, Ascending>(_keys, _items, Count++, key, item);
    }

    /// <summary>Removes the smallest pair (read it first with <see cref="MinKey"/> and <see cref="MinItem"/>).</summary>
    public void Pop()
    {
        int last = --Count;
        if (last > 0)
        {
            BinaryHeap.SiftDown<double, Ascending>(_keys, _items, last, _keys[last], _items[last]);
        }
    }

    private readonly struct Ascending : IHeapOrder<double>
    {
        public static bool Before(double keyA, int itemA, double keyB, int itemB) => keyA < keyB;
    }
}
