using System.Text.Json;
using GridTsne.Engine.Service;

namespace GridTsne.Engine.Tests.Service;

/// <summary>The API's JSON, read back with a JSON parser member by member: the shape clients rely on.</summary>
public sealed class JobJsonTests
{
    private const string BaseUrl = "http://127.0.0.1:8047";

    private static VisualizationJob NewJob(JobState state, bool optimize = false) => new()
    {
        Id = "0123456789abcdef0123456789abcdef",
        Name = "<b>holidays</b>",
        CreatedAt = new DateTimeOffset(2026, 12, 4, 10, 0, 0, TimeSpan.Zero),
        State = state,
        Options = new VisualizationOptions { TileSize = 48, Columns = 5, OutputFormat = "png", Optimize = optimize },
        Paths = ["/p/a.jpg", "/p/b.jpg", "/p/c.jpg"],
    };

    private static JsonElement Render(VisualizationJob job, bool withErrors = true)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            JobJson.Write(writer, job, BaseUrl + "/", withErrors);
        }

        return JsonDocument.Parse(buffer.ToArray()).RootElement.Clone();
    }

    [Fact]
    public void A_pending_job_has_an_id_a_status_and_its_input()
    {
        JsonElement json = Render(NewJob(JobState.PENDING));
        Assert.Equal("0123456789abcdef0123456789abcdef", json.GetProperty("id").GetString());
        Assert.Equal("<b>holidays</b>", json.GetProperty("name").GetString());
        Assert.Equal(BaseUrl + "/v2/visualizations/0123456789abcdef0123456789abcdef", json.GetProperty("url").GetString());
        Assert.Equal("PENDING", json.GetProperty("status").GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(json.GetProperty("status").GetProperty("description").GetString()));
        Assert.False(json.GetProperty("status").TryGetProperty("progress", out _));
        Assert.False(json.TryGetProperty("data", out _));
        Assert.Equal(3, json.GetProperty("input").GetProperty("photos").GetInt32());
        JsonElement options = json.GetProperty("input").GetProperty("options");
        Assert.Equal(48, options.GetProperty("tile_size").GetInt32());
        Assert.Equal(5, options.GetProperty("columns").GetInt32());
        Assert.Equal("png", options.GetProperty("output_format").GetString());
        Assert.Equal(JsonValueKind.False, options.GetProperty("optimize").ValueKind);
        Assert.Equal(JsonValueKind.Null, json.GetProperty("started_at").ValueKind);
        Assert.Equal(DateTimeOffset.Parse("2026-12-04T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture), json.GetProperty("created_at").GetDateTimeOffset());
    }

    [Fact]
    public void A_running_job_reports_its_phase_and_fraction()
    {
        VisualizationJob job = NewJob(JobState.RUNNING);
        job.Report(JobPhase.Rendering, 3, 9);
        job.Report(JobPhase.Embedding, 2, 4);
        job.Report(JobPhase.Embedding, 1, 4); // A late report from another thread does not move it back.
        JsonElement progress = Render(job).GetProperty("status").GetProperty("progress");
        Assert.Equal("embedding", progress.GetProperty("phase").GetString());
        Assert.Equal(2, progress.GetProperty("done").GetInt64());
        Assert.Equal(4, progress.GetProperty("total").GetInt64());
        Assert.Equal(0.5, progress.GetProperty("fraction").GetDouble());
    }

    [Fact]
    public void A_done_job_links_its_image_viewer_and_layout()
    {
        VisualizationJob job = NewJob(JobState.DONE);
        job.Result = new JobResult { ImageFile = "grid.png", Width = 240, Height = 48, Rows = 1, Columns = 5, Photos = 3, ViewerFile = "viewer.html", LayoutFile = "layout.json" };
        JsonElement data = Render(job).GetProperty("data");
        string output = BaseUrl + "/v2/visualizations/0123456789abcdef0123456789abcdef/output/";
        Assert.Equal(output + "grid.png", data.GetProperty("image").GetProperty("url").GetString());
        Assert.Equal(240, data.GetProperty("image").GetProperty("width").GetInt32());
        Assert.Equal(output + "viewer.html", data.GetProperty("viewer").GetProperty("url").GetString());
        Assert.Equal(output + "layout.json", data.GetProperty("layout").GetProperty("url").GetString());
        Assert.Equal(3, data.GetProperty("grid").GetProperty("photos").GetInt32());
        Assert.False(data.GetProperty("grid").TryGetProperty("dpq16_after", out _));
    }

    [Fact]
    public void An_optimized_job_echoes_the_option_and_gives_the_optimizer_s_scores()
    {
        VisualizationJob job = NewJob(JobState.DONE, optimize: true);
        job.Result = new JobResult
        {
            ImageFile = "grid.png", Width = 240, Height = 48, Rows = 1, Columns = 5, Photos = 3, ViewerFile = "viewer.html", LayoutFile = "layout.json",
            Optimization = new LayoutScore(0.612345, 0.654321),
        };
        JsonElement json = Render(job);
        Assert.Equal(JsonValueKind.True, json.GetProperty("input").GetProperty("options").GetProperty("optimize").ValueKind);
        JsonElement grid = json.GetProperty("data").GetProperty("grid");
        Assert.Equal(0.6123, grid.GetProperty("dpq16_before").GetDouble());
        Assert.Equal(0.6543, grid.GetProperty("dpq16_after").GetDouble());
    }

    [Fact]
    public void A_failed_job_gives_its_reason_and_the_photo_errors()
    {
        VisualizationJob job = NewJob(JobState.FAILED);
        job.Reason = JobFailure.NoPhotos;
        job.Description = "None of the 3 photos could be read.";
        job.AddError(new PhotoError("/p/a.jpg", "Corrupt", "'/p/a.jpg' is not a JPEG."));
        JsonElement json = Render(job);
        Assert.Equal("FAILED", json.GetProperty("status").GetProperty("code").GetString());
        Assert.Equal("no_photos", json.GetProperty("status").GetProperty("reason").GetString());
        Assert.Equal("None of the 3 photos could be read.", json.GetProperty("status").GetProperty("description").GetString());
        Assert.Equal(1, json.GetProperty("error_count").GetInt32());
        JsonElement error = Assert.Single(json.GetProperty("errors").EnumerateArray().ToList());
        Assert.Equal("/p/a.jpg", error.GetProperty("path").GetString());
        Assert.Equal("Corrupt", error.GetProperty("reason").GetString());

        Assert.False(Render(job, withErrors: false).TryGetProperty("errors", out _));
    }

    [Fact]
    public void Errors_beyond_the_stored_limit_are_counted_not_kept()
    {
        VisualizationJob job = NewJob(JobState.DONE);
        for (int i = 0; i < VisualizationJob.MaxStoredErrors + 5; i++)
        {
            job.AddError(new PhotoError($"/p/{i}.jpg", "NotFound", "missing"));
        }

        JsonElement json = Render(job);
        Assert.Equal(VisualizationJob.MaxStoredErrors + 5, json.GetProperty("error_count").GetInt32());
        Assert.Equal(VisualizationJob.MaxStoredErrors, json.GetProperty("errors").GetArrayLength());
    }
}
