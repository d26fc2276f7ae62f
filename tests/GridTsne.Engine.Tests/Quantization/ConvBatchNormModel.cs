using System.Buffers.Binary;
using System.Text;
using GridTsne.Engine.Embedding;

namespace GridTsne.Engine.Tests.Quantization;

/// <summary>
/// A hand-encoded opset-8 model of the kind the quantizer takes: X -> Conv (no bias) -> BatchNormalization ->
/// Relu -> Y, with every parameter an initializer, as the NuGet ResNet18 has them. Encoded here, field by
/// field, independently of the quantizer's own reader and writer.
/// </summary>
internal static class ConvBatchNormModel
{
    public sealed record Parameters(int InputChannels, int OutputChannels, int Kernel, float[] Weights, float[] Scale, float[] Shift, float[] Mean, float[] Variance, float Epsilon)
    {
        public int Padding => Kernel / 2;
    }

    public static byte[] Encode(Parameters p, string extraOperator = "")
    {
        var nodes = new List<byte[]>
        {
            Node("Conv", ["X", "W"], ["C"], IntsAttribute("kernel_shape", p.Kernel, p.Kernel), IntsAttribute("pads", p.Padding, p.Padding, p.Padding, p.Padding), IntsAttribute("strides", 1, 1)),
            Node("BatchNormalization", ["C", "gamma", "beta", "mean", "var"], ["B"], FloatAttribute("epsilon", p.Epsilon)),
            Node("Relu", ["B"], [extraOperator.Length > 0 ? "R" : "Y"]),
        };
        if (extraOperator.Length > 0)
        {
            nodes.Add(Node(extraOperator, ["R"], ["Y"]));
        }

        byte[] graph = Message(stream =>
        {
            foreach (byte[] node in nodes)
            {
                ProtobufWire.WriteLengthDelimited(stream, 1, node);
            }

            ProtobufWire.WriteLengthDelimited(stream, 2, "conv-bn"u8);
            ProtobufWire.WriteLengthDelimited(stream, 5, Tensor("W", [p.OutputChannels, p.InputChannels, p.Kernel, p.Kernel], p.Weights));
            ProtobufWire.WriteLengthDelimited(stream, 5, Tensor("gamma", [p.OutputChannels], p.Scale));
            ProtobufWire.WriteLengthDelimited(stream, 5, Tensor("beta", [p.OutputChannels], p.Shift));
            ProtobufWire.WriteLengthDelimited(stream, 5, Tensor("mean", [p.OutputChannels], p.Mean));
            ProtobufWire.WriteLengthDelimited(stream, 5, Tensor("var", [p.OutputChannels], p.Variance));
            ProtobufWire.WriteLengthDelimited(stream, 11, ValueInfo("X", p.InputChannels));
            ProtobufWire.WriteLengthDelimited(stream, 12, ValueInfo("Y", extraOperator.Length > 0 ? null : p.OutputChannels));
        });
        return Message(stream =>
        {
            ProtobufWire.WriteVarintField(stream, 1, 3);
            ProtobufWire.WriteLengthDelimited(stream, 2, "tests"u8);
            ProtobufWire.WriteLengthDelimited(stream, 8, Message(opset => ProtobufWire.WriteVarintField(opset, 2, 8)));
            ProtobufWire.WriteLengthDelimited(stream, 7, graph);
        });
    }

    public static Parameters Random(int seed, int inputChannels, int outputChannels, int kernel)
    {
        var random = new Random(seed);
        float[] Values(int count, float low, float high) => [.. Enumerable.Range(0, count).Select(_ => low + ((high - low) * random.NextSingle()))];
        return new Parameters(inputChannels, outputChannels, kernel,
            Values(outputChannels * inputChannels * kernel * kernel, -1f, 1f),
            Values(outputChannels, 0.5f, 2f), Values(outputChannels, -1f, 1f), Values(outputChannels, -0.5f, 0.5f), Values(outputChannels, 0.2f, 3f), 1e-5f);
    }

    private static byte[] Node(string op, string[] inputs, string[] outputs, params byte[][] attributes) => Message(stream =>
    {
        foreach (string input in inputs)
        {
            ProtobufWire.WriteLengthDelimited(stream, 1, Encoding.UTF8.GetBytes(input));
        }

        foreach (string output in outputs)
        {
            ProtobufWire.WriteLengthDelimited(stream, 2, Encoding.UTF8.GetBytes(output));
        }

        ProtobufWire.WriteLengthDelimited(stream, 3, Encoding.UTF8.GetBytes(op + "_node"));
        ProtobufWire.WriteLengthDelimited(stream, 4, Encoding.UTF8.GetBytes(op));
        foreach (byte[] attribute in attributes)
        {
            ProtobufWire.WriteLengthDelimited(stream, 5, attribute);
        }
    });

    private static byte[] IntsAttribute(string name, params long[] values) => Message(stream =>
    {
        ProtobufWire.WriteLengthDelimited(stream, 1, Encoding.UTF8.GetBytes(name));
        foreach (long value in values)
        {
            ProtobufWire.WriteVarintField(stream, 8, (ulong)value);
        }

        ProtobufWire.WriteVarintField(stream, 20, 7);
    });

    private static byte[] FloatAttribute(string name, float value) => Message(stream =>
    {
        ProtobufWire.WriteLengthDelimited(stream, 1, Encoding.UTF8.GetBytes(name));
        stream.WriteByte((2 << 3) | 5);
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        stream.Write(bytes);
        ProtobufWire.WriteVarintField(stream, 20, 1);
    });

    // Float data as packed float_data (field 4), not raw_data: the reader must handle both encodings.
    private static byte[] Tensor(string name, long[] dimensions, float[] values) => Message(stream =>
    {
        foreach (long dimension in dimensions)
        {
            ProtobufWire.WriteVarintField(stream, 1, (ulong)dimension);
        }

        ProtobufWire.WriteVarintField(stream, 2, 1);
        var data = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(i * 4), values[i]);
        }

        ProtobufWire.WriteLengthDelimited(stream, 4, data);
        ProtobufWire.WriteLengthDelimited(stream, 8, Encoding.UTF8.GetBytes(name));
    });

    // Channels null: a float tensor of unspecified shape.
    private static byte[] ValueInfo(string name, int? channels)
    {
        byte[] shape = Message(stream =>
        {
            if (channels is null)
            {
                return;
            }

            ProtobufWire.WriteLengthDelimited(stream, 1, Message(dim => ProtobufWire.WriteLengthDelimited(dim, 2, "N"u8)));
            foreach (int dimension in new[] { channels.Value, 8, 8 })
            {
                ProtobufWire.WriteLengthDelimited(stream, 1, Message(dim => ProtobufWire.WriteVarintField(dim, 1, (ulong)dimension)));
            }
        });
        byte[] tensor = Message(stream =>
        {
            ProtobufWire.WriteVarintField(stream, 1, 1);
            if (channels is not null)
            {
                ProtobufWire.WriteLengthDelimited(stream, 2, shape);
            }
        });
        return Message(stream =>
        {
            ProtobufWire.WriteLengthDelimited(stream, 1, Encoding.UTF8.GetBytes(name));
            ProtobufWire.WriteLengthDelimited(stream, 2, Message(type => ProtobufWire.WriteLengthDelimited(type, 1, tensor)));
        });
    }

    private static byte[] Message(Action<MemoryStream> write)
    {
        using var stream = new MemoryStream();
        write(stream);
        return stream.ToArray();
    }
}
