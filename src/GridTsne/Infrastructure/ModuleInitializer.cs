using System.Management.Automation;
using System.Reflection;
using System.Runtime.Loader;

namespace GridTsne.Infrastructure;

/// <summary>
/// Runs when pwsh imports the module. It hands GridTsne.Engine to the default context from GridTsne's own
/// load context (the pattern PSResourceGet uses); every other dependency then resolves inside that context.
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    private const string EngineAssemblyName = "GridTsne.Engine";

    public void OnImport() => AssemblyLoadContext.Default.Resolving += ResolveEngine;

    public void OnRemove(PSModuleInfo psModuleInfo)
    {
        // Model sessions Get-ImageEmbedding kept for its next call hold tens of megabytes each.
        Commands.GetImageEmbeddingCommand.ReleaseIdleSessions();
        AssemblyLoadContext.Default.Resolving -= ResolveEngine;
    }

    private static Assembly? ResolveEngine(AssemblyLoadContext defaultContext, AssemblyName assemblyName)
    {
        // Only the engine crosses over: the cmdlets' public surface uses no dependency's types.
        return assemblyName.Name == EngineAssemblyName
            ? DependencyLoadContext.Instance.LoadFromAssemblyName(assemblyName)
            : null;
    }
}
