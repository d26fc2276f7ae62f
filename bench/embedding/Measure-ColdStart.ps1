#Requires -Version 7.4
<#
.SYNOPSIS
    Cold start of Get-ImageEmbedding (issue 13: cold >= 0.8 x warm): the module as built, against copies of it
    whose assemblies are precompiled to ReadyToRun code (crossgen2), side by side.

.DESCRIPTION
    A cold run is the first Get-ImageEmbedding in a fresh pwsh (model load and .NET's JIT compilation included,
    module import excluded); the warm run is the same again in that pwsh. Variants, each a copy of the built
    module under out/bench/coldstart (models/ linked, not copied):
      jit      the module as build.ps1 lays it out;
      r2r-own  GridTsne.dll and GridTsne.Engine.dll precompiled for linux-x64;
      r2r-all  also ImageSharp, SkiaSharp, ONNX Runtime's managed part and System.Numerics.Tensors.
    crossgen2 and the .NET 8 runtime pack it compiles against come from the NuGet registry, through a throwaway
    project published with PublishReadyToRun (the SDK picks their versions). The variants alternate in every
    round; medians of CPU ms per photo (all threads) and photos/s, with the load average.

.EXAMPLE
    pwsh bench/embedding/Measure-ColdStart.ps1

.EXAMPLE
    pwsh bench/embedding/Measure-ColdStart.ps1 -Model ResNet18-Int8 -Runs 5 -Variant jit, r2r-all
