using System.Net;
using System.Text;
using GridTsne.Engine.Service;

namespace GridTsne.Engine.Tests.Service;

public sealed class VisualizationRequestTests : IDisposable
{
    private static readonly string[] Models = ["ResNet18", "ResNet18-Int8"];
    private readonly string _root = Directory.CreateTempSubdirectory("gridtsne-request-").FullName;
    private readonly PhotoRoots _roots;

    public VisualizationRequestTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, "photos", "sub"));
        foreach (string name in new[] { "b.jpg", "a.PNG", "notes.txt", "sub/c.jpg" })
        {
            File.WriteAllText(Path.Combine(_root, "photos", name), name);
        }

        _roots = new PhotoRoots([_root]);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private VisualizationRequest Parse(string json, int maxPhotos = 100) =>
        VisualizationRequest.Parse(Encoding.UTF8.GetBytes(json), _roots, Models, maxPhotos);

    private ServiceRequestException Refused(string json, int maxPhotos = 100) =>
        Assert.Throws<ServiceRequestException>(() => Parse(json, maxPhotos));

    [Fact]
    public void A_folder_lists_its_photos_in_order_without_other_files()
    {
        VisualizationRequest request = Parse("""{"folder": "photos"}""");
        Assert.Equal([Path.Combine(_root, "photos", "a.PNG"), Path.Combine(_root, "photos", "b.jpg")], request.Paths);
        Assert.Equal("photos", request.Name);
        Assert.Equal(new VisualizationOptions(), request.Options);
    }

    [Fact]
    public void Recurse_takes_subfolders_too()
    {
        Assert.Equal(3, Parse("""{"folder": "photos", "recurse": true}""").Paths.Count);
    }

    [Fact]
    public void Every_option_is_read()
    {
        VisualizationRequest request = Parse("""
            {"paths": ["photos/b.jpg"], "name": "mine", "tile_size": 96, "perplexity": 12.5, "seed": -3,
             "model": "resnet18", "columns": 4, "output_format": ".WEBP", "optimize": true}
            """);
        Assert.Equal("mine", request.Name);
        Assert.Equal(new VisualizationOptions { TileSize = 96, Perplexity = 12.5, Seed = -3, Model = "ResNet18", Columns = 4, OutputFormat = "webp", Optimize = true }, request.Options);
    }

    [Fact]
    public void Optimize_is_off_unless_asked_for()
    {
        Assert.False(Parse("""{"folder": "photos"}""").Options.Optimize);
        Assert.False(Parse("""{"folder": "photos", "optimize": false}""").Options.Optimize);
        Assert.True(Parse("""{"folder": "photos", "optimize": true}""").Options.Optimize);
    }

    [Theory]
    [InlineData("""{"folder": "photos", "tile_sise": 32}""", "UNKNOWN_MEMBER")]
    [InlineData("""{"folder": "photos", "optimise": true}""", "UNKNOWN_MEMBER")]
    [InlineData("""{"folder": "photos", "optimize": "true"}""", "INVALID_OPTION")]
    [InlineData("""{"folder": "photos", "optimize": 1}""", "INVALID_OPTION")]
    [InlineData("""{"folder": "photos", "optimize": null}""", "INVALID_OPTION")]
    [InlineData("""{"folder": "photos", "tile_size": 7}""", "INVALID_OPTION")]
    [InlineData("""{"folder": "photos", "tile_size": 32.5}""", "INVALID_OPTION")]
    [InlineData("""{"folder": "photos", "perplexity": "30"}""", "INVALID_OPTION")]
    [InlineData("""{"folder": "photos", "columns": 0}""", "INVALID_OPTION")]
    [InlineData("""{"folder": "photos", "output_format": "gif"}""", "INVALID_OPTION")]
    [InlineData("""{"folder": "photos", "model": "VGG"}""", "UNKNOWN_MODEL")]
    [InlineData("""{"folder": "photos", "paths": ["photos/b.jpg"]}""", "NO_PHOTOS")]
    [InlineData("""{}""", "NO_PHOTOS")]
    [InlineData("""{"paths": []}""", "NO_PHOTOS")]
    [InlineData("""{"paths": [""]}""", "INVALID_OPTION")]
    [InlineData("""[1, 2]""", "INVALID_JSON")]
    [InlineData("""{"folder": "photos",""", "INVALID_JSON")]
    [InlineData("""{"folder": {"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": 1}}}}}}}}}""", "INVALID_JSON")]
    public void Bad_requests_are_400_with_a_code(string json, string code)
    {
        ServiceRequestException refused = Refused(json);
        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        Assert.Equal(code, refused.Code);
    }

    [Fact]
    public void A_missing_folder_is_404_and_a_folder_outside_is_403()
    {
        Assert.Equal(HttpStatusCode.NotFound, Refused("""{"folder": "nowhere"}""").Status);
        ServiceRequestException outside = Refused("""{"folder": ".."}""");
        Assert.Equal(HttpStatusCode.Forbidden, outside.Status);
        Assert.Equal("PATH_OUTSIDE_ROOTS", outside.Code);
    }

    [Fact]
    public void Too_many_photos_are_refused()
    {
        Assert.Equal("TOO_MANY_PHOTOS", Refused("""{"folder": "photos"}""", maxPhotos: 1).Code);
        Assert.Equal("TOO_MANY_PHOTOS", Refused("""{"paths": ["photos/a.PNG", "photos/b.jpg"]}""", maxPhotos: 1).Code);
    }

    [Fact]
    public void A_linked_file_out_of_the_root_is_left_out_of_a_folder_and_reported()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Creating links needs a privilege Windows test runs lack.
        }

        string outside = Directory.CreateTempSubdirectory("gridtsne-outside-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(outside, "secret.jpg"), "secret");
            File.CreateSymbolicLink(Path.Combine(_root, "photos", "z.jpg"), Path.Combine(outside, "secret.jpg"));
            VisualizationRequest request = Parse("""{"folder": "photos"}""");
            Assert.Equal(2, request.Paths.Count);
            PhotoError skipped = Assert.Single(request.Skipped);
            Assert.Equal("PathOutsideRoots", skipped.ErrorId);
            Assert.Equal(HttpStatusCode.Forbidden, Refused("""{"paths": ["photos/z.jpg"]}""").Status);
        }
        finally
        {
            Directory.Delete(outside, recursive: true);
        }
    }
}
