using GridTsne.Engine.Service;

namespace GridTsne.Engine.Tests.Service;

/// <summary>
/// Path containment against real folders and symbolic links. The expected answers come from what the
/// operating system opens: each case also reads the file through the path, so a wrong "inside" is visible.
/// </summary>
public sealed class PhotoRootsTests : IDisposable
{
    private readonly string _base = Directory.CreateTempSubdirectory("gridtsne-roots-").FullName;
    private readonly string _root;
    private readonly string _outside;

    public PhotoRootsTests()
    {
        _root = Directory.CreateDirectory(Path.Combine(_base, "root")).FullName;
        Directory.CreateDirectory(Path.Combine(_root, "photos", "deep"));
        _outside = Directory.CreateDirectory(Path.Combine(_base, "outside")).FullName;
        File.WriteAllText(Path.Combine(_root, "photos", "inside.jpg"), "inside");
        File.WriteAllText(Path.Combine(_outside, "secret.jpg"), "secret");
        if (!OperatingSystem.IsWindows())
        {
            File.CreateSymbolicLink(Path.Combine(_root, "photos", "to-secret.jpg"), Path.Combine(_outside, "secret.jpg"));
            File.CreateSymbolicLink(Path.Combine(_root, "photos", "relative-to-secret.jpg"), "../../outside/secret.jpg");
            File.CreateSymbolicLink(Path.Combine(_root, "photos", "to-inside.jpg"), "inside.jpg");
            Directory.CreateSymbolicLink(Path.Combine(_root, "escape"), _outside);
            Directory.CreateSymbolicLink(Path.Combine(_root, "photos", "deep", "up"), "..");
            // A folder outside that links back in: reaching the root through it is fine.
            Directory.CreateSymbolicLink(Path.Combine(_outside, "back"), Path.Combine(_root, "photos"));
        }
    }

    public void Dispose() => Directory.Delete(_base, recursive: true);

    [Theory]
    [InlineData("photos/inside.jpg")]
    [InlineData("photos/deep/../inside.jpg")]
    [InlineData("./photos/./inside.jpg")]
    [InlineData("photos/not-yet-there.jpg")]
    [InlineData("")]
    public void Accepts_paths_inside_a_root(string relative)
    {
        var roots = new PhotoRoots([_root]);
        string? real = roots.Contain(relative.Length == 0 ? _root : Path.Combine(_root, relative));
        Assert.NotNull(real);
        Assert.True(PhotoRoots.IsUnder(real!, roots.Folders[0]));
    }

    [Theory]
    [InlineData("../outside/secret.jpg")]
    [InlineData("photos/../../outside/secret.jpg")]
    [InlineData("photos/deep/../../../outside/secret.jpg")]
    public void Refuses_dot_dot_out_of_a_root(string relative)
    {
        var roots = new PhotoRoots([_root]);
        Assert.Null(roots.Contain(relative));
        Assert.Null(roots.Contain(Path.Combine(_root, relative)));
        Assert.Equal("secret", File.ReadAllText(Path.Combine(_root, relative)));
    }

    [Fact]
    public void Refuses_a_sibling_folder_that_shares_the_root_s_name_as_a_prefix()
    {
        string sibling = Directory.CreateDirectory(_root + "-other").FullName;
        Assert.Null(new PhotoRoots([_root]).Contain(Path.Combine(sibling, "a.jpg")));
    }

    [Theory]
    [InlineData("photos/to-secret.jpg")]
    [InlineData("photos/relative-to-secret.jpg")]
    [InlineData("escape/secret.jpg")]
    [InlineData("escape")]
    [InlineData("escape/../outside/secret.jpg")]
    public void Refuses_links_out_of_a_root(string relative)
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Creating links needs a privilege Windows test runs lack.
        }

        string path = Path.Combine(_root, relative);
        Assert.Null(new PhotoRoots([_root]).Contain(path));
        if (relative.EndsWith(".jpg", StringComparison.Ordinal) && !relative.Contains("..", StringComparison.Ordinal))
        {
            Assert.Equal("secret", File.ReadAllText(path));
        }

        // The kernel resolves "escape/.." to the link target's parent (.NET's own GetFullPath would drop both
        // lexically; the service hands the engine the resolved path, so the two never disagree).
        Assert.Equal(Path.Combine(_base, "outside", "secret.jpg"), PhotoRoots.Resolve(Path.Combine(_root, "escape/../outside/secret.jpg")));
    }

    [Theory]
    [InlineData("photos/to-inside.jpg")]
    [InlineData("photos/deep/up/inside.jpg")]
    public void Accepts_links_that_stay_inside(string relative)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        string path = Path.Combine(_root, relative);
        Assert.Equal(Path.Combine(_root, "photos", "inside.jpg"), new PhotoRoots([_root]).Contain(path));
        Assert.Equal("inside", File.ReadAllText(path));
    }

    [Fact]
    public void Accepts_a_path_that_leaves_and_comes_back_through_a_link()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        string path = Path.Combine(_outside, "back", "inside.jpg");
        Assert.Equal(Path.Combine(_root, "photos", "inside.jpg"), new PhotoRoots([_root]).Contain(path));
    }

    [Fact]
    public void A_root_given_through_a_link_is_resolved()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var roots = new PhotoRoots([Path.Combine(_root, "escape")]);
        Assert.Equal(_outside, roots.Folders[0]);
        Assert.NotNull(roots.Contain(Path.Combine(_outside, "secret.jpg")));
        Assert.Null(roots.Contain(Path.Combine(_root, "photos", "inside.jpg")));
    }

    [Fact]
    public void Compares_case_as_the_platform_s_file_system_does()
    {
        var roots = new PhotoRoots([_root]);
        string upper = Path.Combine(_root.ToUpperInvariant(), "PHOTOS", "INSIDE.JPG");
        bool ignoresCase = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS();
        Assert.Equal(ignoresCase, roots.Contain(upper) is not null);
    }

    [Fact]
    public void Refuses_an_excluded_folder_under_a_root()
    {
        string state = Directory.CreateDirectory(Path.Combine(_root, "state")).FullName;
        File.WriteAllText(Path.Combine(state, "access-key"), "key");
        var roots = new PhotoRoots([_root], excluded: [state]);
        Assert.Null(roots.Contain("state/access-key"));
        Assert.Null(roots.Contain("photos/../state"));
        Assert.NotNull(roots.Contain("photos/inside.jpg"));
        Assert.NotNull(new PhotoRoots([_root]).Contain("state/access-key"));
    }

    [Fact]
    public void Refuses_a_missing_root_and_a_path_with_a_null_character()
    {
        Assert.Throws<DirectoryNotFoundException>(() => new PhotoRoots([Path.Combine(_base, "missing")]));
        Assert.Null(new PhotoRoots([_root]).Contain("photos/inside.jpg\0../../outside"));
    }

    [Fact]
    public void A_link_loop_is_refused_not_a_hang()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        File.CreateSymbolicLink(Path.Combine(_root, "loop-a"), Path.Combine(_root, "loop-b"));
        File.CreateSymbolicLink(Path.Combine(_root, "loop-b"), Path.Combine(_root, "loop-a"));
        Assert.Null(new PhotoRoots([_root]).Contain("loop-a"));
        Assert.Throws<IOException>(() => PhotoRoots.Resolve(Path.Combine(_root, "loop-a")));
    }
}
