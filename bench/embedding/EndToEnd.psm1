# What the embedding benchmarks share: timing Get-ImageEmbedding end to end in a fresh pwsh.
Import-Module (Join-Path $PSScriptRoot '../BenchStatistics.psm1')

function Measure-ColdAndWarm {
    <#
    .SYNOPSIS
        Runs Get-ImageEmbedding twice over a folder in one fresh pwsh (module import excluded, model load included):
        cold (the first run, while .NET still compiles) and warm (the same again). Returns one object per run with
        photos per second and CPU ms per photo (all threads; the CPU figure holds up better on a loaded machine).
    #>
    param(
        [Parameter(Mandatory)] [string] $Manifest,
        [Parameter(Mandatory)] [string] $Directory,
        [string] $Model = 'ResNet18',
        # Names the build in the error when the run fails.
        [string] $Label = $Manifest
    )
    $pwsh = (Get-Command pwsh -CommandType Application | Select-Object -First 1).Source
    $script = @"
Import-Module '$($Manifest -replace "'", "''")'
`$process = Get-Process -Id `$PID
foreach (`$state in 'cold', 'warm') {
    `$process.Refresh(); `$cpu = `$process.TotalProcessorTime
    `$clock = [Diagnostics.Stopwatch]::StartNew()
    `$count = (Get-ChildItem -LiteralPath '$($Directory -replace "'", "''")' -File | Get-ImageEmbedding -Model '$Model' | Measure-Object).Count
    `$clock.Stop(); `$process.Refresh()
    "state=`$state images=`$count seconds=`$(`$clock.Elapsed.TotalSeconds) cpuMsPerImage=`$((`$process.TotalProcessorTime - `$cpu).TotalMilliseconds / `$count)"
}
"@
    $lines = & $pwsh -NoProfile -NonInteractive -Command $script
    if ($LASTEXITCODE -ne 0) { throw "Get-ImageEmbedding ($Label) failed." }
    foreach ($line in $lines | Where-Object { "$_" -like 'state=*' }) {
        $values = ConvertFrom-KeyValue "$line"
        [pscustomobject]@{
            State = $values.state
            Photos = [int]$values.images
            PhotosPerSecond = [double]$values.images / [double]$values.seconds
            CpuMsPerPhoto = [double]$values.cpuMsPerImage
        }
    }
}

Export-ModuleMember -Function Measure-ColdAndWarm
