using System.Globalization;
using System.Management.Automation;

namespace GridTsne.Infrastructure;

/// <summary>
/// Reads what the cmdlets take from whole pipeline items (-InputObject): GridTsne's own <see cref="GridCell"/>
/// directly, anything else by property name, so that typed objects, [pscustomobject]s, Deserialized objects
/// (Import-Clixml, jobs, remoting) and Import-Csv rows (every value a string) read alike. A problem comes
/// back as an ErrorRecord that names the item; the cmdlet decides whether it is terminating. Cmdlets that bind
/// by property name instead (Invoke-Tsne, Resolve-GridAssignment) use <see cref="ToVector"/> and
/// <see cref="ItemName"/> so their errors read the same.
/// </summary>
internal static class ItemReader
{
    private static readonly string[] PathProperties = ["Path", "FullName", "PSPath"];

    /// <summary>A property's value without its PSObject wrapper; null when the item has no such property.</summary>
    public static object? Property(PSObject item, string name) => Unwrap(item.Properties[name]?.Value);

    /// <summary>The photo's path: the first of Path, FullName or PSPath that is not blank.</summary>
    public static string? ReadPath(PSObject item)
    {
        if (item.BaseObject is GridCell { Path.Length: > 0 } cell)
        {
            return cell.Path;
        }

        foreach (string name in PathProperties)
        {
            object? value = Property(item, name);
            string? text = value is FileSystemInfo file ? file.FullName : value?.ToString();
            if (!string.IsNullOrWhiteSpace(text))
            {
                return text;
            }
        }

        return null;
    }

    /// <summary>
    /// Reads the item's cell: Row and Column (required) and the grid's Rows and Columns (0 when absent), each
    /// a whole number of 0 or more. Returns null, or the error (InputCellMissing, InputCellInvalid).
    /// </summary>
    public static ErrorRecord? ReadCell(PSObject item, string itemName, string commandName, out ItemCell cell)
    {
        if (item.BaseObject is GridCell { Row: >= 0, Column: >= 0, Rows: >= 0, Columns: >= 0 } typed)
        {
            // Resolve-GridAssignment's own objects: read directly, without PowerShell's property lookups.
            cell = new ItemCell(typed.Row, typed.Column, typed.Rows, typed.Columns);
            return null;
        }

        string needs = $"{commandName} needs Row and Column (from Resolve-GridAssignment).";
        // Initialized: the reads stop at the first error, and the out arguments after it are not written.
        int row = 0, column = 0, rows = 0, columns = 0;
        ErrorRecord? error = ReadIndex(item, itemName, "Row", needs, out row)
            ?? ReadIndex(item, itemName, "Column", needs, out column)
            ?? ReadIndex(item, itemName, "Rows", needs: null, out rows)
            ?? ReadIndex(item, itemName, "Columns", needs: null, out columns);
        cell = new ItemCell(row, column, rows, columns);
        return error;
    }

    /// <summary>Reads the item's Vector; returns null, or the error (VectorNotNumeric).</summary>
    public static ErrorRecord? ReadVector(PSObject item, string itemName, out float[] vector)
    {
        object? value = item.BaseObject is GridCell { Vector: { } typed } ? typed : Property(item, "Vector");
        vector = ToVector(value, out string? problem);
        return problem is null ? null : VectorError(itemName, problem, item);
    }

    /// <summary>A vector in any form a pipeline carries it; see <see cref="VectorParser"/>.</summary>
    public static float[] ToVector(object? value, out string? problem) => VectorParser.ToVector(value, out problem);

    /// <summary>The VectorNotNumeric error for a vector that <see cref="ToVector"/> refused.</summary>
    public static ErrorRecord VectorError(string itemName, string problem, object? target) =>
        InputError(ErrorIds.VectorNotNumeric, $"The vector of {itemName} {problem}", target);

    /// <summary>How every error names an item: "input item 3 ('a.jpg')", or "input item 3" without a path.</summary>
    public static string ItemName(int number, string? path) =>
        string.IsNullOrEmpty(path)
            ? string.Create(CultureInfo.InvariantCulture, $"input item {number}")
            : string.Create(CultureInfo.InvariantCulture, $"input item {number} ('{path}')");

    /// <summary>An item's text for an error when it has no path: its ToString(), shortened.</summary>
    public static string Describe(PSObject item)
    {
        string text = item.ToString();
        return text.Length > 80 ? text[..77] + "..." : text;
    }

    /// <summary>An error about bad input data (category InvalidData).</summary>
    public static ErrorRecord InputError(string errorId, string message, object? target) =>
        new(new PSArgumentException(message), errorId, ErrorCategory.InvalidData, target);

    internal static object? Unwrap(object? value) => value is PSObject wrapped ? wrapped.BaseObject : value;

    private static ErrorRecord? ReadIndex(PSObject item, string itemName, string name, string? needs, out int number)
    {
        number = 0;
        object? value = Property(item, name);
        if (value is null || (value is string text && string.IsNullOrWhiteSpace(text)))
        {
            return needs is null ? null : InputError(ErrorIds.InputCellMissing, $"The {itemName} has no {name} property; {needs}", item);
        }

        if (!LanguagePrimitives.TryConvertTo(value, CultureInfo.InvariantCulture, out number) || number < 0)
        {
            return InputError(ErrorIds.InputCellInvalid, $"The {name} of {itemName} is '{value}', not a whole number of 0 or more.", item);
        }

        return null;
    }
}

/// <summary>An item's place: its Row and Column, and the Rows and Columns of its grid (0 when it does not say).</summary>
internal readonly record struct ItemCell(int Row, int Column, int Rows, int Columns);
