using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using GridTsne.Engine.Embedding;

namespace GridTsne.Engine.Quantization;

/// <summary>ONNX tensor element types used here (TensorProto.DataType).</summary>
internal enum OnnxDataType
{
    Float = 1,
    UInt8 = 2,
    Int8 = 3,
    Int32 = 6,
}

/// <summary>One node of an ONNX graph. Attributes stay encoded AttributeProto messages, copied verbatim.</summary>
internal sealed class OnnxNode
{
    public required string OpType { get; init; }

    public string Name { get; init; } = string.Empty;

    public string Domain { get; init; } = string.Empty;

    public List<string> Inputs { get; init; } = [];

    public List<string> Outputs { get; init; } = [];

    public List<byte[]> Attributes { get; init; } = [];

    /// <summary>The float attribute called <paramref name="name"/>, or <paramref name="fallback"/> when absent.</summary>
    public float FloatAttribute(string name, float fallback) =>
        AttributeValue(name, OnnxFields.AttributeFloat) is { } bits ? BitConverter.UInt32BitsToSingle((uint)bits) : fallback;

    /// <summary>The int attribute called <paramref name="name"/>, or <paramref name="fallback"/> when absent.</summary>
    public long IntAttribute(string name, long fallback) =>
        AttributeValue(name, OnnxFields.AttributeInt) is { } value ? (long)value : fallback;

    /// <summary>An encoded INT attribute.</summary>
    public static byte[] IntAttributeBytes(string name, long value)
    {
        using var stream = new MemoryStream();
        ProtobufWire.WriteLengthDelimited(stream, OnnxFields.AttributeName, Encoding.UTF8.GetBytes(name));
        ProtobufWire.WriteVarintField(stream, OnnxFields.AttributeInt, (ulong)value);
        ProtobufWire.WriteVarintField(stream, OnnxFields.AttributeType, OnnxFields.AttributeTypeInt);
        return stream.ToArray();
    }

    /// <summary>An encoded FLOAT attribute.</summary>
    public static byte[] FloatAttributeBytes(string name, float value)
    {
        using var stream = new MemoryStream();
        ProtobufWire.WriteLengthDelimited(stream, OnnxFields.AttributeName, Encoding.UTF8.GetBytes(name));
        ProtobufWire.WriteFixed32Field(stream, OnnxFields.AttributeFloat, BitConverter.SingleToUInt32Bits(value));
        ProtobufWire.WriteVarintField(stream, OnnxFields.AttributeType, OnnxFields.AttributeTypeFloat);
        return stream.ToArray();
    }

    private ulong? AttributeValue(string name, int valueField)
    {
        foreach (byte[] attribute in Attributes)
        {
            ulong? value = null;
            bool matches = false;
            ProtobufWire.ForEachValue(attribute, (field, _, number, payload) =>
            {
                if (field == OnnxFields.AttributeName)
                {
                    matches = Encoding.UTF8.GetString(payload) == name;
                }
                else if (field == valueField)
                {
                    value = number;
                }
            });
            if (matches)
            {
                return value;
            }
        }

        return null;
    }
}

/// <summary>A graph initializer: a named constant tensor with its data as little-endian bytes.</summary>
internal sealed class OnnxTensor
{
    public required string Name { get; init; }

    public required long[] Dimensions { get; init; }

    public required OnnxDataType DataType { get; init; }

    /// <summary>The elements, little-endian, as TensorProto.raw_data holds them.</summary>
    public required byte[] Data { get; init; }

    public long ElementCount => Dimensions.Aggregate(1L, (product, dimension) => product * dimension);

    public float[] ToFloats()
    {
        if (DataType != OnnxDataType.Float)
        {
            throw new InvalidDataException($"The initializer '{Name}' is {DataType}, not float.");
        }

        var values = new float[Data.Length / sizeof(float)];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(Data.AsSpan(i * sizeof(float)));
        }

