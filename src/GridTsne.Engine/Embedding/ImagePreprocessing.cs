using System.Globalization;

namespace GridTsne.Engine.Embedding;

/// <summary>Order of the colour planes in a model's input tensor.</summary>
public enum ChannelOrder
{
    /// <summary>Red, green, blue: PyTorch, timm, CLIP and DINOv2 exports.</summary>
    RGB,

    /// <summary>Blue, green, red: Caffe- and CNTK-era models such as the built-in ResNet18.</summary>
    BGR,
}

/// <summary>How a photo is fitted into a model's square (or rectangular) input.</summary>
public enum CropMode
{
    /// <summary>Scale the shorter side to the input size, then cut the centre: no distortion, the edges are lost.</summary>
    Center,

    /// <summary>Squeeze the whole photo into the input size: nothing is lost, the aspect ratio is.</summary>
    None,
}

/// <summary>
/// Turns an upright RGB photo into a model's input tensor: fit to <see cref="Width"/> x <see cref="Height"/>,
/// then for each tensor channel <c>c</c>: <c>(pixel * PixelScale - Mean[c]) / Std[c]</c>, planar (NCHW).
/// </summary>
public sealed record ImagePreprocessing
{
    /// <summary>Input width in pixels.</summary>
    public int Width { get; init; } = 224;

    /// <summary>Input height in pixels.</summary>
    public int Height { get; init; } = 224;

    public ChannelOrder ChannelOrder { get; init; } = ChannelOrder.RGB;

    /// <summary>Multiplies the 0-255 pixel values first: 1/255 for models trained on 0-1 values, 1 for 0-255.</summary>
    public float PixelScale { get; init; } = 1f / 255f;

    /// <summary>Per-channel mean, in the tensor's channel order (after <see cref="PixelScale"/>).</summary>
    public IReadOnlyList<float> Mean { get; init; } = ImageNetMean;

    /// <summary>Per-channel standard deviation, in the tensor's channel order.</summary>
    public IReadOnlyList<float> Std { get; init; } = ImageNetStd;

    public CropMode Crop { get; init; } = CropMode.Center;

    /// <summary>The usual ImageNet normalisation of PyTorch-trained models (RGB, 0-1 values).</summary>
    public static IReadOnlyList<float> ImageNetMean { get; } = [0.485f, 0.456f, 0.406f];

    public static IReadOnlyList<float> ImageNetStd { get; } = [0.229f, 0.224f, 0.225f];

    /// <summary>
    /// A canonical text of every setting that changes the tensor; part of the embedding cache key.
    /// Floats are written round-trip so that any change of a value changes the key.
    /// </summary>
    public string IdentityText =>
        string.Create(CultureInfo.InvariantCulture,
            $"size={Width}x{Height};order={ChannelOrder};scale={PixelScale:R};mean={Join(Mean)};std={Join(Std)};crop={Crop};resampler=triangle");

    /// <summary>Throws <see cref="ArgumentException"/> when a value cannot make a sensible tensor.</summary>
    public void Validate()
    {
        if (Width < 1 || Height < 1 || Width > 8192 || Height > 8192)
        {
            throw new ArgumentException($"The input size {Width}x{Height} is outside 1..8192.");
        }

        if (Mean.Count != 3 || Std.Count != 3)
        {
            throw new ArgumentException($"Mean and Std need exactly 3 values (one per channel); got {Mean.Count} and {Std.Count}.");
        }

        for (int channel = 0; channel < 3; channel++)
        {
            if (!float.IsFinite(Mean[channel]) || !float.IsFinite(Std[channel]) || Std[channel] <= 0f)
            {
                throw new ArgumentException($"Mean must be finite and Std finite and positive; channel {channel} has mean {Mean[channel]} and std {Std[channel]}.");
            }
        }

        if (!float.IsFinite(PixelScale) || PixelScale <= 0f)
        {
            throw new ArgumentException($"PixelScale must be finite and positive, not {PixelScale}.");
        }
    }

    private static string Join(IReadOnlyList<float> values) =>
        string.Join(',', values.Select(value => value.ToString("R", CultureInfo.InvariantCulture)));
}
