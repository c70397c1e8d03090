using System.Buffers.Binary;
using System.Text;

namespace Borealis.Engine.Keys;

/// <summary>Column types an index key can hold. Values are part of catalog formats: only ever added to.</summary>
public enum KeyType : byte
{
    Bool = 1,
    Int2 = 2,
    Int4 = 3,
    Int8 = 4,
    Float4 = 5,
    Float8 = 6,
    /// <summary>UTF-8 text in "C" collation (byte / code point order).</summary>
    Text = 7,
    Bytea = 8,
    /// <summary>timestamp / timestamptz as int64 microseconds (PostgreSQL's representation).</summary>
    Timestamp = 9,
}

/// <summary>
/// One key column: its type and sort order. PostgreSQL defaults: ASC NULLS LAST, DESC NULLS FIRST.
/// </summary>
public readonly struct KeyColumn(KeyType type, bool descending = false, bool? nullsFirst = null)
{
    public KeyType Type { get; } = type;
    public bool Descending { get; } = descending;
    public bool NullsFirst { get; } = nullsFirst ?? descending;

    public override string ToString() => $"{Type}{(Descending ? " DESC" : "")}{(NullsFirst ? " NULLS FIRST" : " NULLS LAST")}";
}

/// <summary>
/// Order-preserving key encoding: composite keys become byte strings whose unsigned
/// lexicographic order (memcmp, <c>SequenceCompareTo</c>) is the SQL order of the tuples, so the
/// B+tree never needs to know column types. Each column is encoded as
/// <code>
/// tag      1 byte, never inverted: NULLS FIRST → NULL 0x00, value 0x01; NULLS LAST → value 0x01, NULL 0x02
/// payload  only for non-NULL values; all its bytes inverted (XOR 0xFF) for a DESC column
///   bool            1 byte, 0 / 1
///   int2/int4/int8  big-endian two's complement with the sign bit flipped (2/4/8 bytes)
///   timestamp       as int8
///   float4/float8   IEEE bits big-endian: sign bit set for positives, all bits flipped for
///                   negatives; −0 is encoded as +0 and every NaN as the canonical NaN, which
///                   sorts above +∞ (PostgreSQL order: NaN greatest, −0 = 0)
///   text/bytea      the bytes with each 0x00 written as 0x00 0xFF, then the terminator 0x00 0x01,
///                   so a string sorts before any of its extensions
/// </code>
/// Every payload is self-delimiting, so comparing two encodings compares column by column.
/// Decoding is exact except that −0 decodes as 0 and NaN payloads are canonical. Encoding never
/// allocates; a too-small destination makes the writes fail (status, not exception).
/// </summary>
public ref struct KeyEncoder
{
    public const byte TagNullFirst = 0x00;
    public const byte TagValue = 0x01;
    public const byte TagNullLast = 0x02;

    private readonly Span<byte> _dest;
    private int _pos;
    private bool _overflow;

    public KeyEncoder(Span<byte> destination)
    {
        _dest = destination;
        _pos = 0;
        _overflow = false;
    }

    /// <summary>Bytes written so far.</summary>
    public readonly int Length => _pos;
    /// <summary>True once a write did not fit; the encoding is then unusable.</summary>
    public readonly bool Overflowed => _overflow;
    public readonly ReadOnlySpan<byte> Written => _dest[.._pos];

    /// <summary>Upper bound of a column's encoded size (for text/bytea, of <paramref name="dataLength"/> bytes).</summary>
    public static int MaxEncodedSize(KeyType type, int dataLength = 0) => 1 + type switch
    {
        KeyType.Bool => 1,
        KeyType.Int2 => 2,
        KeyType.Int4 or KeyType.Float4 => 4,
        KeyType.Int8 or KeyType.Float8 or KeyType.Timestamp => 8,
        _ => 2 * dataLength + 2,
    };

    public bool WriteNull(in KeyColumn column) => Put(column.NullsFirst ? TagNullFirst : TagNullLast);

    public bool WriteBool(bool value, in KeyColumn column)
    {
        if (!Begin(1)) return false;
        _dest[_pos++] = value ? (byte)1 : (byte)0;
        return End(column, 1);
    }

    public bool WriteInt16(short value, in KeyColumn column)
    {
        if (!Begin(2)) return false;
        BinaryPrimitives.WriteUInt16BigEndian(_dest[_pos..], (ushort)(value ^ short.MinValue));
        _pos += 2;
        return End(column, 2);
    }

    public bool WriteInt32(int value, in KeyColumn column)
    {
        if (!Begin(4)) return false;
        BinaryPrimitives.WriteUInt32BigEndian(_dest[_pos..], (uint)(value ^ int.MinValue));
        _pos += 4;
        return End(column, 4);
    }

    public bool WriteInt64(long value, in KeyColumn column)
    {
        if (!Begin(8)) return false;
        BinaryPrimitives.WriteUInt64BigEndian(_dest[_pos..], (ulong)(value ^ long.MinValue));
        _pos += 8;
        return End(column, 8);
    }

    public bool WriteTimestamp(long microseconds, in KeyColumn column) => WriteInt64(microseconds, column);

    public bool WriteFloat32(float value, in KeyColumn column)
    {
        if (!Begin(4)) return false;
        uint bits = float.IsNaN(value) ? 0x7FC00000u : value == 0 ? 0u : BitConverter.SingleToUInt32Bits(value);
        bits = (bits & 0x80000000u) != 0 ? ~bits : bits | 0x80000000u;
        BinaryPrimitives.WriteUInt32BigEndian(_dest[_pos..], bits);
        _pos += 4;
        return End(column, 4);
    }

    public bool WriteFloat64(double value, in KeyColumn column)
    {
        if (!Begin(8)) return false;
        ulong bits = double.IsNaN(value) ? 0x7FF8000000000000ul : value == 0 ? 0ul : BitConverter.DoubleToUInt64Bits(value);
        bits = (bits & 0x8000000000000000ul) != 0 ? ~bits : bits | 0x8000000000000000ul;
        BinaryPrimitives.WriteUInt64BigEndian(_dest[_pos..], bits);
        _pos += 8;
        return End(column, 8);
    }

    /// <summary>Text given as UTF-8 bytes, or bytea.</summary>
    public bool WriteBytes(ReadOnlySpan<byte> value, in KeyColumn column)
    {
        if (!Begin(0)) return false;
        int start = _pos;
        if (!PutEscaped(value) || !Put(0x00) || !Put(0x01)) return false;
        return End(column, _pos - start);
    }

    /// <summary>Text given as UTF-16; written as UTF-8 (invalid surrogates become U+FFFD).</summary>
    public bool WriteText(ReadOnlySpan<char> value, in KeyColumn column)
    {
        if (!Begin(0)) return false;
        int start = _pos;
        Span<byte> utf8 = stackalloc byte[4];
        while (!value.IsEmpty)
        {
            Rune.DecodeFromUtf16(value, out var rune, out int used);
            value = value[used..];
            int n = rune.EncodeToUtf8(utf8);
            if (!PutEscaped(utf8[..n])) return false;
        }
        if (!Put(0x00) || !Put(0x01)) return false;
        return End(column, _pos - start);
    }

    private bool Begin(int payload)
    {
        if (_overflow || _dest.Length - _pos < 1 + payload)
        {
            _overflow = true;
            return false;
        }
        _dest[_pos++] = TagValue;
        return true;
    }

    private bool End(in KeyColumn column, int payloadLength)
    {
        if (column.Descending)
            foreach (ref byte b in _dest.Slice(_pos - payloadLength, payloadLength)) b ^= 0xFF;
        return true;
    }

    private bool Put(byte b)
    {
        if (_overflow || _pos >= _dest.Length)
        {
            _overflow = true;
            return false;
        }
        _dest[_pos++] = b;
        return true;
    }

    private bool PutEscaped(scoped ReadOnlySpan<byte> bytes)
    {
        foreach (byte b in bytes)
        {
            if (!Put(b)) return false;
            if (b == 0 && !Put(0xFF)) return false;
        }
        return true;
    }
}

