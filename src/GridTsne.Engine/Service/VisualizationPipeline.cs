using System.Globalization;
using GridTsne.Engine.Assignment;
using GridTsne.Engine.Embedding;
using GridTsne.Engine.Imaging;
using GridTsne.Engine.Layout;
using GridTsne.Engine.Rendering;
using GridTsne.Engine.Rendering.Viewer;
using GridTsne.Engine.Tsne;

namespace GridTsne.Engine.Service;

/// <summary>
/// Runs one job through the same engine steps as the cmdlet pipeline (Get-ImageEmbedding | Invoke-Tsne |
/// Resolve-GridAssignment [| Optimize-GridLayout] | Export-PhotoGrid), with their defaults, and writes the grid image, the layout
/// (JSON) and the viewer into the job's output folder. Each file is written atomically; the caller marks the
/// job DONE only after all three exist.
/// </summary>
public static class VisualizationPipeline
{
    public const string ImageBaseName = "grid";
    public const string LayoutFileName = "layout.json";
    public const string ViewerFileName = "viewer.html";
    private const int LargestThumbnail = 256;

    /// <summary>Runs <paramref name="job"/>; photo errors are added to it as they come.</summary>
    /// <exception cref="OperationCanceledException">Canceled.</exception>
    /// <exception cref="JobFailedException">The job cannot produce a grid.</exception>
    /// <param name="imageErrorId">The reason reported for a photo that cannot be read.</param>
    public static JobResult Run(VisualizationJob job, ImageEmbedder embedder, string outputFolder, Func<ImageLoadFailure, string> imageErrorId, CancellationToken token)
    {
        VisualizationOptions options = job.Options;
        List<(string Path, float[] Vector, Thumbnail? Thumbnail)> photos = Embed(job, embedder, options, imageErrorId, token);
        if (photos.Count == 0)
        {
            throw new JobFailedException(JobFailure.NoPhotos, string.Create(CultureInfo.InvariantCulture,
                $"None of the {job.Paths.Count:N0} photos could be read; see the errors."));
        }

        int count = photos.Count;
        int dimensions = photos[0].Vector.Length;
        var data = new float[(long)count * dimensions];
        for (int i = 0; i < count; i++)
        {
            photos[i].Vector.CopyTo(data, (long)i * dimensions);
        }

        job.Report(JobPhase.Tsne, 0, 0);
        var tsneOptions = new TsneOptions { Perplexity = options.Perplexity, Seed = options.Seed };
        var tsneProgress = new InlineProgress<TsneProgress>(value => job.Report(JobPhase.Tsne, value.Iteration, value.TotalIterations));
        TsneResult map = TsneRunner.Run(data, count, dimensions, tsneOptions, tsneProgress, token);

        GridShape shape;
        try
        {
            shape = GridShape.ForCount(count, options.Columns);
        }
        catch (GridShapeException ex)
        {
            throw new JobFailedException(JobFailure.TooLarge, ex.Message);
        }

        job.Report(JobPhase.Assignment, 0, 100);
        var x = new double[count];
        var y = new double[count];
        for (int i = 0; i < count; i++)
        {
            x[i] = map.Embedding[2 * i];
            y[i] = map.Embedding[2 * i + 1];
        }

        GridAssignmentResult assignment = GridAssigner.Assign(x, y, shape, progress: value => job.Report(JobPhase.Assignment, (long)(100 * value.Fraction), 100), cancellationToken: token);
        var cellOfItem = new int[count];
        for (int i = 0; i < count; i++)
        {
            cellOfItem[i] = (assignment.RowOf(i) * shape.Columns) + assignment.ColumnOf(i);
        }

        LayoutScore? optimization = null;
        if (options.Optimize)
        {
            job.Report(JobPhase.Optimization, 0, 100);
            GridLayoutResult optimized = GridLayoutOptimizer.Optimize(data, count, shape, cellOfItem, new GridLayoutOptions { Seed = options.Seed },
                value => job.Report(JobPhase.Optimization, (long)(100 * value.Fraction), 100), token);
            cellOfItem = optimized.CellOfItem;
            optimization = new LayoutScore(optimized.DpqBefore, optimized.DpqAfter);
        }

        var tiles = new GridTile[count];
        var labels = new string?[count];
        for (int i = 0; i < count; i++)
        {
            tiles[i] = new GridTile(photos[i].Path, cellOfItem[i] / shape.Columns, cellOfItem[i] % shape.Columns, photos[i].Thumbnail);
            labels[i] = Path.GetFileName(photos[i].Path);
        }

        GridLayout layout = GridLayout.Create(tiles, shape.Rows, shape.Columns, options.TileSize, padding: 0);
        GridOutputFormat format = VisualizationOptions.ImageFormats[options.OutputFormat];
        var renderOptions = new GridRenderOptions();
        try
        {
            CanvasLimits.Check(layout, format, renderOptions.MemoryBudgetBytes);
            PhotoGridViewerWriter.CheckLayout(layout);
        }
        catch (GridLayoutException ex)
        {
            throw new JobFailedException(JobFailure.TooLarge, ex.Message);
        }

        Directory.CreateDirectory(outputFolder);
        string imageFile = ImageBaseName + "." + options.OutputFormat;
        string imagePath = Path.Combine(outputFolder, imageFile);
        try
        {
            GridRenderResult image = PhotoGridRenderer.WriteImage(layout, imagePath, format, renderOptions, overwrite: true,
                Callbacks(job, JobPhase.Rendering, imageErrorId), token);
            GridLayoutFile.Write(layout, Path.Combine(outputFolder, LayoutFileName), GridLayoutFileFormat.Json, renderOptions, imagePath, overwrite: true, token);
            PhotoGridViewerWriter.Write(layout, labels, Path.Combine(outputFolder, ViewerFileName), renderOptions, overwrite: true,
                Callbacks(job, JobPhase.Viewer, imageErrorId), token);
            return new JobResult
            {
                ImageFile = imageFile,
                Width = image.Width,
                Height = image.Height,
                Rows = shape.Rows,
                Columns = shape.Columns,
                Photos = count,
                ViewerFile = ViewerFileName,
                LayoutFile = LayoutFileName,
                Optimization = optimization,
                Warnings = map.Warnings,
            };
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new JobFailedException(JobFailure.Output, $"The outputs could not be written: {ex.Message}");
        }
    }

