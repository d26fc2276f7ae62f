using System.Diagnostics;
using GridTsne.Engine.Imaging;
using GridTsne.Engine.Tests.Embedding;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace GridTsne.Engine.Tests.Imaging;

public sealed class SafeImageLoaderTests : IDisposable
{
    private readonly TemporaryDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static string Sample => TestPaths.SamplesOf("Bus")[0];

    [Fact]
    public void A_missing_file()
    {
        string path = _temp.File("gone.jpg");
        AssertRefused(path, ImageLoadFailure.NotFound, "does not exist");
    }

    [Fact]
    public void A_directory()
    {
        string path = Directory.CreateDirectory(_temp.File("album.jpg")).FullName;
        AssertRefused(path, ImageLoadFailure.IsDirectory, "directory");
    }

    [Fact]
    public void An_unreadable_file()
    {
        string path = _temp.File("locked.jpg");
        using (HostileFiles.Unreadable(path))
        {
            AssertRefused(path, ImageLoadFailure.AccessDenied, "cannot be read");
        }
    }

    [Fact]
    public async Task A_named_pipe_is_refused_at_once_instead_of_waiting_for_a_writer()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Windows has no FIFOs in the file system.
        }

        string path = HostileFiles.Fifo(_temp.File("pipe.jpg"));
        Task<ImageLoadException> load = Task.Run(() => Assert.Throws<ImageLoadException>(() => SafeImageLoader.Load(path)));
        ImageLoadException error = await load.WaitAsync(TimeSpan.FromSeconds(10)); // Throws TimeoutException if reading the FIFO hangs.
        Assert.Equal(ImageLoadFailure.AccessDenied, error.Failure);
        Assert.Contains("not a regular file", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_zero_byte_file()
    {
        AssertRefused(HostileFiles.Empty(_temp.File("empty.jpg")), ImageLoadFailure.Empty, "empty");
    }

    [Theory]
    [InlineData("cut.jpg", 0.6)]
    [InlineData("cut.jpg", 0.98)]
    [InlineData("cut.png", 0.6)]
    [InlineData("cut.png", 0.98)]
    public void A_truncated_JPEG_or_PNG(string name, double keep)
    {
        // ImageSharp 2.1 alone decodes a truncated JPEG as grey without complaint.
        AssertRefused(HostileFiles.Truncated(Sample, _temp.File(name), keep), ImageLoadFailure.Corrupt, "truncated");
    }

    [Fact]
    public void A_text_file_named_jpg()
    {
        AssertRefused(HostileFiles.Text(_temp.File("notes.jpg")), ImageLoadFailure.UnknownFormat, "not an image format");
    }

    [Fact]
    public void An_unsupported_format()
    {
        AssertRefused(HostileFiles.Heic(_temp.File("iphone.heic")), ImageLoadFailure.UnknownFormat, "not an image format");
    }

    [Fact]
    public void A_tiny_PNG_claiming_36000_by_36000_is_refused_without_decoding_or_memory_growth()
    {
        string path = HostileFiles.PngBomb(_temp.File("bomb.png"));
        Assert.True(new FileInfo(path).Length < 100);
        SafeImageLoader.Load(Sample).Dispose(); // Warm up, so the measurement sees only the bomb.
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        long before = process.WorkingSet64;
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var error = Assert.Throws<ImageLoadException>(() => SafeImageLoader.Load(path));
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        process.Refresh();

        Assert.Equal(ImageLoadFailure.TooLarge, error.Failure);
        Assert.Contains("36000x36000", error.Reason, StringComparison.Ordinal);
        Assert.True(allocated < 1024 * 1024, $"allocated {allocated} bytes");
        Assert.True(process.WorkingSet64 - before < 64L * 1024 * 1024, $"working set grew by {process.WorkingSet64 - before} bytes");
    }

    [Fact]
    public void A_file_too_large_for_the_pixel_limit_is_refused_unread()
    {
        string path = _temp.File("huge.bmp");
        using (var stream = new FileStream(path, FileMode.CreateNew))
        {
            stream.SetLength(32L * 1024 * 1024); // Sparse: no time or disk spent.
        }

        var options = new ImageDecodeOptions { MaxPixels = 1000 };
        var error = Assert.Throws<ImageLoadException>(() => SafeImageLoader.Load(path, options));
        Assert.Equal(ImageLoadFailure.TooLarge, error.Failure);
        Assert.Contains("-MaxPixels", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_photo_above_MaxPixels_is_refused_and_below_it_is_decoded()
    {
        string path = TestImages.Convert(Sample, _temp.File("photo.png"));
        var error = Assert.Throws<ImageLoadException>(() => SafeImageLoader.Load(path, new ImageDecodeOptions { MaxPixels = (120 * 120) - 1 }));
        Assert.Equal(ImageLoadFailure.TooLarge, error.Failure);
        using Image<Rgb24> image = SafeImageLoader.Load(path, new ImageDecodeOptions { MaxPixels = 120 * 120 });
        Assert.Equal(120, image.Width);
    }

    [Theory]
    [InlineData("jpg")]
    [InlineData("png")]
    [InlineData("gif")]
    [InlineData("bmp")]
    [InlineData("tga")]
    [InlineData("tiff")]
    [InlineData("webp")]
    [InlineData("pbm")]
    public void Every_format_ImageSharp_decodes_becomes_upright_RGB(string extension)
    {
        string path = TestImages.Convert(Sample, _temp.File("photo." + extension));
        using Image<Rgb24> image = SafeImageLoader.Load(path);
        Assert.Equal((120, 120), (image.Width, image.Height));
    }

    [Fact]
    public void Grayscale_16_bit_and_transparent_photos_become_RGB_with_alpha_over_white()
    {
        string gray = _temp.File("gray.png");
        using (var image = new Image<L8>(4, 4, new L8(77)))
        {
            image.Save(gray);
        }

        string deep = _temp.File("deep.png");
        using (var image = new Image<Rgba64>(4, 4, new Rgba64(65535, 0, 0, 65535)))
        {
            image.Save(deep);
        }

        string transparent = _temp.File("transparent.png");
        using (var image = new Image<Rgba32>(4, 4, new Rgba32(255, 0, 0, 0)))
        {
            image[0, 0] = new Rgba32(0, 0, 255, 255);
            image.Save(transparent);
        }

        using (Image<Rgb24> image = SafeImageLoader.Load(gray))
        {
            Assert.Equal(new Rgb24(77, 77, 77), image[1, 1]);
        }

        using (Image<Rgb24> image = SafeImageLoader.Load(deep))
        {
            Assert.Equal(new Rgb24(255, 0, 0), image[1, 1]);
        }

        using (Image<Rgb24> image = SafeImageLoader.Load(transparent))
        {
            Assert.Equal(new Rgb24(255, 255, 255), image[1, 1]);
            Assert.Equal(new Rgb24(0, 0, 255), image[0, 0]);
        }
    }

    private static void AssertRefused(string path, ImageLoadFailure failure, string reason)
    {
        var error = Assert.Throws<ImageLoadException>(() => SafeImageLoader.Load(path));
        Assert.Equal(failure, error.Failure);
        Assert.Equal(path, error.Path);
        Assert.Contains(reason, error.Reason, StringComparison.Ordinal);
        Assert.Contains(Path.GetFileName(path), error.Message, StringComparison.Ordinal);
    }
}
