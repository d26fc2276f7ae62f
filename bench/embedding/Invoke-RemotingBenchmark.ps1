#Requires -Version 7.4
<#
.SYNOPSIS
    Benchmarks Get-ImageEmbedding -Session over SSH remoting against a local run, side by side.

.DESCRIPTION
    Starts a private sshd on 127.0.0.1 (tests/Pester/LoopbackSsh.psm1), opens two sessions into this same
    computer with the module imported, and embeds the same photos (by default the first -Count JPEGs of
    ../shared/data/imagenet-sample) three ways, interleaved run by run so that machine load affects all alike:
      local       Get-ImageEmbedding in this process;
      1 session   Get-ImageEmbedding -Session with one session (the transport's cost: the same CPUs do the work);
      2 sessions  with both sessions (on one computer they share its cores, so this shows the coordination cost,
                  not a speed-up).
    Every case runs once first to warm up (model load, JIT), then -Runs times; medians are reported. The CPU time
    this process spends per photo during the remote runs (receiving, decoding and writing results) bounds how
    many computers one caller can keep busy; the CPU time of all processes per photo (this one and the
    sessions' pwsh) shows what the transport costs whatever else loads the machine. Target: 1 session >= 0.85 x local. Results also go to
    out/bench/remoting.json.

.EXAMPLE
    pwsh bench/embedding/Invoke-RemotingBenchmark.ps1 -Count 400 -Runs 5
#>
[CmdletBinding()]
param(
    # The photos; by default imagenet-sample in a 'shared/data' folder beside the repository or above it.
    [string] $ImageDirectory,

    [ValidateRange(16, 100000)]
    [int] $Count = 400,

    [ValidateRange(1, 50)]
    [int] $Runs = 5,

    [int] $BatchSize = 16
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
Import-Module (Join-Path $PSScriptRoot '../BenchStatistics.psm1') -Force
$root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$manifest = Join-Path $root 'GridTsne.psd1'
$ImageDirectory = Find-ImageNetSample $ImageDirectory $root
$photos = @(Get-ChildItem -LiteralPath $ImageDirectory -File -Filter '*.JPEG' | Sort-Object Name | Select-Object -First $Count).FullName
if ($photos.Count -lt $Count) { $photos = @(Get-ChildItem -LiteralPath $ImageDirectory -File | Sort-Object Name | Select-Object -First $Count).FullName }

Import-Module $manifest
Import-Module (Join-Path $root 'tests/Pester/LoopbackSsh.psm1')
$server = Start-LoopbackSshd
try {
    $sessions = @(New-LoopbackSession $server -Count 2 -Name 'Bench')
    Invoke-Command -Session $sessions { param($Manifest) Import-Module $Manifest } -ArgumentList $manifest
    $cases = [ordered]@{
        'local'      = { Get-ImageEmbedding -LiteralPath $photos -BatchSize $BatchSize }
        '1 session'  = { Get-ImageEmbedding -LiteralPath $photos -BatchSize $BatchSize -Session $sessions[0] }
        '2 sessions' = { Get-ImageEmbedding -LiteralPath $photos -BatchSize $BatchSize -Session $sessions }
    }
    $self = [Diagnostics.Process]::GetCurrentProcess()
    $rates = @{}; $cpu = @{}; $totalCpu = @{}
    foreach ($name in $cases.Keys) {
        $rates[$name] = [Collections.Generic.List[double]]::new()
        $cpu[$name] = [Collections.Generic.List[double]]::new()
        $totalCpu[$name] = [Collections.Generic.List[double]]::new()
    }
    function Get-SessionCpuMilliseconds { (Invoke-Command -Session $sessions { [Diagnostics.Process]::GetCurrentProcess().TotalProcessorTime.TotalMilliseconds } | Measure-Object -Sum).Sum }
    $loadBefore = Get-LoadAverage
    for ($run = 0; $run -le $Runs; $run++) {
        foreach ($name in $cases.Keys) {
            $sessionCpuBefore = Get-SessionCpuMilliseconds
            $self.Refresh()
            $cpuBefore = $self.TotalProcessorTime
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $result = & $cases[$name]
            $clock.Stop()
            $self.Refresh()
            $callerCpu = ($self.TotalProcessorTime - $cpuBefore).TotalMilliseconds
            $sessionCpu = (Get-SessionCpuMilliseconds) - $sessionCpuBefore
            if (@($result).Count -ne $photos.Count) { throw "$name gave $(@($result).Count) embeddings for $($photos.Count) photos." }
            if ($run -eq 0) { continue } # warm-up
            $rates[$name].Add($photos.Count / $clock.Elapsed.TotalSeconds)
            $cpu[$name].Add($callerCpu / $photos.Count)
            $totalCpu[$name].Add(($callerCpu + $sessionCpu) / $photos.Count)
            Write-Host ("run {0}  {1,-10}  {2,6:0.0} photos/s  caller CPU {3,5:0.0} ms/photo  all processes {4,5:0.0} ms/photo" -f $run, $name, $rates[$name][-1], $cpu[$name][-1], $totalCpu[$name][-1])
        }
    }
    $loadAfter = Get-LoadAverage
    $summary = foreach ($name in $cases.Keys) {
        [pscustomobject]@{
            Case              = $name
            PhotosPerSecond   = [math]::Round((Get-Median $rates[$name]), 1)
            VersusLocal       = [math]::Round((Get-Median $rates[$name]) / (Get-Median $rates['local']), 2)
            CallerCpuMsPerPhoto = [math]::Round((Get-Median $cpu[$name]), 2)
            AllCpuMsPerPhoto    = [math]::Round((Get-Median $totalCpu[$name]), 1)
        }
    }
    $summary | Format-Table -AutoSize | Out-String | Write-Host
    Write-Host "Photos: $($photos.Count) from $ImageDirectory; batch $BatchSize; medians of $Runs runs after a warm-up; cores: $([Environment]::ProcessorCount)"
    Write-Host "Load average before: $loadBefore; after: $loadAfter"
    $out = Join-Path $root 'out/bench'
    $null = New-Item -ItemType Directory -Path $out -Force
    [pscustomobject]@{ Photos = $photos.Count; Runs = $Runs; BatchSize = $BatchSize; LoadBefore = $loadBefore; LoadAfter = $loadAfter; Cases = $summary } |
        ConvertTo-Json -Depth 4 | Set-Content -LiteralPath (Join-Path $out 'remoting.json')
}
finally {
    Get-PSSession | Remove-PSSession
    Stop-LoopbackSshd $server
}
