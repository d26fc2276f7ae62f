using GridTsne.Engine.Embedding;
using GridTsne.Engine.Quantization;
using Microsoft.ML.OnnxRuntime;

namespace GridTsne.Engine.Tests.Quantization;

public sealed class BatchNormFoldingTests
{
    [Fact]
    public void Folding_gives_the_hand_computed_weights_and_bias()
    {
        // 1x1 convolution, one input channel, two output channels. With epsilon 0.01 the standard deviations
        // are sqrt(3.99 + 0.01) = 2 and sqrt(0.24 + 0.01) = 0.5, so the factors gamma / sd are 0.25 and 6:
        //   W' = [2 * 0.25, -1 * 6] = [0.5, -6];  b' = [(0 - 4) * 0.25 + 1, (0 - 0.5) * 6 - 2] = [0, -5].
        var parameters = new ConvBatchNormModel.Parameters(1, 2, 1, Weights: [2f, -1f], Scale: [0.5f, 3f], Shift: [1f, -2f],
            Mean: [4f, 0.5f], Variance: [3.99f, 0.24f], Epsilon: 0.01f);
        OnnxGraph graph = OnnxGraph.Read(ConvBatchNormModel.Encode(parameters));

        Assert.Equal(1, BatchNormFolding.FoldAndLift(graph));

        Assert.Equal(13, graph.OpsetVersion);
        Assert.Equal(["Conv", "Relu"], graph.Nodes.Select(node => node.OpType));
        OnnxNode conv = graph.Nodes[0];
        Assert.Equal("B", conv.Outputs[0]);
        float[] weights = graph.Initializers[conv.Inputs[1]].ToFloats();
        float[] bias = graph.Initializers[conv.Inputs[2]].ToFloats();
        Assert.Equal(0.5f, weights[0], 5);
        Assert.Equal(-6f, weights[1], 5);
        Assert.Equal(0f, bias[0], 5);
        Assert.Equal(-5f, bias[1], 5);
        Assert.DoesNotContain("gamma", graph.Initializers.Keys);
        Assert.DoesNotContain("var", graph.Initializers.Keys);
    }

    [Fact]
    public void The_folded_model_computes_what_the_original_computes_in_ONNX_Runtime()
    {
        byte[] original = ConvBatchNormModel.Encode(ConvBatchNormModel.Random(seed: 3, inputChannels: 3, outputChannels: 5, kernel: 3));
        byte[] folded = Int8ModelBuilder.FoldBatchNormalization(original);
        float[] input = RandomInput(seed: 4, 3 * 8 * 8, -2f, 2f);

        float[] expected = ModelRunner.Run(original, input, 3);
        float[] actual = ModelRunner.Run(folded, input, 3);

        Assert.Equal(5 * 8 * 8, actual.Length);
        Assert.Contains(expected, value => value > 0.5f);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], 1e-4f);
        }
    }

    [Fact]
    public void An_operator_that_may_change_meaning_with_the_opset_is_refused()
    {
        byte[] model = ConvBatchNormModel.Encode(ConvBatchNormModel.Random(seed: 5, 2, 2, 1), extraOperator: "Upsample");
        var error = Assert.Throws<NotSupportedException>(() => Int8ModelBuilder.FoldBatchNormalization(model));
        Assert.Contains("Upsample", error.Message, StringComparison.Ordinal);
    }

    internal static float[] RandomInput(int seed, int count, float low, float high)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => low + ((high - low) * random.NextSingle()))];
    }
}

public sealed class QdqQuantizerTests
{
    [Fact]
    public void Weights_are_symmetric_per_output_channel()
    {
        // Channel 0: largest magnitude 1 -> scale 1/127; -0.5 -> -63.5 rounds to even (-64), 0.25 -> 31.75 -> 32.
        // Channel 1: largest magnitude 0.02 -> its own scale 0.02/127, so small weights keep their resolution:
        // -0.0101 -> -64.135 -> -64, 0.005 -> 31.75 -> 32.
        // Channel 2: all zero -> scale 1 (never a division by zero), values 0.
        (sbyte[] values, float[] scales) = QdqQuantizer.QuantizeWeights([1f, -0.5f, 0.25f, 0.02f, -0.0101f, 0.005f, 0f, 0f, 0f], channels: 3);

        Assert.Equal([127, -64, 32, 127, -64, 32, 0, 0, 0], values.Select(value => (int)value));
        Assert.Equal(1f / 127f, scales[0], 7);
        Assert.Equal(0.02f / 127f, scales[1], 9);
        Assert.Equal(1f, scales[2]);
    }