        return values;
    }

    public static OnnxTensor FromFloats(string name, long[] dimensions, ReadOnlySpan<float> values)
    {
        var data = new byte[values.Length * sizeof(float)];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(i * sizeof(float)), values[i]);
        }

        return new OnnxTensor { Name = name, Dimensions = dimensions, DataType = OnnxDataType.Float, Data = data };
    }

    public static OnnxTensor FromInt8(string name, long[] dimensions, ReadOnlySpan<sbyte> values) =>
        new() { Name = name, Dimensions = dimensions, DataType = OnnxDataType.Int8, Data = MemoryMarshal.AsBytes(values).ToArray() };

    public static OnnxTensor FromUInt8(string name, long[] dimensions, ReadOnlySpan<byte> values) =>
        new() { Name = name, Dimensions = dimensions, DataType = OnnxDataType.UInt8, Data = values.ToArray() };

    public static OnnxTensor FromInt32(string name, long[] dimensions, ReadOnlySpan<int> values)
    {
        var data = new byte[values.Length * sizeof(int)];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(i * sizeof(int)), values[i]);
        }

        return new OnnxTensor { Name = name, Dimensions = dimensions, DataType = OnnxDataType.Int32, Data = data };
    }
}

/// <summary>
/// An ONNX model decoded far enough to rewrite its graph: nodes and initializers are editable; the model's
/// other fields and the graph's inputs and outputs are kept as their encoded bytes. Intermediate shapes
/// (value_info) are dropped on writing, since rewritten graphs invalidate them and ONNX Runtime infers them.
/// Writing is a pure function of the contents, so the same graph always gives the same bytes.
/// </summary>
internal sealed class OnnxGraph
{
    private OnnxGraph()
    {
    }

    public long IrVersion { get; set; }

    /// <summary>The default-domain opset the model declares.</summary>
    public long OpsetVersion { get; set; }

    /// <summary>Opset imports of other domains, encoded.</summary>
    public List<byte[]> OtherOpsetImports { get; } = [];

    /// <summary>ModelProto fields other than ir_version, opset_import and graph (producer, doc string...), encoded with their tags.</summary>
    public List<byte[]> OtherModelFields { get; } = [];

    public string GraphName { get; set; } = string.Empty;

    public List<OnnxNode> Nodes { get; set; } = [];

    public Dictionary<string, OnnxTensor> Initializers { get; } = new(StringComparer.Ordinal);

    /// <summary>Graph inputs (ValueInfoProto, encoded), initializers excluded.</summary>
    public List<byte[]> Inputs { get; } = [];

    /// <summary>Graph outputs (ValueInfoProto, encoded).</summary>
    public List<byte[]> Outputs { get; } = [];

    public IEnumerable<string> OutputNames => Outputs.Select(output => OnnxBatchPatcher.ValueInfoName(output));

    public static OnnxGraph Read(ReadOnlySpan<byte> model)
    {
        var graph = new OnnxGraph();
        byte[]? graphBytes = null;
        ProtobufWire.ForEachValue(model, (field, wire, value, payload) =>
        {
            switch (field)
            {
                case OnnxFields.ModelIrVersion:
                    graph.IrVersion = (long)value;
                    break;
                case OnnxFields.ModelOpsetImport:
                    string domain = string.Empty;
                    long version = 0;
                    ProtobufWire.ForEachValue(payload, (opsetField, _, opsetValue, opsetPayload) =>
                    {
                        if (opsetField == OnnxFields.OpsetDomain)
                        {
                            domain = Encoding.UTF8.GetString(opsetPayload);
                        }
                        else if (opsetField == OnnxFields.OpsetVersion)
                        {
                            version = (long)opsetValue;
                        }
                    });
                    if (domain.Length == 0 || domain == "ai.onnx")
                    {
                        graph.OpsetVersion = version;
                    }
                    else
                    {
                        graph.OtherOpsetImports.Add(payload.ToArray());
                    }

                    break;
                case OnnxFields.ModelGraph:
                    graphBytes = payload.ToArray();
                    break;
                default:
                    graph.OtherModelFields.Add(Field(field, wire, value, payload));
                    break;
            }
        });
        if (graphBytes is null)
        {
            throw new InvalidDataException("The model has no graph.");
        }

        graph.ReadGraph(graphBytes);
        return graph;
    }

