# What every benchmark script reports besides its own timings: medians of repeated runs and the machine's load.

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

Export-ModuleMember -Function Get-Median, Get-LoadAverage, ConvertFrom-KeyValue
