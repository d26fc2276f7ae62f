#Requires -Version 7.4
<#
.SYNOPSIS
    Measures the interactive viewer at scale: Export-PhotoGrid grid.html for a 100 x 100 grid (10,000 tiles),
    the page's size on disk, its open time in headless Chromium and its frame times while panning.

.DESCRIPTION
    The 10,000 cells repeat the photos of -PhotoFolder (default ../shared/data/imagenet-sample, 1000 JPEGs).
    Two layouts are written: the photos beside the page (linked: a symbolic link to the folder inside the
    output folder) and the photos far from it (each gets an embedded 640 px copy).
    Open time is window.gridViewer.status.openMs: milliseconds from navigation start until the coarsest level
    is loaded and drawn, median of -Runs fresh navigations. Frame times are measured with requestAnimationFrame
    during a two-second drag, at the fitted view and zoomed in to the finest level.
    Needs the built module (pwsh ./build.ps1), chromium and chromedriver.

.EXAMPLE
    pwsh bench/viewer/Measure-Viewer.ps1
#>
[CmdletBinding()]
param(
    [int] $Rows = 100,
    [int] $Columns = 100,
    [int] $TileSize = 64,
    [int] $Runs = 5,
    [string] $PhotoFolder = (Join-Path $PSScriptRoot '../../../shared/data/imagenet-sample'), # ../shared beside the repository
    [string] $OutputFolder = (Join-Path $PSScriptRoot '../../out/bench/viewer'),
    [switch] $SkipEmbedded
)

$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot '../BenchStatistics.psm1') -Force
$repository = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
Import-Module (Join-Path $repository 'GridTsne.psd1')
Import-Module (Join-Path $repository 'tests/Pester/Chromium.psm1')

$photos = @(Get-ChildItem -LiteralPath $PhotoFolder -File | Sort-Object Name)
if ($photos.Count -eq 0) { throw "No photos in $PhotoFolder." }
Remove-Item -LiteralPath $OutputFolder -Recurse -Force -ErrorAction SilentlyContinue
$linkedSite = New-Item -ItemType Directory -Force -Path (Join-Path $OutputFolder 'linked')
$embeddedSite = New-Item -ItemType Directory -Force -Path (Join-Path $OutputFolder 'embedded/site')
$besideFolder = New-Item -ItemType SymbolicLink -Path (Join-Path $linkedSite 'photos') -Target (Resolve-Path $PhotoFolder).Path

function New-Cells([string] $Folder) {
    for ($i = 0; $i -lt $Rows * $Columns; $i++) {
        $photo = $photos[$i % $photos.Count]
        [pscustomobject]@{ Path = Join-Path $Folder $photo.Name; Row = [math]::Floor($i / $Columns); Column = $i % $Columns; Label = ($photo.BaseName -replace '^n\d+_', '') }
    }
}

function Measure-Folder([string] $Page) {
    $assets = Join-Path (Split-Path $Page) ([IO.Path]::GetFileNameWithoutExtension($Page) + '_files')
    $files = @(Get-ChildItem -LiteralPath $assets -Recurse -File) + (Get-Item -LiteralPath $Page)
    $sizes = [ordered]@{ Total = ($files | Measure-Object Length -Sum).Sum; Files = $files.Count }
    foreach ($level in Get-ChildItem -LiteralPath (Join-Path $assets 'tiles') -Directory | Sort-Object { [int]$_.Name }) {
        $sizes["Tiles$($level.Name)"] = (Get-ChildItem -LiteralPath $level.FullName -File | Measure-Object Length -Sum).Sum
    }
    $sizes.Layout = (Get-Item -LiteralPath (Join-Path $assets 'layout.js')).Length
    $copies = Join-Path $assets 'photos'
    $sizes.Copies = (Test-Path $copies) ? ((Get-ChildItem -LiteralPath $copies -File | Measure-Object Length -Sum).Sum ?? 0) : 0
    [pscustomobject]$sizes
}


