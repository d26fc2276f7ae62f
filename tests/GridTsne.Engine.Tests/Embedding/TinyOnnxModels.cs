using System.Text;
using GridTsne.Engine.Embedding;

namespace GridTsne.Engine.Tests.Embedding;

/// <summary>
/// Hand-encoded ONNX models of one node, for the input and output checks: real files that ONNX Runtime loads,
/// built with the same protobuf wire helpers that patch the built-in model.
/// </summary>
internal static class TinyOnnxModels
{
    public const int Float = 1;
    public const int Int64 = 7;

    // Field numbers from onnx.proto.
    private const int ModelIrVersion = 1;
    private const int ModelOpsetImport = 8;
    private const int ModelGraph = 7;
    private const int OpsetVersion = 2;
    private const int GraphNode = 1;
    private const int GraphName = 2;
    private const int GraphInput = 11;
    private const int GraphOutput = 12;
    private const int NodeInput = 1;
    private const int NodeOutput = 2;
    private const int NodeOpType = 4;
    private const int NodeAttribute = 5;
    private const int AttributeName = 1;
    private const int AttributeInts = 8;
    private const int AttributeType = 20;
    private const int AttributeTypeInts = 7;
    private const int ValueInfoName = 1;
    private const int ValueInfoType = 2;
    private const int TypeTensor = 1;
    private const int TensorElementType = 1;
    private const int TensorShape = 2;
    private const int ShapeDimension = 1;
    private const int DimensionValue = 1;
    private const int DimensionParam = 2;

    /// <summary>
    /// Y = Identity(X), both of <paramref name="elementType"/> and <paramref name="shape"/>; a dimension is a
    /// number, or a name for a symbolic one.
    /// </summary>
    public static string Identity(string path, int elementType, params object[] shape) =>
        Write(path, "Identity", [("X", elementType, shape)], ("Y", elementType, shape));

    /// <summary>Y = Add(A, B): a model with two inputs.</summary>
    public static string Add(string path, params object[] shape) =>
        Write(path, "Add", [("A", Float, shape), ("B", Float, shape)], ("Y", Float, shape));

    /// <summary>Y = Transpose(X) with the batch moved second: [N,3,H,W] in, [3,N,H,W] out.</summary>
    public static string BatchSecond(string path, int side) =>
        Write(path, "Transpose", [("X", Float, ["N", 3, side, side])], ("Y", Float, [3, "N", side, side]), ("perm", [1, 0, 2, 3]));

    private static string Write(string path, string operation, (string Name, int Type, object[] Shape)[] inputs, (string Name, int Type, object[] Shape) output,
        (string Name, int[] Values)? attribute = null)
    {
        byte[] node = Message(stream =>
        {
            foreach ((string name, _, _) in inputs)
            {
                ProtobufWire.WriteLengthDelimited(stream, NodeInput, Encoding.UTF8.GetBytes(name));
            }

            ProtobufWire.WriteLengthDelimited(stream, NodeOutput, Encoding.UTF8.GetBytes(output.Name));
            ProtobufWire.WriteLengthDelimited(stream, NodeOpType, Encoding.UTF8.GetBytes(operation));
            if (attribute is { } ints)
            {
                ProtobufWire.WriteLengthDelimited(stream, NodeAttribute, Message(value =>
                {
                    ProtobufWire.WriteLengthDelimited(value, AttributeName, Encoding.UTF8.GetBytes(ints.Name));
                    foreach (int item in ints.Values)
                    {
                        ProtobufWire.WriteVarintField(value, AttributeInts, (ulong)item);
                    }

                    ProtobufWire.WriteVarintField(value, AttributeType, AttributeTypeInts);
                }));
            }
        });
        byte[] graph = Message(stream =>
        {
            ProtobufWire.WriteLengthDelimited(stream, GraphNode, node);
            ProtobufWire.WriteLengthDelimited(stream, GraphName, "tiny"u8);
            foreach ((string name, int type, object[] shape) in inputs)
            {
                ProtobufWire.WriteLengthDelimited(stream, GraphInput, ValueInfo(name, type, shape));
            }

            ProtobufWire.WriteLengthDelimited(stream, GraphOutput, ValueInfo(output.Name, output.Type, output.Shape));
        });
        byte[] model = Message(stream =>
        {
            ProtobufWire.WriteVarintField(stream, ModelIrVersion, 7);
            ProtobufWire.WriteLengthDelimited(stream, ModelOpsetImport, Message(opset => ProtobufWire.WriteVarintField(opset, OpsetVersion, 13)));
            ProtobufWire.WriteLengthDelimited(stream, ModelGraph, graph);
        });
        File.WriteAllBytes(path, model);
        return path;
    }

    private static byte[] ValueInfo(string name, int elementType, object[] shape)
    {
        byte[] dimensions = Message(stream =>
        {
            foreach (object dimension in shape)
            {
                ProtobufWire.WriteLengthDelimited(stream, ShapeDimension, Message(dim =>
                {
                    if (dimension is string symbol)
                    {
                        ProtobufWire.WriteLengthDelimited(dim, DimensionParam, Encoding.UTF8.GetBytes(symbol));
                    }
                    else
                    {
                        ProtobufWire.WriteVarintField(dim, DimensionValue, (ulong)(int)dimension);
                    }
                }));
            }
        });
        byte[] tensor = Message(stream =>
        {
            ProtobufWire.WriteVarintField(stream, TensorElementType, (ulong)elementType);
            ProtobufWire.WriteLengthDelimited(stream, TensorShape, dimensions);
        });
        return Message(stream =>
        {
            ProtobufWire.WriteLengthDelimited(stream, ValueInfoName, Encoding.UTF8.GetBytes(name));
            ProtobufWire.WriteLengthDelimited(stream, ValueInfoType, Message(type => ProtobufWire.WriteLengthDelimited(type, TypeTensor, tensor)));
        });
    }

    private static byte[] Message(Action<MemoryStream> write)
    {
        using var stream = new MemoryStream();
        write(stream);
        return stream.ToArray();
    }
}
