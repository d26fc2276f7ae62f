using System.Security.Cryptography;
using GridTsne.Engine.Imaging;
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

    private ViewerWriteResult Write(IReadOnlyList<ViewerCell> cells, int rows, int columns, IViewerPhotoSource? source = null,
        Action<ViewerProgress>? progress = null, CancellationToken cancellationToken = default) =>
        PhotoGridViewerWriter.Write(Page, cells, new ViewerOptions { Rows = rows, Columns = columns, TileSize = 64, Background = (0, 0, 255) },
            source ?? new DecodingViewerPhotoSource(cells), progress, cancellationToken);

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
        ViewerCell[] cells =
        [
            new(Photo("red.png", new Rgb24(255, 0, 0)), 0, 1, "red"),
            new(Photo("green.png", new Rgb24(0, 255, 0), "far"), 1, 0),
            new(broken, 1, 1),
        ];
        var reports = new List<ViewerProgress>();
        ViewerWriteResult result = Write(cells, 2, 3, progress: report => { lock (reports) { reports.Add(report); } });

        Assert.Equal([16, 64], result.LevelSizes);
        Assert.Equal((1, 1, 1), (result.Linked, result.Embedded, result.Failed));
        Assert.Equal(3, reports.Count);
        ViewerProgress failure = Assert.Single(reports, report => report.Failure is not null);
        Assert.Equal(2, failure.CellIndex);
        Assert.Equal(ImageLoadFailure.UnknownFormat, failure.Failure!.Failure);

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
        ViewerCell[] large = [.. Enumerable.Range(0, 40).Select(i => new ViewerCell(Photo($"p{i}.png", new Rgb24(200, 0, 0)), i / 40, i % 40))];
        Write(large, 1, 40);
        Assert.True(File.Exists(Path.Combine(Site, "grid_files", "tiles", "64", "0-1.jpg")));

        ViewerCell[] small = [new(Photo("one.png", new Rgb24(0, 200, 0)), 0, 0)];
        Write(small, 1, 1);
        Assert.False(File.Exists(Path.Combine(Site, "grid_files", "tiles", "64", "0-1.jpg")), "an atlas of the old viewer survived");
        Assert.Contains("one.png", File.ReadAllText(Path.Combine(Site, "grid_files", "layout.js")), StringComparison.Ordinal);
        AssertNoTemporaryLeft();
    }

    [Fact]
    public void A_failure_midway_leaves_the_previous_viewer_byte_identical_and_no_temporary_folder()
    {
        ViewerCell[] first = [new(Photo("a.png", new Rgb24(10, 20, 30)), 0, 0), new(Photo("b.png", new Rgb24(30, 20, 10)), 0, 1)];
        Write(first, 1, 2);
        Dictionary<string, string> before = Snapshot();

        ViewerCell[] second = [.. Enumerable.Range(0, 12).Select(i => new ViewerCell(Photo($"c{i}.png", new Rgb24(0, 0, 0)), i / 4, i % 4))];
        var failing = new FailingSource(new DecodingViewerPhotoSource(second), failAt: 6);
        IOException error = Assert.Throws<IOException>(() => Write(second, 3, 4, failing));
        Assert.Equal("disk full", error.Message);

        Assert.Equal(before, Snapshot());
        AssertNoTemporaryLeft();
    }

    [Fact]
    public void Cancellation_midway_leaves_the_previous_viewer_byte_identical_and_no_temporary_folder()
    {
        ViewerCell[] first = [new(Photo("a.png", new Rgb24(10, 20, 30)), 0, 0)];
        Write(first, 1, 1);
        Dictionary<string, string> before = Snapshot();

        ViewerCell[] second = [.. Enumerable.Range(0, 12).Select(i => new ViewerCell(Photo($"c{i}.png", new Rgb24(0, 0, 0)), i / 4, i % 4))];
        using var cancellation = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            Write(second, 3, 4, progress: report => { if (report.Completed == 3) { cancellation.Cancel(); } }, cancellationToken: cancellation.Token));

        Assert.Equal(before, Snapshot());
        AssertNoTemporaryLeft();
    }

    [Fact]
    public void Never_replaces_a_folder_it_did_not_write()
    {
        string foreign = Path.Combine(Site, "grid_files");
        Directory.CreateDirectory(foreign);
        File.WriteAllText(Path.Combine(foreign, "notes.txt"), "mine");
        ViewerCell[] cells = [new(Photo("a.png", new Rgb24(1, 2, 3)), 0, 0)];

        IOException error = Assert.Throws<IOException>(() => Write(cells, 1, 1));
        Assert.Contains("was not written by the GridTsne viewer", error.Message, StringComparison.Ordinal);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(foreign, "notes.txt")));
        Assert.False(File.Exists(Page));
        AssertNoTemporaryLeft();
    }

    [Fact]
    public void Refuses_cells_outside_the_grid_or_sharing_one_before_any_work()
    {
        ViewerCell[] outside = [new(Photo("a.png", new Rgb24(1, 2, 3)), 0, 5)];
        Assert.Throws<ArgumentException>(() => Write(outside, 1, 2));
        ViewerCell[] shared = [new(Photo("b.png", new Rgb24(1, 2, 3)), 0, 0), new(Photo("c.png", new Rgb24(1, 2, 3)), 0, 0)];
        Assert.Throws<ArgumentException>(() => Write(shared, 1, 2));
        Assert.False(Directory.Exists(Path.Combine(Site, "grid_files")));
        AssertNoTemporaryLeft();
    }

    private static void AssertNear(Rgb24 expected, Rgb24 actual)
    {
        Assert.InRange(actual.R, Math.Max(0, expected.R - 12), Math.Min(255, expected.R + 12));
        Assert.InRange(actual.G, Math.Max(0, expected.G - 12), Math.Min(255, expected.G + 12));
        Assert.InRange(actual.B, Math.Max(0, expected.B - 12), Math.Min(255, expected.B + 12));
    }

    /// <summary>Fails like a full disk once a number of photos have loaded.</summary>
    private sealed class FailingSource(IViewerPhotoSource inner, int failAt) : IViewerPhotoSource
    {
        private int _loaded;

        public ViewerPhoto Load(int cellIndex, int tileSize, int previewLongSide, CancellationToken cancellationToken) =>
            Interlocked.Increment(ref _loaded) >= failAt ? throw new IOException("disk full") : inner.Load(cellIndex, tileSize, previewLongSide, cancellationToken);
    }
}
