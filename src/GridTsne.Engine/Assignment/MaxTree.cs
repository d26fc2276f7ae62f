namespace GridTsne.Engine.Assignment;

/// <summary>A segment tree over doubles answering "which index holds the largest value" in O(1) after O(log n) updates.</summary>
internal sealed class MaxTree
{
    private readonly int _leaves;
    private readonly double[] _values;

    public MaxTree(int count)
    {
        _leaves = 1;
        while (_leaves < count)
        {
            _leaves <<= 1;
        }

        _values = new double[2 * _leaves];
        Array.Fill(_values, double.NegativeInfinity);
    }

    public double Max => _values[1];

    public void Set(int index, double value)
    {
        int node = _leaves + index;
        _values[node] = value;
        for (node >>= 1; node >= 1; node >>= 1)
        {
            double max = Math.Max(_values[2 * node], _values[(2 * node) + 1]);
            if (_values[node] == max)
            {
                break; // unchanged here, so unchanged above
            }

            _values[node] = max;
        }
    }

    /// <summary>The index of a largest value, or -1 when every value is −∞.</summary>
    public int ArgMax()
    {
        if (double.IsNegativeInfinity(_values[1]))
        {
            return -1;
        }

        int node = 1;
        while (node < _leaves)
        {
            node = _values[2 * node] >= _values[(2 * node) + 1] ? 2 * node : (2 * node) + 1;
        }

        return node - _leaves;
    }
}