function Measure-Pan($Session, [string] $Label) {
    # Records requestAnimationFrame intervals while a mouse button is down, during a two-second drag.
    Invoke-BrowserScript $Session @'
        var frames = window.__frames = [], down = false, last = 0, canvas = document.getElementById('grid');
        canvas.addEventListener('pointerdown', function () { down = true; last = performance.now(); });
        canvas.addEventListener('pointerup', function () { down = false; });
        (function tick(now) { if (down) { frames.push(now - last); last = now; } if (frames.length < 100000) requestAnimationFrame(tick); })(0);
'@ | Out-Null
    $rect = Invoke-BrowserScript $Session "var r = document.getElementById('grid').getBoundingClientRect(); return { x: r.left + r.width / 2, y: r.top + r.height / 2 };"
    $x = [int]$rect.x; $y = [int]$rect.y
    Invoke-BrowserActions $Session @(New-MouseSource @(
            @{ type = 'pointerMove'; x = $x - 150; y = $y; origin = 'viewport'; duration = 0 },
            @{ type = 'pointerDown'; button = 0 },
            @{ type = 'pointerMove'; x = $x + 150; y = $y + 60; origin = 'viewport'; duration = 1000 },
            @{ type = 'pointerMove'; x = $x - 150; y = $y - 60; origin = 'viewport'; duration = 1000 },
            @{ type = 'pointerUp'; button = 0 }))
    $frames = @(Invoke-BrowserScript $Session 'var f = window.__frames.slice(1); window.__frames.length = 100000; return f;')
    $sorted = $frames | Sort-Object
    [pscustomobject]@{
        View = $Label; Frames = $frames.Count
        MedianMs = [math]::Round((Get-Median $frames), 1)
        P95Ms = [math]::Round($sorted[[math]::Min($sorted.Count - 1, [math]::Floor($sorted.Count * 0.95))], 1)
        MaxMs = [math]::Round(($sorted | Select-Object -Last 1), 1)
    }
}

function Measure-Open([string] $Page) {
    $session = Start-ChromiumSession -Width 1600 -Height 1000
    try {
        $open = foreach ($run in 1..$Runs) {
            Invoke-WebDriver $session POST '/url' @{ url = 'about:blank' } | Out-Null
            Open-BrowserPage $session $Page | Out-Null
            Wait-BrowserCondition $session 'window.gridViewer && window.gridViewer.status.ready' -TimeoutSeconds 60 | Out-Null
            (Invoke-BrowserScript $session 'return window.gridViewer.status;').openMs
        }
        $fit = Measure-Pan $session 'fitted (coarsest level)'
        # Zoom in on the centre until the finest level shows, then let its visible atlases load.
        for ($i = 0; $i -lt 40 -and (Invoke-BrowserScript $session 'return window.gridViewer.status.level;') -lt $TileSize; $i++) {
            Invoke-BrowserActions $session @(@{ type = 'key'; id = 'keyboard'; actions = @(@{ type = 'keyDown'; value = '+' }, @{ type = 'keyUp'; value = '+' }) })
        }
        Start-Sleep -Seconds 2
        $zoomed = Measure-Pan $session "zoomed ($TileSize px level)"
        $status = Invoke-BrowserScript $session 'return window.gridViewer.status;'
        [pscustomobject]@{ OpenMs = @($open); Pan = @($fit, $zoomed); Status = $status }
    }
    finally { Stop-ChromiumSession $session }
}

$cases = @([pscustomobject]@{ Name = 'linked (photos beside the page)'; Site = $linkedSite.FullName; Folder = $besideFolder.FullName })
if (-not $SkipEmbedded) { $cases += [pscustomobject]@{ Name = 'embedded (photos far away)'; Site = $embeddedSite.FullName; Folder = (Resolve-Path $PhotoFolder).Path } }

Write-Host "Viewer benchmark: $Rows x $Columns grid ($($Rows * $Columns) tiles) of $($photos.Count) distinct photos, -TileSize $TileSize, $([Environment]::ProcessorCount) cores"
$summary = foreach ($case in $cases) {
    $page = Join-Path $case.Site 'grid.html'
    $cells = @(New-Cells $case.Folder)
    $clock = [Diagnostics.Stopwatch]::StartNew()
    $cells | Export-PhotoGrid -Path $page -Rows $Rows -Columns $Columns -TileSize $TileSize -Label Label
    $writeSeconds = $clock.Elapsed.TotalSeconds
    $size = Measure-Folder $page
    $browser = Measure-Open $page
    Write-Host ''
    Write-Host "== $($case.Name)"
    Write-Host ("Write: {0:N1} s   Page: {1:N1} MB in {2} files" -f $writeSeconds, ($size.Total / 1MB), $size.Files)
    $size.PSObject.Properties | Where-Object Name -notin 'Total', 'Files' | ForEach-Object { Write-Host ("  {0,-10} {1,10:N0} bytes" -f $_.Name, $_.Value) }
    Write-Host ("Open (Chromium, headless, no GPU): median {0} ms of {1} runs: {2}" -f (Get-Median $browser.OpenMs), $Runs, ($browser.OpenMs -join ', '))
    $browser.Pan | Format-Table -AutoSize | Out-String | Write-Host
    [pscustomobject]@{ Case = $case.Name; WriteSeconds = [math]::Round($writeSeconds, 1); PageMB = [math]::Round($size.Total / 1MB, 1); OpenMedianMs = Get-Median $browser.OpenMs }
}
$summary | Format-Table -AutoSize
