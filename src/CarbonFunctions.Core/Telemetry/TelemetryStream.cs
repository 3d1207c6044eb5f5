namespace CarbonFunctions.Core.Telemetry;

/// <summary>
/// Read-only forward stream over an upload that keeps the first bytes for format detection (without
/// needing a seekable source) and remembers how the content ended: a file cut by <c>kill -9</c> ends
/// without a newline or in NUL bytes, and its last line must not be trusted.
/// </summary>
internal sealed class TelemetryStream(Stream inner, byte[] prefix, int prefixLength) : ForwardReadStream
{
    private int _prefixPosition;

    /// <summary>The last byte that was not NUL, or -1 when none was read.</summary>
    public int LastNonNulByte { get; private set; } = -1;

    public bool SawNul { get; private set; }

    /// <summary>True when the content (ignoring a NUL tail) ends with a line feed.</summary>
    public bool EndedWithNewline => LastNonNulByte == '\n';

    public static TelemetryStream Open(Stream inner, int peekBytes)
    {
        var prefix = new byte[peekBytes];
        var length = 0;
        while (length < prefix.Length)
        {
            var read = inner.Read(prefix.AsSpan(length));
            if (read == 0)
            {
                break;
            }

            length += read;
        }

        return new TelemetryStream(inner, prefix, length);
    }

    public ReadOnlySpan<byte> Prefix => prefix.AsSpan(0, prefixLength);

    public override int Read(Span<byte> buffer)
    {
        int read;
        if (_prefixPosition < prefixLength)
        {
            read = Math.Min(buffer.Length, prefixLength - _prefixPosition);
            prefix.AsSpan(_prefixPosition, read).CopyTo(buffer);
            _prefixPosition += read;
        }
        else
        {
            read = inner.Read(buffer);
        }

        Observe(buffer[..read]);
        return read;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_prefixPosition < prefixLength)
        {
            return Read(buffer.Span);
        }

        var read = await inner.ReadAsync(buffer, cancellationToken);
        Observe(buffer.Span[..read]);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();


    private void Observe(ReadOnlySpan<byte> chunk)
    {
        var last = chunk.LastIndexOfAnyExcept((byte)0);
        if (last >= 0)
        {
            LastNonNulByte = chunk[last];
        }

        if (!SawNul && chunk.Contains((byte)0))
        {
            SawNul = true;
        }
    }
}
