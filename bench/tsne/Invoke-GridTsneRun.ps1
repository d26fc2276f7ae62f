<#
.SYNOPSIS
    One benchmark run of Invoke-Tsne (started by Invoke-TsneBenchmark.ps1 under /usr/bin/time): reads a data
    CSV, times Invoke-Tsne alone (PCA included, CSV parsing not), writes the map and prints JSON.
#>
param(
    [Parameter(Mandatory)] [string] $DataPath,
    [Parameter(Mandatory)] [string] $MapPath,
    [Parameter(Mandatory)] [string] $ManifestPath,
    [string] $Method = 'Auto'
)
$ErrorActionPreference = 'Stop'
Import-Module $ManifestPath
$header = Get-Content -LiteralPath $DataPath -TotalCount 1
$delimiter = if (($header.Split(';').Count) -gt ($header.Split(',').Count)) { ';' } else { ',' }
$rows = @(Import-Csv -LiteralPath $DataPath -Delimiter $delimiter)
# Parse the vectors once, outside the timed part, as Get-ImageEmbedding would hand them over.
$items = foreach ($row in $rows) {
    [pscustomobject]@{ Path = $row.Path; Vector = [float[]]($row.Vector.Trim() -split '[;,\s]+') }
}
$clock = [System.Diagnostics.Stopwatch]::StartNew()
$verbose = $items | Invoke-Tsne -Method $Method -Perplexity 30 -Iterations 750 -PcaDimensions 50 -Verbose -ProgressAction SilentlyContinue 4>&1
$clock.Stop()
$points = @($verbose | Where-Object { $_ -is [GridTsne.TsnePoint] })
$messages = @($verbose | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n"
$points | Select-Object X, Y | Export-Csv -LiteralPath $MapPath
$kl = [double]([regex]::Match($messages, 'Final KL divergence: ([0-9]+\.[0-9]+)').Groups[1].Value)
$method = [regex]::Match($messages, 'method (\w+)').Groups[1].Value
[pscustomobject]@{ seconds = $clock.Elapsed.TotalSeconds; kl = $kl; method = $method } | ConvertTo-Json -Compress
