using System.Management.Automation;
using GridTsne.Engine.Imaging;

namespace GridTsne.Infrastructure;

/// <summary>The ErrorIds (<see cref="ErrorIds"/>) and categories for photos that cannot be read, shared by every cmdlet that decodes.</summary>
internal static class ImageErrors
{
    public static ErrorRecord ToErrorRecord(ImageLoadException exception) =>
        new(exception, ErrorId(exception.Failure), Category(exception.Failure), exception.Path);

    public static string ErrorId(ImageLoadFailure failure) => failure switch
    {
        ImageLoadFailure.NotFound => ErrorIds.ImageNotFound,
        ImageLoadFailure.IsDirectory => ErrorIds.ImagePathIsDirectory,
        ImageLoadFailure.AccessDenied => ErrorIds.ImageUnreadable,
        ImageLoadFailure.Empty => ErrorIds.ImageEmpty,
        ImageLoadFailure.UnknownFormat => ErrorIds.ImageFormatUnknown,
        ImageLoadFailure.Corrupt => ErrorIds.ImageCorrupt,
        ImageLoadFailure.TooLarge => ErrorIds.ImageTooLarge,
        _ => ErrorIds.ImageUnreadable,
    };

    private static ErrorCategory Category(ImageLoadFailure failure) => failure switch
    {
        ImageLoadFailure.NotFound => ErrorCategory.ObjectNotFound,
        ImageLoadFailure.IsDirectory => ErrorCategory.InvalidArgument,
        ImageLoadFailure.AccessDenied => ErrorCategory.PermissionDenied,
        ImageLoadFailure.TooLarge => ErrorCategory.LimitsExceeded,
        _ => ErrorCategory.InvalidData,
    };
}
