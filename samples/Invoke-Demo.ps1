<#
.SYNOPSIS
    The README's pipeline on the sample photos: writes demo-grid.jpg and the interactive viewer demo-grid.html
    into the output folder and prints how long each step took; then improves the layout with
    Optimize-GridLayout into demo-grid-optimized.jpg and prints DPQ16 before and after.
#>
param([string] $OutputDirectory = (Join-Path $PSScriptRoot '../out'))

$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot '../GridTsne.psd1') -Force
New-Item -ItemType Directory -Force -Path $OutputDirectory | Out-Null
$grid = Join-Path $OutputDirectory 'demo-grid.jpg'

$clock = [System.Diagnostics.Stopwatch]::StartNew()
$embeddings = Get-ChildItem (Join-Path $PSScriptRoot 'photos') -File | Get-ImageEmbedding
$embedded = $clock.Elapsed
$cells = $embeddings | Invoke-Tsne | Resolve-GridAssignment
$arranged = $clock.Elapsed
$file = $cells | Export-PhotoGrid $grid -PassThru
$rendered = $clock.Elapsed
# The same layout as an interactive page: zoom, pan, hover for names, search.
$viewer = $cells | Export-PhotoGrid (Join-Path $OutputDirectory 'demo-grid.html') -Label { (Split-Path $_.Path -Leaf) -replace '__.*$' } -PassThru

# The class of a sample photo is its file-name prefix before '__'.
$quality = $cells | Measure-GridQuality -Label { (Split-Path $_.Path -Leaf) -replace '__.*$' }

"{0} photos -> {1} and {2}" -f @($embeddings).Count, $file.FullName, $viewer.FullName
"embedding {0:N1} s, t-SNE and grid {1:N1} s, rendering {2:N1} s, total {3:N1} s" -f $embedded.TotalSeconds,
    ($arranged - $embedded).TotalSeconds, ($rendered - $arranged).TotalSeconds, $rendered.TotalSeconds
"label agreement {0:P0} (random layout {1:P0}), DPQ16 {2:N3}" -f $quality.LabelAgreement, $quality.RandomLabelAgreement, $quality.Dpq16

# The optional step: rearrange the same grid so that neighbours are more alike.
$clock.Restart()
$optimized = @($cells | Optimize-GridLayout)
$optimizedIn = $clock.Elapsed
$optimizedFile = $optimized | Export-PhotoGrid (Join-Path $OutputDirectory 'demo-grid-optimized.jpg') -PassThru
$after = $optimized | Measure-GridQuality -Label { (Split-Path $_.Path -Leaf) -replace '__.*$' }
"Optimize-GridLayout {0:N1} s -> {1}" -f $optimizedIn.TotalSeconds, $optimizedFile.FullName
"DPQ16 {0:N3} before, {1:N3} after; label agreement {2:P0} before, {3:P0} after" -f $quality.Dpq16, $after.Dpq16, $quality.LabelAgreement, $after.LabelAgreement
