using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Borealis.Redo.BTree;

/// <summary>
/// Layout of a B+tree node page (<see cref="PageKind.BTreeLeaf"/> or <see cref="PageKind.BTreeInner"/>),
/// a B-link node (Lehman–Yao): every node has a right-link to its right sibling and a high key,
/// an exclusive upper bound of the keys it holds (keys ≥ the high key live to the right).
/// <code>
/// offset size field
///  0     16   page header (Page: lsn, checksum)
/// 16     1    kind        PageKind.BTreeLeaf / BTreeInner
/// 17     1    level       0 = leaf, parent = child + 1
/// 18     2    count       number of entries (slots)
/// 20     2    dataStart   cells occupy [dataStart, PageSize)
/// 22     2    garbage     bytes of dead cells inside [dataStart, PageSize)
/// 24     8    rightLink   page number of the right sibling, 0 = rightmost at its level
/// 32     2    highKeyOff  offset of the high key's cell, 0 = no high key (+∞, rightmost)
/// 34     1    flags       bit 0: dead (an emptied leaf unlinked from the tree; see BtMarkDead)
/// 35     5    reserved    0
/// 40     2×n  slots       u16 cell offsets, in key order
///  …          free space
/// dataStart…  cells       u16 keyLen, u16 valueLen, key bytes, value bytes
/// </code>
/// Keys compare as unsigned bytes (memcmp); keys in a node are unique and ascending. In an inner
/// node the value is the 8-byte little-endian child page number and the child at entry i holds
/// keys in [key i, key i+1); the first entry of the leftmost inner node of a level has the empty
/// key (−∞), the first key of any other inner node is its low key. Cells are compacted
/// deterministically by the apply routine, so a node's bytes depend only on its record history.
/// </summary>
public static class BTreeNode
{
    public const int OffKind = 16;
    public const int OffLevel = 17;
    public const int OffCount = 18;
    public const int OffDataStart = 20;
    public const int OffGarbage = 22;
    public const int OffRightLink = 24;
    public const int OffHighKey = 32;
    public const int OffFlags = 34;
    public const byte FlagDead = 1;
    public const int OffSlots = 40;
    public const int SlotSize = 2;
    public const int CellHeader = 4;
    public const int ChildSize = 8;
    /// <summary>Bytes available for slots and cells in an empty node.</summary>
    public const int Capacity = Page.Size - OffSlots;

    public static PageKind Kind(ReadOnlySpan<byte> page) => (PageKind)page[OffKind];
    public static bool IsNode(ReadOnlySpan<byte> page) => Kind(page) is PageKind.BTreeLeaf or PageKind.BTreeInner;
    public static bool IsLeaf(ReadOnlySpan<byte> page) => Kind(page) == PageKind.BTreeLeaf;
    public static int Level(ReadOnlySpan<byte> page) => page[OffLevel];
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Count(ReadOnlySpan<byte> page) => BinaryPrimitives.ReadUInt16LittleEndian(page[OffCount..]);
    public static int DataStart(ReadOnlySpan<byte> page) => BinaryPrimitives.ReadUInt16LittleEndian(page[OffDataStart..]);
    public static int Garbage(ReadOnlySpan<byte> page) => BinaryPrimitives.ReadUInt16LittleEndian(page[OffGarbage..]);
    public static ulong RightLink(ReadOnlySpan<byte> page) => BinaryPrimitives.ReadUInt64LittleEndian(page[OffRightLink..]);
    public static int HighKeyOffset(ReadOnlySpan<byte> page) => BinaryPrimitives.ReadUInt16LittleEndian(page[OffHighKey..]);
    public static bool HasHighKey(ReadOnlySpan<byte> page) => HighKeyOffset(page) != 0;
    /// <summary>
    /// A dead leaf was emptied and unlinked: no parent or sibling points to it any more, but a
    /// reader that read an old link may still arrive. It stays empty with its right-link and high
    /// key, so such a reader can move right or start again from the root; it is never reused.
    /// </summary>
    public static bool IsDead(ReadOnlySpan<byte> page) => (page[OffFlags] & FlagDead) != 0;

    /// <summary>The high key; empty when the node has none (check <see cref="HasHighKey"/>).</summary>
    public static ReadOnlySpan<byte> HighKey(ReadOnlySpan<byte> page)
    {
        int off = HighKeyOffset(page);
        return off == 0 ? default : CellKey(page, off);
    }

    /// <summary>Bytes an entry takes in a node: its slot and its cell.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int EntrySize(int keyLength, int valueLength) => SlotSize + CellHeader + keyLength + valueLength;

