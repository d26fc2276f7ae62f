#Requires -Version 7.4
<#
.SYNOPSIS
    Camera-photo benchmark of shrink-on-load decoding: Get-ImageEmbedding and Export-PhotoGrid on 12-megapixel
    JPEGs, against the two-core bound, the PIL draft() peer and a baseline build (today's main), side by side.

.DESCRIPTION
    The camera set is made at benchmark time and never committed: ImageMagick enlarges the first -Photos
    ImageNet sample photos to 4032 x 3024 (cropped to fill) and adds Gaussian noise until the files weigh
    about 3-4 MB at quality 90, as a phone's photos do (out/bench/camera, kept between runs).
    In each of -Runs rounds, one after the other so that the machine's load affects all alike:
      (a) the engine's inference alone (EmbeddingBench inference, 160 ImageNet tensors decoded beforehand);
      (d) the embedding step's decoding alone, on one thread (EmbeddingBench decode: read, shrink-on-load decode,
          thumbnail, tensor); the two-core bound is 2 / (CPU ms per photo of (a) + (d));
      (b) Get-ImageEmbedding end to end in a fresh pwsh, cold then warm, this build and the baseline;
      (c) torchvision ResNet18 with PIL draft() decoding, and with full decoding;
      (e) Export-PhotoGrid of the camera set from the originals (no thumbnails), 64 px tiles, this build and
          the baseline (bench/render/Measure-PhotoGridRender.ps1 of each tree).
    Then, unless skipped: Get-ImageEmbedding on the 500 x 375 ImageNet sample, this build and the baseline
    alternating; and this build's peak RSS embedding -MemoryPhotos camera photos (/usr/bin/time -v).
    Medians over the rounds; the load average before and after. Results also go to out/bench/camera.json.

.EXAMPLE
    pwsh bench/embedding/Invoke-CameraBenchmark.ps1 -BaselineRoot /tmp/gridtsne-main

.EXAMPLE
    pwsh bench/embedding/Invoke-CameraBenchmark.ps1 -Photos 24 -Runs 5 -SkipMemory -SkipImageNet

.EXAMPLE
    pwsh bench/embedding/Invoke-CameraBenchmark.ps1 -BaselineRoot /tmp/gridtsne-main -Model ResNet18-Int8 -SkipMemory -SkipFullDecodePeer
