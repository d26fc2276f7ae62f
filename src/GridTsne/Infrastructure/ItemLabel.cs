using System.Collections;
using System.Collections.ObjectModel;
using System.Management.Automation;

namespace GridTsne.Infrastructure;

/// <summary>
/// -Label, the same in every cmdlet that takes it: a property name, or a script block run with $_ set to the
/// item, on the pipeline thread in the caller's runspace. Several values (a property holding an array, a script
/// block that writes several objects) are joined with ", ". A script block that fails gets a non-terminating
/// LabelFailed error naming the item, and the item goes on without a label.
/// </summary>
internal sealed class ItemLabel
{
    private readonly object _selector;
    private bool _propertySeen;

    private ItemLabel(object selector) => _selector = selector;

    /// <summary>
    /// The -Label argument checked in BeginProcessing: null when none was given, and a terminating LabelInvalid
    /// error when it is neither a property name nor a script block.
    /// </summary>
    internal static ItemLabel? FromParameter(GridTsneCmdlet cmdlet, object? label)
    {
        object? selector = ItemReader.Unwrap(label);
        if (selector is not (null or ScriptBlock) && (selector is not string name || string.IsNullOrWhiteSpace(name)))
        {
            cmdlet.Terminate(new PSArgumentException($"-Label takes a property name or a script block, not '{selector}'."),
                ErrorIds.LabelInvalid, ErrorCategory.InvalidArgument, label);
        }

        return selector is null ? null : new ItemLabel(selector);
    }

    /// <summary>The item's label, or null; call on the pipeline thread (ProcessRecord).</summary>
    public string? Read(Cmdlet cmdlet, PSObject item, string itemName)
    {
        try
        {
            switch (_selector)
            {
                case ScriptBlock script:
                    Collection<PSObject> results = script.InvokeWithContext(null, [new PSVariable("_", item)]);
                    return Text(results.Count == 1 ? results[0] : results.Count == 0 ? null : results);
                default:
                    PSPropertyInfo? property = item.Properties[(string)_selector];
                    _propertySeen |= property is not null;
                    return property is null ? null : Text(property.Value);
            }
        }
        catch (Exception ex) when (ex is (RuntimeException and not PipelineStoppedException) or GetValueException)
        {
            // A stopping pipeline (Ctrl+C) is no label failure: it goes on up.
            cmdlet.WriteError(new ErrorRecord(ex, ErrorIds.LabelFailed, ErrorCategory.InvalidResult, item)
            {
                ErrorDetails = new ErrorDetails($"The -Label of {itemName} failed: {ex.Message}"),
            });
            return null;
        }
    }

    /// <summary>After the input: warns when -Label names a property that no item had.</summary>
    public void WarnIfPropertyUnseen(Cmdlet cmdlet, int items, string consequence)
    {
        if (_selector is string property && !_propertySeen && items > 0)
        {
            cmdlet.WriteWarning($"No input item has a property '{property}'; {consequence}");
        }
    }

    /// <summary>A label value as text: null stays null, several values are joined with ", ".</summary>
    private static string? Text(object? value)
    {
        value = ItemReader.Unwrap(value);
        return value switch
        {
            null => null,
            string text => text,
            IEnumerable values => string.Join(", ", values.Cast<object?>().Select(Text).Where(text => text is not null)),
            _ => LanguagePrimitives.ConvertTo<string>(value),
        };
    }
}
