#Requires -Version 7.4
<#
.SYNOPSIS
    Inference-only speed of int8 quantization variants of ResNet18 against fp32: what Q/DQ on the residual
    Adds and the MaxPool gains over Q/DQ on the convolutions only, and what keeping a node in float costs.

.DESCRIPTION
    Builds each variant from models/resnet18.onnx with the quantizer (Int8ModelBuilder) into a temporary
    models folder of its own, then runs EmbeddingBench's inference mode (the model alone, on tensors decoded
    beforehand, batch 16, ONNX Runtime's default threads) once per case and round, alternating the cases, in a
    fresh process each time. Reports the median over the rounds of CPU ms per photo and photos/s, and each
    case's ratio to fp32 (CPU ms of fp32 / CPU ms of the case: the speed-up), with the load average.
    The cases:
      ResNet18                 fp32 (the reference);
      ResNet18-Int8            the built-in model (its recorded calibration and float nodes);
      Int8 convolutions only   Q/DQ on every convolution only, the Adds and the MaxPool float;
      Int8 all quantized       Q/DQ on every Conv, Add and the MaxPool, no node kept float.
    Both variants are calibrated here on samples/photos with the recorded method (about a minute each).
    CPU time per photo holds up on a loaded machine; the photos/s column does not.

.EXAMPLE
    pwsh bench/embedding/Invoke-Int8VariantBenchmark.ps1
#>
[CmdletBinding()]
param(
    # The photos whose tensors are run (160 distinct ones, cycled to the folder's photo count).
    [string] $ImageDirectory,

    [ValidateRange(1, 50)]
    [int] $Runs = 5,

    [int] $BatchSize = 16
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
Import-Module (Join-Path $PSScriptRoot '../BenchStatistics.psm1') -Force
$root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$models = Join-Path $root 'models'
$photos = if ($ImageDirectory) { (Resolve-Path -LiteralPath $ImageDirectory).Path } else { Join-Path $root 'samples/photos' }
$work = Join-Path ([IO.Path]::GetTempPath()) "gridtsne-int8-variants-$PID"
$null = New-Item -ItemType Directory -Path $work

& dotnet build (Join-Path $PSScriptRoot 'EmbeddingBench') -c Release --nologo -v q | Out-Null
if ($LASTEXITCODE -ne 0) { throw 'Building EmbeddingBench failed.' }
$harness = Join-Path $PSScriptRoot 'EmbeddingBench/bin/Release/net8.0/EmbeddingBench.dll'
$engine = Join-Path $root 'bin/deps/GridTsne.Engine.dll'
$catalog = Get-Content -Raw (Join-Path $models 'models.json') | ConvertFrom-Json
$int8 = $catalog.models.Where({ $_.name -eq 'ResNet18-Int8' })[0]
$recorded = Get-Content -Raw (Join-Path $models $int8.quantization.calibration) | ConvertFrom-Json

function New-VariantFolder([string] $Name, [string] $Scope) {
    # A models folder holding the fp32 model (linked) and a ResNet18-Int8 calibrated on samples/photos (with
    # the recorded method) for this scope, every node quantized (no float nodes), then built.
    $folder = Join-Path $work $Name
    $null = New-Item -ItemType Directory -Path $folder
    $null = New-Item -ItemType SymbolicLink -Path (Join-Path $folder 'resnet18.onnx') -Target (Join-Path $models 'resnet18.onnx')
    $calibrationPath = Join-Path $folder 'calibration.json'
    $modelPath = Join-Path $folder $int8.file
    & pwsh -NoProfile -NonInteractive -Command ("Add-Type -LiteralPath '$engine'; [void][GridTsne.Engine.Quantization.Int8ModelBuilder]::CalibrateFile(" +
        "'$models', 'ResNet18', '$(Join-Path $root 'samples/photos')', '$calibrationPath', '$Scope', '$($recorded.method)', $([double]$recorded.percentile), [string[]]@()); " +
        "[GridTsne.Engine.Quantization.Int8ModelBuilder]::BuildFile('$(Join-Path $models 'resnet18.onnx')', '$calibrationPath', '$modelPath')")
    if ($LASTEXITCODE -ne 0) { throw "Building the variant '$Name' failed." }
    $variant = $catalog | ConvertTo-Json -Depth 10 | ConvertFrom-Json
    $variant.models.Where({ $_.name -eq 'ResNet18-Int8' })[0].sha256 = (Get-FileHash -LiteralPath $modelPath -Algorithm SHA256).Hash.ToLowerInvariant()
    $variant | ConvertTo-Json -Depth 10 | Set-Content -LiteralPath (Join-Path $folder 'models.json')
    $folder
}

try {
    Write-Host 'Calibrating and building the variants (about a minute each)...'
    $convolutionsOnly = New-VariantFolder 'convolutions-only' 'Convolutions'
    $allQuantized = New-VariantFolder 'all-quantized' 'ConvolutionsAddsAndPools'

    $cases = [ordered]@{
        'ResNet18'               = @{ Folder = $models; Model = 'ResNet18' }
        'ResNet18-Int8'          = @{ Folder = $models; Model = 'ResNet18-Int8' }
        'Int8 convolutions only' = @{ Folder = $convolutionsOnly; Model = 'ResNet18-Int8' }
        'Int8 all quantized'     = @{ Folder = $allQuantized; Model = 'ResNet18-Int8' }
    }
    $results = @{}
    foreach ($name in $cases.Keys) { $results[$name] = [Collections.Generic.List[object]]::new() }
    Write-Host "Load average before: $(Get-LoadAverage)"
    for ($run = 1; $run -le $Runs; $run++) {
        foreach ($name in $cases.Keys) {
            $line = & dotnet $harness inference $cases[$name].Folder $photos 1 $BatchSize 0 0 $cases[$name].Model | Where-Object { $_ -like 'mode=*' } | Select-Object -First 1
            if ($LASTEXITCODE -ne 0 -or -not $line) { throw "EmbeddingBench failed for '$name'." }
            $values = ConvertFrom-KeyValue $line
            $results[$name].Add($values)
            Write-Host ("  round {0}: {1,-24} {2,7} CPU ms/photo {3,7} photos/s" -f $run, $name, $values.cpuMsPerImage, $values.imagesPerSecond)
        }
    }
    Write-Host "Load average after: $(Get-LoadAverage)"

    $reference = Get-Median ($results['ResNet18'] | ForEach-Object { [double]$_.cpuMsPerImage })
    $cases.Keys | ForEach-Object {
        $cpu = Get-Median ($results[$_] | ForEach-Object { [double]$_.cpuMsPerImage })
        [pscustomobject]@{
            Case                  = $_
            CpuMsPerPhoto         = [math]::Round($cpu, 2)
            PhotosPerSecond       = [math]::Round((Get-Median ($results[$_] | ForEach-Object { [double]$_.imagesPerSecond })), 1)
            SpeedupOverFp32ByCpu  = [math]::Round($reference / $cpu, 2)
        }
    } | Format-Table -AutoSize
}
finally {
    Remove-Item -LiteralPath $work -Recurse -Force
}
