using System.Management.Automation;
using GridTsne.Engine.Imaging;

namespace GridTsne.Infrastructure;

/// <summary>
/// Accepts a pipeline object's hidden Thumbnail whether it is live or came back from Export-Clixml /
/// Import-Clixml. A deserialized thumbnail is a property bag that PowerShell cannot convert to
/// <see cref="Thumbnail"/>; a plainly typed parameter would reject the whole input object because of it.
/// Anything unusable becomes null, so the photo is simply decoded from its original.
/// </summary>
public static class ThumbnailConversion
{
    public static Thumbnail? FromObject(object? value)
    {
        object? baseObject = value is PSObject wrapped ? wrapped.BaseObject : value;
        if (baseObject is Thumbnail thumbnail)
        {
            return thumbnail;
        }

        if (value is not PSObject bag)
        {
            return null;
        }

        object? bytes = bag.Properties[nameof(Thumbnail.EncodedJpeg)]?.Value;
        bytes = bytes is PSObject wrappedBytes ? wrappedBytes.BaseObject : bytes;
        if (bytes is not byte[] { Length: > 0 } encodedJpeg)
        {
            return null;
        }

        return Thumbnail.FromEncodedJpeg(encodedJpeg, ReadInt(bag, nameof(Thumbnail.SourceWidth)), ReadInt(bag, nameof(Thumbnail.SourceHeight)));
    }

    private static int ReadInt(PSObject bag, string name) =>
        LanguagePrimitives.TryConvertTo(bag.Properties[name]?.Value, out int number) ? number : 0;
}

/// <summary>
/// Put on a <c>Thumbnail? Thumbnail</c> parameter bound by property name, so that input from Import-Clixml
/// binds; see <see cref="ThumbnailConversion"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ThumbnailTransformationAttribute : ArgumentTransformationAttribute
{
    public override object? Transform(EngineIntrinsics engineIntrinsics, object inputData) => ThumbnailConversion.FromObject(inputData);
}
