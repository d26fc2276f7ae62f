#Requires -Version 7.4
<#
.SYNOPSIS
    Optimize-GridLayout's engine against t-SNE + exact assignment (the seed's method), by DPQ16, label
    agreement, time and peak memory.

.DESCRIPTION
    Builds bench/layout/LayoutBench (the engine without PowerShell) and runs, each in a fresh process:

    - Quality: 1024 uniformly random RGB colours for seeds 1-5, the samples/ photos and the shared ImageNet
      sample (labels: the Group column of imagenet-sample.csv), each laid out by t-SNE + exact assignment and
      then optimized; DPQ16 and 4-neighbour label agreement before and after (exact, GridLayoutQuality), per
      seed and as seed means with paired differences. The photo sets are laid out 1 + -Seeds ways: the
      Invoke-Tsne defaults (PCA initialisation, which makes t-SNE independent of its seed) and t-SNE from a
      random initialisation with each of -Seeds (Optimize-GridLayout's -Seed the same), so that one layout's
      luck does not decide; the seed means are over those.
    - Time: 1024 colours, the 1000 ImageNet embeddings and 10,000 synthetic 512-d vectors (50 clusters, start
      layout from t-SNE + JV cached in -CacheDirectory), alternating, -Runs times each; median wall and CPU
      seconds of the optimizer alone. -TimingOnly runs just the 1024-colour and 10,000-vector cases (the
      issue's targets: 2 s and 30 s on 2 cores) without embedding anything.
    - Memory: 100,000 synthetic 512-d vectors from a random start layout (t-SNE would dominate the run), once,
      peak RSS of the whole process from /usr/bin/time -v.

    The photo embeddings come from Get-ImageEmbedding -Model (by default the module's default model) and are
    cached as CSV in -CacheDirectory (a temp folder, never the repository), one file per set and model;
    embedding the 1000 ImageNet photos takes about 15-30 s on an idle machine.

.EXAMPLE
    pwsh bench/layout/Invoke-LayoutBenchmark.ps1

.EXAMPLE
    pwsh bench/layout/Invoke-LayoutBenchmark.ps1 -Runs 3 -Part Quality, Time

.EXAMPLE
    pwsh bench/layout/Invoke-LayoutBenchmark.ps1 -TimingOnly -Runs 7
    The time targets alone, on an idle machine: about 2 minutes (plus about 20 s for the 10,000-item t-SNE
    start layout the first time).
#>
[CmdletBinding()]
param(
    [int] $Runs = 5,
    [string] $DataPath = (Join-Path $PSScriptRoot '../../../shared/data'),
    [string] $CacheDirectory = (Join-Path ([IO.Path]::GetTempPath()) 'gridtsne-layout-bench'),
    # The model that embeds the photo sets (the module's default, ResNet18-Int8, unless given).
    [string] $Model = 'ResNet18-Int8',
    # The random-initialisation t-SNE seeds the photo sets are laid out from (besides the defaults); each new
    # seed's start layout is computed once and cached (about 5 s for the ImageNet sample).
    [int[]] $Seeds = 1..10,
    # Which parts to run.
    [ValidateSet('Quality', 'Time', 'Memory')]
    [string[]] $Part = @('Quality', 'Time', 'Memory'),
    # Only the time targets (1024 colours, 10,000 vectors), alternating; no embedding, quality or memory runs.
    [switch] $TimingOnly
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
Import-Module (Join-Path $PSScriptRoot '../BenchStatistics.psm1') -Force
$root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$binary = Join-Path $root 'out/bench/layout'
New-Item -ItemType Directory -Force -Path $CacheDirectory, $binary | Out-Null

dotnet build (Join-Path $PSScriptRoot 'LayoutBench/LayoutBench.csproj') -c Release -o $binary --nologo -v quiet | Out-Null
if ($LASTEXITCODE -ne 0) { throw 'Building LayoutBench failed.' }
$bench = Join-Path $binary 'LayoutBench.dll'
if ($TimingOnly) { $Part = @('Time') }

function Invoke-Bench {
    # One run in a fresh process; returns its key=value line as a hashtable, plus the peak RSS and load.
    param([string[]] $Arguments)
    $usageFile = Join-Path $CacheDirectory 'time.txt'
    $line = & /usr/bin/time -v -o $usageFile dotnet $bench @Arguments
    if ($LASTEXITCODE -ne 0) { throw "LayoutBench $($Arguments -join ' ') failed with exit code $LASTEXITCODE." }
    $result = ConvertFrom-KeyValue @($line)[-1]

    $result.peak_mb = [double]([regex]::Match((Get-Content -Raw $usageFile), 'Maximum resident set size \(kbytes\): (\d+)').Groups[1].Value) / 1024
    $result.load = (Get-LoadAverage).Split(' ')[0]
    $result
}

function Export-EmbeddingCsv {
    # Label,Vector rows (the vector joined by ';' in round-trip format) for LayoutBench's file mode.
    param([string] $Path, [System.IO.FileInfo[]] $Photos, [scriptblock] $LabelOf)
    if (Test-Path $Path) { return }
    Import-Module (Join-Path $root 'GridTsne.psd1')
    $Photos | Get-ImageEmbedding -Model $Model |
        Select-Object @{ n = 'Label'; e = { & $LabelOf $_.Path } },
            @{ n = 'Vector'; e = { $_.Vector.ForEach('ToString', 'R', [cultureinfo]::InvariantCulture) -join ';' } } |
        Export-Csv -LiteralPath $Path -NoTypeInformation
}


# Embeddings, cached.
# The file names carry the model: vectors of another model must never be taken for these.
$samplesCsv = Join-Path $CacheDirectory "samples-$Model.csv"
$imagenetCsv = Join-Path $CacheDirectory "imagenet-$Model.csv"
if (-not $TimingOnly) {
Export-EmbeddingCsv $samplesCsv (Get-ChildItem (Join-Path $root 'samples/photos') -File | Sort-Object Name) {
    param($Path) ([IO.Path]::GetFileName($Path) -split '__')[0]
}
$imagenetFolder = Join-Path $DataPath 'imagenet-sample'
if (Test-Path $imagenetFolder) {
    $groups = @{}
    Import-Csv (Join-Path $DataPath 'imagenet-sample.csv') | ForEach-Object { $groups[$_.File] = $_.Group }
    Export-EmbeddingCsv $imagenetCsv (Get-ChildItem $imagenetFolder -File | Sort-Object Name) {
        param($Path) $groups[[IO.Path]::GetFileName($Path)]
    }.GetNewClosure()
}
else {
    Write-Warning "No ImageNet sample at $imagenetFolder; its rows are skipped."
}
}

"uptime at start: $(uptime)"
if (-not $TimingOnly) { "photo embeddings: Get-ImageEmbedding -Model $Model" }

# Quality (deterministic: one run each).
if ('Quality' -in $Part) {
    $quality = foreach ($seed in 1..5) {
        $r = Invoke-Bench @('colors', $seed)
        [pscustomobject]@{ Data = "colours, seed $seed"; Before = [double]$r.dpq16_before; After = [double]$r.dpq16_after; Kept = $r.chosen; AgreementBefore = $null; AgreementAfter = $null; Seconds = [double]$r.optimize_s; Load = $r.load }
    }
    $colours = @($quality)
    $pairedLines = [Collections.Generic.List[string]]::new()
    $quality = @($quality) + [pscustomobject]@{ Data = 'colours, mean of 5'; Before = ($colours.Before | Measure-Object -Average).Average; After = ($colours.After | Measure-Object -Average).Average; Kept = ''; AgreementBefore = $null; AgreementAfter = $null; Seconds = $null; Load = '' }
    foreach ($case in @(@{ Name = 'samples/ photos (256 × 512)'; Key = 'samples'; Csv = $samplesCsv }, @{ Name = 'ImageNet sample (1000 × 512)'; Key = 'imagenet'; Csv = $imagenetCsv })) {
        if (-not (Test-Path $case.Csv)) { continue }
        $photoRows = foreach ($seed in @(0) + $Seeds) {
            # Seed 0: the Invoke-Tsne defaults (PCA initialisation); the others: random initialisation from that seed.
            $arguments = if ($seed -eq 0) { @('file', $case.Csv, "startfile=$(Join-Path $CacheDirectory "start-$($case.Key)-pca.txt")") }
            else { @('file', $case.Csv, 'init=random', "tsneseed=$seed", "seed=$seed", "startfile=$(Join-Path $CacheDirectory "start-$($case.Key)-random-$seed.txt")") }
            $r = Invoke-Bench $arguments
            $data = if ($seed -eq 0) { "$($case.Name), t-SNE defaults" } else { "$($case.Name), random init, seed $seed" }
            [pscustomobject]@{ Data = $data; Before = [double]$r.dpq16_before; After = [double]$r.dpq16_after; Kept = $r.chosen; AgreementBefore = [double]$r.agreement_before; AgreementAfter = [double]$r.agreement_after; Seconds = [double]$r.optimize_s; Load = $r.load }
        }

        $seeded = @($photoRows | Select-Object -Skip 1)
        $quality += @($photoRows)
        if ($seeded.Count -eq 0) { continue } # -Seeds @(): the defaults' layout alone, no means or pairs

        $seedText = if ($Seeds.Count -gt 2 -and $Seeds[-1] - $Seeds[0] -eq $Seeds.Count - 1) { "$($Seeds[0])-$($Seeds[-1])" } else { $Seeds -join ', ' }
        $quality += [pscustomobject]@{
            Data = "$($case.Name), mean of seeds $seedText"; Kept = ''; Seconds = $null; Load = ''
            Before = ($seeded.Before | Measure-Object -Average).Average; After = ($seeded.After | Measure-Object -Average).Average
            AgreementBefore = ($seeded.AgreementBefore | Measure-Object -Average).Average; AgreementAfter = ($seeded.AgreementAfter | Measure-Object -Average).Average
        }
        $lower = @($seeded | Where-Object { $_.AgreementAfter -lt $_.AgreementBefore }).Count
        $paired = "$($case.Name): paired over seeds $seedText, DPQ16 gain min {0:+0.0000;-0.0000}, agreement change mean {3:+0.0000;-0.0000} min {1:+0.0000;-0.0000} max {2:+0.0000;-0.0000}, lower in $lower of $($Seeds.Count)" -f
            ($seeded | ForEach-Object { $_.After - $_.Before } | Measure-Object -Minimum).Minimum,
            ($seeded | ForEach-Object { $_.AgreementAfter - $_.AgreementBefore } | Measure-Object -Minimum).Minimum,
            ($seeded | ForEach-Object { $_.AgreementAfter - $_.AgreementBefore } | Measure-Object -Maximum).Maximum,
            ($seeded | ForEach-Object { $_.AgreementAfter - $_.AgreementBefore } | Measure-Object -Average).Average
        $pairedLines.Add($paired)
    }

    '## Quality (DPQ16 exact; label agreement = share of 4-neighbours with the same label)'
    '| Data | t-SNE + JV | optimized | gain | kept | agreement before → after | optimize s | load |'
    '|---|---|---|---|---|---|---|---|'
    foreach ($q in $quality) {
        $agreement = if ($null -ne $q.AgreementBefore) { '{0:0.0000} → {1:0.0000}' -f $q.AgreementBefore, $q.AgreementAfter } else { '' }
        $seconds = if ($null -ne $q.Seconds) { '{0:0.00}' -f $q.Seconds } else { '' }
        '| {0} | {1:0.0000} | {2:0.0000} | {3:+0.0000;-0.0000} | {4} | {5} | {6} | {7} |' -f $q.Data, $q.Before, $q.After, ($q.After - $q.Before), $q.Kept, $agreement, $seconds, $q.Load
    }

    ''
    $pairedLines
}

# Time: the cases alternate, so that a change in the machine's load hits them alike.
if ('Time' -in $Part) {
    $cases = [ordered]@{
        '1024 colours (3-d)'     = @('colors', '1', 'score=0')
        '10,000 synthetic × 512' = @('synthetic', '10000', '512', 'score=0', "startfile=$(Join-Path $CacheDirectory 'start-10000.txt')")
    }
    # The 10,000-item t-SNE start layout is computed once, outside the timed runs.
    if (-not (Test-Path (Join-Path $CacheDirectory 'start-10000.txt'))) { $null = Invoke-Bench $cases['10,000 synthetic × 512'] }
    if (-not $TimingOnly -and (Test-Path $imagenetCsv)) { $cases.Insert(1, '1000 ImageNet × 512', @('file', $imagenetCsv, 'score=0')) }
    $timings = @{}
    foreach ($name in $cases.Keys) { $timings[$name] = [Collections.Generic.List[object]]::new() }
    foreach ($run in 1..$Runs) {
        foreach ($name in $cases.Keys) { $timings[$name].Add((Invoke-Bench $cases[$name])) }
    }

    ''
    "## Time (optimizer alone, median of $Runs, fresh process each, cases alternating)"
    '| Case | wall s | CPU s | wall s, every run | peak RSS MB | load during runs |'
    '|---|---|---|---|---|---|'
    foreach ($name in $cases.Keys) {
        $t = $timings[$name]
        '| {0} | {1:0.00} | {2:0.00} | {3} | {4:0} | {5} |' -f $name, (Get-Median ($t | ForEach-Object { [double]$_.optimize_s })),
            (Get-Median ($t | ForEach-Object { [double]$_.optimize_cpu_s })),
            (($t | ForEach-Object { '{0:0.00}' -f [double]$_.optimize_s }) -join ', '), (Get-Median ($t | ForEach-Object { $_.peak_mb })),
            (($t | ForEach-Object { $_.load } | Sort-Object) -join ', ')
    }
}

if ('Memory' -in $Part) {
    $m = Invoke-Bench @('synthetic', '100000', '512', 'start=random', 'score=0')
    ''
    '## Memory (100,000 synthetic × 512, random start, one run)'
    '| peak RSS MB | wall s | CPU s | rounds | load |'
    '|---|---|---|---|---|'
    '| {0:0} | {1:0.0} | {2:0.0} | {3} | {4} |' -f $m.peak_mb, [double]$m.optimize_s, [double]$m.optimize_cpu_s, $m.rounds, $m.load
}

"uptime at end: $(uptime)"
