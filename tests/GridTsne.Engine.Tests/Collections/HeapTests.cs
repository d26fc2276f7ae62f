using GridTsne.Engine.Collections;

namespace GridTsne.Engine.Tests.Collections;

public class HeapTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Min_heap_pops_in_key_order_through_growth_and_reuse(int seed)
    {
        var random = new Random(seed);
        var heap = new MinHeap(capacity: 2);
        for (int round = 0; round < 3; round++)
        {
            heap.Clear();
            var reference = new List<(double Key, int Item)>();
            for (int step = 0; step < 5000; step++)
            {
                if (heap.Count == 0 || random.Next(3) > 0)
                {
                    // Few distinct keys, so ties are common.
                    double key = random.Next(50) / 4.0;
                    heap.Push(key, step);
                    reference.Add((key, step));
                }
                else
                {
                    double smallest = reference.Min(pair => pair.Key);
                    Assert.Equal(smallest, heap.MinKey);
                    int item = heap.MinItem;
                    int at = reference.FindIndex(pair => pair.Item == item);
                    Assert.True(at >= 0, $"item {item} was not in the heap");
                    Assert.Equal(smallest, reference[at].Key);
                    reference.RemoveAt(at);
                    heap.Pop();
                }

                Assert.Equal(reference.Count, heap.Count);
            }
        }
    }

    [Theory]
    [InlineData(1, 1, 10)]
    [InlineData(5, 2, 3)]
    [InlineData(5, 3, 200)]
    [InlineData(16, 4, 1000)]
    public void Smallest_keys_heap_keeps_the_k_smallest_pairs_by_key_then_index(int k, int seed, int offers)
    {
        var random = new Random(seed);
        var keys = new float[k];
        var indices = new int[k];
        var heap = new SmallestKeysHeap<float>(keys, indices);
        var offered = new List<(float Key, int Index)>();
        foreach (int index in Enumerable.Range(0, offers).OrderBy(_ => random.Next()))
        {
            float key = random.Next(20);
            offered.Add((key, index));
            heap.Push(key, index);
            (float Key, int Index)[] expected = [.. offered.OrderBy(pair => pair.Key).ThenBy(pair => pair.Index).Take(k)];
            Assert.Equal(expected.Length, heap.Size);
            Assert.Equal(expected.Length < k ? float.PositiveInfinity : expected[^1].Key, heap.Bound);
        }

        heap.SortAscending();
        (float Key, int Index)[] smallest = [.. offered.OrderBy(pair => pair.Key).ThenBy(pair => pair.Index).Take(k)];
        Assert.Equal(smallest.Select(pair => pair.Key), keys.Take(heap.Size));
        Assert.Equal(smallest.Select(pair => pair.Index), indices.Take(heap.Size));
    }

    [Fact]
    public void Smallest_keys_heap_works_for_doubles_and_ignores_larger_keys_when_full()
    {
        var keys = new double[3];
        var cells = new int[3];
        var heap = new SmallestKeysHeap<double>(keys, cells);
        foreach ((double key, int cell) in new[] { (5.0, 0), (1.0, 1), (3.0, 2), (9.0, 3), (2.0, 4), (3.0, 1) })
        {
            heap.Push(key, cell);
        }

        Assert.Equal(3.0, heap.Bound);
        heap.SortAscending();
        Assert.Equal(new[] { 1.0, 2.0, 3.0 }, keys);
        Assert.Equal(new[] { 1, 4, 1 }, cells);
    }
}
