#Requires -Version 7.4
<#
.SYNOPSIS
    Benchmarks Get-ImageEmbedding against the engine's own inference and against torchvision, side by side.

.DESCRIPTION
    On the same photos (by default ../shared/data/imagenet-sample: 1000 JPEGs of about 500x375), at batch 16,
    for each built-in model in -Model (by default ResNet18 and ResNet18-Int8), in one run, interleaved run by
    run and model by model so that machine load affects every case alike:
      (a) the engine's inference alone, on tensors decoded beforehand (bench/embedding/EmbeddingBench);
      (b) Get-ImageEmbedding end to end in a fresh pwsh: Get-ChildItem | Get-ImageEmbedding, model load included,
          run twice: cold (the first run, while .NET still compiles ImageSharp's code) and warm (the second,
          as every later run in a session);
      (c) Debian's python3-torchvision ResNet18 with PIL preprocessing, batch 16 (random weights: no internet,
          and the arithmetic is the same), model creation and one warm-up batch excluded.
    It also measures the CPU time per photo of decoding (read, decode, EXIF, thumbnail, resize, tensor) on
    one thread and of inference, hence the two-core bound 2 / (decode + inference CPU per photo), the model
    load time, and the peak resident memory (/usr/bin/time -v) of Get-ImageEmbedding over 10,000 photos (the
    set listed ten times). Medians over -Runs runs. Targets: (b) >= 0.8 x (a), (b) >= 1.6 x (c), peak RSS
    < 1 GB; for the int8 model (issue 13): (a) >= 1.8 x fp32 (a), warm (b) >= 2.2 x (c) and >= 0.85 x the
    two-core bound, cold >= 0.8 x warm, peak RSS no higher than fp32's. Results also go to out/bench/embedding.json.

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

    # The built-in models to measure, side by side; the first is the reference for the ratios.
    [string[]] $Model = @('ResNet18', 'ResNet18-Int8'),

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
Import-Module (Join-Path $PSScriptRoot '../BenchStatistics.psm1') -Force
$root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$pwsh = (Get-Command pwsh -CommandType Application | Select-Object -First 1).Source
$manifest = Join-Path $root 'GridTsne.psd1'

function Write-Step([string] $Text) { if (-not $Quiet) { Write-Host $Text } }

function Invoke-Harness([string] $Mode, [int] $Repeat, [string] $ModelName) {
    $lines = & dotnet $harness $Mode (Join-Path $root 'models') $photos $Repeat $BatchSize 0 0 $ModelName
    if ($LASTEXITCODE -ne 0) { throw "EmbeddingBench $Mode failed." }
    @($lines | Where-Object { $_ -like 'mode=*' } | ForEach-Object { ConvertFrom-KeyValue $_ })
}