    private static List<(string Path, float[] Vector, Thumbnail? Thumbnail)> Embed(VisualizationJob job, ImageEmbedder embedder, VisualizationOptions options,
        Func<ImageLoadFailure, string> imageErrorId, CancellationToken token)
    {
        int total = job.Paths.Count;
        job.Report(JobPhase.Embedding, 0, total);
        var pipelineOptions = new EmbeddingPipelineOptions
        {
            ThumbnailSize = Math.Clamp(options.TileSize, Thumbnail.DefaultShortSide, LargestThumbnail),
        };
        var photos = new List<(string, float[], Thumbnail?)>(total);
        long done = 0;
        void Collect(EmbeddingResult result)
        {
            done++;
            if (result.Error is { } error)
            {
                lock (job.Gate)
                {
                    job.AddError(new PhotoError(result.Path, imageErrorId(error.Failure), error.Message));
                }
            }
            else
            {
                photos.Add((result.Path, result.Vector!, result.Thumbnail));
            }

            job.Report(JobPhase.Embedding, done, total);
        }

        using var pipeline = new EmbeddingPipeline(embedder, pipelineOptions, token);
        foreach (string path in job.Paths)
        {
            while (!pipeline.TryAdd(path))
            {
                if (pipeline.Take(out EmbeddingResult? result))
                {
                    Collect(result!);
                }
            }

            while (pipeline.TryTake(out EmbeddingResult? ready))
            {
                Collect(ready!);
            }
        }

        pipeline.Complete();
        while (pipeline.Take(out EmbeddingResult? result))
        {
            Collect(result!);
        }

        return photos;
    }

    private static GridRenderCallbacks Callbacks(VisualizationJob job, JobPhase phase, Func<ImageLoadFailure, string> imageErrorId) => new()
    {
        TileDone = tile => job.Report(phase, tile.Completed, tile.Total),

        // A photo that embedded decodes again here, unless it changed in between: then its tile stays empty.
        // The image reports it; the viewer, drawn next from the same files, would report it twice.
        TileFailed = phase != JobPhase.Rendering ? null : (tile, error) =>
        {
            lock (job.Gate)
            {
                job.AddError(new PhotoError(tile.Path, imageErrorId(error.Failure), error.Message));
            }
        },
    };

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to the thread pool, out of order).</summary>
    private sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}

/// <summary>A job that cannot produce a grid: the reason code (<see cref="JobFailure"/>) and a sentence.</summary>
public sealed class JobFailedException : Exception
{
    public JobFailedException(string reason, string message)
        : base(message)
    {
        Reason = reason;
    }

    public JobFailedException()
        : this(JobFailure.Output, "The job failed.")
    {
    }

    public JobFailedException(string message)
        : this(JobFailure.Output, message)
    {
    }

    public JobFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
        Reason = JobFailure.Output;
    }

    public string Reason { get; }
}
