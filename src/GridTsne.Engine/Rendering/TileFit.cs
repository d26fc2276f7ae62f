namespace GridTsne.Engine.Rendering;

/// <summary>How a photo fills its square tile.</summary>
public enum TileFit
{
    /// <summary>Scaled to cover the whole tile, the longer side centre-cropped to a square.</summary>
    Cover,

    /// <summary>Scaled to fit inside the tile, whole, with background bands (letterbox or pillarbox).</summary>
    Contain,
}
