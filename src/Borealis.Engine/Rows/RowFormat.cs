using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Borealis.Engine.Rows;

/// <summary>
/// The bytes of one row as the heap stores them (the tuple's data part, after the MVCC header).
/// <code>
/// offset   size        field
/// 0        2           natts      number of attributes stored (columns added later read as NULL/default)
/// 2        ceil(n/8)   nulls      bit i set = attribute i is NULL (LSB first); present only if natts > 0
/// …                    values     non-null attributes in column order, no padding:
///                                   fixed-width kinds: their width, little-endian
///                                   variable-length kinds: a length header, then the bytes
///                                     1 byte  0xxxxxxx          length 0..127
///                                     4 bytes 1xxxxxxx …(BE)     length up to 2^31-1 (high bit set)
/// </code>
/// Widths come from the column's <see cref="ColumnStorage"/> (the catalog knows it per column),
/// so a row carries no per-value type tags. Reading attribute k walks the values before it
/// (rows are narrow; a reader that needs many columns uses <see cref="RowReader.MoveNext"/>).
/// Encoding and decoding never allocate.
/// </summary>
public static class RowFormat
{
    public const int MaxAttributes = 1600; // PostgreSQL's MaxHeapAttributeNumber
    public const int ShortVarLenMax = 127;

    public static int NullBitmapBytes(int natts) => (natts + 7) >> 3;

    /// <summary>Bytes a variable-length value of <paramref name="length"/> bytes takes, header included.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int VarLenSize(int length) => length <= ShortVarLenMax ? 1 + length : 4 + length;
}

/// <summary>How a column's values are stored: a fixed width in bytes, or variable length (-1).</summary>
public readonly record struct ColumnStorage(short Width)
{
    public static readonly ColumnStorage Bool = new(1);
    public static readonly ColumnStorage Int2 = new(2);
    public static readonly ColumnStorage Int4 = new(4);
    public static readonly ColumnStorage Int8 = new(8);
    public static readonly ColumnStorage Float4 = new(4);
    public static readonly ColumnStorage Float8 = new(8);
    public static readonly ColumnStorage Uuid = new(16);
    public static readonly ColumnStorage VarLen = new(-1);

    public bool IsVarLen => Width < 0;
}

/// <summary>
/// Writes one row into a caller-provided span. Usage: construct with the attribute count, call
/// one Write*/WriteNull per column in order, then <see cref="Finish"/> for the length.
/// <see cref="TryWrite"/>-style: every method returns false when the span is too small, leaving
/// the writer unusable (the caller retries with a bigger buffer).
/// </summary>
public ref struct RowWriter
{
    private readonly Span<byte> _dest;
    private readonly int _natts;
    private int _att;
    private int _pos;
    private bool _overflow;

    public RowWriter(Span<byte> dest, int natts)
    {
        if ((uint)natts > RowFormat.MaxAttributes) throw new ArgumentOutOfRangeException(nameof(natts));
        _dest = dest;
        _natts = natts;
        int header = 2 + RowFormat.NullBitmapBytes(natts);
        if (dest.Length < header) { _overflow = true; return; }
        BinaryPrimitives.WriteUInt16LittleEndian(dest, (ushort)natts);
        dest.Slice(2, header - 2).Clear();
        _pos = header;
    }

    public readonly bool Overflowed => _overflow;

    private Span<byte> Reserve(int n)
    {
        if (_att >= _natts) throw new InvalidOperationException($"row has only {_natts} attributes");
        if (_overflow || _pos + n > _dest.Length) { _overflow = true; return default; }
        var s = _dest.Slice(_pos, n);
        _pos += n;
        _att++;
        return s;
    }

    public bool WriteNull()
    {
        if (_att >= _natts) throw new InvalidOperationException($"row has only {_natts} attributes");
        if (_overflow) return false;
        _dest[2 + (_att >> 3)] |= (byte)(1 << (_att & 7));
        _att++;
        return true;
    }

    public bool WriteBool(bool v) { var s = Reserve(1); if (_overflow) return false; s[0] = v ? (byte)1 : (byte)0; return true; }
    public bool WriteInt16(short v) { var s = Reserve(2); if (_overflow) return false; BinaryPrimitives.WriteInt16LittleEndian(s, v); return true; }
    public bool WriteInt32(int v) { var s = Reserve(4); if (_overflow) return false; BinaryPrimitives.WriteInt32LittleEndian(s, v); return true; }
    public bool WriteInt64(long v) { var s = Reserve(8); if (_overflow) return false; BinaryPrimitives.WriteInt64LittleEndian(s, v); return true; }
    public bool WriteFloat32(float v) { var s = Reserve(4); if (_overflow) return false; BinaryPrimitives.WriteSingleLittleEndian(s, v); return true; }
    public bool WriteFloat64(double v) { var s = Reserve(8); if (_overflow) return false; BinaryPrimitives.WriteDoubleLittleEndian(s, v); return true; }

    /// <summary>A fixed-width value given as raw bytes (e.g. a uuid's 16 bytes).</summary>
    public bool WriteFixed(ReadOnlySpan<byte> bytes) { var s = Reserve(bytes.Length); if (_overflow) return false; bytes.CopyTo(s); return true; }

    /// <summary>A variable-length value (text as UTF-8, bytea, numeric, jsonb, …).</summary>
    public bool WriteVarLen(ReadOnlySpan<byte> bytes)
    {
        int hdr = bytes.Length <= RowFormat.ShortVarLenMax ? 1 : 4;
        var s = Reserve(hdr + bytes.Length);
        if (_overflow) return false;
        if (hdr == 1) s[0] = (byte)bytes.Length;
        else BinaryPrimitives.WriteUInt32BigEndian(s, 0x8000_0000u | (uint)bytes.Length);
        bytes.CopyTo(s[hdr..]);
        return true;
    }

    /// <summary>Reserves a variable-length value of known length and returns the span to fill (no intermediate copy).</summary>
    public Span<byte> ReserveVarLen(int length)
    {
        int hdr = length <= RowFormat.ShortVarLenMax ? 1 : 4;
        var s = Reserve(hdr + length);
        if (_overflow) return default;
        if (hdr == 1) s[0] = (byte)length;
        else BinaryPrimitives.WriteUInt32BigEndian(s, 0x8000_0000u | (uint)length);
        return s[hdr..];
    }

    /// <summary>Returns the row's length; every attribute must have been written. -1 if the span was too small.</summary>
    public readonly int Finish()
    {
        if (_overflow) return -1;
        if (_att != _natts) throw new InvalidOperationException($"row has {_natts} attributes but {_att} were written");
        return _pos;
    }
}

