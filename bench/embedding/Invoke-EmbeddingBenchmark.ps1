#Requires -Version 7.4
<#
.SYNOPSIS
    Benchmarks Get-ImageEmbedding against the engine's own inference and against torchvision, side by side.

.DESCRIPTION
    On the same photos (by default ../shared/data/imagenet-sample: 1000 JPEGs of about 500x375), at batch 16,
    in one run, interleaved run by run so that machine load affects all three alike:
      (a) the engine's inference alone, on tensors decoded beforehand (bench/embedding/EmbeddingBench);
      (b) Get-ImageEmbedding end to end in a fresh pwsh: Get-ChildItem | Get-ImageEmbedding, model load included,
          run twice: cold (the first run, while .NET still compiles ImageSharp's code) and warm (the second,
          as every later run in a session);
      (c) Debian's python3-torchvision ResNet18 with PIL preprocessing, batch 16 (random weights: no internet,
          and the arithmetic is the same), model creation and one warm-up batch excluded.
    It also measures the CPU time per photo of decoding (read, decode, EXIF, thumbnail, resize, tensor) on
    one thread and of inference, and the peak resident memory (/usr/bin/time -v) of Get-ImageEmbedding over
    10,000 photos (the set listed ten times). Medians over -Runs runs. Targets: (b) >= 0.8 x (a),
    (b) >= 1.6 x (c), peak RSS < 1 GB. Results also go to out/bench/embedding.json.

.EXAMPLE
    pwsh bench/embedding/Invoke-EmbeddingBenchmark.ps1

.EXAMPLE
    pwsh bench/embedding/Invoke-EmbeddingBenchmark.ps1 -Runs 3 -SkipMemory -Quiet
#>
[CmdletBinding()]
param(
    # The photos; by default imagenet-sample in a 'shared/data' folder beside the repository or above it.
    [string] $ImageDirectory,

    [ValidateRange(1, 50)]
    [int] $Runs = 5,

    [int] $BatchSize = 16,

    # Skips the torchvision peer (c).
    [switch] $SkipTorch,

    # Skips the 10,000-photo peak-memory run.
    [switch] $SkipMemory,

    # Uses the module and harness as they are built (no build.ps1 run first).
    [switch] $SkipBuild,

    # Prints only the final table.
    [switch] $Quiet
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$pwsh = (Get-Command pwsh -CommandType Application | Select-Object -First 1).Source
$manifest = Join-Path $root 'GridTsne.psd1'

function Write-Step([string] $Text) { if (-not $Quiet) { Write-Host $Text } }

function Find-Photos {
    if ($ImageDirectory) { return (Resolve-Path -LiteralPath $ImageDirectory).Path }
    for ($directory = Split-Path $root; $directory; $directory = Split-Path $directory) {
        $candidate = Join-Path $directory 'shared/data/imagenet-sample'
        if (Test-Path -LiteralPath $candidate) { return $candidate }
    }
    throw 'No imagenet-sample folder found above the repository; pass -ImageDirectory.'
}

function ConvertFrom-KeyValue([string] $Line) {
    # 'a=1 b=2.5' -> @{ a = '1'; b = '2.5' }
    $values = @{}
    foreach ($pair in $Line.Trim() -split '\s+') {
        $name, $value = $pair -split '=', 2
        $values[$name] = $value
    }
    $values
}

function Get-Median([double[]] $Values) {
    $sorted = @($Values | Sort-Object)
    $middle = [int][math]::Floor($sorted.Count / 2)
    if ($sorted.Count % 2) { $sorted[$middle] } else { ($sorted[$middle - 1] + $sorted[$middle]) / 2 }
}

function Invoke-Harness([string] $Mode, [int] $Repeat) {
    $lines = & dotnet $harness $Mode (Join-Path $root 'models') $photos $Repeat $BatchSize
    if ($LASTEXITCODE -ne 0) { throw "EmbeddingBench $Mode failed." }
    @($lines | Where-Object { $_ -like 'mode=*' } | ForEach-Object { ConvertFrom-KeyValue $_ })
}

function Invoke-EndToEnd {
    # Times the cmdlet twice in one fresh pwsh (process start and module import excluded, model load included):
    # the first run is cold (.NET compiles ImageSharp's and GridTsne's code as it goes), the second warm, as
    # every later run in the same session is.
    $script = @"
Import-Module '$($manifest -replace "'", "''")'
`$process = Get-Process -Id `$PID
foreach (`$state in 'cold', 'warm') {
    `$process.Refresh()
    `$cpu = `$process.TotalProcessorTime
    `$clock = [Diagnostics.Stopwatch]::StartNew()
    `$count = (Get-ChildItem -LiteralPath '$($photos -replace "'", "''")' -File | Get-ImageEmbedding -BatchSize $BatchSize | Measure-Object).Count
    `$clock.Stop()
    `$process.Refresh()
    "state=`$state images=`$count seconds=`$(`$clock.Elapsed.TotalSeconds) cpuMsPerImage=`$((`$process.TotalProcessorTime - `$cpu).TotalMilliseconds / `$count)"
}
"@
    $lines = & $pwsh -NoProfile -NonInteractive -Command $script
    if ($LASTEXITCODE -ne 0) { throw 'The end-to-end run failed.' }
    $runs = @{}
    foreach ($line in $lines | Where-Object { $_ -like 'state=*' }) {
        $values = ConvertFrom-KeyValue $line
        $values.imagesPerSecond = [double]$values.images / [double]$values.seconds
        $runs[$values.state] = $values
    }
    $runs
}

function Invoke-Torch {
    # Unset in the peer's environment only, as the machine notes ask.
    $saved = @{}
    foreach ($name in 'OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE') {
        $saved[$name] = [Environment]::GetEnvironmentVariable($name)
        [Environment]::SetEnvironmentVariable($name, $null)
    }
    try {
        $line = & /usr/bin/python3 (Join-Path $PSScriptRoot 'torchvision_resnet18.py') $photos $BatchSize
        if ($LASTEXITCODE -ne 0) { throw 'The torchvision run failed.' }
    } finally {
        foreach ($name in $saved.Keys) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) }
    }
    ConvertFrom-KeyValue ($line | Select-Object -Last 1)
}

