using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace GridTsne.Engine.Rendering.Viewer;

/// <summary>
/// Produces the pixels the viewer needs for one cell. The image renderer's tile production implements it,
/// so the viewer decodes, fits and reuses thumbnails exactly as the grid image does.
/// </summary>
public interface IViewerPhotoSource
{
    /// <summary>
    /// Loads the cell's photo: its tile, exactly <paramref name="tileSize"/> pixels square with the fit applied,
    /// and, when <paramref name="previewLongSide"/> is above 0, an upright copy whose longer side is at most that.
    /// Called from several threads at once. Throws <see cref="Imaging.ImageLoadException"/> for an unreadable photo.
    /// </summary>
    ViewerPhoto Load(int cellIndex, int tileSize, int previewLongSide, CancellationToken cancellationToken);
}

/// <summary>The pixels of one cell; the writer disposes them once drawn and encoded.</summary>
public sealed class ViewerPhoto : IDisposable
{
    public ViewerPhoto(Image<Rgb24> tile, Image<Rgb24>? preview = null)
    {
        Tile = tile;
        Preview = preview;
    }

    public Image<Rgb24> Tile { get; }

    public Image<Rgb24>? Preview { get; }

    public void Dispose()
    {
        Tile.Dispose();
        Preview?.Dispose();
    }
}
