using GridTsne.Engine.Imaging;

namespace GridTsne.Engine.Rendering;

/// <summary>How tiles are drawn and the image encoded.</summary>
public sealed record GridRenderOptions
{
    public const int DefaultQuality = 90;

    /// <summary>Colour of empty cells, padding and letterbox bands.</summary>
    public RgbColor Background { get; init; } = RgbColor.Black;

    public TileFit Fit { get; init; } = TileFit.Cover;

    /// <summary>JPEG and WebP quality, 1 to 100.</summary>
    public int Quality { get; init; } = DefaultQuality;

    /// <summary>Limits applied to every photo decoded.</summary>
    public ImageDecodeOptions DecodeOptions { get; init; } = ImageDecodeOptions.Default;

    /// <summary>Tiles decoded at once; each holds one decoded photo in memory.</summary>
    public int MaxDegreeOfParallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>Largest canvas, in bytes of 24-bit pixels, that may be allocated.</summary>
    public long MemoryBudgetBytes { get; init; } = CanvasLimits.DefaultMemoryBudget;
}
