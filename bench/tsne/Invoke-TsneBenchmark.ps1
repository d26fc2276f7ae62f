#Requires -Version 7.4
<#
.SYNOPSIS
    Invoke-Tsne against scikit-learn's Barnes-Hut t-SNE, side by side in one run.

.DESCRIPTION
    For each data set, runs Invoke-Tsne (-Runs times, default 5) and scikit-learn
    TSNE(method='barnes_hut', init='pca', learning_rate='auto', n_jobs=2) on PCA-50 input (-PeerRuns times,
    default 3), both with perplexity 30 and 750 iterations, each run in a fresh process under /usr/bin/time -v.
    Reports the median wall time of the t-SNE call (PCA included, process start and CSV parsing not), the
    peak RSS of the whole process, each tool's own KL divergence, the KL divergence of both maps computed the
    same way (exactly, against scikit-learn's P) and trustworthiness (k = 10), with our/their ratios.

    Data: scikit-learn's digits (1797 x 64), a 10,000-point 50-d Gaussian mixture (both exported by
    tsne_bench.py), and photo embeddings from -EmbeddingsPath (a CSV with Path and Vector columns), skipped
    with a note when the file is absent. Needs /usr/bin/python3 with python3-sklearn and /usr/bin/time.

.EXAMPLE
    pwsh bench/tsne/Invoke-TsneBenchmark.ps1 -Quiet

.EXAMPLE
    pwsh bench/tsne/Invoke-TsneBenchmark.ps1 -DataSet digits -Runs 3 -PeerRuns 1
