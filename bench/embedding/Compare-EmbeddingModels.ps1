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
        | Measure-GridQuality -Label) for each model, for each seed of -Seeds, and their paired differences.
        One layout is one draw from a chaotic process: at these sizes Invoke-Tsne's PCA start and neighbours
        are exact, so its -Seed alone changes nothing, but the order the photos arrive in (as arbitrary as a
        seed: Get-ChildItem's order) changes the floating-point sums, and the layout's DPQ16 and label agreement
        move by more than the rule's tolerances (see bench/README.md). So each seed shuffles the photos (the
        same order for both models) and is Invoke-Tsne's -Seed, both models are laid out with it, and the rule
        is judged on the mean over the seeds of the paired differences. The reference's spread across the seeds
        is reported too: the noise floor in which a single layout's difference is lost.
    Each model embeds each set once; the seeds reuse the vectors. -CachePath keeps them between runs
    (Get-ImageEmbedding's cache, whose identity names the model).
    The sets: samples/photos (the calibration photos; labels from the file-name prefix) and, held out,
    ../shared/data/imagenet-sample (labels: the Group column of imagenet-sample.csv), when present.
    The acceptance rule for making the candidate the default: overlap >= 0.9, |mean dDPQ16| <= 0.005 and
    |mean dLabelAgreement| <= 0.01 on every set.

.EXAMPLE
    pwsh bench/embedding/Compare-EmbeddingModels.ps1 -CachePath /tmp/gridtsne-compare

.EXAMPLE
    pwsh bench/embedding/Compare-EmbeddingModels.ps1 -CandidatePath /tmp/variant.onnx -SkipLayout
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

    # Each seed is a photo order and Invoke-Tsne's -Seed; each lays out both models.
    [ValidateNotNullOrEmpty()]
    [int[]] $Seeds = 1..5,

    # Get-ImageEmbedding's -CachePath: the embeddings are kept there between runs.
    [string] $CachePath
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

function Get-Spread([double[]] $Values) {
    # Mean, sample standard deviation, minimum and maximum.
    $mean = ($Values | Measure-Object -Average).Average
    $deviation = if ($Values.Count -gt 1) { [math]::Sqrt((($Values | ForEach-Object { ($_ - $mean) * ($_ - $mean) }) | Measure-Object -Sum).Sum / ($Values.Count - 1)) } else { 0 }
    [pscustomobject]@{ Mean = $mean; StdDev = $deviation; Min = ($Values | Measure-Object -Minimum).Minimum; Max = ($Values | Measure-Object -Maximum).Maximum }
}

function Format-Spread($Spread) {
    '{0:0.0000} (sd {1:0.0000}, {2:0.0000} .. {3:0.0000})' -f $Spread.Mean, $Spread.StdDev, $Spread.Min, $Spread.Max
}

$cache = if ($CachePath) { @{ CachePath = $CachePath } } else { @{} }
$results = foreach ($set in $sets) {
    $referenceEmbeddings = @($set.Files | Get-ImageEmbedding -Model $Reference @cache)
    $candidateEmbeddings = if ($CandidatePath) {
        $spec = (Get-Content -Raw (Join-Path $root 'models/models.json') | ConvertFrom-Json).models.Where({ $_.name -eq $Reference })[0]
        @($set.Files | Get-ImageEmbedding -ModelPath $CandidatePath -InputSize $spec.inputSize -ChannelOrder $spec.preprocessing.channelOrder `
                -PixelScale $spec.preprocessing.pixelScale -Mean $spec.preprocessing.mean -Std $spec.preprocessing.std -OutputName $spec.output.name @cache)
    }
    else {
        @($set.Files | Get-ImageEmbedding -Model $Candidate @cache)
    }
    $overlap = Get-NeighborOverlap $candidateEmbeddings $referenceEmbeddings $Neighbors
    if ($SkipLayout) {
        [pscustomobject]@{ Set = $set.Name; Photos = $referenceEmbeddings.Count; "Overlap$Neighbors" = [math]::Round($overlap, 4) }
        continue
    }
    $layout = { param($Embeddings, $LayoutSeed) $Embeddings | Invoke-Tsne -Seed $LayoutSeed | Resolve-GridAssignment | Measure-GridQuality -Label $set.Label }
    $perSeed = foreach ($seed in $Seeds) {
        $order = [int[]](0..($referenceEmbeddings.Count - 1))
        [System.Random]::new($seed).Shuffle($order)
        $referenceQuality = & $layout $referenceEmbeddings[$order] $seed
        $candidateQuality = & $layout $candidateEmbeddings[$order] $seed
        [pscustomobject]@{
            Set              = $set.Name
            Seed             = $seed
            Dpq16Reference   = $referenceQuality.Dpq16
            Dpq16Candidate   = $candidateQuality.Dpq16
            Dpq16Difference  = $candidateQuality.Dpq16 - $referenceQuality.Dpq16
            LabelsReference  = $referenceQuality.LabelAgreement
            LabelsCandidate  = $candidateQuality.LabelAgreement
            LabelsDifference = $candidateQuality.LabelAgreement - $referenceQuality.LabelAgreement
        }
    }
    $perSeed | Format-Table Set, Seed, @{ n = 'Dpq16Ref'; e = { '{0:0.0000}' -f $_.Dpq16Reference } }, @{ n = 'Dpq16Cand'; e = { '{0:0.0000}' -f $_.Dpq16Candidate } },
        @{ n = 'dDpq16'; e = { '{0:+0.0000;-0.0000}' -f $_.Dpq16Difference } }, @{ n = 'LabelsRef'; e = { '{0:0.0000}' -f $_.LabelsReference } },
        @{ n = 'LabelsCand'; e = { '{0:0.0000}' -f $_.LabelsCandidate } }, @{ n = 'dLabels'; e = { '{0:+0.0000;-0.0000}' -f $_.LabelsDifference } } | Out-Host
    $dpqDifference = Get-Spread $perSeed.Dpq16Difference
    $labelDifference = Get-Spread $perSeed.LabelsDifference
    [pscustomobject]@{
        Set                     = $set.Name
        Photos                  = $referenceEmbeddings.Count
        "Overlap$Neighbors"     = [math]::Round($overlap, 4)
        Seeds                   = $Seeds -join ','
        Dpq16Reference          = Format-Spread (Get-Spread $perSeed.Dpq16Reference)
        Dpq16Candidate          = Format-Spread (Get-Spread $perSeed.Dpq16Candidate)
        Dpq16Difference         = Format-Spread $dpqDifference
        LabelsReference         = Format-Spread (Get-Spread $perSeed.LabelsReference)
        LabelsCandidate         = Format-Spread (Get-Spread $perSeed.LabelsCandidate)
        LabelsDifference        = Format-Spread $labelDifference
        Accepted                = $overlap -ge 0.9 -and [math]::Abs($dpqDifference.Mean) -le 0.005 -and [math]::Abs($labelDifference.Mean) -le 0.01
    }
}
$results | Format-List
