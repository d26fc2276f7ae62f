using EngineService = GridTsne.Engine.Service.PhotoGridService;

namespace GridTsne;

/// <summary>
/// A running (or stopped) visualizations service, from Start-PhotoGridService and Get-PhotoGridService.
/// Its properties are read live from the service.
/// </summary>
public sealed class PhotoGridService
{
    private readonly EngineService _service;

    internal PhotoGridService(EngineService service) => _service = service;

    /// <summary>The base URL, ending in '/': the status page, and the API under v2/visualizations.</summary>
    public string Url => _service.Url;

    public int Port => _service.Port;

    public string ListenAddress => _service.ListenAddress;

    /// <summary>The folders whose photos may be requested, fully resolved.</summary>
    public string[] Root => [.. _service.Roots.Folders];

    public string StatePath => _service.StatePath;

    /// <summary>The access key: send it as the header 'Authorization: Key &lt;key&gt;'.</summary>
    public string Key => _service.Key.Value;

    /// <summary>The status page, with the key in the URL's fragment (which browsers never send to the server).</summary>
    public string StatusPageUrl => _service.Url + "#key=" + _service.Key.Value;

    /// <summary>The service's log file.</summary>
    public string LogPath => _service.Log.Path;

    public DateTimeOffset StartTime => _service.StartTime;

    public bool IsRunning => _service.IsRunning;

    /// <summary>Jobs waiting to run.</summary>
    public int PendingJobs => _service.PendingJobs;

    /// <summary>Jobs the service knows, finished ones included.</summary>
    public int JobCount => _service.Jobs.Count;

    internal EngineService Service => _service;

    public override string ToString() => Url;
}
