using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace Borealis.Storage.Protocol;

/// <summary>
/// Bounds-checked little-endian reader. A read past the end never throws: it returns 0 and
/// clears <see cref="Ok"/>, so a decoder checks once at the end and malformed input costs no
/// exception.
/// </summary>
public ref struct WireReader
{
    private readonly ReadOnlySpan<byte> _buf;
    private int _pos;
    public bool Ok { get; private set; }

    public WireReader(ReadOnlySpan<byte> buf)
    {
        _buf = buf;
        _pos = 0;
        Ok = true;
    }

    public readonly int Position => _pos;
    public readonly int Remaining => _buf.Length - _pos;
    public readonly bool AtEnd => _pos == _buf.Length;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Need(int n)
    {
        if (Ok && _buf.Length - _pos >= n) return true;
        Ok = false;
        return false;
    }

    public byte U8() { if (!Need(1)) return 0; return _buf[_pos++]; }
    public ushort U16() { if (!Need(2)) return 0; var v = BinaryPrimitives.ReadUInt16LittleEndian(_buf[_pos..]); _pos += 2; return v; }
    public uint U32() { if (!Need(4)) return 0; var v = BinaryPrimitives.ReadUInt32LittleEndian(_buf[_pos..]); _pos += 4; return v; }
    public int I32() { if (!Need(4)) return 0; var v = BinaryPrimitives.ReadInt32LittleEndian(_buf[_pos..]); _pos += 4; return v; }
    public ulong U64() { if (!Need(8)) return 0; var v = BinaryPrimitives.ReadUInt64LittleEndian(_buf[_pos..]); _pos += 8; return v; }

    public ReadOnlySpan<byte> Bytes(int n)
    {
        if (n < 0 || !Need(n)) return default;
        var s = _buf.Slice(_pos, n);
        _pos += n;
        return s;
    }

    /// <summary>u16 length + UTF-8.</summary>
    public string Str()
    {
        int n = U16();
        var b = Bytes(n);
        return Ok ? Encoding.UTF8.GetString(b) : "";
    }

    public ReadOnlySpan<byte> Rest()
    {
        if (!Ok) return default;
        var s = _buf[_pos..];
        _pos = _buf.Length;
        return s;
    }
}

/// <summary>Little-endian writer over a span that the caller sized; overflow is a bug and throws.</summary>
public ref struct WireWriter
{
    private readonly Span<byte> _buf;
    private int _pos;

    public WireWriter(Span<byte> buf)
    {
        _buf = buf;
        _pos = 0;
    }

    public readonly int Position => _pos;
    public readonly Span<byte> Written => _buf[.._pos];
    public readonly Span<byte> Free => _buf[_pos..];

    public void U8(byte v) { _buf[_pos] = v; _pos += 1; }
    public void U16(ushort v) { BinaryPrimitives.WriteUInt16LittleEndian(_buf[_pos..], v); _pos += 2; }
    public void U32(uint v) { BinaryPrimitives.WriteUInt32LittleEndian(_buf[_pos..], v); _pos += 4; }
    public void I32(int v) { BinaryPrimitives.WriteInt32LittleEndian(_buf[_pos..], v); _pos += 4; }
    public void U64(ulong v) { BinaryPrimitives.WriteUInt64LittleEndian(_buf[_pos..], v); _pos += 8; }
    public void Bytes(ReadOnlySpan<byte> b) { b.CopyTo(_buf[_pos..]); _pos += b.Length; }
    public void Advance(int n) => _pos += n;

    public void Str(string s)
    {
        int n = Encoding.UTF8.GetByteCount(s);
        if (n > ushort.MaxValue) throw new ArgumentException("string too long for the wire", nameof(s));
        U16((ushort)n);
        Encoding.UTF8.GetBytes(s, _buf[_pos..]);
        _pos += n;
    }

    public static int StrSize(string s) => 2 + Encoding.UTF8.GetByteCount(s);
}
