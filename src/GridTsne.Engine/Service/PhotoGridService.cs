using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using GridTsne.Engine.Embedding;

namespace GridTsne.Engine.Service;

/// <summary>
/// The asynchronous visualizations API, served locally by <see cref="HttpListener"/>: clients POST a job, poll
/// it, and fetch its image, layout and viewer. Jobs run on the service's own threads (by default one at a time,
/// each on every core) with the model kept loaded between them; their state survives restarts in
/// <see cref="JobStore"/>. Everything the service has to say goes to its log file.
/// </summary>
public sealed partial class PhotoGridService : IDisposable
{
    private static readonly ConcurrentDictionary<PhotoGridService, bool> ActiveServices = new();
    private static readonly TimeSpan StopWait = TimeSpan.FromMilliseconds(900);
    private const int AccessDeniedError = 5;

    private readonly PhotoGridServiceOptions _options;
    private readonly HttpListener _listener;
    private readonly FileStream _stateLock;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Dictionary<string, VisualizationJob> _jobs = [];
    private readonly Queue<VisualizationJob> _queue = new();
    private readonly SemaphoreSlim _queued = new(0);
    private readonly Dictionary<string, Task<ImageEmbedder>> _embedders = new(StringComparer.OrdinalIgnoreCase);
    private readonly Thread[] _runners;
    private readonly ServiceHttpHandler _handler;
    private int _pending;
    private int _stopped;

    private PhotoGridService(PhotoGridServiceOptions options, FileStream stateLock, ServiceLog log, AccessKey key, PhotoRoots roots,
        ModelCatalog catalog, JobStore store, HttpListener listener, int port)
    {
        _options = options;
        _stateLock = stateLock;
        Log = log;
        Key = key;
        Roots = roots;
        Catalog = catalog;
        Store = store;
        _listener = listener;
        Port = port;
        Url = string.Create(CultureInfo.InvariantCulture, $"http://{UrlHost(options.ListenAddress)}:{port}/");
        StartTime = DateTimeOffset.Now;
        _handler = new ServiceHttpHandler(this);
        _runners = new Thread[options.MaxRunningJobs];
        for (int i = 0; i < _runners.Length; i++)
        {
            _runners[i] = new Thread(RunJobs) { IsBackground = true, Name = $"GridTsne service job runner {i + 1}" };
        }
    }

    /// <summary>Services running in this process.</summary>
    public static IReadOnlyList<PhotoGridService> Active => ActiveServices.Keys.OrderBy(service => service.StartTime).ToList();

    /// <summary>The base URL, ending in '/'.</summary>
    public string Url { get; }

    public int Port { get; }

    public string ListenAddress => _options.ListenAddress;

    public string StatePath => _options.StatePath;

    public PhotoGridServiceOptions Options => _options;

    public AccessKey Key { get; }

    public PhotoRoots Roots { get; }

    public ModelCatalog Catalog { get; }

    public JobStore Store { get; }

    public ServiceLog Log { get; }

    public DateTimeOffset StartTime { get; }

    public bool IsRunning => Volatile.Read(ref _stopped) == 0;

    /// <summary>Jobs waiting to run.</summary>
    public int PendingJobs => Volatile.Read(ref _pending);

    /// <summary>A snapshot of every job, newest first.</summary>
    public IReadOnlyList<VisualizationJob> Jobs
    {
        get
        {
            lock (_jobs)
            {
                return _jobs.Values.OrderByDescending(job => job.CreatedAt).ThenByDescending(job => job.Id, StringComparer.Ordinal).ToList();
            }
        }
    }

