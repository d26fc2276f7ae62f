namespace GridTsne.Engine.Quantization;

/// <summary>What the quantizer puts QuantizeLinear/DequantizeLinear pairs around.</summary>
public enum QuantizationScope
{
    /// <summary>Every Conv's input and output only; residual Adds and pools run in float.</summary>
    Convolutions,

    /// <summary>Also the residual Adds and MaxPool, so that they run on int8 too.</summary>
    ConvolutionsAddsAndPools,
}

/// <summary>
/// Static QDQ quantization of a BatchNorm-folded opset-13 CNN, in the form ONNX Runtime fuses into integer
/// kernels (QLinearConv, QLinearAdd):
/// <list type="bullet">
/// <item>weights: per-channel (axis 0) symmetric int8 in [-127, 127], scale max|w| / 127;</item>
/// <item>biases: int32 with scale s_x * s_w per channel and zero point 0, as QLinearConv needs;</item>
/// <item>activations: per-tensor asymmetric uint8 from a calibrated range that always contains 0.</item>
/// </list>
/// Activations are uint8 (U8S8), not int8 (S8S8): the x86 integer convolutions take uint8 activations, and
/// ONNX Runtime 1.31 converts int8 QuantizeLinear/DequantizeLinear pairs to uint8 only when the QuantizeLinear
/// has a single reader. With ResNet's residual connections most activations have two, and with S8S8 only 10
/// of the 22 convolutions (and none of the Adds) ran as integer kernels; with U8S8 all of them do.
/// A Relu right after a quantized Conv or Add is removed: its output's range starts at 0, so the zero point is
/// 0 and QuantizeLinear's saturation is the Relu. Each reader of a quantized tensor gets its own
/// DequantizeLinear, as ONNX Runtime's node-group fusion wants. The graph's outputs stay float.
/// </summary>
internal static class QdqQuantizer
{
    private const float WeightLimit = 127f;

    /// <summary>The tensors whose float ranges <see cref="Quantize"/> needs, in graph order.</summary>
    public static IReadOnlyList<string> TensorsToCalibrate(OnnxGraph folded, QuantizationScope scope, IReadOnlyCollection<string> floatNodes)
    {
        var names = new List<string>();
        OnnxGraph copy = OnnxGraph.Read(folded.Write());
        Quantize(copy, tensor =>
        {
            names.Add(tensor);
            return (0f, 1f);
        }, scope, floatNodes);
        return names;
    }

    /// <summary>
    /// Rewrites <paramref name="graph"/> (BatchNorm folded, opset 13) into QDQ form; the nodes named in
    /// <paramref name="floatNodes"/> stay float (their inputs dequantized, their outputs quantized only if a
    /// quantized node reads them).
    /// </summary>
    public static void Quantize(OnnxGraph graph, IReadOnlyDictionary<string, ActivationRange> ranges, QuantizationScope scope,
        IReadOnlyCollection<string> floatNodes) =>
        Quantize(graph, tensor => ranges.TryGetValue(tensor, out ActivationRange? range)
            ? (range.Min, range.Max)
            : throw new InvalidDataException($"The calibration has no range for '{tensor}'; calibrate again for this model and scope."), scope, floatNodes);

    private static void Quantize(OnnxGraph graph, Func<string, (float Min, float Max)> rangeOf, QuantizationScope scope,
        IReadOnlyCollection<string> floatNodes)
    {
        if (graph.OpsetVersion < BatchNormFolding.TargetOpset || graph.Nodes.Any(node => node.OpType == "BatchNormalization"))
        {
            throw new InvalidOperationException("Fold BatchNormalization and lift the opset before quantizing.");
        }

        string? unknown = floatNodes.FirstOrDefault(name => !graph.Nodes.Any(node => node.Name == name));
        if (unknown is not null)
        {
            throw new InvalidDataException($"The model has no node '{unknown}' to keep in float.");
        }

        new Rewriter(graph, rangeOf, scope, floatNodes).Run();
    }

    /// <summary>Scale and zero point of an asymmetric uint8 tensor covering [min, max] and 0.</summary>
    internal static (float Scale, byte ZeroPoint) ActivationParameters(float min, float max)
    {
        float low = MathF.Min(min, 0f);
        float high = MathF.Max(max, 0f);
        float scale = (high - low) / 255f;
        if (!(scale > 0f) || !float.IsFinite(scale))
        {
            return (1f, 0);
        }

        double zeroPoint = Math.Round(-low / (double)scale, MidpointRounding.ToEven);
        return (scale, (byte)Math.Clamp(zeroPoint, 0, 255));
    }

