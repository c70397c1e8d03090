using System.Globalization;
using System.Text;
using Borealis.PgWire.Types;

namespace Borealis.Sql.Types;

/// <summary>Casts, comparison and arithmetic with PostgreSQL's semantics and errors.</summary>
public static class Ops
{
    /// <summary>Numeric promotion rank (int2 &lt; int4 &lt; int8 &lt; numeric &lt; float4 &lt; float8); -1 = not numeric.</summary>
    public static int NumRank(TypeId t) => t switch
    {
        TypeId.Int2 => 0,
        TypeId.Int4 => 1,
        TypeId.Int8 => 2,
        TypeId.Numeric => 3,
        TypeId.Float4 => 4,
        TypeId.Float8 => 5,
        _ => -1,
    };

    public static TypeId CommonNumeric(TypeId a, TypeId b) => NumRank(a) >= NumRank(b) ? a : b;

    /// <summary>Whether an implicit (assignment or comparison) cast from a to b exists.</summary>
    public static bool CanImplicit(TypeId from, TypeId to)
    {
        if (from == to || from == TypeId.Unknown) return true;
        if (NumRank(from) >= 0 && NumRank(to) >= 0) return true; // assignment casts allow narrowing
        bool fs = from is TypeId.Text or TypeId.Varchar or TypeId.Bpchar or TypeId.Char;
        bool ts = to is TypeId.Text or TypeId.Varchar or TypeId.Bpchar or TypeId.Char;
        if ((from == TypeId.Oid && to is TypeId.Int4 or TypeId.Int8) || (to == TypeId.Oid && from is TypeId.Int2 or TypeId.Int4 or TypeId.Int8)) return true;
        if (fs && ts) return true;
        if (from == TypeId.Date && to is TypeId.Timestamp or TypeId.TimestampTz) return true;
        if (from is TypeId.Timestamp or TypeId.TimestampTz && to is TypeId.Timestamp or TypeId.TimestampTz) return true;
        return false;
    }

