using System.Globalization;
using System.Net;
using System.Text.Json;

namespace GridTsne.Engine.Service;

/// <summary>
/// The body of POST /v2/visualizations, read strictly: an unknown member is an error (a misspelt option
/// must not be silently ignored), and every path must lie in a root.
/// </summary>
public sealed class VisualizationRequest
{
    /// <summary>Extensions a folder request picks up (any file can be named in "paths").</summary>
    public static IReadOnlySet<string> PhotoExtensions { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        ".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff", ".tga", ".pbm",
    };

    private VisualizationRequest(string name, IReadOnlyList<string> paths, VisualizationOptions options, IReadOnlyList<PhotoError> skipped)
    {
        Name = name;
        Paths = paths;
        Options = options;
        Skipped = skipped;
    }

    /// <summary>A name for lists: the request's "name", else the folder's name or the first photo's.</summary>
    public string Name { get; }

    /// <summary>The photos, resolved, in order.</summary>
    public IReadOnlyList<string> Paths { get; }

    public VisualizationOptions Options { get; }

    /// <summary>Files of the folder left out because they lead outside the roots.</summary>
    public IReadOnlyList<PhotoError> Skipped { get; }

    /// <summary>Parses and checks a request body.</summary>
    /// <exception cref="ServiceRequestException">400 for malformed or invalid content, 403 for a path outside the roots, 404 for a missing folder.</exception>
    /// <param name="outsideErrorId">The reason given to a folder's file left out because it leads out of the roots.</param>
    public static VisualizationRequest Parse(ReadOnlySpan<byte> body, PhotoRoots roots, IReadOnlyCollection<string> models, int maxPhotos,
        string outsideErrorId = "PathOutsideRoots")
    {
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 8 });
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException ex)
        {
            throw Invalid("INVALID_JSON", $"The body is not valid JSON: {ex.Message}");
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Invalid("INVALID_JSON", "The body must be a JSON object with \"folder\" or \"paths\".");
            }

            string? folder = null, name = null;
            List<string>? paths = null;
            bool recurse = false;
            var options = new VisualizationOptions();
            foreach (JsonProperty property in root.EnumerateObject())
            {
                JsonElement value = property.Value;
                switch (property.Name)
                {
                    case "folder": folder = String(value, property.Name); break;
                    case "paths": paths = Strings(value, property.Name, maxPhotos); break;
                    case "recurse": recurse = Boolean(value, property.Name); break;
                    case "name": name = String(value, property.Name); break;
                    case "tile_size": options = options with { TileSize = Integer(value, property.Name, VisualizationOptions.MinTileSize, VisualizationOptions.MaxTileSize) }; break;
                    case "perplexity": options = options with { Perplexity = Number(value, property.Name, 1, 10000) }; break;
                    case "seed": options = options with { Seed = Integer(value, property.Name, int.MinValue, int.MaxValue) }; break;
                    case "columns": options = options with { Columns = value.ValueKind == JsonValueKind.Null ? null : Integer(value, property.Name, 1, 1_000_000) }; break;
                    case "optimize": options = options with { Optimize = Boolean(value, property.Name) }; break;
                    case "model":
                        string model = String(value, property.Name);
                        options = options with { Model = models.FirstOrDefault(known => known.Equals(model, StringComparison.OrdinalIgnoreCase))
                            ?? throw Invalid("UNKNOWN_MODEL", $"There is no model '{model}'; the service has {string.Join(", ", models)}.") };
                        break;
                    case "output_format":
                        string format = String(value, property.Name).TrimStart('.').ToLowerInvariant();
                        options = options with { OutputFormat = VisualizationOptions.ImageFormats.ContainsKey(format) ? format
                            : throw Invalid("INVALID_OPTION", $"\"output_format\" must be one of {string.Join(", ", VisualizationOptions.ImageFormats.Keys)}, not '{format}'.") };
                        break;
                    default:
                        throw Invalid("UNKNOWN_MEMBER", $"The request has a member \"{property.Name}\" that the service does not know. Known: folder, paths, recurse, name, tile_size, perplexity, seed, model, columns, output_format, optimize.");
                }
            }

            if ((folder is null) == (paths is null))
            {
                throw Invalid("NO_PHOTOS", "Give either \"folder\" (a folder under a root) or \"paths\" (a list of photos under the roots), not both.");
            }

            var skipped = new List<PhotoError>();
            List<string> resolved = folder is not null
                ? ListFolder(folder, recurse, roots, maxPhotos, outsideErrorId, skipped)
                : paths!.Select(path => roots.Contain(path) ?? throw Outside(path)).ToList();
            if (resolved.Count == 0)
            {
                throw Invalid("NO_PHOTOS", folder is null ? "\"paths\" is empty." : $"The folder '{folder}' holds no photos ({string.Join(" ", PhotoExtensions.Order())}).");
            }

            string defaultName = Path.GetFileName(Path.TrimEndingDirectorySeparator(folder is null ? resolved[0] : roots.Contain(folder)!));
            return new VisualizationRequest(string.IsNullOrWhiteSpace(name) ? defaultName : name, resolved, options, skipped);
        }
    }

    private static List<string> ListFolder(string folder, bool recurse, PhotoRoots roots, int maxPhotos, string outsideErrorId, List<PhotoError> skipped)
    {
        string real = roots.Contain(folder) ?? throw Outside(folder);
        if (!Directory.Exists(real))
        {
            throw new ServiceRequestException(HttpStatusCode.NotFound, "FOLDER_NOT_FOUND", $"The folder '{folder}' does not exist.");
        }

        var enumeration = new EnumerationOptions
        {
            RecurseSubdirectories = recurse,
            AttributesToSkip = FileAttributes.Hidden | FileAttributes.System,
            IgnoreInaccessible = true,
            // Links to folders are not followed; a link to a file is checked like any path.
            MatchType = MatchType.Simple,
        };
        var photos = new List<string>();
        foreach (string file in Directory.EnumerateFiles(real, "*", enumeration).Order(StringComparer.Ordinal))
        {
            if (!PhotoExtensions.Contains(Path.GetExtension(file)))
            {
                continue;
            }

            string? contained = roots.Contain(file);
            if (contained is null)
            {
                skipped.Add(new PhotoError(file, outsideErrorId, $"'{file}' leads outside the service's root folders (a link, or the service's own state folder); it was left out."));
                continue;
            }

            if (photos.Count == maxPhotos)
            {
                throw TooMany(maxPhotos);
            }

            photos.Add(contained);
        }

        return photos;
    }

    private static ServiceRequestException Outside(string path) =>
        new(HttpStatusCode.Forbidden, "PATH_OUTSIDE_ROOTS", $"'{path}' is outside the service's root folders.");

    private static ServiceRequestException TooMany(int maxPhotos) =>
        Invalid("TOO_MANY_PHOTOS", string.Create(CultureInfo.InvariantCulture, $"A visualization holds at most {maxPhotos:N0} photos."));

    private static ServiceRequestException Invalid(string code, string message) => new(HttpStatusCode.BadRequest, code, message);

    private static string String(JsonElement value, string name) =>
        value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text ? text : throw Invalid("INVALID_OPTION", $"\"{name}\" must be a non-empty string.");

    private static bool Boolean(JsonElement value, string name) =>
        value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean() : throw Invalid("INVALID_OPTION", $"\"{name}\" must be true or false.");

    private static List<string> Strings(JsonElement value, string name, int maxPhotos)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw Invalid("INVALID_OPTION", $"\"{name}\" must be an array of paths.");
        }

        if (value.GetArrayLength() > maxPhotos)
        {
            throw TooMany(maxPhotos);
        }

        return value.EnumerateArray().Select(item => String(item, name + "[]")).ToList();
    }

    private static int Integer(JsonElement value, string name, int min, int max) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int number) && number >= min && number <= max
            ? number
            : throw Invalid("INVALID_OPTION", string.Create(CultureInfo.InvariantCulture, $"\"{name}\" must be a whole number from {min} to {max}."));

    private static double Number(JsonElement value, string name, double min, double max) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out double number) && number >= min && number <= max
            ? number
            : throw Invalid("INVALID_OPTION", string.Create(CultureInfo.InvariantCulture, $"\"{name}\" must be a number from {min} to {max}."));
}

/// <summary>One photo that could not be used, as the job reports it.</summary>
public sealed record PhotoError(string Path, string ErrorId, string Description);
