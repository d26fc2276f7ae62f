using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using FloatVector = System.Numerics.Vector<float>;
using GridTsne.Engine.Parallelism;

namespace GridTsne.Engine.Layout;

/// <summary>
/// The smoothed feature map of FLAS (Barthel et al., "Improved evaluation and generation of grid layouts
/// using distance preservation quality and linear assignment sorting", CGF 2023): every cell holds the
/// weighted mean of the vectors in a (2r + 1) × (2r + 1) box around it, mirrored at the borders. Empty cells
/// take part with a small weight and the value they had in the previous round, so that holes neither pull the
/// map towards zero nor break it up.
/// </summary>
internal sealed class SmoothedMap
{
    /// <summary>Weight of an empty cell, as in FLAS: small, so that holes barely shift their neighbors' means.</summary>
    private const float HoleWeight = 0.01f;
    private const int LinesPerChunk = 4;

    private readonly int _rows;
    private readonly int _columns;
    private readonly int _dimensions;
    private readonly float[] _values;
    private readonly float[] _weights;
    private readonly float[] _scratchValues;
    private readonly float[] _scratchWeights;

    public SmoothedMap(int rows, int columns, int dimensions, ReadOnlySpan<float> holeStart)
    {
        _rows = rows;
        _columns = columns;
        _dimensions = dimensions;
        int cells = rows * columns;
        _values = new float[(long)cells * dimensions <= Array.MaxLength ? cells * dimensions : throw new OutOfMemoryException("The smoothed map would exceed the largest .NET array.")];
        _weights = new float[cells];
        _scratchValues = new float[_values.Length];
        _scratchWeights = new float[cells];
        for (int cell = 0; cell < cells; cell++)
        {
            holeStart.CopyTo(_values.AsSpan(cell * dimensions, dimensions));
        }
    }

    /// <summary>The smoothed vector of <paramref name="cell"/>.</summary>
    public ReadOnlySpan<float> this[int cell] => _values.AsSpan(cell * _dimensions, _dimensions);

    /// <summary>
    /// Rebuilds the map from the current layout with a box of the given radii, each clamped to between 1 and half
    /// its side (a side of one cell is not filtered).
    /// </summary>
    public void Smooth(ReadOnlySpan<float> vectors, int[] itemAt, int radiusX, int radiusY, FixedParallel parallel)
    {
        int cells = itemAt.Length;
        float[] values = _values;
        float[] weights = _weights;
        int dimensions = _dimensions;
        for (int cell = 0; cell < cells; cell++)
        {
            Span<float> value = values.AsSpan(cell * dimensions, dimensions);
            int item = itemAt[cell];
            if (item >= 0)
            {
                vectors.Slice(item * dimensions, dimensions).CopyTo(value);
                weights[cell] = 1;
            }
            else
            {
                TensorPrimitives.Multiply(value, HoleWeight, value);
                weights[cell] = HoleWeight;
            }
        }

        BoxPass(radiusX, radiusY, parallel);

        parallel.For(cells, 256, (start, end) =>
        {
            for (int cell = start; cell < end; cell++)
            {
                Span<float> value = values.AsSpan(cell * dimensions, dimensions);
                TensorPrimitives.Multiply(value, 1 / weights[cell], value);
            }
        });
    }

    private void BoxPass(int radiusX, int radiusY, FixedParallel parallel)
    {
        float[] values = _values;
        float[] weights = _weights;

        // Separable: rows into the scratch buffers, then columns back. A radius of at most half the side keeps
        // every mirrored index inside the line.
        if (_columns > 1)
        {
            Filter(values, weights, _scratchValues, _scratchWeights, _rows, _columns, _columns, 1, radiusX, parallel);
        }
        else
        {
            values.CopyTo(_scratchValues, 0);
            weights.CopyTo(_scratchWeights, 0);
        }

        if (_rows > 1)
        {
            Filter(_scratchValues, _scratchWeights, values, weights, _columns, _rows, 1, _columns, radiusY, parallel);
        }
        else
        {
            _scratchValues.CopyTo(values, 0);
            _scratchWeights.CopyTo(weights, 0);
        }
    }

    /// <summary>
    /// Box-filters <paramref name="lines"/> lines of <paramref name="length"/> cells; line l's cell i is
    /// l × <paramref name="lineStride"/> + i × <paramref name="cellStride"/>. Each line keeps a running sum.
    /// </summary>
    private void Filter(
        float[] values, float[] weights, float[] outValues, float[] outWeights,
        int lines, int length, int lineStride, int cellStride, int radius, FixedParallel parallel)
    {
        int dimensions = _dimensions;
        radius = Math.Max(1, Math.Min(radius, length / 2));
        // Each chunk runs long loops once: compiled optimized at once, since tier-0 code would run them for seconds.
        parallel.For(lines, LinesPerChunk, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end) =>
        {
            var sum = new float[dimensions];
            for (int line = start; line < end; line++)
            {
                int origin = line * lineStride;
                Array.Clear(sum);
                float weightSum = 0;
                for (int k = -radius; k <= radius; k++)
                {
                    int cell = origin + (Mirror(k, length) * cellStride);
                    TensorPrimitives.Add(sum, values.AsSpan(cell * dimensions, dimensions), sum);
                    weightSum += weights[cell];
                }

                for (int i = 0; ; i++)
                {
                    int cell = origin + (i * cellStride);
                    sum.CopyTo(outValues, cell * dimensions);
                    outWeights[cell] = weightSum;
                    if (i + 1 == length)
                    {
                        break;
                    }

                    int entering = origin + (Mirror(i + 1 + radius, length) * cellStride);
                    int leaving = origin + (Mirror(i - radius, length) * cellStride);
                    Slide(sum, values.AsSpan(entering * dimensions, dimensions), values.AsSpan(leaving * dimensions, dimensions));
                    weightSum += weights[entering] - weights[leaving];
                }
            }
        });
    }

    /// <summary>
    /// sum += entering − leaving: the running box sum's step. Called once per cell and line; compiled optimized
    /// from the start, as tier-0 TensorPrimitives calls made a cold first run three times slower.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.AggressiveInlining)]
    private static void Slide(Span<float> sum, ReadOnlySpan<float> entering, ReadOnlySpan<float> leaving)
    {
        int i = 0;
        for (; i <= sum.Length - FloatVector.Count; i += FloatVector.Count)
        {
            (new FloatVector(sum.Slice(i)) + new FloatVector(entering.Slice(i)) - new FloatVector(leaving.Slice(i))).CopyTo(sum.Slice(i));
        }

        for (; i < sum.Length; i++)
        {
            sum[i] += entering[i] - leaving[i];
        }
    }

    private static int Mirror(int index, int length) =>
        index < 0 ? -index : index >= length ? (2 * (length - 1)) - index : index;
}
