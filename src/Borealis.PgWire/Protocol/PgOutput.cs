using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Text;
using Borealis.PgWire.Backend;

namespace Borealis.PgWire.Protocol;

/// <summary>
/// The outgoing side of one session: backend messages are written length-first into one pooled,
/// contiguous buffer (type byte, a reserved length word patched when the message ends, body), and
/// the buffer is handed to the transport's <see cref="PipeWriter"/> in batches: when it passes
/// <see cref="FlushThreshold"/> at a message boundary, or when the protocol needs the client to see
/// what was written (ReadyForQuery, Flush, CopyInResponse...).
/// Ownership: used only by the session's own task. The buffer is rented on first write and returned
/// on every flush, so an idle session holds no output buffer.
/// Back-pressure: <see cref="FlushAsync"/> awaits the pipe, which pauses while the send loop cannot
/// keep up with the socket.
/// </summary>
public sealed class PgOutput
{
    public const int FlushThreshold = 32 * 1024;
    private const int InitialSize = 8 * 1024;

    private readonly PipeWriter _pipe;
    private byte[]? _buf;
    private int _pos;
    private int _messageStart = -1;

    public PgOutput(PipeWriter pipe) => _pipe = pipe;

    /// <summary>Bytes written and not yet handed to the pipe.</summary>
    public int Buffered => _pos;
    public bool ShouldFlush => _pos >= FlushThreshold && _messageStart < 0;

    // ---- framing ----

    /// <summary>Starts a message: writes the type byte and reserves the length word.</summary>
    public void Begin(byte code)
    {
        if (_messageStart >= 0) ThrowNested();
        Ensure(PgProtocol.HeaderSize);
        _messageStart = _pos;
        _buf![_pos] = code;
        _pos += PgProtocol.HeaderSize;
    }

    /// <summary>Ends the current message by patching its length word.</summary>
    public void End()
    {
        int start = _messageStart;
        BinaryPrimitives.WriteInt32BigEndian(_buf.AsSpan(start + 1), _pos - start - 1);
        _messageStart = -1;
    }

    /// <summary>Drops the message being written (e.g. a DataRow abandoned by an error mid-row).</summary>
    public void Abandon()
    {
        if (_messageStart < 0) return;
        _pos = _messageStart;
        _messageStart = -1;
    }

    public bool InMessage => _messageStart >= 0;

    /// <summary>A span of at least <paramref name="size"/> bytes at the write position; call <see cref="Advance"/> after filling it.</summary>
    public Span<byte> GetSpan(int size)
    {
        Ensure(size);
        return _buf.AsSpan(_pos);
    }

    public void Advance(int count) => _pos += count;

    /// <summary>Overwrites an int32 at an absolute buffer position (used for per-column length words).</summary>
    public void PatchInt32(int position, int value) => BinaryPrimitives.WriteInt32BigEndian(_buf.AsSpan(position), value);

    public int Position => _pos;

    // ---- primitives ----

    public void WriteByte(byte value)
    {
        Ensure(1);
        _buf![_pos++] = value;
    }

    public void WriteInt16(short value)
    {
        Ensure(2);
        BinaryPrimitives.WriteInt16BigEndian(_buf.AsSpan(_pos), value);
        _pos += 2;
    }

    public void WriteInt32(int value)
    {
        Ensure(4);
        BinaryPrimitives.WriteInt32BigEndian(_buf.AsSpan(_pos), value);
        _pos += 4;
    }

    public void WriteInt64(long value)
    {
        Ensure(8);
        BinaryPrimitives.WriteInt64BigEndian(_buf.AsSpan(_pos), value);
        _pos += 8;
    }

    public void WriteBytes(ReadOnlySpan<byte> value)
    {
        Ensure(value.Length);
        value.CopyTo(_buf.AsSpan(_pos));
        _pos += value.Length;
    }

    /// <summary>UTF-8 bytes of the string, without a terminator.</summary>
    public int WriteUtf8(ReadOnlySpan<char> value)
    {
        Ensure(Encoding.UTF8.GetMaxByteCount(value.Length));
        int n = Encoding.UTF8.GetBytes(value, _buf.AsSpan(_pos));
        _pos += n;
        return n;
    }

    /// <summary>A NUL-terminated string. NULs inside the value are dropped (the protocol cannot carry them).</summary>
    public void WriteCString(ReadOnlySpan<char> value)
    {
        if (value.Contains('\0'))
        {
            foreach (var part in value.ToString().Split('\0')) WriteUtf8(part);
        }
        else
        {
            WriteUtf8(value);
        }
        WriteByte(0);
    }

    public void WriteCString(ReadOnlySpan<byte> utf8)
    {
        WriteBytes(utf8);
        WriteByte(0);
    }

    // ---- whole messages ----

    public void WriteEmpty(byte code)
    {
        Begin(code);
        End();
    }

    public void WriteAuthentication(AuthenticationCode code, ReadOnlySpan<byte> data = default)
    {
        Begin(BackendCode.Authentication);
        WriteInt32((int)code);
        WriteBytes(data);
        End();
    }

    public void WriteParameterStatus(string name, string value)
    {
        Begin(BackendCode.ParameterStatus);
        WriteCString(name);
        WriteCString(value);
        End();
    }

    public void WriteBackendKeyData(int processId, int secretKey)
    {
        Begin(BackendCode.BackendKeyData);
        WriteInt32(processId);
        WriteInt32(secretKey);
        End();
    }

    public void WriteReadyForQuery(PgTransactionStatus status)
    {
        Begin(BackendCode.ReadyForQuery);
        WriteByte((byte)status);
        End();
    }