    /// <summary>Starts a service: state folder, key, recovery of earlier jobs, then the listener and the job runners.</summary>
    /// <exception cref="ServiceStartException">It cannot start; the message says why.</exception>
    public static PhotoGridService Start(PhotoGridServiceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (!IPAddress.TryParse(options.ListenAddress, out IPAddress? address))
        {
            throw new ServiceStartException(ServiceStartFailure.InvalidAddress, $"'{options.ListenAddress}' is not an IP address (for example 127.0.0.1, ::1 or 0.0.0.0).");
        }

        PhotoGridService? running = Active.FirstOrDefault(service => service.Port == options.Port && options.Port != 0);
        if (running is not null)
        {
            throw new ServiceStartException(ServiceStartFailure.PortInUse,
                $"A GridTsne service already listens on port {options.Port} in this session ({running.Url}, state '{running.StatePath}'). Stop it first (Stop-PhotoGridService -Port {options.Port}), or choose another -Port.");
        }

        string statePath = Path.GetFullPath(options.StatePath);
        options = options with { StatePath = statePath };
        FileStream stateLock = LockStateFolder(statePath);
        ServiceLog? log = null;
        HttpListener? listener = null;
        try
        {
            log = new ServiceLog(statePath);
            AccessKey key = AccessKey.LoadOrCreate(statePath, log);
            PhotoRoots roots;
            try
            {
                // The state folder holds the key: never served as a photo, even under a root.
                roots = new PhotoRoots(options.Roots, excluded: [statePath]);
            }
            catch (Exception ex) when (ex is DirectoryNotFoundException or ArgumentException or IOException)
            {
                throw new ServiceStartException(ServiceStartFailure.RootNotFound, ex.Message, ex);
            }

            ModelCatalog catalog;
            try
            {
                catalog = ModelCatalog.Load(options.ModelsDirectory);
            }
            catch (ModelLoadException ex)
            {
                throw new ServiceStartException(ServiceStartFailure.ModelsUnavailable, ex.Message, ex);
            }

            var store = new JobStore(statePath);
            (listener, int port) = Listen(address, options.Port);
            var service = new PhotoGridService(options, stateLock, log, key, roots, catalog, store, listener, port);
            service.Recover();
            service.Begin();
            return service;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            listener?.Close();
            log?.Dispose();
            stateLock.Dispose();
            throw new ServiceStartException(ServiceStartFailure.StateUnusable, $"The state folder '{statePath}' cannot be used: {ex.Message}", ex);
        }
        catch
        {
            listener?.Close();
            log?.Dispose();
            stateLock.Dispose();
            throw;
        }
    }

    /// <summary>Stops listening and cancels the running jobs (they become FAILED "interrupted"); returns within about a second.</summary>
    public void Stop()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        ActiveServices.TryRemove(this, out _);
        Log.Information("Stopping.");
        _stopping.Cancel();
        try
        {
            _listener.Stop();
            _listener.Close();
        }
        catch (ObjectDisposedException)
        {
            // Already closed.
        }

        // The runners see the cancellation at their next check (engine steps check well within a second).
        var deadline = DateTime.UtcNow + StopWait;
        bool allStopped = true;
        foreach (Thread runner in _runners)
        {
            TimeSpan left = deadline - DateTime.UtcNow;
            allStopped &= runner.Join(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        }

        if (allStopped)
        {
            ReleaseResources();
        }
        else
        {
            // A runner inside one long native call (a huge decode) finishes it on its own. Until it has, the
            // state folder stays locked and the model loaded, so no other service races it for job.json.
            Log.Warning("A job runner did not stop within a second; the state folder is released when it ends.");
            var waiter = new Thread(() =>
            {
                foreach (Thread runner in _runners)
                {
                    runner.Join();
                }

                ReleaseResources();
            })
            { IsBackground = true, Name = "GridTsne service shutdown" };
            waiter.Start();
        }
    }

    public void Dispose() => Stop();

    /// <summary>The job with this id, or null.</summary>
    public VisualizationJob? FindJob(string id)
    {
        lock (_jobs)
        {
            return _jobs.GetValueOrDefault(id);
        }
    }

