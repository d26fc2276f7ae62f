using System.Text.Json.Serialization;
using GridTsne.Engine.Embedding;
using GridTsne.Engine.Rendering;
using GridTsne.Engine.Rendering.Viewer;

namespace GridTsne.Engine.Service;

/// <summary>The options of one visualization, as a POST gives them (snake_case in JSON) and job.json keeps them.</summary>
public sealed record VisualizationOptions
{
    public const int MinTileSize = 8;

    /// <summary>The viewer's largest tile; the image could take more, but every job writes both.</summary>
    public const int MaxTileSize = PhotoGridViewerWriter.MaxTileSize;

    [JsonPropertyName("tile_size")]
    public int TileSize { get; init; } = 64;

    [JsonPropertyName("perplexity")]
    public double Perplexity { get; init; } = 30;

    [JsonPropertyName("seed")]
    public int Seed { get; init; } = 42;

    [JsonPropertyName("model")]
    public string Model { get; init; } = ModelCatalog.DefaultModelName;

    /// <summary>Grid columns; null for the most square grid.</summary>
    [JsonPropertyName("columns")]
    public int? Columns { get; init; }

    /// <summary>The grid image's format: jpg, png or webp.</summary>
    [JsonPropertyName("output_format")]
    public string OutputFormat { get; init; } = "jpg";

    /// <summary>Runs the layout optimizer (as Optimize-GridLayout does) between the assignment and the drawing.</summary>
    [JsonPropertyName("optimize")]
    public bool Optimize { get; init; }

    /// <summary>The image formats a job can write, by the name a request uses.</summary>
    public static IReadOnlyDictionary<string, GridOutputFormat> ImageFormats { get; } = new Dictionary<string, GridOutputFormat>(StringComparer.OrdinalIgnoreCase)
    {
        ["jpg"] = GridOutputFormat.Jpeg,
        ["png"] = GridOutputFormat.Png,
        ["webp"] = GridOutputFormat.Webp,
    };
}
