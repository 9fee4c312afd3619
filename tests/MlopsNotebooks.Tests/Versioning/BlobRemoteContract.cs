using System.Security.Cryptography;
using MlopsNotebooks.TeamStores.Blobs;
using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Versioning;

namespace MlopsNotebooks.Tests.Versioning;

/// <summary>
/// The remote contract on a blob service, and what is particular to one: listing, removal, large objects in parts, the
/// URL and its credentials, the service's refusals, a restart mid-push, and the mlops tool pushing and pulling through
/// it. Each service's class says how to reach it; every remote is in a fresh container or bucket.
/// </summary>
public abstract class BlobRemoteContract : RemoteContract
{
    /// <summary>"azure" or "s3".</summary>
    protected abstract string Scheme { get; }

    protected abstract BlobService SharedService { get; }

    /// <summary>Whether the service lets a push find the parts an interrupted one sent (s3rver lacks ListMultipartUploads).</summary>
    protected abstract bool ReusesSentParts { get; }

    protected abstract BlobService OnDisk(string folder);

    /// <summary>A new, empty container or bucket on <paramref name="service"/>; its name.</summary>
    protected abstract string NewContainer(BlobService service);

    /// <summary>The environment that reaches <paramref name="service"/>, with a wrong key when given one.</summary>
    protected abstract Dictionary<string, string?> Environment(BlobService service, string? wrongSecret = null);

    /// <summary>A wrong key of the right shape for the service (the part of the credentials it checks).</summary>
    protected abstract string WrongSecret { get; }

    private protected abstract BlobRemote Open(string url, Dictionary<string, string?> environment, int partSize = BlobRemote.DefaultPartSize);

    protected override IRemote CreateRemote() => Open(NewUrl(SharedService), Environment(SharedService));

    private string NewUrl(BlobService service) => $"{Scheme}://{NewContainer(service)}/team/data";

    [Fact]
    public void Many_objects_are_had_from_one_listing_and_listed_with_their_size_and_time_until_removed()
    {
        var remote = CreateRemote();
        var before = DateTimeOffset.UtcNow.AddMinutes(-1);
        var files = Enumerable.Range(0, BlobRemote.HeadLimit + 8).Select(i => Dir.NewFile(new string('r', i + 1))).ToList();
        Parallel.ForEach(files, f => remote.Upload(f.Hash, f.File, CancellationToken.None));
        var never = Enumerable.Range(0, 5).Select(i => ContentHash.Of([(byte)i, 0xfe])).ToList();

        Assert.Equal(files.Select(f => f.Hash).ToHashSet(), remote.Has([.. files.Select(f => f.Hash), .. never]));
        var listed = remote.List().ToDictionary(o => o.Hash);
        Assert.Equal(files.Count, listed.Count);
        Assert.All(files, f => Assert.Equal(new FileInfo(f.File).Length, listed[f.Hash].Size));
        Assert.All(listed.Values, o => Assert.InRange(o.LastModified, before, DateTimeOffset.UtcNow.AddMinutes(1)));

        remote.Remove(files[0].Hash);
        remote.Remove(files[0].Hash);
        Assert.DoesNotContain(files[0].Hash, remote.List().Select(o => o.Hash));
        Assert.Empty(remote.Has([files[0].Hash]));
    }

    [Fact]
    public void A_remote_of_more_objects_than_one_listing_page_is_had_and_listed_whole()
    {
        var remote = CreateRemote();
        var files = Enumerable.Range(0, 1010).Select(i => Dir.NewFile($"row {i}\n")).ToList();
        Parallel.ForEach(files, new ParallelOptions { MaxDegreeOfParallelism = 8 }, f => remote.Upload(f.Hash, f.File, CancellationToken.None));
        Assert.Equal(files.Count, remote.Has(files.Select(f => f.Hash).ToList()).Count);
        Assert.Equal(files.Select(f => f.Hash).ToHashSet(), remote.List().Select(o => o.Hash).ToHashSet());
    }

