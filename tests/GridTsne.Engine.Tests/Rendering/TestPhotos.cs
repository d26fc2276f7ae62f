using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace GridTsne.Engine.Tests.Rendering;

/// <summary>Real photos written by ImageSharp into a temporary folder that is deleted afterwards.</summary>
public sealed class TestPhotos : IDisposable
{
    public static readonly Rgb24 Red = new(220, 30, 30);
    public static readonly Rgb24 Green = new(30, 200, 40);
    public static readonly Rgb24 Blue = new(30, 40, 210);
    public static readonly Rgb24 Yellow = new(240, 220, 20);

    public TestPhotos()
    {
        Folder = Directory.CreateTempSubdirectory("gridtsne-render-").FullName;
    }

    public string Folder { get; }

    public string PathOf(string name) => Path.Combine(Folder, name);

    /// <summary>A one-colour photo; the format follows the extension.</summary>
    public string Solid(string name, int width, int height, Rgb24 color)
    {
        using var image = new Image<Rgb24>(width, height, color);
        return Save(image, name);
    }

    /// <summary>Quadrants: top-left <see cref="Yellow"/>, top-right red, bottom-left green, bottom-right blue.</summary>
    public static Image<Rgb24> Quadrants(int width, int height)
    {
        var image = new Image<Rgb24>(width, height);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                bool right = x >= width / 2, bottom = y >= height / 2;
                image[x, y] = (right, bottom) switch
                {
                    (false, false) => Yellow,
                    (true, false) => Red,
                    (false, true) => Green,
                    _ => Blue,
                };
            }
        }

        return image;
    }

    /// <summary>Three vertical bands, left to right: red, green, blue.</summary>
    public static Image<Rgb24> Bands(int width, int height)
    {
        var image = new Image<Rgb24>(width, height);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                image[x, y] = (3 * x / width) switch { 0 => Red, 1 => Green, _ => Blue };
            }
        }

        return image;
    }

    /// <summary>
    /// Stores <paramref name="upright"/> as a camera held sideways would: pixels rotated 90° anticlockwise
    /// and EXIF orientation 6 ("rotate 90° clockwise to view").
    /// </summary>
    public string SidewaysJpeg(string name, Image<Rgb24> upright)
    {
        using Image<Rgb24> stored = upright.Clone(context => context.Rotate(RotateMode.Rotate270));
        stored.Metadata.ExifProfile = new ExifProfile();
        stored.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)6);
        return Save(stored, name);
    }

    public string Save(Image<Rgb24> image, string name)
    {
        string path = PathOf(name);
        image.Save(path);
        return path;
    }

    public string Bytes(string name, byte[] content)
    {
        string path = PathOf(name);
        File.WriteAllBytes(path, content);
        return path;
    }

    /// <summary>Names in the folder that look like AtomicFile's temporary files.</summary>
    public string[] TemporaryFiles() =>
        Directory.GetFiles(Folder).Select(Path.GetFileName).Where(name => GridTsne.Engine.Rendering.AtomicFile.IsTemporaryName(name!)).ToArray()!;

    public static void AssertColor(Rgb24 expected, Rgb24 actual, int tolerance = 6)
    {
        Assert.True(Math.Abs(expected.R - actual.R) <= tolerance && Math.Abs(expected.G - actual.G) <= tolerance && Math.Abs(expected.B - actual.B) <= tolerance,
            $"Expected about {expected}, got {actual}.");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder must not fail a test.
        }
    }
}
