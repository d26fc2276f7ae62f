using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace GridTsne.Infrastructure;

/// <summary>
/// GridTsne's own load context. The engine and everything it depends on (ONNX Runtime, ImageSharp, SkiaSharp,
/// MathNet.Numerics, System.Numerics.Tensors) load here from bin/deps, so another module that loads
/// other versions of them into the default context cannot break GridTsne, and GridTsne cannot break it.
/// </summary>
internal sealed class DependencyLoadContext : AssemblyLoadContext
{
    private readonly string _dependencyDirectory;

    private DependencyLoadContext(string dependencyDirectory)
        : base("GridTsne", isCollectible: false)
    {
        _dependencyDirectory = dependencyDirectory;
    }

    /// <summary>bin/deps beside GridTsne.dll.</summary>
    public static string DependencyDirectory { get; } =
        Path.Combine(Path.GetDirectoryName(typeof(DependencyLoadContext).Assembly.Location)!, "deps");

    public static DependencyLoadContext Instance { get; } = new(DependencyDirectory);

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        string candidate = Path.Combine(_dependencyDirectory, assemblyName.Name + ".dll");
        // Returning null defers to the default context: that is where framework assemblies come from.
        return File.Exists(candidate) ? LoadFromAssemblyPath(candidate) : null;
    }

    /// <summary>
    /// pwsh ignores a module's .deps.json, so the runtime cannot find native ONNX Runtime or SkiaSharp by
    /// itself: map the DllImport name to runtimes/RID/native in bin/deps. Loaded by full path, a library of
    /// the same name that another module loaded first (another SkiaSharp version, say) is not reused.
    /// </summary>
    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        string? path = FindNativeLibrary(_dependencyDirectory, unmanagedDllName);
        return path is null ? IntPtr.Zero : LoadUnmanagedDllFromPath(path);
    }

    internal static string? FindNativeLibrary(string dependencyDirectory, string libraryName)
    {
        // DllImport names come bare ("onnxruntime") or with the prefix already ("libSkiaSharp").
        string os, fileName;
        if (OperatingSystem.IsWindows())
        {
            os = "win";
            fileName = WithAffixes(libraryName, string.Empty, ".dll");
        }
        else if (OperatingSystem.IsMacOS())
        {
            os = "osx";
            fileName = WithAffixes(libraryName, "lib", ".dylib");
        }
        else
        {
            os = "linux";
            fileName = WithAffixes(libraryName, "lib", ".so");
        }

        string architecture = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        string path = Path.Combine(dependencyDirectory, "runtimes", os + "-" + architecture, "native", fileName);
        if (File.Exists(path))
        {
            return path;
        }

        // A universal build (SkiaSharp's macOS library serves x64 and arm64) sits under the bare OS name.
        string universal = Path.Combine(dependencyDirectory, "runtimes", os, "native", fileName);
        return File.Exists(universal) ? universal : null;
    }

    private static string WithAffixes(string libraryName, string prefix, string extension)
    {
        string name = libraryName.StartsWith(prefix, StringComparison.Ordinal) ? libraryName : prefix + libraryName;
        return name.EndsWith(extension, StringComparison.OrdinalIgnoreCase) ? name : name + extension;
    }
}