    [Fact]
    public void A_large_object_goes_up_in_parts_and_comes_back_whole()
    {
        var remote = Open(NewUrl(SharedService), Environment(SharedService), partSize: 1 << 20);
        var (hash, file) = NewLargeFile(megabytes: 5, extra: 12345);
        remote.Upload(hash, file, CancellationToken.None);
        Assert.Equal(new FileInfo(file).Length, remote.BytesSent);
        var target = Dir.File("downloaded");
        remote.Download(hash, target, CancellationToken.None);
        Assert.Equal(hash, ContentHash.OfFile(target));
        Assert.Equal(new FileInfo(file).Length, Assert.Single(remote.List()).Size);
    }

    [Fact]
    public void A_push_cut_by_a_service_restart_leaves_no_object_visible_and_the_next_push_completes_it()
    {
        using var folder = new TempDirectory();
        using var service = OnDisk(folder.Path);
        var url = NewUrl(service);
        var (hash, file) = NewLargeFile(megabytes: 96, extra: 0);
        var first = Open(url, Environment(service), partSize: 1 << 20);
        var push = Task.Run(() => first.Upload(hash, file, CancellationToken.None));
        while (first.BytesSent < 4 << 20 && !push.IsCompleted)
        {
            Thread.Sleep(5);
        }
        service.Stop();
        var cut = Assert.IsAssignableFrom<MlopsException>(Assert.ThrowsAny<Exception>(() => push.GetAwaiter().GetResult()));
        Assert.Contains("remote 'shared'", cut.Message);
        Assert.Contains("run the command again", cut.Hint, StringComparison.OrdinalIgnoreCase);

        service.Start();
        var second = Open(url, Environment(service), partSize: 1 << 20);
        Assert.Empty(second.Has([hash]));
        Assert.Empty(second.List());
        second.Upload(hash, file, CancellationToken.None);
        Assert.Equal([hash], second.Has([hash]));
        if (ReusesSentParts)
        {
            Assert.InRange(second.BytesSent, 0, new FileInfo(file).Length - (1 << 20));
        }
        var target = Dir.File("downloaded");
        second.Download(hash, target, CancellationToken.None);
        Assert.Equal(hash, ContentHash.OfFile(target));
    }

    [Fact]
    public void A_wrong_key_is_refused_with_what_to_check_and_without_the_key()
    {
        var remote = Open(NewUrl(SharedService), Environment(SharedService, WrongSecret));
        var (hash, file) = Dir.NewFile("labels\n");
        foreach (var attempt in new Action[] { () => remote.Has([hash]), () => remote.Upload(hash, file, CancellationToken.None), () => remote.List().ToList() })
        {
            var error = Assert.Throws<MlopsException>(attempt);
            Assert.Contains("refused the credentials of remote 'shared'", error.Message);
            Assert.Contains(Scheme == "s3" ? "AWS_SECRET_ACCESS_KEY" : "AZURE_STORAGE_KEY", error.Hint);
            Assert.DoesNotContain(WrongSecret, error.Message + error.Hint);
        }
    }

    [Fact]
    public void A_missing_container_is_named_with_how_to_create_it()
    {
        var word = Scheme == "s3" ? "bucket" : "container";
        var remote = Open($"{Scheme}://never-made-{Guid.NewGuid():N}"[..(Scheme.Length + 3 + 30)] + "/data", Environment(SharedService));
        var (hash, file) = Dir.NewFile("labels\n");
        var error = Assert.Throws<NotFoundException>(() => remote.Upload(hash, file, CancellationToken.None));
        Assert.Matches($"^The {word} 'never-made-[0-9a-f]+' of remote 'shared' \\({Scheme}://never-made-[0-9a-f]+/data\\) does not exist\\.$", error.Message);
        Assert.StartsWith("Create it", error.Hint);
        Assert.IsType<NotFoundException>(Assert.ThrowsAny<MlopsException>(() => remote.List().ToList()));
    }

