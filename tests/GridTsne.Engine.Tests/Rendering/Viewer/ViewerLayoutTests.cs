using System.Text;
using System.Text.Json;
using GridTsne.Engine.Rendering;
using GridTsne.Engine.Rendering.Viewer;

namespace GridTsne.Engine.Tests.Rendering.Viewer;

/// <summary>The layout script, the page template, the links to originals and the levels: pure functions, no browser.</summary>
public class ViewerLayoutTests
{
    private static readonly string[] HostileNames =
    [
        "<img src=x onerror=alert(1)>.jpg",
        "</script><script>alert(1)</script>.jpg",
        "<!-- comment -->.png",
        "quote\" apostrophe' backslash\\ .jpg",
        "line\u2028separator\u2029paragraph.jpg",
        "tab\tnewline\nnull\0.jpg",
        "${template}`backtick`.jpg",
        "日本語 ünïcödé 🙂.jpg",
    ];

    [Fact]
    public void Layout_script_is_plain_ascii_and_keeps_hostile_names_inside_their_strings()
    {
        GridLayout layout = GridLayout.Create([], 3, 3, 64, 0);
        var cells = HostileNames.Select((name, index) => new ViewerCellEntry(index / 3, index % 3, name, "label " + name, null, false, false)).ToList();
        using var stream = new MemoryStream();
        ViewerLayoutScript.Write(stream, "</script>title", layout, RgbColor.Black, ViewerLevels.For(64), [[], []], cells);
        byte[] bytes = stream.ToArray();

        Assert.All(bytes, b => Assert.InRange(b, (byte)0x0A, (byte)0x7E));
        string body = Body(bytes);
        Assert.DoesNotContain('<', body);
        Assert.DoesNotContain('>', body);

        // The string literal holds JSON; its strings give back exactly the names and labels.
        using JsonDocument document = JsonDocument.Parse(JsonOf(body));
        JsonElement columns = document.RootElement.GetProperty("cells");
        Assert.Equal(HostileNames, columns.GetProperty("name").EnumerateArray().Select(name => name.GetString()));
        Assert.Equal(HostileNames.Select(name => "label " + name), columns.GetProperty("label").EnumerateArray().Select(label => label.GetString()));
        Assert.Equal("</script>title", document.RootElement.GetProperty("title").GetString());
    }

    /// <summary>The script after its comment: one assignment of JSON.parse of a single-quoted literal.</summary>
    private static string Body(byte[] script)
    {
        string text = Encoding.ASCII.GetString(script);
        Assert.StartsWith(ViewerLayoutScript.Signature, text, StringComparison.Ordinal);
        string body = text[(text.IndexOf("*/", StringComparison.Ordinal) + 2)..];
        Assert.StartsWith("\nwindow.GRIDTSNE_LAYOUT = JSON.parse('", body, StringComparison.Ordinal);
        Assert.EndsWith("');\n", body, StringComparison.Ordinal);
        return body;
    }

    /// <summary>Undoes the literal's escapes; any other backslash sequence or a bare apostrophe would end or break the literal.</summary>
    private static string JsonOf(string body)
    {
        string literal = body["\nwindow.GRIDTSNE_LAYOUT = JSON.parse('".Length..^"');\n".Length];
        var json = new StringBuilder();
        for (int i = 0; i < literal.Length; i++)
        {
            Assert.NotEqual('\'', literal[i]);
            if (literal[i] == '\\')
            {
                i++;
                Assert.True(literal[i] is '\\' or '\'', $"unexpected escape \\{literal[i]}");
            }

            json.Append(literal[i]);
        }

        return json.ToString();
    }

