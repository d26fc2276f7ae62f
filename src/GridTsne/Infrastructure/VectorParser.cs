using System.Collections;
using System.Globalization;
using System.Management.Automation;

namespace GridTsne.Infrastructure;

/// <summary>
/// Turns what a pipeline can carry as a vector into float[], for every cmdlet that binds a Vector: a float[]
/// itself (kept, not copied), double[] or any other array or list of numbers (e.g. the object[] or ArrayList
/// of Import-Clixml), or a string of numbers separated by ';', ',' or blanks (e.g. a column of Import-Csv),
/// in the invariant culture.
/// </summary>
internal static class VectorParser
{
    private static readonly char[] Separators = [';', ',', ' ', '\t', '\r', '\n'];

    /// <summary>Returns the vector, or an empty array with <paramref name="problem"/> saying what is wrong.</summary>
    public static float[] ToVector(object? value, out string? problem)
    {
        problem = null;
        value = Unwrap(value);
        switch (value)
        {
            case null:
                problem = "is missing.";
                return [];
            case float[] floats:
                return floats;
            case double[] doubles:
                return Array.ConvertAll(doubles, d => (float)d);
            case string text:
                return Parse(text, out problem);
            case IEnumerable sequence:
                return FromSequence(sequence, out problem);
            default:
                problem = $"is a single {value.GetType().Name}, not a list of numbers.";
                return [];
        }
    }

    private static object? Unwrap(object? value) => value is PSObject wrapped ? wrapped.BaseObject : value;

    private static float[] Parse(string text, out string? problem)
    {
        problem = null;
        string[] parts = text.Split(Separators, StringSplitOptions.RemoveEmptyEntries);
        var vector = new float[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out vector[i]))
            {
                string shown = text.Length > 40 ? text[..40] + "…" : text;
                problem = text.EndsWith("[]", StringComparison.Ordinal)
                    ? $"is the text '{shown}', a type name: Export-Csv writes arrays that way. Join the numbers first, e.g. Select-Object Path, @{{n='Vector'; e={{$_.Vector.ForEach('ToString', 'R', [cultureinfo]::InvariantCulture) -join ';'}}}}."
                    : $"is not a list of numbers: '{parts[i]}' (value {i + 1} of '{shown}') is not a number.";
                return [];
            }
        }

        return vector;
    }

    private static float[] FromSequence(IEnumerable sequence, out string? problem)
    {
        problem = null;
        var vector = new List<float>();
        foreach (object? element in sequence)
        {
            object? number = Unwrap(element);
            try
            {
                vector.Add(number switch
                {
                    float f => f,
                    double d => (float)d,
                    string s => float.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture),
                    IConvertible convertible when number is not bool and not char and not DateTime => Convert.ToSingle(convertible, CultureInfo.InvariantCulture),
                    _ => throw new FormatException(),
                });
            }
            catch (Exception exception) when (exception is FormatException or InvalidCastException or OverflowException)
            {
                problem = $"is not a list of numbers: value {vector.Count + 1} is '{number}'.";
                return [];
            }
        }

        return [.. vector];
    }
}
