using GridTsne.Engine.Imaging;

namespace GridTsne.Engine.Rendering;

/// <summary>One photo placed in one cell of the grid.</summary>
/// <param name="Path">File-system path of the photo.</param>
/// <param name="Row">Zero-based row, from the top.</param>
/// <param name="Column">Zero-based column, from the left.</param>
/// <param name="Thumbnail">A small upright copy kept by the embedding step, used instead of the original when large enough.</param>
public sealed record GridTile(string Path, int Row, int Column, Thumbnail? Thumbnail = null);
