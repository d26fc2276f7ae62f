namespace GridTsne.Engine.Rendering;

/// <summary>
/// The placement of photos on a grid of square tiles: its size in cells and pixels, and each tile's pixel
/// origin. Every output (image, layout file, viewer) is written from one of these.
/// </summary>
public sealed class GridLayout
{
    private GridLayout(IReadOnlyList<GridTile> tiles, int rows, int columns, int tileSize, int padding)
    {
        Tiles = tiles;
        Rows = rows;
        Columns = columns;
        TileSize = tileSize;
        Padding = padding;
    }

    /// <summary>The photos, in input order.</summary>
    public IReadOnlyList<GridTile> Tiles { get; }

    public int Rows { get; }

    public int Columns { get; }

    /// <summary>Side of each square tile, in pixels.</summary>
    public int TileSize { get; }

    /// <summary>Gap between neighbouring tiles, in pixels (none around the edge).</summary>
    public int Padding { get; }

    /// <summary>Width of the whole grid in pixels.</summary>
    public long Width => Extent(Columns);

    /// <summary>Height of the whole grid in pixels.</summary>
    public long Height => Extent(Rows);

    /// <summary>
    /// Lays <paramref name="tiles"/> out. A <paramref name="rows"/> or <paramref name="columns"/> of 0 means
    /// "as many as the tiles need"; a positive value must hold every tile.
    /// </summary>
    /// <exception cref="GridLayoutException">The size is unknown, a tile lies outside it, or two tiles share a cell.</exception>
    public static GridLayout Create(IReadOnlyList<GridTile> tiles, int rows, int columns, int tileSize, int padding)
    {
        ArgumentNullException.ThrowIfNull(tiles);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        ArgumentOutOfRangeException.ThrowIfLessThan(tileSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(padding);

        int neededRows = 0, neededColumns = 0;
        foreach (GridTile tile in tiles)
        {
            if (tile.Row < 0 || tile.Column < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(tiles), $"'{tile.Path}' has a negative row or column ({tile.Row}, {tile.Column}).");
            }

            neededRows = Math.Max(neededRows, tile.Row + 1);
            neededColumns = Math.Max(neededColumns, tile.Column + 1);
        }

        rows = rows == 0 ? neededRows : rows;
        columns = columns == 0 ? neededColumns : columns;
        if (rows == 0 || columns == 0)
        {
            throw new GridLayoutException(GridLayoutProblem.Empty,
                "There are no photos to place, so the grid has no size. Pipe in items with Path, Row and Column, or give both -Rows and -Columns for an empty grid.");
        }

        var occupant = new Dictionary<long, GridTile>(tiles.Count);
        foreach (GridTile tile in tiles)
        {
            if (tile.Row >= rows || tile.Column >= columns)
            {
                throw new GridLayoutException(GridLayoutProblem.CellOutsideGrid,
                    $"'{tile.Path}' is in row {tile.Row}, column {tile.Column}, outside the grid of {rows} rows × {columns} columns (rows and columns count from 0).",
                    tile);
            }

            long cell = (long)tile.Row * columns + tile.Column;
            if (!occupant.TryAdd(cell, tile))
            {
                throw new GridLayoutException(GridLayoutProblem.DuplicateCell,
                    $"'{occupant[cell].Path}' and '{tile.Path}' are both in row {tile.Row}, column {tile.Column}; a cell holds one photo. " +
                    "Give each item its own cell (Resolve-GridAssignment does), or drop the repeated items.",
                    tile);
            }
        }

        return new GridLayout(tiles, rows, columns, tileSize, padding);
    }

    /// <summary>Left edge of a column's tiles, in pixels.</summary>
    public long TileX(int column) => (long)column * (TileSize + Padding);

    /// <summary>Top edge of a row's tiles, in pixels.</summary>
    public long TileY(int row) => (long)row * (TileSize + Padding);

    /// <summary>Pixels spanned by <paramref name="cells"/> tiles and the gaps between them.</summary>
    internal long Extent(int cells) => Extent(cells, TileSize, Padding);

    internal static long Extent(int cells, int tileSize, int padding) => (long)cells * tileSize + (long)(cells - 1) * padding;
}
