#Requires -Version 7.4
<#
.SYNOPSIS
    Export-PhotoGrid against ImageMagick's montage, side by side in one run.

.DESCRIPTION
    Renders the photos of -DataPath (by default ../shared/data/imagenet-sample, 1000 JPEGs of about
    500 x 375) into a 32 x 32 grid of 64 px tiles, with
      - ImageMagick: montage -define jpeg:size=128x128 <photos> -tile 32x32 -geometry 64x64+0+0 (the size
        hint lets libjpeg decode at 1/2 or 1/4 scale; plain montage exhausts its pixel cache);
      - Export-PhotoGrid decoding every original, timed as the first call in a fresh session (JIT cold)
        and as a second call (JIT warm, as after Get-ImageEmbedding has decoded the same photos);
      - Export-PhotoGrid with the thumbnails the embedding step keeps (made here by the engine, untimed);
      - the whole pwsh process: start, Import-Module, Import-Csv of the cells, render.
    Then 10,000 tiles (100 x 100, the photos repeated) with originals and with thumbnails: time and peak RSS.

    Each case runs -Runs times, the cases interleaved round by round so that load from other processes
    falls on all of them alike; the table gives medians and ratios to montage's median, of wall time and
    of CPU time (user + system). The machine's load average is printed: wall times mean little on a
    machine that is busy with something else; CPU times hold up better.

    Needs: pwsh ./build.ps1 first; imagemagick and /usr/bin/time (Debian packages imagemagick, time).

.EXAMPLE
    pwsh bench/render/Invoke-RenderBenchmark.ps1 -Quiet

.EXAMPLE
    pwsh bench/render/Invoke-RenderBenchmark.ps1 -Runs 7 -SkipLarge
