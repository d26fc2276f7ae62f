using System.Runtime.CompilerServices;

namespace GridTsne.Engine.Collections;

/// <summary>The order of a binary heap: which of two (key, item) pairs belongs nearer the root.</summary>
internal interface IHeapOrder<T>
{
    static abstract bool Before(T keyA, int itemA, T keyB, int itemB);
}

/// <summary>
/// The two operations of every binary heap in the engine, over parallel key and item spans, for any order:
/// <see cref="MinHeap"/> (smallest key first) and <see cref="SmallestKeysHeap{T}"/> (largest first, to evict it)
/// share them. Generic over a struct order, so each heap compiles to its own straight-line comparisons.
/// </summary>
internal static class BinaryHeap
{
    /// <summary>Places (key, item) at the free slot <paramref name="at"/> and lifts it to its place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SiftUp<T, TOrder>(Span<T> keys, Span<int> items, int at, T key, int item)
        where TOrder : struct, IHeapOrder<T>
    {
        while (at > 0)
        {
            int parent = (at - 1) >> 1;
            if (!TOrder.Before(key, item, keys[parent], items[parent]))
            {
                break;
            }

            at = Move(keys, items, parent, at);
        }

        (keys[at], items[at]) = (key, item);
    }

    /// <summary>Places (key, item) at the root of the first <paramref name="count"/> entries and sinks it to its place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SiftDown<T, TOrder>(Span<T> keys, Span<int> items, int count, T key, int item)
        where TOrder : struct, IHeapOrder<T>
    {
        int at = 0;
        while (true)
        {
            int child = (2 * at) + 1;
            if (child >= count)
            {
                break;
            }

            if (child + 1 < count && TOrder.Before(keys[child + 1], items[child + 1], keys[child], items[child]))
            {
                child++;
            }

            if (!TOrder.Before(keys[child], items[child], key, item))
            {
                break;
            }

            at = Move(keys, items, child, at);
        }

        (keys[at], items[at]) = (key, item);
    }

    /// <summary>Moves the entry at <paramref name="from"/> to <paramref name="to"/>; returns the slot it freed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Move<T>(Span<T> keys, Span<int> items, int from, int to)
    {
        keys[to] = keys[from];
        items[to] = items[from];
        return from;
    }
}
