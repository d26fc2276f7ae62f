using GridTsne.Engine.Rendering;

namespace GridTsne.Engine.Tests.Rendering;

public class RgbColorTests
{
    [Theory]
    [InlineData("black", 0, 0, 0)]
    [InlineData("White", 255, 255, 255)]
    [InlineData("  CornflowerBlue ", 0x64, 0x95, 0xED)]
    [InlineData("#1E1e1E", 0x1E, 0x1E, 0x1E)]
    [InlineData("#f80", 0xFF, 0x88, 0x00)]
    public void Parses_names_and_hex(string text, int r, int g, int b)
    {
        Assert.Equal(new RgbColor((byte)r, (byte)g, (byte)b), RgbColor.Parse(text));
    }

    [Theory]
    [InlineData("")]
    [InlineData("blackish")]
    [InlineData("1E1E1E")]
    [InlineData("#12345")]
    [InlineData("#1234567")]
    [InlineData("#GGHHII")]
    [InlineData("#ff000080")]
    public void Refuses_what_is_no_opaque_colour(string text)
    {
        var error = Assert.Throws<FormatException>(() => RgbColor.Parse(text));
        Assert.Contains("#RRGGBB", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Transparent_is_refused_with_a_reason()
    {
        var error = Assert.Throws<FormatException>(() => RgbColor.Parse("transparent"));
        Assert.Contains("opaque", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Formats_as_hex_and_lists_the_names_it_accepts()
    {
        Assert.Equal("#0A0B0C", new RgbColor(10, 11, 12).ToString());
        Assert.Contains("cornflowerblue", RgbColor.KnownNames);
        Assert.DoesNotContain("transparent", RgbColor.KnownNames);
        foreach (string name in RgbColor.KnownNames)
        {
            Assert.True(RgbColor.TryParse(name, out _), name);
        }
    }
}
