using System.Buffers.Binary;

namespace Borealis.Redo.BTree;

/// <summary>
/// Apply routine of the B+tree record family (<see cref="RedoFamilies.BTreeFirst"/>..<see cref="RedoFamilies.BTreeLast"/>).
/// Node layout: <see cref="BTreeNode"/>; meta layout: <see cref="BTreeMeta"/>. Payloads (little-endian):
/// <code>
/// BtInitNode (40)  formats a node, whatever the page held before (a new page, or the right half of a split)
///   0  1  kind        PageKind.BTreeLeaf (12) or BTreeInner (11)
///   1  1  level       0 for a leaf, ≥ 1 for an inner node
///   2  8  rightLink   0 = rightmost
///  10  2  highKeyLen  0xFFFF = no high key (+∞)
///  12  2  count
///  14  …  high key bytes, then count × (u16 keyLen, u16 valueLen, key, value), keys strictly ascending
/// BtInsert (41)    inserts one entry at a slot (later entries shift right)
///   0  2  slot        0..count
///   2  2  keyLen
///   4  2  valueLen
///   6  …  key, value  (key strictly between its neighbours' keys)
/// BtDelete (42)    removes the entry at a slot
///   0  2  slot        0..count-1
/// BtTruncate (43)  keeps entries [0, keep), sets right-link and high key (left half of a split)
///   0  2  keep        0..count
///   2  8  rightLink
///  10  2  highKeyLen  0xFFFF = no high key
///  12  …  high key bytes
/// BtSetMeta (44)   formats or updates a meta page (a page of another kind is cleared first)
///   0  8  root        page number of the root node
///   8  1  rootLevel
/// BtMarkDead (45)  sets the dead flag of an empty leaf
///   (no payload)
/// </code>
/// Inner node values are exactly 8 bytes (a child page number). When an insert does not find
/// enough contiguous free space but the node has enough dead bytes, the apply compacts the node
/// first (cells rewritten from the page end in slot order), deterministically, so every replica
/// of the page stays byte-identical. Every payload is validated; a malformed one (or one that does
/// not fit the page) returns false and leaves the page untouched.
/// </summary>
public static class BTreeApply
{
    public const ushort NoHighKey = 0xFFFF;
    public const int InitHeader = 14;
    public const int InsertHeader = 6;
    public const int TruncateHeader = 12;
    public const int MetaPayload = 9;

    /// <summary>
    /// Applies one B+tree record's payload to a page body. Returns false, leaving the page
    /// untouched, when the payload is malformed or does not fit the page.
    /// </summary>
    public static bool Apply(Span<byte> page, RedoType type, ReadOnlySpan<byte> payload)
    {
        if (page.Length != Page.Size) return false;
        return type switch
        {
            RedoType.BtInitNode => ApplyInit(page, payload),
            RedoType.BtInsert => ApplyInsert(page, payload),
            RedoType.BtDelete => ApplyDelete(page, payload),
            RedoType.BtTruncate => ApplyTruncate(page, payload),
            RedoType.BtSetMeta => ApplySetMeta(page, payload),
            RedoType.BtMarkDead => ApplyMarkDead(page, payload),
            _ => false,
        };
    }

    private static bool ApplyInit(Span<byte> page, ReadOnlySpan<byte> p)
    {
        if (p.Length < InitHeader) return false;
        var kind = (PageKind)p[0];
        int level = p[1];
        if (kind == PageKind.BTreeLeaf ? level != 0 : kind != PageKind.BTreeInner || level == 0) return false;
        ulong rightLink = BinaryPrimitives.ReadUInt64LittleEndian(p[2..]);
        int hkLen = BinaryPrimitives.ReadUInt16LittleEndian(p[10..]);
        int count = BinaryPrimitives.ReadUInt16LittleEndian(p[12..]);
        bool hasHigh = hkLen != NoHighKey;
        int pos = InitHeader;
        if (hasHigh && p.Length - pos < hkLen) return false;
        var highKey = hasHigh ? p.Slice(pos, hkLen) : default;
        if (hasHigh) pos += hkLen;
        // Validate entries (bounds, order, inner values) and their total size before touching the page.
        int entriesStart = pos;
        int need = hasHigh ? BTreeNode.CellHeader + hkLen : 0;
        ReadOnlySpan<byte> prev = default;
        for (int i = 0; i < count; i++)
        {
            if (!ReadEntry(p, ref pos, out var key, out var value)) return false;
            if (kind == PageKind.BTreeInner && value.Length != BTreeNode.ChildSize) return false;
            if (i > 0 && prev.SequenceCompareTo(key) >= 0) return false;
            prev = key;
            need += BTreeNode.EntrySize(key.Length, value.Length);
            if (need > BTreeNode.Capacity) return false;
        }
        if (pos != p.Length) return false;

        page[Page.HeaderSize..].Clear();
        page[BTreeNode.OffKind] = (byte)kind;
        page[BTreeNode.OffLevel] = (byte)level;
        BinaryPrimitives.WriteUInt64LittleEndian(page[BTreeNode.OffRightLink..], rightLink);
        int dataStart = Page.Size;
        if (hasHigh)
        {
            dataStart = WriteCell(page, dataStart, highKey, default);
            BinaryPrimitives.WriteUInt16LittleEndian(page[BTreeNode.OffHighKey..], (ushort)dataStart);
        }
        pos = entriesStart;
        for (int i = 0; i < count; i++)
        {
            ReadEntry(p, ref pos, out var key, out var value);
            dataStart = WriteCell(page, dataStart, key, value);
            BinaryPrimitives.WriteUInt16LittleEndian(page[(BTreeNode.OffSlots + i * BTreeNode.SlotSize)..], (ushort)dataStart);
        }
        BinaryPrimitives.WriteUInt16LittleEndian(page[BTreeNode.OffCount..], (ushort)count);
        BinaryPrimitives.WriteUInt16LittleEndian(page[BTreeNode.OffDataStart..], (ushort)dataStart);
        return true;
    }