    public byte[] Write()
    {
        using var model = new MemoryStream();
        ProtobufWire.WriteVarintField(model, OnnxFields.ModelIrVersion, (ulong)IrVersion);
        foreach (byte[] field in OtherModelFields)
        {
            model.Write(field);
        }

        using (var opset = new MemoryStream())
        {
            ProtobufWire.WriteVarintField(opset, OnnxFields.OpsetVersion, (ulong)OpsetVersion);
            ProtobufWire.WriteLengthDelimited(model, OnnxFields.ModelOpsetImport, opset.ToArray());
        }

        foreach (byte[] import in OtherOpsetImports)
        {
            ProtobufWire.WriteLengthDelimited(model, OnnxFields.ModelOpsetImport, import);
        }

        ProtobufWire.WriteLengthDelimited(model, OnnxFields.ModelGraph, WriteGraph());
        return model.ToArray();
    }

    /// <summary>The nodes that read <paramref name="tensor"/>.</summary>
    public List<OnnxNode> ConsumersOf(string tensor) => Nodes.Where(node => node.Inputs.Contains(tensor)).ToList();

    /// <summary>The node that writes <paramref name="tensor"/>, or null for graph inputs and initializers.</summary>
    public OnnxNode? ProducerOf(string tensor) => Nodes.FirstOrDefault(node => node.Outputs.Contains(tensor));

    public bool IsGraphOutput(string tensor) => OutputNames.Contains(tensor, StringComparer.Ordinal);

    /// <summary>Adds a graph output of type float (shape left to inference) for an intermediate tensor.</summary>
    public void AddFloatOutput(string tensor)
    {
        using var tensorType = new MemoryStream();
        ProtobufWire.WriteVarintField(tensorType, OnnxFields.TensorTypeElementType, (ulong)OnnxDataType.Float);
        using var type = new MemoryStream();
        ProtobufWire.WriteLengthDelimited(type, OnnxFields.TypeTensor, tensorType.ToArray());
        using var valueInfo = new MemoryStream();
        ProtobufWire.WriteLengthDelimited(valueInfo, OnnxFields.ValueInfoName, Encoding.UTF8.GetBytes(tensor));
        ProtobufWire.WriteLengthDelimited(valueInfo, OnnxFields.ValueInfoType, type.ToArray());
        Outputs.Add(valueInfo.ToArray());
    }

    private void ReadGraph(byte[] graphBytes)
    {
        var declaredInputs = new List<byte[]>();
        ProtobufWire.ForEachValue(graphBytes, (field, _, _, payload) =>
        {
            switch (field)
            {
                case OnnxFields.GraphNode:
                    Nodes.Add(ReadNode(payload));
                    break;
                case OnnxFields.GraphName:
                    GraphName = Encoding.UTF8.GetString(payload);
                    break;
                case OnnxFields.GraphInitializer:
                    OnnxTensor tensor = ReadTensor(payload);
                    Initializers[tensor.Name] = tensor;
                    break;
                case OnnxFields.GraphInput:
                    declaredInputs.Add(payload.ToArray());
                    break;
                case OnnxFields.GraphOutput:
                    Outputs.Add(payload.ToArray());
                    break;
                case OnnxFields.GraphValueInfo:
                case OnnxFields.GraphDocString:
                    break;
                default:
                    throw new InvalidDataException($"The graph has a field ({field}) this rewriter does not know, such as sparse initializers or quantization annotations.");
            }
        });

        // Models of IR version < 4 also list their weights as graph inputs; IR 4 and later need not.
        Inputs.AddRange(declaredInputs.Where(input => !Initializers.ContainsKey(OnnxBatchPatcher.ValueInfoName(input))));
    }

