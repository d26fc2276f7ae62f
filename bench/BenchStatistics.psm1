# What the benchmark scripts share besides their own timings: medians of repeated runs, the machine's load,
# the harnesses' key=value lines, and where the shared ImageNet sample is.

function Get-Median {
    <#
    .SYNOPSIS
        The median of the values (the mean of the middle two for an even count), as the benchmarks report runs.
    #>
    param([Parameter(Mandatory)] [double[]] $Values)
    $sorted = [double[]]($Values | Sort-Object)
    $middle = [int][math]::Floor($sorted.Count / 2)
    if ($sorted.Count % 2) { $sorted[$middle] } else { ($sorted[$middle - 1] + $sorted[$middle]) / 2 }
}

function Get-LoadAverage {
    <#
    .SYNOPSIS
        The 1-, 5- and 15-minute load averages, for the benchmarks' reports (figures from a loaded machine do not compare).
    #>
    ((Get-Content /proc/loadavg) -split ' ' | Select-Object -First 3) -join ' '
}

function ConvertFrom-KeyValue {
    <#
    .SYNOPSIS
        A harness line 'a=1 b=2.5' as a hashtable @{ a = '1'; b = '2.5' } (values stay strings).
    #>
    param([Parameter(Mandatory)] [AllowEmptyString()] [string] $Line)
    $values = @{}
    foreach ($pair in $Line.Trim() -split '\s+') {
        $name, $value = $pair -split '=', 2
        $values[$name] = $value
    }
    $values
}

function Find-ImageNetSample {
    <#
    .SYNOPSIS
        The ImageNet sample folder: -Given when the caller named one, else shared/data/imagenet-sample in the
        first folder above the repository that has it (CI puts shared/ beside the clone; worktrees sit deeper).
    #>
    param(
        [AllowEmptyString()] [string] $Given,
        [Parameter(Mandatory)] [string] $RepositoryRoot,
        # The script's parameter to name in the error.
        [string] $ParameterName = 'ImageDirectory'
    )
    if ($Given) { return (Resolve-Path -LiteralPath $Given).Path }
    for ($folder = Split-Path $RepositoryRoot; $folder; $folder = Split-Path $folder) {
        $candidate = Join-Path $folder 'shared/data/imagenet-sample'
        if (Test-Path -LiteralPath $candidate) { return $candidate }
    }
    throw "No shared/data/imagenet-sample folder found above the repository; pass -$ParameterName."
}

Export-ModuleMember -Function Get-Median, Get-LoadAverage, ConvertFrom-KeyValue, Find-ImageNetSample
