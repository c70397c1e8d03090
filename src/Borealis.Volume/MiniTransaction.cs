using System.Buffers;
using System.Buffers.Binary;
using Borealis.Redo;

namespace Borealis.Volume;

/// <summary>
/// A mini-transaction: redo records that must become durable together, built in one pooled
/// buffer. Records are laid out in the final <see cref="RedoRecord"/> format with LSN, back-link,
/// volume, PG, epoch and CRC left for <see cref="WriterVolume.AppendAsync"/> to stamp; the last
/// record gets the CPL flag then.
/// Ownership: the caller owns the MTR; AppendAsync copies the records out, so the MTR can be
/// cleared and reused (or disposed) as soon as AppendAsync returns. Not thread-safe.
/// </summary>
public sealed class MiniTransaction : IDisposable
{
    private byte[] _buf;
    private int _len;
    private int _count;

    public MiniTransaction(int initialCapacity = 4096)
    {
        _buf = ArrayPool<byte>.Shared.Rent(Math.Max(initialCapacity, RedoRecord.HeaderSize * 4));
    }

    public int Count => _count;
    public int ByteLength => _len;
    public bool IsEmpty => _count == 0;

    /// <summary>The records back to back (unstamped until appended).</summary>
    public ReadOnlySpan<byte> Records => _buf.AsSpan(0, _len);

    internal Span<byte> RecordsMutable => _buf.AsSpan(0, _len);

    public void Clear()
    {
        _len = 0;
        _count = 0;
    }

    /// <summary>Reserves a record and returns its payload to fill in place (no intermediate copy).</summary>
    public Span<byte> AddRecord(ulong pageNo, RedoType type, int payloadLength)
    {
        if ((uint)payloadLength > RedoRecord.MaxPayload) ThrowPayloadTooLarge(payloadLength);
        int total = RedoRecord.HeaderSize + payloadLength;
        EnsureCapacity(total);
        var rec = _buf.AsSpan(_len, total);
        rec[..RedoRecord.HeaderSize].Clear();
        BinaryPrimitives.WriteInt32LittleEndian(rec[RedoRecord.OffLength..], total);
        BinaryPrimitives.WriteUInt64LittleEndian(rec[RedoRecord.OffPage..], pageNo);
        rec[RedoRecord.OffType] = (byte)type;
        _len += total;
        _count++;
        return rec[RedoRecord.HeaderSize..];
    }

    public void AddWriteBytes(ulong pageNo, ushort offset, ReadOnlySpan<byte> data)
    {
        var p = AddRecord(pageNo, RedoType.WriteBytes, 2 + data.Length);
        PageApply.WriteBytesPayload(p, offset, data);
    }

    public void AddFill(ulong pageNo, ushort offset, ushort length, byte value)
    {
        var p = AddRecord(pageNo, RedoType.Fill, 5);
        BinaryPrimitives.WriteUInt16LittleEndian(p, offset);
        BinaryPrimitives.WriteUInt16LittleEndian(p[2..], length);
        p[4] = value;
    }

    /// <summary>A whole page image (Page.Size bytes); storage keeps the body, the header is storage's own.</summary>
    public void AddPageImage(ulong pageNo, ReadOnlySpan<byte> page)
    {
        if (page.Length != Page.Size) throw new ArgumentException($"a page image is {Page.Size} bytes, got {page.Length}", nameof(page));
        page.CopyTo(AddRecord(pageNo, RedoType.PageImage, Page.Size));
    }

    /// <summary>A record that changes nothing but occupies an LSN in the page's PG (e.g. a commit marker).</summary>
    public void AddNoop(ulong pageNo) => AddRecord(pageNo, RedoType.Noop, 0);

    private void EnsureCapacity(int more)
    {
        if (_len + more <= _buf.Length) return;
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buf.Length * 2, _len + more));
        _buf.AsSpan(0, _len).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buf);
        _buf = bigger;
    }

    public void Dispose()
    {
        var b = _buf;
        _buf = [];
        _len = 0;
        _count = 0;
        if (b.Length > 0) ArrayPool<byte>.Shared.Return(b);
    }

    private static void ThrowPayloadTooLarge(int n) =>
        throw new ArgumentOutOfRangeException(nameof(n), $"redo payload of {n} bytes exceeds {RedoRecord.MaxPayload}");
}
