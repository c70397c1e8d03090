using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Borealis.Redo.Heap;

/// <summary>
/// A slotted heap page (<see cref="PageKind.Heap"/>): line pointers grow up from the header,
/// tuples grow down from the end of the page; free space is the gap between them.
/// <code>
/// offset size field
///  0     16   page header (Page: lsn, checksum)
/// 16     1    kind        PageKind.Heap
/// 17     1    reserved    0
/// 18     2    slotCount   number of line pointers
/// 20     2    lower       end of the line-pointer array = 40 + 4 × slotCount
/// 22     2    upper       start of the tuple area (tuples occupy [upper, 8192))
/// 24     8    owner       page number of the heap's meta page (for scrub and tools)
/// 32     2    dirIndex    which directory page of the heap lists this page
/// 34     2    dirEntry    the entry within that directory page (so free-space updates
///                         find the entry without a search)
/// 36     4    reserved    0
/// 40     4×n  line pointers, slot i at 40 + 4i:
///               u16 offset, u16 length
///               offset 0, length 0: Unused (free for a new insert)
///               offset 0, length 1: Dead   (tuple removed; indexes may still point here)
///               offset ≥ upper, length ≥ HeapTuple.HeaderSize: Normal
/// …           free space
/// upper       tuples (HeapTuple), packed
/// </code>
/// Deleting never frees space (a deleted version is still a version); only HeapPrune does,
/// and it then compacts the page deterministically: Normal tuples are repacked toward the end
/// in slot order and trailing Unused line pointers are dropped, so every replica of the page
/// has the same bytes.
/// </summary>
public static class HeapPage
{
    public const int OffKind = 16;
    public const int OffSlotCount = 18;
    public const int OffLower = 20;
    public const int OffUpper = 22;
    public const int OffOwner = 24;
    public const int OffDirIndex = 32;
    public const int OffDirEntry = 34;
    public const int HeaderEnd = 40;
    public const int LinePointerSize = 4;

    /// <summary>Largest tuple (header + data) that fits on an empty page together with its line pointer.</summary>
    public const int MaxTupleSize = Page.Size - HeaderEnd - LinePointerSize;
    /// <summary>Most line pointers a page can hold (every tuple needs at least a header).</summary>
    public const int MaxSlots = (Page.Size - HeaderEnd) / (LinePointerSize + HeapTuple.HeaderSize);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsHeap(ReadOnlySpan<byte> page) => page[OffKind] == (byte)PageKind.Heap;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int SlotCount(ReadOnlySpan<byte> page) => BinaryPrimitives.ReadUInt16LittleEndian(page[OffSlotCount..]);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Lower(ReadOnlySpan<byte> page) => BinaryPrimitives.ReadUInt16LittleEndian(page[OffLower..]);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Upper(ReadOnlySpan<byte> page) => BinaryPrimitives.ReadUInt16LittleEndian(page[OffUpper..]);
    public static ulong Owner(ReadOnlySpan<byte> page) => BinaryPrimitives.ReadUInt64LittleEndian(page[OffOwner..]);
    public static int DirIndex(ReadOnlySpan<byte> page) => BinaryPrimitives.ReadUInt16LittleEndian(page[OffDirIndex..]);
    public static int DirEntry(ReadOnlySpan<byte> page) => BinaryPrimitives.ReadUInt16LittleEndian(page[OffDirEntry..]);

    /// <summary>Bytes between the line-pointer array and the tuple area.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int FreeSpace(ReadOnlySpan<byte> page) => Upper(page) - Lower(page);

    /// <summary>Bytes a new tuple with <paramref name="dataLength"/> data bytes takes (tuple + a new line pointer).</summary>
    public static int SpaceNeeded(int dataLength) => HeapTuple.HeaderSize + dataLength + LinePointerSize;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int SlotOffset(ReadOnlySpan<byte> page, int slot) => BinaryPrimitives.ReadUInt16LittleEndian(page[(HeaderEnd + slot * LinePointerSize)..]);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int SlotLength(ReadOnlySpan<byte> page, int slot) => BinaryPrimitives.ReadUInt16LittleEndian(page[(HeaderEnd + slot * LinePointerSize + 2)..]);

