namespace GridTsne.Engine.Assignment;

/// <summary>How the displacement of a point to a cell is charged.</summary>
public enum AssignmentCost
{
    /// <summary>Squared distance in cell units (the default): long moves cost much more than several short ones.</summary>
    SquaredEuclidean,

    /// <summary>Plain distance in cell units: the total distance travelled.</summary>
    Euclidean,
}

/// <summary>Which exact solver Resolve-GridAssignment uses.</summary>
public enum AssignmentMethod
{
    /// <summary>Dense below the measured crossover, sparse above it.</summary>
    Auto,

    /// <summary>Jonker-Volgenant on the full cost matrix, computed on the fly: O(N·M) memory-free, O(N²·M) worst-case time.</summary>
    Dense,

    /// <summary>Coarse-to-fine shortest augmenting paths on candidate cells generated from the dual prices, with a proof of optimality over the full matrix.</summary>
    Sparse,
}
