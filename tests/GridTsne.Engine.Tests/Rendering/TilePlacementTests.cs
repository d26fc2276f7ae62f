using GridTsne.Engine.Rendering;

namespace GridTsne.Engine.Tests.Rendering;

public class TilePlacementTests
{
    [Fact]
    public void Cover_crops_the_centred_square_of_a_landscape_photo()
    {
        TilePlacement placement = TilePlacement.For(500, 375, 64, TileFit.Cover);
        Assert.Equal(new TilePlacement(62.5, 0, 375, 375, 0, 0, 64, 64), placement);
    }

    [Fact]
    public void Cover_crops_the_centred_square_of_a_portrait_photo()
    {
        TilePlacement placement = TilePlacement.For(300, 400, 32, TileFit.Cover);
        Assert.Equal(new TilePlacement(0, 50, 300, 300, 0, 0, 32, 32), placement);
    }

    [Fact]
    public void Contain_keeps_the_whole_photo_centred_between_bands()
    {
        Assert.Equal(new TilePlacement(0, 0, 500, 375, 0, 8, 64, 48), TilePlacement.For(500, 375, 64, TileFit.Contain));
        Assert.Equal(new TilePlacement(0, 0, 300, 400, 4, 0, 24, 32), TilePlacement.For(300, 400, 32, TileFit.Contain));
        Assert.Equal(new TilePlacement(0, 0, 10, 10, 0, 0, 64, 64), TilePlacement.For(10, 10, 64, TileFit.Contain));
    }

    [Fact]
    public void Contain_never_makes_a_band_of_the_whole_tile()
    {
        // A 1000:1 panorama still gets one row of pixels.
        TilePlacement placement = TilePlacement.For(1000, 1, 16, TileFit.Contain);
        Assert.Equal((16, 1), (placement.DestinationWidth, placement.DestinationHeight));
    }

    [Theory]
    [InlineData(128, 170, 128, TileFit.Cover, true)]
    [InlineData(128, 170, 129, TileFit.Cover, false)]
    [InlineData(128, 170, 170, TileFit.Contain, true)]
    [InlineData(128, 170, 171, TileFit.Contain, false)]
    public void Upscaling_is_judged_by_the_side_that_fills_the_tile(int width, int height, int tileSize, TileFit fit, bool enough)
    {
        Assert.Equal(enough, TilePlacement.CoversWithoutUpscaling(width, height, tileSize, fit));
    }
}