    public static SlotState State(ReadOnlySpan<byte> page, int slot)
    {
        if ((uint)slot >= (uint)SlotCount(page)) return SlotState.Unused;
        if (SlotOffset(page, slot) != 0) return SlotState.Normal;
        return SlotLength(page, slot) == 1 ? SlotState.Dead : SlotState.Unused;
    }

    /// <summary>
    /// The tuple (header + data) in a Normal slot, or an empty span when the slot is out of range,
    /// Unused or Dead. Safe on any bytes: bounds are checked, never trusted.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Span<byte> Tuple(Span<byte> page, int slot)
    {
        if ((uint)slot >= (uint)SlotCount(page) || HeaderEnd + (slot + 1) * LinePointerSize > Page.Size) return default;
        int off = SlotOffset(page, slot), len = SlotLength(page, slot);
        if (off < HeaderEnd || len < HeapTuple.HeaderSize || off + len > Page.Size) return default;
        return page.Slice(off, len);
    }

    /// <summary>Read-only overload of <see cref="Tuple(Span{byte}, int)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ReadOnlySpan<byte> Tuple(ReadOnlySpan<byte> page, int slot)
    {
        if ((uint)slot >= (uint)SlotCount(page) || HeaderEnd + (slot + 1) * LinePointerSize > Page.Size) return default;
        int off = SlotOffset(page, slot), len = SlotLength(page, slot);
        if (off < HeaderEnd || len < HeapTuple.HeaderSize || off + len > Page.Size) return default;
        return page.Slice(off, len);
    }

    /// <summary>
    /// The slot a new insert uses: the lowest Unused slot, else a new one at the end (= SlotCount).
    /// The writer picks it; HeapInsert carries it so replay does not have to choose.
    /// </summary>
    public static int ChooseSlot(ReadOnlySpan<byte> page)
    {
        int n = SlotCount(page);
        for (int i = 0; i < n; i++)
            if (BinaryPrimitives.ReadUInt32LittleEndian(page[(HeaderEnd + i * LinePointerSize)..]) == 0) return i;
        return n;
    }

    /// <summary>True when a tuple of <paramref name="tupleLength"/> bytes fits in <paramref name="slot"/> (as chosen by <see cref="ChooseSlot"/>).</summary>
    public static bool Fits(ReadOnlySpan<byte> page, int slot, int tupleLength)
    {
        int n = SlotCount(page);
        if (slot == n && n >= MaxSlots) return false;
        return tupleLength + (slot == n ? LinePointerSize : 0) <= FreeSpace(page);
    }

    internal static void SetSlot(Span<byte> page, int slot, int offset, int length)
    {
        var lp = page[(HeaderEnd + slot * LinePointerSize)..];
        BinaryPrimitives.WriteUInt16LittleEndian(lp, (ushort)offset);
        BinaryPrimitives.WriteUInt16LittleEndian(lp[2..], (ushort)length);
    }

    internal static void SetCounts(Span<byte> page, int slotCount, int upper)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(page[OffSlotCount..], (ushort)slotCount);
        BinaryPrimitives.WriteUInt16LittleEndian(page[OffLower..], (ushort)(HeaderEnd + slotCount * LinePointerSize));
        BinaryPrimitives.WriteUInt16LittleEndian(page[OffUpper..], (ushort)upper);
    }

    /// <summary>
    /// Checks the page header is self-consistent (kind Heap, lower matches slotCount, lower ≤ upper).
    /// Apply checks this before trusting any offset on a page it is about to change.
    /// </summary>
    public static bool HeaderValid(ReadOnlySpan<byte> page)
    {
        if (!IsHeap(page)) return false;
        int n = SlotCount(page), lower = Lower(page), upper = Upper(page);
        return lower == HeaderEnd + n * LinePointerSize && lower <= upper && upper <= Page.Size;
    }
}

/// <summary>State of a line pointer.</summary>
public enum SlotState : byte
{
    Unused = 0,
    Normal = 1,
    Dead = 2,
}
