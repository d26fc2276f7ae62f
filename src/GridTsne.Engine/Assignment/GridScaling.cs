namespace GridTsne.Engine.Assignment;

/// <summary>Min-max scaling of one coordinate axis onto the cell centres 0 … cells − 1.</summary>
public static class GridScaling
{
    /// <summary>
    /// Maps the smallest value to 0 and the largest to <paramref name="cells"/> − 1, linearly; when all values
    /// are equal they go to the middle. Rejects NaN and infinities, naming the first offending item.
    /// </summary>
    /// <exception cref="NonFinitePointException">A value is NaN or infinite.</exception>
    public static double[] ToCellCenters(IReadOnlyList<double> values, int cells, string axis)
    {
        ArgumentNullException.ThrowIfNull(values);
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        for (int i = 0; i < values.Count; i++)
        {
            double value = values[i];
            if (!double.IsFinite(value))
            {
                throw new NonFinitePointException(i, axis, value);
            }

            min = Math.Min(min, value);
            max = Math.Max(max, value);
        }

        double[] scaled = new double[values.Count];
        double range = max - min;
        double span = cells - 1;
        for (int i = 0; i < scaled.Length; i++)
        {
            // A range that overflows (e.g. ±1e308) is scaled in two steps.
            scaled[i] = range > 0 && double.IsFinite(range)
                ? (values[i] - min) / range * span
                : range > 0 ? ((values[i] / 2) - (min / 2)) / ((max / 2) - (min / 2)) * span : span / 2;
        }

        return scaled;
    }
}

/// <summary>A point's coordinate is NaN or infinite.</summary>
public sealed class NonFinitePointException : ArgumentException
{
    public NonFinitePointException(int index, string axis, double value)
        : base($"Item {index} has {(double.IsNaN(value) ? "a NaN" : "an infinite")} {axis} coordinate ({value}); coordinates must be finite numbers.")
    {
        Index = index;
        Axis = axis;
        Value = value;
    }

    public NonFinitePointException()
    {
        Axis = string.Empty;
    }

    public NonFinitePointException(string message)
        : base(message)
    {
        Axis = string.Empty;
    }

    public NonFinitePointException(string message, Exception innerException)
        : base(message, innerException)
    {
        Axis = string.Empty;
    }

    /// <summary>Zero-based index of the offending item in the input.</summary>
    public int Index { get; }

    public string Axis { get; }

    public double Value { get; }
}