    private byte[] WriteGraph()
    {
        using var graph = new MemoryStream();
        foreach (OnnxNode node in Nodes)
        {
            ProtobufWire.WriteLengthDelimited(graph, OnnxFields.GraphNode, WriteNode(node));
        }

        ProtobufWire.WriteLengthDelimited(graph, OnnxFields.GraphName, Encoding.UTF8.GetBytes(GraphName));
        // Ordinal order: the bytes must not depend on the order in which a rewrite added the tensors.
        foreach (OnnxTensor tensor in Initializers.Values.OrderBy(tensor => tensor.Name, StringComparer.Ordinal))
        {
            ProtobufWire.WriteLengthDelimited(graph, OnnxFields.GraphInitializer, WriteTensor(tensor));
        }

        foreach (byte[] input in Inputs)
        {
            ProtobufWire.WriteLengthDelimited(graph, OnnxFields.GraphInput, input);
        }

        foreach (byte[] output in Outputs)
        {
            ProtobufWire.WriteLengthDelimited(graph, OnnxFields.GraphOutput, output);
        }

        return graph.ToArray();
    }

    private static OnnxNode ReadNode(ReadOnlySpan<byte> payload)
    {
        var inputs = new List<string>();
        var outputs = new List<string>();
        var attributes = new List<byte[]>();
        string name = string.Empty, opType = string.Empty, domain = string.Empty;
        ProtobufWire.ForEachField(payload, (field, value) =>
        {
            switch (field)
            {
                case OnnxFields.NodeInput:
                    inputs.Add(Encoding.UTF8.GetString(value));
                    break;
                case OnnxFields.NodeOutput:
                    outputs.Add(Encoding.UTF8.GetString(value));
                    break;
                case OnnxFields.NodeName:
                    name = Encoding.UTF8.GetString(value);
                    break;
                case OnnxFields.NodeOpType:
                    opType = Encoding.UTF8.GetString(value);
                    break;
                case OnnxFields.NodeDomain:
                    domain = Encoding.UTF8.GetString(value);
                    break;
                case OnnxFields.NodeAttribute:
                    attributes.Add(value.ToArray());
                    break;
            }
        });
        return new OnnxNode { OpType = opType, Name = name, Domain = domain, Inputs = inputs, Outputs = outputs, Attributes = attributes };
    }

    private static byte[] WriteNode(OnnxNode node)
    {
        using var stream = new MemoryStream();
        foreach (string input in node.Inputs)
        {
            ProtobufWire.WriteLengthDelimited(stream, OnnxFields.NodeInput, Encoding.UTF8.GetBytes(input));
        }

        foreach (string output in node.Outputs)
        {
            ProtobufWire.WriteLengthDelimited(stream, OnnxFields.NodeOutput, Encoding.UTF8.GetBytes(output));
        }

        if (node.Name.Length > 0)
        {
            ProtobufWire.WriteLengthDelimited(stream, OnnxFields.NodeName, Encoding.UTF8.GetBytes(node.Name));
        }

        ProtobufWire.WriteLengthDelimited(stream, OnnxFields.NodeOpType, Encoding.UTF8.GetBytes(node.OpType));
        foreach (byte[] attribute in node.Attributes)
        {
            ProtobufWire.WriteLengthDelimited(stream, OnnxFields.NodeAttribute, attribute);
        }

        if (node.Domain.Length > 0)
        {
            ProtobufWire.WriteLengthDelimited(stream, OnnxFields.NodeDomain, Encoding.UTF8.GetBytes(node.Domain));
        }

        return stream.ToArray();
    }

