using System.Management.Automation;
using Microsoft.PowerShell.Commands;

namespace GridTsne.Infrastructure;

/// <summary>
/// Turns -Path (wildcards) and -LiteralPath values into file-system paths through the session's providers,
/// relative to the current PowerShell location rather than the process directory, as platyPS's PathUtils does.
/// </summary>
internal static class ProviderPaths
{
    /// <summary>
    /// Resolves input paths. Each value that is not on the file system, or matches no item, gets a
    /// non-terminating error and is skipped; the others come back in order.
    /// </summary>
    public static IReadOnlyList<string> ResolveExisting(GridTsneCmdlet cmdlet, IEnumerable<string> paths, bool literal)
    {
        var resolved = new List<string>();
        foreach (string path in paths)
        {
            try
            {
                if (literal)
                {
                    string providerPath = cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out ProviderInfo provider, out _);
                    if (RequireFileSystem(cmdlet, path, provider))
                    {
                        resolved.Add(providerPath);
                    }
                }
                else
                {
                    var providerPaths = cmdlet.SessionState.Path.GetResolvedProviderPathFromPSPath(path, out ProviderInfo provider);
                    if (RequireFileSystem(cmdlet, path, provider))
                    {
                        resolved.AddRange(providerPaths);
                    }
                }
            }
            catch (ItemNotFoundException ex)
            {
                cmdlet.WriteError(new ErrorRecord(ex, ErrorIds.PathNotFound, ErrorCategory.ObjectNotFound, path));
            }
            catch (Exception ex) when (ex is ProviderNotFoundException or System.Management.Automation.DriveNotFoundException or PSArgumentException or NotSupportedException)
            {
                cmdlet.WriteError(new ErrorRecord(ex, ErrorIds.PathNotResolved, ErrorCategory.InvalidArgument, path));
            }
        }

        return resolved;
    }

    /// <summary>Resolves an output file path, which need not exist yet; it must be on the file system.</summary>
    public static string ResolveOutput(GridTsneCmdlet cmdlet, string path)
    {
        string providerPath = cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out ProviderInfo provider, out _);
        if (provider.ImplementingType != typeof(FileSystemProvider))
        {
            cmdlet.Terminate(NotFileSystemError(path, provider));
        }

        return providerPath;
    }

    private static bool RequireFileSystem(GridTsneCmdlet cmdlet, string path, ProviderInfo provider)
    {
        if (provider.ImplementingType == typeof(FileSystemProvider))
        {
            return true;
        }

        cmdlet.WriteError(NotFileSystemError(path, provider));
        return false;
    }

    private static ErrorRecord NotFileSystemError(string path, ProviderInfo provider) =>
        new(new PSArgumentException($"The path '{path}' is on the {provider.Name} provider; GridTsne reads and writes only file-system paths."),
            ErrorIds.PathNotFileSystem, ErrorCategory.InvalidArgument, path);
}