    [Fact]
    public void Quantized_weights_are_within_half_a_step_and_use_the_full_range()
    {
        float[] weights = BatchNormFoldingTests.RandomInput(seed: 9, 16 * 27, -0.3f, 0.7f);
        (sbyte[] values, float[] scales) = QdqQuantizer.QuantizeWeights(weights, channels: 16);
        for (int channel = 0; channel < 16; channel++)
        {
            int largest = 0;
            for (int i = channel * 27; i < (channel + 1) * 27; i++)
            {
                Assert.True(Math.Abs((values[i] * scales[channel]) - weights[i]) <= (scales[channel] / 2) * 1.0001, $"weight {i}");
                largest = Math.Max(largest, Math.Abs((int)values[i]));
            }

            Assert.Equal(127, largest);
        }
    }

    [Theory]
    [InlineData(0f, 2.55f, 0.01f, 0)] // after a Relu: 0 maps to 0, so saturation is the Relu
    [InlineData(-0.5f, 2.05f, 0.01f, 50)] // 0.5 / 0.01
    [InlineData(-2.55f, 0f, 0.01f, 255)]
    [InlineData(1f, 2.55f, 0.01f, 0)] // the range always contains 0
    public void Activations_get_an_asymmetric_scale_and_zero_point(float min, float max, float scale, int zeroPoint)
    {
        (float actualScale, byte actualZeroPoint) = QdqQuantizer.ActivationParameters(min, max);
        Assert.Equal(scale, actualScale, 6);
        Assert.Equal(zeroPoint, actualZeroPoint);
    }

    [Fact]
    public void Biases_are_int32_with_the_product_of_input_and_weight_scales()
    {
        (int[] values, float[] scales) = QdqQuantizer.QuantizeBias([0.5f, -0.25f], inputScale: 0.1f, weightScales: [0.01f, 0.05f]);
        Assert.Equal(0.001f, scales[0], 8);
        Assert.Equal(0.005f, scales[1], 8);
        Assert.Equal([500, -50], values);
    }

