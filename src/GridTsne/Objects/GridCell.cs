using System.Management.Automation;
using GridTsne.Engine.Imaging;

namespace GridTsne;

/// <summary>One item's cell in the grid, emitted by Resolve-GridAssignment.</summary>
public sealed class GridCell
{
    public string? Path { get; set; }

    /// <summary>Zero-based row, counted from the top.</summary>
    public int Row { get; set; }

    /// <summary>Zero-based column, counted from the left.</summary>
    public int Column { get; set; }

    /// <summary>The item's 2-D position before it was snapped to the grid.</summary>
    public double X { get; set; }

    public double Y { get; set; }

    public float[]? Vector { get; set; }

    /// <summary>Number of rows of the whole grid, so that the renderer can size the canvas.</summary>
    public int Rows { get; set; }

    /// <summary>Number of columns of the whole grid.</summary>
    public int Columns { get; set; }

    /// <summary>Passed on from the embedding step for Export-PhotoGrid; hidden from Export-Csv and views.</summary>
    [Hidden]
    public Thumbnail? Thumbnail { get; set; }
}
