using System.Collections.Concurrent;
using GridTsne.Engine.Imaging;
using GridTsne.Engine.Rendering;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;

namespace GridTsne.Engine.Tests.Rendering;

public sealed class PhotoGridRendererTests : IDisposable
{
    private static readonly GridRenderOptions Options = new() { Background = new RgbColor(1, 2, 3) };
    private static readonly Rgb24 Background = new(1, 2, 3);
    private readonly TestPhotos _photos = new();

    public void Dispose() => _photos.Dispose();

    private sealed class Recorder
    {
        public ConcurrentBag<(GridTile Tile, ImageLoadException Error)> Failures { get; } = [];

        public ConcurrentBag<TileProgress> Done { get; } = [];

        public List<string> Written { get; } = [];

        public GridRenderCallbacks Callbacks => new()
        {
            TileFailed = (tile, error) => Failures.Add((tile, error)),
            TileDone = Done.Add,
            Writing = Written.Add,
        };
    }

    private static Image<Rgb24> Render(GridLayout layout, GridRenderOptions? options = null, Recorder? recorder = null) =>
        PhotoGridRenderer.RenderCanvas(layout, options ?? Options, recorder?.Callbacks, CancellationToken.None, out _);

    [Fact]
    public void Each_photo_lands_in_its_row_and_column_and_empty_cells_show_the_background()
    {
        GridTile[] tiles =
        [
            new(_photos.Solid("red.png", 40, 30, TestPhotos.Red), 0, 0),
            new(_photos.Solid("green.jpg", 30, 40, TestPhotos.Green), 0, 2),
            new(_photos.Solid("blue.bmp", 50, 50, TestPhotos.Blue), 1, 1),
        ];
        GridLayout layout = GridLayout.Create(tiles, 0, 0, 16, 2);
        using Image<Rgb24> canvas = Render(layout);

        Assert.Equal((16 * 3 + 4, 16 * 2 + 2), (canvas.Width, canvas.Height));
        TestPhotos.AssertColor(TestPhotos.Red, canvas[8, 8], tolerance: 0);
        TestPhotos.AssertColor(TestPhotos.Green, canvas[2 * 18 + 8, 8]);
        TestPhotos.AssertColor(TestPhotos.Blue, canvas[18 + 8, 18 + 8], tolerance: 0);
        Assert.Equal(Background, canvas[18 + 8, 8]);       // row 0, column 1: empty
        Assert.Equal(Background, canvas[8, 18 + 8]);       // row 1, column 0: empty
        Assert.Equal(Background, canvas[16, 8]);           // padding between columns 0 and 1
        Assert.Equal(Background, canvas[8, 17]);           // padding between rows
    }

    [Fact]
    public void A_photo_that_cannot_be_read_is_reported_and_its_tile_stays_background()
    {
        GridTile good = new(_photos.Solid("good.png", 20, 20, TestPhotos.Red), 0, 0);
        GridTile missing = new(_photos.PathOf("deleted.jpg"), 0, 1);
        GridTile corrupt = new(_photos.Bytes("corrupt.jpg", [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46]), 0, 2);
        GridTile empty = new(_photos.Bytes("empty.jpg", []), 1, 0);
        GridTile folder = new(Directory.CreateDirectory(_photos.PathOf("folder.jpg")).FullName, 1, 1);
        var recorder = new Recorder();
        using Image<Rgb24> canvas = Render(GridLayout.Create([good, missing, corrupt, empty, folder], 0, 0, 8, 0), recorder: recorder);

        TestPhotos.AssertColor(TestPhotos.Red, canvas[4, 4], tolerance: 0);
        Assert.Equal(Background, canvas[12, 4]);
        Assert.Equal(Background, canvas[20, 4]);
        var failures = recorder.Failures.ToDictionary(failure => failure.Tile.Path, failure => failure.Error.Failure);
        Assert.Equal(ImageLoadFailure.NotFound, failures[missing.Path]);
        Assert.Contains(failures[corrupt.Path], new[] { ImageLoadFailure.Corrupt, ImageLoadFailure.UnknownFormat });
        Assert.Equal(ImageLoadFailure.Empty, failures[empty.Path]);
        Assert.Equal(ImageLoadFailure.IsDirectory, failures[folder.Path]);
        Assert.Equal(5, recorder.Done.Count);
        Assert.Equal(4, recorder.Done.Count(done => done.Source == TileSource.Failed));
    }

    [Fact]
    public void Progress_counts_every_tile_once()
    {
        string photo = _photos.Solid("p.png", 10, 10, TestPhotos.Green);
        GridTile[] tiles = Enumerable.Range(0, 25).Select(i => new GridTile(photo, i / 5, i % 5)).ToArray();
        var recorder = new Recorder();
        using Image<Rgb24> canvas = Render(GridLayout.Create(tiles, 0, 0, 4, 0), recorder: recorder);
        Assert.Equal(Enumerable.Range(1, 25), recorder.Done.Select(done => done.Completed).Order());
        Assert.All(recorder.Done, done => Assert.Equal(25, done.Total));
    }

