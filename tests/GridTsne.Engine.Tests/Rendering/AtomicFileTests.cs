using System.Text;
using GridTsne.Engine.Rendering;

namespace GridTsne.Engine.Tests.Rendering;

public sealed class AtomicFileTests : IDisposable
{
    private static readonly byte[] Previous = Encoding.ASCII.GetBytes("the previous grid");
    private readonly TestPhotos _folder = new();

    public void Dispose() => _folder.Dispose();

    private static void WriteMegabytes(Stream stream, int megabytes)
    {
        var block = new byte[1 << 20];
        for (int i = 0; i < megabytes; i++)
        {
            stream.Write(block);
        }
    }

    [Fact]
    public void Writes_a_new_file_and_leaves_no_temporary_file()
    {
        string path = _folder.PathOf("grid.png");
        AtomicFile.Write(path, stream => stream.Write("new"u8), overwrite: false);
        Assert.Equal("new", File.ReadAllText(path));
        Assert.Empty(_folder.TemporaryFiles());
    }

    [Fact]
    public void Replaces_an_existing_file_when_allowed()
    {
        string path = _folder.Bytes("grid.png", Previous);
        AtomicFile.Write(path, stream => stream.Write("new"u8), overwrite: true);
        Assert.Equal("new", File.ReadAllText(path));
        Assert.Empty(_folder.TemporaryFiles());
    }

    [Fact]
    public void A_failure_half_way_keeps_the_previous_file_byte_identical()
    {
        string path = _folder.Bytes("grid.png", Previous);
        Assert.Throws<IOException>(() => AtomicFile.Write(path, stream =>
        {
            WriteMegabytes(stream, 3);
            Assert.Single(_folder.TemporaryFiles());
            throw new IOException("No space left on device");
        }, overwrite: true));
        Assert.Equal(Previous, File.ReadAllBytes(path));
        Assert.Empty(_folder.TemporaryFiles());
    }

    [Fact]
    public void Canceling_stops_the_next_write_and_keeps_the_previous_file()
    {
        string path = _folder.Bytes("grid.png", Previous);
        using var cancellation = new CancellationTokenSource();
        int blocksWritten = 0;
        Assert.ThrowsAny<OperationCanceledException>(() => AtomicFile.Write(path, stream =>
        {
            for (int i = 0; i < 100; i++)
            {
                stream.Write(new byte[4096]);
                blocksWritten++;
                if (i == 10)
                {
                    cancellation.Cancel();
                }
            }
        }, overwrite: true, cancellation.Token));
        Assert.Equal(11, blocksWritten);
        Assert.Equal(Previous, File.ReadAllBytes(path));
        Assert.Empty(_folder.TemporaryFiles());
    }

    [Fact]
    public void Without_overwrite_an_existing_file_is_refused_untouched()
    {
        string path = _folder.Bytes("grid.png", Previous);
        bool called = false;
        Assert.Throws<IOException>(() => AtomicFile.Write(path, _ => called = true, overwrite: false));
        Assert.False(called);
        Assert.Equal(Previous, File.ReadAllBytes(path));
    }

    [Fact]
    public void Without_overwrite_a_file_that_appears_while_writing_wins()
    {
        string path = _folder.PathOf("grid.png");
        Assert.Throws<IOException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write("ours"u8);
            File.WriteAllBytes(path, Previous);
        }, overwrite: false));
        Assert.Equal(Previous, File.ReadAllBytes(path));
        Assert.Empty(_folder.TemporaryFiles());
    }

    [Fact]
    public void A_replacement_that_fails_at_the_rename_keeps_the_target_and_cleans_up()
    {
        // The target turns into a folder while the data is written: the final rename must fail.
        string path = _folder.PathOf("grid.png");
        Assert.ThrowsAny<IOException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write("ours"u8);
            Directory.CreateDirectory(path);
            File.WriteAllBytes(Path.Combine(path, "inside.txt"), Previous);
        }, overwrite: true));
        Assert.True(Directory.Exists(path));
        Assert.Equal(Previous, File.ReadAllBytes(Path.Combine(path, "inside.txt")));
        Assert.Empty(_folder.TemporaryFiles());
    }

    [Fact]
    public void A_missing_folder_is_reported_as_such()
    {
        var error = Assert.Throws<DirectoryNotFoundException>(() =>
            AtomicFile.Write(Path.Combine(_folder.Folder, "missing", "grid.png"), _ => { }, overwrite: true));
        Assert.Contains("missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_replaced_file_keeps_its_permissions()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        string path = _folder.Bytes("grid.png", Previous);
        UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;
        File.SetUnixFileMode(path, mode);
        AtomicFile.Write(path, stream => stream.Write("new"u8), overwrite: true);
        Assert.Equal(mode, File.GetUnixFileMode(path));
    }

    [Fact]
    public void Temporary_names_are_hidden_and_recognisable()
    {
        Assert.True(AtomicFile.IsTemporaryName(".grid.png.gridtsne-0123456789ab.tmp"));
        Assert.False(AtomicFile.IsTemporaryName("grid.png"));
        Assert.False(AtomicFile.IsTemporaryName(".grid.png.tmp"));
    }
}
