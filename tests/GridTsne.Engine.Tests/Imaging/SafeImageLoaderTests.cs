using System.Diagnostics;
using GridTsne.Engine.Imaging;
using GridTsne.Engine.Tests.Embedding;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
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
        // This thread's allocations only: other test classes run in parallel in this process.
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<ImageLoadException>(() => SafeImageLoader.Load(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        process.Refresh();

        Assert.Equal(ImageLoadFailure.TooLarge, error.Failure);
        Assert.Contains("36000x36000", error.Reason, StringComparison.Ordinal);
        Assert.True(allocated < 1024 * 1024, $"allocated {allocated} bytes");
        Assert.True(process.WorkingSet64 - before < 64L * 1024 * 1024, $"working set grew by {process.WorkingSet64 - before} bytes");
    }

    [Fact]
    public void A_JPEG_whose_frame_header_claims_65535_by_65535_is_refused_before_decoding()
    {
        byte[] jpeg = File.ReadAllBytes(TestImages.Convert(Sample, _temp.File("small.jpg")));
        int frame = FindMarker(jpeg, 0xC0);
        jpeg[frame + 5] = jpeg[frame + 6] = jpeg[frame + 7] = jpeg[frame + 8] = 0xFF; // Height and width.
        string path = _temp.File("bomb.jpg");
        File.WriteAllBytes(path, jpeg);
        SafeImageLoader.Load(Sample).Dispose(); // Warm up, so the measurement sees only the bomb.
        // This thread's allocations only: other test classes run in parallel in this process.
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();

        var error = Assert.Throws<ImageLoadException>(() => SafeImageLoader.Load(path, new Size(224, 224), null, out _));

        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        Assert.Equal(ImageLoadFailure.TooLarge, error.Failure);
        Assert.Contains("65535x65535", error.Reason, StringComparison.Ordinal);
        Assert.True(allocated < 1024 * 1024, $"allocated {allocated} bytes");
    }

    [Fact]
    public async Task A_progressive_JPEG_with_thousands_of_scans_is_refused_without_decoding_them()
    {
        // 5,000 scans over 65,536 blocks: a decoder that works through them all makes 330 million block visits.
        string path = _temp.File("scans.jpg");
        File.WriteAllBytes(path, HandMadeJpeg.Progressive(2048, 2048, acScans: 5000));
        Task<ImageLoadException> load = Task.Run(() => Assert.Throws<ImageLoadException>(() => SafeImageLoader.Load(path, new Size(224, 224), null, out _)));
        ImageLoadException error = await load.WaitAsync(TimeSpan.FromSeconds(60)); // Only checks that it ends.
        Assert.Equal(ImageLoadFailure.Corrupt, error.Failure);
        Assert.Contains("more than 500 scans", error.Reason, StringComparison.Ordinal);

        // The same file with as many scans as the limit allows decodes.
        File.WriteAllBytes(path, HandMadeJpeg.Progressive(256, 256, acScans: 499));
        using Image<Rgb24> allowed = SafeImageLoader.Load(path);
        Assert.Equal(new Rgb24(128, 128, 128), allowed[100, 100]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_JPEG_valid_up_to_a_corrupt_entropy_segment_is_refused_by_either_decoder(bool scaled)
    {
        string source = _temp.File("source.jpg");
        using (Image<Rgb24> photo = ScaledJpegDecodingTests.CameraLikePhoto(1024, 768, seed: 11))
        {
            photo.SaveAsJpeg(source, new JpegEncoder { Quality = 90 });
        }

        byte[] jpeg = File.ReadAllBytes(source);
        int scan = FindMarker(jpeg, 0xDA);
        int scanData = scan + 2 + ((jpeg[scan + 2] << 8) | jpeg[scan + 3]);
        int middle = scanData + ((jpeg.Length - scanData) / 2);
        new Random(5).NextBytes(jpeg.AsSpan(middle, 4096)); // A damaged disk sector's worth of random bytes.
        string path = _temp.File("damaged.jpg");
        File.WriteAllBytes(path, jpeg);

        var error = Assert.Throws<ImageLoadException>(() =>
            SafeImageLoader.Load(path, new Size(224, 224), new ImageDecodeOptions { ScaledJpegDecoding = scaled }, out _));
        Assert.Equal(ImageLoadFailure.Corrupt, error.Failure);
        Assert.Contains("damaged", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Restart_markers_out_of_order_are_refused_and_in_order_accepted()
    {
        string path = _temp.File("restarts.jpg");
        File.WriteAllBytes(path, HandMadeJpeg.Progressive(512, 512, acScans: 1, restartInterval: 64, swapRestartMarkers: true));
        var error = Assert.Throws<ImageLoadException>(() => SafeImageLoader.Load(path));
        Assert.Equal(ImageLoadFailure.Corrupt, error.Failure);
        Assert.Contains("restart markers are out of order", error.Reason, StringComparison.Ordinal);

        File.WriteAllBytes(path, HandMadeJpeg.Progressive(512, 512, acScans: 1, restartInterval: 64));
        using Image<Rgb24> image = SafeImageLoader.Load(path);
        Assert.Equal(new Rgb24(128, 128, 128), image[300, 300]);
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

    /// <summary>Position of the first FF <paramref name="marker"/> (a segment, as the JPEG encoder writes them).</summary>
    private static int FindMarker(byte[] jpeg, byte marker)
    {
        for (int position = 2; position + 3 < jpeg.Length; position += 2 + ((jpeg[position + 2] << 8) | jpeg[position + 3]))
        {
            Assert.Equal(0xFF, jpeg[position]);
            if (jpeg[position + 1] == marker)
            {
                return position;
            }
        }

        throw new InvalidOperationException($"No marker 0x{marker:X2}.");
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
