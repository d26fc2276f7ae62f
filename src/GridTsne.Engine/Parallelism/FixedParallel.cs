namespace GridTsne.Engine.Parallelism;

/// <summary>
/// Parallel loops whose results do not depend on the number of threads: work is cut into chunks whose
/// boundaries depend only on the problem size, each chunk is computed sequentially by one thread, and
/// per-chunk partial sums are combined in chunk order. Cancellation is checked before every chunk.
/// </summary>
internal readonly struct FixedParallel
{
    private readonly ParallelOptions _options;

    public FixedParallel(int maxDegreeOfParallelism, CancellationToken token)
    {
        _options = new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism, CancellationToken = token };
        Token = token;
    }

    public CancellationToken Token { get; }

    public int MaxDegreeOfParallelism => _options.MaxDegreeOfParallelism;

    public static int ChunkCount(int count, int chunkSize) => (count + chunkSize - 1) / chunkSize;

    /// <summary>Runs <paramref name="body"/>(start, end) over [0, count) in chunks of <paramref name="chunkSize"/>.</summary>
    public void For(int count, int chunkSize, Action<int, int> body)
    {
        Token.ThrowIfCancellationRequested();
        int chunks = ChunkCount(count, chunkSize);
        if (chunks <= 1 || _options.MaxDegreeOfParallelism == 1)
        {
            for (int chunk = 0; chunk < chunks; chunk++)
            {
                Token.ThrowIfCancellationRequested();
                body(chunk * chunkSize, Math.Min(count, (chunk + 1) * chunkSize));
            }

            return;
        }

        Parallel.For(0, chunks, _options, chunk => body(chunk * chunkSize, Math.Min(count, (chunk + 1) * chunkSize)));
    }

    /// <summary>
    /// Sums <paramref name="body"/>(start, end) over chunks; the partial sums are added in chunk order,
    /// so the total is the same bits whatever the thread count.
    /// </summary>
    public double Sum(int count, int chunkSize, Func<int, int, double> body)
    {
        int chunks = ChunkCount(count, chunkSize);
        var partial = new double[Math.Max(chunks, 1)];
        For(count, chunkSize, (start, end) => partial[start / chunkSize] = body(start, end));
        double total = 0;
        foreach (double value in partial)
        {
            total += value;
        }

        return total;
    }
}
