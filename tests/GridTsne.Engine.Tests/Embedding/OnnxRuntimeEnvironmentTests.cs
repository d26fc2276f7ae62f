using System.Runtime.InteropServices;
using GridTsne.Engine.Embedding;
using GridTsne.Engine.Imaging;

namespace GridTsne.Engine.Tests.Embedding;

public class OnnxRuntimeEnvironmentTests
{
    [Fact]
    public unsafe void Telemetry_is_off_in_the_native_environment_once_ONNX_Runtime_is_used()
    {
        using (OnnxRuntimeEnvironment.CreateSessionOptions(1))
        {
        }

        Assert.Equal("1", Environment.GetEnvironmentVariable("ORT_DISABLE_TELEMETRY"));
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        // What native code sees, which Environment.GetEnvironmentVariable does not show on Unix.
        Assert.True(UnixLibc.TryGetExport("getenv", out IntPtr getenvAddress));
        var getenv = (delegate* unmanaged<byte*, byte*>)getenvAddress;
        fixed (byte* name = UnixLibc.NullTerminated("ORT_DISABLE_TELEMETRY"))
        {
            Assert.Equal("1", Marshal.PtrToStringUTF8((IntPtr)getenv(name)));
        }
    }
}
