namespace GridTsne.Engine.Rendering;

/// <summary>Why a grid cannot be laid out or written. Each reason maps to one stable PowerShell ErrorId.</summary>
public enum GridLayoutProblem
{
    /// <summary>No photo and no explicit grid size: nothing says how large the grid is.</summary>
    Empty,
    /// <summary>Two photos claim the same cell.</summary>
    DuplicateCell,
    /// <summary>A photo's cell lies outside the grid size given.</summary>
    CellOutsideGrid,
    /// <summary>The canvas exceeds the output format's limit or the memory budget.</summary>
    CanvasTooLarge,
}

/// <summary>A grid that cannot be laid out or written as asked; the message says why and what to change.</summary>
public sealed class GridLayoutException : Exception
{
    public GridLayoutException(GridLayoutProblem problem, string message, GridTile? tile = null)
        : base(message)
    {
        Problem = problem;
        Tile = tile;
    }

    public GridLayoutProblem Problem { get; }

    /// <summary>The photo concerned, when there is one.</summary>
    public GridTile? Tile { get; }
}
