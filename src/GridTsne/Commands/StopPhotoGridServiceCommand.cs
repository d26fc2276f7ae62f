using System.Management.Automation;
using GridTsne.Infrastructure;
using EngineService = GridTsne.Engine.Service.PhotoGridService;

namespace GridTsne.Commands;

/// <summary>
/// Stop-PhotoGridService: stops services of this process within about a second. A running job is canceled
/// and becomes FAILED "interrupted"; waiting jobs stay queued for the next start on the same state folder.
/// </summary>
[Cmdlet(VerbsLifecycle.Stop, "PhotoGridService", SupportsShouldProcess = true, DefaultParameterSetName = InputSet)]
public sealed class StopPhotoGridServiceCommand : PSCmdlet
{
    private const string InputSet = "InputObject";
    private const string PortSet = "Port";

    /// <summary>Services from Start- or Get-PhotoGridService; without it and -Port, every service of this process.</summary>
    [Parameter(ValueFromPipeline = true, ParameterSetName = InputSet)]
    public PhotoGridService[]? InputObject { get; set; }

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PortSet)]
    [ValidateRange(1, 65535)]
    public int[] Port { get; set; } = [];

    private bool _sawInput;

    protected override void ProcessRecord()
    {
        if (ParameterSetName == PortSet)
        {
            foreach (int port in Port)
            {
                EngineService? service = EngineService.Active.FirstOrDefault(candidate => candidate.Port == port);
                if (service is null)
                {
                    WriteError(new ErrorRecord(new ItemNotFoundException($"No GridTsne service listens on port {port} in this session."),
                        ErrorIds.ServiceNotFound, ErrorCategory.ObjectNotFound, port));
                    continue;
                }

                StopOne(service);
            }

            return;
        }

        if (InputObject is null)
        {
            return;
        }

        _sawInput = true;
        foreach (PhotoGridService service in InputObject)
        {
            StopOne(service.Service);
        }
    }

    protected override void EndProcessing()
    {
        // Without -InputObject or -Port: every service of this process.
        if (ParameterSetName == InputSet && !_sawInput && !MyInvocation.BoundParameters.ContainsKey(nameof(InputObject)))
        {
            foreach (EngineService service in EngineService.Active)
            {
                StopOne(service);
            }
        }
    }

    private void StopOne(EngineService service)
    {
        if (service.IsRunning && ShouldProcess(service.Url, "Stop the GridTsne service, canceling its running job"))
        {
            service.Stop();
            WriteVerbose($"Stopped the service at {service.Url}.");
        }
    }
}
