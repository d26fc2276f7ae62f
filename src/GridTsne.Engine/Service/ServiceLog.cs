using System.Globalization;
using System.Text;

namespace GridTsne.Engine.Service;

/// <summary>
/// The service's log: one line per event in service.log in the state folder, written from any thread.
/// Nothing goes to the console: the service's threads are not PowerShell's pipeline thread.
/// </summary>
public sealed class ServiceLog : IDisposable
{
    public const string FileName = "service.log";
    private readonly object _gate = new();
    private readonly StreamWriter _writer;
    private bool _disposed;

    public ServiceLog(string stateDirectory)
    {
        Path = System.IO.Path.Combine(stateDirectory, FileName);
        var stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        _writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false)) { AutoFlush = true };
    }

    public string Path { get; }

    public void Information(string message) => Write("INFO", message);

    public void Warning(string message) => Write("WARN", message);

    public void Error(string message) => Write("ERROR", message);

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _writer.Dispose();
        }
    }

    private void Write(string level, string message)
    {
        // One line per event, whatever the message holds (a file name can contain a line break).
        string line = string.Create(CultureInfo.InvariantCulture, $"{DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {level} {message.ReplaceLineEndings(" ")}");
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            try
            {
                _writer.WriteLine(line);
            }
            catch (IOException)
            {
                // A full disk must not take the service down with it; the event is lost.
            }
        }
    }
}
