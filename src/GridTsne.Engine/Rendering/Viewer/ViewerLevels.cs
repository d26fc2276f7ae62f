namespace GridTsne.Engine.Rendering.Viewer;

/// <summary>
/// The resolution levels of the viewer's tiles and how each level is cut into atlases.
/// Level sizes divide by 4 from the tile size down to the first at or below 16 px: the page opens on the
/// coarsest (10,000 tiles at 16 px fit one 1600 px atlas) and loads finer atlases only where the user zooms.
/// Each level's atlas covers 4 times as many cells per side as the next finer one, so the blocks nest and
/// the writer needs only one unfinished atlas per level in memory.
/// </summary>
internal sealed class ViewerLevels
{
    /// <summary>Target side of an atlas image in pixels: large enough for few files, small enough to decode fast.</summary>
    internal const int AtlasPixels = 2048;

    /// <summary>The coarsest level stops at or below this tile size.</summary>
    internal const int CoarsestTileSize = 16;

    private ViewerLevels(int[] sizes, int[] cellsPerAtlas)
    {
        Sizes = sizes;
        CellsPerAtlas = cellsPerAtlas;
    }

    /// <summary>Tile size of each level, coarsest first.</summary>
    public IReadOnlyList<int> Sizes { get; }

    /// <summary>Cells per side of an atlas block at each level, coarsest first.</summary>
    public IReadOnlyList<int> CellsPerAtlas { get; }

    public int Count => Sizes.Count;

    public static ViewerLevels For(int tileSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tileSize, 1);
        var sizes = new List<int> { tileSize };
        while (sizes[^1] > CoarsestTileSize)
        {
            sizes.Add((sizes[^1] + 3) / 4);
        }

        sizes.Reverse();
        int finestCells = Math.Max(1, AtlasPixels / tileSize);
        var cells = new int[sizes.Count];
        for (int level = sizes.Count - 1, cellsPerSide = finestCells; level >= 0; level--, cellsPerSide = checked(cellsPerSide * 4))
        {
            cells[level] = cellsPerSide;
        }

        return new ViewerLevels([.. sizes], cells);
    }
}
