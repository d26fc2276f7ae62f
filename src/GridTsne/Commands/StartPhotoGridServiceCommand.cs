using System.Management.Automation;
using GridTsne.Engine.Service;
using GridTsne.Infrastructure;
using EngineService = GridTsne.Engine.Service.PhotoGridService;

namespace GridTsne.Commands;

/// <summary>
/// Start-PhotoGridService: serves the asynchronous visualizations API (POST a job, poll it, fetch its image)
/// from this pwsh process until Stop-PhotoGridService or the process ends. All the work is the engine's
/// (GridTsne.Engine.Service); this cmdlet only binds, resolves paths and reports.
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "PhotoGridService", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(PhotoGridService))]
public sealed class StartPhotoGridServiceCommand : GridTsneCmdlet
{
    /// <summary>TCP port; 0 picks any free port.</summary>
    [Parameter]
    [ValidateRange(0, 65535)]
    public int Port { get; set; } = PhotoGridServiceOptions.DefaultPort;

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string ListenAddress { get; set; } = "127.0.0.1";

    /// <summary>The only folders whose photos clients may request.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string[] Root { get; set; } = [];

    /// <summary>Jobs, outputs, the access key and the log; by default GridTsne/service in the user's local application data folder.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? StatePath { get; set; }

    /// <summary>Jobs that may wait to run; one more is refused with HTTP 429.</summary>
    [Parameter]
    [ValidateRange(0, 100_000)]
    public int QueueLimit { get; set; } = 16;

    /// <summary>Jobs that run at once; each uses every core.</summary>
    [Parameter]
    [ValidateRange(1, 64)]
    public int MaxRunningJobs { get; set; } = 1;

    /// <summary>Largest request body in bytes; a larger one is refused with HTTP 413.</summary>
    [Parameter]
    [ValidateRange(1024L, 1L << 30)]
    public long MaxRequestBytes { get; set; } = 4L << 20;

    /// <summary>The default state folder.</summary>
    internal static string DefaultStatePath { get; } =
        System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify), "GridTsne", "service");

    protected override void EndProcessing()
    {
        string state = StatePath is null ? DefaultStatePath : ProviderPaths.ResolveOutput(this, StatePath);
        var roots = Root.Select(root => ProviderPaths.ResolveOutput(this, root)).ToList();
        if (!ShouldProcess($"{ListenAddress}:{Port}", $"Serve photos of {string.Join(", ", roots)} with the state in '{state}'"))
        {
            return;
        }

        var options = new PhotoGridServiceOptions
        {
            Port = Port,
            ListenAddress = ListenAddress,
            Roots = roots,
            StatePath = state,
            ModelsDirectory = GetImageEmbeddingCommand.ModelsDirectory,
            QueueLimit = QueueLimit,
            MaxRunningJobs = MaxRunningJobs,
            MaxRequestBytes = MaxRequestBytes,
            ImageErrorId = ImageErrors.ErrorId,
            PathOutsideRootsErrorId = ErrorIds.PathOutsideRoots,
        };
        EngineService? service = null;
        try
        {
            service = EngineService.Start(options);
        }
        catch (ServiceStartException ex)
        {
            (string id, ErrorCategory category) = ex.Failure switch
            {
                ServiceStartFailure.PortInUse => (ErrorIds.ServicePortInUse, ErrorCategory.ResourceBusy),
                ServiceStartFailure.StateInUse => (ErrorIds.ServiceStateInUse, ErrorCategory.ResourceBusy),
                ServiceStartFailure.RootNotFound => (ErrorIds.ServiceRootNotFound, ErrorCategory.ObjectNotFound),
                ServiceStartFailure.InvalidAddress => (ErrorIds.ServiceAddressInvalid, ErrorCategory.InvalidArgument),
                ServiceStartFailure.ModelsUnavailable => (ErrorIds.ServiceModelsUnavailable, ErrorCategory.ResourceUnavailable),
                _ => (ErrorIds.ServiceStateUnusable, ErrorCategory.WriteError),
            };
            Terminate(ex, id, category, ex.Failure == ServiceStartFailure.RootNotFound ? Root : $"{ListenAddress}:{Port}");
        }

        WriteVerbose($"Listening on {service.Url}; state and log in '{service.StatePath}'.");
        WriteObject(new PhotoGridService(service));
    }
}
