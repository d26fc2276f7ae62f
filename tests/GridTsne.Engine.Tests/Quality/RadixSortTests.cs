using GridTsne.Engine.Quality;

namespace GridTsne.Engine.Tests.Quality;

public class RadixSortTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(1000)]
    [InlineData(5003)]
    public void Orders_like_an_unsigned_comparison_sort(int length)
    {
        var random = new Random(length);
        foreach (Func<ulong> draw in new Func<ulong>[]
        {
            () => (ulong)random.NextInt64(), // every digit varies
            () => (ulong)random.Next(3), // many ties, high digits all zero
            () => ((ulong)random.Next(50) << 32) | BitConverter.SingleToUInt32Bits((float)random.NextDouble()), // DPQ's grid keys
        })
        {
            ulong[] keys = Enumerable.Range(0, length).Select(_ => draw()).ToArray();
            ulong[] expected = keys.Order().ToArray();
            RadixSort.Sort(keys, new ulong[length], new int[RadixSort.CountsLength]);
            Assert.Equal(expected, keys);
        }
    }
}
