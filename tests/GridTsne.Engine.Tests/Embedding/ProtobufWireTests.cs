using System.Text;
using GridTsne.Engine.Embedding;

namespace GridTsne.Engine.Tests.Embedding;

public class ProtobufWireTests
{
    // A hand-encoded TensorShapeProto with dims [1, 3, 224]: field 1 (dim) messages holding field 1 (dim_value).
    private static readonly byte[] Shape = [0x0A, 0x02, 0x08, 0x01, 0x0A, 0x02, 0x08, 0x03, 0x0A, 0x03, 0x08, 0xE0, 0x01];

    [Fact]
    public void Rewrite_that_replaces_nothing_returns_the_same_bytes()
    {
        byte[] copy = ProtobufWire.Rewrite(Shape, (_, _) => null);
        Assert.Equal(Shape, copy);
    }

    [Fact]
    public void Rewrite_replaces_one_field_and_fixes_its_length()
    {
        bool first = true;
        byte[] patched = ProtobufWire.Rewrite(Shape, (field, _) =>
        {
            if (!first)
            {
                return null;
            }

            first = false;
            return [0x12, 0x05, .. Encoding.UTF8.GetBytes("batch")];
        });

        byte[] expected = [0x0A, 0x07, 0x12, 0x05, (byte)'b', (byte)'a', (byte)'t', (byte)'c', (byte)'h', 0x0A, 0x02, 0x08, 0x03, 0x0A, 0x03, 0x08, 0xE0, 0x01];
        Assert.Equal(expected, patched);
    }

    [Fact]
    public void A_length_past_the_end_is_rejected()
    {
        byte[] broken = [0x0A, 0x09, 0x08, 0x01];
        Assert.Throws<InvalidDataException>(() => ProtobufWire.ForEachField(broken, (_, _) => { }));
    }
}