    private static bool ApplyInsert(Span<byte> page, ReadOnlySpan<byte> p)
    {
        if (p.Length < InsertHeader || !BTreeNode.IsWellFormed(page) || BTreeNode.IsDead(page)) return false;
        int slot = BinaryPrimitives.ReadUInt16LittleEndian(p);
        int kl = BinaryPrimitives.ReadUInt16LittleEndian(p[2..]);
        int vl = BinaryPrimitives.ReadUInt16LittleEndian(p[4..]);
        if (p.Length != InsertHeader + kl + vl) return false;
        var key = p.Slice(InsertHeader, kl);
        var value = p.Slice(InsertHeader + kl, vl);
        int count = BTreeNode.Count(page);
        if (slot > count) return false;
        if (!BTreeNode.IsLeaf(page) && vl != BTreeNode.ChildSize) return false;
        if (slot > 0 && BTreeNode.Key(page, slot - 1).SequenceCompareTo(key) >= 0) return false;
        if (slot < count && BTreeNode.Key(page, slot).SequenceCompareTo(key) <= 0) return false;
        int cellSize = BTreeNode.CellHeader + kl + vl;
        if (BTreeNode.FreeSpace(page) < BTreeNode.SlotSize + cellSize) return false;
        int slotsEnd = BTreeNode.OffSlots + (count + 1) * BTreeNode.SlotSize;
        if (BTreeNode.DataStart(page) - cellSize < slotsEnd)
        {
            bool hasHigh = BTreeNode.HasHighKey(page);
            // Trust nothing the header says about dead bytes: count what compaction keeps.
            if (LiveBytes(page, count) + BTreeNode.SlotSize + cellSize > BTreeNode.Capacity) return false;
            Span<byte> hk = stackalloc byte[hasHigh ? BTreeNode.CellKey(page, BTreeNode.HighKeyOffset(page)).Length : 0];
            if (hasHigh) BTreeNode.HighKey(page).CopyTo(hk);
            Rebuild(page, count, hasHigh, hk);
        }
        int dataStart = WriteCell(page, BTreeNode.DataStart(page), key, value);
        int slotOff = BTreeNode.OffSlots + slot * BTreeNode.SlotSize;
        int tail = (count - slot) * BTreeNode.SlotSize;
        page.Slice(slotOff, tail).CopyTo(page[(slotOff + BTreeNode.SlotSize)..]);
        BinaryPrimitives.WriteUInt16LittleEndian(page[slotOff..], (ushort)dataStart);
        BinaryPrimitives.WriteUInt16LittleEndian(page[BTreeNode.OffCount..], (ushort)(count + 1));
        BinaryPrimitives.WriteUInt16LittleEndian(page[BTreeNode.OffDataStart..], (ushort)dataStart);
        return true;
    }

    private static bool ApplyDelete(Span<byte> page, ReadOnlySpan<byte> p)
    {
        if (p.Length != 2 || !BTreeNode.IsWellFormed(page)) return false;
        int slot = BinaryPrimitives.ReadUInt16LittleEndian(p);
        int count = BTreeNode.Count(page);
        if (slot >= count) return false;
        int cell = BTreeNode.CellOffset(page, slot);
        int garbage = BTreeNode.Garbage(page) + BTreeNode.CellSize(page, cell);
        int slotOff = BTreeNode.OffSlots + slot * BTreeNode.SlotSize;
        int tail = (count - slot - 1) * BTreeNode.SlotSize;
        page.Slice(slotOff + BTreeNode.SlotSize, tail).CopyTo(page[slotOff..]);
        page.Slice(BTreeNode.OffSlots + (count - 1) * BTreeNode.SlotSize, BTreeNode.SlotSize).Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(page[BTreeNode.OffCount..], (ushort)(count - 1));
        BinaryPrimitives.WriteUInt16LittleEndian(page[BTreeNode.OffGarbage..], (ushort)garbage);
        return true;
    }