    [Theory]
    [InlineData("{0}://accountkey-S3CR3T@team/data")]
    [InlineData("{0}://team/data?sv=2024&sig=S3CR3T")]
    [InlineData("{0}://team/data#S3CR3T")]
    [InlineData("{0}://team;AccountKey=S3CR3T/data")]
    public void A_url_with_credentials_in_it_is_refused_by_remote_add_without_echoing_them(string template)
    {
        using var git = new GitRepository();
        using var repo = new DataRepository(git.Root);
        var error = Assert.Throws<MlopsException>(() => repo.AddRemote("shared", string.Format(System.Globalization.CultureInfo.InvariantCulture, template, Scheme), makeDefault: true));
        Assert.Equal($"A {Scheme}:// remote URL must not carry credentials (a user, a password, a SAS or a key).", error.Message);
        Assert.Contains("in the environment", error.Hint);
        Assert.DoesNotContain("S3CR3T", error.Message + error.Hint);
        Assert.False(File.Exists(Path.Combine(git.Root, ProjectConfig.FileName)));
    }

    [Theory]
    [InlineData("{0}://Team_Data/x", "'Team_Data' is not a usable")]
    [InlineData("{0}://ab", "'ab' is not a usable")]
    [InlineData("{0}://team/a/../b", "has an empty, '.' or '..' part")]
    [InlineData("{0}://team/a//b", "has an empty, '.' or '..' part")]
    public void A_url_with_a_bad_name_or_prefix_is_refused_with_the_form_to_use(string template, string expected)
    {
        var url = string.Format(System.Globalization.CultureInfo.InvariantCulture, template, Scheme);
        var error = Assert.Throws<MlopsException>(() => Remotes.Open("shared", url, Dir.Path));
        Assert.Contains(expected, error.Message);
        Assert.Contains($"{Scheme}://", error.Hint);
    }

    [Fact]
    public void The_mlops_tool_pushes_to_the_service_and_a_fresh_clone_pulls_the_data_back()
    {
        using var git = new GitRepository();
        git.Write("data/images/a.txt", "image a\n");
        git.Write("data/images/b.txt", "image b\n");
        var url = NewUrl(SharedService);
        var environment = Environment(SharedService);
        Run(git.Root, environment, "data", "add", "data/images");
        Run(git.Root, environment, "remote", "add", "shared", url);
        git.Commit("data on a blob remote");
        Assert.Contains("3", Run(git.Root, environment, "data", "push"));

        using var clones = new TempDirectory();
        var clone = Path.Combine(clones.Path, "clone");
        git.Git("clone", "-q", git.Root, clone);
        Run(clone, environment, "data", "pull");
        Assert.Equal("image b\n", File.ReadAllText(Path.Combine(clone, "data", "images", "b.txt")));

        var (code, output, error) = Programs.Run(Programs.Mlops, ["data", "push"], git.Root, Environment(SharedService, WrongSecret));
        Assert.Equal(1, code);
        Assert.Contains("refused the credentials of remote 'shared'", error);
        Assert.DoesNotContain(WrongSecret, output + error);
        Assert.DoesNotContain("   at ", error);
    }

    private static string Run(string directory, Dictionary<string, string?> environment, params string[] args)
    {
        var (code, output, error) = Programs.Run(Programs.Mlops, args, directory, environment);
        Assert.True(code == 0, $"mlops {string.Join(' ', args)} exited {code}: {error}");
        return output;
    }

    private (ContentHash Hash, string File) NewLargeFile(int megabytes, int extra)
    {
        var path = Dir.File($"{Guid.NewGuid():N}.bin");
        var bytes = new byte[(megabytes << 20) + extra];
        RandomNumberGenerator.Fill(bytes);
        File.WriteAllBytes(path, bytes);
        return (ContentHash.OfFile(path), path);
    }
}
