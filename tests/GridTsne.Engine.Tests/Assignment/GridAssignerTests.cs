using GridTsne.Engine.Assignment;

namespace GridTsne.Engine.Tests.Assignment;

public class GridAssignerTests
{
    public static TheoryData<int, int, int, int> SmallProblems => new()
    {
        // points, rows, columns, seed
        { 1, 1, 1, 1 },
        { 2, 1, 2, 2 },
        { 3, 2, 2, 3 },
        { 4, 2, 2, 4 },
        { 5, 2, 3, 5 },
        { 6, 2, 3, 6 },
        { 7, 3, 3, 7 },
        { 8, 3, 3, 8 },
        { 6, 3, 4, 9 },
        { 8, 2, 5, 10 },
    };

    [Theory]
    [MemberData(nameof(SmallProblems))]
    public void Dense_solver_equals_brute_force_over_all_assignments(int count, int rows, int columns, int seed)
    {
        var random = new Random(seed);
        double[] x = Enumerable.Range(0, count).Select(_ => Math.Round(random.NextDouble() * 4, 1)).ToArray();
        double[] y = Enumerable.Range(0, count).Select(_ => Math.Round(random.NextDouble() * 4, 1)).ToArray();
        foreach (AssignmentCost cost in new[] { AssignmentCost.SquaredEuclidean, AssignmentCost.Euclidean })
        {
            GridAssignmentResult result = GridAssigner.Assign(x, y, new GridShape(rows, columns), cost, AssignmentMethod.Dense);
            double best = BruteForce(result, cost);
            Assert.Equal(best, result.TotalCost, 9);
            Assert.Equal(count, result.Cells.Distinct().Count());
            AssignmentCertificate.Verify(x, y, result, cost);
        }
    }

    [Fact]
    public void Ties_and_identical_points_are_solved_without_hanging()
    {
        // All points identical: every assignment costs the same after scaling collapses the axis.
        double[] same = Enumerable.Repeat(3.0, 8).ToArray();
        GridAssignmentResult identical = GridAssigner.Assign(same, same, new GridShape(3, 3), AssignmentCost.SquaredEuclidean, AssignmentMethod.Dense);
        Assert.Equal(8, identical.Cells.Distinct().Count());
        Assert.Equal(BruteForce(identical, AssignmentCost.SquaredEuclidean), identical.TotalCost, 9);

        // Collinear points on a diagonal.
        double[] line = Enumerable.Range(0, 9).Select(i => (double)i).ToArray();
        GridAssignmentResult collinear = GridAssigner.Assign(line, line, new GridShape(3, 3));
        Assert.Equal(9, collinear.Cells.Distinct().Count());
    }

    [Theory]
    [InlineData(10, null, null, 3, 4)]
    [InlineData(16, null, null, 4, 4)]
    [InlineData(10, 5, null, 2, 5)]
    [InlineData(10, null, 5, 5, 2)]
    [InlineData(1, null, null, 1, 1)]
    public void Grid_shape_is_the_most_square_or_derived_from_the_given_side(int count, int? columns, int? rows, int expectedRows, int expectedColumns)
    {
        GridShape shape = GridShape.ForCount(count, columns, rows);
        Assert.Equal(expectedRows, shape.Rows);
        Assert.Equal(expectedColumns, shape.Columns);
    }

    [Fact]
    public void Too_small_a_grid_states_the_numbers()
    {
        GridShapeException error = Assert.Throws<GridShapeException>(() => GridShape.ForCount(10, 3, 3));
        Assert.Contains("9", error.Message, StringComparison.Ordinal);
        Assert.Contains("10", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cancellation_stops_the_solver()
    {
        var random = new Random(2);
        double[] x = Enumerable.Range(0, 2500).Select(_ => random.NextDouble()).ToArray();
        double[] y = Enumerable.Range(0, 2500).Select(_ => random.NextDouble()).ToArray();
        using var canceled = new CancellationTokenSource();
        canceled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => GridAssigner.Assign(x, y, GridShape.ForCount(2500), AssignmentCost.SquaredEuclidean, AssignmentMethod.Dense, null, canceled.Token));
    }

    private static double Cost(GridAssignmentResult result, int point, int cell, AssignmentCost cost)
    {
        double dx = result.ScaledX[point] - (cell % result.Shape.Columns);
        double dy = result.ScaledY[point] - (cell / result.Shape.Columns);
        double squared = (dx * dx) + (dy * dy);
        return cost == AssignmentCost.SquaredEuclidean ? squared : Math.Sqrt(squared);
    }

    private static double BruteForce(GridAssignmentResult result, AssignmentCost cost)
    {
        int points = result.Cells.Count, cells = result.Shape.CellCount;
        double best = double.PositiveInfinity;
        var used = new bool[cells];
        void Search(int point, double sum)
        {
            if (sum >= best)
            {
                return;
            }

            if (point == points)
            {
                best = sum;
                return;
            }

            for (int cell = 0; cell < cells; cell++)
            {
                if (!used[cell])
                {
                    used[cell] = true;
                    Search(point + 1, sum + Cost(result, point, cell, cost));
                    used[cell] = false;
                }
            }
        }

        Search(0, 0);
        return best;
    }
}
