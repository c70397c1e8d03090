using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Text;
using Borealis.PgWire.Protocol;
using Borealis.PgWire.Types;

namespace Borealis.PgWire.Backend;

/// <summary>
/// Writes DataRow messages for the portal being executed, straight into the session's output
/// buffer: <c>BeginRow(); Write…() once per column; EndRow();</c> Each Write encodes the value in
/// the column's negotiated format (text or binary, from Bind) for the column's declared type OID,
/// converting between numeric types where PostgreSQL would (an int written to a numeric column is
/// sent as numeric). Nothing here allocates. Rows accumulate in the output buffer; await
/// <see cref="FlushIfFullAsync"/> between rows so a large result streams with back-pressure
/// instead of growing the buffer.
/// Writing the wrong number of columns, or a string to a binary non-text column, is a handler bug
/// and throws InvalidOperationException.
/// </summary>
public sealed class PgRowWriter
{
    private readonly PgOutput _out;
    private uint[] _types = new uint[16];
    private PgFormat[] _formats = new PgFormat[16];
    private int _columns;
    private int _col = -1;

    internal PgRowWriter(PgOutput output) => _out = output;

    /// <summary>Rows completed since the portal execution began.</summary>
    public long RowsWritten { get; private set; }
    public int ColumnCount => _columns;
    public PgFormat ColumnFormat(int i) => _formats[i];
    public uint ColumnType(int i) => _types[i];

    internal void Configure(PgColumn[]? columns, ReadOnlySpan<byte> resultFormatsRaw)
    {
        _columns = columns?.Length ?? 0;
        if (_types.Length < _columns)
        {
            _types = new uint[_columns];
            _formats = new PgFormat[_columns];
        }
        for (int i = 0; i < _columns; i++)
        {
            _types[i] = columns![i].TypeOid;
            _formats[i] = FrontendMessages.FormatAt(resultFormatsRaw, i);
        }
        _col = -1;
        RowsWritten = 0;
    }

    internal void AbandonRow()
    {
        if (_col >= 0) _out.Abandon();
        _col = -1;
    }

    public void BeginRow()
    {
        if (_col >= 0) ThrowState("BeginRow inside a row");
        _out.Begin(BackendCode.DataRow);
        _out.WriteInt16((short)_columns);
        _col = 0;
    }

    public void EndRow()
    {
        if (_col != _columns) ThrowState($"row has {_col} of {_columns} columns");
        _out.End();
        _col = -1;
        RowsWritten++;
    }

    /// <summary>Sends buffered rows once enough have accumulated; completes synchronously otherwise.</summary>
    public ValueTask FlushIfFullAsync(CancellationToken ct = default)
    {
        if (!_out.ShouldFlush) return ValueTask.CompletedTask;
        var t = _out.FlushAsync(ct);
        if (t.IsCompletedSuccessfully) return CheckFlush(t.Result);
        return AwaitFlush(t);
    }

    private static async ValueTask AwaitFlush(ValueTask<FlushResult> t) => await CheckFlush(await t);

    internal static ValueTask CheckFlush(FlushResult r) =>
        r.IsCompleted || r.IsCanceled ? ValueTask.FromException(new IOException("client connection closed")) : ValueTask.CompletedTask;

    public void WriteNull()
    {
        Next();
        _out.WriteInt32(-1);
    }

    public void WriteBool(bool value)
    {
        var f = Next();
        var s = Value(1);
        if (f == PgFormat.Binary) s[0] = value ? (byte)1 : (byte)0;
        else PgCodec.FormatBool(value, s);
        Commit(1);
    }

    public void WriteInt16(short value) => WriteInt64(value);
    public void WriteInt32(int value) => WriteInt64(value);

