namespace GridTsne.Engine.Quantization;

/// <summary>
/// Prepares an fp32 CNN for quantization: folds every BatchNormalization that follows a Conv into that
/// Conv's weights and bias, and declares opset 13, which per-channel DequantizeLinear needs.
/// </summary>
internal static class BatchNormFolding
{
    /// <summary>The opset the prepared graph declares.</summary>
    public const long TargetOpset = 13;

    /// <summary>IR version 7 is the first that opset 13 may be used with.</summary>
    private const long TargetIrVersion = 7;

    // Operators whose meaning is the same from opset 7 to 13 for the attributes that old exporters write.
    // Anything else could change meaning with the opset lift, so the model is refused instead.
    private static readonly HashSet<string> LiftableOperators = new(StringComparer.Ordinal)
    {
        "Conv", "BatchNormalization", "Relu", "Add", "MaxPool", "AveragePool", "GlobalAveragePool", "Gemm", "Flatten",
    };

    /// <summary>
    /// Folds BatchNormalization into the Conv before it: with f = scale / sqrt(var + epsilon), the weights of
    /// output channel c become W[c] * f[c] and its bias (b[c] - mean[c]) * f[c] + B[c]. Computed in double
    /// and rounded once to float, so the result does not depend on the CPU. Returns how many were folded.
    /// </summary>
    public static int FoldAndLift(OnnxGraph graph)
    {
        if (graph.OpsetVersion > TargetOpset)
        {
            throw new NotSupportedException($"The model declares opset {graph.OpsetVersion}; the quantizer works at opset {TargetOpset} and does not lower models.");
        }

        if (graph.OpsetVersion < 7)
        {
            throw new NotSupportedException($"The model declares opset {graph.OpsetVersion}; the quantizer lifts models from opset 7 or later.");
        }

        if (graph.Nodes.FirstOrDefault(node => node.Domain.Length > 0 || !LiftableOperators.Contains(node.OpType)) is { } unknown)
        {
            throw new NotSupportedException($"The model uses {unknown.Domain}{(unknown.Domain.Length > 0 ? "." : string.Empty)}{unknown.OpType}, which the quantizer cannot lift to opset {TargetOpset} with certainty.");
        }

        int folded = 0;
        foreach (OnnxNode batchNorm in graph.Nodes.Where(node => node.OpType == "BatchNormalization").ToList())
        {
            OnnxNode conv = graph.ProducerOf(batchNorm.Inputs[0]) is { OpType: "Conv" } producer
                ? producer
                : throw new NotSupportedException($"BatchNormalization '{batchNorm.Name}' does not follow a Conv, so it cannot be folded.");
            if (graph.ConsumersOf(conv.Outputs[0]).Count != 1 || graph.IsGraphOutput(conv.Outputs[0]))
            {
                throw new NotSupportedException($"The output of Conv '{conv.Name}' is used by more than its BatchNormalization, so it cannot be folded.");
            }

            if (batchNorm.IntAttribute("spatial", 1) != 1 || batchNorm.Outputs.Count != 1)
            {
                throw new NotSupportedException($"BatchNormalization '{batchNorm.Name}' is not a spatial inference-mode normalization.");
            }

            Fold(graph, conv, batchNorm);
            folded++;
        }

        graph.OpsetVersion = TargetOpset;
        graph.IrVersion = Math.Max(graph.IrVersion, TargetIrVersion);
        return folded;
    }

    private static void Fold(OnnxGraph graph, OnnxNode conv, OnnxNode batchNorm)
    {
        string weightName = conv.Inputs[1];
        if (graph.Nodes.Count(node => node.Inputs.Contains(weightName)) != 1)
        {
            throw new NotSupportedException($"The weights '{weightName}' of Conv '{conv.Name}' are shared, so they cannot be folded.");
        }

        OnnxTensor weightTensor = Initializer(graph, weightName);
        float[] weights = weightTensor.ToFloats();
        float[] scale = Initializer(graph, batchNorm.Inputs[1]).ToFloats();
        float[] shift = Initializer(graph, batchNorm.Inputs[2]).ToFloats();
        float[] mean = Initializer(graph, batchNorm.Inputs[3]).ToFloats();
        float[] variance = Initializer(graph, batchNorm.Inputs[4]).ToFloats();
        double epsilon = batchNorm.FloatAttribute("epsilon", 1e-5f);
        int channels = (int)weightTensor.Dimensions[0];
        float[] bias = conv.Inputs.Count > 2 ? Initializer(graph, conv.Inputs[2]).ToFloats() : new float[channels];
        if (scale.Length != channels || shift.Length != channels || mean.Length != channels || variance.Length != channels || bias.Length != channels)
        {
            throw new NotSupportedException($"BatchNormalization '{batchNorm.Name}' does not have one value per output channel of Conv '{conv.Name}'.");
        }

        int perChannel = weights.Length / channels;
        var foldedBias = new float[channels];
        for (int channel = 0; channel < channels; channel++)
        {
            double factor = scale[channel] / Math.Sqrt(variance[channel] + epsilon);
            Span<float> kernel = weights.AsSpan(channel * perChannel, perChannel);
            for (int i = 0; i < kernel.Length; i++)
            {
                kernel[i] = (float)(kernel[i] * factor);
            }

            foldedBias[channel] = (float)(((bias[channel] - (double)mean[channel]) * factor) + shift[channel]);
        }

        foreach (string parameter in batchNorm.Inputs.Skip(1).Concat(conv.Inputs.Skip(2)).Distinct())
        {
            if (graph.Nodes.Count(node => node.Inputs.Contains(parameter)) == 1)
            {
                graph.Initializers.Remove(parameter);
            }
        }

        string biasName = batchNorm.Outputs[0] + "_bias";
        graph.Initializers[weightName] = OnnxTensor.FromFloats(weightName, weightTensor.Dimensions, weights);
        graph.Initializers[biasName] = OnnxTensor.FromFloats(biasName, [channels], foldedBias);
        int index = graph.Nodes.IndexOf(conv);
        graph.Nodes[index] = new OnnxNode
        {
            OpType = "Conv",
            Name = conv.Name,
            Inputs = [conv.Inputs[0], weightName, biasName],
            Outputs = [batchNorm.Outputs[0]],
            Attributes = conv.Attributes,
        };
        graph.Nodes.Remove(batchNorm);
    }

    internal static OnnxTensor Initializer(OnnxGraph graph, string name) =>
        graph.Initializers.TryGetValue(name, out OnnxTensor? tensor)
            ? tensor
            : throw new NotSupportedException($"'{name}' is not a constant (initializer) of the model.");
}
