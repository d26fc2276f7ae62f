using System.Management.Automation;
using GridTsne.Engine.Imaging;

namespace GridTsne;

/// <summary>One photo's feature vector, emitted by Get-ImageEmbedding.</summary>
public sealed class ImageEmbedding
{
    /// <summary>Full file-system path of the photo.</summary>
    public string Path { get; set; } = string.Empty;

    /// <summary>The feature vector.</summary>
    public float[] Vector { get; set; } = [];

    /// <summary>Name of the model that made the vector, e.g. ResNet18.</summary>
    public string Model { get; set; } = string.Empty;

    /// <summary>Width of the photo after EXIF orientation.</summary>
    public int Width { get; set; }

    /// <summary>Height of the photo after EXIF orientation.</summary>
    public int Height { get; set; }

    /// <summary>Number of dimensions of <see cref="Vector"/>.</summary>
    public int Dimensions => Vector.Length;

    /// <summary>A small copy of the photo for Export-PhotoGrid; hidden, so Export-Csv and views leave it out.</summary>
    [Hidden]
    public Thumbnail? Thumbnail { get; set; }
}