/// <summary>
/// Reads keys written by <see cref="KeyEncoder"/>, column by column with the same column
/// descriptions. Each read returns false for NULL. A malformed key is a broken invariant
/// (<see cref="FormatException"/>).
/// </summary>
public ref struct KeyDecoder(ReadOnlySpan<byte> source)
{
    private readonly ReadOnlySpan<byte> _src = source;
    private int _pos;

    public readonly int Position => _pos;
    public readonly bool AtEnd => _pos >= _src.Length;

    public bool ReadBool(in KeyColumn column, out bool value)
    {
        value = false;
        if (!Tag(column)) return false;
        value = Byte(column) != 0;
        return true;
    }

    public bool ReadInt16(in KeyColumn column, out short value)
    {
        value = 0;
        if (!Tag(column)) return false;
        value = (short)(ReadBigEndian(column, 2) ^ 0x8000);
        return true;
    }

    public bool ReadInt32(in KeyColumn column, out int value)
    {
        value = 0;
        if (!Tag(column)) return false;
        value = (int)((uint)ReadBigEndian(column, 4) ^ 0x80000000u);
        return true;
    }

    public bool ReadInt64(in KeyColumn column, out long value)
    {
        value = 0;
        if (!Tag(column)) return false;
        value = (long)(ReadBigEndian(column, 8) ^ 0x8000000000000000ul);
        return true;
    }

    public bool ReadTimestamp(in KeyColumn column, out long microseconds) => ReadInt64(column, out microseconds);

    public bool ReadFloat32(in KeyColumn column, out float value)
    {
        value = 0;
        if (!Tag(column)) return false;
        uint bits = (uint)ReadBigEndian(column, 4);
        bits = (bits & 0x80000000u) != 0 ? bits & 0x7FFFFFFFu : ~bits;
        value = BitConverter.UInt32BitsToSingle(bits);
        return true;
    }

    public bool ReadFloat64(in KeyColumn column, out double value)
    {
        value = 0;
        if (!Tag(column)) return false;
        ulong bits = ReadBigEndian(column, 8);
        bits = (bits & 0x8000000000000000ul) != 0 ? bits & 0x7FFFFFFFFFFFFFFFul : ~bits;
        value = BitConverter.UInt64BitsToDouble(bits);
        return true;
    }

    /// <summary>
    /// Reads text (UTF-8) or bytea into <paramref name="destination"/>; <paramref name="length"/> is
    /// the value's length. Throws when the destination is too small (size it with the key length).
    /// </summary>
    public bool ReadBytes(in KeyColumn column, scoped Span<byte> destination, out int length)
    {
        length = 0;
        if (!Tag(column)) return false;
        while (true)
        {
            byte b = Byte(column);
            if (b != 0)
            {
                destination[length++] = b;
                continue;
            }
            byte e = Byte(column);
            if (e == 0x01) return true;
            if (e != 0xFF) ThrowMalformed();
            destination[length++] = 0;
        }
    }

    /// <summary>Skips one column.</summary>
    public void Skip(in KeyColumn column)
    {
        if (!Tag(column)) return;
        switch (column.Type)
        {
            case KeyType.Bool: _ = Byte(column); break;
            case KeyType.Int2: _ = ReadBigEndian(column, 2); break;
            case KeyType.Int4 or KeyType.Float4: _ = ReadBigEndian(column, 4); break;
            case KeyType.Int8 or KeyType.Float8 or KeyType.Timestamp: _ = ReadBigEndian(column, 8); break;
            default:
                while (true)
                {
                    if (Byte(column) != 0) continue;
                    byte e = Byte(column);
                    if (e == 0x01) return;
                    if (e != 0xFF) ThrowMalformed();
                }
        }
    }

    private bool Tag(in KeyColumn column)
    {
        if (_pos >= _src.Length) ThrowMalformed();
        byte t = _src[_pos++];
        if (t == KeyEncoder.TagValue) return true;
        if (t != (column.NullsFirst ? KeyEncoder.TagNullFirst : KeyEncoder.TagNullLast)) ThrowMalformed();
        return false;
    }

    private byte Byte(in KeyColumn column)
    {
        if (_pos >= _src.Length) ThrowMalformed();
        byte b = _src[_pos++];
        return column.Descending ? (byte)~b : b;
    }

    private ulong ReadBigEndian(in KeyColumn column, int size)
    {
        ulong v = 0;
        for (int i = 0; i < size; i++) v = (v << 8) | Byte(column);
        return v;
    }

    private static void ThrowMalformed() => throw new FormatException("malformed index key encoding");
}
