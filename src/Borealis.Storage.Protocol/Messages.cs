namespace Borealis.Storage.Protocol;

// Payload layouts of every message (after the 20-byte frame header). Field order below is the
// wire order; all integers little-endian. docs/storage-protocol.md mirrors this file.
// Each message has Size (its exact payload size), Write and a static TryRead that returns
// false on any malformed payload (never throws).

/// <summary>Hello: u16 version, u8 kind, u8 reserved, u32 senderNodeId (0 for instances).</summary>
public struct HelloMsg
{
    public ushort Version;
    public ClientKind Kind;
    public uint SenderNodeId;
    public const int Size = 8;
    public readonly void Write(ref WireWriter w) { w.U16(Version); w.U8((byte)Kind); w.U8(0); w.U32(SenderNodeId); }
    public static bool TryRead(ReadOnlySpan<byte> p, out HelloMsg m)
    {
        var r = new WireReader(p);
        m = new HelloMsg { Version = r.U16(), Kind = (ClientKind)r.U8() };
        r.U8();
        m.SenderNodeId = r.U32();
        return r.Ok && r.AtEnd;
    }
}

public enum ClientKind : byte { Writer = 1, Reader = 2, Peer = 3, Admin = 4 }

/// <summary>HelloOk: u16 version, u16 reserved, u32 nodeId, str az.</summary>
public struct HelloOkMsg
{
    public ushort Version;
    public uint NodeId;
    public string Az;
    public readonly int Size => 8 + WireWriter.StrSize(Az);
    public readonly void Write(ref WireWriter w) { w.U16(Version); w.U16(0); w.U32(NodeId); w.Str(Az); }
    public static bool TryRead(ReadOnlySpan<byte> p, out HelloOkMsg m)
    {
        var r = new WireReader(p);
        m = new HelloOkMsg { Version = r.U16() };
        r.U16();
        m.NodeId = r.U32();
        m.Az = r.Str();
        return r.Ok && r.AtEnd;
    }
}

/// <summary>Error: u16 code, u32 currentEpoch (the segment's, for StaleEpoch/StaleMembership), str message.</summary>
public struct ErrorMsg
{
    public ErrorCode Code;
    public uint CurrentEpoch;
    public string Message;
    public readonly int Size => 6 + WireWriter.StrSize(Message);
    public readonly void Write(ref WireWriter w) { w.U16((ushort)Code); w.U32(CurrentEpoch); w.Str(Message); }
    public static bool TryRead(ReadOnlySpan<byte> p, out ErrorMsg m)
    {
        var r = new WireReader(p);
        m = new ErrorMsg { Code = (ErrorCode)r.U16(), CurrentEpoch = r.U32(), Message = r.Str() };
        return r.Ok && r.AtEnd;
    }
}

/// <summary>Identifies a segment: u64 volumeId, u32 pgIndex.</summary>
public readonly record struct SegmentId(ulong VolumeId, uint PgIndex)
{
    public const int Size = 12;
    public void Write(ref WireWriter w) { w.U64(VolumeId); w.U32(PgIndex); }
    public static SegmentId Read(ref WireReader r) => new(r.U64(), r.U32());
    public override string ToString() => $"{VolumeId:x}/{PgIndex}";
}

/// <summary>One member of a PG: u32 nodeId, str az, str endpoint (host:port).</summary>
public readonly record struct Member(uint NodeId, string Az, string Endpoint)
{
    public int Size => 4 + WireWriter.StrSize(Az) + WireWriter.StrSize(Endpoint);
    public void Write(ref WireWriter w) { w.U32(NodeId); w.Str(Az); w.Str(Endpoint); }
    public static Member Read(ref WireReader r) => new(r.U32(), r.Str(), r.Str());
}

/// <summary>
/// A PG's membership: u32 membershipEpoch, u8 count, members. Normally six; during a segment
/// replacement the writer sends the union of the old and new sets but each segment stores
/// the set it is told.
/// </summary>
public sealed record Membership(uint Epoch, Member[] Members)
{
    public const int MaxMembers = 12;
    public int Size
    {
        get
        {
            int n = 5;
            foreach (var m in Members) n += m.Size;
            return n;
        }
    }
    public void Write(ref WireWriter w)
    {
        w.U32(Epoch);
        w.U8((byte)Members.Length);
        foreach (var m in Members) m.Write(ref w);
    }
    public static Membership? Read(ref WireReader r)
    {
        uint epoch = r.U32();
        int n = r.U8();
        if (!r.Ok || n > MaxMembers) return null;
        var members = new Member[n];
        for (int i = 0; i < n; i++) members[i] = Member.Read(ref r);
        return r.Ok ? new Membership(epoch, members) : null;
    }
}

