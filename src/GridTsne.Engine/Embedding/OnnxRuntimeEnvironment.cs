using System.Runtime.InteropServices;
using GridTsne.Engine.Imaging;
using Microsoft.ML.OnnxRuntime;

namespace GridTsne.Engine.Embedding;

/// <summary>
/// The one door to ONNX Runtime: every session GridTsne creates is made here, after telemetry is off.
/// ONNX Runtime 1.31 on Linux records telemetry under ~/.cache/Microsoft/DeveloperTools/.onnxruntime unless
/// ORT_DISABLE_TELEMETRY=1 is in the native environment before it initialises. On Unix,
/// Environment.SetEnvironmentVariable (and pwsh's $env:) change only .NET's copy of the environment, never
/// what native getenv sees, so the variable is set with libc's setenv. GridTsne never records or sends telemetry.
/// </summary>
internal static class OnnxRuntimeEnvironment
{
    private const string TelemetryVariable = "ORT_DISABLE_TELEMETRY";
    private static readonly object Gate = new();
    private static bool _created;

    /// <summary>Session options for CPU inference on <paramref name="intraOpThreads"/> threads.</summary>
    public static SessionOptions CreateSessionOptions(int intraOpThreads)
    {
        EnsureCreated();
        var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = intraOpThreads,
            InterOpNumThreads = 1,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        // Idle inference threads sleep instead of spinning, leaving the cores to the decoders
        // that prepare the next batch.
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        return options;
    }

    /// <summary>Loads a model; the caller disposes the session.</summary>
    public static InferenceSession CreateSession(string modelPath, SessionOptions options)
    {
        EnsureCreated();
        return new InferenceSession(modelPath, options);
    }

    /// <summary>Loads a model held in memory; the caller disposes the session.</summary>
    public static InferenceSession CreateSession(byte[] model, SessionOptions options)
    {
        EnsureCreated();
        return new InferenceSession(model, options);
    }

    /// <summary>Options for one run; setting <see cref="RunOptions.Terminate"/> aborts a run in progress.</summary>
    public static RunOptions CreateRunOptions()
    {
        EnsureCreated();
        return new RunOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
    }

    private static void EnsureCreated()
    {
        lock (Gate)
        {
            if (_created)
            {
                return;
            }

            // Before the first call into ONNX Runtime, which loads and initialises the native library.
            DisableTelemetryInNativeEnvironment();
            var creation = new EnvironmentCreationOptions
            {
                logId = "GridTsne",
                logLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
            };
            OrtEnv environment = OrtEnv.CreateInstanceWithOptions(ref creation);
            environment.DisableTelemetryEvents();
            _created = true;
        }
    }

    private static void DisableTelemetryInNativeEnvironment()
    {
        Environment.SetEnvironmentVariable(TelemetryVariable, "1");
        if (OperatingSystem.IsWindows())
        {
            // On Windows the process environment is the native one.
            return;
        }

        if (!TrySetNativeVariable(TelemetryVariable, "1"))
        {
            throw new InvalidOperationException(
                $"GridTsne could not set {TelemetryVariable}=1 in the native environment (libc setenv not found), so it will not start ONNX Runtime, which would otherwise record telemetry.");
        }
    }

    private static unsafe bool TrySetNativeVariable(string name, string value)
    {
        if (!UnixLibc.TryGetExport("setenv", out IntPtr setenvAddress) || !UnixLibc.TryGetExport("getenv", out IntPtr getenvAddress))
        {
            return false;
        }

        var setenv = (delegate* unmanaged<byte*, byte*, int, int>)setenvAddress;
        var getenv = (delegate* unmanaged<byte*, byte*>)getenvAddress;
        byte[] nameBytes = UnixLibc.NullTerminated(name);
        byte[] valueBytes = UnixLibc.NullTerminated(value);
        fixed (byte* namePointer = nameBytes)
        fixed (byte* valuePointer = valueBytes)
        {
            if (setenv(namePointer, valuePointer, 1) != 0)
            {
                return false;
            }

            // Read it back: this is a privacy guarantee, not a best effort.
            byte* current = getenv(namePointer);
            return current != null && Marshal.PtrToStringUTF8((IntPtr)current) == value;
        }
    }
}
