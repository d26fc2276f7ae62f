using System.Management.Automation;
using GridTsne.Infrastructure;
using EngineService = GridTsne.Engine.Service.PhotoGridService;

namespace GridTsne.Commands;

/// <summary>Get-PhotoGridService: the services running in this process.</summary>
[Cmdlet(VerbsCommon.Get, "PhotoGridService")]
[OutputType(typeof(PhotoGridService))]
public sealed class GetPhotoGridServiceCommand : PSCmdlet
{
    /// <summary>Only the services on these ports.</summary>
    [Parameter(Position = 0)]
    [ValidateRange(1, 65535)]
    public int[]? Port { get; set; }

    protected override void EndProcessing()
    {
        foreach (EngineService service in EngineService.Active)
        {
            if (Port is null || Port.Contains(service.Port))
            {
                WriteObject(new PhotoGridService(service));
            }
        }

        if (Port is not null)
        {
            foreach (int port in Port.Where(port => !EngineService.Active.Any(service => service.Port == port)))
            {
                WriteError(new ErrorRecord(new ItemNotFoundException($"No GridTsne service listens on port {port} in this session."),
                    ErrorIds.ServiceNotFound, ErrorCategory.ObjectNotFound, port));
            }
        }
    }
}
