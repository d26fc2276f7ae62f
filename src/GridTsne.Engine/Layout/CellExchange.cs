namespace GridTsne.Engine.Layout;

/// <summary>The one way the swap searches change a layout, so that their two maps never disagree.</summary>
internal static class CellExchange
{
    /// <summary>Exchanges the items of cells <paramref name="p"/> and <paramref name="q"/> (either may be empty, −1) in both maps; doing it twice undoes it.</summary>
    public static void Exchange(int[] itemAt, int[] cellOfItem, int p, int q)
    {
        int a = itemAt[p], b = itemAt[q];
        itemAt[p] = b;
        itemAt[q] = a;
        if (a >= 0)
        {
            cellOfItem[a] = q;
        }

        if (b >= 0)
        {
            cellOfItem[b] = p;
        }
    }
}
