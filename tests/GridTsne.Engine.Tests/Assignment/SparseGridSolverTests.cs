using GridTsne.Engine.Assignment;

namespace GridTsne.Engine.Tests.Assignment;

/// <summary>
/// The sparse solver (the default above <see cref="GridAssigner.AutoDensePoints"/> points) proven optimal by
/// <see cref="AssignmentCertificate"/>, which shares no code with it, over both costs, many seeds and grid
/// shapes, spare cells, and clouds that are uniform, clustered, collinear or full of duplicates.
/// </summary>
public class SparseGridSolverTests
{
    public enum Cloud
    {
        Uniform,
        Clustered,
        Collinear,
        Duplicates,
    }

    public static TheoryData<int, int, int, Cloud, int> SmallProblems()
    {
        var data = new TheoryData<int, int, int, Cloud, int>();
        (int Count, int Rows, int Columns)[] shapes =
        [
            (1, 1, 1), (2, 1, 3), (9, 3, 3), (40, 5, 9), (100, 10, 10), (150, 4, 40), (257, 16, 17),
            (300, 20, 20), (480, 22, 22), (700, 10, 71), (1024, 32, 32), (1200, 40, 40),
        ];
        int seed = 1;
        foreach ((int count, int rows, int columns) in shapes)
        {
            foreach (Cloud cloud in Enum.GetValues<Cloud>())
            {
                data.Add(count, rows, columns, cloud, seed++);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(SmallProblems))]
    public void Sparse_results_carry_a_certificate_of_optimality_for_both_costs(int count, int rows, int columns, Cloud cloud, int seed)
    {
        (double[] x, double[] y) = Points(count, cloud, seed);
        var shape = new GridShape(rows, columns);
        foreach (AssignmentCost cost in new[] { AssignmentCost.SquaredEuclidean, AssignmentCost.Euclidean })
        {
            GridAssignmentResult result = GridAssigner.Assign(x, y, shape, cost, AssignmentMethod.Sparse);
            Assert.Equal(AssignmentMethod.Sparse, result.Method);
            Assert.Equal(0, result.ProvenGap);
            AssignmentCertificate.Verify(x, y, result, cost);
        }
    }

    [Theory]
    [InlineData(20_000, 142, 142, Cloud.Clustered, AssignmentCost.SquaredEuclidean)]
    [InlineData(20_000, 150, 150, Cloud.Uniform, AssignmentCost.Euclidean)]
    [InlineData(5_000, 50, 110, Cloud.Clustered, AssignmentCost.Euclidean)]
    [InlineData(8_000, 90, 90, Cloud.Uniform, AssignmentCost.SquaredEuclidean)]
    public void Large_sparse_results_carry_a_certificate_of_optimality(int count, int rows, int columns, Cloud cloud, AssignmentCost cost)
    {
        (double[] x, double[] y) = Points(count, cloud, count + rows);
        GridAssignmentResult result = GridAssigner.Assign(x, y, new GridShape(rows, columns), cost, AssignmentMethod.Sparse);
        Assert.Equal(0, result.ProvenGap);
        AssignmentCertificate.Verify(x, y, result, cost);
    }

    [Fact]
    public void Sparse_and_dense_find_the_same_optimal_cost()
    {
        (double[] x, double[] y) = Points(600, Cloud.Clustered, 11);
        var shape = GridShape.ForCount(600);
        foreach (AssignmentCost cost in new[] { AssignmentCost.SquaredEuclidean, AssignmentCost.Euclidean })
        {
            GridAssignmentResult dense = GridAssigner.Assign(x, y, shape, cost, AssignmentMethod.Dense);
            GridAssignmentResult sparse = GridAssigner.Assign(x, y, shape, cost, AssignmentMethod.Sparse);
            AssignmentCertificate.Verify(x, y, dense, cost);
            AssignmentCertificate.Verify(x, y, sparse, cost);
            Assert.Equal(dense.TotalCost, sparse.TotalCost, dense.TotalCost * 1e-9);
        }
    }

    [Fact]
    public void The_checker_rejects_a_result_that_is_not_optimal()
    {
        // The checker must be able to fail: the same points with two cells swapped keep the duals, which no
        // longer fit the assignment.
        (double[] x, double[] y) = Points(300, Cloud.Uniform, 3);
        GridAssignmentResult result = GridAssigner.Assign(x, y, GridShape.ForCount(300), AssignmentCost.SquaredEuclidean, AssignmentMethod.Sparse);
        int a = 0;
        int b = Enumerable.Range(1, 299).First(i => Math.Abs(result.RowOf(i) - result.RowOf(a)) + Math.Abs(result.ColumnOf(i) - result.ColumnOf(a)) > 3);
        double[] swappedX = [.. x], swappedY = [.. y];
        (swappedX[a], swappedX[b], swappedY[a], swappedY[b]) = (x[b], x[a], y[b], y[a]);
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => AssignmentCertificate.Verify(swappedX, swappedY, result, AssignmentCost.SquaredEuclidean));
    }

    [Fact]
    public void Cancellation_stops_the_sparse_solver_while_it_runs()
    {
        (double[] x, double[] y) = Points(20_000, Cloud.Clustered, 5);
        using var stop = new CancellationTokenSource();
        int reportsAfterCancel = 0;
        void Progress(AssignmentProgress progress)
        {
            if (stop.IsCancellationRequested)
            {
                reportsAfterCancel++;
            }
            else if (progress.Activity.Contains("auction", StringComparison.Ordinal))
            {
                // Cancel once the solver is inside a refinement level, not before it starts.
                stop.Cancel();
            }
        }

        Assert.ThrowsAny<OperationCanceledException>(() =>
            GridAssigner.Assign(x, y, GridShape.ForCount(x.Length), AssignmentCost.SquaredEuclidean, AssignmentMethod.Sparse, Progress, stop.Token));
        Assert.True(stop.IsCancellationRequested);
        Assert.True(reportsAfterCancel <= 2, $"the solver went on reporting {reportsAfterCancel} times after it was cancelled");
    }

    internal static (double[] X, double[] Y) Points(int count, Cloud cloud, int seed)
    {
        var random = new Random(seed);
        double[] x = new double[count], y = new double[count];
        for (int i = 0; i < count; i++)
        {
            switch (cloud)
            {
                case Cloud.Uniform:
                    (x[i], y[i]) = (random.NextDouble(), random.NextDouble());
                    break;
                case Cloud.Clustered:
                    // A t-SNE-like map: a few Gaussian blobs of different sizes.
                    int blob = random.Next(6);
                    (x[i], y[i]) = ((blob * 7) + ((1 + blob) * 0.4 * Gaussian(random)), (blob * blob) + Gaussian(random));
                    break;
                case Cloud.Collinear:
                    double t = random.NextDouble();
                    (x[i], y[i]) = (t, 2 * t);
                    break;
                default:
                    // Few distinct positions, each shared by many points: every tie at once.
                    (x[i], y[i]) = (random.Next(4), random.Next(3));
                    break;
            }
        }

        return (x, y);
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
