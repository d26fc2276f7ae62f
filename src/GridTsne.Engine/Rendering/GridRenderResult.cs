namespace GridTsne.Engine.Rendering;

/// <summary>What a render did, for -Verbose and for benchmarks.</summary>
public sealed record GridRenderResult(
    int Width,
    int Height,
    int Tiles,
    int FromThumbnails,
    int FromOriginals,
    int Failed,
    TimeSpan DrawTime,
    TimeSpan WriteTime);