    /// <summary>Per output channel (axis 0): symmetric int8 weights and their scales.</summary>
    internal static (sbyte[] Values, float[] Scales) QuantizeWeights(ReadOnlySpan<float> weights, int channels)
    {
        int perChannel = weights.Length / channels;
        var values = new sbyte[weights.Length];
        var scales = new float[channels];
        for (int channel = 0; channel < channels; channel++)
        {
            ReadOnlySpan<float> kernel = weights.Slice(channel * perChannel, perChannel);
            float largest = 0f;
            foreach (float weight in kernel)
            {
                largest = MathF.Max(largest, MathF.Abs(weight));
            }

            float scale = largest > 0f ? largest / WeightLimit : 1f;
            scales[channel] = scale;
            for (int i = 0; i < kernel.Length; i++)
            {
                double quantized = Math.Round(kernel[i] / (double)scale, MidpointRounding.ToEven);
                values[(channel * perChannel) + i] = (sbyte)Math.Clamp(quantized, -WeightLimit, WeightLimit);
            }
        }

        return (values, scales);
    }

    /// <summary>Int32 biases with scale input scale x weight scale, per channel.</summary>
    internal static (int[] Values, float[] Scales) QuantizeBias(ReadOnlySpan<float> bias, float inputScale, ReadOnlySpan<float> weightScales)
    {
        var values = new int[bias.Length];
        var scales = new float[bias.Length];
        for (int channel = 0; channel < bias.Length; channel++)
        {
            float scale = inputScale * weightScales[channel];
            scales[channel] = scale;
            double quantized = Math.Round(bias[channel] / (double)scale, MidpointRounding.ToEven);
            values[channel] = (int)Math.Clamp(quantized, int.MinValue, int.MaxValue);
        }

        return (values, scales);
    }

