using System.Text.Json;
using System.Text.RegularExpressions;
using GridTsne.Engine.Rendering;

namespace GridTsne.Engine.Service;

/// <summary>
/// Jobs on disk, as atomic JSON files: jobs/&lt;id&gt;/job.json holds a job's state and jobs/&lt;id&gt;/output its
/// files. Every write goes to a temporary file that is flushed and renamed over the old one
/// (<see cref="AtomicFile"/>), so a killed process leaves each job.json either old or new, never torn.
/// </summary>
/// <remarks>
/// Why files and not SQLite: a job's state changes a handful of times in its life, the list of jobs fits in
/// memory, and one file per job needs no package and no native library to load on every platform. A job and
/// its outputs also live and die together in one folder.
/// </remarks>
public sealed partial class JobStore
{
    public const string JobFileName = "job.json";
    public const string OutputFolderName = "output";
    private const string DeletingPrefix = ".deleting-";

    private static readonly JsonSerializerOptions SerializerOptions = new() { WriteIndented = true };

    public JobStore(string stateDirectory)
    {
        Directory = Path.Combine(stateDirectory, "jobs");
        System.IO.Directory.CreateDirectory(Directory);
    }

    /// <summary>The jobs folder.</summary>
    public string Directory { get; }

    /// <summary>A new job id: 32 random hex digits.</summary>
    public static string NewId() => Guid.NewGuid().ToString("N");

    /// <summary>True for a string shaped like a job id (the only ids ever joined to a path).</summary>
    public static bool IsId(string text) => IdPattern().IsMatch(text);

    public string FolderOf(string id) => Path.Combine(Directory, id);

    public string OutputFolderOf(string id) => Path.Combine(Directory, id, OutputFolderName);

    /// <summary>Writes a job's state (the caller holds its gate, so the snapshot is consistent).</summary>
    public void Save(VisualizationJob job)
    {
        string folder = FolderOf(job.Id);
        System.IO.Directory.CreateDirectory(folder);
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(job, SerializerOptions);
        AtomicFile.Write(Path.Combine(folder, JobFileName), stream => stream.Write(json), overwrite: true);
    }

    /// <summary>
    /// Reads every job after a start, and repairs what the last process left: a RUNNING job was interrupted
    /// (it becomes FAILED "interrupted" and its partial outputs go), temporary files and half-deleted jobs
    /// are removed. Unreadable job files are logged and left alone.
    /// </summary>
    public List<VisualizationJob> Recover(ServiceLog log)
    {
        var jobs = new List<VisualizationJob>();
        foreach (string folder in System.IO.Directory.EnumerateDirectories(Directory))
        {
            string name = Path.GetFileName(folder);
            if (name.StartsWith(DeletingPrefix, StringComparison.Ordinal))
            {
                TryDeleteFolder(folder, log);
                continue;
            }

            if (!IsId(name))
            {
                continue;
            }

            RemoveTemporaries(folder, log);
            VisualizationJob? job = Read(folder, log);
            if (job is null)
            {
                continue;
            }

            if (job.State == JobState.RUNNING)
            {
                job.State = JobState.FAILED;
                job.Reason = JobFailure.Interrupted;
                job.Description = "The service ended (it was killed, crashed or stopped) while the job was running. Post it again to run it.";
                job.FinishedAt = DateTimeOffset.UtcNow;
                Save(job);
                log.Warning($"Job {job.Id} was running when the service ended; it is marked FAILED (interrupted).");
            }

            if (job.State != JobState.DONE)
            {
                // Only a DONE job's outputs are complete: anything else is a leftover.
                TryDeleteFolder(OutputFolderOf(job.Id), log);
            }

            jobs.Add(job);
        }

        return jobs.OrderBy(job => job.CreatedAt).ToList();
    }

    /// <summary>Deletes a job and its files: renamed aside first, so a crash mid-way never leaves half a job.</summary>
    public void Delete(string id, ServiceLog log)
    {
        string folder = FolderOf(id);
        if (!System.IO.Directory.Exists(folder))
        {
            return;
        }

        string aside = Path.Combine(Directory, DeletingPrefix + id);
        System.IO.Directory.Move(folder, aside);
        TryDeleteFolder(aside, log);
    }

    private static VisualizationJob? Read(string folder, ServiceLog log)
    {
        string file = Path.Combine(folder, JobFileName);
        try
        {
            VisualizationJob? job = JsonSerializer.Deserialize<VisualizationJob>(File.ReadAllBytes(file), SerializerOptions);
            if (job is null || job.Id != Path.GetFileName(folder))
            {
                log.Error($"'{file}' does not describe the job of its folder; it is left as it is.");
                return null;
            }

            return job;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException or NotSupportedException)
        {
            log.Error($"'{file}' cannot be read ({ex.Message}); the job is left as it is.");
            return null;
        }
    }

    private static void RemoveTemporaries(string folder, ServiceLog log)
    {
        foreach (string entry in System.IO.Directory.EnumerateFileSystemEntries(folder, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }).ToList())
        {
            if (!AtomicFile.IsTemporaryName(Path.GetFileName(entry)))
            {
                continue;
            }

            if (System.IO.Directory.Exists(entry))
            {
                TryDeleteFolder(entry, log);
            }
            else
            {
                try
                {
                    File.Delete(entry);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    log.Warning($"Cannot delete the temporary file '{entry}': {ex.Message}");
                }
            }
        }
    }

    private static void TryDeleteFolder(string folder, ServiceLog log)
    {
        try
        {
            if (System.IO.Directory.Exists(folder))
            {
                System.IO.Directory.Delete(folder, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            log.Warning($"Cannot delete '{folder}': {ex.Message}");
        }
    }

    [GeneratedRegex(@"^[0-9a-f]{32}\z", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();
}