    [Fact]
    public void Exif_orientation_is_applied_before_the_photo_is_placed()
    {
        using Image<Rgb24> upright = TestPhotos.Quadrants(64, 48);
        GridTile tile = new(_photos.SidewaysJpeg("sideways.jpg", upright), 0, 0);
        using Image<Rgb24> canvas = Render(GridLayout.Create([tile], 0, 0, 32, 0), Options with { Fit = TileFit.Contain });

        // Upright 64 × 48 in a 32 px tile: 32 × 24 at y = 4. Yellow top-left, red top-right, green and blue below.
        TestPhotos.AssertColor(TestPhotos.Yellow, canvas[6, 9], tolerance: 12);
        TestPhotos.AssertColor(TestPhotos.Red, canvas[25, 9], tolerance: 12);
        TestPhotos.AssertColor(TestPhotos.Green, canvas[6, 22], tolerance: 12);
        TestPhotos.AssertColor(TestPhotos.Blue, canvas[25, 22], tolerance: 12);
        Assert.Equal(Background, canvas[16, 1]);
    }

    [Fact]
    public void A_camera_JPEG_original_is_decoded_at_the_smallest_DCT_scale_covering_the_tile()
    {
        using Image<Rgb24> quadrants = TestPhotos.Quadrants(1600, 1200);
        GridTile tile = new(_photos.Save(quadrants, "camera.jpg"), 0, 0);

        // 64 px tiles: 1/8 (200 x 150) covers them; 160 px tiles need 1/4 (400 x 300).
        using (Image<Rgb24> source = PhotoGridRenderer.LoadTileSource(tile, 64, Options, CancellationToken.None, out TileSource from))
        {
            Assert.Equal((200, 150, TileSource.Original), (source.Width, source.Height, from));
        }

        using (Image<Rgb24> source = PhotoGridRenderer.LoadTileSource(tile, 160, Options, CancellationToken.None, out _))
        {
            Assert.Equal((400, 300), (source.Width, source.Height));
        }

        using Image<Rgb24> canvas = Render(GridLayout.Create([tile], 0, 0, 64, 0));
        TestPhotos.AssertColor(TestPhotos.Yellow, canvas[16, 16]);
        TestPhotos.AssertColor(TestPhotos.Red, canvas[48, 16]);
        TestPhotos.AssertColor(TestPhotos.Green, canvas[16, 48]);
        TestPhotos.AssertColor(TestPhotos.Blue, canvas[48, 48]);
    }

    [Fact]
    public void A_large_enough_thumbnail_is_drawn_instead_of_the_original()
    {
        // The thumbnail is red and the original blue, so the canvas shows which one was used.
        Thumbnail red = MakeThumbnail(TestPhotos.Red, 400, 300);
        string original = _photos.Solid("original.png", 400, 300, TestPhotos.Blue);
        var recorder = new Recorder();

        using (Image<Rgb24> canvas = Render(GridLayout.Create([new GridTile(original, 0, 0, red)], 0, 0, 128, 0), recorder: recorder))
        {
            TestPhotos.AssertColor(TestPhotos.Red, canvas[64, 64]);
            Assert.Equal(TileSource.Thumbnail, Assert.Single(recorder.Done).Source);
        }

        // Cover at 129 px needs more than the 128 px shorter side: the original is decoded.
        using (Image<Rgb24> canvas = Render(GridLayout.Create([new GridTile(original, 0, 0, red)], 0, 0, 129, 0)))
        {
            TestPhotos.AssertColor(TestPhotos.Blue, canvas[64, 64], tolerance: 0);
        }

        // Contain only needs the longer side (171 px) to reach the tile.
        using (Image<Rgb24> canvas = Render(GridLayout.Create([new GridTile(original, 0, 0, red)], 0, 0, 160, 0), Options with { Fit = TileFit.Contain }))
        {
            TestPhotos.AssertColor(TestPhotos.Red, canvas[80, 80]);
        }
    }

    [Fact]
    public void A_thumbnail_still_renders_after_the_original_is_deleted()
    {
        Thumbnail green = MakeThumbnail(TestPhotos.Green, 256, 256);
        var recorder = new Recorder();
        using Image<Rgb24> canvas = Render(GridLayout.Create([new GridTile(_photos.PathOf("gone.jpg"), 0, 0, green)], 0, 0, 64, 0), recorder: recorder);
        TestPhotos.AssertColor(TestPhotos.Green, canvas[32, 32]);
        Assert.Empty(recorder.Failures);
    }

