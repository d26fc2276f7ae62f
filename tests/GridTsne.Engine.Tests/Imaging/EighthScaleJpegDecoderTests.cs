using GridTsne.Engine.Imaging;
using GridTsne.Engine.Tests.Rendering;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;

namespace GridTsne.Engine.Tests.Imaging;

/// <summary>
/// The managed 1/8-scale decoder against an independent one: libjpeg-turbo's own 1/8 decode (through
/// SkiaSharp) of the same file. Luma is the same arithmetic (the DC coefficient, dequantized, / 8, rounded),
/// and so is 4:2:0 chroma (libjpeg-turbo's 2 x 2 reduced inverse DCT), so greyscale, 4:4:4 and 4:2:0 agree
/// to a level; 4:2:2, 4:4:0 and 4:1:1 chroma differs a little, as the two decoders upsample its DC differently.
/// </summary>
public sealed class EighthScaleJpegDecoderTests : IDisposable
{
    private readonly TestPhotos _photos = new();

    public void Dispose() => _photos.Dispose();

    public static TheoryData<string, int, int, int, int, int> Layouts() => new()
    {
        // name, width, height, restart interval, DC quantizer, components' sampling (as H*10+V of luma; chroma 1x1)
        { "greyscale", 203, 157, 0, 4, 0 },
        { "greyscale", 203, 157, 5, 4, 0 },
        { "greyscale declared 2x2", 203, 157, 1, 4, 22 },
        { "4:4:4", 203, 157, 0, 4, 11 },
        { "4:4:4", 203, 157, 7, 6, 11 },
        { "4:2:2", 203, 157, 3, 4, 21 },
        { "4:2:0", 203, 157, 0, 4, 22 },
        { "4:2:0", 203, 157, 1, 4, 22 },
        { "4:2:0 16-bit quantization", 203, 157, 9, 300, 22 },
        { "4:2:0 16-bit quantization", 203, 157, 9, 6, 22 },
        { "4:4:0", 203, 157, 4, 4, 12 },
        { "4:1:1", 203, 157, 2, 4, 41 },
        { "4:2:0 one MCU", 9, 9, 0, 4, 22 },
        { "4:2:0 exact MCUs", 256, 128, 16, 4, 22 },
    };

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Decodes_every_sampling_layout_as_libjpeg_turbo_does_at_one_eighth(string name, int width, int height, int restartInterval,
        int dcQuantization, int lumaSampling)
    {
        (int H, int V)[] sampling = name.StartsWith("greyscale", StringComparison.Ordinal)
            ? [(Math.Max(1, lumaSampling / 10), Math.Max(1, lumaSampling % 10))]
            : [(lumaSampling / 10, lumaSampling % 10), (1, 1), (1, 1)];
        byte[] jpeg = BaselineJpegWriter.Write(width, height, sampling, restartInterval, seed: width + restartInterval, dcQuantization,
            wideQuantization: name.Contains("16-bit", StringComparison.Ordinal));

        using Image<Rgb24> managed = DecodeManaged(jpeg);
        using Image<Rgb24> reference = DecodeWithLibjpegTurbo(jpeg);

        Assert.Equal(((width + 7) / 8, (height + 7) / 8), (managed.Width, managed.Height));
        (double mean, int max) = Difference(managed, reference);
        // Greyscale, 4:4:4 and 4:2:0 (chroma through the same 2 x 2 inverse DCT) are libjpeg-turbo's arithmetic.
        bool exact = sampling.Length == 1 || lumaSampling is 11 or 22;
        // 4:2:2, 4:4:0 and 4:1:1 chroma is one DC per block in both decoders, upsampled a little differently:
        // up to half a quantization step of the DC (dcQuantization / 16 levels of Cb, times 1.77 in blue).
        int largest = exact ? 1 : Math.Max(24, dcQuantization * 2 / 16 * 2);
        Assert.True(mean <= (exact ? 0.5 : 2.0) && max <= largest, $"{name}: mean difference {mean:0.00}, largest {max} of 255");
        if (sampling.Length == 1)
        {
            Rgb24 pixel = managed[width / 16, height / 16];
            Assert.True(pixel.R == pixel.G && pixel.G == pixel.B, $"a greyscale JPEG gave {pixel}");
        }
    }