    [Fact]
    public void A_lone_surrogate_becomes_the_replacement_character()
    {
        using var stream = new MemoryStream();
        ViewerLayoutScript.Write(stream, "t", GridLayout.Create([], 1, 1, 64, 0), RgbColor.Black, ViewerLevels.For(64), [[], []],
            [new ViewerCellEntry(0, 0, "bad\uD800name.jpg", null, null, false, true)]);
        using JsonDocument document = JsonDocument.Parse(JsonOf(Body(stream.ToArray())));
        JsonElement cells = document.RootElement.GetProperty("cells");
        Assert.Equal("bad\uFFFDname.jpg", cells.GetProperty("name")[0].GetString());
        Assert.Equal(JsonValueKind.Null, cells.GetProperty("label")[0].ValueKind);
        Assert.Equal(2, cells.GetProperty("state")[0].GetInt32());
    }

    [Fact]
    public void Page_template_encodes_the_title_and_the_assets_folder()
    {
        string html = ViewerAssets.IndexHtml("my grid#1 \"q\"_files", "<script>alert(1)</script> {{ASSETS}}");
        Assert.Contains("<title>&lt;script&gt;alert(1)&lt;/script&gt; {{ASSETS}}</title>", html, StringComparison.Ordinal);
        Assert.Contains("src=\"my%20grid%231%20%22q%22_files/viewer.js\"", html, StringComparison.Ordinal);
        Assert.Contains("href=\"my%20grid%231%20%22q%22_files/viewer.css\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("{{TITLE}}", html, StringComparison.Ordinal);
        Assert.Contains("Content-Security-Policy", html, StringComparison.Ordinal);
        // No inline script: every script element loads a file, so the CSP needs no 'unsafe-inline'.
        Assert.Equal(2, html.Split("<script src=").Length - 1);
        Assert.Equal(2, html.Split("<script").Length - 1);
    }

    [Theory]
    [InlineData("site/photos/a b.jpg", "./photos/a%20b.jpg")]
    [InlineData("site/top.jpg", "./top.jpg")]
    [InlineData("beside/deep/x#1.png", "../beside/deep/x%231.png")]
    [InlineData("site/javascript:alert(1).jpg", "./javascript%3Aalert%281%29.jpg")]
    [InlineData("site/grid_files/photos/0.jpg", null)]
    public void Links_point_inside_or_beside_the_page_folder(string photo, string? expected)
    {
        string root = Path.Combine(Path.GetTempPath(), "gridtsne-links");
        string? href = OriginalLinks.RelativeHref(Path.Combine(root, "site"), Path.Combine(root, "site", "grid_files"), Path.Combine(root, photo));
        // Uri.EscapeDataString leaves ( and ) alone on some runtimes; both spellings are safe relative paths.
        Assert.Equal(expected, href?.Replace("(", "%28", StringComparison.Ordinal).Replace(")", "%29", StringComparison.Ordinal));
    }

    [Fact]
    public void Photos_further_away_are_embedded()
    {
        string root = Path.Combine(Path.GetTempPath(), "gridtsne-links");
        Assert.Null(OriginalLinks.RelativeHref(Path.Combine(root, "a", "site"), Path.Combine(root, "a", "site", "grid_files"), Path.Combine(root, "b", "x.jpg")));
    }

    [Theory]
    [InlineData(64, new[] { 16, 64 }, new[] { 128, 32 })]
    [InlineData(16, new[] { 16 }, new[] { 128 })]
    [InlineData(128, new[] { 8, 32, 128 }, new[] { 256, 64, 16 })]
    [InlineData(100, new[] { 7, 25, 100 }, new[] { 320, 80, 20 })]
    [InlineData(1024, new[] { 16, 64, 256, 1024 }, new[] { 128, 32, 8, 2 })]
    public void Levels_divide_by_four_and_their_atlases_nest(int tileSize, int[] sizes, int[] cellsPerAtlas)
    {
        ViewerLevels levels = ViewerLevels.For(tileSize);
        Assert.Equal(sizes, levels.Sizes);
        Assert.Equal(cellsPerAtlas, levels.CellsPerAtlas);
        for (int level = 0; level < levels.Count; level++)
        {
            Assert.InRange(levels.Sizes[level] * levels.CellsPerAtlas[level], 1024, 2300);
        }
    }
}
