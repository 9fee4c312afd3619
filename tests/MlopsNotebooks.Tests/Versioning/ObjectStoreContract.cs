using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Versioning;

namespace MlopsNotebooks.Tests.Versioning;

/// <summary>
/// What every object store must do, through <see cref="IObjectStore"/> only. Each store's test class derives from it
/// and says how to open a fresh one.
/// </summary>
public abstract class ObjectStoreContract : IDisposable
{
    protected TempDirectory Dir { get; } = new();

    /// <summary>A new, empty store.</summary>
    protected abstract IObjectStore CreateStore();

    public virtual void Dispose()
    {
        Dir.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public void An_object_put_in_is_contained_read_back_and_listed()
    {
        var store = CreateStore();
        var (hash, file) = Dir.NewFile("rows\n");
        Assert.False(store.Contains(hash));
        store.Put(hash, file, CancellationToken.None);
        Assert.True(store.Contains(hash));
        Assert.Equal("rows\n", ContentFiles.ReadAll(store.OpenRead(hash)));
        Assert.Equal([hash], store.List());
        Assert.Equal("rows\n", File.ReadAllText(file)); // the source is left as it was
    }

    [Fact]
    public void Putting_an_object_that_is_there_keeps_the_first_copy()
    {
        var store = CreateStore();
        var (hash, file) = Dir.NewFile("first\n");
        store.Put(hash, file, CancellationToken.None);
        var (_, other) = Dir.NewFile("second\n");
        store.Put(hash, other, CancellationToken.None);
        Assert.Equal("first\n", ContentFiles.ReadAll(store.OpenRead(hash)));
        Assert.Single(store.List());
    }

    [Fact]
    public void Content_that_does_not_match_its_name_is_refused_when_read()
    {
        var store = CreateStore();
        var (claimed, _) = Dir.NewFile("what was promised\n");
        var (_, wrong) = Dir.NewFile("something else\n");
        store.Put(claimed, wrong, CancellationToken.None);
        var error = Assert.Throws<CorruptObjectException>(() => ContentFiles.ReadAll(store.OpenRead(claimed)));
        Assert.Equal(claimed, error.Expected);
    }

    [Fact]
    public void A_missing_object_is_not_found_and_removing_it_is_no_error()
    {
        var store = CreateStore();
        var missing = ContentHash.Of("never"u8);
        Assert.Throws<MissingObjectException>(() => store.OpenRead(missing));
        store.Remove(missing);
        Assert.Empty(store.List());
    }

    [Fact]
    public void Removed_objects_are_gone_and_the_others_stay()
    {
        var store = CreateStore();
        var (a, fileA) = Dir.NewFile("a\n");
        var (b, fileB) = Dir.NewFile("b\n");
        store.Put(a, fileA, CancellationToken.None);
        store.Put(b, fileB, CancellationToken.None);
        store.Remove(a);
        Assert.False(store.Contains(a));
        Assert.Equal([b], store.List());
    }

    [Fact]
    public void A_cancelled_put_leaves_no_object()
    {
        var store = CreateStore();
        var (hash, file) = Dir.NewFile(new string('x', 1 << 16));
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => store.Put(hash, file, cancelled.Token));
        Assert.False(store.Contains(hash));
        Assert.Empty(store.List());
    }
}

/// <summary>The object store contract on the local cache.</summary>
public sealed class ObjectCacheStoreTests : ObjectStoreContract
{
    protected override IObjectStore CreateStore() => new ObjectCache(Path.Combine(Dir.Path, "cache", Guid.NewGuid().ToString("N")));
}

/// <summary>The object store contract on the local file system through the file-system seam (what a directory remote is).</summary>
public sealed class LocalFileSystemObjectStoreTests : ObjectStoreContract
{
    protected override IObjectStore CreateStore()
    {
        var root = Path.Combine(Dir.Path, "store", Guid.NewGuid().ToString("N"));
        return new FileSystemObjectStore(new LocalFileSystem(Path.Combine(root, "tmp")), root, "a test store");
    }

    [Fact]
    public void The_store_lays_objects_out_as_the_cache_does_so_one_can_be_read_as_the_other()
    {
        var root = Path.Combine(Dir.Path, "shared");
        var file = Dir.File("data.csv");
        File.WriteAllText(file, "id\n1\n");
        var hash = new ObjectCache(root).AddCopy(file);
        var store = new FileSystemObjectStore(new LocalFileSystem(Path.Combine(root, "tmp")), root, "a test store");
        Assert.True(store.Contains(hash));
        Assert.Equal([hash], store.List());
    }
}
