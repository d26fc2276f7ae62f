using GridTsne.Engine.Embedding;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace GridTsne.Engine.Tests.Embedding;

public class ImagePreprocessorTests
{
    private const int Side = 8;
    private const int Plane = Side * Side;

    [Fact]
    public void BGR_0_to_255_minus_the_mean_puts_blue_first()
    {
        var preprocessor = new ImagePreprocessor(new ImagePreprocessing
        {
            Width = Side, Height = Side, ChannelOrder = ChannelOrder.BGR, PixelScale = 1f, Mean = [103.06f, 115.90f, 123.15f], Std = [1f, 1f, 1f],
        });
        using var photo = new Image<Rgb24>(30, 20, new Rgb24(200, 100, 50));
        float[] tensor = Write(preprocessor, photo);
        Assert.All(tensor[..Plane], value => Assert.Equal(50f - 103.06f, value, 4));
        Assert.All(tensor[Plane..(2 * Plane)], value => Assert.Equal(100f - 115.90f, value, 4));
        Assert.All(tensor[(2 * Plane)..], value => Assert.Equal(200f - 123.15f, value, 4));
    }

    [Fact]
    public void RGB_scaled_to_0_1_with_ImageNet_mean_and_std()
    {
        var preprocessor = new ImagePreprocessor(new ImagePreprocessing { Width = Side, Height = Side });
        using var photo = new Image<Rgb24>(Side, Side, new Rgb24(255, 0, 128));
        float[] tensor = Write(preprocessor, photo);
        Assert.All(tensor[..Plane], value => Assert.Equal((1f - 0.485f) / 0.229f, value, 4));
        Assert.All(tensor[Plane..(2 * Plane)], value => Assert.Equal((0f - 0.456f) / 0.224f, value, 4));
        Assert.All(tensor[(2 * Plane)..], value => Assert.Equal((128f / 255f - 0.406f) / 0.225f, value, 4));
    }

    [Fact]
    public void Center_crop_keeps_the_middle_and_None_squeezes_the_whole_photo()
    {
        // 400x100: red left quarter, green middle half, blue right quarter. Scaling the shorter side to 8
        // makes it 32x8, and the centre 8 columns are all green; squeezed, the left edge stays red.
        using var photo = new Image<Rgb24>(400, 100);
        for (int y = 0; y < photo.Height; y++)
        {
            for (int x = 0; x < photo.Width; x++)
            {
                photo[x, y] = x < 100 ? new Rgb24(255, 0, 0) : x < 300 ? new Rgb24(0, 255, 0) : new Rgb24(0, 0, 255);
            }
        }

        var raw = new ImagePreprocessing { Width = Side, Height = Side, PixelScale = 1f, Mean = [0f, 0f, 0f], Std = [1f, 1f, 1f] };

        float[] cropped = Write(new ImagePreprocessor(raw), photo);
        Assert.All(cropped[..Plane], red => Assert.True(red < 1f));
        Assert.All(cropped[Plane..(2 * Plane)], green => Assert.True(green > 254f));

        float[] squeezed = Write(new ImagePreprocessor(raw with { Crop = CropMode.None }), photo);
        Assert.True(squeezed[0] > 254f, "the left column is red");
        Assert.True(squeezed[(2 * Plane) + Side - 1] > 254f, "the right column is blue");
        Assert.True(squeezed[Plane + (Side / 2)] > 254f, "the middle is green");
    }

    [Fact]
    public void A_tensor_of_the_wrong_length_is_refused()
    {
        var preprocessor = new ImagePreprocessor(new ImagePreprocessing { Width = Side, Height = Side });
        using var photo = new Image<Rgb24>(Side, Side);
        Assert.Throws<ArgumentException>(() => preprocessor.Write(photo, new float[(3 * Plane) - 1]));
    }

    [Fact]
    public void The_identity_text_changes_with_every_setting()
    {
        var basis = new ImagePreprocessing { Width = 224, Height = 224 };
        ImagePreprocessing[] variants =
        [
            basis with { Width = 225 }, basis with { Height = 225 }, basis with { ChannelOrder = ChannelOrder.BGR },
            basis with { PixelScale = 1f }, basis with { Mean = [0.485f, 0.456f, 0.407f] }, basis with { Std = [0.229f, 0.224f, 0.226f] },
            basis with { Crop = CropMode.None },
        ];
        var texts = variants.Select(variant => variant.IdentityText).Append(basis.IdentityText).ToHashSet();
        Assert.Equal(variants.Length + 1, texts.Count);
        Assert.Equal(basis.IdentityText, new ImagePreprocessing { Width = 224, Height = 224 }.IdentityText);
    }

    private static float[] Write(ImagePreprocessor preprocessor, Image<Rgb24> photo)
    {
        var tensor = new float[preprocessor.TensorLength];
        preprocessor.Write(photo, tensor);
        return tensor;
    }
}
