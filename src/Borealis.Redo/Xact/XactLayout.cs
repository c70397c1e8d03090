using System.Buffers.Binary;

namespace Borealis.Redo.Xact;

/// <summary>
/// Layout of the transaction pages and payloads of the xact record family. Every xact page
/// shares one header:
/// <code>
/// offset size field
///  0     16   page header (Page: lsn, checksum)
/// 16     1    kind      PageKind.XactMeta (counter, directory) or PageKind.XactStatus
/// 17     1    role      XactPageRole
/// 18     6    reserved  0
/// 24     8    base      Status: first xid of the page (a multiple of SlotsPerPage);
///                       DirLeaf: first status-page index it maps (a multiple of SlotsPerPage);
///                       Counter, DirRoot: 0
/// 32     8×n  slots     n = SlotsPerPage (1020) u64 entries:
///                       Status: one per xid, 0 = in progress / never finished,
///                               1 = aborted, else the LSN of its commit record
///                       DirRoot: entry i = page number of the DirLeaf mapping status pages
///                               [i × SlotsPerPage, (i+1) × SlotsPerPage), 0 = none yet
///                       DirLeaf: entry i = page number of status page (base + i), 0 = none
///                       Counter: slot 0 = xid ceiling (every xid ever handed out is below it)
/// </code>
/// The two-level directory maps SlotsPerPage³ ≈ 1.06e9 xids (<see cref="MaxXid"/>). Status 1 can
/// never be a commit LSN: LSN 1 is the volume's first record, which formats the super block.
/// </summary>
public static class XactLayout
{
    public const int OffKind = PageKinds.Offset;   // 16
    public const int OffRole = 17;
    public const int OffBase = 24;
    public const int OffSlots = 32;
    public const int SlotsPerPage = (Page.Size - OffSlots) / 8;   // 1020
    public const int OffCeiling = OffSlots;

    public const ulong StatusInProgress = 0;
    public const ulong StatusAborted = 1;

    /// <summary>Exclusive upper bound of the xids the two-level directory can map.</summary>
    public const ulong MaxXid = (ulong)SlotsPerPage * SlotsPerPage * SlotsPerPage;

    /// <summary>XactFormat payload size: u8 role, u64 base.</summary>
    public const int FormatPayloadSize = 9;
    /// <summary>XactDirSet payload size: u16 index, u64 pageNo.</summary>
    public const int DirSetPayloadSize = 10;
    public const int CeilingPayloadSize = 8;

    public static XactPageRole Role(ReadOnlySpan<byte> page) => (XactPageRole)page[OffRole];
    public static ulong Base(ReadOnlySpan<byte> page) => BinaryPrimitives.ReadUInt64LittleEndian(page[OffBase..]);
    public static ulong Slot(ReadOnlySpan<byte> page, int i) => BinaryPrimitives.ReadUInt64LittleEndian(page[(OffSlots + i * 8)..]);
    public static ulong Ceiling(ReadOnlySpan<byte> page) => BinaryPrimitives.ReadUInt64LittleEndian(page[OffCeiling..]);

    /// <summary>True when the page is a formatted xact page of <paramref name="role"/>.</summary>
    public static bool Is(ReadOnlySpan<byte> page, XactPageRole role) =>
        page[OffKind] == (byte)KindOf(role) && page[OffRole] == (byte)role;

    public static PageKind KindOf(XactPageRole role) => role == XactPageRole.Status ? PageKind.XactStatus : PageKind.XactMeta;

    public static int WriteFormat(Span<byte> dest, XactPageRole role, ulong baseValue)
    {
        dest[0] = (byte)role;
        BinaryPrimitives.WriteUInt64LittleEndian(dest[1..], baseValue);
        return FormatPayloadSize;
    }

    /// <summary>Payload size of an XactCommit/XactAbort record naming <paramref name="count"/> slots.</summary>
    public static int SlotsPayloadSize(int count) => 2 + 2 * count;

    public static int WriteSlots(Span<byte> dest, ReadOnlySpan<ushort> slots)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(dest, (ushort)slots.Length);
        for (int i = 0; i < slots.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(dest[(2 + 2 * i)..], slots[i]);
        return SlotsPayloadSize(slots.Length);
    }

    public static int WriteDirSet(Span<byte> dest, int index, ulong pageNo)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(dest, (ushort)index);
        BinaryPrimitives.WriteUInt64LittleEndian(dest[2..], pageNo);
        return DirSetPayloadSize;
    }

    public static int WriteCeiling(Span<byte> dest, ulong ceiling)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(dest, ceiling);
        return CeilingPayloadSize;
    }
}

/// <summary>What an xact page holds (byte 17). On-disk values: only ever added to.</summary>
public enum XactPageRole : byte
{
    None = 0,
    /// <summary>The xid counter (RootSlot.XactMeta): holds the xid ceiling.</summary>
    Counter = 1,
    /// <summary>Directory root (RootSlot.XactDirectory): maps ranges of status pages to leaves.</summary>
    DirRoot = 2,
    /// <summary>Directory leaf: maps status-page indexes to page numbers.</summary>
    DirLeaf = 3,
    /// <summary>Commit-status page: one u64 per xid.</summary>
    Status = 4,
}
