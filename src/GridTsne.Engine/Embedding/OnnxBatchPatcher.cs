using System.Security.Cryptography;
using System.Text;

namespace GridTsne.Engine.Embedding;

/// <summary>
/// Makes the batch dimension of an ONNX model symbolic. The built-in ResNet18 fixes it at 1; with it
/// symbolic, one run embeds a whole batch (about 1.4x the throughput at 16) with bit-identical outputs.
/// </summary>
public static class OnnxBatchPatcher
{
    /// <summary>The name given to the symbolic batch dimension.</summary>
    public const string BatchDimensionName = "batch";

    /// <summary>Returns the model with dimension 0 of every graph input, output and intermediate value made symbolic.</summary>
    public static byte[] MakeBatchDimensionSymbolic(ReadOnlySpan<byte> model)
    {
        return ProtobufWire.Rewrite(model, (field, payload) => field == OnnxFields.ModelGraph ? PatchGraph(payload) : null);
    }

    /// <summary>Patches <paramref name="sourcePath"/> into <paramref name="destinationPath"/> (written atomically).</summary>
    public static void PatchFile(string sourcePath, string destinationPath)
    {
        byte[] patched = MakeBatchDimensionSymbolic(File.ReadAllBytes(sourcePath));
        string temporary = destinationPath + ".tmp-" + Environment.ProcessId;
        File.WriteAllBytes(temporary, patched);
        File.Move(temporary, destinationPath, overwrite: true);
    }

    /// <summary>Lower-case hex SHA-256 of a file.</summary>
    public static string Sha256(string path)
    {
        using FileStream stream = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(stream)).ToLowerInvariant();
    }

    private static byte[] PatchGraph(ReadOnlySpan<byte> graph)
    {
        // Models of IR version < 4 also list their weights as graph inputs; those keep their shapes.
        var initializers = new HashSet<string>(StringComparer.Ordinal);
        ProtobufWire.ForEachField(graph, (field, tensor) =>
        {
            if (field == OnnxFields.GraphInitializer)
            {
                ProtobufWire.ForEachField(tensor, (tensorField, value) =>
                {
                    if (tensorField == OnnxFields.TensorName)
                    {
                        initializers.Add(Encoding.UTF8.GetString(value));
                    }
                });
            }
        });

        return ProtobufWire.Rewrite(graph, (field, valueInfo) =>
        {
            // Intermediate shapes (value_info) carry the batch dimension too; left at 1 they would pin the output to 1.
            if (field == OnnxFields.GraphOutput || field == OnnxFields.GraphValueInfo || (field == OnnxFields.GraphInput && !initializers.Contains(ValueInfoName(valueInfo))))
            {
                return Descend(valueInfo, [OnnxFields.ValueInfoType, OnnxFields.TypeTensor, OnnxFields.TensorTypeShape], SymbolicFirstDimension);
            }

            return null;
        });
    }

    /// <summary>The name of an encoded ValueInfoProto.</summary>
    internal static string ValueInfoName(ReadOnlySpan<byte> valueInfo)
    {
        string name = string.Empty;
        ProtobufWire.ForEachField(valueInfo, (field, value) =>
        {
            if (field == OnnxFields.ValueInfoName)
            {
                name = Encoding.UTF8.GetString(value);
            }
        });
        return name;
    }

    /// <summary>Applies <paramref name="patch"/> to the message reached through the given field path.</summary>
    private static byte[] Descend(ReadOnlySpan<byte> message, int[] path, Func<byte[], byte[]> patch)
    {
        if (path.Length == 0)
        {
            return patch(message.ToArray());
        }

        int[] rest = path[1..];
        return ProtobufWire.Rewrite(message, (field, payload) => field == path[0] ? Descend(payload, rest, patch) : null);
    }

    private static byte[] SymbolicFirstDimension(byte[] shape)
    {
        bool first = true;
        return ProtobufWire.Rewrite(shape, (field, _) =>
        {
            if (field != OnnxFields.ShapeDimension || !first)
            {
                return null;
            }

            first = false;
            using var dimension = new MemoryStream();
            ProtobufWire.WriteLengthDelimited(dimension, OnnxFields.DimensionParam, Encoding.UTF8.GetBytes(BatchDimensionName));
            return dimension.ToArray();
        });
    }
}
