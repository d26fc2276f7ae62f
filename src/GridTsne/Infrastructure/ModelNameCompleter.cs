using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using GridTsne.Commands;
using GridTsne.Engine.Embedding;

namespace GridTsne.Infrastructure;

/// <summary>Tab completion of Get-ImageEmbedding -Model: the built-in model names in models/models.json.</summary>
public sealed class ModelNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string prefix = (wordToComplete ?? string.Empty).Trim('\'', '"');
        foreach (string name in ModelCatalog.TryReadNames(GetImageEmbeddingCommand.ModelsDirectory))
        {
            if (name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                string text = name.Any(character => char.IsWhiteSpace(character) || character is '\'' or '"' or '$' or '`')
                    ? "'" + name.Replace("'", "''", StringComparison.Ordinal) + "'"
                    : name;
                yield return new CompletionResult(text, name, CompletionResultType.ParameterValue, name);
            }
        }
    }
}
