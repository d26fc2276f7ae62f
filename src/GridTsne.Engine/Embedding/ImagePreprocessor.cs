using GridTsne.Engine.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace GridTsne.Engine.Embedding;

/// <summary>
/// Writes an upright photo into a planar float tensor as <see cref="ImagePreprocessing"/> describes: the
/// region to keep is resampled straight into the tensor (an antialiased triangle filter, as PIL and torchvision
/// use), and each value becomes <c>value * PixelScale / Std - Mean / Std</c> on the way, with no intermediate image.
/// </summary>
public sealed class ImagePreprocessor
{
    private readonly ImagePreprocessing _settings;
    private readonly int _width;
    private readonly int _height;
    // Per source component (R, G, B): the tensor plane it goes to, and the affine map that normalises it.
    private readonly int[] _planeOf = new int[3];
    private readonly float[] _scaleOf = new float[3];
    private readonly float[] _offsetOf = new float[3];

    public ImagePreprocessor(ImagePreprocessing settings)
    {
        settings.Validate();
        _settings = settings;
        _width = settings.Width;
        _height = settings.Height;
        bool rgb = settings.ChannelOrder == ChannelOrder.RGB;
        for (int component = 0; component < 3; component++)
        {
            int plane = rgb ? component : 2 - component;
            _planeOf[component] = plane;
            _scaleOf[component] = settings.PixelScale / settings.Std[plane];
            _offsetOf[component] = -settings.Mean[plane] / settings.Std[plane];
        }
    }

    /// <summary>Number of floats one image occupies in the tensor (3 x height x width).</summary>
    public int TensorLength => 3 * _width * _height;

    /// <summary>
    /// The embedding step's decode: the photo no larger than the tensor (when <paramref name="forTensor"/>) and
    /// a thumbnail of <paramref name="thumbnailSize"/> (0 for none) need, a camera JPEG at 1/8 or 1/4 of its
    /// size, and anything still more than twice that size shrunk once, so that the tensor and the thumbnail
    /// are both made from a small image. <paramref name="fullSize"/> is the upright photo's own size.
    /// </summary>
    public Image<Rgb24> Decode(string path, ReadOnlyMemory<byte> content, bool forTensor, int thumbnailSize, ImageDecodeOptions options,
        out Size fullSize, CancellationToken cancellationToken)
    {
        var needed = forTensor ? new Size(Math.Max(_width, thumbnailSize), Math.Max(_height, thumbnailSize)) : new Size(thumbnailSize, thumbnailSize);
        Image<Rgb24> decoded = SafeImageLoader.Decode(path, content, needed, options, out fullSize, cancellationToken);
        return TriangleResampler.ShrinkToCover(decoded, needed);
    }

    /// <summary>Fits <paramref name="upright"/> to the input size and writes it into <paramref name="tensor"/>.</summary>
    public void Write(Image<Rgb24> upright, Span<float> tensor)
    {
        if (tensor.Length != TensorLength)
        {
            throw new ArgumentException($"The tensor needs {TensorLength} floats, not {tensor.Length}.", nameof(tensor));
        }

        // Center: the largest centred region with the input's aspect ratio (the shorter side scales to the input).
        double regionWidth = upright.Width, regionHeight = upright.Height;
        if (_settings.Crop == CropMode.Center)
        {
            double scale = Math.Max((double)_width / upright.Width, (double)_height / upright.Height);
            regionWidth = _width / scale;
            regionHeight = _height / scale;
        }

        unsafe
        {
            // The row callback cannot capture a span; the tensor is pinned for the duration of the call instead.
            fixed (float* tensorStart = tensor)
            {
                float* start = tensorStart;
                int planeLength = _width * _height;
                TriangleResampler.Resample(upright, (upright.Width - regionWidth) / 2, (upright.Height - regionHeight) / 2, regionWidth, regionHeight,
                    _width, _height, (y, rgb) =>
                    {
                        for (int component = 0; component < 3; component++)
                        {
                            var plane = new Span<float>(start + (_planeOf[component] * planeLength) + (y * _width), _width);
                            float scale = _scaleOf[component];
                            float offset = _offsetOf[component];
                            for (int x = 0; x < plane.Length; x++)
                            {
                                plane[x] = (rgb[(x * 3) + component] * scale) + offset;
                            }
                        }
                    });
            }
        }
    }
}
