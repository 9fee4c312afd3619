using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Versioning;

namespace MlopsNotebooks.Tests.Versioning;

/// <summary>Sharing data through a directory remote between two clones of one repository.</summary>
public sealed class RemoteTests : IDisposable
{
    private readonly GitRepository _origin = new();
    private readonly TempDirectory _remote = new();
    private readonly TempDirectory _clones = new();

    public void Dispose()
    {
        _origin.Dispose();
        _remote.Dispose();
        _clones.Dispose();
    }

    /// <summary>The remote as DataRepository opens it, to look at it through its interface only.</summary>
    private IRemote Remote => Remotes.Open("shared", _remote.Path, _origin.Root);

    /// <summary>Where the directory remote keeps an object, for tests that damage one (the one layout type).</summary>
    private string RemotePathOf(ContentHash hash) => new ObjectLayout(_remote.Path, Path.DirectorySeparatorChar).PathOf(hash);

    private void Setup(int files)
    {
        for (var i = 0; i < files; i++)
        {
            _origin.Write($"data/images/img-{i:0000}.txt", $"image {i}\n");
        }
        _origin.Write("data/labels.csv", "id,label\n1,cat\n");
        using var repo = new DataRepository(_origin.Root);
        repo.AddRemote("shared", _remote.Path, makeDefault: false);
        repo.Add(_origin.PathOf("data/images"));
        repo.Add(_origin.PathOf("data/labels.csv"));
        _origin.Commit("data");
    }

    private string Clone()
    {
        var target = Path.Combine(_clones.Path, Guid.NewGuid().ToString("N")[..8]);
        _origin.Git("clone", "-q", _origin.Root, target);
        return target;
    }

    [Fact]
    public void Push_sends_only_what_the_remote_lacks_and_a_fresh_clone_pulls_the_data_back()
    {
        Setup(files: 1000);
        using (var repo = new DataRepository(_origin.Root))
        {
            var first = repo.Push();
            Assert.Equal(1002, first.Transferred); // 1000 images, their manifest, the csv
            Assert.Empty(first.Unavailable);
            var second = repo.Push();
            Assert.Equal(0, second.Transferred);
            Assert.Equal(1002, second.AlreadyThere);
        }

        var clone = Clone();
        Assert.False(Directory.Exists(Path.Combine(clone, "data", "images"))); // git has only the pointers
        using var cloned = new DataRepository(clone);
        var pulled = cloned.Pull();
        Assert.Equal(1002, pulled.Transferred);
        Assert.Equal("image 999\n", File.ReadAllText(Path.Combine(clone, "data", "images", "img-0999.txt")));
        Assert.Equal("id,label\n1,cat\n", File.ReadAllText(Path.Combine(clone, "data", "labels.csv")));
        Assert.All(cloned.Status(), s => Assert.Equal(DataState.Unchanged, s.State));
        Assert.Equal(0, cloned.Pull().Transferred);
    }

    [Fact]
    public void An_interrupted_push_leaves_no_partial_object_and_the_next_push_finishes_it()
    {
        Setup(files: 400);
        using var repo = new DataRepository(_origin.Root);
        using var cancel = new CancellationTokenSource();
        cancel.CancelAfter(TimeSpan.FromMilliseconds(30));
        try
        {
            repo.Push(cancellationToken: cancel.Token);
        }
        catch (OperationCanceledException)
        {
        }
        // Whatever arrived is whole: every object the remote has downloads as content that hashes to its name.
        var all = repo.Cache.List().ToList();
        var download = _clones.File("downloaded");
        foreach (var hash in Remote.Has(all))
        {
            Remote.Download(hash, download, CancellationToken.None);
            Assert.Equal(hash, ContentHash.OfFile(download));
        }
        var resumed = repo.Push();
        Assert.Empty(resumed.Unavailable);
        Assert.Equal(402, resumed.Transferred + resumed.AlreadyThere);
        Assert.Equal(402, all.Count);
        Assert.Equal(402, Remote.Has(all).Count);
    }

    [Fact]
    public void A_corrupt_object_on_the_remote_is_refused_by_pull_and_never_enters_the_cache()
    {
        Setup(files: 5);
        using (var repo = new DataRepository(_origin.Root))
        {
            repo.Push();
        }
        var labels = ContentHash.OfFile(_origin.PathOf("data/labels.csv"));
        Corruption.FlipByte(RemotePathOf(labels), 3);

        var clone = Clone();
        using var cloned = new DataRepository(clone);
        var error = Assert.Throws<CorruptObjectException>(() => cloned.Pull(paths: [Path.Combine(clone, "data", "labels.csv")]));
        Assert.Contains("remote 'shared'", error.Message);
        Assert.False(cloned.Cache.Contains(labels));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(cloned.Cache.Root, "tmp")));
        Assert.False(File.Exists(Path.Combine(clone, "data", "labels.csv")));
    }

    [Fact]
    public void A_pull_that_fails_on_one_file_of_a_folder_never_publishes_the_folders_manifest()
    {
        Setup(files: 50);
        ContentHash folder;
        using (var repo = new DataRepository(_origin.Root))
        {
            repo.Push();
            folder = Assert.Single(repo.Status(), s => s.Path == "data/images").Recorded.Hash;
        }
        var image = ContentHash.OfFile(_origin.PathOf("data/images/img-0007.txt"));
        Corruption.FlipByte(RemotePathOf(image), 0);

        var clone = Clone();
        using var cloned = new DataRepository(clone);
        Assert.Throws<CorruptObjectException>(() => cloned.Pull());
        // The manifest stands for the whole folder, so it must not be there while a file is missing.
        Assert.False(cloned.Cache.Contains(folder));
        Assert.False(Assert.Single(cloned.Status(), s => s.Path == "data/images").InCache);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(cloned.Cache.Root, "tmp")));
    }

    [Fact]
    public void Pull_without_a_remote_or_with_an_unknown_one_says_what_to_do()
    {
        _origin.Write("data/a.csv", "a\n");
        using var repo = new DataRepository(_origin.Root);
        repo.Add(_origin.PathOf("data/a.csv"));
        Assert.Contains("mlops remote add", Assert.Throws<MlopsException>(() => repo.Pull()).Hint);
        repo.AddRemote("shared", _remote.Path, makeDefault: true);
        Assert.Contains("No remote named 'other'", Assert.Throws<NotFoundException>(() => repo.Push("other")).Message);
        Assert.Throws<InvalidNameException>(() => repo.AddRemote("../evil", _remote.Path, makeDefault: false));
        Assert.Contains("not supported yet", Assert.Throws<MlopsException>(() => repo.AddRemote("gs", "gs://bucket/x", makeDefault: false)).Message);
        Assert.Equal("shared", ProjectConfig.Load(_origin.Root).DefaultRemote);
    }

    [Fact]
    public void A_missing_object_says_to_pull()
    {
        Setup(files: 3);
        var clone = Clone();
        using var cloned = new DataRepository(clone);
        var error = Assert.Throws<MissingObjectException>(() => cloned.Checkout());
        Assert.Contains("mlops data pull", error.Hint);
    }
}