    /// <summary>Free bytes, counting dead cells that a compaction would reclaim.</summary>
    public static int FreeSpace(ReadOnlySpan<byte> page) => DataStart(page) - OffSlots - Count(page) * SlotSize + Garbage(page);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int CellOffset(ReadOnlySpan<byte> page, int index) => BinaryPrimitives.ReadUInt16LittleEndian(page[(OffSlots + index * SlotSize)..]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ReadOnlySpan<byte> CellKey(ReadOnlySpan<byte> page, int cell)
        => page.Slice(cell + CellHeader, BinaryPrimitives.ReadUInt16LittleEndian(page[cell..]));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ReadOnlySpan<byte> CellValue(ReadOnlySpan<byte> page, int cell)
    {
        int kl = BinaryPrimitives.ReadUInt16LittleEndian(page[cell..]);
        int vl = BinaryPrimitives.ReadUInt16LittleEndian(page[(cell + 2)..]);
        return page.Slice(cell + CellHeader + kl, vl);
    }

    public static int CellSize(ReadOnlySpan<byte> page, int cell)
        => CellHeader + BinaryPrimitives.ReadUInt16LittleEndian(page[cell..]) + BinaryPrimitives.ReadUInt16LittleEndian(page[(cell + 2)..]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ReadOnlySpan<byte> Key(ReadOnlySpan<byte> page, int index) => CellKey(page, CellOffset(page, index));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ReadOnlySpan<byte> Value(ReadOnlySpan<byte> page, int index) => CellValue(page, CellOffset(page, index));

    /// <summary>The child page number of inner entry <paramref name="index"/>.</summary>
    public static ulong Child(ReadOnlySpan<byte> page, int index) => BinaryPrimitives.ReadUInt64LittleEndian(Value(page, index));

    /// <summary>Index of the first entry whose key is ≥ <paramref name="key"/> (Count when none); <paramref name="exact"/> when equal.</summary>
    public static int LowerBound(ReadOnlySpan<byte> page, ReadOnlySpan<byte> key, out bool exact)
    {
        int lo = 0, hi = Count(page);
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (Key(page, mid).SequenceCompareTo(key) < 0) lo = mid + 1;
            else hi = mid;
        }
        exact = lo < Count(page) && Key(page, lo).SequenceEqual(key);
        return lo;
    }

    /// <summary>Index of the first entry whose key is &gt; <paramref name="key"/> (Count when none).</summary>
    public static int UpperBound(ReadOnlySpan<byte> page, ReadOnlySpan<byte> key)
    {
        int lo = 0, hi = Count(page);
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (Key(page, mid).SequenceCompareTo(key) <= 0) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /// <summary>True when <paramref name="key"/> belongs to a node to the right (the node has a high key and key ≥ it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsBeyondHighKey(ReadOnlySpan<byte> page, ReadOnlySpan<byte> key)
    {
        int off = HighKeyOffset(page);
        return off != 0 && key.SequenceCompareTo(CellKey(page, off)) >= 0;
    }

    /// <summary>
    /// Checks that the header and every slot and cell lie inside the page, so readers and the
    /// apply routine can index without bounds surprises. O(count).
    /// </summary>
    public static bool IsWellFormed(ReadOnlySpan<byte> page)
    {
        if (page.Length != Page.Size || !IsNode(page)) return false;
        int count = Count(page), dataStart = DataStart(page), garbage = Garbage(page);
        if (OffSlots + count * SlotSize > dataStart || dataStart > Page.Size) return false;
        if (garbage > Page.Size - dataStart) return false;
        int hk = HighKeyOffset(page);
        if (hk != 0 && !CellInside(page, hk, dataStart)) return false;
        for (int i = 0; i < count; i++)
            if (!CellInside(page, CellOffset(page, i), dataStart)) return false;
        return true;
    }

    private static bool CellInside(ReadOnlySpan<byte> page, int cell, int dataStart)
    {
        if (cell < dataStart || cell > Page.Size - CellHeader) return false;
        int kl = BinaryPrimitives.ReadUInt16LittleEndian(page[cell..]);
        int vl = BinaryPrimitives.ReadUInt16LittleEndian(page[(cell + 2)..]);
        return cell + CellHeader + kl + vl <= Page.Size;
    }
}

/// <summary>
/// Layout of a B+tree meta page (<see cref="PageKind.BTreeMeta"/>): where the tree's root is.
/// <code>
/// offset size field
/// 16     1    kind       PageKind.BTreeMeta
/// 17     1    rootLevel  level of the root (0 = the root is a leaf)
/// 18     2    version    1
/// 20     4    reserved   0
/// 24     8    root       page number of the root node
/// </code>
/// </summary>
public static class BTreeMeta
{
    public const int OffKind = 16;
    public const int OffRootLevel = 17;
    public const int OffVersion = 18;
    public const int OffRoot = 24;
    public const ushort Version = 1;

    public static bool IsMeta(ReadOnlySpan<byte> page) => (PageKind)page[OffKind] == PageKind.BTreeMeta;
    public static int RootLevel(ReadOnlySpan<byte> page) => page[OffRootLevel];
    public static ulong Root(ReadOnlySpan<byte> page) => BinaryPrimitives.ReadUInt64LittleEndian(page[OffRoot..]);
}
