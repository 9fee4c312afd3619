using System.Diagnostics;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Tracking;
using MlopsNotebooks.Versioning;

namespace MlopsNotebooks.Tests.Versioning;

/// <summary>
/// Data versioning fed by someone else: pointer files, folder manifests, remotes and links that a pull request, a clone
/// or a shared cache brings. Each attack here was reproduced on the kit before it was fixed (issue 10).
/// </summary>
public sealed class UntrustedDataTests : IDisposable
{
    private readonly GitRepository _git = new();
    private readonly TempDirectory _outside = new();

    public void Dispose()
    {
        _git.Dispose();
        _outside.Dispose();
    }

    private (int Code, string Output, string Error) Mlops(string workingDirectory, params string[] args) =>
        Mlops(workingDirectory, null, args);

    private static (int Code, string Output, string Error) Mlops(string workingDirectory, IDictionary<string, string?>? environment, params string[] args) =>
        Programs.Run(Programs.Mlops, args, workingDirectory, environment);

    /// <summary>Puts bytes into a directory remote's layout as an object, as a malicious committer could.</summary>
    private static ContentHash PlantObject(string remote, byte[] content)
    {
        var hash = ContentHash.Of(content);
        var path = Path.Combine(remote, "objects", hash.Algorithm, hash.Hex[..2], hash.Hex[2..]);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        return hash;
    }

    private static string PointerText(string name, ContentHash hash, string type, long size = 1, int files = 1) =>
        $"path: {name}\ntype: {type}\nhash: {hash}\nsize: {size}\nfiles: {files}\n";