/// <summary>
/// EnsureSegment: segment, u64 firstPage, u32 pageCount, membership. Creates the segment if the
/// node has none (idempotent); refused with StaleMembership if the node knows a newer membership.
/// A node that already has the segment adopts a newer membership. Reply: SegmentState.
/// UpdateMembership has the same payload.
/// </summary>
public struct EnsureSegmentMsg
{
    public SegmentId Segment;
    public ulong FirstPage;
    public uint PageCount;
    public Membership Membership;
    public readonly int Size => SegmentId.Size + 12 + Membership.Size;
    public readonly void Write(ref WireWriter w) { Segment.Write(ref w); w.U64(FirstPage); w.U32(PageCount); Membership.Write(ref w); }
    public static bool TryRead(ReadOnlySpan<byte> p, out EnsureSegmentMsg m)
    {
        var r = new WireReader(p);
        m = new EnsureSegmentMsg { Segment = SegmentId.Read(ref r), FirstPage = r.U64(), PageCount = r.U32() };
        var mem = Membership.Read(ref r);
        m.Membership = mem!;
        return r.Ok && r.AtEnd && mem is not null;
    }
}

/// <summary>GetSegmentState: segment. Reply: SegmentState.</summary>
public struct SegmentOnlyMsg
{
    public SegmentId Segment;
    public const int Size = SegmentId.Size;
    public readonly void Write(ref WireWriter w) => Segment.Write(ref w);
    public static bool TryRead(ReadOnlySpan<byte> p, out SegmentOnlyMsg m)
    {
        var r = new WireReader(p);
        m = new SegmentOnlyMsg { Segment = SegmentId.Read(ref r) };
        return r.Ok && r.AtEnd;
    }
}

/// <summary>
/// SegmentState: segment, u32 volumeEpoch, u64 epochStartLsn, u32 membershipEpoch, u64 scl,
/// u64 maxLsn (highest LSN held, possibly above a gap), u64 baseLsn (pages materialised up to
/// here), u64 durableHint (highest VDL a writer announced), u64 minReadPoint.
/// </summary>
public struct SegmentStateMsg
{
    public SegmentId Segment;
    public uint VolumeEpoch;
    public ulong EpochStartLsn;
    public uint MembershipEpoch;
    public ulong Scl;
    public ulong MaxLsn;
    public ulong BaseLsn;
    public ulong DurableHint;
    public ulong MinReadPoint;
    public const int Size = SegmentId.Size + 4 + 8 + 4 + 8 * 5;
    public readonly void Write(ref WireWriter w)
    {
        Segment.Write(ref w); w.U32(VolumeEpoch); w.U64(EpochStartLsn); w.U32(MembershipEpoch);
        w.U64(Scl); w.U64(MaxLsn); w.U64(BaseLsn); w.U64(DurableHint); w.U64(MinReadPoint);
    }
    public static bool TryRead(ReadOnlySpan<byte> p, out SegmentStateMsg m)
    {
        var r = new WireReader(p);
        m = new SegmentStateMsg
        {
            Segment = SegmentId.Read(ref r), VolumeEpoch = r.U32(), EpochStartLsn = r.U64(), MembershipEpoch = r.U32(),
            Scl = r.U64(), MaxLsn = r.U64(), BaseLsn = r.U64(), DurableHint = r.U64(), MinReadPoint = r.U64(),
        };
        return r.Ok && r.AtEnd;
    }
}

/// <summary>
/// Append header: segment, u32 volumeEpoch, u64 epochStartLsn, u32 membershipEpoch,
/// u64 durableHint (the writer's VDL), u64 minReadPoint, u32 recordCount; then recordCount
/// redo records back to back (RedoRecord layout), all of this segment, ascending LSN.
/// epochStartLsn is the VDL the writer recovered to when it took this epoch: a node that
/// missed the epoch change drops its older-epoch records above it before appending.
/// Reply: AppendAck, sent only after the records are fsynced.
/// </summary>
public struct AppendHeader
{
    public SegmentId Segment;
    public uint VolumeEpoch;
    public ulong EpochStartLsn;
    public uint MembershipEpoch;
    public ulong DurableHint;
    public ulong MinReadPoint;
    public uint RecordCount;
    public const int Size = SegmentId.Size + 4 + 8 + 4 + 8 + 8 + 4;
    public readonly void Write(ref WireWriter w)
    {
        Segment.Write(ref w); w.U32(VolumeEpoch); w.U64(EpochStartLsn); w.U32(MembershipEpoch);
        w.U64(DurableHint); w.U64(MinReadPoint); w.U32(RecordCount);
    }
    /// <summary>Reads the header; <paramref name="records"/> is the rest of the payload (not yet validated).</summary>
    public static bool TryRead(ReadOnlySpan<byte> p, out AppendHeader m, out ReadOnlySpan<byte> records)
    {
        var r = new WireReader(p);
        m = new AppendHeader
        {
            Segment = SegmentId.Read(ref r), VolumeEpoch = r.U32(), EpochStartLsn = r.U64(), MembershipEpoch = r.U32(),
            DurableHint = r.U64(), MinReadPoint = r.U64(), RecordCount = r.U32(),
        };
        records = r.Rest();
        return r.Ok;
    }
}

