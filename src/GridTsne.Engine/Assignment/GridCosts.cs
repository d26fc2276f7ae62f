using System.Numerics;
using System.Runtime.CompilerServices;

namespace GridTsne.Engine.Assignment;

/// <summary>
/// A cost between a point and a cell centre, as a function of their offset in cell units. Implemented by
/// structs so that the solvers, generic over it, compile to straight-line code without calls.
/// </summary>
internal interface IGridCost
{
    static abstract AssignmentCost Kind { get; }

    static abstract double Of(double dx, double dy);

    static abstract Vector<double> Of(Vector<double> dx, Vector<double> dy);

    /// <summary>
    /// A lower bound of <c>Of(p − q) − v(q)</c> over the cells q of <paramref name="block"/>, given the block's
    /// model of the prices v. Used to prune the search for the cheapest cells of a point.
    /// </summary>
    static abstract double LowerBound(double px, double py, in PriceBlock block);
}

internal readonly struct SquaredEuclideanCost : IGridCost
{
    public static AssignmentCost Kind => AssignmentCost.SquaredEuclidean;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Of(double dx, double dy) => (dx * dx) + (dy * dy);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<double> Of(Vector<double> dx, Vector<double> dy) => (dx * dx) + (dy * dy);

    public static double LowerBound(double px, double py, in PriceBlock block)
    {
        // The prices are at most A + gx·t + hx·t² + gy·s + hy·s² + emax (t, s: offsets from the block centre), so
        // the reduced cost is at least a separable quadratic in t and s, minimised on each axis over the block.
        double model = MinOverAxis(px - block.CenterColumn, block.LowColumn, block.HighColumn, block.SlopeColumn, block.CurvatureColumn)
            + MinOverAxis(py - block.CenterRow, block.LowRow, block.HighRow, block.SlopeRow, block.CurvatureRow)
            - block.Offset - block.MaxResidual;
        double dx = Math.Max(0, Math.Max(block.CenterColumn + block.LowColumn - px, px - block.CenterColumn - block.HighColumn));
        double dy = Math.Max(0, Math.Max(block.CenterRow + block.LowRow - py, py - block.CenterRow - block.HighRow));
        double box = Of(dx, dy) - block.MaxPrice;
        return Math.Max(model, box);
    }

    /// <summary>min over t in [lo, hi] of (d − t)² − h·t² − g·t.</summary>
    private static double MinOverAxis(double d, double lo, double hi, double g, double h)
    {
        double a = 1.0 - h;
        double b = -((2.0 * d) + g);
        double c = d * d;
        if (a > 1e-12)
        {
            double t = Math.Clamp(-b / (2.0 * a), lo, hi);
            return (((a * t) + b) * t) + c;
        }

        return Math.Min((((a * lo) + b) * lo) + c, (((a * hi) + b) * hi) + c);
    }
}

internal readonly struct EuclideanCost : IGridCost
{
    public static AssignmentCost Kind => AssignmentCost.Euclidean;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Of(double dx, double dy) => Math.Sqrt((dx * dx) + (dy * dy));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<double> Of(Vector<double> dx, Vector<double> dy) => Vector.SquareRoot((dx * dx) + (dy * dy));

    public static double LowerBound(double px, double py, in PriceBlock block)
    {
        double dx = Math.Max(0, Math.Max(block.CenterColumn + block.LowColumn - px, px - block.CenterColumn - block.HighColumn));
        double dy = Math.Max(0, Math.Max(block.CenterRow + block.LowRow - py, py - block.CenterRow - block.HighRow));
        double box = Of(dx, dy) - block.MaxPrice;

        // |p − q| ≥ −g·(p − q) when |g| ≤ 1, which cancels the linear part of the price model: tight far from
        // the point, where the prices of a point's rivals rise like a cone.
        double gx = block.SlopeColumn, gy = block.SlopeRow;
        double norm2 = (gx * gx) + (gy * gy);
        if (norm2 > 1.0)
        {
            return box;
        }

        double quadratic = MaxOverAxis(block.LowColumn, block.HighColumn, block.CurvatureColumn)
            + MaxOverAxis(block.LowRow, block.HighRow, block.CurvatureRow);
        double directional = -((gx * (px - block.CenterColumn)) + (gy * (py - block.CenterRow)))
            - block.Offset - quadratic - block.MaxResidual;
        return Math.Max(box, directional);
    }

    /// <summary>max over t in [lo, hi] of h·t².</summary>
    private static double MaxOverAxis(double lo, double hi, double h) =>
        h > 0 ? h * Math.Max(lo * lo, hi * hi) : (lo <= 0 && hi >= 0 ? 0 : h * Math.Min(lo * lo, hi * hi));
}
