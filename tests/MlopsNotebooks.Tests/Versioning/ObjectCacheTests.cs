using System.Security.Cryptography;
using System.Text;
using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Versioning;

namespace MlopsNotebooks.Tests.Versioning;

public sealed class ObjectCacheTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly ObjectCache _cache;

    public ObjectCacheTests() => _cache = new ObjectCache(_dir.File("cache"));

    public void Dispose() => _dir.Dispose();

    private string SourceFile(byte[] content)
    {
        var path = _dir.File($"{Guid.NewGuid():N}.bin");
        File.WriteAllBytes(path, content);
        return path;
    }

    [Fact]
    public void An_object_is_named_by_its_sha256_under_a_two_character_fan_out_and_is_read_only()
    {
        var content = Encoding.UTF8.GetBytes("hello, cache");
        var hash = _cache.AddCopy(SourceFile(content));
        var hex = Convert.ToHexString(SHA256.HashData(content)).ToLowerInvariant();
        Assert.Equal($"sha256:{hex}", hash.ToString());
        var path = _cache.PathOf(hash);
        Assert.Equal(Path.Combine(_cache.Root, "objects", "sha256", hex[..2], hex[2..]), path);
        Assert.Equal(content, File.ReadAllBytes(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(path));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_cache.Root, "tmp")));
    }

    [Fact]
    public void Adding_the_same_content_twice_keeps_the_first_object()
    {
        var content = RandomNumberGenerator.GetBytes(100_000);
        var first = _cache.AddCopy(SourceFile(content));
        var written = File.GetLastWriteTimeUtc(_cache.PathOf(first));
        Thread.Sleep(20);
        var second = _cache.AddCopy(SourceFile(content));
        Assert.Equal(first, second);
        Assert.Equal(written, File.GetLastWriteTimeUtc(_cache.PathOf(first)));
        Assert.Single(_cache.List());
    }

    [Fact]
    public void A_flipped_byte_is_detected_on_read_and_the_object_is_never_used()
    {
        var hash = _cache.AddCopy(SourceFile(RandomNumberGenerator.GetBytes(50_000)));
        Corruption.FlipByte(_cache.PathOf(hash), 1234);

        using (var stream = _cache.OpenRead(hash))
        {
            var error = Assert.Throws<CorruptObjectException>(() => stream.CopyTo(Stream.Null));
            Assert.Equal(hash, error.Expected);
            Assert.Contains("mlops data pull", error.Hint);
        }
        Assert.Throws<CorruptObjectException>(() => _cache.Verify(hash));
        Assert.False(_cache.Contains(hash)); // moved aside, so nothing picks it up again
        Assert.Single(Directory.EnumerateFiles(Path.Combine(_cache.Root, "corrupt")));
    }

    [Fact]
    public void A_copy_that_fails_leaves_no_object_and_no_temporary_file()
    {
        var source = SourceFile(RandomNumberGenerator.GetBytes(3 << 20));
        // Hold the source open for writing with no sharing: the copy cannot read it.
        using (new FileStream(source, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
        {
            Assert.ThrowsAny<IOException>(() => _cache.AddCopy(source));
        }
        Assert.Empty(_cache.List());
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_cache.Root, "tmp")));
    }

    [Fact]
    public void A_leftover_temporary_file_from_an_interrupted_write_is_never_taken_for_an_object()
    {
        var content = RandomNumberGenerator.GetBytes(10_000);
        File.WriteAllBytes(_cache.NewTempPath(), content[..5000]); // as a killed process would leave it
        Assert.Empty(_cache.List());
        var hash = _cache.AddCopy(SourceFile(content));
        Assert.Equal(content, _cache.ReadAllBytes(hash));
    }

    [Fact]
    public void Hashes_are_parsed_strictly()
    {
        Assert.True(ContentHash.TryParse("sha256:" + new string('a', 64), out _));
        Assert.False(ContentHash.TryParse("sha256:" + new string('A', 64), out _));
        Assert.False(ContentHash.TryParse("md5:" + new string('a', 32), out _));
        Assert.False(ContentHash.TryParse("sha256:../../etc/passwd", out _));
        Assert.Throws<MlopsException>(() => ContentHash.Parse("nonsense"));
    }
}
