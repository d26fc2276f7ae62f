#Requires -Version 7.4
<#
.SYNOPSIS
    One measured Export-PhotoGrid run in a fresh pwsh, for Invoke-RenderBenchmark.ps1.

.DESCRIPTION
    Imports GridTsne, builds the grid cells of the first -Photos files of -DataPath (repeated -Repeat times,
    row-major on a square grid), then times Export-PhotoGrid alone and prints one line of JSON.

    -Source Original : the cells carry only Path, Row and Column: every photo is decoded from its file.
    -Source Thumbnail: first (untimed) the engine makes a thumbnail of each photo, as Get-ImageEmbedding
                       keeps one, and the cells carry it as GridCell.Thumbnail. Each cell gets its own copy
                       of the thumbnail bytes, so memory is that of as many distinct photos.
    -Warm            : times a second, identical Export-PhotoGrid in the same session (JIT warm), as in a
                       pipeline whose embedding step has already decoded the photos.
    Each render reports its wall time and the CPU time the process used meanwhile.
#>
param(
    [Parameter(Mandatory)] [string] $DataPath,
    [Parameter(Mandatory)] [string] $OutputPath,
    [ValidateSet('Original', 'Thumbnail')] [string] $Source = 'Original',
    [int] $Photos = 1000,
    [int] $Repeat = 1,
    [int] $TileSize = 64,
    [switch] $Warm
)

$ErrorActionPreference = 'Stop'
$repositoryRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
Import-Module (Join-Path $repositoryRoot 'GridTsne.psd1')

$files = @(Get-ChildItem -LiteralPath $DataPath -File | Sort-Object Name | Select-Object -First $Photos)
$count = $files.Count * $Repeat
$columns = [int][math]::Ceiling([math]::Sqrt($count))
$rows = [int][math]::Ceiling($count / $columns)

$thumbnails = $null
$preparation = [Diagnostics.Stopwatch]::StartNew()
if ($Source -eq 'Thumbnail') {
    # The engine loads in GridTsne's own load context, where [type] literals do not reach: go through GridCell.
    $thumbnailType = [GridTsne.GridCell].GetProperty('Thumbnail').PropertyType
    $loaderType = $thumbnailType.Assembly.GetType('GridTsne.Engine.Imaging.SafeImageLoader')
    $thumbnails = foreach ($file in $files) {
        $photo = $loaderType::Load($file.FullName, $null, [Threading.CancellationToken]::None)
        try { $thumbnailType::Create($photo, 128) } finally { $photo.Dispose() }
    }
}

$cells = [Collections.Generic.List[object]]::new($count)
for ($i = 0; $i -lt $count; $i++) {
    $cell = [GridTsne.GridCell]@{ Path = $files[$i % $files.Count].FullName; Row = [math]::Floor($i / $columns); Column = $i % $columns; Rows = $rows; Columns = $columns }
    if ($thumbnails) {
        $thumbnail = $thumbnails[$i % $files.Count]
        $cell.Thumbnail = $thumbnailType::FromEncodedJpeg($thumbnail.EncodedJpeg.Clone(), $thumbnail.SourceWidth, $thumbnail.SourceHeight)
    }
    $cells.Add($cell)
}
$preparation.Stop()

function Measure-Render {
    # Wall time, and the CPU time of the whole process (all threads, the JIT's included) during the render.
    $cpu = [Diagnostics.Process]::GetCurrentProcess().TotalProcessorTime
    $clock = [Diagnostics.Stopwatch]::StartNew()
    $cells | Export-PhotoGrid -Path $OutputPath -TileSize $TileSize -ProgressAction SilentlyContinue
    [pscustomobject]@{
        Seconds    = [math]::Round($clock.Elapsed.TotalSeconds, 3)
        CpuSeconds = [math]::Round(([Diagnostics.Process]::GetCurrentProcess().TotalProcessorTime - $cpu).TotalSeconds, 3)
    }
}

$first = Measure-Render
$second = if ($Warm) { Measure-Render } else { $null }

[pscustomobject]@{
    Tiles              = $count
    Grid               = "$columns x $rows"
    PreparationSeconds = [math]::Round($preparation.Elapsed.TotalSeconds, 3)
    RenderSeconds      = $first.Seconds
    RenderCpuSeconds   = $first.CpuSeconds
    WarmRenderSeconds  = $second.Seconds
    WarmRenderCpuSeconds = $second.CpuSeconds
} | ConvertTo-Json -Compress
