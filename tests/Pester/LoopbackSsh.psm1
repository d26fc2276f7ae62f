<#
    A private OpenSSH server on 127.0.0.1 with a PowerShell subsystem, for testing (and benchmarking) real
    SSH remoting on one machine: its own sshd_config, host key, client key and known_hosts in a temporary
    folder, on a free high port. Nothing outside that folder is touched except /run/sshd, the privilege
    separation directory sshd insists on (created if missing, as the Debian service would).
#>

function Get-SshdPath {
    foreach ($candidate in '/usr/sbin/sshd', '/usr/local/sbin/sshd') {
        if (Test-Path -LiteralPath $candidate) { return $candidate }
    }
    $command = Get-Command sshd -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    if ($command) { return $command.Source }
    throw 'OpenSSH server (sshd) is not installed; .ci/run installs the Debian openssh-server package.'
}

function Get-FreeLoopbackPort {
    $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
    $listener.Start()
    try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
}

function Invoke-SshKeygen([string] $Path) {
    $output = & ssh-keygen -q -t ed25519 -N '' -C 'gridtsne-test' -f $Path 2>&1
    if ($LASTEXITCODE -ne 0) { throw "ssh-keygen failed: $output" }
}

function Start-LoopbackSshd {
    <#
    .SYNOPSIS
        Starts sshd on 127.0.0.1 with a pwsh subsystem; returns the object New-LoopbackSession and
        Stop-LoopbackSshd take.
    #>
    [CmdletBinding()]
    param(
        # The pwsh the subsystem runs; by default the one on PATH.
        [string] $PwshPath = (Get-Command pwsh -CommandType Application | Select-Object -First 1).Source,
        [int] $TimeoutSeconds = 30
    )
    $sshd = Get-SshdPath
    $folder = Join-Path ([IO.Path]::GetTempPath()) ("gridtsne-sshd-" + [Guid]::NewGuid().ToString('N'))
    $null = New-Item -ItemType Directory -Path $folder
    # sshd refuses key files that others can read; ssh-keygen makes them 0600, the folder is made private too.
    if (-not $IsWindows) { & chmod 700 $folder }
    $hostKey = Join-Path $folder 'host_ed25519'
    $clientKey = Join-Path $folder 'client_ed25519'
    Invoke-SshKeygen $hostKey
    Invoke-SshKeygen $clientKey
    Copy-Item -LiteralPath "$clientKey.pub" -Destination (Join-Path $folder 'authorized_keys')
    if (-not $IsWindows -and -not (Test-Path -LiteralPath '/run/sshd')) {
        $null = New-Item -ItemType Directory -Path '/run/sshd'
        & chmod 755 '/run/sshd'
    }

    # The subsystem's environment is sshd's, not this shell's: pass on what pwsh and ONNX Runtime need.
    $environment = [ordered]@{ ORT_DISABLE_TELEMETRY = '1' }
    if ($env:DOTNET_ROOT) { $environment.DOTNET_ROOT = $env:DOTNET_ROOT }
    $setEnv = ($environment.GetEnumerator() | ForEach-Object { "$($_.Key)=$($_.Value)" }) -join ' '

    $user = [Environment]::UserName
    for ($attempt = 1; ; $attempt++) {
        $port = Get-FreeLoopbackPort
        $config = Join-Path $folder 'sshd_config'
        @(
            "ListenAddress 127.0.0.1"
            "Port $port"
            "HostKey $hostKey"
            "PidFile $(Join-Path $folder 'sshd.pid')"
            "AuthorizedKeysFile $(Join-Path $folder 'authorized_keys')"
            "AllowUsers $user"
            "PubkeyAuthentication yes"
            "PasswordAuthentication no"
            "KbdInteractiveAuthentication no"
            "PermitRootLogin prohibit-password"
            "UsePAM no"
            "StrictModes no"
            "LogLevel ERROR"
            "SetEnv $setEnv"
            "Subsystem powershell $PwshPath -sshs -NoLogo -NoProfile"
        ) | Set-Content -LiteralPath $config -Encoding ascii

        $log = Join-Path $folder "sshd-$attempt.log"
        # -D: stay in the foreground, so the process we hold is the listener; -E: log to a file. Its standard
        # streams are pipes of its own: inheriting this process's output would keep a caller reading it (build.ps1)
        # waiting for as long as sshd lives.
        $start = [Diagnostics.ProcessStartInfo]::new($sshd)
        foreach ($argument in '-D', '-f', $config, '-E', $log) { $start.ArgumentList.Add($argument) }
        $start.UseShellExecute = $false
        $start.RedirectStandardInput = $true
        $start.RedirectStandardOutput = $true
        $start.RedirectStandardError = $true
        $process = [Diagnostics.Process]::Start($start)
        $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
        $listening = $false
        while (-not $process.HasExited -and [DateTime]::UtcNow -lt $deadline) {
            $client = [Net.Sockets.TcpClient]::new()
            try { $client.Connect([Net.IPAddress]::Loopback, $port); $listening = $true } catch { } finally { $client.Dispose() }
            if ($listening) { break }
            Start-Sleep -Milliseconds 50
        }
        if ($listening) { break }
        if (-not $process.HasExited) { $process.Kill() }
        $reason = if (Test-Path -LiteralPath $log) { (Get-Content -LiteralPath $log -Raw) } else { '' }
        # Another process may have taken the port between the probe and sshd's bind: try another one.
        if ($attempt -ge 3) {
            Remove-Item -LiteralPath $folder -Recurse -Force -ErrorAction SilentlyContinue
            throw "sshd did not start listening on 127.0.0.1:$port. $reason"
        }
    }

    $publicHostKey = (Get-Content -LiteralPath "$hostKey.pub" -Raw).Trim() -split ' '
    $knownHosts = Join-Path $folder 'known_hosts'
    "[127.0.0.1]:$port $($publicHostKey[0]) $($publicHostKey[1])" | Set-Content -LiteralPath $knownHosts -Encoding ascii

    [pscustomobject]@{
        PSTypeName = 'GridTsne.Test.LoopbackSshd'
        Process    = $process
        Port       = $port
        Folder     = $folder
        KeyFile    = $clientKey
        KnownHosts = $knownHosts
        UserName   = $user
    }
}