#>
[CmdletBinding()]
param(
    # ImageNet sample photos; by default imagenet-sample in a 'shared/data' folder beside the repository or above it.
    [string] $ImageDirectory,

    [ValidateRange(2, 1000)]
    [int] $Photos = 48,

    [ValidateRange(1, 50)]
    [int] $Runs = 5,

    # The built-in model for (a), (b) and the 500 x 375 comparison (the baseline must have it too); the peers stay fp32.
    [ValidateSet('ResNet18', 'ResNet18-Int8')]
    [string] $Model = 'ResNet18',

    # A built GridTsne checkout to compare with (e.g. a clone of main built with build.ps1); none: no baseline.
    [string] $BaselineRoot,

    # Camera photos embedded for the peak-memory figure (the set listed over and over).
    [int] $MemoryPhotos = 2000,

    [switch] $SkipMemory,

    # Skips the 500 x 375 comparison.
    [switch] $SkipImageNet,

    # ImageNet sample photos in the 500 x 375 comparison (the first ones by name).
    [ValidateRange(16, 1000)]
    [int] $ImageNetPhotos = 1000,

    # Skips torchvision with full PIL decoding (the draft() peer still runs).
    [switch] $SkipFullDecodePeer,

    [switch] $SkipBuild,

    [switch] $Quiet
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
Import-Module (Join-Path $PSScriptRoot '../BenchStatistics.psm1') -Force
$root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$pwsh = (Get-Command pwsh -CommandType Application | Select-Object -First 1).Source
$benchOut = New-Item -ItemType Directory -Force -Path (Join-Path $root 'out/bench')
$harness = Join-Path $PSScriptRoot 'EmbeddingBench/bin/Release/net8.0/EmbeddingBench.dll'
Import-Module (Join-Path $PSScriptRoot 'EndToEnd.psm1') -Force

function Write-Step([string] $Text) { if (-not $Quiet) { Write-Host $Text } }


function Read-Pairs([string[]] $Lines, [string] $Prefix) {
    # Harness lines 'key=value key=value', those starting with $Prefix.
    foreach ($line in $Lines | Where-Object { $_ -like "$Prefix*" }) { ConvertFrom-KeyValue $line }
}

function New-CameraSet([string] $Source, [string] $Target) {
    # 4032 x 3024, quality 90, noise until a file weighs about 3-4 MB (sensor noise is what makes phone JPEGs large).
    New-Item -ItemType Directory -Force -Path $Target | Out-Null
    $sources = @(Get-ChildItem -LiteralPath $Source -File | Sort-Object Name | Select-Object -First $Photos)
    foreach ($file in $sources) {
        $destination = Join-Path $Target ($file.BaseName + '.jpg')
        if (Test-Path -LiteralPath $destination) { continue }
        & convert $file.FullName -resize '4032x3024^' -gravity center -extent 4032x3024 -attenuate 0.27 +noise Gaussian -quality 90 $destination
        if ($LASTEXITCODE -ne 0) { throw "convert failed on $($file.FullName)." }
    }
}

function Measure-Embedding([string] $Manifest, [string] $Directory, [string] $Label) {
    # Cold (first run in a fresh pwsh, model load included) and warm (the same again): photos per second, and CPU ms per photo.
    $result = @{}
    foreach ($run in Measure-ColdAndWarm -Manifest $Manifest -Directory $Directory -Model $Model -Label $Label) {
        $result[$run.State] = $run.PhotosPerSecond
        $result[$run.State + 'Cpu'] = $run.CpuMsPerPhoto
    }
    $result
}

function Measure-Render([string] $TreeRoot, [string] $Directory) {
    $output = Join-Path $benchOut "camera-grid-$([guid]::NewGuid().ToString('N')).jpg"
    $json = & $pwsh -NoProfile -NonInteractive -File (Join-Path $TreeRoot 'bench/render/Measure-PhotoGridRender.ps1') -DataPath $Directory -OutputPath $output -Source Original -Photos $Photos -TileSize 64 -Warm
    if ($LASTEXITCODE -ne 0) { throw "Export-PhotoGrid in $TreeRoot failed." }
    Remove-Item -LiteralPath $output -ErrorAction SilentlyContinue
    $json | Select-Object -Last 1 | ConvertFrom-Json
}

function Measure-Peer([string] $Directory, [string] $Decode) {
    $line = & /usr/bin/python3 (Join-Path $PSScriptRoot 'torchvision_resnet18.py') $Directory 16 $Decode
    if ($LASTEXITCODE -ne 0) { throw "The torchvision peer ($Decode) failed." }
    [double]@(Read-Pairs $line 'images=')[0].imagesPerSecond
}

$imageNet = Find-ImageNetSample $ImageDirectory $root
$camera = Join-Path $benchOut "camera-$Photos"
Write-Step "Camera set: $camera"
New-CameraSet $imageNet $camera
$cameraFiles = @(Get-ChildItem -LiteralPath $camera -File)
$meanMegabytes = ($cameraFiles | Measure-Object Length -Average).Average / 1MB
$minMegabytes = ($cameraFiles | Measure-Object Length -Minimum).Minimum / 1MB
$maxMegabytes = ($cameraFiles | Measure-Object Length -Maximum).Maximum / 1MB
function New-ImageNetSubset([int] $Count) {
    # The first $Count ImageNet photos, as symbolic links in a folder of their own.
    $folder = New-Item -ItemType Directory -Force -Path (Join-Path $benchOut "imagenet-$Count")
    Get-ChildItem -LiteralPath $imageNet -File | Sort-Object Name | Select-Object -First $Count | ForEach-Object {
        $link = Join-Path $folder $_.Name
        if (-not (Test-Path -LiteralPath $link)) { New-Item -ItemType SymbolicLink -Path $link -Target $_.FullName | Out-Null }
    }
    $folder.FullName
}

# 160 photos for the inference harness, which decodes its tensors beforehand; the 500 x 375 comparison set.
$tensorSource = New-ImageNetSubset 160
$imageNetSet = New-ImageNetSubset $ImageNetPhotos

if (-not $SkipBuild) {
    Write-Step 'Building the module and the harness...'
    & $pwsh -NoProfile -NonInteractive -File (Join-Path $root 'build.ps1') | Out-Null
    if ($LASTEXITCODE -ne 0) { throw 'build.ps1 failed.' }
    & dotnet build (Join-Path $PSScriptRoot 'EmbeddingBench') -c Release --nologo -v q | Out-Null
    if ($LASTEXITCODE -ne 0) { throw 'Building EmbeddingBench failed.' }
}

$manifest = Join-Path $root 'GridTsne.psd1'
$baselineManifest = if ($BaselineRoot) { Join-Path (Resolve-Path -LiteralPath $BaselineRoot).Path 'GridTsne.psd1' } else { $null }
if ($baselineManifest -and $Model -notin (Get-Content -Raw -LiteralPath (Join-Path $BaselineRoot 'models/models.json') | ConvertFrom-Json).models.name) {
    # A baseline from before the model existed: its Get-ImageEmbedding cases would only fail; its render still compares.
    Write-Warning "The baseline at $BaselineRoot has no model $Model; its Get-ImageEmbedding cases are skipped, its Export-PhotoGrid case is not."
    $baselineManifest = $null
}
$loadBefore = Get-LoadAverage
$rounds = [Collections.Generic.List[object]]::new()
for ($run = 1; $run -le $Runs; $run++) {
    Write-Step "Round $run of $Runs (load $(Get-LoadAverage))..."
    $round = [ordered]@{}
    $round.inferenceCpuMs = [double]@(Read-Pairs (& dotnet $harness inference (Join-Path $root 'models') $tensorSource 1 16 0 0 $Model) 'mode=')[0].cpuMsPerImage
    $round.decodeCpuMs = [double]@(Read-Pairs (& dotnet $harness decode (Join-Path $root 'models') $camera 1 16 0 0 $Model) 'mode=')[0].cpuMsPerImage
    $new = Measure-Embedding $manifest $camera 'this build'
    $round.embedCold = $new.cold; $round.embedWarm = $new.warm; $round.embedWarmCpuMs = $new.warmCpu
    if ($baselineManifest) {
        $old = Measure-Embedding $baselineManifest $camera 'baseline'
        $round.baselineEmbedCold = $old.cold; $round.baselineEmbedWarm = $old.warm; $round.baselineEmbedWarmCpuMs = $old.warmCpu
    }
    $round.peerDraft = Measure-Peer $camera 'draft'
    if (-not $SkipFullDecodePeer) { $round.peerFull = Measure-Peer $camera 'full' }
    $render = Measure-Render $root $camera
    $round.renderSeconds = $render.RenderSeconds; $round.renderWarmSeconds = $render.WarmRenderSeconds; $round.renderWarmCpuSeconds = $render.WarmRenderCpuSeconds
    if ($BaselineRoot) {
        $baselineRender = Measure-Render $BaselineRoot $camera
        $round.baselineRenderSeconds = $baselineRender.RenderSeconds; $round.baselineRenderWarmSeconds = $baselineRender.WarmRenderSeconds
        $round.baselineRenderWarmCpuSeconds = $baselineRender.WarmRenderCpuSeconds
    }
    $rounds.Add([pscustomobject]$round)
    Write-Step ('  ' + (($round.GetEnumerator() | ForEach-Object { '{0}={1:0.##}' -f $_.Key, $_.Value }) -join ' '))
}

$imageNetRounds = [Collections.Generic.List[object]]::new()
if (-not $SkipImageNet) {
    for ($run = 1; $run -le $Runs; $run++) {
        Write-Step "500 x 375 round $run of $Runs (load $(Get-LoadAverage))..."
        $new = Measure-Embedding $manifest $imageNetSet 'this build'
        $old = if ($baselineManifest) { Measure-Embedding $baselineManifest $imageNetSet 'baseline' } else { @{ cold = $null; warm = $null; warmCpu = $null } }
        $imageNetRounds.Add([pscustomobject]@{ embedWarm = $new.warm; embedCold = $new.cold; embedWarmCpuMs = $new.warmCpu
                baselineEmbedWarm = $old.warm; baselineEmbedCold = $old.cold; baselineEmbedWarmCpuMs = $old.warmCpu })
    }
}

$memory = $null
if (-not $SkipMemory) {
    Write-Step "Peak memory over $MemoryPhotos camera photos (load $(Get-LoadAverage))..."
    $repeat = [int][math]::Ceiling($MemoryPhotos / $cameraFiles.Count)
    $script = "Import-Module '$($manifest -replace "'", "''")'; (1..$repeat | ForEach-Object { Get-ChildItem -LiteralPath '$($camera -replace "'", "''")' -File } | Select-Object -First $MemoryPhotos | Get-ImageEmbedding -Model $Model | Measure-Object).Count"
    $report = & /usr/bin/time -v $pwsh -NoProfile -NonInteractive -Command $script 2>&1
    if ($LASTEXITCODE -ne 0) { throw 'The memory run failed.' }
    $memory = [pscustomobject]@{
        Images  = [int](($report | Where-Object { "$_" -match '^\d+$' } | Select-Object -Last 1))
        PeakMB  = [double](($report | Select-String 'Maximum resident set size \(kbytes\): (\d+)').Matches[0].Groups[1].Value) / 1024
        Elapsed = ($report | Select-String 'Elapsed \(wall clock\) time.*: (.+)$').Matches[0].Groups[1].Value
    }
}
$loadAfter = Get-LoadAverage

function Get-RoundMedian([object[]] $Items, [string] $Name) {
    $values = @($Items | ForEach-Object { $_.$Name } | Where-Object { $null -ne $_ })
    if ($values.Count -eq 0) { return $null }
    Get-Median $values
}

$median = [ordered]@{}
foreach ($name in $rounds[0].PSObject.Properties.Name) { $median[$name] = Get-RoundMedian $rounds $name }
$bound = 2000 / ($median.decodeCpuMs + $median.inferenceCpuMs)
$cpuName = (Get-Content /proc/cpuinfo | Select-String '^model name\s*:\s*(.+)$' | Select-Object -First 1).Matches.Groups[1].Value

Write-Host ''
Write-Host ("Camera benchmark: {0} photos 4032 x 3024, {1:0.00} MB on average ({2:0.00}-{3:0.00} MB), median of {4} rounds" -f $cameraFiles.Count, $meanMegabytes, $minMegabytes, $maxMegabytes, $Runs)
Write-Host "Machine: $([Environment]::ProcessorCount) cores ($cpuName); load average $loadBefore before, $loadAfter after"
Write-Host ''
Write-Host ('CPU per photo: decoding (shrink-on-load, thumbnail, tensor; one thread) {0:0.0} ms, inference {1:0.0} ms; two-core bound {2:0.0} photos/s' -f $median.decodeCpuMs, $median.inferenceCpuMs, $bound)
Write-Host ('{0,-56} {1,10} {2,10}' -f '', 'photos/s', 'x bound')
$lines = [ordered]@{
    'Get-ImageEmbedding, this build (warm)'           = $median.embedWarm
    'Get-ImageEmbedding, this build (cold)'           = $median.embedCold
    'Get-ImageEmbedding, baseline (warm)'             = if ($baselineManifest) { $median.baselineEmbedWarm } else { $null }
    'Get-ImageEmbedding, baseline (cold)'             = if ($baselineManifest) { $median.baselineEmbedCold } else { $null }
    'torchvision ResNet18 + PIL draft()'              = $median.peerDraft
    'torchvision ResNet18 + PIL full decode'          = if ($SkipFullDecodePeer) { $null } else { $median.peerFull }
}
foreach ($entry in $lines.GetEnumerator() | Where-Object { $null -ne $_.Value }) {
    Write-Host ('{0,-56} {1,10:0.0} {2,10:0.00}' -f $entry.Key, $entry.Value, ($entry.Value / $bound))
}
Write-Host ''
Write-Host ('Warm end to end / two-core bound = {0:0.00}   target >= 0.85' -f ($median.embedWarm / $bound))
Write-Host ('CPU per photo end to end (warm, all threads): {0:0.0} ms, against {1:0.0} ms of decoding plus inference: {2:0.00} of it is overhead' -f $median.embedWarmCpuMs,
    ($median.decodeCpuMs + $median.inferenceCpuMs), (1 - ($median.decodeCpuMs + $median.inferenceCpuMs) / $median.embedWarmCpuMs))
if ($baselineManifest) { Write-Host ('  baseline: {0:0.0} CPU ms per photo; this build uses {1:0.00} of it' -f $median.baselineEmbedWarmCpuMs, ($median.embedWarmCpuMs / $median.baselineEmbedWarmCpuMs)) }
Write-Host ('Warm end to end / PIL draft() peer = {0:0.00}   target >= 1.5' -f ($median.embedWarm / $median.peerDraft))
if ($baselineManifest) { Write-Host ('Warm end to end / baseline = {0:0.00}' -f ($median.embedWarm / $median.baselineEmbedWarm)) }
Write-Host ('Export-PhotoGrid of {0} originals, 64 px tiles: {1:0.00} s (warm {2:0.00} s)' -f $cameraFiles.Count, $median.renderSeconds, $median.renderWarmSeconds)
if ($BaselineRoot) {
    Write-Host ('  baseline {0:0.00} s (warm {1:0.00} s): {2:0.00}x faster (warm {3:0.00}x)   target >= 3' -f $median.baselineRenderSeconds, $median.baselineRenderWarmSeconds,
        ($median.baselineRenderSeconds / $median.renderSeconds), ($median.baselineRenderWarmSeconds / $median.renderWarmSeconds))
    Write-Host ('  CPU time, warm: {0:0.00} s against the baseline''s {1:0.00} s: {2:0.00}x less' -f $median.renderWarmCpuSeconds, $median.baselineRenderWarmCpuSeconds,
        ($median.baselineRenderWarmCpuSeconds / $median.renderWarmCpuSeconds))
}
$imageNetMedian = $null
if ($imageNetRounds.Count) {
    $imageNetMedian = [ordered]@{}
    foreach ($name in $imageNetRounds[0].PSObject.Properties.Name) { $imageNetMedian[$name] = Get-RoundMedian $imageNetRounds $name }
    $text = "500 x 375 ImageNet sample ($ImageNetPhotos photos), Get-ImageEmbedding: this build " + ('{0:0.0} photos/s warm ({1:0.0} cold)' -f $imageNetMedian.embedWarm, $imageNetMedian.embedCold)
    if ($baselineManifest) {
        $text += '; baseline {0:0.0} warm ({1:0.0} cold): ratio {2:0.00}; CPU ms per photo (warm) {3:0.0} against {4:0.0}' -f $imageNetMedian.baselineEmbedWarm,
            $imageNetMedian.baselineEmbedCold, ($imageNetMedian.embedWarm / $imageNetMedian.baselineEmbedWarm), $imageNetMedian.embedWarmCpuMs, $imageNetMedian.baselineEmbedWarmCpuMs
    }
    Write-Host $text
}
if ($memory) {
    Write-Host ('Peak RSS embedding {0:N0} camera photos: {1:0} MB   target < 1024 MB (wall {2})' -f $memory.Images, $memory.PeakMB, $memory.Elapsed)
}

[ordered]@{
    photos = $cameraFiles.Count; meanMegabytes = $meanMegabytes; minMegabytes = $minMegabytes; maxMegabytes = $maxMegabytes; runs = $Runs
    loadBefore = $loadBefore; loadAfter = $loadAfter; twoCoreBound = $bound; median = $median; imageNet = $imageNetMedian; memory = $memory
    rounds = $rounds; imageNetRounds = $imageNetRounds; baseline = $BaselineRoot
} | ConvertTo-Json -Depth 5 | Set-Content -LiteralPath (Join-Path $benchOut 'camera.json')