    [Fact]
    public void A_thumbnail_of_a_sideways_photo_is_upright()
    {
        using Image<Rgb24> upright = TestPhotos.Quadrants(256, 256);
        string sideways = _photos.SidewaysJpeg("sideways.jpg", upright);
        Thumbnail thumbnail;
        using (Image<Rgb24> decoded = SafeImageLoader.Load(sideways))
        {
            thumbnail = Thumbnail.Create(decoded);
        }

        File.Delete(sideways);
        using Image<Rgb24> canvas = Render(GridLayout.Create([new GridTile(sideways, 0, 0, thumbnail)], 0, 0, 64, 0));
        TestPhotos.AssertColor(TestPhotos.Yellow, canvas[10, 10], tolerance: 16);
        TestPhotos.AssertColor(TestPhotos.Blue, canvas[54, 54], tolerance: 16);
    }

    [Fact]
    public void A_damaged_thumbnail_falls_back_to_the_original()
    {
        Thumbnail? damaged = Thumbnail.FromEncodedJpeg(JpegClaimingGiantSize(), 400, 300);
        Assert.NotNull(damaged);
        string original = _photos.Solid("original.png", 400, 300, TestPhotos.Blue);
        var recorder = new Recorder();
        using Image<Rgb24> canvas = Render(GridLayout.Create([new GridTile(original, 0, 0, damaged)], 0, 0, 32, 0), recorder: recorder);
        TestPhotos.AssertColor(TestPhotos.Blue, canvas[16, 16], tolerance: 0);
        Assert.Equal(TileSource.Original, Assert.Single(recorder.Done).Source);
    }

    [Theory]
    [InlineData("grid.jpg", "JPEG")]
    [InlineData("grid.jpeg", "JPEG")]
    [InlineData("grid.png", "PNG")]
    [InlineData("grid.webp", "Webp")]
    [InlineData("grid.bmp", "BMP")]
    [InlineData("grid.tif", "TIFF")]
    [InlineData("grid.TIFF", "TIFF")]
    public void Writes_each_format_at_the_grid_size(string name, string formatName)
    {
        string photo = _photos.Solid("photo.png", 30, 20, TestPhotos.Yellow);
        GridLayout layout = GridLayout.Create([new GridTile(photo, 1, 2)], 2, 3, 10, 1);
        string path = _photos.PathOf(name);
        GridOutputFormat format = GridOutputFormats.FromPath(path)!.Value;
        var recorder = new Recorder();

        GridRenderResult result = PhotoGridRenderer.WriteImage(layout, path, format, Options, overwrite: false, recorder.Callbacks);

        IImageInfo info = Image.Identify(path, out var detected);
        Assert.Equal(formatName, detected.Name);
        Assert.Equal((32, 21), (info.Width, info.Height));
        Assert.Equal((32, 21, 1, 1), (result.Width, result.Height, result.Tiles, result.FromOriginals));
        Assert.Equal([path], recorder.Written);
        using Image<Rgb24> written = Image.Load<Rgb24>(path);
        TestPhotos.AssertColor(TestPhotos.Yellow, written[2 * 11 + 5, 11 + 5], tolerance: 12);
        TestPhotos.AssertColor(new Rgb24(1, 2, 3), written[5, 5], tolerance: 6);
        Assert.Empty(_photos.TemporaryFiles());
    }

    [Fact]
    public void The_encoders_honour_quality_and_write_24_bit_rgb()
    {
        Assert.Equal(55, ((JpegEncoder)PhotoGridRenderer.CreateEncoder(GridOutputFormat.Jpeg, 55)).Quality);
        Assert.Equal(70, ((WebpEncoder)PhotoGridRenderer.CreateEncoder(GridOutputFormat.Webp, 70)).Quality);
        Assert.Equal(PngColorType.Rgb, ((PngEncoder)PhotoGridRenderer.CreateEncoder(GridOutputFormat.Png, 90)).ColorType);
        Assert.Equal(BmpBitsPerPixel.Pixel24, ((BmpEncoder)PhotoGridRenderer.CreateEncoder(GridOutputFormat.Bmp, 90)).BitsPerPixel);
        Assert.Equal(TiffBitsPerPixel.Bit24, ((TiffEncoder)PhotoGridRenderer.CreateEncoder(GridOutputFormat.Tiff, 90)).BitsPerPixel);
        Assert.Throws<ArgumentOutOfRangeException>(() => PhotoGridRenderer.CreateEncoder(GridOutputFormat.Jpeg, 0));
    }

