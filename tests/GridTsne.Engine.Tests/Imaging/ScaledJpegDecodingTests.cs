using GridTsne.Engine.Imaging;
using GridTsne.Engine.Tests.Embedding;
using GridTsne.Engine.Tests.Rendering;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace GridTsne.Engine.Tests.Imaging;

/// <summary>
/// Shrink-on-load: a JPEG decodes at the smallest DCT scale (1/8, 1/4, 1/2) that still covers the size asked
/// for, in every JPEG flavour a photo folder holds, upright, and with the full photo's size reported. The
/// reference for the pixels is ImageSharp's full decode, shrunk to the same size.
/// </summary>
public sealed class ScaledJpegDecodingTests : IDisposable
{
    private static readonly ImageDecodeOptions ImageSharpOnly = new() { ScaledJpegDecoding = false };
    private readonly TestPhotos _photos = new();

    public void Dispose() => _photos.Dispose();

    [Theory]
    [InlineData(224, 224, 400, 300)] // 1/8 is 200 x 150, too small; 1/4 covers.
    [InlineData(128, 128, 200, 150)] // 1/8 covers.
    [InlineData(300, 300, 400, 300)] // 1/4 is 400 x 300: just covers.
    [InlineData(301, 301, 800, 600)] // 1/2.
    [InlineData(700, 700, 1600, 1200)] // Nothing smaller covers 700 high: full size (ImageSharp).
    public void Picks_the_smallest_scale_that_covers_the_request(int minimumWidth, int minimumHeight, int expectedWidth, int expectedHeight)
    {
        using Image<Rgb24> quadrants = TestPhotos.Quadrants(1600, 1200);
        string path = _photos.Save(quadrants, "camera.jpg");
        using Image<Rgb24> decoded = SafeImageLoader.Load(path, new Size(minimumWidth, minimumHeight), null, out Size fullSize);
        Assert.Equal((expectedWidth, expectedHeight), (decoded.Width, decoded.Height));
        Assert.Equal(new Size(1600, 1200), fullSize);
    }

    [Theory]
    [InlineData(JpegColorType.YCbCrRatio420)]
    [InlineData(JpegColorType.YCbCrRatio422)]
    [InlineData(JpegColorType.YCbCrRatio444)]
    [InlineData(JpegColorType.Luminance)]
    public void Scaled_pixels_match_a_full_decode_shrunk_to_the_same_size(JpegColorType colorType)
    {
        string path = _photos.PathOf($"camera-{colorType}.jpg");
        using (Image<Rgb24> photo = CameraLikePhoto(1600, 1200, seed: 7))
        {
            photo.SaveAsJpeg(path, new JpegEncoder { Quality = 90, ColorType = colorType });
        }

        using Image<Rgb24> scaled = SafeImageLoader.Load(path, new Size(224, 224), null, out _);
        using Image<Rgb24> full = SafeImageLoader.Load(path, ImageSharpOnly);
        using Image<Rgb24> reference = full.Clone(context => context.Resize(scaled.Width, scaled.Height, KnownResamplers.Box));

        Assert.Equal((400, 300), (scaled.Width, scaled.Height));
        Assert.True(MeanAbsoluteDifference(scaled, reference) < 4.0, $"mean difference {MeanAbsoluteDifference(scaled, reference):0.00} of 255");
        if (colorType == JpegColorType.Luminance)
        {
            Rgb24 pixel = scaled[100, 100];
            Assert.True(pixel.R == pixel.G && pixel.G == pixel.B, $"a greyscale JPEG gave {pixel}");
        }
    }

    [Theory]
    [InlineData(224, 300, 300, 400)] // Upright 224 x 300 needs 1/4 of the stored 1600 x 1200 (400 x 300 -> 300 x 400): libjpeg-turbo.
    [InlineData(100, 100, 150, 200)] // 1/8 (200 x 150 -> 150 x 200): the managed 1/8-scale decoder.
    public void Exif_orientation_is_applied_after_scaling_and_the_upright_size_is_reported(int minimumWidth, int minimumHeight, int width, int height)
    {
        using Image<Rgb24> upright = TestPhotos.Quadrants(1200, 1600);
        string path = _photos.SidewaysJpeg("sideways.jpg", upright);

        using Image<Rgb24> decoded = SafeImageLoader.Load(path, new Size(minimumWidth, minimumHeight), null, out Size fullSize);

        Assert.Equal(new Size(1200, 1600), fullSize);
        Assert.Equal((width, height), (decoded.Width, decoded.Height));
        TestPhotos.AssertColor(TestPhotos.Yellow, decoded[width / 4, height / 4], tolerance: 12);
        TestPhotos.AssertColor(TestPhotos.Red, decoded[width * 3 / 4, height / 4], tolerance: 12);
        TestPhotos.AssertColor(TestPhotos.Green, decoded[width / 4, height * 3 / 4], tolerance: 12);
        TestPhotos.AssertColor(TestPhotos.Blue, decoded[width * 3 / 4, height * 3 / 4], tolerance: 12);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(64)]
    public void Progressive_JPEGs_with_and_without_restart_intervals_decode_scaled(int restartInterval)
    {
        string path = _photos.Bytes("progressive.jpg", HandMadeJpeg.Progressive(1024, 768, acScans: 1, restartInterval));

        using Image<Rgb24> decoded = SafeImageLoader.Load(path, new Size(224, 224), null, out Size fullSize);

        Assert.Equal(new Size(1024, 768), fullSize);
        Assert.Equal((512, 384), (decoded.Width, decoded.Height));
        for (int y = 0; y < decoded.Height; y += 37)
        {
            for (int x = 0; x < decoded.Width; x += 41)
            {
                TestPhotos.AssertColor(new Rgb24(128, 128, 128), decoded[x, y], tolerance: 1);
            }
        }
    }

