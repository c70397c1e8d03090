using System.Buffers;
using System.Buffers.Binary;
using Borealis.PgWire.Protocol;
using Borealis.PgWire.Types;

namespace Borealis.PgWire.Backend;

/// <summary>
/// The parameter values of one Bind, copied out of the receive buffer into a pooled buffer owned by
/// the portal (valid until the portal is disposed). Values are decoded on demand according to each
/// parameter's format (text or binary) and type OID; a value that does not decode throws
/// <see cref="PgErrorException"/> with 22P02 (text) or 22P03 (binary).
/// </summary>
public sealed class PgParameters : IDisposable
{
    public static PgParameters Empty { get; } = new();

    private byte[] _data = [];
    private int[] _offsets = [];   // per parameter: offset into _data, or -1 for NULL
    private int[] _lengths = [];
    private PgFormat[] _formats = [];
    private uint[] _types = [];
    private int _count;

    public int Count => _count;

    internal void Load(in BindMessage bind, uint[] statementTypes)
    {
        int n = bind.ParameterCount;
        _count = n;
        Rent(ref _offsets, n);
        Rent(ref _lengths, n);
        if (_formats.Length < n) _formats = new PgFormat[Math.Max(n, 4)];
        if (_types.Length < n) _types = new uint[Math.Max(n, 4)];
        var raw = bind.ParametersRaw;
        if (_data.Length < raw.Length)
        {
            if (_data.Length > 0) ArrayPool<byte>.Shared.Return(_data);
            _data = ArrayPool<byte>.Shared.Rent(raw.Length);
        }
        raw.CopyTo(_data);
        int pos = 0;
        for (int i = 0; i < n; i++)
        {
            int len = BinaryPrimitives.ReadInt32BigEndian(raw[pos..]);
            pos += 4;
            _offsets[i] = len < 0 ? -1 : pos;
            _lengths[i] = Math.Max(len, 0);
            if (len > 0) pos += len;
            _formats[i] = FrontendMessages.FormatAt(bind.ParameterFormatsRaw, i);
            _types[i] = i < statementTypes.Length ? statementTypes[i] : PgOid.Unspecified;
        }
    }

    private static void Rent(ref int[] array, int n)
    {
        if (array.Length >= n) return;
        if (array.Length > 0) ArrayPool<int>.Shared.Return(array);
        array = ArrayPool<int>.Shared.Rent(Math.Max(n, 4));
    }

    public bool IsNull(int i) => _offsets[Check(i)] < 0;
    public PgFormat Format(int i) => _formats[Check(i)];
    public uint TypeOid(int i) => _types[Check(i)];

    /// <summary>The raw value bytes (empty for NULL).</summary>
    public ReadOnlySpan<byte> GetBytes(int i)
    {
        Check(i);
        return _offsets[i] < 0 ? default : _data.AsSpan(_offsets[i], _lengths[i]);
    }

    public long GetInt64(int i)
    {
        var b = NotNull(i);
        if (_formats[i] == PgFormat.Text)
            return PgCodec.TryParseInt64(b, out long v) ? v : throw Bad(i, "bigint");
        return b.Length switch
        {
            8 when _types[i] is PgOid.Float8 => checked((long)BinaryPrimitives.ReadDoubleBigEndian(b)),
            8 => BinaryPrimitives.ReadInt64BigEndian(b),
            4 when _types[i] is PgOid.Oid => BinaryPrimitives.ReadUInt32BigEndian(b),
            4 when _types[i] is PgOid.Float4 => checked((long)BinaryPrimitives.ReadSingleBigEndian(b)),
            4 => BinaryPrimitives.ReadInt32BigEndian(b),
            2 => BinaryPrimitives.ReadInt16BigEndian(b),
            _ when _types[i] is PgOid.Numeric && PgCodec.TryReadNumericBinary(b, out decimal d) => checked((long)d),
            _ => throw Bad(i, "bigint"),
        };
    }

    public int GetInt32(int i)
    {
        long v = GetInt64(i);
        return v is >= int.MinValue and <= int.MaxValue ? (int)v : throw new PgErrorException(PgSqlState.NumericValueOutOfRange, "integer out of range");
    }

    public short GetInt16(int i)
    {
        long v = GetInt64(i);
        return v is >= short.MinValue and <= short.MaxValue ? (short)v : throw new PgErrorException(PgSqlState.NumericValueOutOfRange, "smallint out of range");
    }

    public bool GetBool(int i)
    {
        var b = NotNull(i);
        if (_formats[i] == PgFormat.Text) return PgCodec.TryParseBool(b, out bool v) ? v : throw Bad(i, "boolean");
        return b.Length == 1 ? b[0] != 0 : throw Bad(i, "boolean");
    }

    public double GetDouble(int i)
    {
        var b = NotNull(i);
        if (_formats[i] == PgFormat.Text) return PgCodec.TryParseFloat8(b, out double v) ? v : throw Bad(i, "double precision");
        return _types[i] switch
        {
            PgOid.Float4 when b.Length == 4 => BinaryPrimitives.ReadSingleBigEndian(b),
            PgOid.Float8 when b.Length == 8 => BinaryPrimitives.ReadDoubleBigEndian(b),
            PgOid.Numeric => (double)GetDecimal(i),
            PgOid.Int2 or PgOid.Int4 or PgOid.Int8 => GetInt64(i),
            _ when b.Length == 8 => BinaryPrimitives.ReadDoubleBigEndian(b),
            _ => throw Bad(i, "double precision"),
        };
    }