    [Fact]
    public void A_canvas_beyond_the_limits_is_refused_before_any_photo_is_read()
    {
        var recorder = new Recorder();
        GridLayout layout = GridLayout.Create([new GridTile(_photos.PathOf("absent.jpg"), 0, 0)], 1, 300, 64, 0);
        Assert.Throws<GridLayoutException>(() =>
            PhotoGridRenderer.WriteImage(layout, _photos.PathOf("grid.webp"), GridOutputFormat.Webp, Options, overwrite: true, recorder.Callbacks));
        Assert.Empty(recorder.Done);
        Assert.Empty(recorder.Failures);
        Assert.False(File.Exists(_photos.PathOf("grid.webp")));
    }

    [Fact]
    public void Canceling_mid_render_leaves_the_previous_file_and_no_temporary_file()
    {
        string photo = _photos.Solid("p.png", 200, 200, TestPhotos.Green);
        GridTile[] tiles = Enumerable.Range(0, 400).Select(i => new GridTile(photo, i / 20, i % 20)).ToArray();
        string path = _photos.Bytes("grid.png", [1, 2, 3]);
        using var cancellation = new CancellationTokenSource();
        var callbacks = new GridRenderCallbacks { TileDone = progress => { if (progress.Completed == 5) cancellation.Cancel(); } };

        Assert.ThrowsAny<OperationCanceledException>(() => PhotoGridRenderer.WriteImage(
            GridLayout.Create(tiles, 0, 0, 16, 0), path, GridOutputFormat.Png, Options, overwrite: true, callbacks, cancellation.Token));
        Assert.Equal([1, 2, 3], File.ReadAllBytes(path));
        Assert.Empty(_photos.TemporaryFiles());
    }

    [Fact]
    public void Canceling_while_encoding_leaves_the_previous_file_and_no_temporary_file()
    {
        string photo = _photos.Solid("p.png", 8, 8, TestPhotos.Green);
        string path = _photos.Bytes("grid.png", [1, 2, 3]);
        using var cancellation = new CancellationTokenSource();
        var callbacks = new GridRenderCallbacks { Writing = _ => cancellation.Cancel() };

        Assert.ThrowsAny<OperationCanceledException>(() => PhotoGridRenderer.WriteImage(
            GridLayout.Create([new GridTile(photo, 0, 0)], 64, 64, 32, 0), path, GridOutputFormat.Png, Options, overwrite: true, callbacks, cancellation.Token));
        Assert.Equal([1, 2, 3], File.ReadAllBytes(path));
        Assert.Empty(_photos.TemporaryFiles());
    }

    [Fact]
    public void A_canceled_token_stops_a_photo_decode()
    {
        string photo = _photos.Solid("p.jpg", 64, 64, TestPhotos.Green);
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => SafeImageLoader.Load(photo, cancellationToken: cancellation.Token));
    }

    [Fact]
    public void The_same_input_gives_the_same_pixels_whatever_the_thread_count()
    {
        GridTile[] tiles = Enumerable.Range(0, 12).Select(i =>
            new GridTile(_photos.Solid($"p{i}.png", 20 + i, 30 - i, new Rgb24((byte)(20 * i), (byte)(255 - 20 * i), 90)), i / 4, i % 4)).ToArray();
        GridLayout layout = GridLayout.Create(tiles, 0, 0, 12, 1);
        using Image<Rgb24> serial = Render(layout, Options with { MaxDegreeOfParallelism = 1 });
        using Image<Rgb24> parallel = Render(layout, Options with { MaxDegreeOfParallelism = 4 });
        for (int y = 0; y < serial.Height; y++)
        {
            for (int x = 0; x < serial.Width; x++)
            {
                Assert.Equal(serial[x, y], parallel[x, y]);
            }
        }
    }

    private static Thumbnail MakeThumbnail(Rgb24 color, int width, int height)
    {
        using var image = new Image<Rgb24>(width, height, color);
        return Thumbnail.Create(image);
    }

    /// <summary>A JPEG whose frame header claims 20,000 × 20,000 px: the safe loader refuses to decode it.</summary>
    private static byte[] JpegClaimingGiantSize()
    {
        using var image = new Image<Rgb24>(16, 16, TestPhotos.Red);
        using var buffer = new MemoryStream();
        image.SaveAsJpeg(buffer);
        byte[] bytes = buffer.ToArray();
        for (int i = 0; i + 8 < bytes.Length; i++)
        {
            if (bytes[i] == 0xFF && bytes[i + 1] is 0xC0 or 0xC2)
            {
                // SOF: marker, length (2), precision (1), height (2), width (2).
                bytes[i + 5] = bytes[i + 7] = 20_000 >> 8;
                bytes[i + 6] = bytes[i + 8] = 20_000 & 0xFF;
                return bytes;
            }
        }

        throw new InvalidOperationException("The encoder wrote no frame header.");
    }
}