#>
[CmdletBinding()]
param(
    # The photos; by default shared/data/imagenet-sample in the first folder above the repository that has it.
    [string] $ImageDirectory,

    [ValidateRange(1, 50)]
    [int] $Runs = 5,

    [ValidateSet('ResNet18', 'ResNet18-Int8')]
    [string] $Model = 'ResNet18',

    [ValidateSet('jit', 'r2r-own', 'r2r-all')]
    [string[]] $Variant = @('jit', 'r2r-own', 'r2r-all')
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
Import-Module (Join-Path $PSScriptRoot '../BenchStatistics.psm1') -Force
Import-Module (Join-Path $PSScriptRoot 'EndToEnd.psm1') -Force
$root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$work = Join-Path $root 'out/bench/coldstart'


function Get-Crossgen {
    # A throwaway net8.0 library published ReadyToRun makes the SDK restore its crossgen2 and runtime pack.
    $probe = Join-Path $work 'probe'
    New-Item -ItemType Directory -Force -Path $probe | Out-Null
    Set-Content -LiteralPath (Join-Path $probe 'Probe.csproj') -Value '<Project Sdk="Microsoft.NET.Sdk"><PropertyGroup><TargetFramework>net8.0</TargetFramework><ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally></PropertyGroup></Project>'
    Set-Content -LiteralPath (Join-Path $probe 'Probe.cs') -Value 'internal static class Probe { }'
    & dotnet publish $probe -r linux-x64 --self-contained false -p:PublishReadyToRun=true -v q --nologo | Out-Null
    if ($LASTEXITCODE -ne 0) { throw 'Restoring crossgen2 through the probe project failed.' }
    $assets = Get-Content -Raw (Join-Path $probe 'obj/project.assets.json') | ConvertFrom-Json -AsHashtable
    $packages = $assets.project.frameworks['net8.0'].downloadDependencies
    $nugetRoot = $assets.project.restore.packagesPath
    $crossgen = $packages | Where-Object name -like 'Microsoft.NETCore.App.Crossgen2.*' | Select-Object -First 1
    $runtime = $packages | Where-Object name -like 'Microsoft.NETCore.App.Runtime.linux-x64' | Select-Object -First 1
    $version = { param($Package) ($Package.version -replace '[\[\]]', '' -split ',')[0].Trim() }
    [pscustomobject]@{
        Tool = Join-Path $nugetRoot "$($crossgen.name.ToLowerInvariant())/$(& $version $crossgen)/tools/crossgen2"
        Framework = Join-Path $nugetRoot "$($runtime.name.ToLowerInvariant())/$(& $version $runtime)/runtimes/linux-x64/lib/net8.0"
        Version = & $version $crossgen
    }
}

function New-Variant([string] $Name, [string[]] $Precompiled, $Crossgen) {
    $target = Join-Path $work $Name
    if (Test-Path -LiteralPath $target) { Remove-Item -LiteralPath $target -Recurse -Force }
    New-Item -ItemType Directory -Path $target | Out-Null
    Copy-Item -LiteralPath (Join-Path $root 'GridTsne.psd1') -Destination $target
    Copy-Item -LiteralPath (Join-Path $root 'bin') -Destination $target -Recurse
    $help = Join-Path $root 'en-US'
    if (Test-Path -LiteralPath $help) { Copy-Item -LiteralPath $help -Destination $target -Recurse }
    New-Item -ItemType SymbolicLink -Path (Join-Path $target 'models') -Target (Join-Path $root 'models') | Out-Null
    $pwshHome = Split-Path ([System.Management.Automation.PSObject].Assembly.Location)
    foreach ($assembly in $Precompiled) {
        $path = Get-ChildItem -LiteralPath (Join-Path $target 'bin') -Recurse -Filter "$assembly.dll" | Select-Object -First 1
        $ilDirectory = New-Item -ItemType Directory -Force -Path (Join-Path $work "$Name.il")
        $ilCopy = Join-Path $ilDirectory "$assembly.dll"
        Move-Item -LiteralPath $path.FullName -Destination $ilCopy
        & $Crossgen.Tool $ilCopy -o $path.FullName --targetos linux --targetarch x64 -O -r "$($Crossgen.Framework)/*.dll" `
            -r "$(Join-Path $root 'bin/deps')/*.dll" -r (Join-Path $pwshHome 'System.Management.Automation.dll') | Out-Null
        if ($LASTEXITCODE -ne 0) { throw "crossgen2 failed on $assembly." }
        Remove-Item -LiteralPath $ilDirectory -Recurse
    }
    Join-Path $target 'GridTsne.psd1'
}

function Measure-Variant([string] $Manifest) {
    $result = @{}
    foreach ($run in Measure-ColdAndWarm -Manifest $Manifest -Directory $photos -Model $Model) { $result[$run.State] = $run }
    if ($result.Count -ne 2) { throw "The run of $Manifest failed." }
    $result
}

$photos = Find-ImageNetSample $ImageDirectory $root
New-Item -ItemType Directory -Force -Path $work | Out-Null
$crossgen = Get-Crossgen
$own = 'GridTsne', 'GridTsne.Engine'
$assemblies = @{ 'jit' = @(); 'r2r-own' = $own; 'r2r-all' = $own + @('SixLabors.ImageSharp', 'SkiaSharp', 'Microsoft.ML.OnnxRuntime', 'System.Numerics.Tensors') }
$manifests = [ordered]@{}
foreach ($name in $Variant) {
    Write-Host "Preparing $name (crossgen2 $($crossgen.Version))..."
    $manifests[$name] = New-Variant $name $assemblies[$name] $crossgen
}

$loadBefore = Get-LoadAverage
$results = @{}
foreach ($name in $Variant) { $results[$name] = [Collections.Generic.List[object]]::new() }
for ($run = 1; $run -le $Runs; $run++) {
    foreach ($name in $Variant) {
        $measured = Measure-Variant $manifests[$name]
        $results[$name].Add($measured)
        Write-Host ('  round {0} {1,-8} cold {2,6:0.0} photos/s {3,6:0.0} CPU ms/photo   warm {4,6:0.0} photos/s {5,6:0.0} CPU ms/photo   (load {6})' -f $run, $name,
            $measured.cold.PhotosPerSecond, $measured.cold.CpuMsPerPhoto, $measured.warm.PhotosPerSecond, $measured.warm.CpuMsPerPhoto, (Get-LoadAverage))
    }
}

Write-Host ''
Write-Host "Get-ImageEmbedding -Model $Model on $(@(Get-ChildItem -LiteralPath $photos -File).Count) photos, median of $Runs; load average before $loadBefore, after $(Get-LoadAverage)"
Write-Host ('{0,-8} {1,14} {2,14} {3,14} {4,14} {5,11}' -f 'variant', 'cold photos/s', 'cold CPU ms', 'warm photos/s', 'warm CPU ms', 'cold/warm')
foreach ($name in $Variant) {
    $cold = Get-Median ($results[$name] | ForEach-Object { $_.cold.PhotosPerSecond })
    $warm = Get-Median ($results[$name] | ForEach-Object { $_.warm.PhotosPerSecond })
    Write-Host ('{0,-8} {1,14:0.0} {2,14:0.0} {3,14:0.0} {4,14:0.0} {5,11:0.00}' -f $name, $cold, (Get-Median ($results[$name] | ForEach-Object { $_.cold.CpuMsPerPhoto })),
        $warm, (Get-Median ($results[$name] | ForEach-Object { $_.warm.CpuMsPerPhoto })), ($cold / $warm))
}
