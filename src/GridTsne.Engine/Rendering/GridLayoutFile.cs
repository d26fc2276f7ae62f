using System.Globalization;
using System.Text;
using System.Text.Json;

namespace GridTsne.Engine.Rendering;

/// <summary>The file formats of a layout file.</summary>
public enum GridLayoutFileFormat
{
    Csv,
    Json,
}

/// <summary>
/// Writes where each photo sits in the grid image, so other tools can rebuild or overlay the grid
/// (docs/layout-format.md). CSV: one row per photo, the grid's size repeated on every row, so the file
/// alone suffices and Import-Csv | Export-PhotoGrid rebuilds the grid. JSON: the grid once, then the cells.
/// </summary>
public static class GridLayoutFile
{
    /// <summary>The value of the JSON "format" member.</summary>
    public const string JsonFormatName = "GridTsne.PhotoGridLayout";

    /// <summary>Incremented only when a change could break a reader.</summary>
    public const int JsonFormatVersion = 1;

    private static readonly string[] CsvColumns = ["Path", "Row", "Column", "X", "Y", "Rows", "Columns", "TileSize", "Padding"];
    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>The layout format a path asks for by its extension (.csv or .json), or null.</summary>
    public static GridLayoutFileFormat? FromPath(string path) => Path.GetExtension(path).ToUpperInvariant() switch
    {
        ".CSV" => GridLayoutFileFormat.Csv,
        ".JSON" => GridLayoutFileFormat.Json,
        _ => null,
    };

    /// <summary>Writes the layout atomically.</summary>
    /// <param name="imagePath">The grid image the layout describes, recorded in JSON relative to the layout's folder; null if none.</param>
    public static void Write(GridLayout layout, string path, GridLayoutFileFormat format, GridRenderOptions options, string? imagePath,
        bool overwrite, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(options);
        string? image = imagePath is null
            ? null
            : Path.GetRelativePath(Path.GetDirectoryName(Path.GetFullPath(path))!, Path.GetFullPath(imagePath)).Replace('\\', '/');
        AtomicFile.Write(path, stream =>
        {
            if (format == GridLayoutFileFormat.Csv)
            {
                WriteCsv(layout, stream);
            }
            else
            {
                WriteJson(layout, options, image, stream);
            }
        }, overwrite, cancellationToken);
    }

    internal static void WriteCsv(GridLayout layout, Stream stream)
    {
        // RFC 4180: CRLF line ends, text quoted with doubled quotes; numbers in the invariant culture.
        using var writer = new StreamWriter(stream, Utf8NoBom, bufferSize: 1 << 16, leaveOpen: true) { NewLine = "\r\n" };
        writer.WriteLine(string.Join(',', CsvColumns.Select(Quote)));
        string gridColumns = string.Join(',', Number(layout.Rows), Number(layout.Columns), Number(layout.TileSize), Number(layout.Padding));
        var line = new StringBuilder();
        foreach (GridTile tile in layout.Tiles)
        {
            line.Clear()
                .Append(Quote(tile.Path)).Append(',')
                .Append(Number(tile.Row)).Append(',')
                .Append(Number(tile.Column)).Append(',')
                .Append(Number(layout.TileX(tile.Column))).Append(',')
                .Append(Number(layout.TileY(tile.Row))).Append(',')
                .Append(gridColumns);
            writer.WriteLine(line);
        }
    }

    internal static void WriteJson(GridLayout layout, GridRenderOptions options, string? image, Stream stream)
    {
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("format", JsonFormatName);
        json.WriteNumber("version", JsonFormatVersion);
        if (image is null)
        {
            json.WriteNull("image");
        }
        else
        {
            json.WriteString("image", image);
        }

        json.WriteNumber("rows", layout.Rows);
        json.WriteNumber("columns", layout.Columns);
        json.WriteNumber("tileSize", layout.TileSize);
        json.WriteNumber("padding", layout.Padding);
        json.WriteNumber("width", layout.Width);
        json.WriteNumber("height", layout.Height);
        json.WriteString("fit", options.Fit.ToString());
        json.WriteString("background", options.Background.ToString());
        json.WriteStartArray("cells");
        foreach (GridTile tile in layout.Tiles)
        {
            json.WriteStartObject();
            json.WriteString("path", tile.Path);
            json.WriteNumber("row", tile.Row);
            json.WriteNumber("column", tile.Column);
            json.WriteNumber("x", layout.TileX(tile.Column));
            json.WriteNumber("y", layout.TileY(tile.Row));
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static string Quote(string text) => "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);
}