function New-LoopbackSession {
    <# Opens PowerShell sessions over SSH to a loopback sshd, checking its host key against the generated one. #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [psobject] $Server,
        [int] $Count = 1,
        [string] $Name
    )
    $options = @{ UserKnownHostsFile = $Server.KnownHosts; StrictHostKeyChecking = 'yes'; BatchMode = 'yes' }
    for ($index = 0; $index -lt $Count; $index++) {
        $parameters = @{
            HostName    = '127.0.0.1'
            Port        = $Server.Port
            UserName    = $Server.UserName
            KeyFilePath = $Server.KeyFile
            Options     = $options
        }
        if ($Name) { $parameters.Name = if ($Count -gt 1) { "$Name$($index + 1)" } else { $Name } }
        New-PSSession @parameters -ErrorAction Stop
    }
}

function Remove-LoopbackSession {
    <#
    .SYNOPSIS
        Removes sessions from another runspace and waits for that at most -TimeoutSeconds; returns whether the
        removal finished. With the CPU busy, Remove-PSSession of a session that was running a pipeline can block
        for good inside PowerShell's own RemoteRunspace.Close, so a test never waits for it without a limit.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [AllowEmptyCollection()] [System.Management.Automation.Runspaces.PSSession[]] $Session,
        # 0 starts the removal and returns at once.
        [int] $TimeoutSeconds = 60
    )
    # One runspace per session, all at once: Remove-PSSession closes its sessions one after another, and one
    # close that blocks would hold back the others.
    $removals = foreach ($one in $Session) {
        $shell = [powershell]::Create()
        $null = $shell.AddCommand('Remove-PSSession').AddParameter('Session', $one)
        # The shell is not disposed: disposing one that is still running waits for it.
        $shell.BeginInvoke()
    }
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    foreach ($removal in $removals) {
        $left = [Math]::Max(0, ($deadline - [DateTime]::UtcNow).TotalMilliseconds)
        if (-not $removal.AsyncWaitHandle.WaitOne([int] $left)) { return $false }
    }
    $true
}

function Stop-LoopbackSshd {
    <# Stops the sshd (sessions opened through it end with it) and deletes its folder. #>
    [CmdletBinding()]
    param([Parameter(Mandatory, ValueFromPipeline)] [AllowNull()] [psobject] $Server)
    process {
        if ($null -eq $Server) { return }
        if (-not $Server.Process.HasExited) {
            $Server.Process.Kill($true)
            $null = $Server.Process.WaitForExit(10000)
        }
        Remove-Item -LiteralPath $Server.Folder -Recurse -Force -ErrorAction SilentlyContinue
    }
}

Export-ModuleMember -Function Start-LoopbackSshd, New-LoopbackSession, Remove-LoopbackSession, Stop-LoopbackSshd
