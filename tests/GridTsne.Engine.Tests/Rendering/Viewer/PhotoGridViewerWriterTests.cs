using System.Collections.Concurrent;
using System.Security.Cryptography;
using GridTsne.Engine.Imaging;
using GridTsne.Engine.Rendering;
using GridTsne.Engine.Rendering.Viewer;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace GridTsne.Engine.Tests.Rendering.Viewer;

/// <summary>The viewer written to disk: atlases, copies, failures, and the atomic replace of a previous viewer.</summary>
public sealed class PhotoGridViewerWriterTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "gridtsne-viewer-" + Guid.NewGuid().ToString("N"));

    public PhotoGridViewerWriterTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, "out", "site", "photos"));
        Directory.CreateDirectory(Path.Combine(_root, "far"));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Site => Path.Combine(_root, "out", "site");

    private string Page => Path.Combine(Site, "grid.html");

    private string Photo(string name, Rgb24 colour, string folder = "out/site/photos")
    {
        string path = Path.Combine(_root, folder, name);
        using var image = new Image<Rgb24>(90, 60, colour);
        image.SaveAsPng(path);
        return path;
    }

    private ViewerWriteResult Write(IReadOnlyList<GridTile> tiles, int rows, int columns, GridRenderCallbacks? callbacks = null,
        IReadOnlyList<string?>? labels = null, CancellationToken cancellationToken = default) =>
        PhotoGridViewerWriter.Write(GridLayout.Create(tiles, rows, columns, 64, 0), labels, Page,
            new GridRenderOptions { Background = new RgbColor(0, 0, 255) }, overwrite: true, callbacks, cancellationToken);

    private Dictionary<string, string> Snapshot() =>
        Directory.EnumerateFiles(Site, "*", SearchOption.AllDirectories)
            .Where(path => !path.StartsWith(Path.Combine(Site, "photos"), StringComparison.Ordinal))
            .ToDictionary(path => Path.GetRelativePath(Site, path), path => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path))));

    private void AssertNoTemporaryLeft() =>
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(Site), entry => Path.GetFileName(entry).StartsWith('.'));

    [Fact]
    public void Writes_tiles_at_their_cells_copies_of_far_photos_and_reports_bad_ones()
    {
        string broken = Path.Combine(Site, "photos", "broken.jpg");
        File.WriteAllText(broken, "not a JPEG");
        GridTile[] cells =
        [
            new(Photo("red.png", new Rgb24(255, 0, 0)), 0, 1),
            new(Photo("green.png", new Rgb24(0, 255, 0), "far"), 1, 0),
            new(broken, 1, 1),
        ];
        var failures = new ConcurrentBag<(GridTile Tile, ImageLoadException Error)>();
        var done = new ConcurrentBag<TileProgress>();
        ViewerWriteResult result = Write(cells, 2, 3, new GridRenderCallbacks { TileFailed = (tile, error) => failures.Add((tile, error)), TileDone = done.Add },
            labels: ["red", null, null]);

        Assert.Equal([16, 64], result.LevelSizes);
        Assert.Equal((1, 1, 1), (result.Linked, result.Embedded, result.Failed));
        Assert.Equal(3, done.Count);
        Assert.Equal(TileSource.Failed, Assert.Single(done, report => report.Tile == cells[2]).Source);
        (GridTile failedTile, ImageLoadException error) = Assert.Single(failures);
        Assert.Equal(cells[2], failedTile);
        Assert.Equal(ImageLoadFailure.UnknownFormat, error.Failure);

        using (var atlas = Image.Load<Rgb24>(Path.Combine(Site, "grid_files", "tiles", "64", "0-0.jpg")))
        {
            Assert.Equal((3 * 64, 2 * 64), (atlas.Width, atlas.Height));
            AssertNear(new Rgb24(255, 0, 0), atlas[64 + 32, 32]);
            AssertNear(new Rgb24(0, 255, 0), atlas[32, 64 + 32]);
            AssertNear(new Rgb24(0, 0, 255), atlas[64 + 32, 64 + 32]); // unreadable: background
            AssertNear(new Rgb24(0, 0, 255), atlas[2 * 64 + 32, 32]);  // empty cell: background
        }

        using (var coarse = Image.Load<Rgb24>(Path.Combine(Site, "grid_files", "tiles", "16", "0-0.jpg")))
        {
            Assert.Equal((3 * 16, 2 * 16), (coarse.Width, coarse.Height));
            AssertNear(new Rgb24(255, 0, 0), coarse[16 + 8, 8]);
        }

        // The far photo's copy is the upright photo, at most 640 px long.
        using (var copy = Image.Load<Rgb24>(Path.Combine(Site, "grid_files", "photos", "1.jpg")))
        {
            Assert.Equal((90, 60), (copy.Width, copy.Height));
            AssertNear(new Rgb24(0, 255, 0), copy[45, 30]);
        }

        string layout = File.ReadAllText(Path.Combine(Site, "grid_files", "layout.js"));
        Assert.Contains("\"href\":[\"./photos/red.png\",\"./grid_files/photos/1.jpg\",null]", layout, StringComparison.Ordinal);
        Assert.Contains("\"name\":[\"red.png\",\"green.png\",\"broken.jpg\"],\"label\":[\"red\",null,null]", layout, StringComparison.Ordinal);
        Assert.Contains("\"state\":[0,1,2]", layout, StringComparison.Ordinal);
        Assert.DoesNotContain(_root, layout, StringComparison.Ordinal); // no absolute path leaves the machine in the page
        Assert.Equal(new FileInfo(Page).Length + Directory.EnumerateFiles(result.AssetsDirectory, "*", SearchOption.AllDirectories).Sum(file => new FileInfo(file).Length), result.TotalBytes);
        AssertNoTemporaryLeft();
    }

    [Fact]
    public void Replaces_a_previous_viewer_completely()
    {
        GridTile[] large = [.. Enumerable.Range(0, 40).Select(i => new GridTile(Photo($"p{i}.png", new Rgb24(200, 0, 0)), i / 40, i % 40))];
        Write(large, 1, 40);
        Assert.True(File.Exists(Path.Combine(Site, "grid_files", "tiles", "64", "0-1.jpg")));

        GridTile[] small = [new(Photo("one.png", new Rgb24(0, 200, 0)), 0, 0)];
        Write(small, 1, 1);
        Assert.False(File.Exists(Path.Combine(Site, "grid_files", "tiles", "64", "0-1.jpg")), "an atlas of the old viewer survived");
        Assert.Contains("one.png", File.ReadAllText(Path.Combine(Site, "grid_files", "layout.js")), StringComparison.Ordinal);
        AssertNoTemporaryLeft();
    }

    [Fact]
    public void A_failure_midway_leaves_the_previous_viewer_byte_identical_and_no_temporary_folder()
    {
        GridTile[] first = [new(Photo("a.png", new Rgb24(10, 20, 30)), 0, 0), new(Photo("b.png", new Rgb24(30, 20, 10)), 0, 1)];
        Write(first, 1, 2);
        Dictionary<string, string> before = Snapshot();

        GridTile[] second = [.. Enumerable.Range(0, 12).Select(i => new GridTile(Photo($"c{i}.png", new Rgb24(0, 0, 0)), i / 4, i % 4))];
        // A failure like a full disk, raised from a worker once six tiles are drawn.
        var failing = new GridRenderCallbacks { TileDone = report => { if (report.Completed == 6) { throw new IOException("disk full"); } } };
        IOException error = Assert.Throws<IOException>(() => Write(second, 3, 4, failing));
        Assert.Equal("disk full", error.Message);

        Assert.Equal(before, Snapshot());
        AssertNoTemporaryLeft();
    }

    [Fact]
    public void Cancellation_midway_leaves_the_previous_viewer_byte_identical_and_no_temporary_folder()
    {
        GridTile[] first = [new(Photo("a.png", new Rgb24(10, 20, 30)), 0, 0)];
        Write(first, 1, 1);
        Dictionary<string, string> before = Snapshot();

        GridTile[] second = [.. Enumerable.Range(0, 12).Select(i => new GridTile(Photo($"c{i}.png", new Rgb24(0, 0, 0)), i / 4, i % 4))];
        using var cancellation = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            Write(second, 3, 4, new GridRenderCallbacks { TileDone = report => { if (report.Completed == 3) { cancellation.Cancel(); } } }, cancellationToken: cancellation.Token));

        Assert.Equal(before, Snapshot());
        AssertNoTemporaryLeft();
    }

    [Fact]
    public void Never_replaces_a_folder_it_did_not_write()
    {
        string foreign = Path.Combine(Site, "grid_files");
        Directory.CreateDirectory(foreign);
        File.WriteAllText(Path.Combine(foreign, "notes.txt"), "mine");
        GridTile[] cells = [new(Photo("a.png", new Rgb24(1, 2, 3)), 0, 0)];

        IOException error = Assert.Throws<IOException>(() => Write(cells, 1, 1));
        Assert.Contains("was not written by the GridTsne viewer", error.Message, StringComparison.Ordinal);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(foreign, "notes.txt")));
        Assert.False(File.Exists(Page));
        AssertNoTemporaryLeft();
    }

    [Fact]
    public void Refuses_tiles_too_large_for_the_viewer_before_any_work()
    {
        GridTile[] cells = [new(Photo("a.png", new Rgb24(1, 2, 3)), 0, 0)];
        GridLayoutException error = Assert.Throws<GridLayoutException>(() =>
            PhotoGridViewerWriter.Write(GridLayout.Create(cells, 1, 1, PhotoGridViewerWriter.MaxTileSize + 1, 0), null, Page, new GridRenderOptions(), overwrite: true));
        Assert.Equal(GridLayoutProblem.CanvasTooLarge, error.Problem);
        Assert.False(Directory.Exists(Path.Combine(Site, "grid_files")));
        AssertNoTemporaryLeft();
    }

    [Fact]
    public void Without_overwrite_an_existing_page_stays()
    {
        File.WriteAllText(Page, "mine");
        GridTile[] cells = [new(Photo("a.png", new Rgb24(1, 2, 3)), 0, 0)];
        Assert.Throws<IOException>(() =>
            PhotoGridViewerWriter.Write(GridLayout.Create(cells, 1, 1, 64, 0), null, Page, new GridRenderOptions(), overwrite: false));
        Assert.Equal("mine", File.ReadAllText(Page));
        Assert.False(Directory.Exists(Path.Combine(Site, "grid_files")));
        AssertNoTemporaryLeft();
    }

    private static void AssertNear(Rgb24 expected, Rgb24 actual)
    {
        Assert.InRange(actual.R, Math.Max(0, expected.R - 12), Math.Min(255, expected.R + 12));
        Assert.InRange(actual.G, Math.Max(0, expected.G - 12), Math.Min(255, expected.G + 12));
        Assert.InRange(actual.B, Math.Max(0, expected.B - 12), Math.Min(255, expected.B + 12));
    }

}
