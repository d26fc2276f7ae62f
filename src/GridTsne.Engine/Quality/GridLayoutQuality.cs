using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using GridTsne.Engine.Parallelism;

namespace GridTsne.Engine.Quality;

/// <summary>The scores of one grid layout; see <see cref="GridLayoutQuality.Measure"/>.</summary>
public sealed record GridLayoutScores(
    double Dpq16,
    double NeighborDistanceRatio,
    double? LabelAgreement,
    double? RandomLabelAgreement);

/// <summary>
/// How well a grid layout keeps feature-space neighbours together.
/// <list type="bullet">
/// <item>DPQ_p, the distance preservation quality of Barthel et al., "Improved evaluation and generation of grid
/// layouts", CGF 2023: for every item, the other items ordered by feature distance and, separately, by squared
/// grid distance (ties by feature distance); D_k is the mean over items of the average feature distance to the
/// first k in an order; g_k = max(0, (D̄ − D_k) / D̄); DPQ_p = ‖g(grid)‖_p / ‖g(feature)‖_p, in [0, 1].</item>
/// <item>The neighbour distance ratio: the mean feature distance to the 4 nearest feature-space neighbours
/// over the mean feature distance to the occupied 4-neighbours on the grid (both averaged per item).</item>
/// <item>With labels, the mean share of occupied 4-neighbours with the same label, and its expectation for
/// a random layout (the sum of squared label shares).</item>
/// </list>
/// DPQ is O(N²) time (every pair's distance, then two radix sorts of N keys per item) and O(N) memory per
/// thread, so it is refused above <see cref="MaxItems"/>.
/// </summary>
public static class GridLayoutQuality
{
    /// <summary>Largest layout DPQ is computed for: about 20 s on 2 idle cores with 512-d vectors (bench/layout: 10,000 took 8.4 s of CPU).</summary>
    public const int MaxItems = 20_000;

    /// <summary>The p of DPQ_p that Barthel et al. recommend.</summary>
    public const int DpqExponent = 16;

    private const int NearestNeighbors = 4;
    private static readonly (int Row, int Column)[] FourNeighborhood = [(-1, 0), (1, 0), (0, -1), (0, 1)];
    private const int ItemsPerChunk = 32;