    private static FileStream LockStateFolder(string statePath)
    {
        try
        {
            if (!Directory.Exists(statePath))
            {
                // Jobs name the user's photos: a folder made here is the user's alone (an existing one keeps its mode).
                if (OperatingSystem.IsWindows())
                {
                    Directory.CreateDirectory(statePath);
                }
                else
                {
                    Directory.CreateDirectory(statePath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new ServiceStartException(ServiceStartFailure.StateUnusable, $"The state folder '{statePath}' cannot be created: {ex.Message}", ex);
        }

        try
        {
            // FileShare.None is an exclusive lock that the system releases when the process ends, however it ends.
            return new FileStream(Path.Combine(statePath, "service.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex)
        {
            throw new ServiceStartException(ServiceStartFailure.StateInUse,
                $"Another GridTsne service (in this or another process) uses the state folder '{statePath}'. Stop it, or give -StatePath another folder.", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new ServiceStartException(ServiceStartFailure.StateUnusable, $"The state folder '{statePath}' cannot be written: {ex.Message}", ex);
        }
    }

    private static (HttpListener Listener, int Port) Listen(IPAddress address, int port)
    {
        // HttpListener cannot pick a port itself: for port 0 take one the system offers, and retry if it is taken meanwhile.
        int attempts = port == 0 ? 10 : 1;
        for (int attempt = 1; ; attempt++)
        {
            int candidate = port == 0 ? FreePort(address) : port;
            var listener = new HttpListener { IgnoreWriteExceptions = true };
            string host = address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) ? "+" : UrlHost(address.ToString());
            listener.Prefixes.Add(string.Create(CultureInfo.InvariantCulture, $"http://{host}:{candidate}/"));
            try
            {
                listener.Start();
                return (listener, candidate);
            }
            catch (HttpListenerException ex)
            {
                listener.Close();
                if (attempt < attempts)
                {
                    continue;
                }

                if (OperatingSystem.IsWindows() && ex.ErrorCode == AccessDeniedError)
                {
                    // http.sys lets administrators register a prefix, and others only after a URL reservation.
                    throw new ServiceStartException(ServiceStartFailure.PortInUse, string.Create(CultureInfo.InvariantCulture,
                        $"Windows refused to let this user listen on http://{host}:{candidate}/. Run once, as administrator: netsh http add urlacl url=http://{host}:{candidate}/ user=%USERNAME%"), ex);
                }

                throw new ServiceStartException(ServiceStartFailure.PortInUse, string.Create(CultureInfo.InvariantCulture,
                    $"Port {candidate} on {address} is in use (by another program, or a GridTsne service in another process): {ex.Message}. Choose another -Port, or -Port 0 for any free port."), ex);
            }
        }
    }

    private static int FreePort(IPAddress address)
    {
        using var probe = new TcpListener(address, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static string UrlHost(string address) =>
        IPAddress.TryParse(address, out IPAddress? ip) && ip.AddressFamily == AddressFamily.InterNetworkV6 ? "[" + ip + "]" : address;

    private void Begin()
    {
        ActiveServices.TryAdd(this, true);
        try
        {
            // The default model loads now, in the background, so that the first job does not wait for it.
            StartLoading(ModelCatalog.DefaultModelName).ContinueWith(
                task => Log.Error($"The model {ModelCatalog.DefaultModelName} cannot be loaded: {task.Exception!.InnerException!.Message}"),
                CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
        catch (ModelLoadException ex)
        {
            Log.Error($"The model {ModelCatalog.DefaultModelName} cannot be loaded: {ex.Message}");
        }

        foreach (Thread runner in _runners)
        {
            runner.Start();
        }

        _ = Task.Run(AcceptRequests);
        Log.Information(string.Create(CultureInfo.InvariantCulture,
            $"Listening on {Url}; roots {string.Join(", ", Roots.Folders.Select(root => "'" + root + "'"))}; queue limit {_options.QueueLimit}, {_options.MaxRunningJobs} job(s) at a time."));
    }

    private async Task AcceptRequests()
    {
        while (!_stopping.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                if (!_stopping.IsCancellationRequested)
                {
                    Log.Error($"The listener failed: {ex.Message}");
                }

                return;
            }

            _ = Task.Run(() => _handler.Handle(context));
        }
    }

    /// <summary>Once no runner uses them: unloads the models and releases the log and the state folder.</summary>
    private void ReleaseResources()
    {
        lock (_embedders)
        {
            foreach (Task<ImageEmbedder> loading in _embedders.Values)
            {
                // A model still loading is unloaded as soon as it is ready.
                loading.ContinueWith(task => task.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            }

            _embedders.Clear();
        }

        Log.Information("Stopped.");
        Log.Dispose();
        _stateLock.Dispose();
    }
}
