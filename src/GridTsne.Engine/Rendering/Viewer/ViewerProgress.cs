using GridTsne.Engine.Imaging;

namespace GridTsne.Engine.Rendering.Viewer;

/// <summary>Reported once per cell, from the thread that loaded it.</summary>
/// <param name="Completed">Cells done so far, this one included.</param>
/// <param name="Total">Cells in all.</param>
/// <param name="CellIndex">The cell just done.</param>
/// <param name="Failure">Why its photo could not be read; its tile stays background. Null when it loaded.</param>
public sealed record ViewerProgress(int Completed, int Total, int CellIndex, ImageLoadException? Failure);

/// <summary>What the writer produced.</summary>
public sealed record ViewerWriteResult
{
    public required string IndexPath { get; init; }

    /// <summary>The folder of assets beside the index file.</summary>
    public required string AssetsDirectory { get; init; }

    /// <summary>Bytes of the index file and every asset.</summary>
    public required long TotalBytes { get; init; }

    public required int FileCount { get; init; }

    /// <summary>Photos that link to their original file.</summary>
    public required int Linked { get; init; }

    /// <summary>Photos that open a copy stored in the assets folder.</summary>
    public required int Embedded { get; init; }

    /// <summary>Photos that could not be read.</summary>
    public required int Failed { get; init; }

    /// <summary>Tile sizes of the levels, coarsest first.</summary>
    public required IReadOnlyList<int> LevelSizes { get; init; }
}