    /// <summary>Converts a value to <paramref name="to"/>; <paramref name="explicitCast"/> allows lossy casts (e.g. to text, bpchar truncation).</summary>
    public static Value Cast(in Value v, SqlType to, bool explicitCast = true)
    {
        if (v.IsNull) return Value.Null;
        var from = v.Type;
        if (from == to.Id && to.Typmod < 0) return v;
        switch (to.Id)
        {
            case TypeId.Unknown: return v;
            case TypeId.Text: return Value.FromText(from is TypeId.Bpchar ? v.Str.TrimEnd(' ') : v.ToText());
            case TypeId.Jsonb: return Value.FromString(TypeId.Jsonb, v.ToText());
            case TypeId.Char: { string s = v.ToText(); return Value.FromString(TypeId.Char, s.Length > 0 ? s[..1] : ""); }
            case TypeId.Varchar:
            {
                string s = from is TypeId.Bpchar ? v.Str.TrimEnd(' ') : v.ToText();
                if (to.Typmod >= 0 && s.Length > to.Typmod)
                {
                    if (!explicitCast && s.AsSpan(to.Typmod).TrimEnd(' ').Length > 0)
                        throw SqlErrors.Make("22001", $"value too long for type character varying({to.Typmod})");
                    s = s[..to.Typmod];
                }
                return Value.FromString(TypeId.Varchar, s);
            }
            case TypeId.Bpchar:
            {
                string s = v.ToText();
                if (to.Typmod >= 0)
                {
                    if (s.Length > to.Typmod)
                    {
                        if (!explicitCast && s.AsSpan(to.Typmod).TrimEnd(' ').Length > 0)
                            throw SqlErrors.Make("22001", $"value too long for type character({to.Typmod})");
                        s = s[..to.Typmod];
                    }
                    else if (s.Length < to.Typmod) s = s.PadRight(to.Typmod);
                }
                return Value.FromString(TypeId.Bpchar, s);
            }
        }
        if (from is TypeId.Unknown or TypeId.Text or TypeId.Varchar or TypeId.Bpchar or TypeId.Jsonb or TypeId.Char)
            return Parse(v.Str, to);
        switch (to.Id)
        {
            case TypeId.Int2 or TypeId.Int4 or TypeId.Int8 or TypeId.Oid:
            {
                long r;
                if (from is TypeId.Int2 or TypeId.Int4 or TypeId.Int8 or TypeId.Oid) r = v.Int;
                else if (from == TypeId.Numeric)
                {
                    decimal d = Math.Round(v.Decimal, MidpointRounding.AwayFromZero);
                    if (d < long.MinValue || d > long.MaxValue) throw SqlErrors.OutOfRange(IntName(to.Id));
                    r = (long)d;
                }
                else if (from is TypeId.Float4 or TypeId.Float8)
                {
                    double d = Math.Round(v.Float, MidpointRounding.ToEven);
                    if (double.IsNaN(d) || d < -9.2233720368547758E+18 || d >= 9.2233720368547758E+18) throw SqlErrors.OutOfRange(IntName(to.Id));
                    r = (long)d;
                }
                else if (from == TypeId.Bool && to.Id == TypeId.Int4) r = v.Int;
                else throw CannotCast(from, to.Id);
                return Value.FromInt(to.Id, CheckInt(r, to.Id));
            }
            case TypeId.Numeric:
                if (from is TypeId.Int2 or TypeId.Int4 or TypeId.Int8) return Value.FromNumeric(v.Int);
                if (from is TypeId.Float4 or TypeId.Float8)
                {
                    if (double.IsNaN(v.Float) || double.IsInfinity(v.Float) || Math.Abs(v.Float) > 7.9e28) throw SqlErrors.OutOfRange("numeric");
                    return Value.FromNumeric(ApplyScale((decimal)v.Float, to.Typmod));
                }
                if (from == TypeId.Numeric) return Value.FromNumeric(ApplyScale(v.Decimal, to.Typmod));
                break;
            case TypeId.Float4:
            case TypeId.Float8:
            {
                double d = from switch
                {
                    TypeId.Int2 or TypeId.Int4 or TypeId.Int8 => v.Int,
                    TypeId.Numeric => (double)v.Decimal,
                    TypeId.Float4 or TypeId.Float8 => v.Float,
                    _ => throw CannotCast(from, to.Id),
                };
                if (to.Id == TypeId.Float4 && !double.IsInfinity(d) && Math.Abs(d) > float.MaxValue) throw SqlErrors.OutOfRange("value");
                return to.Id == TypeId.Float4 ? Value.FromFloat4(d) : Value.FromFloat8(d);
            }
            case TypeId.Bool:
                if (from == TypeId.Int4) return Value.FromBool(v.Int != 0);
                break;
            case TypeId.Timestamp or TypeId.TimestampTz:
                if (from == TypeId.Date) return Value.FromTimestamp(to.Id, v.Int * 86_400_000_000L);
                if (from is TypeId.Timestamp or TypeId.TimestampTz) return Value.FromTimestamp(to.Id, v.Int);
                break;
            case TypeId.Date:
                if (from is TypeId.Timestamp or TypeId.TimestampTz) return Value.FromDate((int)Math.Floor(v.Int / 86_400_000_000.0));
                break;
        }
        if (from == to.Id) return v;
        throw CannotCast(from, to.Id);
    }

    private static Borealis.PgWire.Backend.PgErrorException CannotCast(TypeId from, TypeId to) =>
        SqlErrors.Make("42846", $"cannot cast type {Types.Name(from)} to {Types.Name(to)}");

    public static string IntName(TypeId t) => t switch { TypeId.Int2 => "smallint", TypeId.Int4 => "integer", _ => "bigint" };

