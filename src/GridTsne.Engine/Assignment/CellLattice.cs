namespace GridTsne.Engine.Assignment;

/// <summary>
/// The cell centres of a grid in some coordinate system: column c, row r has its centre at
/// (OriginX + c·SpacingX, OriginY + r·SpacingY). The finest level of a solve is the unit lattice (centres
/// at integer coordinates); coarser levels span exactly the same extent with about twice the spacing, so
/// costs and prices at every level are in the same units.
/// </summary>
internal readonly record struct CellLattice(GridShape Shape, double OriginX, double OriginY, double SpacingX, double SpacingY)
{
    public static CellLattice Unit(GridShape shape) => new(shape, 0, 0, 1, 1);

    public int Rows => Shape.Rows;

    public int Columns => Shape.Columns;

    public int CellCount => Shape.CellCount;

    public double CenterX(int column) => OriginX + (column * SpacingX);

    public double CenterY(int row) => OriginY + (row * SpacingY);

    public double CellX(int cell) => CenterX(cell % Shape.Columns);

    public double CellY(int cell) => CenterY(cell / Shape.Columns);

    /// <summary>A cost scale: the cost between opposite corners.</summary>
    public double Extent => Math.Max((Columns - 1) * SpacingX, (Rows - 1) * SpacingY) + 1;

    /// <summary>
    /// Half as many cells per axis (rounded up) over the same extent. With an odd count the spacing is exactly
    /// doubled and every other centre coincides; with an even one it is 2(n − 1)/(n − 2).
    /// </summary>
    public CellLattice Coarsened()
    {
        Axis(Columns, OriginX, SpacingX, out int columns, out double originX, out double spacingX);
        Axis(Rows, OriginY, SpacingY, out int rows, out double originY, out double spacingY);
        return new CellLattice(new GridShape(rows, columns), originX, originY, spacingX, spacingY);
    }

    private static void Axis(int count, double origin, double spacing, out int coarse, out double coarseOrigin, out double coarseSpacing)
    {
        coarse = (count + 1) / 2;
        if (coarse == 1)
        {
            coarseOrigin = origin + ((count - 1) * spacing / 2);
            coarseSpacing = spacing;
        }
        else
        {
            coarseOrigin = origin;
            coarseSpacing = (count - 1) * spacing / (coarse - 1);
        }
    }
}
