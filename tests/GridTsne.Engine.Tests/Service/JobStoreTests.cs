using System.Text.Json;
using GridTsne.Engine.Service;

namespace GridTsne.Engine.Tests.Service;

/// <summary>What a restart finds after a process ended at any moment: checked on the files themselves.</summary>
public sealed class JobStoreTests : IDisposable
{
    private readonly string _state = Directory.CreateTempSubdirectory("gridtsne-store-").FullName;
    private readonly ServiceLog _log;

    public JobStoreTests() => _log = new ServiceLog(_state);

    public void Dispose()
    {
        _log.Dispose();
        Directory.Delete(_state, recursive: true);
    }

    private static VisualizationJob NewJob(JobState state, int minutesAgo = 0) => new()
    {
        Id = JobStore.NewId(),
        Name = "photos",
        CreatedAt = DateTimeOffset.UtcNow.AddMinutes(-minutesAgo),
        State = state,
        Options = new VisualizationOptions { TileSize = 32, Seed = 7 },
        Paths = ["/photos/a.jpg", "/photos/b.jpg"],
    };

    /// <summary>A saved job with an output file grid.jpg, as a runner leaves it.</summary>
    private (JobStore Store, VisualizationJob Job) SavedWithOutput(JobState state)
    {
        var store = new JobStore(_state);
        VisualizationJob job = NewJob(state);
        store.Save(job);
        string folder = Directory.CreateDirectory(store.OutputFolderOf(job.Id)).FullName;
        File.WriteAllText(Path.Combine(folder, "grid.jpg"), "grid.jpg");
        return (store, job);
    }

    [Fact]
    public void A_saved_job_reads_back_with_every_field()
    {
        var store = new JobStore(_state);
        VisualizationJob job = NewJob(JobState.DONE);
        job.AddError(new PhotoError("/photos/c.jpg", "Corrupt", "broken"));
        job.Result = new JobResult { ImageFile = "grid.jpg", Width = 64, Height = 32, Rows = 1, Columns = 2, Photos = 2, ViewerFile = "viewer.html", LayoutFile = "layout.json", Warnings = ["Perplexity lowered."] };
        store.Save(job);

        VisualizationJob read = Assert.Single(new JobStore(_state).Recover(_log));
        Assert.Equal(job.Id, read.Id);
        Assert.Equal(JobState.DONE, read.State);
        Assert.Equal(job.CreatedAt, read.CreatedAt);
        Assert.Equal(job.Options, read.Options);
        Assert.Equal(job.Paths, read.Paths);
        Assert.Equal(job.Errors, read.Errors);
        Assert.Equal(1, read.ErrorCount);
        Assert.Equal(job.Result.Warnings, read.Result!.Warnings);
        Assert.Equal(job.Result, read.Result with { Warnings = job.Result.Warnings });
    }

