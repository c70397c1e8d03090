using System.Buffers.Binary;

namespace Borealis.PgWire.Protocol;

/// <summary>
/// Reads the fields of one message body. Every read returns false (and leaves the reader failed)
/// when the body is too short or a string lacks its NUL; it never throws, so malformed input from
/// the network ends in a status value the session turns into 08P01.
/// </summary>
public ref struct PgMessageReader
{
    private readonly ReadOnlySpan<byte> _body;
    private int _pos;

    public PgMessageReader(ReadOnlySpan<byte> body)
    {
        _body = body;
        _pos = 0;
    }

    public readonly int Remaining => _body.Length - _pos;
    public readonly bool AtEnd => _pos == _body.Length;

    public bool TryReadByte(out byte value)
    {
        if (_pos + 1 > _body.Length) { value = 0; return false; }
        value = _body[_pos++];
        return true;
    }

    public bool TryReadInt16(out short value)
    {
        if (_pos + 2 > _body.Length) { value = 0; return false; }
        value = BinaryPrimitives.ReadInt16BigEndian(_body[_pos..]);
        _pos += 2;
        return true;
    }

    public bool TryReadInt32(out int value)
    {
        if (_pos + 4 > _body.Length) { value = 0; return false; }
        value = BinaryPrimitives.ReadInt32BigEndian(_body[_pos..]);
        _pos += 4;
        return true;
    }

    /// <summary>A NUL-terminated string, without its NUL.</summary>
    public bool TryReadCString(out ReadOnlySpan<byte> value)
    {
        int nul = _body[_pos..].IndexOf((byte)0);
        if (nul < 0) { value = default; return false; }
        value = _body.Slice(_pos, nul);
        _pos += nul + 1;
        return true;
    }

    public bool TryReadBytes(int count, out ReadOnlySpan<byte> value)
    {
        if (count < 0 || count > _body.Length - _pos) { value = default; return false; }
        value = _body.Slice(_pos, count);
        _pos += count;
        return true;
    }

    public ReadOnlySpan<byte> ReadRest()
    {
        var rest = _body[_pos..];
        _pos = _body.Length;
        return rest;
    }
}
