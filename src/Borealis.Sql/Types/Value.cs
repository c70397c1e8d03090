using System.Globalization;
using System.Text;
using Borealis.PgWire.Backend;
using Borealis.PgWire.Types;

namespace Borealis.Sql.Types;

/// <summary>
/// One SQL value: a tagged struct (no boxing for numbers, dates, booleans). Integers, dates (days
/// since 2000-01-01) and timestamps (microseconds since 2000-01-01) live in the long; floats in
/// the double; numeric in a System.Decimal (28-29 significant digits: an exact-decimal stand-in for
/// PostgreSQL's arbitrary precision, overflow raises 22003); strings as .NET strings; bytea as
/// byte[]; uuid as a boxed Guid. <see cref="TypeId.Unknown"/> with no payload is NULL.
/// </summary>
public readonly struct Value
{
    private readonly long _i;
    private readonly double _f;
    private readonly decimal _d;
    private readonly object? _o;
    private readonly bool _notNull;

    public TypeId Type { get; }

    private Value(TypeId type, long i = 0, double f = 0, decimal d = 0, object? o = null)
    {
        Type = type;
        _i = i;
        _f = f;
        _d = d;
        _o = o;
        _notNull = true;
    }

    public static readonly Value Null;

    public bool IsNull => !_notNull;
    public long Int => _i;
    public double Float => _f;
    public decimal Decimal => _d;
    public string Str => (string)_o!;
    public byte[] Bytes => (byte[])_o!;
    public Guid Guid => (Guid)_o!;
    public bool Bool => _i != 0;

    public static Value FromBool(bool b) => new(TypeId.Bool, b ? 1 : 0);
    public static Value FromInt2(long v) => new(TypeId.Int2, v);
    public static Value FromInt4(long v) => new(TypeId.Int4, v);
    public static Value FromInt8(long v) => new(TypeId.Int8, v);
    public static Value FromInt(TypeId t, long v) => new(t, v);
    public static Value FromFloat4(double v) => new(TypeId.Float4, f: (float)v);
    public static Value FromFloat8(double v) => new(TypeId.Float8, f: v);
    public static Value FromNumeric(decimal v) => new(TypeId.Numeric, d: v);
    public static Value FromText(string s) => new(TypeId.Text, o: s);
    public static Value FromString(TypeId t, string s) => new(t, o: s);
    public static Value FromUnknown(string s) => new(TypeId.Unknown, o: s);
    public static Value FromBytea(byte[] b) => new(TypeId.Bytea, o: b);
    public static Value FromDate(int days) => new(TypeId.Date, days);
    public static Value FromTimestamp(TypeId t, long micros) => new(t, micros);
    public static Value FromUuid(Guid g) => new(TypeId.Uuid, o: g);

    public override string ToString() => IsNull ? "NULL" : ToText();

    /// <summary>PostgreSQL's text output format.</summary>
    public string ToText()
    {
        switch (Type)
        {
            case TypeId.Bool: return Bool ? "t" : "f";
            case TypeId.Int2 or TypeId.Int4 or TypeId.Int8 or TypeId.Oid: return _i.ToString(CultureInfo.InvariantCulture);
            case TypeId.Float4: return FormatFloat((float)_f);
            case TypeId.Float8: return FormatFloat(_f);
            case TypeId.Numeric: return _d.ToString(CultureInfo.InvariantCulture);
            case TypeId.Bytea: return "\\x" + Convert.ToHexStringLower(Bytes);
            case TypeId.Uuid: return Guid.ToString();
            case TypeId.Date:
            case TypeId.Timestamp:
            case TypeId.TimestampTz:
                Span<byte> buf = stackalloc byte[64];
                int n = Type == TypeId.Date
                    ? PgCodec.FormatDate(DateOnly.FromDayNumber(PgDateEpoch + (int)_i), buf)
                    : PgCodec.FormatTimestamp(PgCodec.FromPgTimestamp(_i, Type == TypeId.TimestampTz ? DateTimeKind.Utc : DateTimeKind.Unspecified), Type == TypeId.TimestampTz, buf);
                return Encoding.ASCII.GetString(buf[..n]);
            default: return (string)_o!;
        }
    }

    internal static readonly int PgDateEpoch = new DateOnly(2000, 1, 1).DayNumber;

    private static string FormatFloat(double d)
    {
        if (double.IsNaN(d)) return "NaN";
        if (double.IsPositiveInfinity(d)) return "Infinity";
        if (double.IsNegativeInfinity(d)) return "-Infinity";
        return d.ToString("R", CultureInfo.InvariantCulture).Replace("E+", "e+", StringComparison.Ordinal).Replace("E-", "e-", StringComparison.Ordinal);
    }

    private static string FormatFloat(float d)
    {
        if (float.IsNaN(d)) return "NaN";
        if (float.IsPositiveInfinity(d)) return "Infinity";
        if (float.IsNegativeInfinity(d)) return "-Infinity";
        return d.ToString("R", CultureInfo.InvariantCulture).Replace("E+", "e+", StringComparison.Ordinal).Replace("E-", "e-", StringComparison.Ordinal);
    }

    /// <summary>Writes the value into the current row (text or binary per the column's format).</summary>
    public void WriteTo(PgRowWriter w)
    {
        if (IsNull) { w.WriteNull(); return; }
        switch (Type)
        {
            case TypeId.Bool: w.WriteBool(Bool); break;
            case TypeId.Int2 or TypeId.Int4 or TypeId.Int8 or TypeId.Oid: w.WriteInt64(_i); break;
            case TypeId.Float4: w.WriteFloat4((float)_f); break;
            case TypeId.Float8: w.WriteFloat8(_f); break;
            case TypeId.Numeric: w.WriteDecimal(_d); break;
            case TypeId.Bytea: w.WriteBytea(Bytes); break;
            case TypeId.Uuid: w.WriteUuid(Guid); break;
            case TypeId.Date: w.WriteDate(DateOnly.FromDayNumber(PgDateEpoch + (int)_i)); break;
            case TypeId.Timestamp: w.WriteTimestamp(PgCodec.FromPgTimestamp(_i, DateTimeKind.Unspecified)); break;
            case TypeId.TimestampTz: w.WriteTimestamp(PgCodec.FromPgTimestamp(_i, DateTimeKind.Utc)); break;
            default: w.WriteText(Str); break;
        }
    }

    /// <summary>Truthiness for WHERE: NULL and false reject.</summary>
    public bool IsTrue => _notNull && Type == TypeId.Bool && _i != 0;
}
