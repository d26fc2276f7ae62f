using System.Buffers.Binary;
using System.IO.Compression;
using System.Net.Sockets;
using System.Text;
using GridTsne.Engine.Imaging;
using GridTsne.Engine.Tests.Embedding;

namespace GridTsne.Engine.Tests.Imaging;

/// <summary>The bad files a photo folder can hold, made on the spot.</summary>
internal static class HostileFiles
{
    public static string Empty(string path)
    {
        File.WriteAllBytes(path, []);
        return path;
    }

    public static string Text(string path)
    {
        File.WriteAllText(path, "These are my holiday notes, not a photo.\n");
        return path;
    }

    /// <summary>The start of an iPhone HEIC photo: a real image format that ImageSharp does not decode.</summary>
    public static string Heic(string path)
    {
        byte[] box = [0, 0, 0, 0x18, .. "ftypheic"u8, 0, 0, 0, 0, .. "mif1heic"u8];
        File.WriteAllBytes(path, [.. box, .. new byte[512]]);
        return path;
    }

    /// <summary>A real photo cut short, as an interrupted copy leaves it.</summary>
    public static string Truncated(string source, string path, double keep = 0.6)
    {
        string whole = TestImages.Convert(source, path);
        byte[] bytes = File.ReadAllBytes(whole);
        File.WriteAllBytes(path, bytes[..(int)(bytes.Length * keep)]);
        return path;
    }

    /// <summary>A PNG of a few dozen bytes whose header claims <paramref name="side"/> x <paramref name="side"/> pixels.</summary>
    public static string PngBomb(string path, int side = 36000)
    {
        using var output = new MemoryStream();
        output.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, side);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), side);
        header[8] = 8; // bit depth
        header[9] = 2; // RGB
        WriteChunk(output, "IHDR", header);
        using (var compressed = new MemoryStream())
        {
            using (var zlib = new ZLibStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
            {
                zlib.Write(new byte[16]);
            }

            WriteChunk(output, "IDAT", compressed.ToArray());
        }

        WriteChunk(output, "IEND", []);
        File.WriteAllBytes(path, output.ToArray());
        return path;
    }

    /// <summary>A file that exists but cannot be opened: a socket on Unix (even root cannot open one), a locked file on Windows.</summary>
    public static IDisposable Unreadable(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            File.WriteAllBytes(path, [1, 2, 3]);
            return new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        }

        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        return socket;
    }

    /// <summary>A named pipe (Unix): opening it for reading would wait for a writer forever.</summary>
    public static unsafe string Fifo(string path)
    {
        Assert.True(UnixLibc.TryGetExport("mkfifo", out IntPtr address));
        var mkfifo = (delegate* unmanaged<byte*, uint, int>)address;
        fixed (byte* name = UnixLibc.NullTerminated(path))
        {
            Assert.Equal(0, mkfifo(name, Convert.ToUInt32("644", 8)));
        }

        return path;
    }

    private static void WriteChunk(Stream output, string type, byte[] data)
    {
        Span<byte> number = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(number, data.Length);
        output.Write(number);
        byte[] typeAndData = [.. Encoding.ASCII.GetBytes(type), .. data];
        output.Write(typeAndData);
        BinaryPrimitives.WriteUInt32BigEndian(number, Crc32(typeAndData));
        output.Write(number);
    }

    private static uint Crc32(byte[] data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte value in data)
        {
            crc ^= value;
            for (int bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
            }
        }

        return ~crc;
    }
}
