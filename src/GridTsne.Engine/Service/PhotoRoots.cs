namespace GridTsne.Engine.Service;

/// <summary>
/// The folders whose photos the service may read. A requested path is checked after everything the operating
/// system would resolve when opening it: "..", "." and symbolic links (of the file and of every folder on
/// the way, in the kernel's order: a ".." after a link goes up from the link's target), and, where the file
/// system ignores case (Windows, macOS), case.
/// </summary>
public sealed class PhotoRoots
{
    private const int MaxLinkDepth = 40;
    private readonly string[] _roots;
    private readonly string[] _excluded;

    /// <param name="roots">Existing folders; each is resolved the same way as the paths checked against it.</param>
    /// <param name="excluded">Folders refused even under a root (the service's own state folder).</param>
    /// <exception cref="DirectoryNotFoundException">A root does not exist.</exception>
    public PhotoRoots(IEnumerable<string> roots, IEnumerable<string>? excluded = null)
    {
        ArgumentNullException.ThrowIfNull(roots);
        var resolved = new List<string>();
        foreach (string root in roots)
        {
            string real = Resolve(Path.GetFullPath(root));
            if (!Directory.Exists(real))
            {
                throw new DirectoryNotFoundException($"The root folder '{root}' does not exist.");
            }

            resolved.Add(real);
        }

        if (resolved.Count == 0)
        {
            throw new ArgumentException("At least one root folder is needed.", nameof(roots));
        }

        _roots = [.. resolved];
        _excluded = (excluded ?? []).Select(folder => Resolve(Path.GetFullPath(folder))).ToArray();
    }

    /// <summary>The roots, fully resolved.</summary>
    public IReadOnlyList<string> Folders => _roots;

    /// <summary>How paths of this platform's default file system compare: without case on Windows and macOS.</summary>
    public static StringComparison PathComparison { get; } =
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    /// <summary>
    /// The real path of <paramref name="path"/> (relative paths start at the first root) when it lies in a
    /// root, else null (also for a link loop). The path need not exist; its existing part is resolved.
    /// </summary>
    public string? Contain(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0 || path.Contains('\0', StringComparison.Ordinal))
        {
            return null;
        }

        string absolute = Path.IsPathFullyQualified(path) ? path : Path.Join(_roots[0], path);
        try
        {
            string real = Resolve(absolute);
            return IsInside(real) ? real : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A link loop, or a folder on the way that cannot be read: nothing there can be opened either.
            return null;
        }
    }

    /// <summary>True when an already resolved path is a root or lies under one, and not in an excluded folder.</summary>
    public bool IsInside(string realPath)
    {
        foreach (string excluded in _excluded)
        {
            if (IsUnder(realPath, excluded))
            {
                return false;
            }
        }

        foreach (string root in _roots)
        {
            if (IsUnder(realPath, root))
            {
                return true;
            }
        }

        return false;
    }

    internal static bool IsUnder(string path, string folder)
    {
        if (!path.StartsWith(folder, PathComparison))
        {
            return false;
        }

        return path.Length == folder.Length
            || Path.EndsInDirectorySeparator(folder)
            || path[folder.Length] == Path.DirectorySeparatorChar
            || path[folder.Length] == Path.AltDirectorySeparatorChar;
    }

    /// <summary>
    /// Resolves "..", "." and links component by component, as the kernel does. Components past the first one
    /// that does not exist are appended as they are (after their own "." and "..").
    /// </summary>
    internal static string Resolve(string absolutePath) => Resolve(absolutePath, 0);

    private static string Resolve(string absolutePath, int depth)
    {
        if (depth > MaxLinkDepth)
        {
            throw new IOException($"Too many levels of symbolic links in '{absolutePath}'.");
        }

        string root = Path.GetPathRoot(absolutePath) ?? throw new ArgumentException($"'{absolutePath}' is not an absolute path.", nameof(absolutePath));
        string current = Path.GetFullPath(root);
        string[] parts = absolutePath[root.Length..].Split([Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries);
        bool exists = true;
        foreach (string part in parts)
        {
            if (part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? current;
                continue;
            }

            string next = Path.Join(current, part);
            if (exists)
            {
                FileSystemInfo info = new FileInfo(next);
                if (!info.Exists)
                {
                    info = new DirectoryInfo(next);
                }

                if (!info.Exists && info.LinkTarget is null)
                {
                    exists = false;
                }
                else if (info.LinkTarget is { } target)
                {
                    // The target is relative to the link's folder; it may itself hold links and "..".
                    string targetPath = Path.IsPathFullyQualified(target) ? target : Path.Join(current, target);
                    next = Resolve(targetPath, depth + 1);
                }
            }

            current = next;
        }

        return current;
    }
}