    [Theory]
    [InlineData(3, null)] // YCbCr
    [InlineData(4, 0)] // Adobe CMYK
    [InlineData(4, 2)] // Adobe YCCK
    public void Colour_JPEGs_decode_scaled_to_the_colours_ImageSharp_gives_them(int components, int? adobeTransform)
    {
        string path = _photos.Bytes("colour.jpg", HandMadeJpeg.Progressive(1024, 768, acScans: 1, components: components, adobeTransform: adobeTransform));

        using Image<Rgb24> scaled = SafeImageLoader.Load(path, new Size(224, 224), null, out _);
        using Image<Rgb24> full = SafeImageLoader.Load(path, ImageSharpOnly);

        Assert.Equal((512, 384), (scaled.Width, scaled.Height));
        TestPhotos.AssertColor(full[500, 300], scaled[250, 150], tolerance: 2);
        TestPhotos.AssertColor(full[10, 10], scaled[5, 5], tolerance: 2);
        // Every component is 128: YCbCr is mid grey; inverted Adobe CMYK (and YCCK, whose Y, Cb, Cr of 128 are
        // C, M, Y of 128) darkens it by K: 128 * 128 / 255 = 64.
        byte grey = components == 3 ? (byte)128 : (byte)64;
        TestPhotos.AssertColor(new Rgb24(grey, grey, grey), scaled[250, 150], tolerance: 1);
    }

    [Fact]
    public void A_full_size_request_and_the_ImageSharp_option_decode_exactly_as_ImageSharp_does()
    {
        string path = _photos.PathOf("camera.jpg");
        using (Image<Rgb24> photo = CameraLikePhoto(800, 600, seed: 3))
        {
            photo.SaveAsJpeg(path, new JpegEncoder { Quality = 90 });
        }

        using Image<Rgb24> expected = Image.Load<Rgb24>(path);
        using Image<Rgb24> fullSize = SafeImageLoader.Load(path);
        using Image<Rgb24> imageSharpOnly = SafeImageLoader.Load(path, new Size(100, 100), ImageSharpOnly, out _);

        Assert.Equal(0.0, MeanAbsoluteDifference(expected, fullSize));
        Assert.Equal(0.0, MeanAbsoluteDifference(expected, imageSharpOnly));
    }

    [Fact]
    public void Other_formats_decode_at_full_size()
    {
        using Image<Rgb24> quadrants = TestPhotos.Quadrants(800, 600);
        string path = _photos.Save(quadrants, "camera.png");
        using Image<Rgb24> decoded = SafeImageLoader.Load(path, new Size(100, 100), null, out Size fullSize);
        Assert.Equal((800, 600), (decoded.Width, decoded.Height));
        Assert.Equal(new Size(800, 600), fullSize);
    }

    [Fact]
    public void One_pass_shrinks_a_large_decode_to_just_cover_what_is_needed()
    {
        using Image<Rgb24> quadrants = TestPhotos.Quadrants(1000, 600);
        Image<Rgb24> copy = quadrants.Clone();
        using Image<Rgb24> shrunk = TriangleResampler.ShrinkToCover(copy, new Size(224, 224));
        Assert.Equal((374, 224), (shrunk.Width, shrunk.Height)); // 1000 * 224 / 600 = 373.3, rounded up.
        TestPhotos.AssertColor(TestPhotos.Red, shrunk[300, 50], tolerance: 0);
        TestPhotos.AssertColor(TestPhotos.Green, shrunk[50, 200], tolerance: 0);

        // Less than twice the size needed: returned as it is.
        Image<Rgb24> small = quadrants.Clone();
        Assert.Same(small, TriangleResampler.ShrinkToCover(small, new Size(400, 400)));
        small.Dispose();
    }

    /// <summary>A sample photo enlarged to camera size, with sensor-like noise so that it compresses like a photo.</summary>
    internal static Image<Rgb24> CameraLikePhoto(int width, int height, int seed, string? sample = null)
    {
        var photo = Image.Load<Rgb24>(sample ?? TestPaths.SamplesOf("Bus")[0]);
        photo.Mutate(context => context.Resize(width, height, KnownResamplers.Bicubic));
        var random = new Random(seed);
        photo.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
            {
                Span<Rgb24> row = rows.GetRowSpan(y);
                for (int x = 0; x < row.Length; x++)
                {
                    int noise = random.Next(-12, 13);
                    row[x] = new Rgb24(Clamp(row[x].R + noise), Clamp(row[x].G + noise), Clamp(row[x].B + noise));
                }
            }
        });
        return photo;
    }

    private static byte Clamp(int value) => (byte)Math.Clamp(value, 0, 255);

    private static double MeanAbsoluteDifference(Image<Rgb24> a, Image<Rgb24> b)
    {
        Assert.Equal((a.Width, a.Height), (b.Width, b.Height));
        long total = 0;
        for (int y = 0; y < a.Height; y++)
        {
            for (int x = 0; x < a.Width; x++)
            {
                Rgb24 p = a[x, y], q = b[x, y];
                total += Math.Abs(p.R - q.R) + Math.Abs(p.G - q.G) + Math.Abs(p.B - q.B);
            }
        }

        return total / (3.0 * a.Width * a.Height);
    }
}
