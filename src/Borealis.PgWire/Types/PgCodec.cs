using System.Buffers.Binary;
using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Borealis.PgWire.Types;

/// <summary>
/// Text and binary encodings of the common PostgreSQL types, as PostgreSQL 15 sends them with
/// DateStyle ISO, IntervalStyle postgres, TimeZone UTC and extra_float_digits 1.
/// Binary layouts (all big-endian):
/// <list type="bullet">
/// <item>bool: 1 byte 0/1; int2/int4/int8: two's complement; float4/float8: IEEE 754; oid: uint32.</item>
/// <item>date: int32 days since 2000-01-01; timestamp/timestamptz: int64 microseconds since
///   2000-01-01 00:00 (UTC for timestamptz); int32/int64 Max/Min values mean ±infinity.</item>
/// <item>uuid: the 16 bytes in RFC 4122 (network) order.</item>
/// <item>numeric: int16 ndigits, int16 weight, uint16 sign (0 positive, 0x4000 negative,
///   0xC000 NaN), int16 dscale, then ndigits int16 base-10000 digits, most significant first;
///   value = Σ digit[i] · 10000^(weight − i).</item>
/// <item>text/varchar/bpchar/name/json: the UTF-8 bytes; jsonb: a version byte 1 then UTF-8 JSON.</item>
/// </list>
/// Formatters write into a caller-provided span and return the byte count (the caller sizes the
/// span with the Max* constants); parsers return false on malformed input and never throw.
/// </summary>
public static class PgCodec
{
    public const int MaxInt64Text = 20;
    public const int MaxFloatText = 32;
    public const int MaxDateText = 16;
    public const int MaxTimestampText = 40;
    public const int UuidText = 36;
    /// <summary>Enough for any System.Decimal in text (29 digits, sign, point, leading zeros).</summary>
    public const int MaxDecimalText = 64;
    /// <summary>Binary numeric for any System.Decimal: 8 header bytes + at most 10 digits.</summary>
    public const int MaxDecimalBinary = 8 + 2 * 10;

