namespace GridTsne.Engine.Assignment;

/// <summary>
/// An optimal assignment with its dual certificate: every reduced cost c(i, j) − RowDuals[i] − ColumnDuals[j]
/// is ≥ 0 (within rounding), it is 0 on the assignment, all column duals are ≤ 0, and unassigned columns
/// have dual 0. By linear programming duality no other assignment costs less.
/// </summary>
internal sealed record AssignmentSolution(int[] ColumnOfRow, double[] RowDuals, double[] ColumnDuals)
{
    /// <summary>Shifts the duals so that the largest column dual is 0 (where unassigned columns already are).</summary>
    public AssignmentSolution Normalized()
    {
        if (ColumnDuals.Length == 0)
        {
            return this;
        }

        double top = double.NegativeInfinity;
        foreach (double v in ColumnDuals)
        {
            top = Math.Max(top, v);
        }

        for (int j = 0; j < ColumnDuals.Length; j++)
        {
            ColumnDuals[j] -= top;
        }

        for (int i = 0; i < RowDuals.Length; i++)
        {
            RowDuals[i] += top;
        }

        return this;
    }
}

/// <summary>What the solver is doing, for progress bars.</summary>
public readonly record struct AssignmentProgress(string Activity, double Fraction);
