using System.Buffers.Binary;

namespace Borealis.Redo.Heap;

/// <summary>
/// The meta page of one heap (<see cref="PageKind.HeapMeta"/>); the heap is identified by its
/// number. It lists the heap's directory pages and keeps, per directory page, the highest
/// free-space category among the data pages it lists (the top level of a two-level free-space
/// map, so an insert looking for room reads at most this page and one directory page).
/// <code>
/// offset size        field
///  0     16          page header
/// 16     1           kind      PageKind.HeapMeta
/// 17     1           version   1
/// 18     2           reserved
/// 20     4           dirCount  number of directory pages
/// 24     8           reserved
/// 32     8×MaxDirs   dirPages  directory page numbers, in order
/// 32+8×MaxDirs  1×MaxDirs summary  max category of each directory page's entries
/// </code>
/// Capacity: MaxDirs × FreeSpacePage.Capacity data pages (906 × 1020 ≈ 924k pages ≈ 7.2 GiB).
/// </summary>
public static class HeapMetaPage
{
    public const byte Version = 1;
    public const int OffVersion = 17;
    public const int OffDirCount = 20;
    public const int OffDirPages = 32;
    public const int MaxDirs = (Page.Size - OffDirPages) / 9;           // 906
    public const int OffSummary = OffDirPages + MaxDirs * 8;            // 7280

    public static bool IsMeta(ReadOnlySpan<byte> page) => page[PageKinds.Offset] == (byte)PageKind.HeapMeta;
    public static int DirCount(ReadOnlySpan<byte> page) => BinaryPrimitives.ReadInt32LittleEndian(page[OffDirCount..]);
    public static ulong DirPage(ReadOnlySpan<byte> page, int i) => BinaryPrimitives.ReadUInt64LittleEndian(page[(OffDirPages + i * 8)..]);
    public static byte Summary(ReadOnlySpan<byte> page, int i) => page[OffSummary + i];

    public static bool HeaderValid(ReadOnlySpan<byte> page)
    {
        if (!IsMeta(page)) return false;
        int n = DirCount(page);
        return n >= 0 && n <= MaxDirs;
    }
}

/// <summary>
/// A heap directory page (<see cref="PageKind.FreeSpace"/>): the page directory and free-space
/// map of a heap in one. Each entry is one data page of the heap and its free-space category;
/// a sequential scan walks the entries in order, and inserts look here for a page with room.
/// <code>
/// offset size       field
///  0     16         page header
/// 16     1          kind    PageKind.FreeSpace
/// 17     1          reserved
/// 18     2          count   entries in use
/// 20     4          reserved
/// 24     8          owner   the heap's meta page
/// 32     8×Capacity entries: page number (bits 0..47) | category (bits 56..63); bits 48..55 reserved 0
/// </code>
/// The category is coarse (<see cref="Category"/>: free bytes / 32) and is only rewritten when
/// the heap learns a page's category changed (page found full, page pruned), not on every
/// insert, so it costs little redo. It may overstate a page's room; an insert that finds less
/// corrects it. It never understates it for long: prune records the new category at once.
/// </summary>
public static class FreeSpacePage
{
    public const int OffCount = 18;
    public const int OffOwner = 24;
    public const int OffEntries = 32;
    public const int Capacity = (Page.Size - OffEntries) / 8;           // 1020
    public const int CategoryShift = 5;                                  // 32-byte granularity

    public static bool IsFreeSpace(ReadOnlySpan<byte> page) => page[PageKinds.Offset] == (byte)PageKind.FreeSpace;
    public static int Count(ReadOnlySpan<byte> page) => BinaryPrimitives.ReadUInt16LittleEndian(page[OffCount..]);
    public static ulong EntryPage(ReadOnlySpan<byte> page, int i) => BinaryPrimitives.ReadUInt64LittleEndian(page[(OffEntries + i * 8)..]) & HeapTuple.MaxPage;
    public static byte EntryCategory(ReadOnlySpan<byte> page, int i) => page[OffEntries + i * 8 + 7];

    /// <summary>Free-space category of a page with <paramref name="freeBytes"/> free: free / 32, capped at 255.</summary>
    public static byte Category(int freeBytes) => (byte)Math.Clamp(freeBytes >> CategoryShift, 0, 255);

    /// <summary>Lowest category guaranteeing <paramref name="bytes"/> of room (a page of category c has ≥ 32c bytes).</summary>
    public static int CategoryFor(int bytes) => (bytes + (1 << CategoryShift) - 1) >> CategoryShift;

    /// <summary>Highest category among the entries (the directory's summary in the meta page).</summary>
    public static byte MaxCategory(ReadOnlySpan<byte> page)
    {
        int n = Math.Min(Count(page), Capacity);
        byte max = 0;
        for (int i = 0; i < n; i++)
        {
            byte c = EntryCategory(page, i);
            if (c > max) max = c;
        }
        return max;
    }

    public static bool HeaderValid(ReadOnlySpan<byte> page) => IsFreeSpace(page) && Count(page) <= Capacity;
}

/// <summary>
/// An overflow page (<see cref="PageKind.Overflow"/>): one chunk of a large row, chained.
/// <code>
/// offset size  field
///  0     16    page header
/// 16     1     kind     PageKind.Overflow
/// 17     1     reserved
/// 18     2     length   chunk bytes on this page (1..MaxChunk)
/// 20     4     reserved
/// 24     8     next     next page of the chain (0 = last)
/// 32     …     chunk
/// </code>
/// Written once by one OverflowWrite record (which formats the whole page) and never changed;
/// freed to the page allocator by vacuum when the tuple pointing to it is pruned.
/// </summary>
public static class OverflowPage
{
    public const int OffLength = 18;
    public const int OffNext = 24;
    public const int OffChunk = 32;
    public const int MaxChunk = Page.Size - OffChunk;                   // 8160

    public static bool IsOverflow(ReadOnlySpan<byte> page) => page[PageKinds.Offset] == (byte)PageKind.Overflow;
    public static int Length(ReadOnlySpan<byte> page) => BinaryPrimitives.ReadUInt16LittleEndian(page[OffLength..]);
    public static ulong Next(ReadOnlySpan<byte> page) => BinaryPrimitives.ReadUInt64LittleEndian(page[OffNext..]);

    /// <summary>The chunk, or empty when the page is not a well-formed overflow page.</summary>
    public static ReadOnlySpan<byte> Chunk(ReadOnlySpan<byte> page)
    {
        int len = Length(page);
        if (!IsOverflow(page) || len < 1 || len > MaxChunk) return default;
        return page.Slice(OffChunk, len);
    }
}