#>
[CmdletBinding()]
param(
    # By default shared/data/imagenet-sample beside the repository (or beside a folder above it, for a worktree).
    [string] $DataPath,
    [ValidateRange(1, 100)] [int] $Runs = 5,
    [ValidateRange(1, 100)] [int] $LargeRuns = 3,
    [switch] $SkipLarge,
    # Also runs montage once on the 10,000 tiles (about ten times its 1000-photo time).
    [switch] $IncludeMontageLarge,
    # Prints only the conditions and the table.
    [switch] $Quiet
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
Import-Module (Join-Path $PSScriptRoot '../BenchStatistics.psm1') -Force

$repositoryRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$measure = Join-Path $PSScriptRoot 'Measure-PhotoGridRender.ps1'
$pwsh = (Get-Command pwsh -CommandType Application | Select-Object -First 1).Source
$time = '/usr/bin/time'
foreach ($tool in @($time, (Get-Command montage -CommandType Application -ErrorAction SilentlyContinue).Source)) {
    if (-not $tool -or -not (Test-Path -LiteralPath $tool)) { throw 'Needs ImageMagick (montage) and /usr/bin/time: apt-get install imagemagick time.' }
}
if (-not (Test-Path -LiteralPath (Join-Path $repositoryRoot 'bin/GridTsne.dll'))) { throw 'Build first: pwsh ./build.ps1' }
$DataPath = Find-ImageNetSample $DataPath $repositoryRoot -ParameterName DataPath
$photos = @(Get-ChildItem -LiteralPath $DataPath -File | Sort-Object Name | Select-Object -First 1000)
if ($photos.Count -lt 1000) { throw "$DataPath holds $($photos.Count) photos; the benchmark needs 1000." }

$work = (New-Item -ItemType Directory -Path (Join-Path ([IO.Path]::GetTempPath()) "gridtsne-render-bench-$PID")).FullName
$cellsCsv = Join-Path $work 'cells.csv'
$i = 0
$photos | ForEach-Object { [pscustomobject]@{ Path = $_.FullName; Row = [math]::Floor($i / 32); Column = $i % 32 }; $i++ } |
    Export-Csv -LiteralPath $cellsCsv -NoTypeInformation

function Write-Step([string] $Text) { if (-not $Quiet) { Write-Host $Text } }

function Invoke-Timed {
    # Runs a native command under /usr/bin/time -v; returns its wall time, CPU time, peak RSS and output.
    param([string[]] $Command)
    $errors = Join-Path $work 'time.txt'
    $clock = [Diagnostics.Stopwatch]::StartNew()
    $output = & $time -v @Command 2> $errors
    $clock.Stop()
    $report = Get-Content -Raw -LiteralPath $errors
    if ($LASTEXITCODE -ne 0) { throw "'$($Command -join ' ' | Select-Object -First 1)' failed ($LASTEXITCODE): $report" }
    $rss = [regex]::Match($report, 'Maximum resident set size \(kbytes\): (\d+)').Groups[1].Value
    $cpu = [double][regex]::Match($report, 'User time \(seconds\): ([\d.]+)').Groups[1].Value +
        [double][regex]::Match($report, 'System time \(seconds\): ([\d.]+)').Groups[1].Value
    [pscustomobject]@{ Seconds = $clock.Elapsed.TotalSeconds; CpuSeconds = $cpu; PeakMB = [int]$rss / 1024; Output = $output }
}

function Invoke-Montage([string[]] $Files, [int] $Side, [string] $Output) {
    # The peer runs without OpenBLAS tuning variables, as the project's benchmarks require.
    Invoke-Timed (@('env', '-u', 'OPENBLAS_CORETYPE', '-u', 'OPENBLAS_L2_SIZE', 'montage', '-define', 'jpeg:size=128x128') + $Files +
        @('-tile', "${Side}x${Side}", '-geometry', '64x64+0+0', $Output))
}

function Invoke-GridTsne([string] $Source, [int] $Repeat, [string] $Output) {
    $run = Invoke-Timed @($pwsh, '-NoProfile', '-NonInteractive', '-File', $measure, '-DataPath', $DataPath, '-OutputPath', $Output,
        '-Source', $Source, '-Repeat', $Repeat, '-Warm')
    $result = ($run.Output | Select-Object -Last 1) | ConvertFrom-Json
    $result | Add-Member -NotePropertyName PeakMB -NotePropertyValue $run.PeakMB -PassThru
}

$results = [ordered]@{}
function Add-Result([string] $Case, [double] $Seconds, [double] $CpuSeconds, [double] $PeakMB) {
    if (-not $results.Contains($Case)) { $results[$Case] = [Collections.Generic.List[object]]::new() }
    $results[$Case].Add([pscustomobject]@{ Seconds = $Seconds; CpuSeconds = $CpuSeconds; PeakMB = $PeakMB })
    Write-Step ('  {0,-62} {1,7:0.000} s {2,7:0.000} s CPU {3,6:0} MB' -f $Case, $Seconds, $CpuSeconds, $PeakMB)
}

$loadBefore = Get-LoadAverage
$files = $photos.FullName
$montageName = 'montage (ImageMagick, jpeg:size=128x128)'
for ($round = 1; $round -le $Runs; $round++) {
    Write-Step "Round $round of $Runs (1000 photos, 32 x 32, 64 px)"
    $m = Invoke-Montage $files 32 (Join-Path $work 'montage.jpg')
    Add-Result $montageName $m.Seconds $m.CpuSeconds $m.PeakMB

    $o = Invoke-GridTsne Original 1 (Join-Path $work 'originals.jpg')
    Add-Result 'Export-PhotoGrid, originals, first call in a fresh session' $o.RenderSeconds $o.RenderCpuSeconds $o.PeakMB
    Add-Result 'Export-PhotoGrid, originals, JIT warm (as after embedding)' $o.WarmRenderSeconds $o.WarmRenderCpuSeconds $o.PeakMB

    $t = Invoke-GridTsne Thumbnail 1 (Join-Path $work 'thumbnails.jpg')
    Add-Result 'Export-PhotoGrid, embedding thumbnails' $t.RenderSeconds $t.RenderCpuSeconds $t.PeakMB
    Add-Result 'Export-PhotoGrid, embedding thumbnails, second call' $t.WarmRenderSeconds $t.WarmRenderCpuSeconds $t.PeakMB

    $script = "Import-Module '$repositoryRoot/GridTsne.psd1'; Import-Csv -LiteralPath '$cellsCsv' | Export-PhotoGrid '$work/process.jpg' -ProgressAction SilentlyContinue"
    $p = Invoke-Timed @($pwsh, '-NoProfile', '-NonInteractive', '-Command', $script)
    Add-Result 'pwsh process: start, import, Import-Csv, render originals' $p.Seconds $p.CpuSeconds $p.PeakMB
}

if (-not $SkipLarge) {
    for ($round = 1; $round -le $LargeRuns; $round++) {
        Write-Step "Round $round of $LargeRuns (10,000 tiles, 100 x 100, 64 px)"
        $o = Invoke-GridTsne Original 10 (Join-Path $work 'large-originals.jpg')
        Add-Result '10,000 tiles: Export-PhotoGrid, originals, first call' $o.RenderSeconds $o.RenderCpuSeconds $o.PeakMB
        Add-Result '10,000 tiles: Export-PhotoGrid, originals, JIT warm' $o.WarmRenderSeconds $o.WarmRenderCpuSeconds $o.PeakMB
        $t = Invoke-GridTsne Thumbnail 10 (Join-Path $work 'large-thumbnails.jpg')
        Add-Result '10,000 tiles: Export-PhotoGrid, thumbnails' $t.RenderSeconds $t.RenderCpuSeconds $t.PeakMB
    }
    if ($IncludeMontageLarge) {
        $m = Invoke-Montage ((1..10 | ForEach-Object { $files }) | ForEach-Object { $_ }) 100 (Join-Path $work 'large-montage.jpg')
        Add-Result '10,000 tiles: montage (1 run)' $m.Seconds $m.CpuSeconds $m.PeakMB
    }
}
$loadAfter = Get-LoadAverage


$montageMedian = Get-Median $results[$montageName].Seconds
$montageCpuMedian = Get-Median $results[$montageName].CpuSeconds
$table = foreach ($case in $results.Keys) {
    $seconds = [double[]]$results[$case].Seconds
    $median = Get-Median $seconds
    $cpuMedian = Get-Median ([double[]]$results[$case].CpuSeconds)
    $compared = $case -notlike '10,000*'
    [pscustomobject]@{
        Case          = $case
        Runs          = $seconds.Count
        'Median s'    = [math]::Round($median, 3)
        'Min s'       = [math]::Round(($seconds | Measure-Object -Minimum).Minimum, 3)
        'Max s'       = [math]::Round(($seconds | Measure-Object -Maximum).Maximum, 3)
        'x montage'   = if ($compared) { [math]::Round($median / $montageMedian, 2) } else { '' }
        'CPU s'       = [math]::Round($cpuMedian, 2)
        'CPU x montage' = if ($compared) { [math]::Round($cpuMedian / $montageCpuMedian, 2) } else { '' }
        'Peak RSS MB' = [int](Get-Median ([double[]]$results[$case].PeakMB))
    }
}

$montageVersion = (& montage -version | Select-Object -First 1) -replace '^Version:\s*', ''
Write-Host "Conditions: $([Environment]::ProcessorCount) cores, load average $loadBefore before and $loadAfter after;"
Write-Host "  pwsh $($PSVersionTable.PSVersion), .NET $([Environment]::Version); $montageVersion"
Write-Host "  $($photos.Count) JPEGs from $DataPath; 64 px tiles, JPEG quality 90 (montage: its default 92); medians of the runs."
Write-Host '  Peak RSS is that of the whole process (pwsh itself holds about 100 MB; the thumbnail runs also made the thumbnails).'
Write-Host '  CPU s: user + system time of montage, or of the pwsh process during the render; it depends less on other load than wall time.'
$table | Format-Table -AutoSize | Out-String -Width 200 | Write-Host
Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
