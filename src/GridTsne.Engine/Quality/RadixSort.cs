using System.Runtime.CompilerServices;

namespace GridTsne.Engine.Quality;

/// <summary>
/// Least-significant-digit radix sort of 64-bit keys, 11 bits a pass, skipping the passes whose digit all keys
/// share (the high digits of small keys). DPQ sorts every item's N − 1 distances twice; this is O(N) a sort
/// where Array.Sort is O(N log N), and it orders exactly as an unsigned comparison would.
/// </summary>
internal static class RadixSort
{
    private const int DigitBits = 11;
    private const int Buckets = 1 << DigitBits;

    /// <summary>Sorts <paramref name="keys"/> ascending; <paramref name="scratch"/> is at least as long.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Sort(Span<ulong> keys, Span<ulong> scratch, Span<int> counts)
    {
        if (keys.Length < 2)
        {
            return;
        }

        scratch = scratch[..keys.Length];
        Span<ulong> source = keys, target = scratch;
        for (int shift = 0; shift < 64; shift += DigitBits)
        {
            counts[..Buckets].Clear();
            foreach (ulong key in source)
            {
                counts[(int)((key >> shift) & (Buckets - 1))]++;
            }

            if (counts[(int)((source[0] >> shift) & (Buckets - 1))] == source.Length)
            {
                continue; // every key has this digit: the pass would change nothing
            }

            int total = 0;
            for (int bucket = 0; bucket < Buckets; bucket++)
            {
                int count = counts[bucket];
                counts[bucket] = total;
                total += count;
            }

            foreach (ulong key in source)
            {
                target[counts[(int)((key >> shift) & (Buckets - 1))]++] = key;
            }

            Span<ulong> swap = source;
            source = target;
            target = swap;
        }

        if (source != keys)
        {
            source.CopyTo(keys);
        }
    }

    /// <summary>The length <see cref="Sort"/> needs for its counts.</summary>
    public const int CountsLength = Buckets;
}
