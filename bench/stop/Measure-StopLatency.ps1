#Requires -Version 7.4
<#
.SYNOPSIS
    Measures how long a pipeline stop (Ctrl+C) takes to end each long-running cmdlet: the speed half of the
    cancellation tests, which only check that a stop ends the command at all.

.DESCRIPTION
    Each case runs in a PowerShell of this process with the module imported, is stopped once it is visibly
    at work, and the time PowerShell.Stop() takes is recorded. The cases alternate, and the median of
    -Runs runs is reported with the load average. Target: under a second for every cmdlet.
#>
param([int] $Runs = 5)

$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot '../BenchStatistics.psm1') -Force
$root = Resolve-Path (Join-Path $PSScriptRoot '../..')
$manifest = Join-Path $root 'GridTsne.psd1'
$photos = @(Get-ChildItem (Join-Path $root 'samples/photos') -File | Sort-Object Name).FullName
$paths = @(1..8 | ForEach-Object { $photos }) # 2048 photos: far more than a stop lets through
$random = [Random]::new(1)
$vectors = foreach ($i in 1..3000) { [pscustomobject]@{ Path = "p$i"; Vector = [float[]](1..30 | ForEach-Object { ($i % 7) + $random.NextDouble() }) } }
$cells = foreach ($i in 0..1023) { [pscustomobject]@{ Path = $paths[$i]; Row = [math]::Floor($i / 32); Column = $i % 32 } }
# 22,500 cells of 16 numbers: seconds of layout optimization.
$layout = foreach ($i in 0..22499) { [pscustomobject]@{ Row = [math]::Floor($i / 150); Column = $i % 150; Vector = [float[]](1..16 | ForEach-Object { $random.NextDouble() }) } }
$target = Join-Path ([IO.Path]::GetTempPath()) "gridtsne-stop-$PID.png"

$cases = [ordered]@{
    'Get-ImageEmbedding' = @{ Script = { param($Items) $Items | Get-ImageEmbedding }; Input = $paths; Until = { param($Shell, $Output) $Output.Count -ge 20 } }
    'Invoke-Tsne'        = @{ Script = { param($Items) $Items | Invoke-Tsne -Method BarnesHut -Iterations 100000 }; Input = $vectors
        Until = { param($Shell, $Output) [bool]($Shell.Streams.Progress | Where-Object StatusDescription -like '*iteration*') } }
    'Optimize-GridLayout' = @{ Script = { param($Items) $Items | Optimize-GridLayout }; Input = $layout
        Until = { param($Shell, $Output) $Shell.Streams.Progress.Count -gt 0 } }
    'Export-PhotoGrid'   = @{ Script = { param($Items, $Target) $Items | Export-PhotoGrid $Target -TileSize 256 }; Input = $cells; Target = $target
        Until = { param($Shell, $Output) [bool]($Shell.Streams.Progress | Where-Object StatusDescription -like 'Tile*') } }
}

$times = @{}
foreach ($name in $cases.Keys) { $times[$name] = [Collections.Generic.List[double]]::new() }
for ($run = 1; $run -le $Runs; $run++) {
    foreach ($name in $cases.Keys) {
        $case = $cases[$name]
        $shell = [powershell]::Create()
        try {
            $null = $shell.AddScript("Import-Module '$manifest'; & { $($case.Script) } @args").AddArgument($case.Input)
            if ($case.Target) { $null = $shell.AddArgument($case.Target) }
            $output = [Management.Automation.PSDataCollection[psobject]]::new()
            $running = $shell.BeginInvoke([Management.Automation.PSDataCollection[psobject]]::new(), $output)
            while (-not $running.IsCompleted -and -not (& $case.Until $shell $output)) { Start-Sleep -Milliseconds 5 }
            if ($running.IsCompleted) { Write-Warning "$name finished before it could be stopped."; continue }
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $shell.Stop()
            $times[$name].Add($clock.Elapsed.TotalMilliseconds)
        }
        finally {
            $shell.Dispose()
            Remove-Item -LiteralPath $target -ErrorAction SilentlyContinue
        }
    }
}

$load = Get-LoadAverage
"Stop latency, median of $Runs runs (load average $load):"
foreach ($name in $cases.Keys) {
    $sorted = @($times[$name] | Sort-Object)
    if ($sorted.Count -eq 0) { continue }
    '{0,-20} {1,7:0} ms   (runs: {2})' -f $name, $sorted[[math]::Floor($sorted.Count / 2)], (($times[$name] | ForEach-Object { $_.ToString('0') }) -join ', ')
}
