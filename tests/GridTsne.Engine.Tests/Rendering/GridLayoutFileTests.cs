using System.Text;
using System.Text.Json;
using GridTsne.Engine.Rendering;

namespace GridTsne.Engine.Tests.Rendering;

public sealed class GridLayoutFileTests : IDisposable
{
    private readonly TestPhotos _folder = new();

    public void Dispose() => _folder.Dispose();

    private static GridLayout Sample() => GridLayout.Create(
        [new GridTile("/photos/a \"quoted\", name.jpg", 1, 2), new GridTile("/photos/b.jpg", 0, 0)], 3, 4, 10, 2);

    [Theory]
    [InlineData("layout.csv", GridLayoutFileFormat.Csv)]
    [InlineData("LAYOUT.JSON", GridLayoutFileFormat.Json)]
    [InlineData("layout.txt", null)]
    public void The_extension_chooses_the_format(string path, GridLayoutFileFormat? expected)
    {
        Assert.Equal(expected, GridLayoutFile.FromPath(path));
    }

    [Fact]
    public void Csv_has_one_quoted_row_per_photo_with_the_grid_size_repeated()
    {
        using var buffer = new MemoryStream();
        GridLayoutFile.WriteCsv(Sample(), buffer);
        string expected =
            "\"Path\",\"Row\",\"Column\",\"X\",\"Y\",\"Rows\",\"Columns\",\"TileSize\",\"Padding\"\r\n" +
            "\"/photos/a \"\"quoted\"\", name.jpg\",1,2,24,12,3,4,10,2\r\n" +
            "\"/photos/b.jpg\",0,0,0,0,3,4,10,2\r\n";
        Assert.Equal(expected, Encoding.UTF8.GetString(buffer.ToArray()));
    }

    [Fact]
    public void Json_holds_the_grid_once_and_every_cell()
    {
        string path = _folder.PathOf("layout.json");
        var options = new GridRenderOptions { Fit = TileFit.Contain, Background = new RgbColor(16, 32, 48) };
        GridLayoutFile.Write(Sample(), path, GridLayoutFileFormat.Json, options, _folder.PathOf("grid.png"), overwrite: false);

        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(path));
        JsonElement root = document.RootElement;
        Assert.Equal(GridLayoutFile.JsonFormatName, root.GetProperty("format").GetString());
        Assert.Equal(1, root.GetProperty("version").GetInt32());
        Assert.Equal("grid.png", root.GetProperty("image").GetString());
        Assert.Equal((3, 4, 10, 2), (root.GetProperty("rows").GetInt32(), root.GetProperty("columns").GetInt32(),
            root.GetProperty("tileSize").GetInt32(), root.GetProperty("padding").GetInt32()));
        Assert.Equal((46, 34), (root.GetProperty("width").GetInt32(), root.GetProperty("height").GetInt32()));
        Assert.Equal("Contain", root.GetProperty("fit").GetString());
        Assert.Equal("#102030", root.GetProperty("background").GetString());
        JsonElement first = root.GetProperty("cells")[0];
        Assert.Equal("/photos/a \"quoted\", name.jpg", first.GetProperty("path").GetString());
        Assert.Equal((1, 2, 24, 12), (first.GetProperty("row").GetInt32(), first.GetProperty("column").GetInt32(),
            first.GetProperty("x").GetInt32(), first.GetProperty("y").GetInt32()));
        Assert.Equal(2, root.GetProperty("cells").GetArrayLength());
    }

    [Fact]
    public void Json_without_an_image_says_null()
    {
        using var buffer = new MemoryStream();
        GridLayoutFile.WriteJson(Sample(), new GridRenderOptions(), null, buffer);
        using JsonDocument document = JsonDocument.Parse(buffer.ToArray());
        Assert.Equal(JsonValueKind.Null, document.RootElement.GetProperty("image").ValueKind);
    }
}
