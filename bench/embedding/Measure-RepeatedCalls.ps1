#Requires -Version 7.4
<#
.SYNOPSIS
    Get-ImageEmbedding over the same folder several times in one fresh pwsh: how many photos it takes before
    .NET has compiled the hot paths at full optimization (what separates a "warm" second call from a steady one).

.DESCRIPTION
    Prints, for each call: photos per second, CPU ms per photo (all threads of the process) and the garbage
    collections so far. The camera benchmark's "warm" figure is the second call; on a small set that call still
    runs partly in code .NET is recompiling in the background, which this shows.

.EXAMPLE
    pwsh bench/embedding/Measure-RepeatedCalls.ps1 -PhotoDirectory out/bench/camera-48 -Calls 6
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)]
    [string] $PhotoDirectory,

    [ValidateRange(1, 50)]
    [int] $Calls = 5,

    [ValidateSet('ResNet18', 'ResNet18-Int8')]
    [string] $Model = 'ResNet18'
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
Import-Module (Join-Path $PSScriptRoot '../BenchStatistics.psm1') -Force
$root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$pwsh = (Get-Command pwsh -CommandType Application | Select-Object -First 1).Source
$directory = (Resolve-Path $PhotoDirectory).Path
$script = @"
Import-Module '$((Join-Path $root 'GridTsne.psd1') -replace "'", "''")'
`$process = Get-Process -Id `$PID
foreach (`$call in 1..$Calls) {
    `$process.Refresh(); `$cpu = `$process.TotalProcessorTime
    `$clock = [Diagnostics.Stopwatch]::StartNew()
    `$count = (Get-ChildItem -LiteralPath '$($directory -replace "'", "''")' -File | Get-ImageEmbedding -Model '$Model' | Measure-Object).Count
    `$clock.Stop(); `$process.Refresh()
    'call {0}: {1} photos, {2:0.0} photos/s, {3:0.0} CPU ms per photo, collections gen0 {4} gen1 {5} gen2 {6}' -f ``
        `$call, `$count, (`$count / `$clock.Elapsed.TotalSeconds), ((`$process.TotalProcessorTime - `$cpu).TotalMilliseconds / `$count),
        [GC]::CollectionCount(0), [GC]::CollectionCount(1), [GC]::CollectionCount(2)
}
"@
Write-Host "Load average before: $(Get-LoadAverage)"
& $pwsh -NoProfile -NonInteractive -Command $script
if ($LASTEXITCODE -ne 0) { throw 'Get-ImageEmbedding failed.' }
Write-Host "Load average after: $(Get-LoadAverage)"
