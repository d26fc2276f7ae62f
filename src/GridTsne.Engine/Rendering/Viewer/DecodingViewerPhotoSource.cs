using GridTsne.Engine.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace GridTsne.Engine.Rendering.Viewer;

/// <summary>
/// PHASE 1 ONLY: decodes each photo and centre-crops it. Replaced by the image renderer's tile production
/// (thumbnail reuse, Cover/Contain) once it is merged.
/// </summary>
public sealed class DecodingViewerPhotoSource : IViewerPhotoSource
{
    private readonly IReadOnlyList<ViewerCell> _cells;

    public DecodingViewerPhotoSource(IReadOnlyList<ViewerCell> cells) => _cells = cells;

    public ViewerPhoto Load(int cellIndex, int tileSize, int previewLongSide, CancellationToken cancellationToken)
    {
        using Image<Rgb24> photo = SafeImageLoader.Load(_cells[cellIndex].Path);
        Image<Rgb24> tile = photo.Clone(context => context.Resize(new ResizeOptions { Size = new Size(tileSize, tileSize), Mode = ResizeMode.Crop }));
        Image<Rgb24>? preview = null;
        if (previewLongSide > 0)
        {
            double scale = Math.Min(1.0, (double)previewLongSide / Math.Max(photo.Width, photo.Height));
            preview = photo.Clone(context => context.Resize(Math.Max(1, (int)Math.Round(photo.Width * scale)), Math.Max(1, (int)Math.Round(photo.Height * scale))));
        }

        return new ViewerPhoto(tile, preview);
    }
}