    [Fact]
    public void The_state_is_written_with_the_API_s_status_code()
    {
        var store = new JobStore(_state);
        VisualizationJob job = NewJob(JobState.PENDING);
        store.Save(job);
        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(store.FolderOf(job.Id), JobStore.JobFileName)));
        Assert.Equal("PENDING", document.RootElement.GetProperty("State").GetString());
        Assert.Equal(32, document.RootElement.GetProperty("Options").GetProperty("tile_size").GetInt32());
    }

    [Fact]
    public void A_running_job_becomes_failed_interrupted_and_loses_its_partial_outputs()
    {
        (JobStore store, VisualizationJob job) = SavedWithOutput(JobState.RUNNING);

        VisualizationJob read = Assert.Single(new JobStore(_state).Recover(_log));
        Assert.Equal(JobState.FAILED, read.State);
        Assert.Equal(JobFailure.Interrupted, read.Reason);
        Assert.NotNull(read.FinishedAt);
        Assert.False(Directory.Exists(store.OutputFolderOf(job.Id)));

        // The repair is saved: a second restart reads the same.
        VisualizationJob again = Assert.Single(new JobStore(_state).Recover(_log));
        Assert.Equal(JobFailure.Interrupted, again.Reason);
    }

    [Fact]
    public void Finished_outputs_stay_and_temporary_files_go()
    {
        (JobStore store, VisualizationJob done) = SavedWithOutput(JobState.DONE);
        string output = store.OutputFolderOf(done.Id);
        string temporaryFile = Path.Combine(output, ".grid.jpg.gridtsne-0123456789ab.tmp");
        string temporaryFolder = Path.Combine(output, ".viewer_files.gridtsne-0123456789ab.tmp");
        string temporaryState = Path.Combine(store.FolderOf(done.Id), ".job.json.gridtsne-0123456789ab.tmp");
        File.WriteAllText(temporaryFile, "half");
        Directory.CreateDirectory(temporaryFolder);
        File.WriteAllText(Path.Combine(temporaryFolder, "tile.jpg"), "half");
        File.WriteAllText(temporaryState, "{ \"Id\": ");

        Assert.Equal(JobState.DONE, Assert.Single(new JobStore(_state).Recover(_log)).State);
        Assert.Equal("grid.jpg", File.ReadAllText(Path.Combine(output, "grid.jpg")));
        Assert.False(File.Exists(temporaryFile));
        Assert.False(Directory.Exists(temporaryFolder));
        Assert.False(File.Exists(temporaryState));
    }

    [Fact]
    public void Pending_jobs_stay_pending_in_the_order_they_came()
    {
        var store = new JobStore(_state);
        VisualizationJob older = NewJob(JobState.PENDING, minutesAgo: 5);
        VisualizationJob newer = NewJob(JobState.PENDING, minutesAgo: 1);
        store.Save(newer);
        store.Save(older);

        List<VisualizationJob> read = new JobStore(_state).Recover(_log);
        Assert.Equal([older.Id, newer.Id], read.Select(job => job.Id));
        Assert.All(read, job => Assert.Equal(JobState.PENDING, job.State));
    }

    [Fact]
    public void A_half_deleted_job_is_finished_off_and_an_unreadable_one_is_left_alone()
    {
        var store = new JobStore(_state);
        string deleting = Directory.CreateDirectory(Path.Combine(store.Directory, ".deleting-" + JobStore.NewId())).FullName;
        File.WriteAllText(Path.Combine(deleting, JobStore.JobFileName), "{}");
        string broken = Directory.CreateDirectory(store.FolderOf(JobStore.NewId())).FullName;
        File.WriteAllText(Path.Combine(broken, JobStore.JobFileName), "not json");

        Assert.Empty(new JobStore(_state).Recover(_log));
        Assert.False(Directory.Exists(deleting));
        Assert.Equal("not json", File.ReadAllText(Path.Combine(broken, JobStore.JobFileName)));
        Assert.Contains("cannot be read", File.ReadAllText(_log.Path), StringComparison.Ordinal);
    }

    [Fact]
    public void A_job_file_in_another_job_s_folder_is_not_trusted()
    {
        var store = new JobStore(_state);
        VisualizationJob job = NewJob(JobState.DONE);
        store.Save(job);
        string impostor = store.FolderOf(JobStore.NewId());
        Directory.Move(store.FolderOf(job.Id), impostor);

        Assert.Empty(new JobStore(_state).Recover(_log));
    }

    [Fact]
    public void Delete_removes_the_job_and_its_files()
    {
        (JobStore store, VisualizationJob job) = SavedWithOutput(JobState.DONE);

        store.Delete(job.Id, _log);
        Assert.Empty(Directory.EnumerateFileSystemEntries(store.Directory));
        Assert.Empty(new JobStore(_state).Recover(_log));
    }

    [Theory]
    [InlineData("0123456789abcdef0123456789abcdef", true)]
    [InlineData("0123456789ABCDEF0123456789ABCDEF", false)]
    [InlineData("..", false)]
    [InlineData("0123456789abcdef0123456789abcde", false)]
    [InlineData("0123456789abcdef0123456789abcdef\n", false)]
    public void Only_32_lower_case_hex_digits_are_an_id(string text, bool expected) => Assert.Equal(expected, JobStore.IsId(text));
}
