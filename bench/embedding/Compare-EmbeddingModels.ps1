#Requires -Version 7.4
<#
.SYNOPSIS
    Compares two built-in models (by default ResNet18-Int8 against ResNet18) on the quality that GridTsne's
    layouts depend on.

.DESCRIPTION
    For each photo set, both models embed every photo, and the script reports:
      - 10-NN overlap: for each photo, the share of its 10 nearest neighbours (Euclidean, the metric t-SNE
        uses) under the candidate model that are also among its 10 nearest under the reference, averaged;
      - DPQ16 and label agreement of the README pipeline (Get-ImageEmbedding | Invoke-Tsne | Resolve-GridAssignment
        | Measure-GridQuality -Label) for each model, and their differences. (The layout does not depend on
        the seed: Invoke-Tsne starts from PCA.)
    The sets: samples/photos (the calibration photos; labels from the file-name prefix) and, held out,
    ../shared/data/imagenet-sample (labels: the Group column of imagenet-sample.csv), when present.
    The acceptance rule for making the candidate the default: overlap >= 0.9, |dDPQ16| <= 0.005 and
    |dLabelAgreement| <= 0.01 on every set.

.EXAMPLE
    pwsh bench/embedding/Compare-EmbeddingModels.ps1
#>
[CmdletBinding()]
param(
    [string] $Candidate = 'ResNet18-Int8',
    [string] $Reference = 'ResNet18',

    # A model file to compare instead of -Candidate, e.g. a recalibration; it gets the reference's preprocessing.
    [string] $CandidatePath,

    # Reports only the neighbour overlap (no t-SNE layouts).
    [switch] $SkipLayout,
    [int] $Neighbors = 10,
    [int] $Seed = 1
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
Import-Module (Join-Path $root 'GridTsne.psd1')

function Get-NeighborOverlap([object[]] $A, [object[]] $B, [int] $K) {
    # Brute force, exact: squared Euclidean distances from each vector to every other one.
    $code = @'
public static class NeighborOverlap {
    static int[][] Nearest(float[][] v, int k) {
        int n = v.Length; var result = new int[n][];
        for (int i = 0; i < n; i++) {
            var d = new double[n];
            for (int j = 0; j < n; j++) { double s = 0; for (int c = 0; c < v[i].Length; c++) { double e = v[i][c] - v[j][c]; s += e * e; } d[j] = j == i ? double.PositiveInfinity : s; }
            var idx = new int[n]; for (int j = 0; j < n; j++) idx[j] = j;
            System.Array.Sort(d, idx); result[i] = idx[..k];
        }
        return result;
    }
    public static double Mean(float[][] a, float[][] b, int k) {
        var na = Nearest(a, k); var nb = Nearest(b, k); double sum = 0;
        for (int i = 0; i < a.Length; i++) { var set = new System.Collections.Generic.HashSet<int>(nb[i]); int hit = 0; foreach (int j in na[i]) if (set.Contains(j)) hit++; sum += (double)hit / k; }
        return sum / a.Length;
    }
}
'@
    if (-not ('NeighborOverlap' -as [type])) { Add-Type -TypeDefinition $code -Language CSharp }
    $vectorsA = [System.Collections.Generic.List[float[]]]::new(); foreach ($item in $A) { $vectorsA.Add($item.Vector) }
    $vectorsB = [System.Collections.Generic.List[float[]]]::new(); foreach ($item in $B) { $vectorsB.Add($item.Vector) }
    return [NeighborOverlap]::Mean($vectorsA.ToArray(), $vectorsB.ToArray(), $K)
}

$sets = [System.Collections.Generic.List[object]]::new()
$samples = Join-Path $root 'samples/photos'
$sets.Add([pscustomobject]@{ Name = 'samples/photos'; Files = @(Get-ChildItem -LiteralPath $samples -File | Sort-Object Name); Label = { (Split-Path $_.Path -Leaf) -replace '__.*$' } })
for ($directory = Split-Path $root; $directory; $directory = Split-Path $directory) {
    $imagenet = Join-Path $directory 'shared/data/imagenet-sample'
    if (Test-Path -LiteralPath $imagenet) {
        $groups = @{}
        Import-Csv (Join-Path $directory 'shared/data/imagenet-sample.csv') | ForEach-Object { $groups[$_.File] = $_.Group }
        $sets.Add([pscustomobject]@{ Name = 'imagenet-sample (held out)'; Files = @(Get-ChildItem -LiteralPath $imagenet -File | Sort-Object Name); Label = { $groups[(Split-Path $_.Path -Leaf)] }.GetNewClosure() })
        break
    }
}

$results = foreach ($set in $sets) {
    $referenceEmbeddings = @($set.Files | Get-ImageEmbedding -Model $Reference)
    $candidateEmbeddings = if ($CandidatePath) {
        $spec = (Get-Content -Raw (Join-Path $root 'models/models.json') | ConvertFrom-Json).models.Where({ $_.name -eq $Reference })[0]
        @($set.Files | Get-ImageEmbedding -ModelPath $CandidatePath -InputSize $spec.inputSize -ChannelOrder $spec.preprocessing.channelOrder `
                -PixelScale $spec.preprocessing.pixelScale -Mean $spec.preprocessing.mean -Std $spec.preprocessing.std -OutputName $spec.output.name)
    }
    else {
        @($set.Files | Get-ImageEmbedding -Model $Candidate)
    }
    $overlap = Get-NeighborOverlap $candidateEmbeddings $referenceEmbeddings $Neighbors
    if ($SkipLayout) {
        [pscustomobject]@{ Set = $set.Name; Photos = $referenceEmbeddings.Count; "Overlap$Neighbors" = [math]::Round($overlap, 4) }
        continue
    }
    $layout = { param($Embeddings, $LayoutSeed) $Embeddings | Invoke-Tsne -Seed $LayoutSeed | Resolve-GridAssignment | Measure-GridQuality -Label $set.Label }
    $referenceQuality = & $layout $referenceEmbeddings $Seed
    $candidateQuality = & $layout $candidateEmbeddings $Seed
    $dpqDifference = $candidateQuality.Dpq16 - $referenceQuality.Dpq16
    $labelDifference = $candidateQuality.LabelAgreement - $referenceQuality.LabelAgreement
    [pscustomobject]@{
        Set                 = $set.Name
        Photos              = $referenceEmbeddings.Count
        "Overlap$Neighbors" = [math]::Round($overlap, 4)
        Dpq16Reference      = [math]::Round($referenceQuality.Dpq16, 4)
        Dpq16Candidate      = [math]::Round($candidateQuality.Dpq16, 4)
        Dpq16Difference     = [math]::Round($dpqDifference, 4)
        LabelsReference     = [math]::Round($referenceQuality.LabelAgreement, 4)
        LabelsCandidate     = [math]::Round($candidateQuality.LabelAgreement, 4)
        LabelsDifference    = [math]::Round($labelDifference, 4)
        Accepted            = $overlap -ge 0.9 -and [math]::Abs($dpqDifference) -le 0.005 -and [math]::Abs($labelDifference) -le 0.01
    }
}
$results | Format-List
