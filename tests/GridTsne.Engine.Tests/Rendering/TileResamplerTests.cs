using GridTsne.Engine.Rendering;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace GridTsne.Engine.Tests.Rendering;

public class TileResamplerTests
{
    private static readonly Rgb24 Background = new(1, 2, 3);

    private static Image<Rgb24> Draw(Image<Rgb24> source, int tileSize, TileFit fit, int canvasSize, int tileX = 0, int tileY = 0)
    {
        var canvas = new Image<Rgb24>(canvasSize, canvasSize, Background);
        new TileResampler().Resample(source, TilePlacement.For(source.Width, source.Height, tileSize, fit), canvas, tileX, tileY);
        return canvas;
    }

    [Fact]
    public void A_solid_photo_gives_exactly_its_colour()
    {
        using var source = new Image<Rgb24>(500, 375, TestPhotos.Red);
        using Image<Rgb24> canvas = Draw(source, 64, TileFit.Cover, 64);
        for (int y = 0; y < 64; y++)
        {
            for (int x = 0; x < 64; x++)
            {
                Assert.Equal(TestPhotos.Red, canvas[x, y]);
            }
        }
    }

    [Fact]
    public void Downscaling_averages_the_area_each_pixel_covers()
    {
        // 4×4 → 2×2: each output pixel is the mean of one 2×2 block.
        using var source = new Image<Rgb24>(4, 4);
        byte[] values = [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150];
        for (int i = 0; i < 16; i++)
        {
            source[i % 4, i / 4] = new Rgb24(values[i], (byte)(255 - values[i]), 7);
        }

        using Image<Rgb24> canvas = Draw(source, 2, TileFit.Cover, 2);
        Assert.Equal(new Rgb24(25, 230, 7), canvas[0, 0]);   // (0 + 10 + 40 + 50) / 4
        Assert.Equal(new Rgb24(45, 210, 7), canvas[1, 0]);   // (20 + 30 + 60 + 70) / 4
        Assert.Equal(new Rgb24(105, 150, 7), canvas[0, 1]);
        Assert.Equal(new Rgb24(125, 130, 7), canvas[1, 1]);
    }

    [Fact]
    public void Fractional_footprints_weigh_partial_pixels()
    {
        // 3 → 2 pixels: the middle source pixel is shared half and half.
        using var source = new Image<Rgb24>(3, 3);
        for (int y = 0; y < 3; y++)
        {
            source[0, y] = new Rgb24(0, 0, 0);
            source[1, y] = new Rgb24(90, 90, 90);
            source[2, y] = new Rgb24(180, 180, 180);
        }

        using Image<Rgb24> canvas = Draw(source, 2, TileFit.Cover, 2);
        Assert.Equal(new Rgb24(30, 30, 30), canvas[0, 0]);   // (1 × 0 + 0.5 × 90) / 1.5
        Assert.Equal(new Rgb24(150, 150, 150), canvas[1, 0]); // (0.5 × 90 + 1 × 180) / 1.5
    }

    [Fact]
    public void Cover_shows_the_centre_of_a_wide_photo()
    {
        // Red, green and blue thirds: the centred square is the green third.
        using Image<Rgb24> source = TestPhotos.Bands(300, 100);
        using Image<Rgb24> canvas = Draw(source, 32, TileFit.Cover, 32);
        for (int x = 1; x < 31; x++)
        {
            TestPhotos.AssertColor(TestPhotos.Green, canvas[x, 16], tolerance: 0);
        }
    }

    [Fact]
    public void Contain_shows_the_whole_photo_and_leaves_the_bands_alone()
    {
        using Image<Rgb24> source = TestPhotos.Bands(300, 100);
        using Image<Rgb24> canvas = Draw(source, 30, TileFit.Contain, 30);
        // 300 × 100 into 30 px: 30 × 10 at y = 10.
        Assert.Equal(Background, canvas[15, 9]);
        Assert.Equal(Background, canvas[15, 20]);
        Assert.Equal(TestPhotos.Red, canvas[2, 15]);
        Assert.Equal(TestPhotos.Green, canvas[15, 15]);
        Assert.Equal(TestPhotos.Blue, canvas[27, 10]);
    }

    [Fact]
    public void Writes_only_inside_its_tile()
    {
        using var source = new Image<Rgb24>(50, 50, TestPhotos.Blue);
        using Image<Rgb24> canvas = Draw(source, 10, TileFit.Cover, 30, tileX: 10, tileY: 20);
        for (int y = 0; y < 30; y++)
        {
            for (int x = 0; x < 30; x++)
            {
                bool inside = x is >= 10 and < 20 && y >= 20;
                Assert.Equal(inside ? TestPhotos.Blue : Background, canvas[x, y]);
            }
        }
    }

    [Fact]
    public void Upscaling_is_bilinear_and_keeps_the_corners()
    {
        using var source = new Image<Rgb24>(2, 2);
        source[0, 0] = new Rgb24(0, 0, 0);
        source[1, 0] = new Rgb24(200, 0, 0);
        source[0, 1] = new Rgb24(0, 200, 0);
        source[1, 1] = new Rgb24(0, 0, 200);
        using Image<Rgb24> canvas = Draw(source, 8, TileFit.Cover, 8);
        Assert.Equal(new Rgb24(0, 0, 0), canvas[0, 0]);
        Assert.Equal(new Rgb24(200, 0, 0), canvas[7, 0]);
        Assert.Equal(new Rgb24(0, 0, 200), canvas[7, 7]);
        // Halfway along the top edge, between black and red.
        Assert.InRange(canvas[4, 0].R, 90, 130);
    }

    [Theory]
    [InlineData(0.0, 375.0, 500, 64)]
    [InlineData(62.5, 375.0, 500, 64)]
    [InlineData(0.0, 7.0, 7, 3)]
    [InlineData(0.5, 2.0, 3, 9)]
    [InlineData(0.0, 10_000.0, 10_000, 1)]
    [InlineData(0.0, 64.0, 64, 64)]
    public void Axis_weights_are_a_partition_of_unity_inside_the_source(double start, double length, int sourceSize, int outputs)
    {
        var weights = new TileResampler.AxisWeights();
        weights.Compute(start, length, sourceSize, outputs);
        for (int i = 0; i < outputs; i++)
        {
            ReadOnlySpan<float> taps = weights.WeightsOf(i);
            double sum = 0;
            foreach (float weight in taps)
            {
                Assert.True(weight >= 0);
                sum += weight;
            }

            Assert.Equal(1, sum, 1e-5);
            Assert.InRange(weights.First[i], 0, sourceSize - 1);
            Assert.InRange(weights.First[i] + weights.Count[i], 1, sourceSize);
        }

        Assert.InRange(weights.End, 1, sourceSize);
    }
}