    public static long CheckInt(long r, TypeId t) => t switch
    {
        TypeId.Int2 when r is < short.MinValue or > short.MaxValue => throw SqlErrors.OutOfRange("smallint"),
        TypeId.Int4 when r is < int.MinValue or > int.MaxValue => throw SqlErrors.OutOfRange("integer"),
        _ => r,
    };

    private static decimal ApplyScale(decimal d, int typmod)
    {
        if (typmod < 0) return d;
        int precision = typmod >> 16, scale = typmod & 0xFFFF;
        d = Math.Round(d, scale, MidpointRounding.AwayFromZero);
        decimal limit = 1;
        for (int i = 0; i < precision - scale; i++) limit *= 10;
        if (Math.Abs(d) >= limit)
            throw new Borealis.PgWire.Backend.PgErrorException(new Borealis.PgWire.Backend.PgError("22003", "numeric field overflow")
            { Detail = $"A field with precision {precision}, scale {scale} must round to an absolute value less than 10^{precision - scale}." });
        return d;
    }

    /// <summary>Text input of a value of type <paramref name="to"/> (22P02 / 22003 on bad input).</summary>
    public static Value Parse(string s, SqlType to)
    {
        var span = s.AsSpan().Trim();
        switch (to.Id)
        {
            case TypeId.Bool:
            {
                var b = Encoding.UTF8.GetBytes(s.Trim());
                return PgCodec.TryParseBool(b, out bool v) ? Value.FromBool(v) : throw SqlErrors.InvalidText("boolean", s);
            }
            case TypeId.Int2 or TypeId.Int4 or TypeId.Int8 or TypeId.Oid:
                if (long.TryParse(span, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l))
                {
                    bool fits = to.Id switch { TypeId.Int2 => l is >= short.MinValue and <= short.MaxValue, TypeId.Int4 => l is >= int.MinValue and <= int.MaxValue, _ => true };
                    if (fits) return Value.FromInt(to.Id, l);
                    throw SqlErrors.Make("22003", $"value \"{s}\" is out of range for type {IntName(to.Id)}");
                }
                if (span.Length > 0 && IsAllDigits(span)) throw SqlErrors.Make("22003", $"value \"{s}\" is out of range for type {IntName(to.Id)}");
                throw SqlErrors.InvalidText(IntName(to.Id), s);
            case TypeId.Numeric:
                if (decimal.TryParse(span, NumberStyles.Float, CultureInfo.InvariantCulture, out decimal d)) return Cast(Value.FromNumeric(d), to);
                if (double.TryParse(span, NumberStyles.Float, CultureInfo.InvariantCulture, out _)) throw SqlErrors.OutOfRange("numeric");
                throw SqlErrors.InvalidText("numeric", s);
            case TypeId.Float4 or TypeId.Float8:
            {
                string t = span.ToString().ToLowerInvariant();
                double f = t switch
                {
                    "nan" => double.NaN,
                    "infinity" or "inf" or "+infinity" => double.PositiveInfinity,
                    "-infinity" or "-inf" => double.NegativeInfinity,
                    _ => double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) ? x : throw SqlErrors.InvalidText(to.Id == TypeId.Float4 ? "real" : "double precision", s),
                };
                return to.Id == TypeId.Float4 ? Value.FromFloat4(f) : Value.FromFloat8(f);
            }
            case TypeId.Bytea:
                return PgCodec.TryParseBytea(Encoding.UTF8.GetBytes(s), out var bytes) ? Value.FromBytea(bytes) : throw SqlErrors.InvalidText("bytea", s);
            case TypeId.Uuid:
                return Guid.TryParse(span, out var g) ? Value.FromUuid(g) : throw SqlErrors.InvalidText("uuid", s);
            case TypeId.Date:
                return PgCodec.TryParseDate(Encoding.UTF8.GetBytes(s.Trim()), out var date)
                    ? Value.FromDate(date.DayNumber - Value.PgDateEpoch)
                    : throw SqlErrors.Make("22007", $"invalid input syntax for type date: \"{s}\"");
            case TypeId.Timestamp or TypeId.TimestampTz:
            {
                string t = s.Trim();
                if (t.Equals("now", StringComparison.OrdinalIgnoreCase)) return Value.FromTimestamp(to.Id, PgCodec.ToPgTimestamp(DateTime.UtcNow));
                if (PgCodec.TryParseTimestamp(Encoding.UTF8.GetBytes(t), out var ts)) return Value.FromTimestamp(to.Id, PgCodec.ToPgTimestamp(ts));
                throw SqlErrors.Make("22007", $"invalid input syntax for type {Types.Name(to.Id)}: \"{s}\"");
            }
            default:
                return Cast(Value.FromText(s), to);
        }
    }

    private static bool IsAllDigits(ReadOnlySpan<char> s)
    {
        if (s[0] is '-' or '+') s = s[1..];
        if (s.Length == 0) return false;
        foreach (char c in s) if (c is < '0' or > '9') return false;
        return true;
    }

    /// <summary>Compares two non-null values of compatible types (after binding's coercion). Strings: C collation; bpchar ignores trailing blanks.</summary>
    public static int Compare(in Value a, in Value b)
    {
        var ta = a.Type;
        var tb = b.Type;
        if (ta == TypeId.Oid || tb == TypeId.Oid) return a.Int.CompareTo(b.Int);
        int ra = NumRank(ta), rb = NumRank(tb);
        if (ra >= 0 && rb >= 0)
        {
            if (ra <= 2 && rb <= 2) return a.Int.CompareTo(b.Int);
            if (ra >= 4 || rb >= 4) return CompareFloat(ToDouble(a), ToDouble(b));
            return ToDecimal(a).CompareTo(ToDecimal(b));
        }
        switch (ta)
        {
            case TypeId.Bool or TypeId.Date or TypeId.Timestamp or TypeId.TimestampTz:
                if (tb == TypeId.Date && ta != TypeId.Date) return a.Int.CompareTo(b.Int * 86_400_000_000L);
                if (ta == TypeId.Date && tb != TypeId.Date && tb is TypeId.Timestamp or TypeId.TimestampTz) return (a.Int * 86_400_000_000L).CompareTo(b.Int);
                return a.Int.CompareTo(b.Int);
            case TypeId.Uuid: return a.Guid.CompareTo(b.Guid);
            case TypeId.Bytea: return a.Bytes.AsSpan().SequenceCompareTo(b.Bytes);
        }
        if (ta == TypeId.Bpchar || tb == TypeId.Bpchar)
            return string.CompareOrdinal(a.Str.TrimEnd(' '), b.Str.TrimEnd(' ')) switch { < 0 => -1, > 0 => 1, _ => 0 };
        return string.CompareOrdinal(a.Str, b.Str) switch { < 0 => -1, > 0 => 1, _ => 0 };
    }

    /// <summary>PostgreSQL float order: NaN is greater than everything, equal to itself.</summary>
    private static int CompareFloat(double a, double b)
    {
        if (double.IsNaN(a)) return double.IsNaN(b) ? 0 : 1;
        if (double.IsNaN(b)) return -1;
        return a.CompareTo(b);
    }

    public static double ToDouble(in Value v) => v.Type switch
    {
        TypeId.Float4 or TypeId.Float8 => v.Float,
        TypeId.Numeric => (double)v.Decimal,
        _ => v.Int,
    };

    public static decimal ToDecimal(in Value v) => v.Type == TypeId.Numeric ? v.Decimal : v.Int;

    /// <summary>Binary arithmetic on numbers already promoted to <paramref name="t"/>; int overflow, numeric overflow and /0 raise PostgreSQL's errors.</summary>
    public static Value Arith(char op, in Value a, in Value b, TypeId t)
    {
        if (a.IsNull || b.IsNull) return Value.Null;
        switch (t)
        {
            case TypeId.Int2 or TypeId.Int4 or TypeId.Int8:
            {
                long x = a.Int, y = b.Int, r;
                try
                {
                    r = op switch
                    {
                        '+' => checked(x + y),
                        '-' => checked(x - y),
                        '*' => checked(x * y),
                        '/' => y == 0 ? throw SqlErrors.DivisionByZero() : (x == long.MinValue && y == -1 ? throw new OverflowException() : x / y),
                        '%' => y == 0 ? throw SqlErrors.DivisionByZero() : (y == -1 ? 0 : x % y),
                        _ => throw new InvalidOperationException(op.ToString()),
                    };
                }
                catch (OverflowException) { throw SqlErrors.OutOfRange(IntName(t)); }
                return Value.FromInt(t, CheckInt(r, t));
            }
            case TypeId.Numeric:
            {
                decimal x = ToDecimal(a), y = ToDecimal(b);
                try
                {
                    decimal r = op switch
                    {
                        '+' => x + y,
                        '-' => x - y,
                        '*' => x * y,
                        '/' => y == 0 ? throw SqlErrors.DivisionByZero() : DivideNumeric(x, y),
                        '%' => y == 0 ? throw SqlErrors.DivisionByZero() : x % y,
                        _ => throw new InvalidOperationException(op.ToString()),
                    };
                    return Value.FromNumeric(r);
                }
                catch (OverflowException) { throw SqlErrors.OutOfRange("value"); }
            }
            case TypeId.Float4 or TypeId.Float8:
            {
                double x = ToDouble(a), y = ToDouble(b);
                double r = op switch
                {
                    '+' => x + y,
                    '-' => x - y,
                    '*' => x * y,
                    '/' => y == 0 ? throw SqlErrors.DivisionByZero() : x / y,
                    '%' => y == 0 ? throw SqlErrors.DivisionByZero() : Math.IEEERemainder(x, y),
                    _ => throw new InvalidOperationException(op.ToString()),
                };
                if (double.IsInfinity(r) && !double.IsInfinity(x) && !double.IsInfinity(y)) throw SqlErrors.OutOfRange("value");
                return t == TypeId.Float4 ? Value.FromFloat4(r) : Value.FromFloat8(r);
            }
        }
        throw new InvalidOperationException($"arith on {t}");
    }

    /// <summary>
    /// numeric division with PostgreSQL's result scale (select_div_scale): 16 significant digits
    /// counted in base-10000 weights, at least either input's scale, at most 20 here (decimal's range).
    /// </summary>
    private static decimal DivideNumeric(decimal x, decimal y)
    {
        var (wx, fx) = Weight(x);
        var (wy, fy) = Weight(y);
        int qweight = wx - wy;
        if (fx < fy) qweight--;
        int scale = Math.Max(16 - qweight * 4, Math.Max(x.Scale, y.Scale));
        scale = Math.Clamp(scale, 0, 20);
        decimal r = x / y;
        int room = 28 - (int)Math.Max(0, Math.Floor(Math.Log10((double)Math.Max(Math.Abs(r), 1m)))) - 1;
        scale = Math.Min(scale, Math.Max(room, 0));
        return Math.Round(r, scale, MidpointRounding.AwayFromZero) + ScaleZero(scale);
    }

    /// <summary>The base-10000 weight of a decimal's leading digit group and that group's value.</summary>
    private static (int Weight, decimal First) Weight(decimal d)
    {
        d = Math.Abs(d);
        if (d == 0) return (0, 0);
        int w = 0;
        while (d >= 10000) { d /= 10000; w++; }
        while (d < 1) { d *= 10000; w--; }
        return (w, Math.Floor(d));
    }

    private static decimal ScaleZero(int scale) => scale == 0 ? 0m : new decimal(0, 0, 0, false, (byte)scale);
}