/// <summary>
/// Reads a row written by <see cref="RowWriter"/>. The column layout (one <see cref="ColumnStorage"/>
/// per column of the table now) may be longer than the row's natts: such trailing columns read
/// as NULL (columns added by ALTER TABLE after the row was written). Never allocates; returns
/// false from <see cref="IsValid"/> for bytes that do not parse (corruption is reported, not thrown
/// on the data path).
/// </summary>
public ref struct RowReader
{
    private readonly ReadOnlySpan<byte> _row;
    private readonly ReadOnlySpan<ColumnStorage> _layout;
    private readonly int _natts;
    private readonly int _valuesStart;
    private int _att = -1;
    private int _pos;
    private int _valueOffset;
    private int _valueLength;

    public RowReader(ReadOnlySpan<byte> row, ReadOnlySpan<ColumnStorage> layout)
    {
        _row = row;
        _layout = layout;
        _natts = row.Length >= 2 ? BinaryPrimitives.ReadUInt16LittleEndian(row) : -1;
        _valuesStart = _natts >= 0 ? 2 + RowFormat.NullBitmapBytes(_natts) : 0;
        _pos = _valuesStart;
    }

    /// <summary>Number of attributes the row stores.</summary>
    public readonly int StoredAttributes => _natts;

    /// <summary>False when the header does not fit the bytes or stores more attributes than the layout has.</summary>
    public readonly bool IsValid => _natts >= 0 && _natts <= _layout.Length && _valuesStart <= _row.Length;

    public readonly bool IsNull(int att) =>
        att >= _natts || (_row[2 + (att >> 3)] & (1 << (att & 7))) != 0;

    /// <summary>Advances to the next column; false after the last column of the layout or on malformed bytes.</summary>
    public bool MoveNext()
    {
        int next = _att + 1;
        if (next >= _layout.Length || !IsValid) return false;
        _att = next;
        if (IsNull(next)) { _valueLength = -1; return true; }
        var st = _layout[next];
        if (!st.IsVarLen)
        {
            if (_pos + st.Width > _row.Length) return false;
            _valueOffset = _pos;
            _valueLength = st.Width;
            _pos += st.Width;
            return true;
        }
        if (_pos >= _row.Length) return false;
        int len, hdr;
        if ((_row[_pos] & 0x80) == 0) { len = _row[_pos]; hdr = 1; }
        else
        {
            if (_pos + 4 > _row.Length) return false;
            len = (int)(BinaryPrimitives.ReadUInt32BigEndian(_row[_pos..]) & 0x7FFF_FFFF);
            hdr = 4;
        }
        if ((long)_pos + hdr + len > _row.Length) return false;
        _valueOffset = _pos + hdr;
        _valueLength = len;
        _pos += hdr + len;
        return true;
    }

    /// <summary>Positions on column <paramref name="att"/> (walking forward, or restarting if it is behind).</summary>
    public bool Seek(int att)
    {
        if (att < _att) { _att = -1; _pos = _valuesStart; }
        while (_att < att) if (!MoveNext()) return false;
        return true;
    }

    public readonly int Current => _att;
    public readonly bool CurrentIsNull => _valueLength < 0;
    /// <summary>The current value's bytes (empty for NULL).</summary>
    public readonly ReadOnlySpan<byte> CurrentBytes => _valueLength < 0 ? default : _row.Slice(_valueOffset, _valueLength);

    public readonly bool GetBool() => CurrentBytes[0] != 0;
    public readonly short GetInt16() => BinaryPrimitives.ReadInt16LittleEndian(CurrentBytes);
    public readonly int GetInt32() => BinaryPrimitives.ReadInt32LittleEndian(CurrentBytes);
    public readonly long GetInt64() => BinaryPrimitives.ReadInt64LittleEndian(CurrentBytes);
    public readonly float GetFloat32() => BinaryPrimitives.ReadSingleLittleEndian(CurrentBytes);
    public readonly double GetFloat64() => BinaryPrimitives.ReadDoubleLittleEndian(CurrentBytes);
}
