using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace GridTsne.Engine.Rendering.Viewer;

/// <summary>One atlas image of a level: the block of cells it covers and its file, relative to the assets folder.</summary>
internal sealed record ViewerAtlas(string File, int Row, int Column, int Rows, int Columns);

/// <summary>What the page knows of a cell: no absolute path ever leaves the machine in the page.</summary>
internal sealed record ViewerCellEntry(int Row, int Column, string Name, string? Label, string? Href, bool Embedded, bool Failed);

/// <summary>
/// Writes layout.js, which assigns the layout to a global: Chromium refuses fetch and XHR from file://, a
/// classic script is allowed. All text goes through System.Text.Json with the default JavaScript encoder,
/// which escapes every non-ASCII character and every HTML-sensitive one (&lt; &gt; &amp; ' "): a name such as
/// "&lt;/script&gt;" or one holding U+2028 stays inside its string literal, and the file is plain ASCII.
/// </summary>
internal static class ViewerLayoutScript
{
    /// <summary>First bytes of every layout file; the writer replaces an existing assets folder only when its layout starts so.</summary>
    internal const string Signature = "/* GridTsne viewer layout";

    internal const string GlobalName = "GRIDTSNE_LAYOUT";

    internal const int FormatVersion = 1;

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.Default, Indented = false };

    public static void Write(Stream destination, string title, ViewerOptions options, ViewerLevels levels,
        IReadOnlyList<IReadOnlyList<ViewerAtlas>> atlases, IReadOnlyList<ViewerCellEntry> cells)
    {
        destination.Write(Encoding.ASCII.GetBytes(Signature + ", format " + FormatVersion + ". Written by GridTsne; do not edit. */\nwindow." + GlobalName + " = "));
        using (var json = new Utf8JsonWriter(destination, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("format", "gridtsne-viewer");
            json.WriteNumber("version", FormatVersion);
            json.WriteString("title", Clean(title));
            json.WriteNumber("rows", options.Rows);
            json.WriteNumber("columns", options.Columns);
            json.WriteNumber("tileSize", options.TileSize);
            json.WriteNumber("padding", options.Padding);
            json.WriteString("background", $"#{options.Background.R:x2}{options.Background.G:x2}{options.Background.B:x2}");
            json.WriteStartArray("levels");
            for (int level = 0; level < levels.Count; level++)
            {
                json.WriteStartObject();
                json.WriteNumber("size", levels.Sizes[level]);
                json.WriteNumber("cellsPerAtlas", levels.CellsPerAtlas[level]);
                json.WriteStartArray("atlases");
                foreach (ViewerAtlas atlas in atlases[level])
                {
                    json.WriteStartObject();
                    json.WriteString("file", atlas.File);
                    json.WriteNumber("row", atlas.Row);
                    json.WriteNumber("column", atlas.Column);
                    json.WriteNumber("rows", atlas.Rows);
                    json.WriteNumber("columns", atlas.Columns);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("cells");
            foreach (ViewerCellEntry cell in cells)
            {
                json.WriteStartObject();
                json.WriteNumber("row", cell.Row);
                json.WriteNumber("column", cell.Column);
                json.WriteString("name", Clean(cell.Name));
                WriteNullableString(json, "label", cell.Label);
                WriteNullableString(json, "href", cell.Href);
                json.WriteBoolean("embedded", cell.Embedded);
                json.WriteBoolean("failed", cell.Failed);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        destination.Write(";\n"u8);
    }

    private static void WriteNullableString(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, Clean(value));
        }
    }

    /// <summary>
    /// Replaces lone UTF-16 surrogates (possible in Windows file names) with U+FFFD: the JSON writer refuses
    /// invalid UTF-16, and the page could not show them anyway.
    /// </summary>
    internal static string Clean(string text)
    {
        foreach (char c in text)
        {
            if (char.IsSurrogate(c))
            {
                return Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(text));
            }
        }

        return text;
    }
}