    [Theory]
    [InlineData(JpegColorType.YCbCrRatio420)]
    [InlineData(JpegColorType.YCbCrRatio422)]
    [InlineData(JpegColorType.YCbCrRatio444)]
    [InlineData(JpegColorType.Luminance)]
    public void Decodes_photos_ImageSharp_encodes_as_libjpeg_turbo_does_at_one_eighth(JpegColorType colorType)
    {
        string path = _photos.PathOf("photo.jpg");
        using (Image<Rgb24> photo = ScaledJpegDecodingTests.CameraLikePhoto(1203, 901, seed: 5))
        {
            photo.SaveAsJpeg(path, new JpegEncoder { Quality = 90, ColorType = colorType });
        }

        byte[] jpeg = File.ReadAllBytes(path);
        using Image<Rgb24> managed = DecodeManaged(jpeg);
        using Image<Rgb24> reference = DecodeWithLibjpegTurbo(jpeg);

        (double mean, int max) = Difference(managed, reference);
        Assert.True(mean <= 0.5 && max <= 1, $"{colorType}: mean difference {mean:0.00}, largest {max} of 255");
    }

    [Fact]
    public void The_loader_uses_it_for_one_eighth_and_libjpeg_turbo_for_larger_scales()
    {
        byte[] jpeg = BaselineJpegWriter.Write(1600, 1200, [(2, 2), (1, 1), (1, 1)], restartInterval: 10);
        string path = _photos.Bytes("camera.jpg", jpeg);
        using Image<Rgb24> managed = DecodeManaged(jpeg);

        using Image<Rgb24> eighth = SafeImageLoader.Load(path, new Size(200, 150), null, out Size fullSize);
        using Image<Rgb24> quarter = SafeImageLoader.Load(path, new Size(201, 150), null, out _);

        Assert.Equal(new Size(1600, 1200), fullSize);
        Assert.Equal((0.0, 0), Difference(eighth, managed));
        Assert.Equal((400, 300), (quarter.Width, quarter.Height));
    }

