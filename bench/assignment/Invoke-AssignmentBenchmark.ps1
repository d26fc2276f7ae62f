#Requires -Version 7.4
<#
.SYNOPSIS
    Resolve-GridAssignment's solvers against scipy's linear_sum_assignment, side by side in one run.

.DESCRIPTION
    Generates t-SNE-like clustered 2-D points (a seeded Gaussian mixture of clusters of very different sizes
    and spreads), writes them to CSV files that both sides read, and solves each set on a square grid of
    32², 64² and 100² cells with squared-Euclidean costs in cell units:
      - ours: the engine's GridAssigner (Auto, which is the sparse solver here, and Dense), in this process,
        after a warm-up run, median of -Runs runs;
      - scipy: Debian's python3-scipy linear_sum_assignment on the same cost matrix (bench/assignment/scipy_lsa.py),
        fewer runs for the slow sizes (reported in the table).
    Then 100,000 points on 317 × 317 with the sparse solver, each run in a fresh pwsh under /usr/bin/time -v
    for the peak resident set size, with the proven gap to the optimum.

    Prints one table at the end and writes results.md and results.json to -OutputDirectory. Build the module
    first (pwsh ./build.ps1). Takes about 6 minutes, most of it scipy at 100²; -Quick takes about half a minute.

.EXAMPLE
    pwsh bench/assignment/Invoke-AssignmentBenchmark.ps1

.EXAMPLE
    pwsh bench/assignment/Invoke-AssignmentBenchmark.ps1 -Quick