    public static readonly DateTime PgEpoch = new(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    public static readonly DateOnly PgEpochDate = new(2000, 1, 1);
    private const long TicksPerMicrosecond = 10;

    private static readonly UTF8Encoding Utf8 = new(false, true);

    // ---- binary ----

    public static long ToPgTimestamp(DateTime value)
    {
        if (value == DateTime.MaxValue) return long.MaxValue;
        if (value == DateTime.MinValue) return long.MinValue;
        return (value.Ticks - PgEpoch.Ticks) / TicksPerMicrosecond;
    }

    public static DateTime FromPgTimestamp(long micros, DateTimeKind kind)
    {
        if (micros == long.MaxValue) return DateTime.MaxValue;
        if (micros == long.MinValue) return DateTime.MinValue;
        long ticks = PgEpoch.Ticks + micros * TicksPerMicrosecond;
        if (ticks < DateTime.MinValue.Ticks || ticks > DateTime.MaxValue.Ticks) return micros > 0 ? DateTime.MaxValue : DateTime.MinValue;
        return new DateTime(ticks, kind);
    }

    public static int ToPgDate(DateOnly value)
    {
        if (value == DateOnly.MaxValue) return int.MaxValue;
        if (value == DateOnly.MinValue) return int.MinValue;
        return value.DayNumber - PgEpochDate.DayNumber;
    }

    public static bool TryFromPgDate(int days, out DateOnly value)
    {
        if (days == int.MaxValue) { value = DateOnly.MaxValue; return true; }
        if (days == int.MinValue) { value = DateOnly.MinValue; return true; }
        long n = (long)PgEpochDate.DayNumber + days;
        if (n < DateOnly.MinValue.DayNumber || n > DateOnly.MaxValue.DayNumber) { value = default; return false; }
        value = DateOnly.FromDayNumber((int)n);
        return true;
    }

    public static void WriteUuid(Guid value, Span<byte> dest) => value.TryWriteBytes(dest, bigEndian: true, out _);

    public static Guid ReadUuid(ReadOnlySpan<byte> src) => new(src[..16], bigEndian: true);

    /// <summary>Writes a System.Decimal as binary numeric; returns the byte count.</summary>
    public static int WriteNumericBinary(decimal value, Span<byte> dest)
    {
        Span<byte> text = stackalloc byte[MaxDecimalText];
        value.TryFormat(text, out int n, default, CultureInfo.InvariantCulture);
        ReadOnlySpan<byte> t = text[..n];
        bool negative = t.Length > 0 && t[0] == '-';
        if (negative) t = t[1..];
        int dot = t.IndexOf((byte)'.');
        ReadOnlySpan<byte> intPart = dot < 0 ? t : t[..dot];
        ReadOnlySpan<byte> fracPart = dot < 0 ? ReadOnlySpan<byte>.Empty : t[(dot + 1)..];
        int dscale = fracPart.Length;

        // Base-10000 groups: integer part aligned on its right end, fraction on its left end.
        Span<short> digits = stackalloc short[20];
        int nd = 0;
        int intGroups = (intPart.Length + 3) / 4;
        int lead = intGroups * 4 - intPart.Length;
        for (int g = 0; g < intGroups; g++)
        {
            int d = 0;
            for (int k = 0; k < 4; k++)
            {
                int idx = g * 4 + k - lead;
                d = d * 10 + (idx >= 0 ? intPart[idx] - '0' : 0);
            }
            digits[nd++] = (short)d;
        }
        int fracGroups = (fracPart.Length + 3) / 4;
        for (int g = 0; g < fracGroups; g++)
        {
            int d = 0;
            for (int k = 0; k < 4; k++)
            {
                int idx = g * 4 + k;
                d = d * 10 + (idx < fracPart.Length ? fracPart[idx] - '0' : 0);
            }
            digits[nd++] = (short)d;
        }
        int weight = intGroups - 1;
        int start = 0;
        while (start < nd && digits[start] == 0) { start++; weight--; }
        int end = nd;
        while (end > start && digits[end - 1] == 0) end--;
        int count = end - start;
        if (count == 0) { weight = 0; negative = false; }

        BinaryPrimitives.WriteInt16BigEndian(dest, (short)count);
        BinaryPrimitives.WriteInt16BigEndian(dest[2..], (short)weight);
        BinaryPrimitives.WriteUInt16BigEndian(dest[4..], negative ? (ushort)0x4000 : (ushort)0);
        BinaryPrimitives.WriteInt16BigEndian(dest[6..], (short)dscale);
        for (int i = 0; i < count; i++) BinaryPrimitives.WriteInt16BigEndian(dest[(8 + 2 * i)..], digits[start + i]);
        return 8 + 2 * count;
    }

    /// <summary>Reads binary numeric into a System.Decimal; false for NaN, infinities, malformed input or overflow.</summary>
    public static bool TryReadNumericBinary(ReadOnlySpan<byte> src, out decimal value)
    {
        value = 0;
        if (src.Length < 8) return false;
        int nd = BinaryPrimitives.ReadInt16BigEndian(src);
        int weight = BinaryPrimitives.ReadInt16BigEndian(src[2..]);
        ushort sign = BinaryPrimitives.ReadUInt16BigEndian(src[4..]);
        int dscale = BinaryPrimitives.ReadInt16BigEndian(src[6..]);
        if (nd < 0 || src.Length != 8 + 2 * nd || (sign != 0 && sign != 0x4000) || dscale < 0 || dscale > 28) return false;
        if (nd > 0 && weight > 7) return false;
        decimal acc = 0;
        try
        {
            for (int i = 0; i < nd; i++)
            {
                int d = BinaryPrimitives.ReadInt16BigEndian(src[(8 + 2 * i)..]);
                if (d is < 0 or > 9999) return false;
                int exp = weight - i;
                if (exp < -7) break; // below decimal's resolution
                acc += d * Pow10000(exp);
            }
        }
        catch (OverflowException)
        {
            return false;
        }
        // Round to dscale, then add a zero of that scale so the decimal keeps the display scale (-3.00, not -3).
        acc = Math.Round(acc, dscale) + new decimal(0, 0, 0, false, (byte)dscale);
        value = sign == 0x4000 ? -acc : acc;
        return true;
    }

    private static decimal Pow10000(int exp)
    {
        decimal r = 1;
        if (exp >= 0) for (int i = 0; i < exp; i++) r *= 10000m;
        else for (int i = 0; i < -exp; i++) r /= 10000m;
        return r;
    }

    // ---- text ----

    public static int FormatBool(bool value, Span<byte> dest)
    {
        dest[0] = value ? (byte)'t' : (byte)'f';
        return 1;
    }

    public static int FormatInt64(long value, Span<byte> dest)
    {
        Utf8Formatter.TryFormat(value, dest, out int n);
        return n;
    }

    public static int FormatFloat8(double value, Span<byte> dest)
    {
        if (double.IsNaN(value)) return Copy("NaN"u8, dest);
        if (double.IsPositiveInfinity(value)) return Copy("Infinity"u8, dest);
        if (double.IsNegativeInfinity(value)) return Copy("-Infinity"u8, dest);
        value.TryFormat(dest, out int n, "R", CultureInfo.InvariantCulture);
        LowerExponent(dest[..n]);
        return n;
    }

    public static int FormatFloat4(float value, Span<byte> dest)
    {
        if (float.IsNaN(value)) return Copy("NaN"u8, dest);
        if (float.IsPositiveInfinity(value)) return Copy("Infinity"u8, dest);
        if (float.IsNegativeInfinity(value)) return Copy("-Infinity"u8, dest);
        value.TryFormat(dest, out int n, "R", CultureInfo.InvariantCulture);
        LowerExponent(dest[..n]);
        return n;
    }

    private static void LowerExponent(Span<byte> s)
    {
        int e = s.IndexOf((byte)'E');
        if (e >= 0) s[e] = (byte)'e';
    }

    public static int FormatDecimal(decimal value, Span<byte> dest)
    {
        value.TryFormat(dest, out int n, "G", CultureInfo.InvariantCulture);
        return n;
    }

    public static int FormatDate(DateOnly value, Span<byte> dest)
    {
        if (value == DateOnly.MaxValue) return Copy("infinity"u8, dest);
        if (value == DateOnly.MinValue) return Copy("-infinity"u8, dest);
        value.TryFormat(dest, out int n, "yyyy-MM-dd", CultureInfo.InvariantCulture);
        return n;
    }

    /// <summary>ISO timestamp with microseconds, trailing zeros trimmed; with <paramref name="withZone"/> a "+00" suffix (TimeZone is UTC).</summary>
    public static int FormatTimestamp(DateTime value, bool withZone, Span<byte> dest)
    {
        if (value == DateTime.MaxValue) return Copy("infinity"u8, dest);
        if (value == DateTime.MinValue) return Copy("-infinity"u8, dest);
        if (withZone && value.Kind == DateTimeKind.Local) value = value.ToUniversalTime();
        value.TryFormat(dest, out int n, "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        int micros = (int)(value.Ticks % TimeSpan.TicksPerSecond / TicksPerMicrosecond);
        if (micros != 0)
        {
            dest[n++] = (byte)'.';
            int digits = 6;
            while (micros % 10 == 0) { micros /= 10; digits--; }
            for (int i = digits - 1; i >= 0; i--) { dest[n + i] = (byte)('0' + micros % 10); micros /= 10; }
            n += digits;
        }
        if (withZone) n += Copy("+00"u8, dest[n..]);
        return n;
    }

    public static int FormatUuid(Guid value, Span<byte> dest)
    {
        value.TryFormat(dest, out int n, "D");
        return n;
    }

    /// <summary>bytea in hex output format: \x followed by two lowercase hex digits per byte.</summary>
    public static int FormatByteaHex(ReadOnlySpan<byte> value, Span<byte> dest)
    {
        dest[0] = (byte)'\\';
        dest[1] = (byte)'x';
        const string hex = "0123456789abcdef";
        for (int i = 0; i < value.Length; i++)
        {
            dest[2 + 2 * i] = (byte)hex[value[i] >> 4];
            dest[3 + 2 * i] = (byte)hex[value[i] & 15];
        }
        return 2 + 2 * value.Length;
    }

    private static int Copy(ReadOnlySpan<byte> s, Span<byte> dest)
    {
        s.CopyTo(dest);
        return s.Length;
    }

    // ---- text parsing ----

    public static bool TryParseBool(ReadOnlySpan<byte> s, out bool value)
    {
        s = s.Trim((byte)' ');
        value = false;
        if (s.Length == 0) return false;
        Span<byte> lower = stackalloc byte[8];
        if (s.Length > lower.Length) return false;
        for (int i = 0; i < s.Length; i++) lower[i] = (byte)(s[i] | 0x20);
        ReadOnlySpan<byte> l = lower[..s.Length];
        if (l.SequenceEqual("t"u8) || l.SequenceEqual("true"u8) || l.SequenceEqual("y"u8) || l.SequenceEqual("yes"u8) || l.SequenceEqual("on"u8) || l.SequenceEqual("1"u8)) { value = true; return true; }
        return l.SequenceEqual("f"u8) || l.SequenceEqual("false"u8) || l.SequenceEqual("n"u8) || l.SequenceEqual("no"u8) || l.SequenceEqual("off"u8) || l.SequenceEqual("0"u8);
    }

    public static bool TryParseInt64(ReadOnlySpan<byte> s, out long value)
    {
        s = s.Trim((byte)' ');
        return Utf8Parser.TryParse(s, out value, out int consumed) && consumed == s.Length;
    }

    public static bool TryParseInt32(ReadOnlySpan<byte> s, out int value)
    {
        s = s.Trim((byte)' ');
        return Utf8Parser.TryParse(s, out value, out int consumed) && consumed == s.Length;
    }

    public static bool TryParseFloat8(ReadOnlySpan<byte> s, out double value)
    {
        s = s.Trim((byte)' ');
        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    public static bool TryParseDecimal(ReadOnlySpan<byte> s, out decimal value)
    {
        s = s.Trim((byte)' ');
        return decimal.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    public static bool TryParseUuid(ReadOnlySpan<byte> s, out Guid value)
    {
        Span<char> c = stackalloc char[40];
        if (s.Length > c.Length) { value = default; return false; }
        for (int i = 0; i < s.Length; i++) c[i] = (char)s[i];
        return Guid.TryParse(c[..s.Length], out value);
    }

    /// <summary>Parses "YYYY-MM-DD".</summary>
    public static bool TryParseDate(ReadOnlySpan<byte> s, out DateOnly value)
    {
        value = default;
        s = s.Trim((byte)' ');
        if (s.SequenceEqual("infinity"u8)) { value = DateOnly.MaxValue; return true; }
        if (s.SequenceEqual("-infinity"u8)) { value = DateOnly.MinValue; return true; }
        if (s.Length != 10 || s[4] != '-' || s[7] != '-') return false;
        if (!Digits(s[..4], out int y) || !Digits(s.Slice(5, 2), out int m) || !Digits(s.Slice(8, 2), out int d)) return false;
        if (y < 1 || m is < 1 or > 12 || d < 1 || d > DateTime.DaysInMonth(y, m)) return false;
        value = new DateOnly(y, m, d);
        return true;
    }

    /// <summary>
    /// Parses "YYYY-MM-DD[ |T]HH:MM:SS[.ffffff][Z|±HH[:MM]]"; a zone offset is applied so the result
    /// is UTC. Without a time part, midnight.
    /// </summary>
    public static bool TryParseTimestamp(ReadOnlySpan<byte> s, out DateTime value)
    {
        value = default;
        s = s.Trim((byte)' ');
        if (s.SequenceEqual("infinity"u8)) { value = DateTime.MaxValue; return true; }
        if (s.SequenceEqual("-infinity"u8)) { value = DateTime.MinValue; return true; }
        if (s.Length < 10 || !TryParseDate(s[..10], out var date)) return false;
        long ticks = date.ToDateTime(TimeOnly.MinValue).Ticks;
        s = s[10..];
        if (s.Length > 0)
        {
            if (s[0] is not ((byte)' ' or (byte)'T') || s.Length < 9 || s[3] != ':' || s[6] != ':') return false;
            if (!Digits(s.Slice(1, 2), out int hh) || !Digits(s.Slice(4, 2), out int mi) || !Digits(s.Slice(7, 2), out int ss)) return false;
            if (hh > 24 || mi > 59 || ss > 60) return false;
            ticks += hh * TimeSpan.TicksPerHour + mi * TimeSpan.TicksPerMinute + ss * TimeSpan.TicksPerSecond;
            s = s[9..];
            if (s.Length > 0 && s[0] == '.')
            {
                int i = 1;
                long frac = 0;
                int scale = 0;
                while (i < s.Length && s[i] is >= (byte)'0' and <= (byte)'9')
                {
                    if (scale < 7) { frac = frac * 10 + (s[i] - '0'); scale++; }
                    i++;
                }
                if (i == 1) return false;
                while (scale < 7) { frac *= 10; scale++; }
                ticks += frac;
                s = s[i..];
            }
            if (s.Length > 0)
            {
                if (s.Length == 1 && (s[0] | 0x20) == 'z') s = [];
                else
                {
                    if (s[0] is not ((byte)'+' or (byte)'-') || s.Length < 3 || !Digits(s.Slice(1, 2), out int oh)) return false;
                    int om = 0;
                    var rest = s[3..];
                    if (rest.Length > 0 && rest[0] == ':') rest = rest[1..];
                    if (rest.Length == 2 && Digits(rest, out om)) rest = [];
                    if (rest.Length != 0) return false;
                    long offset = oh * TimeSpan.TicksPerHour + om * TimeSpan.TicksPerMinute;
                    ticks -= s[0] == '+' ? offset : -offset;
                }
            }
        }
        if (ticks < 0 || ticks > DateTime.MaxValue.Ticks) return false;
        value = new DateTime(ticks, DateTimeKind.Utc);
        return true;
    }

    /// <summary>Parses bytea text input: hex format (\x...) or the traditional escape format.</summary>
    public static bool TryParseBytea(ReadOnlySpan<byte> s, out byte[] value)
    {
        value = [];
        if (s.Length >= 2 && s[0] == '\\' && s[1] == 'x')
        {
            var hex = s[2..];
            if (hex.Length % 2 != 0) return false;
            var result = new byte[hex.Length / 2];
            for (int i = 0; i < result.Length; i++)
            {
                int hi = HexValue(hex[2 * i]), lo = HexValue(hex[2 * i + 1]);
                if (hi < 0 || lo < 0) return false;
                result[i] = (byte)(hi << 4 | lo);
            }
            value = result;
            return true;
        }
        var buf = new List<byte>(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] != '\\') { buf.Add(s[i]); continue; }
            if (i + 1 < s.Length && s[i + 1] == '\\') { buf.Add((byte)'\\'); i++; continue; }
            if (i + 3 < s.Length && IsOctal(s[i + 1]) && IsOctal(s[i + 2]) && IsOctal(s[i + 3]))
            {
                buf.Add((byte)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
                i += 3;
                continue;
            }
            return false;
        }
        value = [.. buf];
        return true;
    }

    public static bool TryDecodeUtf8(ReadOnlySpan<byte> s, out string value)
    {
        try
        {
            value = Utf8.GetString(s);
            return true;
        }
        catch (DecoderFallbackException)
        {
            value = "";
            return false;
        }
    }

    private static bool IsOctal(byte b) => b is >= (byte)'0' and <= (byte)'7';

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };

    private static bool Digits(ReadOnlySpan<byte> s, out int value)
    {
        value = 0;
        foreach (byte b in s)
        {
            if (b is < (byte)'0' or > (byte)'9') return false;
            value = value * 10 + (b - '0');
        }
        return s.Length > 0;
    }
}
