using System.Management.Automation;
using GridTsne.Engine.Imaging;

namespace GridTsne;

/// <summary>One item's position in the t-SNE map, emitted by Invoke-Tsne.</summary>
public sealed class TsnePoint
{
    /// <summary>The item's path, when the input had one.</summary>
    public string? Path { get; set; }

    public double X { get; set; }

    public double Y { get; set; }

    /// <summary>The input vector, passed on so that later steps can measure quality.</summary>
    public float[]? Vector { get; set; }

    /// <summary>Passed on from the embedding step for Export-PhotoGrid; hidden from Export-Csv and views.</summary>
    [Hidden]
    public Thumbnail? Thumbnail { get; set; }
}
