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
/// "&lt;/script&gt;" or one holding U+2028 stays inside its JSON string, and the file is plain ASCII.
/// </summary>
internal static class ViewerLayoutScript
{
    /// <summary>First bytes of every layout file; the writer replaces an existing assets folder only when its layout starts so.</summary>
    internal const string Signature = "/* GridTsne viewer layout";

    internal const string GlobalName = "GRIDTSNE_LAYOUT";

    internal const int FormatVersion = 1;

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.Default, Indented = false };

    public static void Write(Stream destination, string title, GridLayout layout, RgbColor background, ViewerLevels levels,
        IReadOnlyList<IReadOnlyList<ViewerAtlas>> atlases, IReadOnlyList<ViewerCellEntry> cells)
    {
        using var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json, WriterOptions))
        {
            WriteLayout(writer, title, layout, background, levels, atlases, cells);
        }

        // JSON.parse of a string is faster than parsing the same object as a literal (V8; 40% less time to
        // first draw at 10,000 cells). The JSON is ASCII with no line break, and the encoder turned every
        // apostrophe into \u0027, so inside a single-quoted literal only backslashes need escaping
        // (apostrophes are escaped too, defensively).
        destination.Write(Encoding.ASCII.GetBytes(Signature + ", format " + FormatVersion + ". Written by GridTsne; do not edit. */\nwindow." + GlobalName + " = JSON.parse('"));
        var buffer = new byte[checked((int)json.Length * 2)];
        int length = 0;
        foreach (byte b in json.GetBuffer().AsSpan(0, (int)json.Length))
        {
            if (b is (byte)'\\' or (byte)'\'')
            {
                buffer[length++] = (byte)'\\';
            }

            buffer[length++] = b;
        }

        destination.Write(buffer, 0, length);
        destination.Write("');\n"u8);
    }

    /// <summary>
    /// The layout object. Cells are stored by column (one array per property) rather than as 10,000 objects:
    /// the file is half the size and parses faster. state: 0 links the original, 1 opens an embedded copy,
    /// 2 could not be read.
    /// </summary>
    private static void WriteLayout(Utf8JsonWriter json, string title, GridLayout layout, RgbColor background, ViewerLevels levels,
        IReadOnlyList<IReadOnlyList<ViewerAtlas>> atlases, IReadOnlyList<ViewerCellEntry> cells)
    {
        json.WriteStartObject();
        json.WriteString("format", "gridtsne-viewer");
        json.WriteNumber("version", FormatVersion);
        json.WriteString("title", Clean(title));
        json.WriteNumber("rows", layout.Rows);
        json.WriteNumber("columns", layout.Columns);
        json.WriteNumber("tileSize", layout.TileSize);
        json.WriteNumber("padding", layout.Padding);
        json.WriteString("background", background.ToString());
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
        json.WriteStartObject("cells");
        json.WriteNumber("count", cells.Count);
        WriteColumn(json, "row", cells, static (writer, cell) => writer.WriteNumberValue(cell.Row));
        WriteColumn(json, "column", cells, static (writer, cell) => writer.WriteNumberValue(cell.Column));
        WriteColumn(json, "name", cells, static (writer, cell) => writer.WriteStringValue(Clean(cell.Name)));
        WriteColumn(json, "label", cells, static (writer, cell) => WriteNullableString(writer, cell.Label));
        WriteColumn(json, "href", cells, static (writer, cell) => WriteNullableString(writer, cell.Href));
        WriteColumn(json, "state", cells, static (writer, cell) => writer.WriteNumberValue(cell.Failed ? 2 : cell.Embedded ? 1 : 0));
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteColumn(Utf8JsonWriter json, string name, IReadOnlyList<ViewerCellEntry> cells, Action<Utf8JsonWriter, ViewerCellEntry> write)
    {
        json.WriteStartArray(name);
        foreach (ViewerCellEntry cell in cells)
        {
            write(json, cell);
        }

        json.WriteEndArray();
    }

    private static void WriteNullableString(Utf8JsonWriter json, string? value)
    {
        if (value is null)
        {
            json.WriteNullValue();
        }
        else
        {
            json.WriteStringValue(Clean(value));
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
