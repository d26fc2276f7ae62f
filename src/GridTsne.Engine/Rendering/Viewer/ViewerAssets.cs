using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace GridTsne.Engine.Rendering.Viewer;

/// <summary>The page's static files, embedded in this assembly: the HTML template, the script and the style.</summary>
internal static partial class ViewerAssets
{
    internal const string ScriptFile = "viewer.js";
    internal const string StyleFile = "viewer.css";
    internal const string LayoutFile = "layout.js";

    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>The page: the template with the assets folder (percent-encoded) and the title (HTML-encoded) filled in.</summary>
    public static string IndexHtml(string assetsFolderName, string title)
    {
        string assets = Uri.EscapeDataString(assetsFolderName);
        // One pass, so a title that contains a placeholder's text stays text.
        return Placeholder().Replace(Read("index.html"), match => match.Groups[1].Value switch
        {
            "ASSETS" => assets,
            _ => WebUtility.HtmlEncode(ViewerLayoutScript.Clean(title)),
        });
    }

    public static string Script => Read(ScriptFile);

    public static string Style => Read(StyleFile);

    public static void WriteText(string path, string content) => File.WriteAllText(path, content, Utf8NoBom);

    private static string Read(string name)
    {
        using Stream stream = typeof(ViewerAssets).Assembly.GetManifestResourceStream("GridTsne.Viewer." + name)
            ?? throw new InvalidOperationException($"The viewer asset '{name}' is missing from {typeof(ViewerAssets).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    [GeneratedRegex(@"\{\{(ASSETS|TITLE)\}\}", RegexOptions.CultureInvariant)]
    private static partial Regex Placeholder();
}
