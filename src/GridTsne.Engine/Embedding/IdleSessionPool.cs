using Microsoft.ML.OnnxRuntime;

namespace GridTsne.Engine.Embedding;

/// <summary>
/// ONNX Runtime sessions that a finished command handed back, kept for the next command in the same process.
/// Creating a session (graph optimization, weight prepacking) costs ResNet18 fp32 0.2-0.4 s of CPU even after the
/// first one in a process: about 5 ms per photo of a warm Get-ImageEmbedding over 48 camera photos (bench/README.md).
/// A session is idle here or in use by exactly one <see cref="ImageEmbedder"/>, never both, so nothing is shared
/// between running pipelines.
/// </summary>
/// <remarks>
/// At most <see cref="Capacity"/> sessions stay idle (one per model file and thread count); the one used
/// longest ago goes first. The key names the file's content (its expected SHA-256 for a built-in model, else
/// its length and write time), so a replaced file is loaded (and, if built-in, verified) afresh.
/// </remarks>
internal static class IdleSessionPool
{
    /// <summary>Idle sessions kept: enough for the two built-in models; releasing one frees about 56 MB of resident memory for ResNet18 fp32, 18 MB for int8.</summary>
    public const int Capacity = 2;

    private static readonly object Gate = new();

    // Most recently returned last.
    private static readonly List<(string Key, InferenceSession Session, SessionOptions Options)> Idle = [];

    /// <summary>What a session of <paramref name="spec"/> on <paramref name="intraOpThreads"/> threads is kept under.</summary>
    public static string KeyOf(EmbeddingModelSpec spec, int intraOpThreads)
    {
        string content;
        if (spec.Sha256 is not null)
        {
            content = "sha256=" + spec.Sha256;
        }
        else
        {
            var file = new FileInfo(spec.FilePath);
            content = file.Exists ? $"length={file.Length};written={file.LastWriteTimeUtc.Ticks}" : "missing";
        }

        return $"{spec.FilePath}|{content}|threads={intraOpThreads}";
    }

    /// <summary>Takes the idle session kept under <paramref name="key"/>, if there is one.</summary>
    public static bool TryTake(string key, out InferenceSession? session, out SessionOptions? options)
    {
        lock (Gate)
        {
            int index = Idle.FindLastIndex(entry => entry.Key == key);
            if (index >= 0)
            {
                (_, session, options) = Idle[index];
                Idle.RemoveAt(index);
                return true;
            }
        }

        session = null;
        options = null;
        return false;
    }

    /// <summary>Keeps a session no run uses any more; disposes what no longer fits.</summary>
    public static void Return(string key, InferenceSession session, SessionOptions options)
    {
        var surplus = new List<(string Key, InferenceSession Session, SessionOptions Options)>();
        lock (Gate)
        {
            // Two commands that ran at once both return a session of the same model: keep the newer one.
            int same = Idle.FindIndex(entry => entry.Key == key);
            if (same >= 0)
            {
                surplus.Add(Idle[same]);
                Idle.RemoveAt(same);
            }

            Idle.Add((key, session, options));
            while (Idle.Count > Capacity)
            {
                surplus.Add(Idle[0]);
                Idle.RemoveAt(0);
            }
        }

        DisposeAll(surplus);
    }

    /// <summary>Disposes every idle session (the module is being removed); returns how many there were.</summary>
    public static int Clear()
    {
        List<(string Key, InferenceSession Session, SessionOptions Options)> all;
        lock (Gate)
        {
            all = [.. Idle];
            Idle.Clear();
        }

        DisposeAll(all);
        return all.Count;
    }

    /// <summary>Sessions idle now.</summary>
    public static int Count
    {
        get
        {
            lock (Gate)
            {
                return Idle.Count;
            }
        }
    }

    private static void DisposeAll(List<(string Key, InferenceSession Session, SessionOptions Options)> entries)
    {
        foreach ((_, InferenceSession session, SessionOptions options) in entries)
        {
            session.Dispose();
            options.Dispose();
        }
    }
}