#>
[CmdletBinding()]
param(
    # Grid sides; each set has side² points on side × side cells.
    [int[]] $Sides = @(32, 64, 100),

    # Runs of our solvers per size (the median is reported).
    [ValidateRange(1, 100)]
    [int] $Runs = 5,

    # Skips scipy at 100² (3 minutes a run), the dense solver at 100², and the 100,000-point run.
    [switch] $Quick,

    [switch] $SkipScipy,

    [switch] $SkipLarge,

    [string] $OutputDirectory = (Join-Path $PSScriptRoot '../../out/bench/assignment')
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
Import-Module (Join-Path $PSScriptRoot '../BenchStatistics.psm1') -Force
$root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$manifest = Join-Path $root 'GridTsne.psd1'
if (-not (Test-Path -LiteralPath (Join-Path $root 'bin/GridTsne.dll'))) { throw 'Build the module first: pwsh ./build.ps1' }
$null = New-Item -ItemType Directory -Force -Path $OutputDirectory
$pwsh = (Get-Command pwsh -CommandType Application | Select-Object -First 1).Source

function New-MixtureCsv([int] $Count, [int] $Seed, [string] $Path) {
    # Clusters of very different weights and spreads, like t-SNE maps of photo collections.
    $random = [System.Random]::new($Seed)
    $clusters = 12
    $centres = foreach ($k in 1..$clusters) { , @(($random.NextDouble() * 100), ($random.NextDouble() * 100), (0.5 + $random.NextDouble() * 6), (0.2 + $random.NextDouble())) }
    $total = ($centres | ForEach-Object { $_[3] } | Measure-Object -Sum).Sum
    $lines = [System.Collections.Generic.List[string]]::new($Count + 1)
    $lines.Add('x,y')
    for ($i = 0; $i -lt $Count; $i++) {
        $pick = $random.NextDouble() * $total
        $k = 0
        while ($k -lt $clusters - 1 -and $pick -gt $centres[$k][3]) { $pick -= $centres[$k][3]; $k++ }
        $g1 = [math]::Sqrt(-2 * [math]::Log(1 - $random.NextDouble())) * [math]::Cos(2 * [math]::PI * $random.NextDouble())
        $g2 = [math]::Sqrt(-2 * [math]::Log(1 - $random.NextDouble())) * [math]::Cos(2 * [math]::PI * $random.NextDouble())
        $lines.Add([string]::Format([cultureinfo]::InvariantCulture, '{0:R},{1:R}', $centres[$k][0] + $centres[$k][2] * $g1, $centres[$k][1] + $centres[$k][2] * $g2))
    }
    [System.IO.File]::WriteAllLines($Path, $lines)
}

function Read-Points([string] $Path) {
    $lines = [System.IO.File]::ReadAllLines($Path)
    $x = [double[]]::new($lines.Count - 1); $y = [double[]]::new($lines.Count - 1)
    for ($i = 1; $i -lt $lines.Count; $i++) {
        $parts = $lines[$i].Split(',')
        $x[$i - 1] = [double]::Parse($parts[0], [cultureinfo]::InvariantCulture)
        $y[$i - 1] = [double]::Parse($parts[1], [cultureinfo]::InvariantCulture)
    }
    , @($x, $y)
}


Import-Module $manifest
# The module hands GridTsne.Engine to the default load context on request (its dependencies stay in the module's own).
$engine = [System.Reflection.Assembly]::Load('GridTsne.Engine')
$assigner = $engine.GetType('GridTsne.Engine.Assignment.GridAssigner')
$shapeType = $engine.GetType('GridTsne.Engine.Assignment.GridShape')
$methodType = $engine.GetType('GridTsne.Engine.Assignment.AssignmentMethod')
$costType = $engine.GetType('GridTsne.Engine.Assignment.AssignmentCost')
function Invoke-Ours($X, $Y, [int] $Rows, [int] $Columns, [string] $Method) {
    $shape = [Activator]::CreateInstance($shapeType, @($Rows, $Columns))
    $watch = [System.Diagnostics.Stopwatch]::StartNew()
    $result = $assigner::Assign($X, $Y, $shape, [Enum]::Parse($costType, 'SquaredEuclidean'), [Enum]::Parse($methodType, $Method), $null, [System.Threading.CancellationToken]::None)
    $watch.Stop()
    [pscustomobject]@{ Seconds = $watch.Elapsed.TotalSeconds; Cost = $result.TotalCost; Solver = "$($result.Method)"; Gap = $result.ProvenGap }
}

$conditions = [ordered]@{
    Date = (Get-Date).ToString('u')
    Cpu = ((Get-Content /proc/cpuinfo | Select-String '^model name' | Select-Object -First 1) -replace '.*:\s*', '')
    Cores = [Environment]::ProcessorCount
    LoadAverageAtStart = Get-LoadAverage
    DotNet = [Environment]::Version.ToString()
    PowerShell = $PSVersionTable.PSVersion.ToString()
}

$rows = [System.Collections.Generic.List[object]]::new()
New-MixtureCsv 2000 99 (Join-Path $OutputDirectory 'warmup.csv')
$warm = Read-Points (Join-Path $OutputDirectory 'warmup.csv')
$null = Invoke-Ours $warm[0] $warm[1] 45 45 'Auto'
$null = Invoke-Ours $warm[0] $warm[1] 45 45 'Dense'

foreach ($side in $Sides) {
    $n = $side * $side
    $csv = Join-Path $OutputDirectory "mixture-$side.csv"
    New-MixtureCsv $n (1000 + $side) $csv
    $points = Read-Points $csv
    Write-Progress -Activity 'Assignment benchmark' -Status "$side² ($n points): ours"
    $auto = foreach ($run in 1..$Runs) { Invoke-Ours $points[0] $points[1] $side $side 'Auto' }
    $denseRuns = if ($side -ge 100) { if ($Quick) { 0 } else { 1 } } elseif ($side -ge 64) { [math]::Min(3, $Runs) } else { $Runs }
    $dense = if ($denseRuns -gt 0) { foreach ($run in 1..$denseRuns) { Invoke-Ours $points[0] $points[1] $side $side 'Dense' } }
    $scipy = $null
    $scipyRuns = if ($side -ge 100) { if ($Quick) { 0 } else { 1 } } elseif ($side -ge 64) { 3 } else { 5 }
    if (-not $SkipScipy -and $scipyRuns -gt 0) {
        Write-Progress -Activity 'Assignment benchmark' -Status "$side² ($n points): scipy, $scipyRuns run(s)"
        # The peer runs with OpenBLAS's own CPU detection.
        $json = & env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 (Join-Path $PSScriptRoot 'scipy_lsa.py') $csv $side $side $scipyRuns
        if ($LASTEXITCODE -ne 0) { throw "scipy failed at $side²." }
        $scipy = $json | ConvertFrom-Json
        $conditions['Scipy'] = $scipy.scipy
    }
    $ours = Get-Median ($auto.Seconds)
    $peer = if ($scipy) { Get-Median ([double[]]$scipy.seconds) } else { $null }
    $rows.Add([pscustomobject]@{
        Grid = "$side²"; Points = $n
        ScipySeconds = $peer; ScipyRuns = if ($scipy) { $scipyRuns } else { 0 }
        OursSeconds = $ours; OursSolver = $auto[0].Solver; OursRuns = $Runs
        Ratio = if ($peer) { $ours / $peer } else { $null }
        DenseSeconds = if ($dense) { Get-Median ($dense.Seconds) } else { $null }; DenseRuns = $denseRuns
        OursCost = $auto[0].Cost; DenseCost = if ($dense) { $dense[0].Cost } else { $null }; ScipyCost = if ($scipy) { $scipy.cost } else { $null }
        CostDifference = if ($scipy) { [math]::Abs($auto[0].Cost - $scipy.cost) / $scipy.cost } else { $null }
        ProvenGap = $auto[0].Gap
    })
}

$large = $null
if (-not $Quick -and -not $SkipLarge) {
    $csv = Join-Path $OutputDirectory 'mixture-100k.csv'
    New-MixtureCsv 100000 4242 $csv
    $script = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$manifest'
`$engine = [System.Reflection.Assembly]::Load('GridTsne.Engine')
`$lines = [System.IO.File]::ReadAllLines('$csv')
`$x = [double[]]::new(`$lines.Count - 1); `$y = [double[]]::new(`$lines.Count - 1)
for (`$i = 1; `$i -lt `$lines.Count; `$i++) { `$p = `$lines[`$i].Split(','); `$x[`$i - 1] = [double]::Parse(`$p[0], [cultureinfo]::InvariantCulture); `$y[`$i - 1] = [double]::Parse(`$p[1], [cultureinfo]::InvariantCulture) }
`$shape = [Activator]::CreateInstance(`$engine.GetType('GridTsne.Engine.Assignment.GridShape'), @(317, 317))
`$watch = [System.Diagnostics.Stopwatch]::StartNew()
`$r = `$engine.GetType('GridTsne.Engine.Assignment.GridAssigner')::Assign(`$x, `$y, `$shape, [Enum]::Parse(`$engine.GetType('GridTsne.Engine.Assignment.AssignmentCost'), 'SquaredEuclidean'), [Enum]::Parse(`$engine.GetType('GridTsne.Engine.Assignment.AssignmentMethod'), 'Sparse'), `$null, [System.Threading.CancellationToken]::None)
`$watch.Stop()
[pscustomobject]@{ Seconds = `$watch.Elapsed.TotalSeconds; Cost = `$r.TotalCost; Gap = `$r.ProvenGap; Levels = `$r.Sparse.Levels; Edges = `$r.Sparse.CandidateEdges } | ConvertTo-Json -Compress
"@
    $runsLarge = foreach ($run in 1..$Runs) {
        Write-Progress -Activity 'Assignment benchmark' -Status "100,000 points on 317²: run $run of $Runs"
        $timeLog = Join-Path $OutputDirectory 'time-100k.txt'
        $json = & /usr/bin/time -v -o $timeLog $pwsh -NoProfile -NonInteractive -Command $script
        if ($LASTEXITCODE -ne 0) { throw '100,000-point run failed.' }
        $measured = $json | ConvertFrom-Json
        $peak = [double]((Select-String -LiteralPath $timeLog -Pattern 'Maximum resident set size \(kbytes\): (\d+)').Matches[0].Groups[1].Value) / 1MB
        $measured | Add-Member PeakGB $peak -PassThru
    }
    $large = [pscustomobject]@{
        Points = 100000; Grid = '317²'; Runs = $Runs
        MedianSeconds = Get-Median ($runsLarge.Seconds); MaxPeakGB = ($runsLarge.PeakGB | Measure-Object -Maximum).Maximum
        Gap = ($runsLarge.Gap | Measure-Object -Maximum).Maximum; Cost = $runsLarge[0].Cost; Levels = $runsLarge[0].Levels; CandidatesPerPoint = $runsLarge[0].Edges / 100000
    }
}
Write-Progress -Activity 'Assignment benchmark' -Completed
$conditions['LoadAverageAtEnd'] = Get-LoadAverage

$culture = [cultureinfo]::InvariantCulture
$table = [System.Text.StringBuilder]::new()
$null = $table.AppendLine('| Grid | Points | scipy (runs) | Ours: Auto (runs) | Ratio | Ours: Dense JV (runs) | Cost difference vs scipy | Proven gap |')
$null = $table.AppendLine('|---|---:|---:|---:|---:|---:|---:|---:|')
foreach ($row in $rows) {
    $null = $table.AppendLine([string]::Format($culture, '| {0} | {1:N0} | {2} | {3:0.000} s ({4}, {5}) | {6} | {7} | {8} | {9:G3} |',
        $row.Grid, $row.Points,
        $(if ($row.ScipySeconds) { [string]::Format($culture, '{0:0.000} s ({1})', $row.ScipySeconds, $row.ScipyRuns) } else { 'skipped' }),
        $row.OursSeconds, $row.OursSolver, $row.OursRuns,
        $(if ($row.Ratio) { [string]::Format($culture, '{0:0.0000}×', $row.Ratio) } else { '' }),
        $(if ($row.DenseSeconds) { [string]::Format($culture, '{0:0.000} s ({1})', $row.DenseSeconds, $row.DenseRuns) } else { 'skipped' }),
        $(if ($null -ne $row.CostDifference) { [string]::Format($culture, '{0:G3} (relative)', $row.CostDifference) } else { '' }),
        $row.ProvenGap))
}
if ($large) {
    $null = $table.AppendLine()
    $null = $table.AppendLine([string]::Format($culture, '100,000 points on 317² (sparse, fresh pwsh per run, {0} runs): median {1:0.0} s, peak RSS {2:0.00} GB (max), proven gap {3:G3}, {4} levels, {5:0.0} candidate cells per point, total cost {6:0.###}.',
        $large.Runs, $large.MedianSeconds, $large.MaxPeakGB, $large.Gap, $large.Levels, $large.CandidatesPerPoint, $large.Cost))
}
$null = $table.AppendLine()
$null = $table.AppendLine(($conditions.GetEnumerator() | ForEach-Object { "$($_.Key): $($_.Value)" }) -join '; ')

$text = $table.ToString()
Set-Content -LiteralPath (Join-Path $OutputDirectory 'results.md') -Value $text
[pscustomobject]@{ Conditions = $conditions; Sizes = $rows; Large = $large } | ConvertTo-Json -Depth 5 | Set-Content -LiteralPath (Join-Path $OutputDirectory 'results.json')
$text
