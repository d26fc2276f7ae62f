namespace GridTsne.Engine.Rendering.Viewer;

/// <summary>How the viewer page is laid out and encoded.</summary>
public sealed record ViewerOptions
{
    /// <summary>Longest side of the copy embedded for a photo that cannot be linked (it lies away from the page).</summary>
    public const int DefaultPreviewLongSide = 640;

    /// <summary>Largest tile size: a finest-level atlas then still holds 2 x 2 tiles in 2048 px.</summary>
    public const int MaxTileSize = 1024;

    /// <summary>Number of rows of the grid.</summary>
    public required int Rows { get; init; }

    /// <summary>Number of columns of the grid.</summary>
    public required int Columns { get; init; }

    /// <summary>Side of a tile at the finest level, in pixels; coarser levels divide it by 4 down to 16 px or less.</summary>
    public int TileSize { get; init; } = 64;

    /// <summary>Gap between tiles in pixels at the finest level, shown in the background colour.</summary>
    public int Padding { get; init; }

    /// <summary>Colour of empty cells, unreadable photos and gaps.</summary>
    public (byte R, byte G, byte B) Background { get; init; } = (0, 0, 0);

    /// <summary>JPEG quality of the tile atlases and embedded copies (1-100).</summary>
    public int JpegQuality { get; init; } = 85;

    /// <summary>Longest side of an embedded copy of a photo that lies away from the page.</summary>
    public int PreviewLongSide { get; init; } = DefaultPreviewLongSide;

    /// <summary>Page title; the index file's name without extension when null.</summary>
    public string? Title { get; init; }

    /// <summary>Photos decoded at once; the processor count when 0.</summary>
    public int MaxDegreeOfParallelism { get; init; }

    internal void Validate()
    {
        if (Rows < 1 || Columns < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Rows), $"The grid must have at least one row and one column, not {Rows}x{Columns}.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(TileSize, 1, nameof(TileSize));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(TileSize, MaxTileSize, nameof(TileSize));
        ArgumentOutOfRangeException.ThrowIfNegative(Padding, nameof(Padding));
        ArgumentOutOfRangeException.ThrowIfLessThan(JpegQuality, 1, nameof(JpegQuality));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(JpegQuality, 100, nameof(JpegQuality));
        ArgumentOutOfRangeException.ThrowIfLessThan(PreviewLongSide, 1, nameof(PreviewLongSide));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxDegreeOfParallelism, nameof(MaxDegreeOfParallelism));
    }
}