#>
[CmdletBinding()]
param(
    [int] $Runs = 5,
    [int] $PeerRuns = 3,
    [ValidateSet('digits', 'photos', 'mixture10k')]
    [string[]] $DataSet = @('digits', 'photos', 'mixture10k'),
    [string] $EmbeddingsPath = (Join-Path $PSScriptRoot '../../../data/shared-embeddings.csv'),
    [ValidateSet('Auto', 'Exact', 'BarnesHut', 'Fft')]
    [string] $Method = 'Auto',
    [string] $OutputDirectory = (Join-Path $PSScriptRoot '../../out/bench/tsne'),
    # Prints only the final table.
    [switch] $Quiet
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
Import-Module (Join-Path $PSScriptRoot '../BenchStatistics.psm1') -Force
$root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$manifest = Join-Path $root 'GridTsne.psd1'
$helper = Join-Path $PSScriptRoot 'tsne_bench.py'
$runner = Join-Path $PSScriptRoot 'Invoke-GridTsneRun.ps1'
$pwsh = (Get-Command pwsh -CommandType Application | Select-Object -First 1).Source
$python = '/usr/bin/python3'
New-Item -ItemType Directory -Force -Path $OutputDirectory | Out-Null
$OutputDirectory = (Resolve-Path $OutputDirectory).Path

function Write-Note([string] $Text) { if (-not $Quiet) { Write-Host $Text } }

function Invoke-Timed {
    # Runs a command under /usr/bin/time -v; returns its JSON output, the peak RSS in MB and the CPU seconds
    # (user + system) of the whole process.
    param([string[]] $Command)
    $stderr = Join-Path $OutputDirectory 'time.txt'
    $output = & /usr/bin/time -v -o $stderr @Command
    if ($LASTEXITCODE -ne 0) { throw "'$($Command -join ' ')' failed with exit code $LASTEXITCODE." }
    $usage = Get-Content -Raw $stderr
    $rss = [double]([regex]::Match($usage, 'Maximum resident set size \(kbytes\): (\d+)').Groups[1].Value) / 1024
    $cpu = [double]([regex]::Match($usage, 'User time \(seconds\): ([0-9.]+)').Groups[1].Value) +
        [double]([regex]::Match($usage, 'System time \(seconds\): ([0-9.]+)').Groups[1].Value)
    $json = ($output | Where-Object { $_ -match '^\{' } | Select-Object -Last 1) | ConvertFrom-Json
    $json | Add-Member -NotePropertyName rss -NotePropertyValue $rss
    $json | Add-Member -NotePropertyName cpu -NotePropertyValue $cpu -PassThru
}


if (-not (Test-Path -LiteralPath $python)) { throw "$python (with python3-sklearn) is needed for the peer." }
if (-not (Test-Path -LiteralPath (Join-Path $root 'bin/GridTsne.dll'))) { throw "Build first: pwsh ./build.ps1" }

$files = @{
    digits = Join-Path $OutputDirectory 'digits.csv'
    mixture10k = Join-Path $OutputDirectory 'gaussian-mixture-10k.csv'
    photos = $EmbeddingsPath
}
if (-not (Test-Path -LiteralPath $files.digits) -or -not (Test-Path -LiteralPath $files.mixture10k)) {
    Write-Note 'Exporting digits and the Gaussian mixture...'
    & $python $helper export $OutputDirectory
    if ($LASTEXITCODE -ne 0) { throw 'Exporting the data sets failed.' }
}

$peerEnvironment = @('env', '-u', 'OPENBLAS_CORETYPE', '-u', 'OPENBLAS_L2_SIZE')
$rows = [System.Collections.Generic.List[object]]::new()
$notes = [System.Collections.Generic.List[string]]::new()
foreach ($name in $DataSet) {
    $data = $files[$name]
    if (-not (Test-Path -LiteralPath $data)) {
        $notes.Add("${name}: skipped, $data does not exist.")
        continue
    }
    $lines = [System.IO.File]::ReadLines($data)
    $count = -1; $dimensions = 0
    foreach ($line in $lines) {
        if ($count -eq 0) { $dimensions = ($line -split '[;,\s]+').Count - 1 }
        $count++
    }

    $ours = @(foreach ($run in 1..$Runs) {
        $map = Join-Path $OutputDirectory "$name.gridtsne.csv"
        $result = Invoke-Timed @($pwsh, '-NoProfile', '-NonInteractive', '-File', $runner, '-DataPath', $data, '-MapPath', $map, '-ManifestPath', $manifest, '-Method', $Method)
        Write-Note ("{0} Invoke-Tsne run {1}: {2:0.00} s, process CPU {3:0.0} s, {4:0} MB, KL {5:0.0000} ({6})" -f $name, $run, $result.seconds, $result.cpu, $result.rss, $result.kl, $result.method)
        $result
    })
    $theirs = @(foreach ($run in 1..$PeerRuns) {
        $map = Join-Path $OutputDirectory "$name.sklearn.csv"
        $result = Invoke-Timed ($peerEnvironment + @($python, $helper, 'sklearn', $data, $map))
        Write-Note ("{0} scikit-learn run {1}: {2:0.00} s, process CPU {3:0.0} s, {4:0} MB, KL {5:0.0000}" -f $name, $run, $result.seconds, $result.cpu, $result.rss, $result.kl)
        $result
    })

    $ourScore = & $python $helper score $data (Join-Path $OutputDirectory "$name.gridtsne.csv") | ConvertFrom-Json
    $theirScore = & $python $helper score $data (Join-Path $OutputDirectory "$name.sklearn.csv") | ConvertFrom-Json
    $ourTime = Get-Median $ours.seconds
    $theirTime = Get-Median $theirs.seconds
    $rows.Add([pscustomobject]@{
        Data = $name; N = $count; D = $dimensions; Method = $ours[0].method
        'Time s' = ('{0:0.00} / {1:0.00}' -f $ourTime, $theirTime)
        'Time ratio' = ('{0:0.00}' -f ($ourTime / $theirTime))
        'CPU s' = ('{0:0.0} / {1:0.0}' -f (Get-Median $ours.cpu), (Get-Median $theirs.cpu))
        'Peak RSS MB' = ('{0:0} / {1:0}' -f (Get-Median $ours.rss), (Get-Median $theirs.rss))
        'Own KL' = ('{0:0.000} / {1:0.000}' -f $ours[0].kl, $theirs[0].kl)
        'KL (same P)' = ('{0:0.000} / {1:0.000}' -f $ourScore.kl, $theirScore.kl)
        'KL ratio' = ('{0:0.000}' -f ($ourScore.kl / $theirScore.kl))
        'Trust(10)' = ('{0:0.0000} / {1:0.0000}' -f $ourScore.trustworthiness, $theirScore.trustworthiness)
        'Trust diff' = ('{0:+0.0000;-0.0000}' -f ($ourScore.trustworthiness - $theirScore.trustworthiness))
    })
}

# A Markdown table, every column (Format-Table would drop some).
$table = if ($rows.Count) {
    $columns = $rows[0].PSObject.Properties.Name
    @(('| ' + ($columns -join ' | ') + ' |'), ('|' + (' --- |' * $columns.Count))) +
        @($rows | ForEach-Object { $row = $_; '| ' + (($columns | ForEach-Object { $row.$_ }) -join ' | ') + ' |' }) -join "`n"
}
$conditions = "Invoke-Tsne / scikit-learn $(& $python -c 'import sklearn; print(sklearn.__version__)'); median of $Runs / $PeerRuns runs; " +
    "perplexity 30, 750 iterations, PCA-50; $([Environment]::ProcessorCount) cores; load average at the end: $(Get-LoadAverage)"
$report = @($conditions, $table) + $notes
$report | Set-Content -LiteralPath (Join-Path $OutputDirectory 'results.txt')
$report | Write-Output
