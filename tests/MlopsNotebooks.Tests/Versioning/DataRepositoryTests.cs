using System.Security.Cryptography;
using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Versioning;

namespace MlopsNotebooks.Tests.Versioning;

/// <summary>Data versioning in real git repositories with real files.</summary>
public sealed class DataRepositoryTests : IDisposable
{
    private readonly GitRepository _git = new();
    private readonly DataRepository _repo;

    public DataRepositoryTests() => _repo = new DataRepository(_git.Root);

    public void Dispose()
    {
        _repo.Dispose();
        _git.Dispose();
    }

    private string Folder(string relative, int files)
    {
        for (var i = 0; i < files; i++)
        {
            _git.Write($"{relative}/part-{i / 100:000}/row-{i:00000}.txt", $"row {i}\n");
        }
        return _git.PathOf(relative);
    }

    [Fact]
    public void Adding_a_file_writes_a_stable_pointer_beside_it_and_keeps_the_data_out_of_git()
    {
        var csv = _git.Write("data/churn.csv", "a,b\n1,2\n");
        var version = _repo.Add(csv);

        var expectedHash = "sha256:" + Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(csv))).ToLowerInvariant();
        Assert.Equal(expectedHash, version.Hash.ToString());
        Assert.Equal("data/churn.csv", version.Path);
        var pointer = File.ReadAllText(csv + ".mlops");
        Assert.Equal(
            "# Data versioned with MlopsNotebooks: `mlops data pull` fetches it, `mlops data checkout` restores it.\n"
            + $"path: churn.csv\ntype: file\nhash: {expectedHash}\nsize: 8\nfiles: 1\n", pointer);
        Assert.Equal(File.ReadAllBytes(csv), _repo.Cache.ReadAllBytes(version.Hash));

        // Same data, same bytes: adding again changes nothing.
        _repo.Add(csv);
        Assert.Equal(pointer, File.ReadAllText(csv + ".mlops"));

        // git sees the pointer and the ignore rule, not the data.
        Assert.Equal(["?? data/.gitignore", "?? data/churn.csv.mlops"],
            _git.Git("status", "--porcelain", "--untracked-files=all").Split('\n').Where(l => l.Contains("data/")).Order());
    }

    [Fact]
    public void A_folder_of_thousands_of_files_is_one_sorted_manifest()
    {
        var folder = Folder("data/rows", 3000);
        var version = _repo.Add(folder);
        Assert.True(version.IsDirectory);
        Assert.Equal(3000, version.Files);
        var manifest = DirectoryManifest.Parse(_repo.Cache.ReadAllBytes(version.Hash), version.Hash);
        Assert.Equal(manifest.Entries.Select(e => e.Path).Order(StringComparer.Ordinal), manifest.Entries.Select(e => e.Path));
        Assert.All(manifest.Entries, e => Assert.True(_repo.Cache.Contains(e.Hash)));

        // The same files added from a fresh repository object give the same version.
        using var again = new DataRepository(_git.Root);
        Assert.Equal(version.Hash, again.Add(folder).Hash);
    }

    [Fact]
    public void Status_names_modified_missing_and_uncached_data_and_the_files_that_changed()
    {
        var folder = Folder("data/rows", 1200);
        var csv = _git.Write("data/a.csv", "1\n");
        _repo.Add(folder);
        _repo.Add(csv);
        Assert.All(_repo.Status(), s => Assert.Equal(DataState.Unchanged, s.State));

        File.AppendAllText(Path.Combine(folder, "part-003", "row-00300.txt"), "changed\n");
        File.Delete(Path.Combine(folder, "part-011", "row-01199.txt"));
        File.WriteAllText(Path.Combine(folder, "new.txt"), "new\n");
        File.Delete(csv);

        var status = _repo.Status().ToDictionary(s => s.Path);
        Assert.Equal(DataState.Modified, status["data/rows"].State);
        Assert.Equal(["added new.txt", "modified part-003/row-00300.txt", "deleted part-011/row-01199.txt"], status["data/rows"].ChangedFiles);
        Assert.Equal(DataState.Missing, status["data/a.csv"].State);
        Assert.True(status["data/a.csv"].InCache);

        Directory.Delete(Path.Combine(_repo.Cache.Root, "objects"), recursive: true);
        Assert.All(_repo.Status(), s => Assert.False(s.InCache));
    }

    [Fact]
    public void Status_trusts_the_state_cache_while_size_mtime_and_inode_are_unchanged()
    {
        var csv = _git.Write("data/a.csv", "aaaa\n");
        _repo.Add(csv);
        var reference = _git.PathOf("mtime-reference");
        Run("touch", "-r", csv, reference); // keeps the mtime to the nanosecond, which .NET's DateTime cannot
        // Same length, same mtime, same inode: like DVC, status does not read the file again.
        using (var file = new FileStream(csv, FileMode.Open, FileAccess.Write))
        {
            file.Write("bbbb\n"u8);
        }
        Run("touch", "-m", "-r", reference, csv);
        Assert.Equal(DataState.Unchanged, Assert.Single(_repo.Status()).State);
        // Touching the mtime is enough for the content to be read again.
        File.SetLastWriteTimeUtc(csv, File.GetLastWriteTimeUtc(csv).AddSeconds(1));
        Assert.Equal(DataState.Modified, Assert.Single(_repo.Status()).State);
    }

    [Fact]
    public void Checkout_restores_deleted_data_and_refuses_to_overwrite_changes_without_force()
    {
        var folder = Folder("data/rows", 500);
        var csv = _git.Write("data/a.csv", "original\n");
        _repo.Add(folder);
        _repo.Add(csv);
        Directory.Delete(folder, recursive: true);
        File.WriteAllText(csv, "my unsaved edit\n");

        var error = Assert.Throws<MlopsException>(() => _repo.Checkout());
        Assert.Contains("data/a.csv", error.Message);
        Assert.Contains("--force", error.Hint);
        Assert.Equal("my unsaved edit\n", File.ReadAllText(csv));
        Assert.False(Directory.Exists(folder)); // nothing was done: the refusal came first

        Assert.Equal(["data/rows"], _repo.Checkout([folder]).Select(v => v.Path));
        Assert.Equal(500, Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Count());
        Assert.Equal("row 42\n", File.ReadAllText(Path.Combine(folder, "part-000", "row-00042.txt")));

        _repo.Checkout([csv], force: true);
        Assert.Equal("original\n", File.ReadAllText(csv));
        Assert.All(_repo.Status(), s => Assert.Equal(DataState.Unchanged, s.State));
    }

    [Fact]
    public void Checkout_never_uses_a_corrupt_object_and_leaves_the_work_tree_as_it_was()
    {
        var csv = _git.Write("data/a.csv", new string('x', 10_000));
        var version = _repo.Add(csv);
        File.Delete(csv);
        Corruption.FlipByte(_repo.Cache.PathOf(version.Hash), 5000);

        var error = Assert.Throws<CorruptObjectException>(() => _repo.Checkout());
        Assert.Contains("corrupt", error.Message);
        Assert.False(File.Exists(csv));
        Assert.Empty(Directory.EnumerateFiles(_git.PathOf("data"), "*tmp*"));
        // The bad object was moved aside: the next checkout says to pull instead of using it.
        var missing = Assert.Throws<MissingObjectException>(() => _repo.Checkout());
        Assert.Contains("mlops data pull", missing.Hint);
    }

    [Theory]
    [InlineData(LinkType.Hardlink)]
    [InlineData(LinkType.Symlink)]
    public void Link_types_share_the_cached_object_and_protect_it(LinkType link)
    {
        var csv = _git.Write("data/big.csv", new string('y', 100_000));
        var version = _repo.Add(csv, link);
        var objectPath = _repo.Cache.PathOf(version.Hash);
        if (link == LinkType.Hardlink)
        {
            Assert.Equal(Inode(objectPath), Inode(csv));
        }
        else
        {
            Assert.Equal(objectPath, new FileInfo(csv).LinkTarget);
        }
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(objectPath));
        Assert.Equal(new string('y', 100_000), File.ReadAllText(csv));
        Assert.Equal(DataState.Unchanged, Assert.Single(_repo.Status()).State);
    }

    private static long Inode(string path) => long.Parse(Run("stat", "-c", "%i", path), System.Globalization.CultureInfo.InvariantCulture);

    private static string Run(string program, params string[] args)
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(program, args) { RedirectStandardOutput = true })!;
        var output = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        return output;
    }

    [Fact]
    public void Paths_that_leave_the_work_tree_are_refused()
    {
        using var outside = new TempDirectory();
        File.WriteAllText(outside.File("secret.txt"), "secret");
        Directory.CreateDirectory(_git.PathOf("data"));
        File.CreateSymbolicLink(_git.PathOf("data/link.txt"), outside.File("secret.txt"));
        Directory.CreateDirectory(_git.PathOf("data/folder"));
        File.CreateSymbolicLink(_git.PathOf("data/folder/escape.txt"), outside.File("secret.txt"));

        Assert.Contains("outside the repository", Assert.Throws<MlopsException>(() => _repo.Add(outside.File("secret.txt"))).Message);
        Assert.Contains("outside the repository", Assert.Throws<MlopsException>(() => _repo.Add(Path.Combine(_git.Root, "..", "x"))).Message);
        Assert.Contains("symbolic link", Assert.Throws<MlopsException>(() => _repo.Add(_git.PathOf("data/link.txt"))).Message);
        Assert.Contains("symbolic link", Assert.Throws<MlopsException>(() => _repo.Add(_git.PathOf("data/folder"))).Message);
        Assert.Contains(".git/", Assert.Throws<MlopsException>(() => _repo.Add(_git.PathOf(".git/config"))).Message);
        Assert.Empty(_repo.Cache.List());
        Assert.Empty(Directory.EnumerateFiles(_git.Root, "*.mlops", SearchOption.AllDirectories));
    }

    [Theory]
    [InlineData("path: ../../etc/passwd\ntype: file\nhash: sha256:{0}\nsize: 1\nfiles: 1\n", "must name a file or folder beside")]
    [InlineData("path: /etc/passwd\ntype: file\nhash: sha256:{0}\nsize: 1\nfiles: 1\n", "must name a file or folder beside")]
    [InlineData("path: a.csv\ntype: file\nhash: md5:abc\nsize: 1\nfiles: 1\n", "is not sha256")]
    [InlineData("path: a.csv\ntype: file\nsize: 1\nfiles: 1\n", "has no 'hash'")]
    [InlineData("path: a.csv\ntype: blob\nhash: sha256:{0}\nsize: 1\nfiles: 1\n", "neither 'file' nor 'directory'")]
    [InlineData("[this is: not, a mapping", "not valid")]
    public void A_malformed_or_malicious_pointer_file_is_refused_with_how_to_fix_it(string text, string problem)
    {
        _git.Write("data/a.csv.mlops", string.Format(System.Globalization.CultureInfo.InvariantCulture, text, new string('0', 64)));
        var error = Assert.Throws<MlopsException>(() => _repo.Status());
        Assert.Contains(problem, error.Message);
        Assert.Contains("git checkout", error.Hint);
        Assert.Throws<MlopsException>(() => _repo.Checkout());
        Assert.False(File.Exists("/etc/passwd.mlops-tmp"));
    }

    [Fact]
    public void Diff_against_a_revision_lists_added_removed_and_modified_data_with_changed_files()
    {
        var folder = Folder("data/rows", 300);
        var old = _git.Write("data/old.csv", "old\n");
        _repo.Add(folder);
        _repo.Add(old);
        _git.Commit("data v1");

        File.WriteAllText(Path.Combine(folder, "part-001", "row-00150.txt"), "edited\n");
        _repo.Add(folder);
        File.Delete(old + ".mlops");
        _repo.Add(_git.Write("data/new.csv", "new\n"));

        var changes = _repo.Diff("HEAD").ToDictionary(c => c.Path);
        Assert.Equal(ChangeKind.Modified, changes["data/rows"].Kind);
        Assert.Equal(["modified part-001/row-00150.txt"], changes["data/rows"].ChangedFiles);
        Assert.Equal(ChangeKind.Removed, changes["data/old.csv"].Kind);
        Assert.Equal(ChangeKind.Added, changes["data/new.csv"].Kind);
        Assert.Contains("not a revision", Assert.Throws<MlopsException>(() => _repo.Diff("no-such-branch")).Message);
        Assert.Throws<MlopsException>(() => _repo.Diff("--output=/tmp/x"));
    }

    [Fact]
    public void Gc_keeps_what_the_work_tree_HEAD_and_the_caller_need_and_removes_the_rest()
    {
        var csv = _git.Write("data/a.csv", "v1\n");
        var v1 = _repo.Add(csv);
        _git.Commit("v1");
        File.WriteAllText(csv, "v2\n");
        var v2 = _repo.Add(csv);                                        // work tree: v2; HEAD: v1
        var orphan = _repo.Add(_git.Write("data/tmp.csv", "scratch\n"));
        File.Delete(_git.PathOf("data/tmp.csv.mlops"));                 // nothing refers to it now
        var artifact = _repo.Cache.AddBytes("a run artifact"u8);
        var unused = _repo.Cache.AddBytes("nobody needs me"u8);

        var dry = _repo.Gc(alsoKeep: [artifact], dryRun: true, grace: TimeSpan.Zero);
        Assert.Equal(new[] { orphan.Hash, unused }.OrderBy(h => h.Hex, StringComparer.Ordinal), dry.Removed);
        Assert.True(_repo.Cache.Contains(unused));

        var result = _repo.Gc(alsoKeep: [artifact], grace: TimeSpan.Zero);
        Assert.Equal(2, result.Removed.Count);
        Assert.True(_repo.Cache.Contains(v1.Hash));
        Assert.True(_repo.Cache.Contains(v2.Hash));
        Assert.True(_repo.Cache.Contains(artifact));
        Assert.False(_repo.Cache.Contains(orphan.Hash));
        Assert.False(_repo.Cache.Contains(unused));
    }

    [Fact]
    public void Gc_of_a_folder_keeps_every_file_its_manifest_lists()
    {
        var folder = Folder("data/rows", 250);
        _repo.Add(folder);
        _git.Commit("rows");
        Directory.Delete(folder, recursive: true);
        File.Delete(folder + ".mlops"); // gone from the work tree, still in HEAD
        Assert.Empty(_repo.Gc(grace: TimeSpan.Zero).Removed);
        Assert.Equal(251, _repo.Cache.List().Count());
    }
}
