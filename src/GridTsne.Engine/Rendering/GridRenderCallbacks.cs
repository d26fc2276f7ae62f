using GridTsne.Engine.Imaging;

namespace GridTsne.Engine.Rendering;

/// <summary>Where a tile's pixels came from.</summary>
public enum TileSource
{
    /// <summary>The small copy the embedding step kept: no second decode of the original.</summary>
    Thumbnail,

    /// <summary>The original photo, decoded.</summary>
    Original,

    /// <summary>The photo could not be read; the tile shows the background.</summary>
    Failed,
}

/// <summary>One more finished tile (drawn or failed): <see cref="Completed"/> of <see cref="Total"/>.</summary>
public readonly record struct TileProgress(GridTile Tile, TileSource Source, int Completed, int Total);

/// <summary>
/// Hears about a render as it goes. Tile callbacks come from worker threads, concurrently: they must be
/// thread-safe and quick (queue, don't write). Delegates rather than an interface, so that the cmdlet
/// assembly need not implement an engine type (pwsh loads its types before the engine can be resolved).
/// </summary>
public sealed class GridRenderCallbacks
{
    /// <summary>A photo could not be read; its tile stays background and the grid goes on.</summary>
    public Action<GridTile, ImageLoadException>? TileFailed { get; init; }

    /// <summary>A tile is finished.</summary>
    public Action<TileProgress>? TileDone { get; init; }

    /// <summary>Every tile is drawn; the file (the argument) is being encoded and written.</summary>
    public Action<string>? Writing { get; init; }
}
