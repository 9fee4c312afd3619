using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Versioning;

namespace MlopsNotebooks.Tests.Versioning;

/// <summary>
/// What every remote backend must do, through <see cref="IRemote"/> only (never looking at where it keeps objects).
/// Each backend's test class derives from it and says how to open a fresh remote named "shared".
/// </summary>
public abstract class RemoteContract : IDisposable
{
    protected TempDirectory Dir { get; } = new();

    /// <summary>A new, empty remote named "shared".</summary>
    protected abstract IRemote CreateRemote();

    public virtual void Dispose()
    {
        Dir.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public void An_uploaded_object_is_had_and_downloads_whole()
    {
        var remote = CreateRemote();
        Assert.Equal("shared", remote.Name);
        var (hash, file) = Dir.NewFile("image 1\n");
        var (other, _) = Dir.NewFile("never sent\n");
        Assert.Empty(remote.Has([hash, other]));
        remote.Upload(hash, file, CancellationToken.None);
        Assert.Equal([hash], remote.Has([hash, other]));
        var target = Dir.File("downloaded");
        remote.Download(hash, target, CancellationToken.None);
        Assert.Equal("image 1\n", File.ReadAllText(target));
    }

    [Fact]
    public void Uploading_an_object_again_is_no_error_and_keeps_it_whole()
    {
        var remote = CreateRemote();
        var (hash, file) = Dir.NewFile("labels\n");
        remote.Upload(hash, file, CancellationToken.None);
        remote.Upload(hash, file, CancellationToken.None);
        var target = Dir.File("downloaded");
        remote.Download(hash, target, CancellationToken.None);
        Assert.Equal(hash, ContentHash.OfFile(target));
    }

    [Fact]
    public void Downloading_an_object_the_remote_lacks_names_the_remote_and_writes_nothing()
    {
        var remote = CreateRemote();
        var missing = ContentHash.Of("never"u8);
        var target = Dir.File("downloaded");
        var error = Assert.Throws<MissingObjectException>(() => remote.Download(missing, target, CancellationToken.None));
        Assert.Contains("remote 'shared'", error.Message);
        Assert.False(File.Exists(target));
    }

    [Fact]
    public void A_cancelled_upload_leaves_no_object_and_the_next_one_sends_it()
    {
        var remote = CreateRemote();
        var (hash, file) = Dir.NewFile(new string('x', 1 << 16));
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => remote.Upload(hash, file, cancelled.Token));
        Assert.Empty(remote.Has([hash]));
        remote.Upload(hash, file, CancellationToken.None);
        Assert.Equal([hash], remote.Has([hash]));
    }

    [Fact]
    public void Many_objects_uploaded_side_by_side_all_arrive()
    {
        var remote = CreateRemote();
        var files = Enumerable.Range(0, 200).Select(i => Dir.NewFile($"row {i}\n")).ToList();
        Parallel.ForEach(files, new ParallelOptions { MaxDegreeOfParallelism = 4 }, f => remote.Upload(f.Hash, f.File, CancellationToken.None));
        Assert.Equal(200, remote.Has(files.Select(f => f.Hash).ToList()).Count);
    }
}

/// <summary>The remote contract on a folder, opened through <see cref="Remotes"/> as a plain path.</summary>
public sealed class DirectoryRemoteTests : RemoteContract
{
    protected override IRemote CreateRemote() => Remotes.Open("shared", Path.Combine("remotes", Guid.NewGuid().ToString("N")), Dir.Path);
}

/// <summary>The remote contract on a folder named by a <c>file://</c> URL.</summary>
public sealed class FileUrlRemoteTests : RemoteContract
{
    protected override IRemote CreateRemote() =>
        Remotes.Open("shared", new Uri(Path.Combine(Dir.Path, "remotes", Guid.NewGuid().ToString("N"))).AbsoluteUri, "/nowhere");
}
