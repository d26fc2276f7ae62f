using System.Globalization;

namespace GridTsne.Engine.Rendering;

/// <summary>
/// Refuses, before any photo is decoded, a grid image the output format cannot hold or whose canvas would
/// not fit the memory budget, and says which -TileSize would fit.
/// </summary>
public static class CanvasLimits
{
    /// <summary>The canvas holds 24-bit RGB.</summary>
    public const int BytesPerPixel = 3;

    private const long MaxBudget = 4L << 30;

    /// <summary>
    /// Default canvas budget: half the memory available to the process, at most 4 GiB (a 37,800 px square),
    /// which is also ImageSharp's own ceiling for one image.
    /// </summary>
    public static long DefaultMemoryBudget
    {
        get
        {
            long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
            return available > 0 ? Math.Min(MaxBudget, available / 2) : MaxBudget;
        }
    }

    /// <summary>Bytes the canvas of <paramref name="layout"/> takes in memory.</summary>
    public static long CanvasBytes(GridLayout layout) => CanvasBytes(layout.Width, layout.Height);

    /// <exception cref="GridLayoutException">The canvas is too large; the message suggests a tile size that fits.</exception>
    public static void Check(GridLayout layout, GridOutputFormat format, long memoryBudgetBytes)
    {
        ArgumentNullException.ThrowIfNull(layout);
        if (Fits(layout.Rows, layout.Columns, layout.TileSize, layout.Padding, format, memoryBudgetBytes))
        {
            return;
        }

        long width = layout.Width, height = layout.Height;
        string size = $"{N(width)} × {N(height)} px ({N(layout.Columns)} × {N(layout.Rows)} tiles of {N(layout.TileSize)} px" +
            (layout.Padding > 0 ? $" with {N(layout.Padding)} px padding)" : ")");
        bool sideTooLong = Math.Max(width, height) > format.MaxSide();
        string reason;
        if (sideTooLong)
        {
            reason = $"A {format.DisplayName()} image can be at most {N(format.MaxSide())} px a side, and this grid would be {size}.";
        }
        else if (PixelBytes(format, width, height) > format.MaxPixelBytes())
        {
            reason = $"A {format.DisplayName()} file holds at most {Gib(format.MaxPixelBytes())} of pixels, and this grid of {size} needs {Gib(PixelBytes(format, width, height))}.";
        }
        else
        {
            reason = $"This grid of {size} needs {Gib(CanvasBytes(width, height))} of memory for its canvas, more than the budget of {Gib(memoryBudgetBytes)}.";
        }

        int largest = LargestFittingTileSize(layout, format, memoryBudgetBytes);
        string advice = largest >= 1
            ? $" Use -TileSize {N(largest)} or less."
            : layout.Padding > 0
                ? " Even 1 px tiles do not fit: use a smaller -Padding, or fewer photos."
                : " Even 1 px tiles do not fit: use fewer photos.";
        if (sideTooLong && CanvasBytes(width, height) <= memoryBudgetBytes)
        {
            advice += " Or write PNG, which has no such limit.";
        }

        throw new GridLayoutException(GridLayoutProblem.CanvasTooLarge, reason + advice);
    }

    /// <summary>The largest tile size below the layout's that fits, or 0 when none does.</summary>
    internal static int LargestFittingTileSize(GridLayout layout, GridOutputFormat format, long memoryBudgetBytes)
    {
        // Every limit grows with the tile size, so the sizes that fit form a prefix: binary search it.
        int low = 0, high = layout.TileSize - 1;
        while (low < high)
        {
            int middle = low + (high - low + 1) / 2;
            if (Fits(layout.Rows, layout.Columns, middle, layout.Padding, format, memoryBudgetBytes))
            {
                low = middle;
            }
            else
            {
                high = middle - 1;
            }
        }

        return low;
    }

    private static bool Fits(int rows, int columns, int tileSize, int padding, GridOutputFormat format, long memoryBudgetBytes)
    {
        long width = GridLayout.Extent(columns, tileSize, padding);
        long height = GridLayout.Extent(rows, tileSize, padding);
        return Math.Max(width, height) <= format.MaxSide()
            && PixelBytes(format, width, height) <= format.MaxPixelBytes()
            && CanvasBytes(width, height) <= memoryBudgetBytes;
    }

    private static long CanvasBytes(long width, long height) => SaturatingProduct(width * BytesPerPixel, height);

    private static long PixelBytes(GridOutputFormat format, long width, long height)
    {
        // BMP pads every row to a multiple of 4 bytes.
        long rowBytes = format == GridOutputFormat.Bmp ? (width * BytesPerPixel + 3) & ~3L : width * BytesPerPixel;
        return SaturatingProduct(rowBytes, height);
    }

    private static long SaturatingProduct(long a, long b) => b != 0 && a > long.MaxValue / b ? long.MaxValue : a * b;

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Gib(long bytes) => (bytes / (double)(1L << 30)).ToString("0.0", CultureInfo.InvariantCulture) + " GiB";
}