function Measure-PeakMemory([int] $Repeat) {
    $script = "Import-Module '$($manifest -replace "'", "''")'; (1..$Repeat | ForEach-Object { Get-ChildItem -LiteralPath '$($photos -replace "'", "''")' -File } | Get-ImageEmbedding | Measure-Object).Count"
    $report = & /usr/bin/time -v $pwsh -NoProfile -NonInteractive -Command $script 2>&1
    if ($LASTEXITCODE -ne 0) { throw 'The memory run failed.' }
    $kilobytes = [double](($report | Select-String 'Maximum resident set size \(kbytes\): (\d+)').Matches[0].Groups[1].Value)
    $elapsed = ($report | Select-String 'Elapsed \(wall clock\) time.*: (.+)$').Matches[0].Groups[1].Value
    [pscustomobject]@{ Images = [int](($report | Where-Object { "$_" -match '^\d+$' } | Select-Object -Last 1)); PeakMB = $kilobytes / 1024; Elapsed = $elapsed }
}

$photos = Find-Photos
$photoCount = @(Get-ChildItem -LiteralPath $photos -File).Count
$loadBefore = (Get-Content /proc/loadavg -ErrorAction SilentlyContinue) -split ' ' | Select-Object -First 3

if (-not $SkipBuild) {
    Write-Step 'Building the module and the harness...'
    & $pwsh -NoProfile -NonInteractive -File (Join-Path $root 'build.ps1') | Out-Null
    if ($LASTEXITCODE -ne 0) { throw 'build.ps1 failed.' }
    & dotnet build (Join-Path $PSScriptRoot 'EmbeddingBench') -c Release --nologo -v q | Out-Null
    if ($LASTEXITCODE -ne 0) { throw 'Building EmbeddingBench failed.' }
}
$harness = Join-Path $PSScriptRoot 'EmbeddingBench/bin/Release/net8.0/EmbeddingBench.dll'

$inference = [Collections.Generic.List[object]]::new()
$endToEnd = [Collections.Generic.List[object]]::new()
$endToEndWarm = [Collections.Generic.List[object]]::new()
$torch = [Collections.Generic.List[object]]::new()
for ($run = 1; $run -le $Runs; $run++) {
    Write-Step "Run $run of $Runs..."
    $inference.Add(@(Invoke-Harness inference 1)[0])
    $pair = Invoke-EndToEnd
    $endToEnd.Add($pair.cold)
    $endToEndWarm.Add($pair.warm)
    if (-not $SkipTorch) { $torch.Add((Invoke-Torch)) }
    if (-not $Quiet) {
        $last = "  (a) $($inference[$run - 1].imagesPerSecond) img/s   (b) cold $([math]::Round($endToEnd[$run - 1].imagesPerSecond, 2)) warm $([math]::Round($endToEndWarm[$run - 1].imagesPerSecond, 2)) img/s"
        if (-not $SkipTorch) { $last += "   (c) $($torch[$run - 1].imagesPerSecond) img/s" }
        Write-Host $last
    }
}

Write-Step 'Decoding on one thread...'
$decode = @(Invoke-Harness decode 3)
$memory = if ($SkipMemory) { $null } else {
    Write-Step "Peak memory over $($photoCount * 10) photos..."
    Measure-PeakMemory 10
}
$loadAfter = (Get-Content /proc/loadavg -ErrorAction SilentlyContinue) -split ' ' | Select-Object -First 3

$a = Get-Median ($inference | ForEach-Object { [double]$_.imagesPerSecond })
$b = Get-Median ($endToEnd | ForEach-Object { [double]$_.imagesPerSecond })
$bWarm = Get-Median ($endToEndWarm | ForEach-Object { [double]$_.imagesPerSecond })
$c = if ($SkipTorch) { $null } else { Get-Median ($torch | ForEach-Object { [double]$_.imagesPerSecond }) }
$inferenceCpu = Get-Median ($inference | ForEach-Object { [double]$_.cpuMsPerImage })
$endToEndCpu = Get-Median ($endToEnd | ForEach-Object { [double]$_.cpuMsPerImage })
$endToEndWarmCpu = Get-Median ($endToEndWarm | ForEach-Object { [double]$_.cpuMsPerImage })
$decodeCpu = Get-Median ($decode | ForEach-Object { [double]$_.cpuMsPerImage })

$cpuName = ((Get-Content /proc/cpuinfo -ErrorAction SilentlyContinue | Select-String '^model name\s*:\s*(.+)$' | Select-Object -First 1).Matches.Groups[1].Value)
Write-Host ''
Write-Host "Embedding benchmark: $photoCount photos from $photos, batch $BatchSize, median of $Runs runs"
Write-Host "Machine: $([Environment]::ProcessorCount) cores ($cpuName); load average $($loadBefore -join ' ') before, $($loadAfter -join ' ') after"
Write-Host ''
Write-Host ('{0,-52} {1,10} {2,9} {3,14}' -f '', 'images/s', 'x (a)', 'CPU ms/image')
Write-Host ('{0,-52} {1,10:0.0} {2,9:0.00} {3,14:0.0}' -f '(a) engine inference only (tensors decoded before)', $a, 1, $inferenceCpu)
Write-Host ('{0,-52} {1,10:0.0} {2,9:0.00} {3,14:0.0}' -f '(b) Get-ImageEmbedding end to end, fresh pwsh (cold)', $b, ($b / $a), $endToEndCpu)
Write-Host ('{0,-52} {1,10:0.0} {2,9:0.00} {3,14:0.0}' -f '    the same, run again in that pwsh (warm)', $bWarm, ($bWarm / $a), $endToEndWarmCpu)
if ($null -ne $c) {
    Write-Host ('{0,-52} {1,10:0.0} {2,9:0.00} {3,14}' -f '(c) torchvision ResNet18 + PIL (random weights)', $c, ($c / $a), '')
}
Write-Host ''
Write-Host ('(b) / (a) = {0:0.00} cold, {1:0.00} warm   target >= 0.80' -f ($b / $a), ($bWarm / $a))
if ($null -ne $c) {
    Write-Host ('(b) / (c) = {0:0.00} cold, {1:0.00} warm   target >= 1.60' -f ($b / $c), ($bWarm / $c))
}
Write-Host ('CPU per photo: decoding (read, decode, EXIF, thumbnail, resize, tensor; one thread) {0:0.0} ms, inference {1:0.0} ms' -f $decodeCpu, $inferenceCpu)
if ($memory) {
    Write-Host ('Peak RSS embedding {0:N0} photos: {1:0} MB   target < 1024 MB   {2} (wall {3})' -f $memory.Images, $memory.PeakMB, $(if ($memory.PeakMB -lt 1024) { 'met' } else { 'NOT met' }), $memory.Elapsed)
}

$results = [ordered]@{
    photos = $photos; photoCount = $photoCount; batchSize = $BatchSize; runs = $Runs; cores = [Environment]::ProcessorCount
    loadBefore = $loadBefore; loadAfter = $loadAfter
    inferenceImagesPerSecond = $a; endToEndImagesPerSecond = $b; endToEndWarmImagesPerSecond = $bWarm; torchvisionImagesPerSecond = $c
    endToEndOverInference = $b / $a; endToEndOverTorchvision = if ($null -ne $c) { $b / $c } else { $null }
    decodeCpuMsPerImage = $decodeCpu; inferenceCpuMsPerImage = $inferenceCpu; endToEndCpuMsPerImage = $endToEndCpu; endToEndWarmCpuMsPerImage = $endToEndWarmCpu
    peakRssMB = if ($memory) { $memory.PeakMB } else { $null }; peakRssImages = if ($memory) { $memory.Images } else { $null }
    runsDetail = [ordered]@{ inference = $inference; endToEnd = $endToEnd; endToEndWarm = $endToEndWarm; torchvision = $torch; decode = $decode }
}
$outDirectory = New-Item -ItemType Directory -Force -Path (Join-Path $root 'out/bench')
$results | ConvertTo-Json -Depth 5 | Set-Content -LiteralPath (Join-Path $outDirectory 'embedding.json')
