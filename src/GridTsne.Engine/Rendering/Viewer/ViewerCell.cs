namespace GridTsne.Engine.Rendering.Viewer;

/// <summary>One photo of the grid as the viewer shows it.</summary>
/// <param name="Path">Full path of the photo; its file name is what the page shows and searches.</param>
/// <param name="Row">Zero-based row, from the top.</param>
/// <param name="Column">Zero-based column, from the left.</param>
/// <param name="Label">Optional text shown under the name and searched with it.</param>
public sealed record ViewerCell(string Path, int Row, int Column, string? Label = null);