    [Theory]
    [InlineData("../../.bashrc")]
    [InlineData("../.git/config")]
    [InlineData("/etc/cron.d/evil")]
    [InlineData("a/../../escape")]
    [InlineData("sub\\..\\..\\escape")]
    [InlineData("C:/Windows/evil")]
    [InlineData(".git/hooks/pre-commit")]
    public void A_pulled_folder_manifest_naming_a_path_outside_its_folder_fails_the_pull_and_writes_nothing(string evil)
    {
        // The attacker commits a pointer, a remote inside the repository that mlops.yaml names, and the objects in it.
        var remote = _git.PathOf("vendor/cache");
        var payload = PlantObject(remote, "[core]\n\tfsmonitor = touch /tmp/pwned\n"u8.ToArray());
        var innocent = PlantObject(remote, "id,label\n"u8.ToArray());
        var manifest = Encoding.UTF8.GetBytes($"{innocent} 9 a.csv\n{payload} 38 {evil}\n");
        var manifestHash = PlantObject(remote, manifest);
        _git.Write("data/d.mlops", PointerText("d", manifestHash, "directory", 47, 2));
        _git.Write("mlops.yaml", "data:\n  remote: shared\nremotes:\n  shared: vendor/cache\n");
        _git.Commit("data");
        var before = Snapshot(_git.Root);

        var (code, _, error) = Mlops(_git.Root, "data", "pull");

        Assert.Equal(1, code);
        Assert.Contains($"'{evil}'", error);
        Assert.Contains("refused", error);
        Assert.DoesNotContain("at MlopsNotebooks", error);
        Assert.False(Directory.Exists(_git.PathOf("data/d")));
        Assert.Equal(before, Snapshot(_git.Root)); // nothing new in the work tree outside .mlops, .git untouched
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(_git.Root)!, ".bashrc")));
    }

    [Fact]
    public void A_folder_manifest_is_refused_for_every_unsafe_path_form_and_accepted_for_plain_ones()
    {
        var hash = ContentHash.Of("x"u8);
        DirectoryManifest Parse(string path) => DirectoryManifest.Parse(Encoding.UTF8.GetBytes($"{hash} 1 {path}\n"), hash);
        string[] refused = ["", "/abs", "..", "a/..", "../a", "./a", "a/./b", "a//b", "a/", "a\\b", "C:x", "c:/x", "\\\\server\\share",
            "a\0b", "a\rb", "a\tb", "evil\u202Etxt.exe", ".GIT/config", "x/.git/hooks/post-checkout"];
        foreach (var path in refused)
        {
            var e = Assert.Throws<UnsafePathException>(() => Parse(path));
            Assert.Equal(path, e.Path);
        }
        Assert.Equal(["a b/ü.csv"], Parse("a b/ü.csv").Entries.Select(x => x.Path));
        Assert.Equal(["..hidden/x.."], Parse("..hidden/x..").Entries.Select(x => x.Path));
        // A file that is also another entry's folder could not be restored: refused before anything is written.
        Assert.Throws<UnsafePathException>(() => DirectoryManifest.Parse(Encoding.UTF8.GetBytes($"{hash} 1 a\n{hash} 1 a/b\n"), hash));
    }

    [Fact]
    public void Any_manifest_path_that_parses_lands_inside_the_folder()
    {
        var folder = _git.PathOf("data/d");
        Directory.CreateDirectory(folder);
        var hash = ContentHash.Of("x"u8);
        var parts = Gen.Elements("a", "..", ".", "", "/", "\\", "C:", ".git", "\0", "\n", "b c", "\u202E", "~", "%2e%2e", "…");
        var paths = Gen.ListOf(parts).Select(p => string.Join("", p));
        Prop.ForAll(Arb.From(paths), path =>
        {
            DirectoryManifest manifest;
            try
            {
                manifest = DirectoryManifest.Parse(Encoding.UTF8.GetBytes($"{hash} 1 {path}\n"), hash);
            }
            catch (MlopsException)
            {
                return true; // refused with a message is always fine
            }
            var safe = new SafeFolder(folder, "test");
            return manifest.Entries.All(e => SafePaths.IsUnder(SafePaths.RealPath(safe.Inside(e.Path)), SafePaths.RealPath(folder)));
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void A_write_through_a_folder_that_links_outside_is_refused_and_one_inside_is_not()
    {
        var folder = _git.PathOf("data/d");
        Directory.CreateDirectory(Path.Combine(folder, "plain"));
        Directory.CreateSymbolicLink(Path.Combine(folder, "out"), _outside.Path);
        Directory.CreateSymbolicLink(Path.Combine(folder, "back"), Path.Combine(folder, "plain"));
        var safe = new SafeFolder(folder, "The test manifest");

        Assert.Contains("through a symbolic link", Assert.Throws<UnsafePathException>(() => safe.Inside("out/x.csv")).Message);
        Assert.Throws<UnsafePathException>(() => safe.Inside("out/new/deeper/x.csv"));
        Assert.Equal(Path.Combine(folder, "back", "x.csv"), safe.Inside("back/x.csv"));
        Assert.Equal(Path.Combine(folder, "new", "x.csv"), safe.Inside("new/x.csv"));
        Assert.Equal(Path.Combine(folder, "out"), safe.Inside("out")); // the link itself is replaced by rename, not followed
    }

    [Fact]
    public void A_pointer_naming_anything_but_a_plain_name_beside_it_is_refused()
    {
        var hash = ContentHash.Of("x"u8);
        foreach (var name in new[] { "'../x'", "'/etc/passwd'", "'a/b'", "'a\\b'", "\"a\\nb\"", "\"a\\0b\"", "'.git'", "'..'", "\"evil\\u202Etxt\"" })
        {
            Assert.ThrowsAny<MlopsException>(() => DataPointer.Parse(PointerText(name, hash, "file"), "x.mlops"));
        }
        Assert.Equal("a b.csv", DataPointer.Parse(PointerText("'a b.csv'", hash, "file"), "x.mlops").DataName);
    }

    [Fact]
    public void Generated_pointer_files_and_project_settings_give_a_message_or_work_and_never_write_outside()
    {
        var hash = ContentHash.Of("x\n"u8);
        using (var seed = new DataRepository(_git.Root))
        {
            seed.Cache.AddBytes("x\n"u8);
        }
        var names = Gen.Elements("data", "data", "a.csv", "'../a'", "/etc/x", "\"a\\nb\"", "'.git'", "''", "[a]", "{b: c}", "'a/b'", "~", "'..'", "\"\\u202E\"");
        var types = Gen.Elements("file", "directory", "[x]", "");
        var hashes = Gen.Elements(hash.ToString(), "sha256:" + new string('f', 64), "md5:1", "", "sha256:../../x");
        var numbers = Gen.Elements("1", "-1", "99999999999999999999", "x", "");
        var configs = Gen.Elements("", "remotes: [a]", "remotes:\n  ? [a]\n  : b\n", "remotes:\n  x: ''\n", "data:\n  link: [a]\n", "data: 3", "[", "remotes:\n  'a b': /tmp\n");
        var cases = from name in names
                    from type in types
                    from h in hashes
                    from size in numbers
                    from files in numbers
                    from config in configs
                    select (name, type, h, size, files, config);
        var outsideBefore = Snapshot(_outside.Path);
        Prop.ForAll(Arb.From(cases), c =>
        {
            var (name, type, h, size, files, config) = c;
            File.WriteAllText(_git.PathOf("data.mlops"), $"path: {name}\ntype: {type}\nhash: {h}\nsize: {size}\nfiles: {files}\n");
            File.WriteAllText(_git.PathOf("mlops.yaml"), config);
            try
            {
                using var repo = new DataRepository(_git.Root);
                repo.Status();
                repo.Checkout(force: true);
            }
            catch (MlopsException)
            {
            }
            return Snapshot(_outside.Path) == outsideBefore
                && !Directory.EnumerateFiles(_git.Root, "*mlops-tmp*", SearchOption.AllDirectories).Any()
                && !File.Exists(_git.PathOf("../a")) && !File.Exists(_git.PathOf(".git/data"));
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void A_committed_symlink_beside_its_pointer_never_leads_status_or_checkout_outside_the_work_tree()
    {
        using (var repo = new DataRepository(_git.Root))
        {
            Directory.CreateDirectory(_git.PathOf("d"));
            _git.Write("d/keep.txt", "ours\n");
            repo.Add(_git.PathOf("d"));
        }
        // Replace the data by a link to a folder outside, as a pull request could commit it.
        Directory.Delete(_git.PathOf("d"), recursive: true);
        File.WriteAllText(Path.Combine(_outside.Path, "victim.txt"), "theirs\n");
        Directory.CreateSymbolicLink(_git.PathOf("d"), _outside.Path);
        var outsideBefore = Snapshot(_outside.Path);

        var status = Mlops(_git.Root, "data", "status");
        var checkout = Mlops(_git.Root, "data", "checkout", "--force");
        var named = Mlops(_git.Root, "data", "checkout", "--force", "d");

        foreach (var (code, output, error) in new[] { status, checkout, named })
        {
            Assert.Equal(1, code);
            Assert.Contains("leads out of the repository through a symbolic link", error);
            Assert.DoesNotContain("victim.txt", output);
        }
        Assert.Equal(outsideBefore, Snapshot(_outside.Path));
    }

    [Fact]
    public void A_symlink_into_git_beside_a_pointer_is_refused_too()
    {
        using (var repo = new DataRepository(_git.Root))
        {
            _git.Write("hooks/x.txt", "x\n");
            repo.Add(_git.PathOf("hooks"));
        }
        Directory.Delete(_git.PathOf("hooks"), recursive: true);
        Directory.CreateSymbolicLink(_git.PathOf("hooks"), _git.PathOf(".git/hooks"));
        var before = Snapshot(_git.PathOf(".git/hooks"));

        var (code, _, error) = Mlops(_git.Root, "data", "checkout", "--force");

        Assert.Equal(1, code);
        Assert.Contains("leads into .git/", error);
        Assert.Equal(before, Snapshot(_git.PathOf(".git/hooks")));
    }

    [Fact]
    public void A_symlink_loop_beside_a_pointer_is_a_message()
    {
        using (var repo = new DataRepository(_git.Root))
        {
            repo.Add(_git.Write("loop", "x\n"));
        }
        File.Delete(_git.PathOf("loop"));
        File.CreateSymbolicLink(_git.PathOf("loop"), _git.PathOf("loop"));

        var (code, _, error) = Mlops(_git.Root, "data", "status");

        Assert.Equal(1, code);
        Assert.Contains("cannot be followed", error);
    }

    [Fact]
    public void A_top_level_file_name_with_a_line_break_or_a_bidi_override_is_refused_and_nothing_is_written()
    {
        foreach (var name in new[] { "line\n.txt", "line\r.txt", "invoice\u202Etxt.exe" })
        {
            _git.Write(name, "x\n");
            var (code, _, error) = Mlops(_git.Root, "data", "add", name);
            Assert.Equal(1, code);
            Assert.Contains("control character", error);
            Assert.False(File.Exists(_git.PathOf(".gitignore")));
            Assert.Empty(Directory.EnumerateFiles(_git.Root, "*.mlops"));
            File.Delete(_git.PathOf(name));
        }
    }

    [Fact]
    public void A_name_too_long_for_its_pointer_is_refused_before_anything_is_cached()
    {
        var name = new string('n', 252) + ".x"; // 254 bytes: the file fits, its .mlops pointer would not
        _git.Write(name, "x\n");

        var (code, _, error) = Mlops(_git.Root, "data", "add", name);

        Assert.Equal(1, code);
        Assert.Contains("too long", error);
        Assert.Empty(new ObjectCache(_git.PathOf(".mlops/cache")).List());
        Assert.False(File.Exists(_git.PathOf(".gitignore")));
    }

    [Fact]
    public void Adding_a_fifo_is_refused_at_once_instead_of_waiting_for_a_writer()
    {
        var fifo = _git.PathOf("pipe");
        Assert.Equal(0, Programs.RunTool("mkfifo", [fifo]).ExitCode);
        var clock = Stopwatch.StartNew();

        var (code, _, error) = Programs.Run(Programs.Mlops, ["data", "add", "pipe"], _git.Root, timeoutSeconds: 30);

        Assert.Equal(1, code);
        Assert.Contains("not a regular file", error);
        _git.Write("folder/a.txt", "a\n");
        Assert.Equal(0, Programs.RunTool("mkfifo", [_git.PathOf("folder/pipe")]).ExitCode);
        Assert.Contains("not a regular file", Programs.Run(Programs.Mlops, ["data", "add", "folder"], _git.Root, timeoutSeconds: 30).Error);
        Assert.Empty(Directory.EnumerateFiles(_git.Root, "*.mlops", SearchOption.AllDirectories));
    }

    [Fact]
    public void Checkout_force_changes_nothing_when_one_object_is_corrupt()
    {
        using var repo = new DataRepository(_git.Root);
        _git.Write("d/a.txt", "a1\n");
        _git.Write("d/b.txt", "b1\n");
        _git.Write("single.txt", "s1\n");
        var folder = repo.Add(_git.PathOf("d"));
        repo.Add(_git.PathOf("single.txt"));
        File.WriteAllText(_git.PathOf("d/a.txt"), "a2\n");
        File.WriteAllText(_git.PathOf("d/b.txt"), "b2\n");
        File.WriteAllText(_git.PathOf("single.txt"), "s2\n");
        Corruption.FlipByte(repo.Cache.PathOf(ContentHash.Of("b1\n"u8)), 0);

        Assert.Throws<CorruptObjectException>(() => repo.Checkout(force: true));

        Assert.Equal("a2\n", File.ReadAllText(_git.PathOf("d/a.txt")));
        Assert.Equal("b2\n", File.ReadAllText(_git.PathOf("d/b.txt")));
        Assert.Equal("s2\n", File.ReadAllText(_git.PathOf("single.txt")));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(repo.Cache.Root, "tmp")));
        Assert.True(repo.Cache.Contains(folder.Hash));
    }

    [Fact]
    public void Concurrent_adds_in_one_folder_keep_every_gitignore_rule()
    {
        for (var round = 0; round < 5; round++)
        {
            var names = Enumerable.Range(0, 8).Select(i => $"r{round}-f{i}.csv").ToList();
            foreach (var name in names)
            {
                _git.Write($"data/{name}", name);
            }
            Parallel.ForEach(names, new ParallelOptions { MaxDegreeOfParallelism = 8 }, name =>
            {
                using var repo = new DataRepository(_git.Root);
                repo.Add(_git.PathOf($"data/{name}"));
            });
            var rules = File.ReadAllLines(_git.PathOf("data/.gitignore"));
            Assert.All(names, name => Assert.Contains("/" + name, rules));
        }
    }

    [Fact]
    public void A_hard_linked_file_edited_in_place_is_reported_as_no_longer_in_the_cache()
    {
        using var repo = new DataRepository(_git.Root);
        var file = _git.Write("data/big.csv", "v1\n");
        var version = repo.Add(file, LinkType.Hardlink);
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        using (var stream = new FileStream(file, FileMode.Append))
        {
            stream.Write("edited in place\n"u8);
        }

        var status = repo.Status().Single();

        Assert.Equal(DataState.Modified, status.State);
        Assert.False(status.InCache);
        Assert.False(repo.Cache.Contains(version.Hash)); // quarantined, never served as v1
        Assert.Equal("v1\nedited in place\n", File.ReadAllText(file));

        // The same inside a versioned folder: the edited file's object goes, the folder is no longer wholly cached.
        _git.Write("rows/a.csv", "a1\n");
        var b = _git.Write("rows/b.csv", "b1\n");
        repo.Add(_git.PathOf("rows"), LinkType.Hardlink);
        File.SetUnixFileMode(b, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.AppendAllText(b, "edited\n");
        var folder = repo.Status([_git.PathOf("rows")]).Single();
        Assert.Equal(["modified b.csv"], folder.ChangedFiles);
        Assert.False(folder.InCache);
        Assert.False(repo.Cache.Contains(ContentHash.Of("b1\n"u8)));
        Assert.True(repo.Cache.Contains(ContentHash.Of("a1\n"u8)));
    }

    private static string Snapshot(string folder) => string.Join("\n",
        Directory.EnumerateFileSystemEntries(folder, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}.mlops{Path.DirectorySeparatorChar}") && !p.EndsWith($"{Path.DirectorySeparatorChar}.mlops"))
            .Order(StringComparer.Ordinal)
            .Select(p => File.Exists(p) ? $"{p} {new FileInfo(p).Length} {File.GetLastWriteTimeUtc(p).Ticks}" : p));
}
