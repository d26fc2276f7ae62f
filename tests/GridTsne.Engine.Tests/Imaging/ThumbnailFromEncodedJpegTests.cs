using GridTsne.Engine.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace GridTsne.Engine.Tests.Imaging;

public class ThumbnailFromEncodedJpegTests
{
    [Fact]
    public void Rebuilds_a_thumbnail_from_its_bytes_with_the_size_read_from_the_header()
    {
        using var photo = new Image<Rgb24>(400, 300, new Rgb24(10, 120, 200));
        Thumbnail original = Thumbnail.Create(photo);
        Thumbnail? rebuilt = Thumbnail.FromEncodedJpeg(original.EncodedJpeg, original.SourceWidth, original.SourceHeight);

        Assert.NotNull(rebuilt);
        Assert.Equal((original.Width, original.Height, 400, 300), (rebuilt.Width, rebuilt.Height, rebuilt.SourceWidth, rebuilt.SourceHeight));
        using Image<Rgb24> decoded = rebuilt.Decode();
        Assert.Equal((171, 128), (decoded.Width, decoded.Height));
    }

    [Fact]
    public void Bytes_that_are_no_jpeg_give_no_thumbnail()
    {
        Assert.Null(Thumbnail.FromEncodedJpeg([1, 2, 3, 4], 10, 10));
        using var photo = new Image<Rgb24>(8, 8);
        using var png = new MemoryStream();
        photo.SaveAsPng(png);
        Assert.Null(Thumbnail.FromEncodedJpeg(png.ToArray(), 8, 8));
    }
}