    private sealed class Rewriter(OnnxGraph graph, Func<string, (float Min, float Max)> rangeOf, QuantizationScope scope,
        IReadOnlyCollection<string> floatNodes)
    {
        private readonly List<OnnxNode> _nodes = [];
        // Float tensor -> its QuantizeLinear output, scale and zero-point initializers, and how many readers it has had.
        private readonly Dictionary<string, QuantizedTensor> _quantized = new(StringComparer.Ordinal);
        private readonly HashSet<OnnxNode> _removedRelus = [];

        public void Run()
        {
            foreach (OnnxNode node in graph.Nodes)
            {
                if (_removedRelus.Contains(node))
                {
                    continue;
                }

                switch (floatNodes.Contains(node.Name) ? string.Empty : node.OpType)
                {
                    case "Conv":
                        RewriteConv(node);
                        break;
                    case "Add" when scope == QuantizationScope.ConvolutionsAddsAndPools:
                        RewriteAdd(node);
                        break;
                    case "MaxPool" when scope == QuantizationScope.ConvolutionsAddsAndPools:
                        RewriteMaxPool(node);
                        break;
                    default:
                        _nodes.Add(WithInputs(node, node.Inputs.Select(ReadAsFloat).ToList()));
                        break;
                }
            }

            graph.Nodes = _nodes;
        }

        private void RewriteConv(OnnxNode conv)
        {
            QuantizedTensor input = Quantized(conv.Inputs[0]);
            string inputName = Dequantize(conv.Inputs[0]);
            OnnxTensor weightTensor = BatchNormFolding.Initializer(graph, conv.Inputs[1]);
            int channels = (int)weightTensor.Dimensions[0];
            (sbyte[] weights, float[] weightScales) = QuantizeWeights(weightTensor.ToFloats(), channels);
            float[] bias = conv.Inputs.Count > 2 ? BatchNormFolding.Initializer(graph, conv.Inputs[2]).ToFloats() : new float[channels];
            (int[] biasValues, float[] biasScales) = QuantizeBias(bias, input.Scale, weightScales);

            string weightName = conv.Inputs[1];
            string biasName = conv.Inputs.Count > 2 ? conv.Inputs[2] : conv.Outputs[0] + "_bias";
            graph.Initializers.Remove(weightName);
            graph.Initializers.Remove(biasName);
            string weightInput = AddPerChannelDequantize(OnnxTensor.FromInt8(weightName + "_quantized", weightTensor.Dimensions, weights),
                weightScales, OnnxTensor.FromInt8(weightName + "_zero_point", [channels], new sbyte[channels]), weightName);
            string biasInput = AddPerChannelDequantize(OnnxTensor.FromInt32(biasName + "_quantized", [channels], biasValues),
                biasScales, OnnxTensor.FromInt32(biasName + "_zero_point", [channels], new int[channels]), biasName);

            string output = OutputAbsorbingRelu(conv);
            _nodes.Add(new OnnxNode
            {
                OpType = "Conv",
                Name = conv.Name,
                Inputs = [inputName, weightInput, biasInput],
                Outputs = [output],
                Attributes = conv.Attributes,
            });
            AddQuantize(output, ParametersFor(output));
        }

        private void RewriteAdd(OnnxNode add)
        {
            List<string> inputs = add.Inputs.Select(tensor =>
            {
                Quantized(tensor);
                return Dequantize(tensor);
            }).ToList();
            string output = OutputAbsorbingRelu(add);
            _nodes.Add(new OnnxNode { OpType = "Add", Name = add.Name, Inputs = inputs, Outputs = [output], Attributes = add.Attributes });
            AddQuantize(output, ParametersFor(output));
        }

        private void RewriteMaxPool(OnnxNode pool)
        {
            // The maximum commutes with a monotonic quantization: same scale and zero point out as in, so ONNX
            // Runtime runs the pool on int8 directly.
            QuantizedTensor input = Quantized(pool.Inputs[0]);
            _nodes.Add(WithInputs(pool, [Dequantize(pool.Inputs[0])]));
            AddQuantize(pool.Outputs[0], (input.ScaleName, input.ZeroPointName, input.Scale));
        }

        /// <summary>
        /// The node's output, or that of the Relu that alone reads it: the Relu is dropped, since the
        /// quantization of a range starting at 0 clamps negatives to 0 just as it does.
        /// </summary>
        private string OutputAbsorbingRelu(OnnxNode node)
        {
            string output = node.Outputs[0];
            List<OnnxNode> consumers = graph.ConsumersOf(output);
            if (consumers is [{ OpType: "Relu" } relu] && !graph.IsGraphOutput(output) && !graph.IsGraphOutput(relu.Outputs[0]))
            {
                _removedRelus.Add(relu);
                return relu.Outputs[0];
            }

            return output;
        }

        /// <summary>The quantized form of a tensor, adding its QuantizeLinear at this point if it has none yet.</summary>
        private QuantizedTensor Quantized(string tensor)
        {
            if (!_quantized.TryGetValue(tensor, out QuantizedTensor? quantized))
            {
                AddQuantize(tensor, ParametersFor(tensor));
                quantized = _quantized[tensor];
            }

            return quantized;
        }

        /// <summary>A DequantizeLinear of a quantized tensor for one reader; returns its output.</summary>
        private string Dequantize(string tensor)
        {
            QuantizedTensor quantized = _quantized[tensor];
            quantized.Readers++;
            string suffix = quantized.Readers == 1 ? string.Empty : "_" + quantized.Readers.ToString(System.Globalization.CultureInfo.InvariantCulture);
            string dequantized = tensor + "_dequantized" + suffix;
            _nodes.Add(new OnnxNode
            {
                OpType = "DequantizeLinear",
                Name = tensor + "_DequantizeLinear" + suffix,
                Inputs = [quantized.QuantizedName, quantized.ScaleName, quantized.ZeroPointName],
                Outputs = [dequantized],
            });
            return dequantized;
        }

        private (string ScaleName, string ZeroPointName, float Scale) ParametersFor(string tensor)
        {
            (float min, float max) = rangeOf(tensor);
            (float scale, byte zeroPoint) = ActivationParameters(min, max);
            string scaleName = tensor + "_scale";
            string zeroPointName = tensor + "_zero_point";
            graph.Initializers[scaleName] = OnnxTensor.FromFloats(scaleName, [], [scale]);
            graph.Initializers[zeroPointName] = OnnxTensor.FromUInt8(zeroPointName, [], [zeroPoint]);
            return (scaleName, zeroPointName, scale);
        }

        private void AddQuantize(string tensor, (string ScaleName, string ZeroPointName, float Scale) parameters)
        {
            string quantized = tensor + "_quantized";
            _nodes.Add(new OnnxNode
            {
                OpType = "QuantizeLinear",
                Name = tensor + "_QuantizeLinear",
                Inputs = [tensor, parameters.ScaleName, parameters.ZeroPointName],
                Outputs = [quantized],
            });
            _quantized[tensor] = new QuantizedTensor(quantized, parameters.ScaleName, parameters.ZeroPointName, parameters.Scale);
        }

        private string AddPerChannelDequantize(OnnxTensor values, float[] scales, OnnxTensor zeroPoints, string floatName)
        {
            string scaleName = floatName + "_scale";
            graph.Initializers[values.Name] = values;
            graph.Initializers[scaleName] = OnnxTensor.FromFloats(scaleName, [scales.Length], scales);
            graph.Initializers[zeroPoints.Name] = zeroPoints;
            string dequantized = floatName + "_dequantized";
            _nodes.Add(new OnnxNode
            {
                OpType = "DequantizeLinear",
                Name = floatName + "_DequantizeLinear",
                Inputs = [values.Name, scaleName, zeroPoints.Name],
                Outputs = [dequantized],
                Attributes = [OnnxNode.IntAttributeBytes("axis", 0)],
            });
            return dequantized;
        }

        /// <summary>What a float node reads in place of <paramref name="tensor"/>: its own dequantized copy once the tensor is quantized.</summary>
        private string ReadAsFloat(string tensor) => _quantized.ContainsKey(tensor) ? Dequantize(tensor) : tensor;

        private static OnnxNode WithInputs(OnnxNode node, List<string> inputs) => new()
        {
            OpType = node.OpType,
            Name = node.Name,
            Domain = node.Domain,
            Inputs = inputs,
            Outputs = node.Outputs,
            Attributes = node.Attributes,
        };
    }

    private sealed record QuantizedTensor(string QuantizedName, string ScaleName, string ZeroPointName, float Scale)
    {
        public int Readers { get; set; }
    }
}

/// <summary>The calibrated float range of one activation tensor.</summary>
public sealed record ActivationRange(string Tensor, float Min, float Max);
