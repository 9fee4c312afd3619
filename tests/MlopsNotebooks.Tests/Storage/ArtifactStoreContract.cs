using MlopsNotebooks.Storage;
using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Tracking;
using MlopsNotebooks.Versioning;

namespace MlopsNotebooks.Tests.Storage;

/// <summary>
/// What every artifact store backend must do, through <see cref="IArtifactStore"/> only. Each backend's test class
/// derives from it and says how to open a fresh store.
/// </summary>
public abstract class ArtifactStoreContract : IDisposable
{
    protected TempDirectory Dir { get; } = new();

    /// <summary>A new, empty store.</summary>
    protected abstract IArtifactStore CreateStore();

    public virtual void Dispose()
    {
        Dir.Dispose();
        GC.SuppressFinalize(this);
    }

    private string LocalFile(string name, string content)
    {
        var path = Dir.File(name);
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public void A_stored_file_comes_back_with_its_normalized_name_hash_and_size()
    {
        var store = CreateStore();
        var file = LocalFile("model.zip", "weights\n");
        var info = store.Put(file, "model\\model.zip");
        Assert.Equal(new ArtifactInfo("model/model.zip", ContentHash.OfFile(file).ToString(), 8), info);
        Assert.Equal("weights\n", ContentFiles.ReadAll(store.OpenRead(info)));
        Assert.Equal("weights\n", ContentFiles.ReadAll(store.OpenRead(ContentHash.Parse(info.Hash))));
    }

    [Fact]
    public void The_same_content_under_two_names_is_one_object()
    {
        var store = CreateStore();
        var a = store.Put(LocalFile("a.txt", "same\n"), "plots/a.txt");
        var b = store.Put(LocalFile("b.txt", "same\n"), "plots/b.txt");
        Assert.Equal(a.Hash, b.Hash);
        Assert.NotEqual(a.Path, b.Path);
    }

    [Fact]
    public void Bytes_are_stored_by_their_hash()
    {
        var store = CreateStore();
        var hash = store.PutBytes("{\"format\": \"mlnet-model\"}"u8);
        Assert.Equal(ContentHash.Of("{\"format\": \"mlnet-model\"}"u8), hash);
        Assert.Equal(hash, store.PutBytes("{\"format\": \"mlnet-model\"}"u8));
        Assert.Equal("{\"format\": \"mlnet-model\"}", ContentFiles.ReadAll(store.OpenRead(hash)));
    }

    [Fact]
    public void Copying_an_object_out_writes_the_whole_file_and_replaces_what_was_there()
    {
        var store = CreateStore();
        var hash = store.PutBytes("sample\n"u8);
        var target = LocalFile("sample-input.json", "old\n");
        store.CopyTo(hash, target);
        Assert.Equal("sample\n", File.ReadAllText(target));
    }

    [Fact]
    public void An_object_that_is_not_there_is_not_found_and_a_copy_of_it_leaves_the_target_untouched()
    {
        var store = CreateStore();
        var missing = ContentHash.Of("never stored"u8);
        Assert.Throws<MissingObjectException>(() => ContentFiles.ReadAll(store.OpenRead(missing)));
        var target = LocalFile("keep.txt", "mine\n");
        Assert.Throws<MissingObjectException>(() => store.CopyTo(missing, target));
        Assert.Equal("mine\n", File.ReadAllText(target));
        Assert.Equal(["keep.txt"], Directory.EnumerateFiles(Dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void A_file_added_is_stored_by_its_hash_and_the_store_says_which_objects_it_holds()
    {
        var store = CreateStore();
        var file = LocalFile("weights.bin", "weights\n");
        var absent = ContentHash.Of("never stored"u8);
        Assert.Empty(store.Has([ContentHash.OfFile(file), absent]));
        var hash = store.Add(file);
        Assert.Equal(ContentHash.OfFile(file), hash);
        Assert.Equal(hash, store.Add(file));
        Assert.Equal([hash], store.Has([hash, absent]));
        Assert.Equal("weights\n", ContentFiles.ReadAll(store.OpenRead(hash)));
    }

    [Theory]
    [InlineData("../escape.txt")]
    [InlineData("/etc/passwd")]
    [InlineData("")]
    public void A_name_that_could_leave_the_run_is_refused(string name)
    {
        var store = CreateStore();
        Assert.Throws<InvalidNameException>(() => store.Put(LocalFile("x.txt", "x\n"), name));
    }
}

/// <summary>The artifact contract on the object cache, opened through <see cref="ArtifactStores"/> as the client opens it.</summary>
public sealed class CachedArtifactStoreTests : ArtifactStoreContract
{
    protected override IArtifactStore CreateStore() => ArtifactStores.Open(Path.Combine(Dir.Path, "stores", Guid.NewGuid().ToString("N")));

    [Fact]
    public void A_file_url_opens_the_cache_in_that_folder()
    {
        var root = Path.Combine(Dir.Path, "by-url");
        var store = ArtifactStores.Open(new Uri(root).AbsoluteUri);
        var hash = store.PutBytes("x"u8);
        Assert.True(new ObjectCache(root).Contains(hash));
    }
}
