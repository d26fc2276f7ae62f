using GridTsne.Engine.Rendering;

namespace GridTsne.Engine.Tests.Rendering;

public class GridLayoutTests
{
    private static GridTile Tile(string path, int row, int column) => new(path, row, column);

    [Fact]
    public void Size_comes_from_the_cells_when_not_given()
    {
        GridLayout layout = GridLayout.Create([Tile("a", 0, 0), Tile("b", 2, 4)], 0, 0, 10, 0);
        Assert.Equal((3, 5), (layout.Rows, layout.Columns));
        Assert.Equal((50L, 30L), (layout.Width, layout.Height));
    }

    [Fact]
    public void Padding_separates_tiles_but_does_not_frame_the_grid()
    {
        GridLayout layout = GridLayout.Create([Tile("a", 1, 2)], 4, 3, 10, 2);
        Assert.Equal(3 * 10 + 2 * 2, layout.Width);
        Assert.Equal(4 * 10 + 3 * 2, layout.Height);
        Assert.Equal(2 * 12, layout.TileX(2));
        Assert.Equal(12, layout.TileY(1));
    }

    [Fact]
    public void An_explicit_size_larger_than_needed_leaves_empty_cells()
    {
        GridLayout layout = GridLayout.Create([Tile("a", 0, 0)], 5, 6, 8, 0);
        Assert.Equal((5, 6), (layout.Rows, layout.Columns));
    }

    [Fact]
    public void A_cell_outside_the_given_size_is_refused_with_its_path()
    {
        var error = Assert.Throws<GridLayoutException>(() => GridLayout.Create([Tile("a", 0, 0), Tile("far.jpg", 3, 1)], 3, 0, 8, 0));
        Assert.Equal(GridLayoutProblem.CellOutsideGrid, error.Problem);
        Assert.Contains("far.jpg", error.Message, StringComparison.Ordinal);
        Assert.Contains("row 3", error.Message, StringComparison.Ordinal);
        Assert.Equal("far.jpg", error.Tile?.Path);
    }

    [Fact]
    public void Two_photos_in_one_cell_are_refused_naming_both()
    {
        var error = Assert.Throws<GridLayoutException>(() => GridLayout.Create([Tile("first.jpg", 1, 1), Tile("x", 0, 0), Tile("second.jpg", 1, 1)], 0, 0, 8, 0));
        Assert.Equal(GridLayoutProblem.DuplicateCell, error.Problem);
        Assert.Contains("first.jpg", error.Message, StringComparison.Ordinal);
        Assert.Contains("second.jpg", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void No_photos_need_an_explicit_size()
    {
        Assert.Equal(GridLayoutProblem.Empty, Assert.Throws<GridLayoutException>(() => GridLayout.Create([], 4, 0, 8, 0)).Problem);
        GridLayout empty = GridLayout.Create([], 2, 3, 8, 0);
        Assert.Equal((2, 3), (empty.Rows, empty.Columns));
    }

    [Fact]
    public void Negative_cells_and_sizes_are_argument_errors()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => GridLayout.Create([Tile("a", -1, 0)], 0, 0, 8, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => GridLayout.Create([Tile("a", 0, 0)], 0, 0, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => GridLayout.Create([Tile("a", 0, 0)], 0, 0, 8, -1));
    }
}
