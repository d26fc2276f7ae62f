using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace GridTsne.Engine.Embedding;

/// <summary>
/// Writes an upright photo into a planar float tensor as <see cref="ImagePreprocessing"/> describes.
/// Resizing and cropping happen in one ImageSharp pass (only the kept region is computed); the pixel
/// arithmetic is one table look-up per value, since an 8-bit channel has only 256 possible results.
/// </summary>
internal sealed class ImagePreprocessor
{
    private const int Levels = 256;

    private readonly ResizeOptions _resize;
    private readonly int _width;
    private readonly int _height;
    // Per source component (R, G, B): its 256 possible tensor values, and the tensor plane it goes to.
    private readonly float[] _redValues;
    private readonly float[] _greenValues;
    private readonly float[] _blueValues;
    private readonly int _redPlane;
    private readonly int _greenPlane;
    private readonly int _bluePlane;

    public ImagePreprocessor(ImagePreprocessing settings)
    {
        settings.Validate();
        _width = settings.Width;
        _height = settings.Height;
        _resize = new ResizeOptions
        {
            Size = new Size(settings.Width, settings.Height),
            Mode = settings.Crop == CropMode.Center ? ResizeMode.Crop : ResizeMode.Stretch,
            Position = AnchorPositionMode.Center,
            // Bilinear, widened when shrinking (antialiased): what PIL and torchvision use.
            Sampler = KnownResamplers.Triangle,
            Compand = false,
        };

        bool rgb = settings.ChannelOrder == ChannelOrder.RGB;
        _redPlane = rgb ? 0 : 2;
        _greenPlane = 1;
        _bluePlane = rgb ? 2 : 0;
        _redValues = LevelValues(settings, _redPlane);
        _greenValues = LevelValues(settings, _greenPlane);
        _blueValues = LevelValues(settings, _bluePlane);
    }

    /// <summary>Number of floats one image occupies in the tensor (3 x height x width).</summary>
    public int TensorLength => 3 * _width * _height;

    /// <summary>Fits <paramref name="upright"/> to the input size and writes it into <paramref name="tensor"/>.</summary>
    public void Write(Image<Rgb24> upright, Span<float> tensor)
    {
        if (tensor.Length != TensorLength)
        {
            throw new ArgumentException($"The tensor needs {TensorLength} floats, not {tensor.Length}.", nameof(tensor));
        }

        if (upright.Width == _width && upright.Height == _height)
        {
            WritePixels(upright, tensor);
            return;
        }

        using Image<Rgb24> fitted = upright.Clone(context => context.Resize(_resize));
        WritePixels(fitted, tensor);
    }

    private void WritePixels(Image<Rgb24> fitted, Span<float> tensor)
    {
        int planeLength = _width * _height;
        Span<float> red = tensor.Slice(_redPlane * planeLength, planeLength);
        Span<float> green = tensor.Slice(_greenPlane * planeLength, planeLength);
        Span<float> blue = tensor.Slice(_bluePlane * planeLength, planeLength);
        ReadOnlySpan<float> redValues = _redValues;
        ReadOnlySpan<float> greenValues = _greenValues;
        ReadOnlySpan<float> blueValues = _blueValues;
        ImageFrame<Rgb24> frame = fitted.Frames.RootFrame;
        for (int y = 0; y < _height; y++)
        {
            ReadOnlySpan<Rgb24> row = frame.DangerousGetPixelRowMemory(y).Span;
            int offset = y * _width;
            for (int x = 0; x < row.Length; x++)
            {
                Rgb24 pixel = row[x];
                red[offset + x] = redValues[pixel.R];
                green[offset + x] = greenValues[pixel.G];
                blue[offset + x] = blueValues[pixel.B];
            }
        }
    }

    private static float[] LevelValues(ImagePreprocessing settings, int plane)
    {
        var values = new float[Levels];
        float mean = settings.Mean[plane];
        float std = settings.Std[plane];
        for (int level = 0; level < Levels; level++)
        {
            values[level] = (level * settings.PixelScale - mean) / std;
        }

        return values;
    }
}
