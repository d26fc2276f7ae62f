namespace GridTsne.Engine.Rendering.Viewer;

/// <summary>What the viewer writer produced, for -Verbose and for benchmarks.</summary>
public sealed record ViewerWriteResult
{
    public required string IndexPath { get; init; }

    /// <summary>The folder of assets beside the page.</summary>
    public required string AssetsDirectory { get; init; }

    /// <summary>Bytes of the page and every asset.</summary>
    public required long TotalBytes { get; init; }

    public required int FileCount { get; init; }

    /// <summary>Photos that link to their original file.</summary>
    public required int Linked { get; init; }

    /// <summary>Photos that open a copy stored in the assets folder.</summary>
    public required int Embedded { get; init; }

    /// <summary>Tiles drawn from the embedding step's thumbnails, without decoding the original.</summary>
    public required int FromThumbnails { get; init; }

    /// <summary>Photos that could not be read; their tiles show the background.</summary>
    public required int Failed { get; init; }

    /// <summary>Tile sizes of the levels, coarsest first.</summary>
    public required IReadOnlyList<int> LevelSizes { get; init; }

    /// <summary>Time spent decoding, drawing and encoding the tiles.</summary>
    public required TimeSpan DrawTime { get; init; }
}
