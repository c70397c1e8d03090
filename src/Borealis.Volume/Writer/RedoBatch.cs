using System.Buffers;

namespace Borealis.Volume.Writer;

/// <summary>
/// Stamped records of one PG, back to back in ascending LSN order, in a pooled buffer: the
/// records section of an Append frame, sent to every member of the PG.
/// Lifetime: reference counted. The PG's in-flight queue holds one reference from the moment
/// the batch is sealed until its last LSN is at or below the PGCL; every send holds one for its
/// duration. The buffer returns to the pool when the count reaches zero, so an ack that makes
/// the batch durable while it is still being copied to another node cannot free it under the copy.
/// </summary>
internal sealed class RedoBatch
{
    private byte[] _buf;
    private int _refs = 1;

    public RedoBatch(uint pg, int capacity)
    {
        Pg = pg;
        _buf = ArrayPool<byte>.Shared.Rent(capacity);
    }

    public uint Pg { get; }
    public int Length { get; private set; }
    public int RecordCount { get; private set; }
    public ulong FirstLsn { get; private set; }
    public ulong LastLsn { get; private set; }
    public int Capacity => _buf.Length;
    public ReadOnlySpan<byte> Records => _buf.AsSpan(0, Length);

    /// <summary>Makes room for <paramref name="more"/> bytes, doubling the buffer up to <paramref name="max"/>; false when the batch is full.</summary>
    public bool TryEnsure(int more, int max)
    {
        int need = Length + more;
        if (need <= _buf.Length) return true;
        if (need > max && Length > 0) return false;
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(need, Math.Min(max, _buf.Length * 2)));
        _buf.AsSpan(0, Length).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buf);
        _buf = bigger;
        return true;
    }

    /// <summary>Reserves room for one record of <paramref name="length"/> bytes; the caller copies and stamps it.</summary>
    public Span<byte> Reserve(int length, ulong lsn)
    {
        var span = _buf.AsSpan(Length, length);
        Length += length;
        RecordCount++;
        if (FirstLsn == 0) FirstLsn = lsn;
        LastLsn = lsn;
        return span;
    }

    public void AddRef() => Interlocked.Increment(ref _refs);

    public void Release()
    {
        if (Interlocked.Decrement(ref _refs) != 0) return;
        var b = _buf;
        _buf = [];
        if (b.Length > 0) ArrayPool<byte>.Shared.Return(b);
    }
}
