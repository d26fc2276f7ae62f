#Requires -Version 7.4
<#
.SYNOPSIS
    The decoding at 1/8 scale of 12-megapixel JPEGs: GridTsne's managed 1/8-scale decoder against libjpeg-turbo (SkiaSharp),
    CPU milliseconds per photo, alternating, medians.

.DESCRIPTION
    Two measurements, each over -Runs rounds on the camera set (out/bench/camera-48, which
    Invoke-CameraBenchmark.ps1 makes), one thread:
      (1) EmbeddingBench eighth: the JPEG decode alone, from bytes in memory, libjpeg-turbo at 1/8 and the managed
          decoder alternating in one process;
      (2) EmbeddingBench decode: the embedding step's whole decode (read, decode, thumbnail, tensor) of this build
          and of -BaselineRoot (a checkout whose 1/8 decode is libjpeg-turbo, e.g. main), alternating processes.
    Prints the medians and the load average before and after; CPU figures hold up under load.

.EXAMPLE
    pwsh bench/embedding/Compare-EighthDecode.ps1 -BaselineRoot /tmp/decode-main
#>
[CmdletBinding()]
param(
    # A checkout to compare the decode step with (its EmbeddingBench is built here unless -SkipBuild).
    [string] $BaselineRoot,

    # JPEGs to decode; by default the 48-photo camera set of Invoke-CameraBenchmark.ps1.
    [string] $PhotoDirectory,

    [ValidateRange(1, 50)]
    [int] $Runs = 7,

    [switch] $SkipBuild
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
Import-Module (Join-Path $PSScriptRoot '../BenchStatistics.psm1') -Force
$root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$env:ORT_DISABLE_TELEMETRY = '1'
if (-not $PhotoDirectory) { $PhotoDirectory = Join-Path $root 'out/bench/camera-48' }
$photos = @(Get-ChildItem -LiteralPath $PhotoDirectory -Filter *.jpg -File)
if ($photos.Count -eq 0) { throw "No JPEGs in $PhotoDirectory; run Invoke-CameraBenchmark.ps1 once to make the camera set." }
$megabytes = ($photos | Measure-Object Length -Average).Average / 1MB

function Get-Harness([string] $Tree) {
    $project = Join-Path $Tree 'bench/embedding/EmbeddingBench'
    if (-not $SkipBuild) {
        dotnet build $project -c Release --nologo -v quiet | Out-Null
        if ($LASTEXITCODE) { throw "Building $project failed." }
    }
    Join-Path $project 'bin/Release/net8.0/EmbeddingBench.dll'
}

function Invoke-Harness([string] $Tree, [string] $Harness, [string] $Mode, [int] $Rounds) {
    # The fp32 model only because the harness opens one; the modes measured here do not run it.
    $lines = dotnet $Harness $Mode (Join-Path $Tree 'models') $PhotoDirectory $Rounds 16 1 1 ResNet18
    if ($LASTEXITCODE) { throw "EmbeddingBench $Mode in $Tree failed: $lines" }
    foreach ($line in $lines | Where-Object { $_ -like 'mode=*' }) {
        $pairs = ConvertFrom-KeyValue $line
        [pscustomobject]@{ Mode = $pairs.mode; CpuMs = [double]$pairs.cpuMsPerImage }
    }
}


$harness = Get-Harness $root
$baselineHarness = if ($BaselineRoot) { Get-Harness (Resolve-Path -LiteralPath $BaselineRoot).Path }
$loadBefore = Get-LoadAverage

$eighth = @(Invoke-Harness $root $harness eighth $Runs)
$libjpeg = Get-Median ($eighth | Where-Object Mode -EQ 'eighth-libjpeg-turbo' | ForEach-Object CpuMs)
$managed = Get-Median ($eighth | Where-Object Mode -EQ 'eighth-managed' | ForEach-Object CpuMs)

$thisStep = [Collections.Generic.List[double]]::new()
$baselineStep = [Collections.Generic.List[double]]::new()
for ($run = 0; $run -lt $Runs; $run++) {
    $thisStep.Add((Invoke-Harness $root $harness decode 1).CpuMs)
    if ($baselineHarness) { $baselineStep.Add((Invoke-Harness $BaselineRoot $baselineHarness decode 1).CpuMs) }
}

$loadAfter = Get-LoadAverage
"{0} JPEGs of {1:0.00} MB on average in {2}; median of {3} alternating rounds, one thread, CPU ms per photo" -f $photos.Count, $megabytes, $PhotoDirectory, $Runs
"JPEG decode alone at 1/8: libjpeg-turbo {0:0.0}, managed {1:0.0} (ratio {2:0.00})" -f $libjpeg, $managed, ($managed / $libjpeg)
$step = Get-Median $thisStep
if ($baselineHarness) {
    $baseline = Get-Median $baselineStep
    "Decode step (read, decode, thumbnail, tensor): this build {0:0.0}, baseline {1:0.0} (ratio {2:0.00})" -f $step, $baseline, ($step / $baseline)
}
else {
    "Decode step (read, decode, thumbnail, tensor): this build {0:0.0}" -f $step
}

"Load average before: $loadBefore; after: $loadAfter"