function Invoke-EndToEnd([string] $ModelName) {
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
    `$count = (Get-ChildItem -LiteralPath '$($photos -replace "'", "''")' -File | Get-ImageEmbedding -Model '$ModelName' -BatchSize $BatchSize | Measure-Object).Count
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

function Measure-PeakMemory([int] $Repeat, [string] $ModelName) {
    $script = "Import-Module '$($manifest -replace "'", "''")'; (1..$Repeat | ForEach-Object { Get-ChildItem -LiteralPath '$($photos -replace "'", "''")' -File } | Get-ImageEmbedding -Model '$ModelName' | Measure-Object).Count"
    $report = & /usr/bin/time -v $pwsh -NoProfile -NonInteractive -Command $script 2>&1
    if ($LASTEXITCODE -ne 0) { throw 'The memory run failed.' }
    $kilobytes = [double](($report | Select-String 'Maximum resident set size \(kbytes\): (\d+)').Matches[0].Groups[1].Value)
    $elapsed = ($report | Select-String 'Elapsed \(wall clock\) time.*: (.+)$').Matches[0].Groups[1].Value
    [pscustomobject]@{ Images = [int](($report | Where-Object { "$_" -match '^\d+$' } | Select-Object -Last 1)); PeakMB = $kilobytes / 1024; Elapsed = $elapsed }
}

$photos = Find-ImageNetSample $ImageDirectory $root
$photoCount = @(Get-ChildItem -LiteralPath $photos -File).Count
$loadBefore = Get-LoadAverage

if (-not $SkipBuild) {
    Write-Step 'Building the module and the harness...'
    & $pwsh -NoProfile -NonInteractive -File (Join-Path $root 'build.ps1') | Out-Null
    if ($LASTEXITCODE -ne 0) { throw 'build.ps1 failed.' }
    & dotnet build (Join-Path $PSScriptRoot 'EmbeddingBench') -c Release --nologo -v q | Out-Null
    if ($LASTEXITCODE -ne 0) { throw 'Building EmbeddingBench failed.' }
}
$harness = Join-Path $PSScriptRoot 'EmbeddingBench/bin/Release/net8.0/EmbeddingBench.dll'

$cases = [ordered]@{}
foreach ($name in $Model) {
    $cases[$name] = [pscustomobject]@{
        Inference = [Collections.Generic.List[object]]::new(); Cold = [Collections.Generic.List[object]]::new(); Warm = [Collections.Generic.List[object]]::new()
    }
}
$torch = [Collections.Generic.List[object]]::new()
for ($run = 1; $run -le $Runs; $run++) {
    Write-Step "Run $run of $Runs..."
    foreach ($name in $Model) { $cases[$name].Inference.Add(@(Invoke-Harness inference 1 $name)[0]) }
    foreach ($name in $Model) {
        $pair = Invoke-EndToEnd $name
        $cases[$name].Cold.Add($pair.cold)
        $cases[$name].Warm.Add($pair.warm)
    }
    if (-not $SkipTorch) { $torch.Add((Invoke-Torch)) }
    if (-not $Quiet) {
        foreach ($name in $Model) {
            $case = $cases[$name]
            Write-Host ("  {0,-14} (a) {1} img/s   (b) cold {2:0.00} warm {3:0.00} img/s" -f $name, $case.Inference[$run - 1].imagesPerSecond, $case.Cold[$run - 1].imagesPerSecond, $case.Warm[$run - 1].imagesPerSecond)
        }
        if (-not $SkipTorch) { Write-Host "  (c) $($torch[$run - 1].imagesPerSecond) img/s" }
    }
}

Write-Step 'Decoding on one thread...'
$decode = @(Invoke-Harness decode 3 $Model[0])
$decodeCpu = Get-Median ($decode | ForEach-Object { [double]$_.cpuMsPerImage })
$memory = [ordered]@{}
if (-not $SkipMemory) {
    foreach ($name in $Model) {
        Write-Step "Peak memory over $($photoCount * 10) photos with $name..."
        $memory[$name] = Measure-PeakMemory 10 $name
    }
}
$loadAfter = Get-LoadAverage
$c = if ($SkipTorch) { $null } else { Get-Median ($torch | ForEach-Object { [double]$_.imagesPerSecond }) }

$summary = [ordered]@{}
foreach ($name in $Model) {
    $case = $cases[$name]
    $inferenceCpu = Get-Median ($case.Inference | ForEach-Object { [double]$_.cpuMsPerImage })
    $summary[$name] = [ordered]@{
        inferenceImagesPerSecond    = Get-Median ($case.Inference | ForEach-Object { [double]$_.imagesPerSecond })
        inferenceCpuMsPerImage      = $inferenceCpu
        loadMs                      = Get-Median ($case.Inference | ForEach-Object { [double]$_.loadMs })
        coldImagesPerSecond         = Get-Median ($case.Cold | ForEach-Object { [double]$_.imagesPerSecond })
        warmImagesPerSecond         = Get-Median ($case.Warm | ForEach-Object { [double]$_.imagesPerSecond })
        coldCpuMsPerImage           = Get-Median ($case.Cold | ForEach-Object { [double]$_.cpuMsPerImage })
        warmCpuMsPerImage           = Get-Median ($case.Warm | ForEach-Object { [double]$_.cpuMsPerImage })
        # Two cores, each photo needing decode + inference CPU: no schedule can beat this.
        twoCoreBoundImagesPerSecond = 2000 / ($decodeCpu + $inferenceCpu)
        peakRssMB                   = if ($memory.Contains($name)) { $memory[$name].PeakMB } else { $null }
        peakRssElapsed              = if ($memory.Contains($name)) { $memory[$name].Elapsed } else { $null }
    }
}

$cpuName = ((Get-Content /proc/cpuinfo -ErrorAction SilentlyContinue | Select-String '^model name\s*:\s*(.+)$' | Select-Object -First 1).Matches.Groups[1].Value)
Write-Host ''
Write-Host "Embedding benchmark: $photoCount photos from $photos, batch $BatchSize, median of $Runs runs"
Write-Host "Machine: $([Environment]::ProcessorCount) cores ($cpuName); load average $loadBefore before, $loadAfter after"
Write-Host ''
Write-Host ('{0,-60} {1,10} {2,9} {3,14}' -f '', 'images/s', 'x (a)', 'CPU ms/image')
foreach ($name in $Model) {
    $s = $summary[$name]
    Write-Host ('{0,-60} {1,10:0.0} {2,9:0.00} {3,14:0.0}' -f "$name (a) engine inference only (tensors decoded before)", $s.inferenceImagesPerSecond, 1, $s.inferenceCpuMsPerImage)
    Write-Host ('{0,-60} {1,10:0.0} {2,9:0.00} {3,14:0.0}' -f "$name (b) Get-ImageEmbedding, fresh pwsh (cold)", $s.coldImagesPerSecond, ($s.coldImagesPerSecond / $s.inferenceImagesPerSecond), $s.coldCpuMsPerImage)
    Write-Host ('{0,-60} {1,10:0.0} {2,9:0.00} {3,14:0.0}' -f "$name     the same, run again in that pwsh (warm)", $s.warmImagesPerSecond, ($s.warmImagesPerSecond / $s.inferenceImagesPerSecond), $s.warmCpuMsPerImage)
}
if ($null -ne $c) {
    Write-Host ('{0,-60} {1,10:0.0}' -f '(c) torchvision ResNet18 + PIL (random weights)', $c)
}
Write-Host ''
$reference = $summary[$Model[0]]
foreach ($name in $Model) {
    $s = $summary[$name]
    Write-Host "${name}:"
    Write-Host ('  model load {0:0} ms; (b) / (a) = {1:0.00} cold, {2:0.00} warm (target >= 0.80); cold / warm = {3:0.00}' -f $s.loadMs, ($s.coldImagesPerSecond / $s.inferenceImagesPerSecond), ($s.warmImagesPerSecond / $s.inferenceImagesPerSecond), ($s.coldImagesPerSecond / $s.warmImagesPerSecond))
    if ($null -ne $c) { Write-Host ('  (b) / (c) = {0:0.00} cold, {1:0.00} warm' -f ($s.coldImagesPerSecond / $c), ($s.warmImagesPerSecond / $c)) }
    Write-Host ('  two-core bound 2 / ({0:0.0} + {1:0.0} ms) = {2:0.0} images/s; warm (b) = {3:0.00} x the bound' -f $decodeCpu, $s.inferenceCpuMsPerImage, $s.twoCoreBoundImagesPerSecond, ($s.warmImagesPerSecond / $s.twoCoreBoundImagesPerSecond))
    if ($name -ne $Model[0]) { Write-Host ('  (a) = {0:0.00} x {1} (a)' -f ($s.inferenceImagesPerSecond / $reference.inferenceImagesPerSecond), $Model[0]) }
    if ($null -ne $s.peakRssMB) { Write-Host ('  peak RSS embedding {0:N0} photos: {1:0} MB (wall {2})' -f ($photoCount * 10), $s.peakRssMB, $s.peakRssElapsed) }
}

$results = [ordered]@{
    photos = $photos; photoCount = $photoCount; batchSize = $BatchSize; runs = $Runs; cores = [Environment]::ProcessorCount
    loadBefore = $loadBefore; loadAfter = $loadAfter; torchvisionImagesPerSecond = $c; decodeCpuMsPerImage = $decodeCpu
    models = $summary
    runsDetail = [ordered]@{ cases = $cases; torchvision = $torch; decode = $decode }
}
$outDirectory = New-Item -ItemType Directory -Force -Path (Join-Path $root 'out/bench')
$results | ConvertTo-Json -Depth 5 | Set-Content -LiteralPath (Join-Path $outDirectory 'embedding.json')