    /// <summary>Scores a layout.</summary>
    /// <param name="vectors">Row-major feature vectors, <paramref name="count"/> × dimensions.</param>
    /// <param name="count">Number of items.</param>
    /// <param name="rows">Each item's grid row.</param>
    /// <param name="columns">Each item's grid column.</param>
    /// <param name="labels">Each item's label, or null for no label scores.</param>
    /// <param name="cancellation">Checked between chunks of items.</param>
    public static GridLayoutScores Measure(
        ReadOnlyMemory<float> vectors,
        int count,
        ReadOnlySpan<int> rows,
        ReadOnlySpan<int> columns,
        IReadOnlyList<string?>? labels,
        CancellationToken cancellation = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (rows.Length != count || columns.Length != count || (labels is not null && labels.Count != count))
        {
            throw new ArgumentException("Every item needs a row, a column and (when labels are given) a label.");
        }

        if (count > MaxItems)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count,
                $"DPQ compares every pair of items, O(N²); it is computed for at most {MaxItems:N0} items.");
        }

        if (count > 0 && vectors.Length % count != 0)
        {
            throw new ArgumentException("The vectors do not divide evenly into the items.", nameof(vectors));
        }

        if (count < 2)
        {
            // A single item has no neighbours to keep: every score is at its best.
            return new GridLayoutScores(1, 1, labels is null ? null : 1, labels is null ? null : 1);
        }

        int dimensions = vectors.Length / count;
        int[] rowArray = rows.ToArray();
        int[] columnArray = columns.ToArray();
        int[] everyItem = new int[count];
        for (int item = 0; item < count; item++)
        {
            everyItem[item] = item;
        }

        Sums sums = Accumulate(vectors, dimensions, rowArray, columnArray, everyItem, cancellation);
        double dpq = DistancePreservation(sums, count);
        double meanNearest = Sum(sums.Nearest) / count;
        double meanGridNeighbor = MeanGridNeighborDistance(vectors.Span, dimensions, rowArray, columnArray);
        double ratio = meanGridNeighbor > 0 ? meanNearest / meanGridNeighbor : 1;

        double? agreement = null, randomAgreement = null;
        if (labels is not null)
        {
            (agreement, randomAgreement) = LabelScores(labels, rowArray, columnArray);
        }

        return new GridLayoutScores(dpq, ratio, agreement, randomAgreement);
    }

    /// <summary>
    /// DPQ16 with the averages over items taken over <paramref name="queryItems"/> only: O(Q·N), so that
    /// two layouts of the same items can be compared on a fixed sample when N is too large to score exactly.
    /// With every item as a query it equals <see cref="Measure"/>'s DPQ16.
    /// </summary>
    internal static double EstimateDpq(ReadOnlyMemory<float> vectors, int count, int[] rows, int[] columns, int[] queryItems, CancellationToken cancellation)
    {
        if (count < 2 || queryItems.Length == 0)
        {
            return 1;
        }

        Sums sums = Accumulate(vectors, vectors.Length / count, rows, columns, queryItems, cancellation);
        return DistancePreservation(sums, count);
    }

    /// <summary>
    /// Per chunk of query items: the sums over its items of the average distance to the first k items in each
    /// order (index k-1), plus its share of the pair and nearest-neighbour sums. Combined in chunk order by the
    /// callers, so the scores are the same bits whatever the thread count.
    /// </summary>
    private sealed record Sums(double[][] FeatureOrder, double[][] GridOrder, double[] Pairs, double[] Nearest, int Queries);

    private static Sums Accumulate(ReadOnlyMemory<float> vectors, int dimensions, int[] rowArray, int[] columnArray, int[] queryItems, CancellationToken cancellation)
    {
        int count = rowArray.Length;
        var parallel = new FixedParallel(Environment.ProcessorCount, cancellation);
        int chunks = FixedParallel.ChunkCount(queryItems.Length, ItemsPerChunk);
        var featureOrderSums = new double[chunks][];
        var gridOrderSums = new double[chunks][];
        var pairSums = new double[chunks];
        var nearestSums = new double[chunks];
        // Each chunk runs its O(N) loops once per item: compiled optimized at once (tier-0 code doubled a cold
        // Optimize-GridLayout in pwsh, which scores three layouts).
        parallel.For(queryItems.Length, ItemsPerChunk, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end) =>
        {
            int chunk = start / ItemsPerChunk;
            var featureSums = new double[count - 1];
            var gridSums = new double[count - 1];
            var distances = new float[count - 1];
            var sortedDistances = new float[count - 1];
            var featureKeys = new ulong[count - 1];
            var gridKeys = new ulong[count - 1];
            var scratch = new ulong[count - 1];
            var counts = new int[RadixSort.CountsLength];
            double pairSum = 0, nearestSum = 0;
            ReadOnlySpan<float> all = vectors.Span;

            // The chunk's distances to every item, item by item: each item's vector is read once for the whole
            // chunk, not once per query (at 10,000 × 512 that is the difference between streaming 6 and 200 GB).
            var block = new float[(end - start) * count];
            for (int j = 0; j < count; j++)
            {
                ReadOnlySpan<float> vector = all.Slice(j * dimensions, dimensions);
                for (int query = start; query < end; query++)
                {
                    block[((query - start) * count) + j] = TensorPrimitives.Distance(all.Slice(queryItems[query] * dimensions, dimensions), vector);
                }
            }

            for (int query = start; query < end; query++)
            {
                int item = queryItems[query];
                ReadOnlySpan<float> row = block.AsSpan((query - start) * count, count);
                int other = 0;
                for (int j = 0; j < count; j++)
                {
                    if (j == item)
                    {
                        continue;
                    }

                    float distance = row[j];
                    // A distance's bits order like the distance itself for non-negative floats.
                    featureKeys[other] = BitConverter.SingleToUInt32Bits(distance);
                    gridKeys[other] = GridKey(rowArray[j] - rowArray[item], columnArray[j] - columnArray[item], distance);
                    other++;
                }

                RadixSort.Sort(featureKeys, scratch, counts);
                RadixSort.Sort(gridKeys, scratch, counts);
                for (int k = 0; k < featureKeys.Length; k++)
                {
                    sortedDistances[k] = BitConverter.UInt32BitsToSingle((uint)featureKeys[k]);
                    distances[k] = BitConverter.UInt32BitsToSingle((uint)gridKeys[k]);
                }

                AddPrefixAverages(sortedDistances, featureSums);
                AddPrefixAverages(distances, gridSums);
                pairSum += PrefixTotal(sortedDistances, sortedDistances.Length);
                nearestSum += PrefixTotal(sortedDistances, Math.Min(NearestNeighbors, sortedDistances.Length)) /
                    Math.Min(NearestNeighbors, sortedDistances.Length);
            }

            featureOrderSums[chunk] = featureSums;
            gridOrderSums[chunk] = gridSums;
            pairSums[chunk] = pairSum;
            nearestSums[chunk] = nearestSum;
        });

        return new Sums(featureOrderSums, gridOrderSums, pairSums, nearestSums, queryItems.Length);
    }

    private static void AddPrefixAverages(ReadOnlySpan<float> ordered, Span<double> sums)
    {
        double prefix = 0;
        for (int k = 0; k < ordered.Length; k++)
        {
            prefix += ordered[k];
            sums[k] += prefix / (k + 1);
        }
    }

    private static double PrefixTotal(ReadOnlySpan<float> values, int length)
    {
        double total = 0;
        for (int i = 0; i < length; i++)
        {
            total += values[i];
        }

        return total;
    }

    private static double Sum(double[] values)
    {
        double total = 0;
        foreach (double value in values)
        {
            total += value;
        }

        return total;
    }

    private static double DistancePreservation(Sums sums, int count)
    {
        double meanDistance = Sum(sums.Pairs) / ((double)sums.Queries * (count - 1));
        if (meanDistance <= 0)
        {
            return 1; // All items are identical: every layout preserves their (zero) distances.
        }

        double featureNorm = 0, gridNorm = 0;
        for (int k = 0; k < count - 1; k++)
        {
            double featureMean = 0, gridMean = 0;
            for (int chunk = 0; chunk < sums.FeatureOrder.Length; chunk++)
            {
                featureMean += sums.FeatureOrder[chunk][k];
                gridMean += sums.GridOrder[chunk][k];
            }

            featureNorm += Math.Pow(Gain(featureMean / sums.Queries, meanDistance), DpqExponent);
            gridNorm += Math.Pow(Gain(gridMean / sums.Queries, meanDistance), DpqExponent);
        }

        // The p-th roots cancel in the ratio's p-th power; take the root of the ratio once.
        return featureNorm > 0 ? Math.Pow(gridNorm / featureNorm, 1.0 / DpqExponent) : 1;
    }

    /// <summary>g_k = max(0, (D̄ − D_k) / D̄); <paramref name="meanDistance"/> must be positive.</summary>
    internal static double Gain(double meanDistanceToFirstK, double meanDistance) =>
        Math.Max(0, (meanDistance - meanDistanceToFirstK) / meanDistance);

    /// <summary>
    /// An item's sort key in DPQ's grid order, for another item at a grid offset (<paramref name="dr"/>,
    /// <paramref name="dc"/>) and a feature distance: the squared grid distance first, ties by feature distance.
    /// A non-negative float's bits order like the float; the feature distance is the key's low 32 bits.
    /// </summary>
    internal static ulong GridKey(long dr, long dc, float distance) =>
        ((ulong)(dr * dr + dc * dc) << 32) | BitConverter.SingleToUInt32Bits(distance);

    /// <summary>Mean over items (with any) of the average feature distance to their occupied 4-neighbours.</summary>
    private static double MeanGridNeighborDistance(ReadOnlySpan<float> vectors, int dimensions, int[] rows, int[] columns)
    {
        Dictionary<(int Row, int Column), int> byCell = CellIndex(rows, columns);
        double total = 0;
        int itemsWithNeighbors = 0;
        for (int item = 0; item < rows.Length; item++)
        {
            double sum = 0;
            int neighbours = 0;
            foreach ((int dr, int dc) in FourNeighborhood)
            {
                if (byCell.TryGetValue((rows[item] + dr, columns[item] + dc), out int neighbour))
                {
                    sum += TensorPrimitives.Distance(vectors.Slice(item * dimensions, dimensions), vectors.Slice(neighbour * dimensions, dimensions));
                    neighbours++;
                }
            }

            if (neighbours > 0)
            {
                total += sum / neighbours;
                itemsWithNeighbors++;
            }
        }

        return itemsWithNeighbors > 0 ? total / itemsWithNeighbors : 0;
    }

    private static (double Agreement, double Random) LabelScores(IReadOnlyList<string?> labels, int[] rows, int[] columns)
    {
        Dictionary<(int Row, int Column), int> byCell = CellIndex(rows, columns);
        double agreementSum = 0;
        int itemsWithNeighbors = 0;
        var labelCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int item = 0; item < labels.Count; item++)
        {
            string label = labels[item] ?? string.Empty;
            labelCounts[label] = labelCounts.GetValueOrDefault(label) + 1;
            int neighbours = 0, same = 0;
            foreach ((int dr, int dc) in FourNeighborhood)
            {
                if (byCell.TryGetValue((rows[item] + dr, columns[item] + dc), out int neighbour))
                {
                    neighbours++;
                    if (string.Equals(labels[neighbour] ?? string.Empty, label, StringComparison.Ordinal))
                    {
                        same++;
                    }
                }
            }

            if (neighbours > 0)
            {
                agreementSum += (double)same / neighbours;
                itemsWithNeighbors++;
            }
        }

        double random = 0;
        foreach (int labelCount in labelCounts.Values)
        {
            double share = (double)labelCount / labels.Count;
            random += share * share;
        }

        return (itemsWithNeighbors > 0 ? agreementSum / itemsWithNeighbors : 1, random);
    }

    private static Dictionary<(int Row, int Column), int> CellIndex(int[] rows, int[] columns)
    {
        var byCell = new Dictionary<(int Row, int Column), int>(rows.Length);
        for (int item = 0; item < rows.Length; item++)
        {
            if (!byCell.TryAdd((rows[item], columns[item]), item))
            {
                throw new ArgumentException($"Items {byCell[(rows[item], columns[item])] + 1} and {item + 1} share the cell at row {rows[item]}, column {columns[item]}.");
            }
        }

        return byCell;
    }
}