    private static OnnxTensor ReadTensor(ReadOnlySpan<byte> payload)
    {
        var dimensions = new List<long>();
        var floats = new List<float>();
        int dataType = 0;
        string name = string.Empty;
        byte[]? raw = null;
        ProtobufWire.ForEachValue(payload, (field, wire, value, bytes) =>
        {
            switch (field)
            {
                case OnnxFields.TensorDimensions:
                    if (wire == 2)
                    {
                        dimensions.AddRange(ProtobufWire.ReadPackedVarints(bytes));
                    }
                    else
                    {
                        dimensions.Add((long)value);
                    }

                    break;
                case OnnxFields.TensorDataType:
                    dataType = (int)value;
                    break;
                case OnnxFields.TensorFloatData:
                    if (wire == 2)
                    {
                        for (int i = 0; i + 4 <= bytes.Length; i += 4)
                        {
                            floats.Add(BinaryPrimitives.ReadSingleLittleEndian(bytes[i..]));
                        }
                    }
                    else
                    {
                        floats.Add(BitConverter.UInt32BitsToSingle((uint)value));
                    }

                    break;
                case OnnxFields.TensorName:
                    name = Encoding.UTF8.GetString(bytes);
                    break;
                case OnnxFields.TensorRawData:
                    raw = bytes.ToArray();
                    break;
                case OnnxFields.TensorDocString:
                    break;
                default:
                    throw new InvalidDataException($"A tensor uses a storage field ({field}) this rewriter does not read, such as external data.");
            }
        });

        if (!Enum.IsDefined((OnnxDataType)dataType))
        {
            throw new InvalidDataException($"The initializer '{name}' has element type {dataType}; only float, uint8, int8 and int32 initializers are read.");
        }

        long[] shape = [.. dimensions];
        long count = shape.Aggregate(1L, (product, dimension) => product * dimension);
        var type = (OnnxDataType)dataType;
        if (raw is null && type != OnnxDataType.Float)
        {
            throw new InvalidDataException($"The initializer '{name}' keeps its {type} values outside raw_data, which this reader does not take.");
        }

        OnnxTensor tensor = raw is not null
            ? new OnnxTensor { Name = name, Dimensions = shape, DataType = type, Data = raw }
            : OnnxTensor.FromFloats(name, shape, floats.ToArray());
        int elementSize = type is OnnxDataType.Int8 or OnnxDataType.UInt8 ? 1 : 4;
        if (tensor.Data.Length != count * elementSize)
        {
            throw new InvalidDataException($"The initializer '{name}' holds {tensor.Data.Length} bytes for {count} {type} values.");
        }

        return tensor;
    }

    private static byte[] WriteTensor(OnnxTensor tensor)
    {
        using var stream = new MemoryStream();
        foreach (long dimension in tensor.Dimensions)
        {
            ProtobufWire.WriteVarintField(stream, OnnxFields.TensorDimensions, (ulong)dimension);
        }

        ProtobufWire.WriteVarintField(stream, OnnxFields.TensorDataType, (ulong)tensor.DataType);
        ProtobufWire.WriteLengthDelimited(stream, OnnxFields.TensorName, Encoding.UTF8.GetBytes(tensor.Name));
        ProtobufWire.WriteLengthDelimited(stream, OnnxFields.TensorRawData, tensor.Data);
        return stream.ToArray();
    }

    private static byte[] Field(int field, int wire, ulong value, ReadOnlySpan<byte> payload)
    {
        using var stream = new MemoryStream();
        switch (wire)
        {
            case 0:
                ProtobufWire.WriteVarintField(stream, field, value);
                break;
            case 2:
                ProtobufWire.WriteLengthDelimited(stream, field, payload);
                break;
            case 5:
                ProtobufWire.WriteFixed32Field(stream, field, (uint)value);
                break;
            default:
                throw new InvalidDataException($"The model has a fixed64 field ({field}) this rewriter does not keep.");
        }

        return stream.ToArray();
    }
}
