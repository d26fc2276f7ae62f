using System.Diagnostics.CodeAnalysis;
using System.Management.Automation;
using System.Management.Automation.Remoting;
using System.Management.Automation.Runspaces;
using GridTsne.Infrastructure;

namespace GridTsne.Remoting;

/// <summary>A session that passed <see cref="RemoteSessionCheck"/>.</summary>
/// <param name="Session">The user's session; it stays theirs (never closed here).</param>
/// <param name="Description">How messages name it: 'Name' (computer).</param>
/// <param name="ModulePath">Where GridTsne was loaded from there.</param>
/// <param name="ImportedNow">True when the check imported GridTsne into the session.</param>
internal sealed record CheckedSession(PSSession Session, string Description, string ModulePath, bool ImportedNow);

/// <summary>
/// Checks every session before any photo goes out, all at once: it must be open and idle, have GridTsne of
/// this very version (imported there now if installed but not loaded), and load the same model file, by
/// SHA-256, as this computer's catalog (or -ModelPath file) names. Any failure ends the command with an error
/// that names the session and what is missing.
/// </summary>
internal static class RemoteSessionCheck
{
    private const string CheckScript = """
        param([string] $Version, [string] $Model, [string] $ModelPath)
        $module = Get-Module GridTsne | Select-Object -First 1
        $imported = $false
        $importError = $null
        if (-not $module) {
            try {
                $module = Import-Module GridTsne -RequiredVersion $Version -PassThru -ErrorAction Stop | Select-Object -First 1
                $imported = $true
            }
            catch { $importError = $_.Exception.Message }
        }
        $installed = if (-not $module) { @(Get-Module -ListAvailable GridTsne | ForEach-Object { "$($_.Version) ($($_.Path))" }) -join '; ' }
        $fingerprint = $null
        $modelError = $null
        if ($module -and $module.Version -eq [version] $Version) {
            try { $fingerprint = [GridTsne.Remoting.RemoteModelFingerprint]::OfSessionModel($Model, $ModelPath) }
            catch { $modelError = if ($_.Exception.InnerException) { $_.Exception.InnerException.Message } else { $_.Exception.Message } }
        }
        [pscustomobject]@{
            Version     = if ($module) { "$($module.Version)" } else { '' }
            ModulePath  = if ($module) { $module.Path } else { '' }
            Imported    = $imported
            ImportError = $importError
            Installed   = $installed
            Fingerprint = $fingerprint
            ModelError  = $modelError
        }
        """;

    /// <summary>
    /// Checks the distinct sessions in parallel against <paramref name="reference"/> (<see cref="RemoteModelFingerprint.OfReference"/>);
    /// returns them in the order given, or stops the cmdlet with the first failure.
    /// </summary>
    public static IReadOnlyList<CheckedSession> Check(GridTsneCmdlet cmdlet, IEnumerable<PSSession> sessions, string? model, string? modelPath, string reference, CancellationToken cancellationToken)
    {
        List<PSSession> distinct = sessions.Where(session => session is not null).DistinctBy(session => session.InstanceId).ToList();
        foreach (PSSession session in distinct)
        {
            RunspaceState state = session.Runspace.RunspaceStateInfo.State;
            if (state != RunspaceState.Opened)
            {
                cmdlet.Terminate(new PSInvalidOperationException($"Session {Describe(session)} is {state}, not open; open a new one with New-PSSession."),
                    ErrorIds.SessionNotOpen, ErrorCategory.ResourceUnavailable, session);
            }

            if (session.Runspace.RunspaceAvailability != RunspaceAvailability.Available)
            {
                cmdlet.Terminate(new PSInvalidOperationException($"Session {Describe(session)} is busy running another command; wait for it or use another session."),
                    ErrorIds.SessionBusy, ErrorCategory.ResourceBusy, session);
            }
        }

        string version = cmdlet.MyInvocation.MyCommand.Module?.Version.ToString() ?? typeof(RemoteSessionCheck).Assembly.GetName().Version!.ToString(3);
        var checks = distinct.Select(session => Start(session, version, model, modelPath)).ToList();
        var checkedSessions = new List<CheckedSession>();
        try
        {
            foreach ((PSSession session, PowerShell shell, IAsyncResult pending) in checks)
            {
                WaitHandle.WaitAny([pending.AsyncWaitHandle, cancellationToken.WaitHandle]);
                cancellationToken.ThrowIfCancellationRequested();
                PSObject? answer = null;
                try
                {
                    answer = shell.EndInvoke(pending).FirstOrDefault();
                }
                catch (Exception ex) when (ex is RuntimeException or PSRemotingTransportException or InvalidRunspaceStateException)
                {
                    cmdlet.Terminate(new PSInvalidOperationException($"Session {Describe(session)} could not be checked: {ex.Message}", ex),
                        ErrorIds.SessionCheckFailed, ErrorCategory.ResourceUnavailable, session);
                }

                checkedSessions.Add(Judge(cmdlet, session, answer, version, reference));
            }
        }
        finally
        {
            foreach ((_, PowerShell shell, IAsyncResult pending) in checks)
            {
                if (!pending.IsCompleted)
                {
                    shell.Stop();
                }

                shell.Dispose();
            }
        }

        return checkedSessions;
    }

