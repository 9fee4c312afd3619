using System.Security.Cryptography;

namespace MlopsNotebooks.Versioning;

/// <summary>Hashes what passes through and, at the end, refuses content that does not match its name.</summary>
internal sealed class VerifyingStream(Stream inner, ContentHash expected, string location) : Stream
{
    private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private bool _checked;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = inner.Read(buffer);
        if (read > 0)
        {
            _sha.AppendData(buffer[..read]);
        }
        else if (!_checked && buffer.Length > 0)
        {
            _checked = true;
            var actual = ContentHash.FromSha256(_sha.GetHashAndReset());
            if (actual != expected)
            {
                throw new CorruptObjectException(expected, actual, location);
            }
        }
        return read;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => inner.Length;
    public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
            _sha.Dispose();
        }
        base.Dispose(disposing);
    }
}