    public void WriteCommandComplete(ReadOnlySpan<char> tag)
    {
        Begin(BackendCode.CommandComplete);
        WriteCString(tag);
        End();
    }

    /// <summary>CommandComplete with a "TAG n" or "INSERT 0 n" tag, formatted without allocating.</summary>
    public void WriteCommandComplete(ReadOnlySpan<char> verb, long rows)
    {
        Begin(BackendCode.CommandComplete);
        WriteUtf8(verb);
        WriteByte((byte)' ');
        if (verb.SequenceEqual("INSERT")) { WriteByte((byte)'0'); WriteByte((byte)' '); }
        Ensure(20);
        System.Buffers.Text.Utf8Formatter.TryFormat(rows, _buf.AsSpan(_pos), out int n);
        _pos += n;
        WriteByte(0);
        End();
    }

    public void WriteError(PgError error, bool notice = false)
    {
        Begin(notice ? BackendCode.NoticeResponse : BackendCode.ErrorResponse);
        string sev = PgError.SeverityText(error.Severity);
        Field(ErrorField.Severity, sev);
        Field(ErrorField.SeverityNonLocalized, sev);
        Field(ErrorField.Code, error.Code);
        Field(ErrorField.Message, error.Message);
        Field(ErrorField.Detail, error.Detail);
        Field(ErrorField.Hint, error.Hint);
        if (error.Position > 0)
        {
            WriteByte(ErrorField.Position);
            Span<char> digits = stackalloc char[12];
            error.Position.TryFormat(digits, out int n, default, System.Globalization.CultureInfo.InvariantCulture);
            WriteCString(digits[..n]);
        }
        Field(ErrorField.Where, error.Where);
        Field(ErrorField.Schema, error.Schema);
        Field(ErrorField.Table, error.Table);
        Field(ErrorField.Column, error.Column);
        Field(ErrorField.Constraint, error.Constraint);
        Field(ErrorField.Routine, error.Routine);
        WriteByte(0);
        End();
    }

    private void Field(byte code, string? value)
    {
        if (value is null) return;
        WriteByte(code);
        WriteCString(value);
    }

    public void WriteParameterDescription(ReadOnlySpan<uint> oids)
    {
        Begin(BackendCode.ParameterDescription);
        WriteInt16((short)oids.Length);
        foreach (uint oid in oids) WriteInt32((int)oid);
        End();
    }

    /// <summary>RowDescription; format per column from the Bind result-format array (0/1/n convention), or text when empty.</summary>
    public void WriteRowDescription(ReadOnlySpan<PgColumn> columns, ReadOnlySpan<byte> resultFormatsRaw)
    {
        Begin(BackendCode.RowDescription);
        WriteInt16((short)columns.Length);
        for (int i = 0; i < columns.Length; i++)
        {
            ref readonly var c = ref columns[i];
            WriteCString(c.Name);
            WriteInt32((int)c.TableOid);
            WriteInt16(c.ColumnNumber);
            WriteInt32((int)c.TypeOid);
            WriteInt16(c.TypeSize);
            WriteInt32(c.TypeModifier);
            WriteInt16((short)FrontendMessages.FormatAt(resultFormatsRaw, i));
        }
        End();
    }

    public void WriteCopyResponse(byte code, PgFormat overall, int columns)
    {
        Begin(code);
        WriteByte((byte)overall);
        WriteInt16((short)columns);
        for (int i = 0; i < columns; i++) WriteInt16((short)overall);
        End();
    }

    public void WriteNegotiateProtocolVersion(int newestMinor, IReadOnlyList<string> unsupported)
    {
        Begin(BackendCode.NegotiateProtocolVersion);
        WriteInt32(newestMinor);
        WriteInt32(unsupported.Count);
        foreach (var o in unsupported) WriteCString(o);
        End();
    }

    // ---- flushing ----

    /// <summary>Hands every complete message to the pipe and waits for the pipe's back-pressure.</summary>
    public ValueTask<FlushResult> FlushAsync(CancellationToken ct = default)
    {
        if (_messageStart >= 0) ThrowNested();
        if (_buf is not null)
        {
            if (_pos > 0)
            {
                // One contiguous pipe segment per flush, so the send loop writes it with one syscall.
                _buf.AsSpan(0, _pos).CopyTo(_pipe.GetSpan(_pos));
                _pipe.Advance(_pos);
            }
            ArrayPool<byte>.Shared.Return(_buf);
            _buf = null;
            _pos = 0;
        }
        return _pipe.FlushAsync(ct);
    }

    /// <summary>Flushes only when enough is buffered to be worth a write; completes synchronously otherwise.</summary>
    public ValueTask<FlushResult> FlushIfFullAsync(CancellationToken ct = default) =>
        ShouldFlush ? FlushAsync(ct) : new ValueTask<FlushResult>(default(FlushResult));

    /// <summary>Returns the buffer without sending (connection is going away).</summary>
    public void Discard()
    {
        if (_buf is not null) ArrayPool<byte>.Shared.Return(_buf);
        _buf = null;
        _pos = 0;
        _messageStart = -1;
    }

    private void Ensure(int count)
    {
        if (_buf is null)
        {
            _buf = ArrayPool<byte>.Shared.Rent(Math.Max(InitialSize, count));
            return;
        }
        if (_buf.Length - _pos >= count) return;
        Grow(count);
    }

    private void Grow(int count)
    {
        long needed = (long)_pos + count;
        if (needed > Array.MaxLength) throw new InvalidOperationException("backend message exceeds the largest buffer");
        var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min(Array.MaxLength, Math.Max(needed, (long)_buf!.Length * 2)));
        _buf.AsSpan(0, _pos).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buf);
        _buf = bigger;
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowNested() => throw new InvalidOperationException("a backend message is already being written");
}
