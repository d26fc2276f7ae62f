using GridTsne.Engine.Rendering;

namespace GridTsne.Engine.Tests.Rendering;

public class CanvasLimitsTests
{
    private const long Plenty = 64L << 30;

    private static GridLayout Grid(int rows, int columns, int tileSize, int padding = 0) =>
        GridLayout.Create([new GridTile("a.jpg", 0, 0)], rows, columns, tileSize, padding);

    [Fact]
    public void A_normal_grid_passes()
    {
        CanvasLimits.Check(Grid(100, 100, 64), GridOutputFormat.Jpeg, CanvasLimits.DefaultMemoryBudget);
    }

    [Fact]
    public void A_jpeg_beyond_its_side_limit_is_refused_with_the_largest_tile_size_that_fits()
    {
        // 1,100 columns × 64 px = 70,400 px; 59 px gives 64,900 and 60 px 66,000 > 65,534.
        GridLayout layout = Grid(10, 1100, 64);
        var error = Assert.Throws<GridLayoutException>(() => CanvasLimits.Check(layout, GridOutputFormat.Jpeg, Plenty));
        Assert.Equal(GridLayoutProblem.CanvasTooLarge, error.Problem);
        Assert.Contains("65,534 px a side", error.Message, StringComparison.Ordinal);
        Assert.Contains("-TileSize 59 or less", error.Message, StringComparison.Ordinal);
        Assert.Contains("PNG", error.Message, StringComparison.Ordinal);
        CanvasLimits.Check(Grid(10, 1100, 59), GridOutputFormat.Jpeg, Plenty);
        CanvasLimits.Check(layout, GridOutputFormat.Png, Plenty);
    }

    [Fact]
    public void Webp_sides_stop_at_16383_pixels()
    {
        var error = Assert.Throws<GridLayoutException>(() => CanvasLimits.Check(Grid(2, 257, 64), GridOutputFormat.Webp, Plenty));
        Assert.Contains("16,383", error.Message, StringComparison.Ordinal);
        Assert.Contains("-TileSize 63 or less", error.Message, StringComparison.Ordinal);
        CanvasLimits.Check(Grid(2, 255, 64), GridOutputFormat.Webp, Plenty);
    }

    [Fact]
    public void The_memory_budget_counts_three_bytes_a_pixel_and_suggests_a_tile_size()
    {
        // 10 × 10 tiles of 100 px = 1,000² px = 3,000,000 bytes.
        GridLayout layout = Grid(10, 10, 100);
        CanvasLimits.Check(layout, GridOutputFormat.Png, 3_000_000);
        var error = Assert.Throws<GridLayoutException>(() => CanvasLimits.Check(layout, GridOutputFormat.Png, 2_999_999));
        Assert.Contains("memory", error.Message, StringComparison.Ordinal);
        Assert.Contains("-TileSize 99 or less", error.Message, StringComparison.Ordinal);
        Assert.Equal(99, CanvasLimits.LargestFittingTileSize(layout, GridOutputFormat.Png, 2_999_999));
    }

    [Fact]
    public void Padding_that_alone_exceeds_the_limit_is_named()
    {
        var error = Assert.Throws<GridLayoutException>(() => CanvasLimits.Check(Grid(2, 20_000, 8, padding: 4), GridOutputFormat.Jpeg, Plenty));
        Assert.Contains("-Padding", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bmp_and_tiff_limit_their_pixel_bytes()
    {
        // 40,000² px = 4.8 GB of pixels: beyond both files' offsets, though within the side limits.
        GridLayout layout = Grid(625, 625, 64);
        Assert.Throws<GridLayoutException>(() => CanvasLimits.Check(layout, GridOutputFormat.Bmp, Plenty));
        var error = Assert.Throws<GridLayoutException>(() => CanvasLimits.Check(layout, GridOutputFormat.Tiff, Plenty));
        Assert.Contains("TIFF file holds at most", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_default_budget_is_positive_and_at_most_4_GiB()
    {
        Assert.InRange(CanvasLimits.DefaultMemoryBudget, 1, 4L << 30);
    }
}