/// <summary>AppendAck: segment, u64 scl, u64 maxLsn — the segment's state after the batch was made durable.</summary>
public struct AppendAckMsg
{
    public SegmentId Segment;
    public ulong Scl;
    public ulong MaxLsn;
    public const int Size = SegmentId.Size + 16;
    public readonly void Write(ref WireWriter w) { Segment.Write(ref w); w.U64(Scl); w.U64(MaxLsn); }
    public static bool TryRead(ReadOnlySpan<byte> p, out AppendAckMsg m)
    {
        var r = new WireReader(p);
        m = new AppendAckMsg { Segment = SegmentId.Read(ref r), Scl = r.U64(), MaxLsn = r.U64() };
        return r.Ok && r.AtEnd;
    }
}

/// <summary>
/// SealEpoch: segment, u32 newEpoch, u32 membershipEpoch. The node raises the segment's
/// volume epoch to newEpoch (equal is idempotent, older is refused with StaleEpoch) durably,
/// and from then on refuses appends of older epochs. Reply: SegmentState.
/// Truncate: segment, u32 epoch, u64 truncateAbove: discard every record above truncateAbove
/// written under an older epoch, and remember truncateAbove as the epoch's start. Reply: SegmentState.
/// Both use <see cref="EpochMsg"/>: for SealEpoch, Lsn is 0.
/// </summary>
public struct EpochMsg
{
    public SegmentId Segment;
    public uint Epoch;
    public uint MembershipEpoch;
    public ulong Lsn;
    public const int Size = SegmentId.Size + 16;
    public readonly void Write(ref WireWriter w) { Segment.Write(ref w); w.U32(Epoch); w.U32(MembershipEpoch); w.U64(Lsn); }
    public static bool TryRead(ReadOnlySpan<byte> p, out EpochMsg m)
    {
        var r = new WireReader(p);
        m = new EpochMsg { Segment = SegmentId.Read(ref r), Epoch = r.U32(), MembershipEpoch = r.U32(), Lsn = r.U64() };
        return r.Ok && r.AtEnd;
    }
}

/// <summary>ListLsns: segment, u64 afterLsn, u32 maxCount. Reply LsnList: u32 count, then count × (u64 lsn, u8 flags) ascending.</summary>
public struct ListLsnsMsg
{
    public SegmentId Segment;
    public ulong AfterLsn;
    public uint MaxCount;
    public const int Size = SegmentId.Size + 12;
    public readonly void Write(ref WireWriter w) { Segment.Write(ref w); w.U64(AfterLsn); w.U32(MaxCount); }
    public static bool TryRead(ReadOnlySpan<byte> p, out ListLsnsMsg m)
    {
        var r = new WireReader(p);
        m = new ListLsnsMsg { Segment = SegmentId.Read(ref r), AfterLsn = r.U64(), MaxCount = r.U32() };
        return r.Ok && r.AtEnd;
    }
}

/// <summary>GetPage: segment, u64 pageNo, u64 asOfLsn, u32 volumeEpoch. Reply PageData: u64 pageNo, u64 asOfLsn, then Page.Size bytes (checksummed).</summary>
public struct GetPageMsg
{
    public SegmentId Segment;
    public ulong PageNo;
    public ulong AsOfLsn;
    public uint VolumeEpoch;
    public const int Size = SegmentId.Size + 20;
    public readonly void Write(ref WireWriter w) { Segment.Write(ref w); w.U64(PageNo); w.U64(AsOfLsn); w.U32(VolumeEpoch); }
    public static bool TryRead(ReadOnlySpan<byte> p, out GetPageMsg m)
    {
        var r = new WireReader(p);
        m = new GetPageMsg { Segment = SegmentId.Read(ref r), PageNo = r.U64(), AsOfLsn = r.U64(), VolumeEpoch = r.U32() };
        return r.Ok && r.AtEnd;
    }
}

