using GridTsne.Engine.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;

namespace GridTsne.Engine.Embedding;

/// <summary>
/// Loading a model keeps one core busy for a second or so while the other idles. In a fresh process, .NET
/// must also compile the decoding path (ImageSharp's JPEG decoder, the resampler, the JPEG encoder for
/// thumbnails) the first time photos are read. Running that path on a synthetic photo meanwhile moves that
/// work onto the idle core; no file is read, so a model that fails to load still fails before any photo is.
/// </summary>
public static class DecoderWarmUp
{
    private const int Rounds = 40;

    /// <summary>
    /// Decodes, thumbnails and preprocesses a synthetic JPEG until <paramref name="token"/> is cancelled or
    /// enough rounds ran for .NET to optimise the path; returns the rounds run.
    /// </summary>
    public static int Run(int thumbnailSize, CancellationToken token)
    {
        // A photo too small to scale takes ImageSharp's path; a larger one libjpeg-turbo's, at 1/2.
        byte[][] jpegs = [SyntheticJpeg(320, 240), SyntheticJpeg(1024, 768)];
        var preprocessor = new ImagePreprocessor(new ImagePreprocessing());
        var tensor = new float[preprocessor.TensorLength];
        int round = 0;
        for (; round < Rounds && !token.IsCancellationRequested; round++)
        {
            // The token is checked between rounds only: a round is short, and stopping must not throw.
            using Image<Rgb24> photo = preprocessor.Decode("warm-up.jpg", jpegs[round % jpegs.Length], forTensor: true, thumbnailSize,
                ImageDecodeOptions.Default, out Size fullSize, CancellationToken.None);
            if (thumbnailSize > 0)
            {
                Thumbnail.Create(photo, thumbnailSize, fullSize);
            }

            preprocessor.Write(photo, tensor);
        }

        return round;
    }

    private static byte[] SyntheticJpeg(int width, int height)
    {
        using var image = new Image<Rgb24>(width, height);
        for (int y = 0; y < image.Height; y++)
        {
            for (int x = 0; x < image.Width; x++)
            {
                image[x, y] = new Rgb24((byte)x, (byte)y, (byte)(x ^ y));
            }
        }

        using var buffer = new MemoryStream();
        image.SaveAsJpeg(buffer, new JpegEncoder { Quality = 90 });
        return buffer.ToArray();
    }
}