    public decimal GetDecimal(int i)
    {
        var b = NotNull(i);
        if (_formats[i] == PgFormat.Text) return PgCodec.TryParseDecimal(b, out decimal v) ? v : throw Bad(i, "numeric");
        return _types[i] switch
        {
            PgOid.Int2 or PgOid.Int4 or PgOid.Int8 => GetInt64(i),
            PgOid.Float4 or PgOid.Float8 => (decimal)GetDouble(i),
            _ => PgCodec.TryReadNumericBinary(b, out decimal d) ? d : throw Bad(i, "numeric"),
        };
    }

    /// <summary>The value as a string: text format and text-like binary types are UTF-8; other binary types are rendered as text.</summary>
    public string? GetString(int i)
    {
        if (IsNull(i)) return null;
        var b = GetBytes(i);
        if (_formats[i] == PgFormat.Binary)
        {
            switch (_types[i])
            {
                case PgOid.Jsonb:
                    if (b.Length == 0 || b[0] != 1) throw Bad(i, "jsonb");
                    b = b[1..];
                    break;
                case PgOid.Int2 or PgOid.Int4 or PgOid.Int8 or PgOid.Oid: return GetInt64(i).ToString(System.Globalization.CultureInfo.InvariantCulture);
                case PgOid.Bool: return GetBool(i) ? "t" : "f";
                case PgOid.Uuid: return GetGuid(i).ToString();
                case PgOid.Float4 or PgOid.Float8: return GetDouble(i).ToString("R", System.Globalization.CultureInfo.InvariantCulture);
                case PgOid.Numeric: return GetDecimal(i).ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        return PgCodec.TryDecodeUtf8(b, out string s) ? s : throw new PgErrorException("22021", "invalid byte sequence for encoding \"UTF8\"");
    }

    public Guid GetGuid(int i)
    {
        var b = NotNull(i);
        if (_formats[i] == PgFormat.Text) return PgCodec.TryParseUuid(b, out var g) ? g : throw Bad(i, "uuid");
        return b.Length == 16 ? PgCodec.ReadUuid(b) : throw Bad(i, "uuid");
    }

    public DateOnly GetDate(int i)
    {
        var b = NotNull(i);
        if (_formats[i] == PgFormat.Text) return PgCodec.TryParseDate(b, out var d) ? d : throw Bad(i, "date");
        return b.Length == 4 && PgCodec.TryFromPgDate(BinaryPrimitives.ReadInt32BigEndian(b), out var bd) ? bd : throw Bad(i, "date");
    }

    /// <summary>A timestamp or timestamptz; timestamptz values come back as UTC, timestamp values as Unspecified.</summary>
    public DateTime GetTimestamp(int i)
    {
        var b = NotNull(i);
        var kind = _types[i] == PgOid.Timestamp ? DateTimeKind.Unspecified : DateTimeKind.Utc;
        if (_formats[i] == PgFormat.Text)
            return PgCodec.TryParseTimestamp(b, out var t) ? DateTime.SpecifyKind(t, kind) : throw Bad(i, "timestamp");
        return b.Length == 8 ? PgCodec.FromPgTimestamp(BinaryPrimitives.ReadInt64BigEndian(b), kind) : throw Bad(i, "timestamp");
    }

    /// <summary>A bytea value; binary format is the raw bytes, text format is hex (\x..) or escape format.</summary>
    public byte[] GetBytea(int i)
    {
        var b = NotNull(i);
        if (_formats[i] == PgFormat.Binary) return b.ToArray();
        return PgCodec.TryParseBytea(b, out var v) ? v : throw Bad(i, "bytea");
    }

    private ReadOnlySpan<byte> NotNull(int i)
    {
        if (IsNull(i)) throw new PgErrorException("22004", $"parameter ${i + 1} is null");
        return GetBytes(i);
    }

    private int Check(int i)
    {
        if ((uint)i >= (uint)_count) throw new ArgumentOutOfRangeException(nameof(i), $"parameter index {i} of {_count}");
        return i;
    }

    private PgErrorException Bad(int i, string type) => _formats[i] == PgFormat.Text
        ? new PgErrorException(PgSqlState.InvalidTextRepresentation, $"invalid input syntax for type {type} in parameter ${i + 1}")
        : new PgErrorException(PgSqlState.InvalidBinaryRepresentation, $"incorrect binary data format in bind parameter {i + 1}");

    /// <summary>Returns the pooled buffers. The static <see cref="Empty"/> instance is never disposed.</summary>
    public void Dispose()
    {
        if (ReferenceEquals(this, Empty)) return;
        if (_data.Length > 0) ArrayPool<byte>.Shared.Return(_data);
        if (_offsets.Length > 0) ArrayPool<int>.Shared.Return(_offsets);
        if (_lengths.Length > 0) ArrayPool<int>.Shared.Return(_lengths);
        _data = [];
        _offsets = [];
        _lengths = [];
        _count = 0;
    }
}
