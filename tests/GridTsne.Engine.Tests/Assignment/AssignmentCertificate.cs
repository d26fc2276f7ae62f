using GridTsne.Engine.Assignment;

namespace GridTsne.Engine.Tests.Assignment;

/// <summary>
/// An independent proof that a grid assignment is optimal, in plain code that shares nothing with the solvers
/// (no PriceIndex, no cost structs, no lower bounds): the points are scaled onto the grid again from the raw
/// coordinates, every (point, cell) cost is computed from scratch, and the result's duals are checked against
/// the linear program of the rectangular assignment
///     minimise Σ c(i, j)·x(i, j)  subject to  Σ_j x(i, j) = 1 for each point,  Σ_i x(i, j) ≤ 1 for each cell,
/// whose dual is  maximise Σ u(i) + Σ v(j)  subject to  u(i) + v(j) ≤ c(i, j),  v(j) ≤ 0.
/// Dual feasibility over all N × M pairs, plus complementary slackness (u(i) + v(j) = c(i, j) on the
/// assignment, v(j) = 0 on empty cells), proves by LP duality that no other assignment costs less; the
/// primal and dual totals are compared as well.
/// </summary>
internal static class AssignmentCertificate
{
    /// <summary>Throws (an xunit assertion) unless <paramref name="result"/> is a valid, provably optimal assignment of the points.</summary>
    public static void Verify(double[] x, double[] y, GridAssignmentResult result, AssignmentCost cost)
    {
        int n = x.Length;
        int rows = result.Shape.Rows, columns = result.Shape.Columns, cellCount = rows * columns;
        double[] px = ScaleOntoCenters(x, columns), py = ScaleOntoCenters(y, rows);
        for (int i = 0; i < n; i++)
        {
            Assert.True(Math.Abs(px[i] - result.ScaledX[i]) <= 1e-9 * columns && Math.Abs(py[i] - result.ScaledY[i]) <= 1e-9 * rows,
                $"point {i} was scaled to ({result.ScaledX[i]}, {result.ScaledY[i]}), not ({px[i]}, {py[i]})");
        }

        // A valid assignment: every point in its own cell.
        Assert.Equal(n, result.Cells.Count);
        var owner = new int[cellCount];
        Array.Fill(owner, -1);
        for (int i = 0; i < n; i++)
        {
            int cell = result.Cells[i];
            Assert.InRange(cell, 0, cellCount - 1);
            Assert.True(owner[cell] < 0, $"points {owner[cell]} and {i} share cell {cell}");
            owner[cell] = i;
        }

        double largestCost = Cost(0, 0, columns - 1, rows - 1, cost);
        double tolerance = 1e-9 * (largestCost + 1);
        double[] u = [.. result.RowDuals];
        double[] v = [.. result.ColumnDuals];
        Assert.Equal(n, u.Length);
        Assert.Equal(cellCount, v.Length);

        // Column duals: never positive, zero on empty cells.
        for (int cell = 0; cell < cellCount; cell++)
        {
            Assert.True(v[cell] <= tolerance, $"cell {cell} has the positive dual {v[cell]}");
            if (owner[cell] < 0)
            {
                Assert.True(Math.Abs(v[cell]) <= tolerance, $"the empty cell {cell} has the dual {v[cell]}, not 0");
            }
        }

        // Dual feasibility over every pair, and equality on the assignment.
        double primal = 0, dual = 0;
        for (int i = 0; i < n; i++)
        {
            double worst = double.PositiveInfinity;
            int worstCell = -1;
            for (int row = 0; row < rows; row++)
            {
                for (int column = 0; column < columns; column++)
                {
                    int cell = (row * columns) + column;
                    double reduced = Cost(px[i], py[i], column, row, cost) - u[i] - v[cell];
                    if (reduced < worst)
                    {
                        (worst, worstCell) = (reduced, cell);
                    }
                }
            }

            Assert.True(worst >= -tolerance, $"point {i}: cell {worstCell} has the reduced cost {worst}; the duals are infeasible");
            int own = result.Cells[i];
            double ownCost = Cost(px[i], py[i], own % columns, own / columns, cost);
            double slack = ownCost - u[i] - v[own];
            Assert.True(Math.Abs(slack) <= tolerance, $"point {i}: its own cell {own} has the reduced cost {slack}, not 0");
            primal += ownCost;
            dual += u[i];
        }

        foreach (double price in v)
        {
            dual += price;
        }

        Assert.True(Math.Abs(primal - dual) <= tolerance * (n + 1), $"primal {primal} and dual {dual} differ");
        Assert.True(Math.Abs(primal - result.TotalCost) <= tolerance * (n + 1), $"the total cost {result.TotalCost} is not the sum of the costs, {primal}");
    }

    /// <summary>Min-max scaling onto the centres 0 … count − 1, the middle when all values are equal.</summary>
    private static double[] ScaleOntoCenters(double[] values, int count)
    {
        double min = values.Min(), max = values.Max();
        return values.Select(value => max > min ? (value - min) / (max - min) * (count - 1) : (count - 1) / 2.0).ToArray();
    }

    private static double Cost(double px, double py, int column, int row, AssignmentCost cost)
    {
        double squared = ((px - column) * (px - column)) + ((py - row) * (py - row));
        return cost == AssignmentCost.SquaredEuclidean ? squared : Math.Sqrt(squared);
    }
}
