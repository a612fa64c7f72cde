namespace GanDsl.Runtime.Tests;

/// <summary>Passes writes through until a byte budget is spent, then throws, as a full disk or a crash would.</summary>
internal sealed class FailingStream(Stream inner, long failAfterBytes) : Stream
{
    private long _written;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _written; set => throw new NotSupportedException(); }
    public override void Flush() => inner.Flush();
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (_written + buffer.Length > failAfterBytes)
        {
            var allowed = (int)(failAfterBytes - _written);
            inner.Write(buffer[..allowed]);
            _written += allowed;
            throw new IOException("simulated failure midway through the write");
        }
        inner.Write(buffer);
        _written += buffer.Length;
    }
}
