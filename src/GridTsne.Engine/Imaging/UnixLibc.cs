using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace GridTsne.Engine.Imaging;

/// <summary>
/// Functions of the C library on Linux and macOS, found without a DllImport (whose "libc" name does not
/// resolve everywhere: on glibc, libc.so is a linker script). Used for what .NET does not offer.
/// </summary>
internal static class UnixLibc
{
    // errno values shared by Linux and macOS.
    private const int ErrorPermission = 1;
    private const int ErrorNoEntry = 2;
    private const int ErrorAccess = 13;
    private const int ErrorNotDirectory = 20;

    private static readonly Lazy<IntPtr[]> Libraries = new(FindLibraries);

    /// <summary>The address of a libc function, or false when it cannot be found.</summary>
    public static bool TryGetExport(string name, out IntPtr address)
    {
        foreach (IntPtr library in Libraries.Value)
        {
            if (NativeLibrary.TryGetExport(library, name, out address))
            {
                return true;
            }
        }

        address = IntPtr.Zero;
        return false;
    }

    /// <summary>
    /// Opens a file read-only with O_NONBLOCK, so that a FIFO named like a photo cannot block the caller
    /// forever (a plain open waits for a writer that never comes). Failures become the usual .NET exceptions.
    /// </summary>
    public static unsafe SafeFileHandle OpenReadNonBlocking(string path)
    {
        if (!TryGetExport("open", out IntPtr address))
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }

        // O_RDONLY | O_NONBLOCK | O_CLOEXEC; mode is only read with O_CREAT, so the variadic third argument is left out.
        int flags = OperatingSystem.IsMacOS() ? 0x0004 | 0x0100_0000 : 0x0800 | 0x8_0000;
        var open = (delegate* unmanaged<byte*, int, int>)address;
        byte[] name = NullTerminated(path);
        int descriptor;
        fixed (byte* namePointer = name)
        {
            descriptor = open(namePointer, flags);
        }

        if (descriptor < 0)
        {
            int error = Marshal.GetLastSystemError();
            string message = $"{Marshal.GetPInvokeErrorMessage(error)}: '{path}'";
            throw error switch
            {
                ErrorNoEntry => new FileNotFoundException(message, path),
                ErrorNotDirectory => new DirectoryNotFoundException(message),
                ErrorAccess or ErrorPermission => new UnauthorizedAccessException(message),
                _ => new IOException(message, error),
            };
        }

        return new SafeFileHandle(descriptor, ownsHandle: true);
    }

    /// <summary>A C string: UTF-8 with a terminating zero.</summary>
    public static byte[] NullTerminated(string text)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(text) + 1];
        Encoding.UTF8.GetBytes(text, bytes);
        return bytes;
    }

    private static IntPtr[] FindLibraries()
    {
        // The main program's handle sees libc on glibc, musl and macOS alike; the named libraries are fallbacks.
        var libraries = new List<IntPtr> { NativeLibrary.GetMainProgramHandle() };
        string[] candidates = OperatingSystem.IsMacOS()
            ? ["/usr/lib/libSystem.dylib", "libSystem.dylib"]
            : ["libc.so.6", "libc.musl-x86_64.so.1", "libc.musl-aarch64.so.1"];
        foreach (string candidate in candidates)
        {
            if (NativeLibrary.TryLoad(candidate, out IntPtr handle))
            {
                libraries.Add(handle);
            }
        }

        return [.. libraries];
    }
}