    public void WriteInt64(long value)
    {
        var f = Next();
        uint t = _types[_col - 1];
        if (f == PgFormat.Binary)
        {
            switch (t)
            {
                case PgOid.Int2: BinaryPrimitives.WriteInt16BigEndian(Value(2), (short)value); Commit(2); return;
                case PgOid.Int4 or PgOid.Oid: BinaryPrimitives.WriteInt32BigEndian(Value(4), (int)value); Commit(4); return;
                case PgOid.Int8: BinaryPrimitives.WriteInt64BigEndian(Value(8), value); Commit(8); return;
                case PgOid.Float4: BinaryPrimitives.WriteSingleBigEndian(Value(4), value); Commit(4); return;
                case PgOid.Float8: BinaryPrimitives.WriteDoubleBigEndian(Value(8), value); Commit(8); return;
                case PgOid.Numeric: Commit(PgCodec.WriteNumericBinary(value, Value(PgCodec.MaxDecimalBinary))); return;
                default: if (!IsTextLike(t)) ThrowBinary(t); break;
            }
        }
        Commit(PgCodec.FormatInt64(value, Value(PgCodec.MaxInt64Text)));
    }

    public void WriteFloat4(float value)
    {
        if (_col >= 0 && _col < _columns && _types[_col] == PgOid.Float4)
        {
            var f = Next();
            if (f == PgFormat.Binary) { BinaryPrimitives.WriteSingleBigEndian(Value(4), value); Commit(4); }
            else Commit(PgCodec.FormatFloat4(value, Value(PgCodec.MaxFloatText)));
            return;
        }
        WriteFloat8(value);
    }

    public void WriteFloat8(double value)
    {
        var f = Next();
        uint t = _types[_col - 1];
        if (f == PgFormat.Binary)
        {
            switch (t)
            {
                case PgOid.Float4: BinaryPrimitives.WriteSingleBigEndian(Value(4), (float)value); Commit(4); return;
                case PgOid.Float8: BinaryPrimitives.WriteDoubleBigEndian(Value(8), value); Commit(8); return;
                case PgOid.Numeric: Commit(PgCodec.WriteNumericBinary((decimal)value, Value(PgCodec.MaxDecimalBinary))); return;
                default: if (!IsTextLike(t)) ThrowBinary(t); break;
            }
        }
        Commit(t == PgOid.Float4
            ? PgCodec.FormatFloat4((float)value, Value(PgCodec.MaxFloatText))
            : PgCodec.FormatFloat8(value, Value(PgCodec.MaxFloatText)));
    }

    public void WriteDecimal(decimal value)
    {
        var f = Next();
        uint t = _types[_col - 1];
        if (f == PgFormat.Binary)
        {
            switch (t)
            {
                case PgOid.Numeric: Commit(PgCodec.WriteNumericBinary(value, Value(PgCodec.MaxDecimalBinary))); return;
                case PgOid.Float8: BinaryPrimitives.WriteDoubleBigEndian(Value(8), (double)value); Commit(8); return;
                case PgOid.Float4: BinaryPrimitives.WriteSingleBigEndian(Value(4), (float)value); Commit(4); return;
                case PgOid.Int8: BinaryPrimitives.WriteInt64BigEndian(Value(8), (long)value); Commit(8); return;
                case PgOid.Int4: BinaryPrimitives.WriteInt32BigEndian(Value(4), (int)value); Commit(4); return;
                case PgOid.Int2: BinaryPrimitives.WriteInt16BigEndian(Value(2), (short)value); Commit(2); return;
                default: if (!IsTextLike(t)) ThrowBinary(t); break;
            }
        }
        Commit(PgCodec.FormatDecimal(value, Value(PgCodec.MaxDecimalText)));
    }

    /// <summary>A string value: text format for any type (the string is the value's text form), binary only for text-like types.</summary>
    public void WriteText(ReadOnlySpan<char> value)
    {
        var f = Next();
        uint t = _types[_col - 1];
        int prefix = 0;
        if (f == PgFormat.Binary)
        {
            if (t == PgOid.Jsonb) prefix = 1;
            else if (!IsTextLike(t)) ThrowBinary(t);
        }
        var s = Value(prefix + Encoding.UTF8.GetMaxByteCount(value.Length));
        if (prefix == 1) s[0] = 1;
        Commit(prefix + Encoding.UTF8.GetBytes(value, s[prefix..]));
    }

