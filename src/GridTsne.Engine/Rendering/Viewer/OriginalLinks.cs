namespace GridTsne.Engine.Rendering.Viewer;

/// <summary>
/// Decides how a click opens a photo. A photo inside the page's folder, or inside a folder beside it (under
/// the same parent), gets a relative link, so the page and its photos can move together. Any other photo
/// (another drive, or further away) gets a medium-size copy in the assets folder: a page that points far
/// into the file system breaks as soon as it is copied elsewhere.
/// </summary>
internal static class OriginalLinks
{
    private static readonly char[] Separators = [Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar];

    /// <summary>
    /// The relative, percent-encoded link from the page's folder to the photo, or null when the photo must be
    /// embedded. Photos inside the assets folder are embedded too: that folder is replaced on every write.
    /// </summary>
    public static string? RelativeHref(string pageDirectory, string assetsDirectory, string photoPath)
    {
        string photo = Path.GetFullPath(photoPath);
        if (IsUnder(photo, Path.GetFullPath(assetsDirectory)))
        {
            return null;
        }

        string relative = Path.GetRelativePath(Path.GetFullPath(pageDirectory), photo);
        if (Path.IsPathRooted(relative))
        {
            return null; // Another drive or volume root: no relative path exists.
        }

        string[] segments = relative.Split(Separators, StringSplitOptions.RemoveEmptyEntries);
        int parents = 0;
        while (parents < segments.Length && segments[parents] == "..")
        {
            parents++;
        }

        if (parents > 1 || parents == segments.Length)
        {
            return null;
        }

        // Every segment percent-encoded (':' too), so a name like "javascript:x" stays a relative path.
        string path = string.Join('/', segments.Select(segment => segment == ".." ? segment : Uri.EscapeDataString(segment)));
        return parents == 0 ? "./" + path : path;
    }

    private static bool IsUnder(string path, string directory)
    {
        string relative = Path.GetRelativePath(directory, path);
        return !Path.IsPathRooted(relative) && relative != ".." && !relative.StartsWith(".." + Path.DirectorySeparatorChar, StringComparison.Ordinal);
    }
}
