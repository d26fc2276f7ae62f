using GridTsne.Engine.Imaging;
using GridTsne.Engine.Tests.Embedding;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace GridTsne.Engine.Tests.Imaging;

public class TriangleResamplerTests
{
    [Theory]
    [InlineData(48, 48)]   // Shrinking by 2.5 (antialiased).
    [InlineData(171, 60)]  // Different factors per axis.
    [InlineData(300, 300)] // Enlarging (bilinear).
    [InlineData(120, 120)] // Same size: an exact copy.
    public void Matches_ImageSharps_triangle_resize(int width, int height)
    {
        using Image<Rgb24> photo = Image.Load<Rgb24>(TestPaths.SamplesOf("Palm")[0]);
        using Image<Rgb24> ours = TriangleResampler.Resize(photo, width, height);
        using Image<Rgb24> reference = photo.Clone(context => context.Resize(width, height, KnownResamplers.Triangle));
        double totalDifference = 0;
        int largest = 0;
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                Rgb24 a = ours[x, y], b = reference[x, y];
                int difference = Math.Abs(a.R - b.R) + Math.Abs(a.G - b.G) + Math.Abs(a.B - b.B);
                totalDifference += difference;
                largest = Math.Max(largest, difference);
            }
        }

        double meanPerChannel = totalDifference / (3.0 * width * height);
        Assert.True(meanPerChannel < 1.5, $"mean difference {meanPerChannel:0.00} levels");
        if (width == photo.Width && height == photo.Height)
        {
            Assert.Equal(0, largest);
        }
    }

    [Fact]
    public void A_region_is_the_same_part_of_the_whole_resampled_photo_as_resize_then_crop_gives()
    {
        // Cropping after resizing means the crop's edge pixels also see their neighbours outside the crop.
        using Image<Rgb24> photo = Image.Load<Rgb24>(TestPaths.SamplesOf("Bus")[0]);
        var whole = new List<float[]>();
        TriangleResampler.Resample(photo, 0, 0, 120, 120, 50, 50, (y, rgb) => whole.Add(rgb.ToArray()));
        var region = new List<float[]>();
        TriangleResampler.Resample(photo, 24, 48, 72, 48, 30, 20, (y, rgb) => region.Add(rgb.ToArray()));
        Assert.Equal(20, region.Count);
        for (int y = 0; y < 20; y++)
        {
            Assert.Equal(whole[y + 20][(10 * 3)..(40 * 3)], region[y], new FloatTolerance(0.01f));
        }
    }

    [Fact]
    public void Edges_repeat_instead_of_darkening()
    {
        using var white = new Image<Rgb24>(37, 23, new Rgb24(255, 255, 255));
        var rows = new List<float[]>();
        TriangleResampler.Resample(white, 0, 0, 37, 23, 10, 51, (y, rgb) => rows.Add(rgb.ToArray()));
        Assert.Equal(51, rows.Count);
        Assert.All(rows, row => Assert.All(row, value => Assert.Equal(255f, value, 3)));
    }

    private sealed class FloatTolerance(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(float obj) => 0;
    }
}