    private static bool ApplyTruncate(Span<byte> page, ReadOnlySpan<byte> p)
    {
        if (p.Length < TruncateHeader || !BTreeNode.IsWellFormed(page) || BTreeNode.IsDead(page)) return false;
        int keep = BinaryPrimitives.ReadUInt16LittleEndian(p);
        ulong rightLink = BinaryPrimitives.ReadUInt64LittleEndian(p[2..]);
        int hkLen = BinaryPrimitives.ReadUInt16LittleEndian(p[10..]);
        bool hasHigh = hkLen != NoHighKey;
        if (p.Length != TruncateHeader + (hasHigh ? hkLen : 0)) return false;
        if (keep > BTreeNode.Count(page)) return false;
        var highKey = p[TruncateHeader..];
        // The kept entries must stay below the new high key.
        if (hasHigh && keep > 0 && BTreeNode.Key(page, keep - 1).SequenceCompareTo(highKey) >= 0) return false;
        int need = (hasHigh ? BTreeNode.CellHeader + hkLen : 0) + LiveBytes(page, keep);
        if (hasHigh) need -= HighKeyCellSize(page);
        if (need > BTreeNode.Capacity) return false;
        Rebuild(page, keep, hasHigh, highKey);
        BinaryPrimitives.WriteUInt64LittleEndian(page[BTreeNode.OffRightLink..], rightLink);
        return true;
    }

    private static bool ApplyMarkDead(Span<byte> page, ReadOnlySpan<byte> p)
    {
        if (p.Length != 0 || !BTreeNode.IsWellFormed(page) || !BTreeNode.IsLeaf(page) || BTreeNode.Count(page) != 0) return false;
        page[BTreeNode.OffFlags] |= BTreeNode.FlagDead;
        return true;
    }

    private static bool ApplySetMeta(Span<byte> page, ReadOnlySpan<byte> p)
    {
        if (p.Length != MetaPayload) return false;
        if (!BTreeMeta.IsMeta(page))
        {
            page[Page.HeaderSize..].Clear();
            page[BTreeMeta.OffKind] = (byte)PageKind.BTreeMeta;
            BinaryPrimitives.WriteUInt16LittleEndian(page[BTreeMeta.OffVersion..], BTreeMeta.Version);
        }
        p[..8].CopyTo(page[BTreeMeta.OffRoot..]);
        page[BTreeMeta.OffRootLevel] = p[8];
        return true;
    }

    /// <summary>
    /// Rewrites the node with entries [0, keep) and the given high key, cells packed from the page
    /// end (high key first, then entries in slot order), free space zeroed, no garbage. The caller
    /// has checked that it fits. <paramref name="highKey"/> must not alias the page's cells.
    /// </summary>
    private static void Rebuild(Span<byte> page, int keep, bool hasHigh, ReadOnlySpan<byte> highKey)
    {
        Span<byte> old = stackalloc byte[Page.Size];
        page.CopyTo(old);
        page[BTreeNode.OffSlots..].Clear();
        int dataStart = Page.Size;
        int hkOff = 0;
        if (hasHigh)
        {
            dataStart = WriteCell(page, dataStart, highKey, default);
            hkOff = dataStart;
        }
        for (int i = 0; i < keep; i++)
        {
            int cell = BTreeNode.CellOffset(old, i);
            dataStart = WriteCell(page, dataStart, BTreeNode.CellKey(old, cell), BTreeNode.CellValue(old, cell));
            BinaryPrimitives.WriteUInt16LittleEndian(page[(BTreeNode.OffSlots + i * BTreeNode.SlotSize)..], (ushort)dataStart);
        }
        BinaryPrimitives.WriteUInt16LittleEndian(page[BTreeNode.OffCount..], (ushort)keep);
        BinaryPrimitives.WriteUInt16LittleEndian(page[BTreeNode.OffDataStart..], (ushort)dataStart);
        BinaryPrimitives.WriteUInt16LittleEndian(page[BTreeNode.OffGarbage..], 0);
        BinaryPrimitives.WriteUInt16LittleEndian(page[BTreeNode.OffHighKey..], (ushort)hkOff);
    }