    [Fact]
    public void A_quantized_model_runs_in_ONNX_Runtime_close_to_the_float_one()
    {
        // X -> Conv -> BatchNormalization -> Relu (R) -> GlobalAveragePool -> Y.
        var parameters = ConvBatchNormModel.Random(seed: 11, inputChannels: 4, outputChannels: 8, kernel: 3);
        byte[] original = ConvBatchNormModel.Encode(parameters, extraOperator: "GlobalAveragePool");
        float[] input = BatchNormFoldingTests.RandomInput(seed: 12, 4 * 8 * 8, -1f, 1f);
        float[] expected = ModelRunner.Run(original, input, 4);
        float largest = ModelRunner.Run(ConvBatchNormModel.Encode(parameters), input, 4).Max();
        var calibration = new Int8Calibration
        {
            SourceModel = "tiny",
            Scope = QuantizationScope.ConvolutionsAddsAndPools,
            Method = CalibrationMethod.MinMax,
            PhotoCount = 1,
            Photos = "one random tensor",
            Ranges = [new ActivationRange("X", -1f, 1f), new ActivationRange("R", 0f, largest)],
        };

        byte[] quantized = Int8ModelBuilder.Build(original, calibration);
        OnnxGraph graph = OnnxGraph.Read(quantized);
        float[] actual = ModelRunner.Run(quantized, input, 4);

        // The Relu is gone (R's zero point of 0 does its work); the Conv reads dequantized int8 input,
        // weights and bias, and its output is quantized: Q/DQ on X and R, DQ on the weights and the bias.
        Assert.DoesNotContain(graph.Nodes, node => node.OpType == "Relu");
        Assert.Equal(2, graph.Nodes.Count(node => node.OpType == "QuantizeLinear"));
        Assert.Equal(4, graph.Nodes.Count(node => node.OpType == "DequantizeLinear"));
        Assert.Equal(OnnxDataType.Int8, graph.Initializers["W_quantized"].DataType);
        Assert.Equal(OnnxDataType.Int32, graph.Initializers["B_bias_quantized"].DataType);
        Assert.Equal(8, expected.Length);
        float outputStep = largest / 255f;
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(actual[i] >= 0f, "negative after the implicit Relu");
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 2 * outputStep, $"channel {i}: {actual[i]} vs {expected[i]}");
        }
    }

    [Fact]
    public void A_node_kept_in_float_gets_no_quantization_and_computes_as_before()
    {
        var parameters = ConvBatchNormModel.Random(seed: 14, inputChannels: 3, outputChannels: 4, kernel: 3);
        byte[] original = ConvBatchNormModel.Encode(parameters, extraOperator: "GlobalAveragePool");
        float[] input = BatchNormFoldingTests.RandomInput(seed: 15, 3 * 8 * 8, -100f, 150f);
        float[] expected = ModelRunner.Run(original, input, 3);
        static Int8Calibration KeepingFloat(string node) => new()
        {
            SourceModel = "tiny", Scope = QuantizationScope.ConvolutionsAddsAndPools, FloatNodes = [node],
            Method = CalibrationMethod.MinMax, PhotoCount = 0, Photos = "none", Ranges = [],
        };

        byte[] quantized = Int8ModelBuilder.Build(original, KeepingFloat("Conv_node"));
        OnnxGraph graph = OnnxGraph.Read(quantized);
        float[] actual = ModelRunner.Run(quantized, input, 3);

        // The Conv alone would be quantized; kept in float, nothing is, and its Relu stays.
        Assert.DoesNotContain(graph.Nodes, node => node.OpType is "QuantizeLinear" or "DequantizeLinear");
        Assert.Contains(graph.Nodes, node => node.OpType == "Relu");
        Assert.Equal(OnnxDataType.Float, graph.Initializers["W"].DataType);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-4f * Math.Max(1f, Math.Abs(expected[i])), $"channel {i}: {actual[i]} vs {expected[i]}");
        }

        var error = Assert.Throws<InvalidDataException>(() => Int8ModelBuilder.Build(original, KeepingFloat("Conv_nod")));
        Assert.Contains("'Conv_nod'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_range_is_named()
    {
        byte[] original = ConvBatchNormModel.Encode(ConvBatchNormModel.Random(seed: 13, 2, 2, 1), extraOperator: "GlobalAveragePool");
        var calibration = new Int8Calibration
        {
            SourceModel = "tiny", Scope = QuantizationScope.Convolutions, Method = CalibrationMethod.MinMax, PhotoCount = 0, Photos = "none",
            Ranges = [new ActivationRange("X", -1f, 1f)],
        };
        var error = Assert.Throws<InvalidDataException>(() => Int8ModelBuilder.Build(original, calibration));
        Assert.Contains("'R'", error.Message, StringComparison.Ordinal);
    }
}

/// <summary>Runs a one-input model on a [1, C, 8, 8] tensor with ONNX Runtime.</summary>
internal static class ModelRunner
{
    public static float[] Run(byte[] model, float[] input, int channels)
    {
        using SessionOptions options = OnnxRuntimeEnvironment.CreateSessionOptions(1);
        using InferenceSession session = OnnxRuntimeEnvironment.CreateSession(model, options);
        using OrtValue tensor = OrtValue.CreateTensorValueFromMemory(input, [1, channels, 8, 8]);
        using RunOptions runOptions = OnnxRuntimeEnvironment.CreateRunOptions();
        using IDisposableReadOnlyCollection<OrtValue> outputs = session.Run(runOptions, [session.InputMetadata.Keys.Single()], [tensor], [session.OutputMetadata.Keys.First()]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }
}