    /// <summary>A string value already encoded as UTF-8; same format rules as <see cref="WriteText"/>.</summary>
    public void WriteUtf8(ReadOnlySpan<byte> value)
    {
        var f = Next();
        uint t = _types[_col - 1];
        int prefix = 0;
        if (f == PgFormat.Binary)
        {
            if (t == PgOid.Jsonb) prefix = 1;
            else if (!IsTextLike(t)) ThrowBinary(t);
        }
        var s = Value(prefix + value.Length);
        if (prefix == 1) s[0] = 1;
        value.CopyTo(s[prefix..]);
        Commit(prefix + value.Length);
    }

    public void WriteBytea(ReadOnlySpan<byte> value)
    {
        var f = Next();
        if (f == PgFormat.Binary)
        {
            value.CopyTo(Value(value.Length));
            Commit(value.Length);
            return;
        }
        Commit(PgCodec.FormatByteaHex(value, Value(2 + 2 * value.Length)));
    }

    public void WriteUuid(Guid value)
    {
        var f = Next();
        if (f == PgFormat.Binary) { PgCodec.WriteUuid(value, Value(16)); Commit(16); return; }
        Commit(PgCodec.FormatUuid(value, Value(PgCodec.UuidText)));
    }

    public void WriteDate(DateOnly value)
    {
        var f = Next();
        if (f == PgFormat.Binary) { BinaryPrimitives.WriteInt32BigEndian(Value(4), PgCodec.ToPgDate(value)); Commit(4); return; }
        Commit(PgCodec.FormatDate(value, Value(PgCodec.MaxDateText)));
    }

    /// <summary>A timestamp (timestamp column: wall-clock value as given) or timestamptz (Local is converted to UTC).</summary>
    public void WriteTimestamp(DateTime value)
    {
        var f = Next();
        uint t = _types[_col - 1];
        bool tz = t == PgOid.Timestamptz;
        if (tz && value.Kind == DateTimeKind.Local) value = value.ToUniversalTime();
        if (f == PgFormat.Binary) { BinaryPrimitives.WriteInt64BigEndian(Value(8), PgCodec.ToPgTimestamp(value)); Commit(8); return; }
        Commit(PgCodec.FormatTimestamp(value, tz, Value(PgCodec.MaxTimestampText)));
    }

    /// <summary>A value already encoded in the column's format (escape hatch for types without a writer here).</summary>
    public void WriteRaw(ReadOnlySpan<byte> encoded)
    {
        Next();
        encoded.CopyTo(Value(encoded.Length));
        Commit(encoded.Length);
    }

    // Column protocol: Next() claims the column; Value(max) reserves length word + max bytes;
    // Commit(n) writes the length word and advances past the n bytes actually used.
    private PgFormat Next()
    {
        if (_col < 0) ThrowState("write outside BeginRow/EndRow");
        if (_col >= _columns) ThrowState($"more than {_columns} columns");
        return _formats[_col++];
    }

    private Span<byte> Value(int max) => _out.GetSpan(4 + max)[4..];

    private void Commit(int n)
    {
        BinaryPrimitives.WriteInt32BigEndian(_out.GetSpan(4 + n), n);
        _out.Advance(4 + n);
    }

    internal static bool IsTextLike(uint oid) => oid is PgOid.Text or PgOid.Varchar or PgOid.Bpchar or PgOid.Name or PgOid.Json
        or PgOid.Unknown or PgOid.Xml or PgOid.Char or PgOid.Unspecified or PgOid.Refcursor;

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowState(string what) => throw new InvalidOperationException($"row writer: {what}");

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowBinary(uint oid) => throw new InvalidOperationException($"row writer: no binary encoding of this value for type OID {oid}");
}
