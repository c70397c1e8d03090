using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;

namespace Borealis.PgWire.Protocol;

/// <summary>Outcome of reading one message from the client.</summary>
public enum ReadStatus
{
    Ok,
    /// <summary>The client closed the connection at a message boundary.</summary>
    EndOfStream,
    /// <summary>The client closed the connection in the middle of a message.</summary>
    Truncated,
    /// <summary>The length word is below the minimum (negative, or shorter than the header).</summary>
    BadLength,
    /// <summary>The length word exceeds the limit for this message type.</summary>
    TooLarge,
}

/// <summary>
/// Frames client messages out of a <see cref="PipeReader"/>. Each message body is copied into one
/// pooled buffer owned by this reader (valid until the next read) and consumed from the pipe at
/// once, so the pipe never has to hold a whole large message and its back-pressure threshold
/// stays small; the body buffer grows only as bytes actually arrive (a claimed 1 GB length costs
/// nothing until the data is sent). When no complete message is buffered the reader first flushes
/// <see cref="FlushBeforeWait"/> (everything the client may be waiting for) and drops its body
/// buffer, so an idle connection holds none. Malformed framing is reported as a status, never thrown.
/// </summary>
public sealed class MessageInput
{
    private const int RetainLimit = 64 * 1024;
    private PipeReader _reader;
    private byte[]? _buf;
    private int _len;

    public MessageInput(PipeReader reader) => _reader = reader;

    /// <summary>Type byte of the last message (0 for a startup packet).</summary>
    public byte Type { get; private set; }
    /// <summary>Length word of the last message header (also set when the read failed on it).</summary>
    public int DeclaredLength { get; private set; }
    public ReadOnlyMemory<byte> Body => _buf is null ? default : _buf.AsMemory(0, _len);
    public ReadOnlySpan<byte> BodySpan => _buf is null ? default : _buf.AsSpan(0, _len);
    public PgOutput? FlushBeforeWait { get; set; }

    internal void SetReader(PipeReader reader) => _reader = reader;

    /// <summary>Whether bytes beyond the last message are already buffered (checked after SSLRequest).</summary>
    public bool HasBufferedData()
    {
        if (!_reader.TryRead(out var r)) return false;
        bool any = !r.Buffer.IsEmpty;
        _reader.AdvanceTo(r.Buffer.Start);
        return any;
    }

    /// <summary>
    /// Header check shared by the reader and the fuzz tests. Startup packets are
    /// <c>int32 length | body</c> (length ≥ 8, ≤ <see cref="PgProtocol.MaxStartupPacketLength"/>);
    /// other messages are <c>type | int32 length | body</c> (4 ≤ length ≤ the type's limit, which
    /// like PostgreSQL's applies to the length word, i.e. body + 4).
    /// </summary>
    public static ReadStatus CheckHeader(ReadOnlySpan<byte> header, bool startup, int maxLength, out byte type, out int bodyLength)
    {
        type = startup ? (byte)0 : header[0];
        int length = BinaryPrimitives.ReadInt32BigEndian(header[(startup ? 0 : 1)..]);
        bodyLength = length - 4;
        if (startup)
        {
            if (length < 8) return ReadStatus.BadLength;
            if (length > PgProtocol.MaxStartupPacketLength) return ReadStatus.TooLarge;
            return ReadStatus.Ok;
        }
        if (length < PgProtocol.MinLength) return ReadStatus.BadLength;
        int limit = PgProtocol.IsSmallMessage(type) ? Math.Min(maxLength, PgProtocol.SmallMessageLimit) : maxLength;
        return length > limit ? ReadStatus.TooLarge : ReadStatus.Ok;
    }

    /// <summary>Reads the next message (or the startup packet when <paramref name="startup"/>); <paramref name="maxLength"/> bounds the length word.</summary>
    public async ValueTask<ReadStatus> ReadAsync(bool startup, int maxLength, CancellationToken ct)
    {
        if (_buf is not null && _buf.Length > RetainLimit) ReleaseBuffer();
        _len = 0;
        int headerSize = startup ? 4 : 5;
        int bodyLength;
        while (true)
        {
            if (!_reader.TryRead(out var result))
            {
                ReleaseBuffer();
                if (FlushBeforeWait is { } output)
                {
                    var f = await output.FlushAsync(ct);
                    if (f.IsCompleted) return ReadStatus.EndOfStream;
                }
                result = await _reader.ReadAsync(ct);
            }
            var buffer = result.Buffer;
            if (buffer.Length >= headerSize)
            {
                Span<byte> header = stackalloc byte[5];
                buffer.Slice(0, headerSize).CopyTo(header);
                var status = CheckHeader(header, startup, maxLength, out byte type, out bodyLength);
                Type = type;
                DeclaredLength = bodyLength + 4;
                _reader.AdvanceTo(status == ReadStatus.Ok ? buffer.GetPosition(headerSize) : buffer.Start);
                if (status != ReadStatus.Ok) return status;
                break;
            }
            if (result.IsCompleted || result.IsCanceled)
            {
                _reader.AdvanceTo(buffer.End);
                return buffer.IsEmpty ? ReadStatus.EndOfStream : ReadStatus.Truncated;
            }
            _reader.AdvanceTo(buffer.Start, buffer.End);
        }

        EnsureCapacity(Math.Min(bodyLength, 16 * 1024), bodyLength);
        int got = 0;
        while (got < bodyLength)
        {
            if (!_reader.TryRead(out var result)) result = await _reader.ReadAsync(ct);
            var buffer = result.Buffer;
            int take = (int)Math.Min(buffer.Length, bodyLength - got);
            if (take == 0)
            {
                _reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted || result.IsCanceled) return ReadStatus.Truncated;
                continue;
            }
            EnsureCapacity(got + take, bodyLength);
            buffer.Slice(0, take).CopyTo(_buf.AsSpan(got));
            got += take;
            _reader.AdvanceTo(buffer.GetPosition(take));
        }
        _len = bodyLength;
        return ReadStatus.Ok;
    }

    private void EnsureCapacity(int needed, int final)
    {
        if (_buf is not null && _buf.Length >= needed) return;
        int size = _buf is null ? Math.Max(needed, 256) : (int)Math.Min(final, Math.Max(needed, (long)_buf.Length * 2));
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(size, needed));
        if (_buf is not null)
        {
            _buf.AsSpan(0, Math.Min(_buf.Length, bigger.Length)).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_buf);
        }
        _buf = bigger;
    }

    /// <summary>Returns the body buffer to the pool (idle, or the connection is closing).</summary>
    public void ReleaseBuffer()
    {
        if (_buf is null) return;
        ArrayPool<byte>.Shared.Return(_buf);
        _buf = null;
        _len = 0;
    }
}
