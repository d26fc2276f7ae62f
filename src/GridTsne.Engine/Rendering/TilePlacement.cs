namespace GridTsne.Engine.Rendering;

/// <summary>
/// Which part of a photo goes where in its tile: a source rectangle in photo pixels (fractional, so that a
/// centre crop stays centred) and a destination rectangle relative to the tile's top-left corner.
/// </summary>
internal readonly record struct TilePlacement(
    double SourceX, double SourceY, double SourceWidth, double SourceHeight,
    int DestinationX, int DestinationY, int DestinationWidth, int DestinationHeight)
{
    public static TilePlacement For(int sourceWidth, int sourceHeight, int tileSize, TileFit fit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sourceWidth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(sourceHeight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(tileSize, 1);
        if (fit == TileFit.Cover)
        {
            // The largest centred square fills the whole tile.
            int side = Math.Min(sourceWidth, sourceHeight);
            return new TilePlacement((sourceWidth - side) / 2.0, (sourceHeight - side) / 2.0, side, side, 0, 0, tileSize, tileSize);
        }

        // The whole photo, its longer side spanning the tile, centred between background bands.
        int longer = Math.Max(sourceWidth, sourceHeight);
        int width = Math.Max(1, (int)Math.Round((double)sourceWidth * tileSize / longer, MidpointRounding.AwayFromZero));
        int height = Math.Max(1, (int)Math.Round((double)sourceHeight * tileSize / longer, MidpointRounding.AwayFromZero));
        return new TilePlacement(0, 0, sourceWidth, sourceHeight, (tileSize - width) / 2, (tileSize - height) / 2, width, height);
    }

    /// <summary>
    /// True when a source of this size fills a tile without upscaling: Cover needs the shorter side to
    /// reach the tile size, Contain the longer side.
    /// </summary>
    public static bool CoversWithoutUpscaling(int sourceWidth, int sourceHeight, int tileSize, TileFit fit) =>
        (fit == TileFit.Cover ? Math.Min(sourceWidth, sourceHeight) : Math.Max(sourceWidth, sourceHeight)) >= tileSize;
}