    /// <summary>Slots and cells of entries [0, keep) plus the current high key's cell.</summary>
    private static int LiveBytes(ReadOnlySpan<byte> page, int keep)
    {
        int n = HighKeyCellSize(page);
        for (int i = 0; i < keep; i++) n += BTreeNode.SlotSize + BTreeNode.CellSize(page, BTreeNode.CellOffset(page, i));
        return n;
    }

    private static int HighKeyCellSize(ReadOnlySpan<byte> page)
        => BTreeNode.HasHighKey(page) ? BTreeNode.CellSize(page, BTreeNode.HighKeyOffset(page)) : 0;

    private static int WriteCell(Span<byte> page, int dataStart, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        int at = dataStart - BTreeNode.CellHeader - key.Length - value.Length;
        BinaryPrimitives.WriteUInt16LittleEndian(page[at..], (ushort)key.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(page[(at + 2)..], (ushort)value.Length);
        key.CopyTo(page[(at + BTreeNode.CellHeader)..]);
        value.CopyTo(page[(at + BTreeNode.CellHeader + key.Length)..]);
        return at;
    }

    private static bool ReadEntry(ReadOnlySpan<byte> p, scoped ref int pos, out ReadOnlySpan<byte> key, out ReadOnlySpan<byte> value)
    {
        key = default;
        value = default;
        if (p.Length - pos < BTreeNode.CellHeader) return false;
        int kl = BinaryPrimitives.ReadUInt16LittleEndian(p[pos..]);
        int vl = BinaryPrimitives.ReadUInt16LittleEndian(p[(pos + 2)..]);
        if (p.Length - pos - BTreeNode.CellHeader < kl + vl) return false;
        key = p.Slice(pos + BTreeNode.CellHeader, kl);
        value = p.Slice(pos + BTreeNode.CellHeader + kl, vl);
        pos += BTreeNode.CellHeader + kl + vl;
        return true;
    }

    // ---- payload writers (the engine's side of the formats above) ----

    /// <summary>Writes a BtInsert payload; returns its length (<see cref="InsertHeader"/> + key + value).</summary>
    public static int WriteInsert(Span<byte> dest, int slot, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(dest, (ushort)slot);
        BinaryPrimitives.WriteUInt16LittleEndian(dest[2..], (ushort)key.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(dest[4..], (ushort)value.Length);
        key.CopyTo(dest[InsertHeader..]);
        value.CopyTo(dest[(InsertHeader + key.Length)..]);
        return InsertHeader + key.Length + value.Length;
    }

    public static void WriteDelete(Span<byte> dest, int slot) => BinaryPrimitives.WriteUInt16LittleEndian(dest, (ushort)slot);

    /// <summary>Writes a BtTruncate payload; <paramref name="highKey"/> null-equivalent when <paramref name="hasHigh"/> is false.</summary>
    public static int WriteTruncate(Span<byte> dest, int keep, ulong rightLink, bool hasHigh, ReadOnlySpan<byte> highKey)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(dest, (ushort)keep);
        BinaryPrimitives.WriteUInt64LittleEndian(dest[2..], rightLink);
        BinaryPrimitives.WriteUInt16LittleEndian(dest[10..], hasHigh ? (ushort)highKey.Length : NoHighKey);
        if (hasHigh) highKey.CopyTo(dest[TruncateHeader..]);
        return TruncateHeader + (hasHigh ? highKey.Length : 0);
    }

    public static int TruncateLength(bool hasHigh, int highKeyLength) => TruncateHeader + (hasHigh ? highKeyLength : 0);

    /// <summary>Writes the header of a BtInitNode payload; entries follow with <see cref="WriteInitEntry"/>.</summary>
    public static int WriteInitHeader(Span<byte> dest, PageKind kind, int level, ulong rightLink, bool hasHigh, ReadOnlySpan<byte> highKey, int count)
    {
        dest[0] = (byte)kind;
        dest[1] = (byte)level;
        BinaryPrimitives.WriteUInt64LittleEndian(dest[2..], rightLink);
        BinaryPrimitives.WriteUInt16LittleEndian(dest[10..], hasHigh ? (ushort)highKey.Length : NoHighKey);
        BinaryPrimitives.WriteUInt16LittleEndian(dest[12..], (ushort)count);
        if (hasHigh) highKey.CopyTo(dest[InitHeader..]);
        return InitHeader + (hasHigh ? highKey.Length : 0);
    }

    public static int WriteInitEntry(Span<byte> dest, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(dest, (ushort)key.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(dest[2..], (ushort)value.Length);
        key.CopyTo(dest[BTreeNode.CellHeader..]);
        value.CopyTo(dest[(BTreeNode.CellHeader + key.Length)..]);
        return BTreeNode.CellHeader + key.Length + value.Length;
    }

    public static void WriteSetMeta(Span<byte> dest, ulong root, int rootLevel)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(dest, root);
        dest[8] = (byte)rootLevel;
    }
}