    [Fact]
    public void Progressive_JPEGs_are_left_to_libjpeg_turbo()
    {
        byte[] progressive = HandMadeJpeg.Progressive(1024, 768, acScans: 1, restartInterval: 64, components: 3);

        Assert.Null(EighthScaleJpegDecoder.TryDecode("progressive.jpg", progressive, Configuration.Default, CancellationToken.None));
        string path = _photos.Bytes("progressive.jpg", progressive);
        using Image<Rgb24> decoded = SafeImageLoader.Load(path, new Size(100, 90), null, out _);
        Assert.Equal((128, 96), (decoded.Width, decoded.Height));
        TestPhotos.AssertColor(new Rgb24(128, 128, 128), decoded[64, 48], tolerance: 1);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    public void Scan_data_cut_short_is_refused(int restartInterval)
    {
        byte[] jpeg = BaselineJpegWriter.Write(400, 300, [(2, 2), (1, 1), (1, 1)], restartInterval);
        int scanStart = ScanDataStart(jpeg);
        byte[] truncated = [.. jpeg[..(scanStart + ((jpeg.Length - scanStart) * 2 / 3))], 0xFF, 0xD9];
        if (truncated[^3] == 0xFF)
        {
            truncated = [.. truncated[..^3], .. truncated[^2..]]; // Not half a stuffed byte.
        }

        ImageLoadException error = AssertCorrupt(truncated);
        Assert.Contains("truncated", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Restart_markers_out_of_order_are_refused()
    {
        byte[] jpeg = BaselineJpegWriter.Write(400, 300, [(2, 1), (1, 1), (1, 1)], restartInterval: 3, swapRestartMarkers: true);
        ImageLoadException error = AssertCorrupt(jpeg);
        Assert.Contains("RST1 where RST0 belongs", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void An_invalid_Huffman_code_is_refused()
    {
        byte[] jpeg = BaselineJpegWriter.Write(400, 300, [(2, 2), (1, 1), (1, 1)]);
        int middle = (ScanDataStart(jpeg) + jpeg.Length) / 2;
        // Sixteen one bits and more: no code of the standard tables (their longest code is not all ones).
        for (int index = 0; index < 8; index += 2)
        {
            jpeg[middle + index] = 0xFF;
            jpeg[middle + index + 1] = 0x00;
        }

        if (jpeg[middle - 1] == 0xFF)
        {
            jpeg[middle - 1] = 0xFE; // Do not leave a stuffed byte without its zero.
        }

        ImageLoadException error = AssertCorrupt(jpeg);
        Assert.Contains("invalid Huffman code", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_DC_difference_wider_than_eleven_bits_is_refused()
    {
        byte[] jpeg = BaselineJpegWriter.Write(400, 300, [(1, 1)]);
        int position = SegmentStart(jpeg, 0xC4);

        // The luminance DC table comes first; its first symbol (category 0, "no difference") becomes category 12.
        Assert.Equal(0x00, jpeg[position + 4]);
        jpeg[position + 4 + 17] = 12;

        ImageLoadException error = AssertCorrupt(jpeg);
        Assert.Contains("DC difference of 12 bits", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_chroma_block_with_more_than_64_coefficients_is_refused()
    {
        // 4:2:0, so that chroma's AC values are decoded. The chroma AC table's end-of-block (its first symbol,
        // the two-bit code 00) becomes "14 zeros, then a coefficient": no chroma block ends before its 64th.
        byte[] jpeg = BaselineJpegWriter.Write(400, 300, [(2, 2), (1, 1), (1, 1)]);
        byte[] chromaAcCounts = [0x11, 0x00, 0x02, 0x01, 0x02, 0x04, 0x04, 0x03, 0x04, 0x07, 0x05, 0x04, 0x04, 0x00, 0x01, 0x02, 0x77];
        int table = jpeg.AsSpan().IndexOf(chromaAcCounts);
        Assert.True(table > 0, "the standard chroma AC table was not found");
        Assert.Equal(0x00, jpeg[table + 17]);
        jpeg[table + 17] = 0xE1;

        ImageLoadException error = AssertCorrupt(jpeg);
        Assert.Contains("more than 64 coefficients", error.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0xC4, "Huffman table")]
    [InlineData(0xDB, "quantization table")]
    public void Missing_tables_are_refused(byte marker, string named)
    {
        byte[] jpeg = BaselineJpegWriter.Write(64, 64, [(1, 1), (1, 1), (1, 1)]);
        int position = SegmentStart(jpeg, marker);
        int length = 2 + ((jpeg[position + 2] << 8) | jpeg[position + 3]);
        byte[] withoutTables = [.. jpeg[..position], .. jpeg[(position + length)..]];

        ImageLoadException error = AssertCorrupt(withoutTables);
        Assert.Contains(named, error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_huge_frame_with_little_scan_data_is_refused_before_its_planes_are_allocated()
    {
        byte[] jpeg = BaselineJpegWriter.Write(64, 64, [(1, 1), (1, 1), (1, 1)]);
        int frame = SegmentStart(jpeg, 0xC0);
        jpeg[frame + 5] = jpeg[frame + 6] = jpeg[frame + 7] = jpeg[frame + 8] = 0xFF; // Height and width: 65,535 x 65,535.
        ImageLoadException error = AssertCorrupt(jpeg);
        Assert.Contains("truncated", error.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)] // Damage anywhere.
    [InlineData(1)] // Damage in the headers only.
    public void Randomly_damaged_files_decode_or_are_refused_and_nothing_else(int headersOnly)
    {
        byte[] original = BaselineJpegWriter.Write(120, 90, [(2, 2), (1, 1), (1, 1)], restartInterval: 3);
        int scanStart = ScanDataStart(original);
        var random = new Random(12);
        int decoded = 0, refused = 0, declined = 0;
        for (int trial = 0; trial < 300; trial++)
        {
            byte[] damaged = (byte[])original.Clone();
            for (int flip = random.Next(1, 4); flip > 0; flip--)
            {
                int at = headersOnly == 1 ? random.Next(2, scanStart) : random.Next(2, damaged.Length);
                damaged[at] = (byte)random.Next(256);
            }

            try
            {
                using Image<Rgb24>? image = EighthScaleJpegDecoder.TryDecode("damaged.jpg", damaged, Configuration.Default, CancellationToken.None);
                if (image is null)
                {
                    declined++;
                }
                else
                {
                    Assert.True(image.Width * image.Height <= 65536, $"a {image.Width} x {image.Height} image from {damaged.Length} bytes");
                    decoded++;
                }
            }
            catch (ImageLoadException error)
            {
                Assert.Equal(ImageLoadFailure.Corrupt, error.Failure);
                refused++;
            }
        }

        // Some of each outcome, so that the damage reached both the refusals and the decoding.
        Assert.True(refused > 0 && decoded > 0, $"decoded {decoded}, refused {refused}, left to libjpeg-turbo {declined}");
    }

    private static ImageLoadException AssertCorrupt(byte[] jpeg)
    {
        var error = Assert.Throws<ImageLoadException>(() => EighthScaleJpegDecoder.TryDecode("bad.jpg", jpeg, Configuration.Default, CancellationToken.None));
        Assert.Equal(ImageLoadFailure.Corrupt, error.Failure);
        Assert.Equal("bad.jpg", error.Path);
        return error;
    }

    /// <summary>Where the first segment with <paramref name="marker"/> starts (its FF byte), walking segment by segment.</summary>
    private static int SegmentStart(byte[] jpeg, byte marker)
    {
        int position = 2;
        while (jpeg[position + 1] != marker)
        {
            position += 2 + ((jpeg[position + 2] << 8) | jpeg[position + 3]);
        }

        return position;
    }

    private static int ScanDataStart(byte[] jpeg)
    {
        int position = SegmentStart(jpeg, 0xDA);
        return position + 2 + ((jpeg[position + 2] << 8) | jpeg[position + 3]);
    }

    private static Image<Rgb24> DecodeManaged(byte[] jpeg) =>
        EighthScaleJpegDecoder.TryDecode("test.jpg", jpeg, Configuration.Default, CancellationToken.None)
            ?? throw new InvalidOperationException("The managed decoder declined a baseline JPEG.");

    private static Image<Rgb24> DecodeWithLibjpegTurbo(byte[] jpeg) =>
        ScaledJpegDecoder.TryDecodeWithLibjpegTurbo("test.jpg", jpeg, new Size(1, 1), Configuration.Default, CancellationToken.None)
            ?? throw new InvalidOperationException("libjpeg-turbo declined the JPEG.");

    private static (double Mean, int Max) Difference(Image<Rgb24> a, Image<Rgb24> b)
    {
        Assert.Equal((a.Width, a.Height), (b.Width, b.Height));
        long total = 0;
        int max = 0;
        for (int y = 0; y < a.Height; y++)
        {
            for (int x = 0; x < a.Width; x++)
            {
                Rgb24 p = a[x, y], q = b[x, y];
                foreach (int difference in new[] { Math.Abs(p.R - q.R), Math.Abs(p.G - q.G), Math.Abs(p.B - q.B) })
                {
                    total += difference;
                    max = Math.Max(max, difference);
                }
            }
        }

        return (total / (3.0 * a.Width * a.Height), max);
    }
}