    /// <summary>'Name' (computer), as every message names a session.</summary>
    public static string Describe(PSSession session) => $"'{session.Name}' ({session.ComputerName})";

    private static (PSSession, PowerShell, IAsyncResult) Start(PSSession session, string version, string? model, string? modelPath)
    {
        PowerShell shell = PowerShell.Create();
        shell.Runspace = session.Runspace;
        shell.AddScript(CheckScript).AddArgument(version).AddArgument(model ?? string.Empty).AddArgument(modelPath ?? string.Empty);
        return (session, shell, shell.BeginInvoke());
    }

    private static CheckedSession Judge(GridTsneCmdlet cmdlet, PSSession session, PSObject? answer, string version, string reference)
    {
        string Text(string name) => answer?.Properties[name]?.Value?.ToString() ?? string.Empty;
        string where = Describe(session);
        string loaded = Text("Version");
        if (loaded.Length == 0)
        {
            string installed = Text("Installed");
            string detail = installed.Length == 0
                ? "no version of it is installed there"
                : $"the versions installed there are {installed}";
            Fail(cmdlet, session, ErrorIds.SessionModuleMissing, ErrorCategory.ObjectNotFound,
                $"Session {where} has no GridTsne {version}: it is not imported in the session, and {detail}. Install GridTsne {version} on that computer, or import it in the session first (Invoke-Command -Session $session {{ Import-Module <path>/GridTsne.psd1 }}).");
        }

        if (!string.Equals(loaded, version, StringComparison.Ordinal) && Version.TryParse(loaded, out Version? remote) && remote != Version.Parse(version))
        {
            Fail(cmdlet, session, ErrorIds.SessionModuleVersionMismatch, ErrorCategory.InvalidOperation,
                $"Session {where} runs GridTsne {loaded} ({Text("ModulePath")}), this computer {version}; both sides must run the same version. Open a new session and import GridTsne {version} there.");
        }

        string modelError = Text("ModelError");
        if (modelError.Length > 0)
        {
            Fail(cmdlet, session, ErrorIds.SessionModelUnavailable, ErrorCategory.ObjectNotFound, $"Session {where} cannot load the model: {modelError}");
        }

        string fingerprint = Text("Fingerprint");
        if (!string.Equals(fingerprint, reference, StringComparison.Ordinal))
        {
            Fail(cmdlet, session, ErrorIds.SessionModelMismatch, ErrorCategory.InvalidData,
                $"Session {where} would embed with {fingerprint}, but this computer's model is {reference}; vectors of different model versions cannot be mixed. Install the same GridTsne build there (./build.ps1 restores the built-in models).");
        }

        return new CheckedSession(session, where, Text("ModulePath"), answer?.Properties["Imported"]?.Value is true);
    }

    [DoesNotReturn]
    private static void Fail(GridTsneCmdlet cmdlet, PSSession session, string errorId, ErrorCategory category, string message) =>
        cmdlet.Terminate(new PSInvalidOperationException(message), errorId, category, session);
}
