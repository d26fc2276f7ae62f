#Requires -Version 7.4
<#
.SYNOPSIS
    Issue 12's "same vectors" check: the vectors of this build (shrink-on-load decoding) against those of a build
    that decodes every photo at full size, on the same photos.

.DESCRIPTION
    Embeds every photo of each -PhotoDirectory with Get-ImageEmbedding in a fresh pwsh for this build and for
    -BaselineRoot (a built checkout from before shrink-on-load, e.g. a clone of main at 83460e1), with the same
    built-in model, then reports per set: the cosine between the two vectors of each photo (median and minimum;
    targets >= 0.99 and >= 0.97) and the mean overlap of each photo's -Neighbors nearest neighbours (by cosine)
    within the set in the two builds (target >= 0.9). The figures do not depend on the machine's load.
    The arithmetic runs in /usr/bin/python3 with numpy (Debian python3-numpy), as the other peers do.

.EXAMPLE
    pwsh bench/embedding/Measure-ShrinkOnLoadFidelity.ps1 -BaselineRoot /tmp/gridtsne-main -PhotoDirectory out/bench/camera-200,../shared/data/imagenet-sample
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)]
    [string] $BaselineRoot,

    # Photo folders, each a set of its own; from bash (pwsh -File) separate them with commas in one argument.
    [Parameter(Mandatory)]
    [string[]] $PhotoDirectory,

    # Both builds must have it; builds before issue 13 have only ResNet18.
    [ValidateSet('ResNet18', 'ResNet18-Int8')]
    [string] $Model = 'ResNet18',

    [ValidateRange(1, 100)]
    [int] $Neighbors = 10
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$pwsh = (Get-Command pwsh -CommandType Application | Select-Object -First 1).Source
$work = New-Item -ItemType Directory -Force -Path (Join-Path $root 'out/bench/fidelity')

function Export-Vectors([string] $Manifest, [string] $Directory, [string] $Destination) {
    # One line per photo, file name then the vector; the photos in name order in both builds.
    $script = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$($Manifest -replace "'", "''")'
Get-ChildItem -LiteralPath '$($Directory -replace "'", "''")' -File | Sort-Object Name | Get-ImageEmbedding -Model '$Model' |
    ForEach-Object { [IO.Path]::GetFileName(`$_.Path) + "``t" + ((`$_.Vector | ForEach-Object { `$_.ToString('R', [cultureinfo]::InvariantCulture) }) -join ',') } |
    Set-Content -LiteralPath '$($Destination -replace "'", "''")'
"@
    & $pwsh -NoProfile -NonInteractive -Command $script
    if ($LASTEXITCODE -ne 0) { throw "Get-ImageEmbedding failed for $Manifest on $Directory." }
}

$compare = @'
import sys
import numpy as np

def load(path):
    names, rows = [], []
    for line in open(path):
        name, values = line.rstrip('\n').split('\t')
        names.append(name)
        rows.append(np.array(values.split(','), dtype=np.float64))
    return names, np.vstack(rows)

neighbors = int(sys.argv[3])
names_a, a = load(sys.argv[1])
names_b, b = load(sys.argv[2])
if names_a != names_b:
    sys.exit('the two builds embedded different photos')
a /= np.linalg.norm(a, axis=1, keepdims=True)
b /= np.linalg.norm(b, axis=1, keepdims=True)
cosines = np.sum(a * b, axis=1)

def nearest(unit):
    similarity = unit @ unit.T
    np.fill_diagonal(similarity, -np.inf)
    return np.argsort(-similarity, axis=1, kind='stable')[:, :neighbors]

na, nb = nearest(a), nearest(b)
overlap = np.mean([len(set(x) & set(y)) / neighbors for x, y in zip(na, nb)])
worst = names_a[int(np.argmin(cosines))]
print(f"photos={len(names_a)} median={np.median(cosines):.4f} min={cosines.min():.4f} worst={worst} overlap={overlap:.4f}")
'@
$comparer = Join-Path $work 'compare_vectors.py'
Set-Content -LiteralPath $comparer -Value $compare

$thisManifest = Join-Path $root 'GridTsne.psd1'
$baselineManifest = Join-Path (Resolve-Path $BaselineRoot).Path 'GridTsne.psd1'
foreach ($directory in $PhotoDirectory -split ',') {
    $resolved = (Resolve-Path $directory).Path
    $name = Split-Path $resolved -Leaf
    $files = @(Get-ChildItem -LiteralPath $resolved -File)
    $megabytes = ($files | Measure-Object Length -Average).Average / 1MB
    $ours = Join-Path $work "$name-this.tsv"
    $theirs = Join-Path $work "$name-baseline.tsv"
    Export-Vectors $thisManifest $resolved $ours
    Export-Vectors $baselineManifest $resolved $theirs
    $line = & /usr/bin/python3 $comparer $ours $theirs $Neighbors
    if ($LASTEXITCODE -ne 0) { throw "Comparing the vectors of $name failed." }
    $values = @{}
    foreach ($pair in "$line".Trim() -split '\s+') { $key, $value = $pair -split '=', 2; $values[$key] = $value }
    [pscustomobject]@{
        Set = $name
        Photos = [int]$values.photos
        MeanMegabytes = [math]::Round($megabytes, 2)
        Model = $Model
        MedianCosine = [double]$values.median
        MinimumCosine = [double]$values.min
        LeastSimilarPhoto = $values.worst
        "NeighborOverlap$Neighbors" = [double]$values.overlap
    }
}
