using System.Buffers.Binary;
using Borealis.Redo;

namespace Borealis.Engine.Space;

/// <summary>
/// Page 0 of every volume: what the engine needs to find everything else.
/// <code>
/// offset size field
///  0     16   page header (Page: lsn, checksum)
/// 16     4    magic        "BRLS" (0x534C5242 little-endian)
/// 20     4    version      engine format version (1)
/// 24     8    nextPage     high-water mark: pages ≥ nextPage were never allocated
/// 32     8    reserved
/// 40     8×16 roots        well-known root pages (<see cref="RootSlot"/>), 0 = not created yet
/// 168    4    freeCount    number of entries in the free list
/// 172    4    reserved
/// 176    8×n  freeList     freed page numbers (a stack; the top is the last entry)
/// </code>
/// Every change is a WriteBytes redo record on page 0, made by <see cref="PageAllocator"/> or
/// <see cref="SetRootAsync"/>.
/// </summary>
public static class SuperBlock
{
    public const ulong PageNo = 0;
    public const uint Magic = 0x534C5242;
    public const uint Version = 1;
    public const int OffMagic = 16;
    public const int OffVersion = 20;
    public const int OffNextPage = 24;
    public const int OffRoots = 40;
    public const int RootSlots = 16;
    public const int OffFreeCount = OffRoots + RootSlots * 8;   // 168
    public const int OffFreeList = OffFreeCount + 8;            // 176
    public const int FreeListCapacity = (Page.Size - OffFreeList) / 8;

    public static bool IsFormatted(ReadOnlySpan<byte> page) => BinaryPrimitives.ReadUInt32LittleEndian(page[OffMagic..]) == Magic;
    public static ulong NextPage(ReadOnlySpan<byte> page) => BinaryPrimitives.ReadUInt64LittleEndian(page[OffNextPage..]);
    public static ulong Root(ReadOnlySpan<byte> page, RootSlot slot) => BinaryPrimitives.ReadUInt64LittleEndian(page[(OffRoots + (int)slot * 8)..]);
    public static int FreeCount(ReadOnlySpan<byte> page) => BinaryPrimitives.ReadInt32LittleEndian(page[OffFreeCount..]);
    public static ulong FreeEntry(ReadOnlySpan<byte> page, int i) => BinaryPrimitives.ReadUInt64LittleEndian(page[(OffFreeList + i * 8)..]);
}

/// <summary>Well-known root pages recorded in the super block. Values are on-disk: only ever added to.</summary>
public enum RootSlot
{
    /// <summary>Root of the catalog (system tables).</summary>
    Catalog = 0,
    /// <summary>Directory of transaction-status pages.</summary>
    XactDirectory = 1,
    /// <summary>Transaction id counter / xact meta page.</summary>
    XactMeta = 2,
}
