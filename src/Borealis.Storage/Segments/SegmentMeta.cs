using System.Buffers.Binary;
using System.IO.Hashing;
using Borealis.Storage.Protocol;

namespace Borealis.Storage;

/// <summary>
/// The durable state of a segment, kept in <c>segments/VVVVVVVVVVVVVVVV-PPPPPP/meta</c> and replaced
/// atomically (temp file, fsync, rename, fsync dir). Layout (little-endian):
/// <code>
/// offset size field
///  0     4    magic          "BSEG"
///  4     2    version        1
///  6     2    reserved       0
///  8     8    volumeId
/// 16     4    pgIndex
/// 20     8    firstPage
/// 28     4    pageCount
/// 32     4    volumeEpoch
/// 36     8    epochStart      LSN the writer of volumeEpoch recovered to; ulong.MaxValue = sealed, not yet known
/// 44     8    baseLsn         pages are materialised up to here
/// 52     8    durableHint
/// 60     8    minReadPoint
/// 68     8    coalesceTarget  non-zero while a coalesce to that LSN may have half-written page slots
/// 76     1    flags           bit 0: hydrating (waiting for a peer's base)
/// 77     1    historyCount    ≤ MaxHistory
/// 78     …    history         historyCount × (u32 epoch, u64 start), ascending epoch
///   …    …    membership      u32 epoch, u8 count, members (see Messages.cs)
/// end-4  4    crc32           System.IO.Hashing.Crc32 of everything before it
/// </code>
/// </summary>
internal sealed class SegmentMeta
{
    public const uint Magic = 0x47455342; // "BSEG"
    public const ushort Version = 1;
    public const int MaxHistory = 8;
    public const ulong UnknownStart = ulong.MaxValue;

    public SegmentId Id;
    public ulong FirstPage;
    public uint PageCount;
    public uint Epoch;
    public ulong EpochStart;
    public ulong BaseLsn;
    public ulong DurableHint;
    public ulong MinReadPoint;
    public ulong CoalesceTarget;
    public bool Hydrating;
    public List<(uint Epoch, ulong Start)> History { get; } = [];
    public Membership Membership = new(0, []);

    /// <summary>The epoch rule: true when a record of <paramref name="recordEpoch"/> at <paramref name="lsn"/> was written by a deposed writer.</summary>
    public bool IsDeposed(uint recordEpoch, ulong lsn)
    {
        foreach (var (e, start) in History)
            if (recordEpoch < e && lsn > start && start != UnknownStart) return true;
        return false;
    }

    /// <summary>Raises (or completes) the epoch; returns true when anything changed.</summary>
    public bool Adopt(uint epoch, ulong start)
    {
        if (epoch < Epoch) return false;
        // The start of an epoch is fixed once known; a seal (unknown start) never erases it.
        if (epoch == Epoch && (EpochStart != UnknownStart || start == UnknownStart)) return false;
        Epoch = epoch;
        EpochStart = start;
        int i = History.FindIndex(h => h.Epoch == epoch);
        if (i >= 0) History[i] = (epoch, start);
        else History.Add((epoch, start));
        while (History.Count > MaxHistory) History.RemoveAt(0);
        return true;
    }

    public byte[] Serialize()
    {
        int size = 78 + History.Count * 12 + Membership.Size + 4;
        var buf = new byte[size];
        var w = new WireWriter(buf);
        w.U32(Magic); w.U16(Version); w.U16(0);
        Id.Write(ref w);
        w.U64(FirstPage); w.U32(PageCount); w.U32(Epoch); w.U64(EpochStart); w.U64(BaseLsn); w.U64(DurableHint);
        w.U64(MinReadPoint); w.U64(CoalesceTarget); w.U8(Hydrating ? (byte)1 : (byte)0); w.U8((byte)History.Count);
        foreach (var (e, s) in History) { w.U32(e); w.U64(s); }
        Membership.Write(ref w);
        BinaryPrimitives.WriteUInt32LittleEndian(buf.AsSpan(size - 4), Crc32.HashToUInt32(buf.AsSpan(0, size - 4)));
        return buf;
    }

    public static SegmentMeta? Deserialize(ReadOnlySpan<byte> data)
    {
        if (data.Length < 82) return null;
        if (BinaryPrimitives.ReadUInt32LittleEndian(data[^4..]) != Crc32.HashToUInt32(data[..^4])) return null;
        var r = new WireReader(data[..^4]);
        if (r.U32() != Magic || r.U16() != Version) return null;
        r.U16();
        var m = new SegmentMeta
        {
            Id = SegmentId.Read(ref r), FirstPage = r.U64(), PageCount = r.U32(), Epoch = r.U32(), EpochStart = r.U64(),
            BaseLsn = r.U64(), DurableHint = r.U64(), MinReadPoint = r.U64(), CoalesceTarget = r.U64(), Hydrating = (r.U8() & 1) != 0,
        };
        int n = r.U8();
        if (n > MaxHistory) return null;
        for (int i = 0; i < n; i++) m.History.Add((r.U32(), r.U64()));
        var mem = Membership.Read(ref r);
        if (mem is null || !r.Ok || !r.AtEnd) return null;
        m.Membership = mem;
        return m;
    }
}
