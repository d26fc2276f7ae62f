namespace GridTsne;

/// <summary>How well a grid layout preserves the neighbourhoods of the feature space; from Measure-GridQuality.</summary>
public sealed class GridQuality
{
    public int Count { get; set; }

    public int Rows { get; set; }

    public int Columns { get; set; }

    /// <summary>Distance preservation quality (Barthel et al. 2023, p = 16), in [0, 1]; higher is better.</summary>
    public double Dpq16 { get; set; }

    /// <summary>Mean feature distance to the 4 nearest feature-space neighbours over that to the 4 grid neighbours.</summary>
    public double NeighborDistanceRatio { get; set; }

    /// <summary>Mean share of occupied 4-neighbours with the same label; only with -Label.</summary>
    public double? LabelAgreement { get; set; }

    /// <summary>The expected <see cref="LabelAgreement"/> of a random layout (sum of squared label shares).</summary>
    public double? RandomLabelAgreement { get; set; }
}
