using GridTsne.Engine.Assignment;

namespace GridTsne.Engine.Tests.Assignment;

/// <summary>
/// <see cref="PriceIndex{TCost}"/> against brute force: for random points and prices (rough and smooth, on unit
/// and coarsened lattices of awkward sizes), the k cells of smallest reduced cost below a threshold are exactly
/// those a scan of every cell finds.
/// </summary>
public class PriceIndexTests
{
    public static TheoryData<int, int, bool, bool, int> Lattices() => new()
    {
        // rows, columns, coarsened, smooth prices, seed
        { 1, 1, false, false, 1 },
        { 1, 9, false, true, 2 },
        { 4, 4, false, false, 3 },
        { 5, 7, false, true, 4 },
        { 13, 29, false, false, 5 },
        { 32, 32, false, true, 6 },
        { 33, 17, true, false, 7 },
        { 40, 61, true, true, 8 },
        { 64, 3, false, false, 9 },
    };

    [Theory]
    [MemberData(nameof(Lattices))]
    public void Squared_query_finds_what_brute_force_finds(int rows, int columns, bool coarsened, bool smooth, int seed) =>
        CompareWithBruteForce<SquaredEuclideanCost>(rows, columns, coarsened, smooth, seed, squared: true);

    [Theory]
    [MemberData(nameof(Lattices))]
    public void Euclidean_query_finds_what_brute_force_finds(int rows, int columns, bool coarsened, bool smooth, int seed) =>
        CompareWithBruteForce<EuclideanCost>(rows, columns, coarsened, smooth, seed, squared: false);

    [Fact]
    public void A_rebuilt_index_answers_for_the_new_prices()
    {
        var lattice = CellLattice.Unit(new GridShape(12, 12));
        var index = new PriceIndex<SquaredEuclideanCost>(lattice);
        double[] prices = new double[lattice.CellCount];
        index.Build(prices);
        Span<double> values = stackalloc double[1];
        Span<int> cells = stackalloc int[1];
        Assert.Equal(1, index.Query(5.1, 5.2, 1, double.PositiveInfinity, 0, values, cells));
        Assert.Equal((5 * 12) + 5, cells[0]);

        // A much higher price on a far cell makes it the cheapest after a rebuild.
        prices[(11 * 12) + 11] = 200;
        index.Build(prices);
        Assert.Equal(1, index.Query(5.1, 5.2, 1, double.PositiveInfinity, 0, values, cells));
        Assert.Equal((11 * 12) + 11, cells[0]);
    }

    private static void CompareWithBruteForce<TCost>(int rows, int columns, bool coarsened, bool smooth, int seed, bool squared)
        where TCost : struct, IGridCost
    {
        var random = new Random(seed);
        CellLattice lattice = CellLattice.Unit(new GridShape(rows, columns));
        if (coarsened)
        {
            // One axis odd (spacing exactly doubled), one even (spacing 2(n − 1)/(n − 2)).
            lattice = CellLattice.Unit(new GridShape((2 * rows) - 1, 2 * columns)).Coarsened();
            Assert.Equal(rows, lattice.Rows);
            Assert.Equal(columns, lattice.Columns);
        }

        double[] prices = new double[lattice.CellCount];
        for (int cell = 0; cell < prices.Length; cell++)
        {
            double cx = lattice.CellX(cell), cy = lattice.CellY(cell);
            // Smooth: a bowl with a tilt and a little noise, like optimal-transport potentials; rough: white noise.
            prices[cell] = smooth
                ? -(0.3 * ((cx - (columns / 3.0)) * (cx - (columns / 3.0)))) - (0.2 * cy) - random.NextDouble()
                : -random.NextDouble() * 4 * (rows + columns);
        }

        var index = new PriceIndex<TCost>(lattice);
        index.Build(prices);
        foreach (int k in new[] { 1, 3, 8 })
        {
            for (int trial = 0; trial < 40; trial++)
            {
                double px = (random.NextDouble() * (lattice.CellX(lattice.CellCount - 1) + 4)) - 2;
                double py = (random.NextDouble() * (lattice.CellY(lattice.CellCount - 1) + 4)) - 2;
                (double Value, int Cell)[] all = Enumerable.Range(0, lattice.CellCount)
                    .Select(cell => (Cost(px - lattice.CellX(cell), py - lattice.CellY(cell), squared) - prices[cell], cell))
                    .OrderBy(pair => pair.Item1).ThenBy(pair => pair.cell).ToArray();

                // Unbounded, and with a threshold that only some cells pass.
                foreach (double threshold in new[] { double.PositiveInfinity, all[Math.Min(all.Length - 1, k / 2)].Value + 1e-9 })
                {
                    (double Value, int Cell)[] expected = all.Where(pair => pair.Value < threshold).Take(k).ToArray();
                    var values = new double[k];
                    var cells = new int[k];
                    int found = index.Query(px, py, k, threshold, 1e-12, values, cells);
                    Assert.Equal(expected.Length, found);
                    for (int i = 0; i < found; i++)
                    {
                        Assert.Equal(expected[i].Value, values[i], 1e-9 * (1 + Math.Abs(expected[i].Value)));
                        Assert.Equal(expected[i].Cell, cells[i]);
                    }
                }
            }
        }
    }

    private static double Cost(double dx, double dy, bool squared) =>
        squared ? (dx * dx) + (dy * dy) : Math.Sqrt((dx * dx) + (dy * dy));
}
