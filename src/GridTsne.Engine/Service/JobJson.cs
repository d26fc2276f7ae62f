using System.Globalization;
using System.Text.Json;

namespace GridTsne.Engine.Service;

/// <summary>
/// A job as the API shows it, shaped like the seed's: <c>id</c>, <c>status</c> {<c>code</c>, <c>description</c>,
/// and <c>progress</c> while RUNNING or <c>reason</c> when FAILED}, <c>data</c> with the image, viewer and layout
/// URLs when DONE, and the per-photo <c>errors</c>.
/// </summary>
public static class JobJson
{
    /// <summary>Writes one job object (read under the job's gate, so it is consistent).</summary>
    /// <param name="baseUrl">Scheme and authority the URLs start with, e.g. http://127.0.0.1:8047.</param>
    public static void Write(Utf8JsonWriter json, VisualizationJob job, string baseUrl, bool withErrors)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(job);
        lock (job.Gate)
        {
            string url = baseUrl.TrimEnd('/') + "/v2/visualizations/" + job.Id;
            json.WriteStartObject();
            json.WriteString("id", job.Id);
            json.WriteString("name", job.Name);
            json.WriteString("url", url);
            json.WriteString("created_at", job.CreatedAt);
            WriteTime(json, "started_at", job.StartedAt);
            WriteTime(json, "finished_at", job.FinishedAt);

            json.WriteStartObject("status");
            json.WriteString("code", job.State.ToString());
            json.WriteString("description", Describe(job));
            if (job.State == JobState.FAILED)
            {
                json.WriteString("reason", job.Reason);
            }

            if (job.State == JobState.RUNNING)
            {
                json.WriteStartObject("progress");
                json.WriteString("phase", job.Phase.ToString().ToLowerInvariant());
                json.WriteNumber("done", job.PhaseDone);
                json.WriteNumber("total", job.PhaseTotal);
                json.WriteNumber("fraction", job.PhaseTotal > 0 ? Math.Round((double)job.PhaseDone / job.PhaseTotal, 4) : 0);
                json.WriteEndObject();
            }

            json.WriteEndObject();

            json.WriteStartObject("input");
            json.WriteNumber("photos", job.Paths.Count);
            json.WriteStartObject("options");
            json.WriteNumber("tile_size", job.Options.TileSize);
            json.WriteNumber("perplexity", job.Options.Perplexity);
            json.WriteNumber("seed", job.Options.Seed);
            json.WriteString("model", job.Options.Model);
            if (job.Options.Columns is int columns)
            {
                json.WriteNumber("columns", columns);
            }
            else
            {
                json.WriteNull("columns");
            }

            json.WriteString("output_format", job.Options.OutputFormat);
            json.WriteBoolean("optimize", job.Options.Optimize);
            json.WriteEndObject();
            json.WriteEndObject();

            if (job.State == JobState.DONE && job.Result is { } result)
            {
                string output = url + "/" + JobStore.OutputFolderName + "/";
                json.WriteStartObject("data");
                json.WriteStartObject("image");
                json.WriteString("url", output + result.ImageFile);
                json.WriteNumber("width", result.Width);
                json.WriteNumber("height", result.Height);
                json.WriteEndObject();
                json.WriteStartObject("viewer");
                json.WriteString("url", output + result.ViewerFile);
                json.WriteEndObject();
                json.WriteStartObject("layout");
                json.WriteString("url", output + result.LayoutFile);
                json.WriteEndObject();
                json.WriteStartObject("grid");
                json.WriteNumber("rows", result.Rows);
                json.WriteNumber("columns", result.Columns);
                json.WriteNumber("photos", result.Photos);
                if (result.Optimization is { } score)
                {
                    json.WriteNumber("dpq16_before", Math.Round(score.Dpq16Before, 4));
                    json.WriteNumber("dpq16_after", Math.Round(score.Dpq16After, 4));
                }

                json.WriteEndObject();
                json.WriteEndObject();
            }

            json.WriteNumber("error_count", job.ErrorCount);
            if (withErrors)
            {
                json.WriteStartArray("errors");
                foreach (PhotoError error in job.Errors)
                {
                    json.WriteStartObject();
                    json.WriteString("path", error.Path);
                    json.WriteString("reason", error.ErrorId);
                    json.WriteString("description", error.Description);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
            }

            json.WriteEndObject();
        }
    }

    private static void WriteTime(Utf8JsonWriter json, string name, DateTimeOffset? time)
    {
        if (time is { } value)
        {
            json.WriteString(name, value);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static string Describe(VisualizationJob job) => job.State switch
    {
        JobState.PENDING => "Waiting in the queue.",
        JobState.RUNNING => job.Phase switch
        {
            JobPhase.Embedding => string.Create(CultureInfo.InvariantCulture, $"Embedding photos: {job.PhaseDone:N0} of {job.PhaseTotal:N0}."),
            JobPhase.Tsne => string.Create(CultureInfo.InvariantCulture, $"t-SNE: iteration {job.PhaseDone:N0} of {job.PhaseTotal:N0}."),
            JobPhase.Assignment => "Assigning photos to grid cells.",
            JobPhase.Optimization => string.Create(CultureInfo.InvariantCulture, $"Optimizing the layout: {job.PhaseDone:N0}% done."),
            JobPhase.Rendering => string.Create(CultureInfo.InvariantCulture, $"Drawing the grid image: tile {job.PhaseDone:N0} of {job.PhaseTotal:N0}."),
            JobPhase.Viewer => string.Create(CultureInfo.InvariantCulture, $"Writing the viewer: tile {job.PhaseDone:N0} of {job.PhaseTotal:N0}."),
            _ => "Starting (loading the model).",
        },
        JobState.DONE => job.Description ?? "Done.",
        _ => job.Description ?? "Failed.",
    };
}