/// <summary>
/// ReadRecords (gossip, hydration): segment, u64 afterLsn, u32 maxBytes, u32 senderEpoch,
/// u64 senderEpochStart. Reply Records: segment, u32 volumeEpoch, u64 epochStartLsn, u64 scl,
/// u32 count, then records ascending from the first LSN above afterLsn that the node holds.
/// The epoch fields let each side learn a newer epoch (and its truncation) from the other.
/// </summary>
public struct ReadRecordsMsg
{
    public SegmentId Segment;
    public ulong AfterLsn;
    public uint MaxBytes;
    public uint SenderEpoch;
    public ulong SenderEpochStart;
    public const int Size = SegmentId.Size + 24;
    public readonly void Write(ref WireWriter w) { Segment.Write(ref w); w.U64(AfterLsn); w.U32(MaxBytes); w.U32(SenderEpoch); w.U64(SenderEpochStart); }
    public static bool TryRead(ReadOnlySpan<byte> p, out ReadRecordsMsg m)
    {
        var r = new WireReader(p);
        m = new ReadRecordsMsg { Segment = SegmentId.Read(ref r), AfterLsn = r.U64(), MaxBytes = r.U32(), SenderEpoch = r.U32(), SenderEpochStart = r.U64() };
        return r.Ok && r.AtEnd;
    }
}

public struct RecordsHeader
{
    public SegmentId Segment;
    public uint VolumeEpoch;
    public ulong EpochStartLsn;
    public ulong Scl;
    public uint Count;
    public const int Size = SegmentId.Size + 24;
    public readonly void Write(ref WireWriter w) { Segment.Write(ref w); w.U32(VolumeEpoch); w.U64(EpochStartLsn); w.U64(Scl); w.U32(Count); }
    public static bool TryRead(ReadOnlySpan<byte> p, out RecordsHeader m, out ReadOnlySpan<byte> records)
    {
        var r = new WireReader(p);
        m = new RecordsHeader { Segment = SegmentId.Read(ref r), VolumeEpoch = r.U32(), EpochStartLsn = r.U64(), Scl = r.U64(), Count = r.U32() };
        records = r.Rest();
        return r.Ok;
    }
}

/// <summary>
/// FetchBase (hydration of a new segment): segment, u64 startPage, u32 maxPages.
/// Reply BasePages: segment, u64 baseLsn, u64 nextPage (0 = done), u32 count, then
/// count × (u64 pageNo, Page.Size bytes) for the non-empty pages from startPage on.
/// </summary>
public struct FetchBaseMsg
{
    public SegmentId Segment;
    public ulong StartPage;
    public uint MaxPages;
    public const int Size = SegmentId.Size + 12;
    public readonly void Write(ref WireWriter w) { Segment.Write(ref w); w.U64(StartPage); w.U32(MaxPages); }
    public static bool TryRead(ReadOnlySpan<byte> p, out FetchBaseMsg m)
    {
        var r = new WireReader(p);
        m = new FetchBaseMsg { Segment = SegmentId.Read(ref r), StartPage = r.U64(), MaxPages = r.U32() };
        return r.Ok && r.AtEnd;
    }
}

public struct BasePagesHeader
{
    public SegmentId Segment;
    public ulong BaseLsn;
    public ulong NextPage;
    public uint Count;
    public const int Size = SegmentId.Size + 20;
    public readonly void Write(ref WireWriter w) { Segment.Write(ref w); w.U64(BaseLsn); w.U64(NextPage); w.U32(Count); }
    public static bool TryRead(ReadOnlySpan<byte> p, out BasePagesHeader m, out ReadOnlySpan<byte> pages)
    {
        var r = new WireReader(p);
        m = new BasePagesHeader { Segment = SegmentId.Read(ref r), BaseLsn = r.U64(), NextPage = r.U64(), Count = r.U32() };
        pages = r.Rest();
        return r.Ok;
    }
}

/// <summary>SetMinReadPoint: u64 volumeId, u64 lsn — the oldest read point any instance of the volume still needs. Reply: Ok.</summary>
public struct MinReadPointMsg
{
    public ulong VolumeId;
    public ulong Lsn;
    public const int Size = 16;
    public readonly void Write(ref WireWriter w) { w.U64(VolumeId); w.U64(Lsn); }
    public static bool TryRead(ReadOnlySpan<byte> p, out MinReadPointMsg m)
    {
        var r = new WireReader(p);
        m = new MinReadPointMsg { VolumeId = r.U64(), Lsn = r.U64() };
        return r.Ok && r.AtEnd;
    }
}

/// <summary>ScrubReport: u32 pagesChecked, u32 logRecordsChecked, u32 corruptFound, u32 repaired. Scrub's request payload is empty.</summary>
public struct ScrubReportMsg
{
    public uint PagesChecked;
    public uint LogRecordsChecked;
    public uint CorruptFound;
    public uint Repaired;
    public const int Size = 16;
    public readonly void Write(ref WireWriter w) { w.U32(PagesChecked); w.U32(LogRecordsChecked); w.U32(CorruptFound); w.U32(Repaired); }
    public static bool TryRead(ReadOnlySpan<byte> p, out ScrubReportMsg m)
    {
        var r = new WireReader(p);
        m = new ScrubReportMsg { PagesChecked = r.U32(), LogRecordsChecked = r.U32(), CorruptFound = r.U32(), Repaired = r.U32() };
        return r.Ok && r.AtEnd;
    }
}
