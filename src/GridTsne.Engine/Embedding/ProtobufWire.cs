using System.Buffers.Binary;

namespace GridTsne.Engine.Embedding;

/// <summary>
/// Just enough of the protobuf wire format to edit an ONNX model in place: walk a message's fields and
/// re-emit it with some length-delimited fields replaced, copying every other byte verbatim.
/// </summary>
internal static class ProtobufWire
{
    private const int WireVarint = 0;
    private const int WireFixed64 = 1;
    private const int WireLengthDelimited = 2;
    private const int WireFixed32 = 5;

    /// <summary>Visits one field; <paramref name="payload"/> is empty unless the field is length-delimited.</summary>
    public delegate void FieldVisitor(int fieldNumber, ReadOnlySpan<byte> payload);

    /// <summary>
    /// Visits one field with its value: <paramref name="value"/> holds a varint, or the bits of a fixed32 or
    /// fixed64; <paramref name="payload"/> is empty unless the field is length-delimited.
    /// </summary>
    public delegate void ValueVisitor(int fieldNumber, int wireType, ulong value, ReadOnlySpan<byte> payload);

    /// <summary>Returns a new payload for a length-delimited field, or null to keep it as it is.</summary>
    public delegate byte[]? FieldRewriter(int fieldNumber, ReadOnlySpan<byte> payload);

    public static void ForEachField(ReadOnlySpan<byte> message, FieldVisitor visit)
    {
        int position = 0;
        while (position < message.Length)
        {
            (int field, int wire) = ReadTag(message, ref position);
            ReadOnlySpan<byte> payload = SkipValue(message, ref position, wire);
            visit(field, wire == WireLengthDelimited ? payload : ReadOnlySpan<byte>.Empty);
        }
    }

    public static void ForEachValue(ReadOnlySpan<byte> message, ValueVisitor visit)
    {
        int position = 0;
        while (position < message.Length)
        {
            (int field, int wire) = ReadTag(message, ref position);
            ReadOnlySpan<byte> value = SkipValue(message, ref position, wire);
            switch (wire)
            {
                case WireVarint:
                    int start = 0;
                    visit(field, wire, ReadVarint(value, ref start), ReadOnlySpan<byte>.Empty);
                    break;
                case WireFixed32:
                    visit(field, wire, BinaryPrimitives.ReadUInt32LittleEndian(value), ReadOnlySpan<byte>.Empty);
                    break;
                case WireFixed64:
                    visit(field, wire, BinaryPrimitives.ReadUInt64LittleEndian(value), ReadOnlySpan<byte>.Empty);
                    break;
                default:
                    visit(field, wire, 0, value);
                    break;
            }
        }
    }

    /// <summary>Reads the varints of a packed repeated field.</summary>
    public static List<long> ReadPackedVarints(ReadOnlySpan<byte> payload)
    {
        var values = new List<long>();
        int position = 0;
        while (position < payload.Length)
        {
            values.Add((long)ReadVarint(payload, ref position));
        }

        return values;
    }

    public static byte[] Rewrite(ReadOnlySpan<byte> message, FieldRewriter rewrite)
    {
        using var output = new MemoryStream(message.Length + 256);
        int position = 0;
        while (position < message.Length)
        {
            int fieldStart = position;
            (int field, int wire) = ReadTag(message, ref position);
            ReadOnlySpan<byte> payload = SkipValue(message, ref position, wire);
            byte[]? replacement = wire == WireLengthDelimited ? rewrite(field, payload) : null;
            if (replacement is null)
            {
                output.Write(message[fieldStart..position]);
            }
            else
            {
                WriteLengthDelimited(output, field, replacement);
            }
        }

        return output.ToArray();
    }

    public static void WriteLengthDelimited(Stream output, int fieldNumber, ReadOnlySpan<byte> payload)
    {
        WriteVarint(output, ((ulong)fieldNumber << 3) | WireLengthDelimited);
        WriteVarint(output, (ulong)payload.Length);
        output.Write(payload);
    }

    public static void WriteVarintField(Stream output, int fieldNumber, ulong value)
    {
        WriteVarint(output, ((ulong)fieldNumber << 3) | WireVarint);
        WriteVarint(output, value);
    }

    public static void WriteFixed32Field(Stream output, int fieldNumber, uint value)
    {
        WriteVarint(output, ((ulong)fieldNumber << 3) | WireFixed32);
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        output.Write(bytes);
    }

    private static (int Field, int Wire) ReadTag(ReadOnlySpan<byte> message, ref int position)
    {
        ulong tag = ReadVarint(message, ref position);
        return ((int)(tag >> 3), (int)(tag & 7));
    }

    private static ReadOnlySpan<byte> SkipValue(ReadOnlySpan<byte> message, ref int position, int wire)
    {
        int start = position;
        switch (wire)
        {
            case WireVarint:
                ReadVarint(message, ref position);
                break;
            case WireFixed64:
                position += 8;
                break;
            case WireFixed32:
                position += 4;
                break;
            case WireLengthDelimited:
                ulong length = ReadVarint(message, ref position);
                if (length > (ulong)(message.Length - position))
                {
                    throw new InvalidDataException("A protobuf field runs past the end of its message.");
                }

                start = position;
                position += (int)length;
                break;
            default:
                throw new InvalidDataException($"Unsupported protobuf wire type {wire}.");
        }

        if (position > message.Length)
        {
            throw new InvalidDataException("A protobuf field runs past the end of its message.");
        }

        return message[start..position];
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> message, ref int position)
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (position >= message.Length)
            {
                throw new InvalidDataException("A protobuf varint runs past the end of its message.");
            }

            byte b = message[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }

        throw new InvalidDataException("A protobuf varint is longer than 10 bytes.");
    }

    private static void WriteVarint(Stream output, ulong value)
    {
        while (value >= 0x80)
        {
            output.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }

        output.WriteByte((byte)value);
    }
}
