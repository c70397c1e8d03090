using System.Buffers.Binary;

namespace Borealis.Redo.Heap;

/// <summary>
/// Apply routine of the heap record family (<see cref="RedoFamilies.HeapFirst"/>..<see cref="RedoFamilies.HeapLast"/>).
/// <para>
/// Payload layouts (little-endian; <see cref="HeapRecords"/> writes them):
/// <code>
/// HeapInit            u64 owner (meta page), u16 dirIndex, u16 dirEntry             = 12
/// HeapInsert          u16 slot, tuple (HeapTuple header + data)                      = 2 + len
/// HeapSetXmax         u16 slot, u16 infomask, u32 cmax, u64 xmax, u64 ctid           = 24
/// HeapUpdateInPage    the 24 bytes of HeapSetXmax (old slot), u16 newSlot, tuple     = 26 + len
/// HeapUpdateInPageDelta u16 oldSlot, u16 newSlot, u16 xmaxBits, u16 newInfomask,
///                     u32 cid, u64 xid, u16 prefixLen, u16 suffixLen, changed bytes = 24 + len
/// HeapPrune           u16 nDead, u16 nUnused, u16 slot × (nDead + nUnused)           = 4 + 2n
/// HeapSetHints        u16 slot, u16 bits (HeapInfomask.HintBits only)                = 4
/// OverflowWrite       u64 next, chunk (1..OverflowPage.MaxChunk bytes)               = 8 + len
/// HeapMetaInit        (empty)                                                         = 0
/// HeapMetaAddDir      u32 index (= dirCount), u64 dirPage                             = 12
/// HeapMetaSetSummary  u32 index, u8 category                                          = 5
/// FreeSpaceInit       u64 owner (meta page)                                           = 8
/// FreeSpaceAdd        u16 index (= count), u8 category, u8 0, u64 page               = 12
/// FreeSpaceSet        u16 index, u8 category                                          = 3
/// HeapInsertCompact   v slot, v infomask, v xmin, v cmin, data                        = 4..26 + len
/// HeapUpdateInPageDeltaCompact v oldSlot, v newSlot, v xmaxBits, v newInfomask, v cid,
///                     v xid, v prefixLen, v suffixLen, changed bytes                 = 8..44 + len
/// HeapSetXmaxCompact  v slot, v infomask, v cmax, v xmax, v ctidSlot, v ctidPageCode  = 6..39
/// </code>
/// "v" is an unsigned LEB128 varint (<see cref="HeapVarint"/>); a value out of its field's range
/// (u16 slots and masks, u32 cmin/cid, prefix/suffix ≤ Page.Size) is refused.
/// HeapInsertCompact inserts the same tuple as a HeapInsert with xmax = 0, cmax = 0 and ctid =
/// (the record's page, slot). HeapUpdateInPageDeltaCompact does what HeapUpdateInPageDelta does
/// except that the new version's ctid page is the record's page (not the old version's ctid's),
/// so the writer can use it for every same-page update. HeapSetXmaxCompact does what HeapSetXmax
/// does; its ctid page code is 0 for the record's own page, else the page + 1, and nothing may
/// follow its last field. All three need the page number: applied without one
/// (<see cref="NoPage"/>) they are refused.
/// Semantics: HeapInsert's slot is either the first slot past the end (a new line pointer) or
/// an Unused one, and the tuple goes just below upper. HeapSetXmax replaces the
/// <see cref="HeapInfomask.XmaxBits"/> of the infomask with the payload's (which must contain no
/// other bits) and overwrites xmax, cmax and ctid. HeapUpdateInPageDelta builds the new tuple
/// from the old one before touching the page: header xmin = xid, xmax = 0, cmin = cid, cmax = 0,
/// infomask = newInfomask, ctid = (page of the old tuple's ctid, newSlot) — the writer uses it
/// only when the old version's ctid names its own page —, data = the old data's first
/// prefixLen bytes, the changed bytes, the old data's last suffixLen bytes (prefixLen + suffixLen
/// ≤ old data length); then inserts it at newSlot and sets the old version's xmax bits, xmax = xid,
/// cmax = cid, ctid = the new tuple's ctid, exactly as HeapUpdateInPage would. HeapPrune first marks the nDead slots Dead
/// (they must be Normal or Dead) and then the nUnused slots Unused, then compacts (see
/// <see cref="HeapPage"/>) and zeroes the free gap. The Init records and OverflowWrite format the
/// whole body (any previous content is dropped). None of them depends on the record's LSN.
/// </para>
/// Every routine validates the payload and the page header before touching a byte and returns
/// false, leaving the page unchanged, on anything malformed.
/// </summary>
public static class HeapApply
{
    /// <summary>
    /// Applies one heap record's payload to a page body. Returns false, leaving the page
    /// untouched, when the payload is malformed or does not fit the page.
    /// </summary>
    public static bool Apply(Span<byte> page, RedoType type, ReadOnlySpan<byte> payload) => Apply(page, type, payload, NoPage);

    /// <summary>"Page number unknown": the compact records (which derive ctids from it) then refuse to apply.</summary>
    public const ulong NoPage = ulong.MaxValue;

    /// <summary>
    /// Applies one heap record's payload to page <paramref name="pageNo"/> (the record header's
    /// page number; the compact records derive the new version's ctid from it). Returns false,
    /// leaving the page untouched, when the payload is malformed or does not fit the page.
    /// </summary>
    public static bool Apply(Span<byte> page, RedoType type, ReadOnlySpan<byte> payload, ulong pageNo)
    {
        if (page.Length != Page.Size) return false;
        return type switch
        {
            RedoType.HeapInsertCompact => InsertCompact(page, payload, pageNo),
            RedoType.HeapUpdateInPageDeltaCompact => UpdateInPageDeltaCompact(page, payload, pageNo),
            RedoType.HeapSetXmaxCompact => SetXmaxCompact(page, payload, pageNo),
            RedoType.HeapInit => Init(page, payload),
            RedoType.HeapInsert => Insert(page, payload),
            RedoType.HeapSetXmax => SetXmax(page, payload),
            RedoType.HeapUpdateInPage => UpdateInPage(page, payload),
            RedoType.HeapUpdateInPageDelta => UpdateInPageDelta(page, payload),
            RedoType.HeapPrune => Prune(page, payload),
            RedoType.HeapSetHints => SetHints(page, payload),
            RedoType.OverflowWrite => OverflowWrite(page, payload),
            RedoType.HeapMetaInit => MetaInit(page, payload),
            RedoType.HeapMetaAddDir => MetaAddDir(page, payload),
            RedoType.HeapMetaSetSummary => MetaSetSummary(page, payload),
            RedoType.FreeSpaceInit => FreeSpaceInit(page, payload),
            RedoType.FreeSpaceAdd => FreeSpaceAdd(page, payload),
            RedoType.FreeSpaceSet => FreeSpaceSet(page, payload),
            _ => false,
        };
    }

    private static bool Init(Span<byte> page, ReadOnlySpan<byte> p)
    {
        if (p.Length != HeapRecords.HeapInitSize) return false;
        if (BinaryPrimitives.ReadUInt16LittleEndian(p[8..]) >= HeapMetaPage.MaxDirs || BinaryPrimitives.ReadUInt16LittleEndian(p[10..]) >= FreeSpacePage.Capacity) return false;
        page[Page.HeaderSize..].Clear();
        page[HeapPage.OffKind] = (byte)PageKind.Heap;
        HeapPage.SetCounts(page, 0, Page.Size);
        BinaryPrimitives.WriteUInt64LittleEndian(page[HeapPage.OffOwner..], BinaryPrimitives.ReadUInt64LittleEndian(p));
        p.Slice(8, 4).CopyTo(page[HeapPage.OffDirIndex..]);
        return true;
    }

    /// <summary>Checks an insert of <paramref name="tuple"/> at <paramref name="slot"/> could be applied.</summary>
    private static bool CanInsert(ReadOnlySpan<byte> page, int slot, ReadOnlySpan<byte> tuple)
    {
        if (!HeapPage.HeaderValid(page)) return false;
        if (tuple.Length < HeapTuple.HeaderSize || tuple.Length > HeapPage.MaxTupleSize) return false;
        var mask = HeapTuple.Infomask(tuple);
        if ((mask & ~HeapInfomask.All) != 0) return false;
        if ((mask & HeapInfomask.HasOverflow) != 0 && tuple.Length != HeapTuple.HeaderSize + OverflowPointer.Size) return false;
        int n = HeapPage.SlotCount(page);
        if (slot > n) return false;
        if (slot < n)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(page[(HeapPage.HeaderEnd + slot * HeapPage.LinePointerSize)..]) != 0) return false;
        }
        else if (n + 1 > HeapPage.MaxSlots) return false;
        return HeapPage.Fits(page, slot, tuple.Length);
    }

    private static void DoInsert(Span<byte> page, int slot, ReadOnlySpan<byte> tuple)
    {
        int n = HeapPage.SlotCount(page);
        int upper = HeapPage.Upper(page) - tuple.Length;
        tuple.CopyTo(page[upper..]);
        HeapPage.SetSlot(page, slot, upper, tuple.Length);
        HeapPage.SetCounts(page, slot == n ? n + 1 : n, upper);
    }

    private static bool Insert(Span<byte> page, ReadOnlySpan<byte> p)
    {
        if (p.Length < 2) return false;
        int slot = BinaryPrimitives.ReadUInt16LittleEndian(p);
        var tuple = p[2..];
        if (!CanInsert(page, slot, tuple)) return false;
        DoInsert(page, slot, tuple);
        return true;
    }

    /// <summary>The tuple a HeapSetXmax-shaped payload targets, or empty when it cannot apply.</summary>
    private static Span<byte> XmaxTarget(Span<byte> page, ReadOnlySpan<byte> p)
    {
        if (!HeapPage.HeaderValid(page)) return default;
        var mask = (HeapInfomask)BinaryPrimitives.ReadUInt16LittleEndian(p[2..]);
        if ((mask & ~HeapInfomask.XmaxBits) != 0) return default;
        return HeapPage.Tuple(page, BinaryPrimitives.ReadUInt16LittleEndian(p));
    }

    private static void DoSetXmax(Span<byte> tuple, ReadOnlySpan<byte> p)
    {
        var mask = (HeapInfomask)BinaryPrimitives.ReadUInt16LittleEndian(p[2..]);
        var old = HeapTuple.Infomask(tuple);
        BinaryPrimitives.WriteUInt16LittleEndian(tuple[HeapTuple.OffInfomask..], (ushort)((old & ~HeapInfomask.XmaxBits) | mask));
        BinaryPrimitives.WriteUInt32LittleEndian(tuple[HeapTuple.OffCmax..], BinaryPrimitives.ReadUInt32LittleEndian(p[4..]));
        BinaryPrimitives.WriteUInt64LittleEndian(tuple[HeapTuple.OffXmax..], BinaryPrimitives.ReadUInt64LittleEndian(p[8..]));
        BinaryPrimitives.WriteUInt64LittleEndian(tuple[HeapTuple.OffCtid..], BinaryPrimitives.ReadUInt64LittleEndian(p[16..]));
    }

    private static bool SetXmax(Span<byte> page, ReadOnlySpan<byte> p)
    {
        if (p.Length != HeapRecords.SetXmaxSize) return false;
        var t = XmaxTarget(page, p);
        if (t.IsEmpty) return false;
        DoSetXmax(t, p);
        return true;
    }

    private static bool UpdateInPage(Span<byte> page, ReadOnlySpan<byte> p)
    {
        if (p.Length < HeapRecords.SetXmaxSize + 2) return false;
        var xmaxPart = p[..HeapRecords.SetXmaxSize];
        int newSlot = BinaryPrimitives.ReadUInt16LittleEndian(p[HeapRecords.SetXmaxSize..]);
        var tuple = p[(HeapRecords.SetXmaxSize + 2)..];
        if (XmaxTarget(page, xmaxPart).IsEmpty || !CanInsert(page, newSlot, tuple)) return false;
        // The insert only writes below upper and at a free slot, so the old tuple does not move.
        DoInsert(page, newSlot, tuple);
        DoSetXmax(HeapPage.Tuple(page, BinaryPrimitives.ReadUInt16LittleEndian(xmaxPart)), xmaxPart);
        return true;
    }

    private static bool UpdateInPageDelta(Span<byte> page, ReadOnlySpan<byte> p)
    {
        const int fixedSize = HeapRecords.UpdateInPageDeltaFixedSize;
        if (p.Length < fixedSize || !HeapPage.HeaderValid(page)) return false;
        int oldSlot = BinaryPrimitives.ReadUInt16LittleEndian(p);
        int newSlot = BinaryPrimitives.ReadUInt16LittleEndian(p[2..]);
        var xmaxBits = (HeapInfomask)BinaryPrimitives.ReadUInt16LittleEndian(p[4..]);
        var newMask = (HeapInfomask)BinaryPrimitives.ReadUInt16LittleEndian(p[6..]);
        uint cid = BinaryPrimitives.ReadUInt32LittleEndian(p[8..]);
        ulong xid = BinaryPrimitives.ReadUInt64LittleEndian(p[12..]);
        int prefix = BinaryPrimitives.ReadUInt16LittleEndian(p[20..]);
        int suffix = BinaryPrimitives.ReadUInt16LittleEndian(p[22..]);
        return DoUpdateDelta(page, oldSlot, newSlot, xmaxBits, newMask, cid, xid, prefix, suffix, p[fixedSize..], NoPage);
    }

    private static bool InsertCompact(Span<byte> page, ReadOnlySpan<byte> p, ulong pageNo)
    {
        if (pageNo > HeapTuple.MaxPage || !HeapPage.HeaderValid(page)) return false;
        int pos = 0;
        if (!HeapVarint.TryRead(p, ref pos, out ulong slot) || slot > ushort.MaxValue
            || !HeapVarint.TryRead(p, ref pos, out ulong mask) || mask > ushort.MaxValue
            || !HeapVarint.TryRead(p, ref pos, out ulong xmin)
            || !HeapVarint.TryRead(p, ref pos, out ulong cmin) || cmin > uint.MaxValue) return false;
        var data = p[pos..];
        int len = HeapTuple.HeaderSize + data.Length;
        if (len > HeapPage.MaxTupleSize) return false;
        Span<byte> tuple = stackalloc byte[len];
        HeapTuple.WriteHeader(tuple, xmin, 0, (uint)cmin, 0, HeapTuple.PackCtid(pageNo, (ushort)slot), (HeapInfomask)mask);
        data.CopyTo(tuple[HeapTuple.HeaderSize..]);
        if (!CanInsert(page, (int)slot, tuple)) return false;
        DoInsert(page, (int)slot, tuple);
        return true;
    }

    private static bool SetXmaxCompact(Span<byte> page, ReadOnlySpan<byte> p, ulong pageNo)
    {
        if (pageNo > HeapTuple.MaxPage) return false;
        int pos = 0;
        if (!HeapVarint.TryRead(p, ref pos, out ulong slot) || slot > ushort.MaxValue
            || !HeapVarint.TryRead(p, ref pos, out ulong bits) || bits > ushort.MaxValue
            || !HeapVarint.TryRead(p, ref pos, out ulong cmax) || cmax > uint.MaxValue
            || !HeapVarint.TryRead(p, ref pos, out ulong xmax)
            || !HeapVarint.TryRead(p, ref pos, out ulong ctidSlot) || ctidSlot > ushort.MaxValue
            || !HeapVarint.TryRead(p, ref pos, out ulong ctidPage) || ctidPage > HeapTuple.MaxPage + 1
            || pos != p.Length) return false;
        Span<byte> full = stackalloc byte[HeapRecords.SetXmaxSize];
        HeapRecords.SetXmax(full, (ushort)slot, (HeapInfomask)bits, (uint)cmax, xmax, HeapTuple.PackCtid(ctidPage == 0 ? pageNo : ctidPage - 1, (ushort)ctidSlot));
        return SetXmax(page, full);
    }

    private static bool UpdateInPageDeltaCompact(Span<byte> page, ReadOnlySpan<byte> p, ulong pageNo)
    {
        if (pageNo > HeapTuple.MaxPage || !HeapPage.HeaderValid(page)) return false;
        int pos = 0;
        if (!HeapVarint.TryRead(p, ref pos, out ulong oldSlot) || oldSlot > ushort.MaxValue
            || !HeapVarint.TryRead(p, ref pos, out ulong newSlot) || newSlot > ushort.MaxValue
            || !HeapVarint.TryRead(p, ref pos, out ulong xmaxBits) || xmaxBits > ushort.MaxValue
            || !HeapVarint.TryRead(p, ref pos, out ulong newMask) || newMask > ushort.MaxValue
            || !HeapVarint.TryRead(p, ref pos, out ulong cid) || cid > uint.MaxValue
            || !HeapVarint.TryRead(p, ref pos, out ulong xid)
            || !HeapVarint.TryRead(p, ref pos, out ulong prefix) || prefix > Page.Size
            || !HeapVarint.TryRead(p, ref pos, out ulong suffix) || suffix > Page.Size) return false;
        return DoUpdateDelta(page, (int)oldSlot, (int)newSlot, (HeapInfomask)xmaxBits, (HeapInfomask)newMask, (uint)cid, xid, (int)prefix, (int)suffix,
            p[pos..], pageNo);
    }

    /// <summary>
    /// The delta update shared by both layouts; the new ctid's page is <paramref name="ctidPage"/>,
    /// or with <see cref="NoPage"/> the page the old version's ctid names (HeapUpdateInPageDelta).
    /// </summary>
    private static bool DoUpdateDelta(Span<byte> page, int oldSlot, int newSlot, HeapInfomask xmaxBits, HeapInfomask newMask, uint cid, ulong xid,
        int prefix, int suffix, ReadOnlySpan<byte> changed, ulong ctidPage)
    {
        if ((xmaxBits & ~HeapInfomask.XmaxBits) != 0) return false;
        ReadOnlySpan<byte> old = HeapPage.Tuple(page, oldSlot);
        if (old.Length < HeapTuple.HeaderSize) return false;
        var oldData = old[HeapTuple.HeaderSize..];
        if (prefix + suffix > oldData.Length) return false;
        int newLen = HeapTuple.HeaderSize + prefix + changed.Length + suffix;
        if (newLen > HeapPage.MaxTupleSize) return false;
        ulong newCtid = HeapTuple.PackCtid(ctidPage == NoPage ? HeapTuple.CtidPage(HeapTuple.Ctid(old)) : ctidPage, (ushort)newSlot);
        Span<byte> tuple = stackalloc byte[newLen];
        HeapTuple.WriteHeader(tuple, xid, 0, cid, 0, newCtid, newMask);
        oldData[..prefix].CopyTo(tuple[HeapTuple.HeaderSize..]);
        changed.CopyTo(tuple[(HeapTuple.HeaderSize + prefix)..]);
        oldData[(oldData.Length - suffix)..].CopyTo(tuple[(HeapTuple.HeaderSize + prefix + changed.Length)..]);
        if (!CanInsert(page, newSlot, tuple)) return false;
        Span<byte> xmaxPart = stackalloc byte[HeapRecords.SetXmaxSize];
        HeapRecords.SetXmax(xmaxPart, (ushort)oldSlot, xmaxBits, cid, xid, newCtid);
        // The insert only writes below upper and at a free slot, so the old tuple does not move.
        DoInsert(page, newSlot, tuple);
        DoSetXmax(HeapPage.Tuple(page, oldSlot), xmaxPart);
        return true;
    }

    private static bool Prune(Span<byte> page, ReadOnlySpan<byte> p)
    {
        if (p.Length < 4 || !HeapPage.HeaderValid(page)) return false;
        int nDead = BinaryPrimitives.ReadUInt16LittleEndian(p), nUnused = BinaryPrimitives.ReadUInt16LittleEndian(p[2..]);
        if (p.Length != 4 + 2 * (nDead + nUnused)) return false;
        int n = HeapPage.SlotCount(page);
        int upper = HeapPage.Upper(page);
        // Validate: every listed slot exists, Dead targets are not Unused, and every Normal tuple lies inside the tuple area.
        for (int i = 0; i < nDead + nUnused; i++)
        {
            int s = BinaryPrimitives.ReadUInt16LittleEndian(p[(4 + 2 * i)..]);
            if (s >= n) return false;
            if (i < nDead && HeapPage.State(page, s) == SlotState.Unused) return false;
        }
        int total = 0;
        for (int s = 0; s < n; s++)
        {
            if (HeapPage.State(page, s) != SlotState.Normal) continue;
            int off = HeapPage.SlotOffset(page, s), len = HeapPage.SlotLength(page, s);
            if (off < upper || len < HeapTuple.HeaderSize || off + len > Page.Size) return false;
            total += len; // overlapping tuples (a corrupt page) could otherwise repack below the slot array
        }
        if (total > Page.Size - HeapPage.Lower(page)) return false;

        for (int i = 0; i < nDead + nUnused; i++)
        {
            int s = BinaryPrimitives.ReadUInt16LittleEndian(p[(4 + 2 * i)..]);
            HeapPage.SetSlot(page, s, 0, i < nDead ? 1 : 0);
        }
        Compact(page, n);
        return true;
    }

    /// <summary>Repacks Normal tuples toward the page end in slot order, drops trailing Unused slots, zeroes the gap.</summary>
    private static void Compact(Span<byte> page, int n)
    {
        Span<byte> tmp = stackalloc byte[Page.Size];
        int upper = Page.Size;
        for (int s = 0; s < n; s++)
        {
            int off = HeapPage.SlotOffset(page, s);
            if (off == 0) continue;
            int len = HeapPage.SlotLength(page, s);
            upper -= len;
            page.Slice(off, len).CopyTo(tmp[upper..]);
            HeapPage.SetSlot(page, s, upper, len);
        }
        int count = n;
        while (count > 0 && BinaryPrimitives.ReadUInt32LittleEndian(page[(HeapPage.HeaderEnd + (count - 1) * HeapPage.LinePointerSize)..]) == 0) count--;
        int lower = HeapPage.HeaderEnd + count * HeapPage.LinePointerSize;
        tmp[upper..].CopyTo(page[upper..]);
        page[lower..upper].Clear();
        HeapPage.SetCounts(page, count, upper);
    }

    private static bool SetHints(Span<byte> page, ReadOnlySpan<byte> p)
    {
        if (p.Length != HeapRecords.SetHintsSize || !HeapPage.HeaderValid(page)) return false;
        var bits = (HeapInfomask)BinaryPrimitives.ReadUInt16LittleEndian(p[2..]);
        if ((bits & ~HeapInfomask.HintBits) != 0) return false;
        var t = HeapPage.Tuple(page, BinaryPrimitives.ReadUInt16LittleEndian(p));
        if (t.IsEmpty) return false;
        BinaryPrimitives.WriteUInt16LittleEndian(t[HeapTuple.OffInfomask..], (ushort)(HeapTuple.Infomask(t) | bits));
        return true;
    }

    private static bool OverflowWrite(Span<byte> page, ReadOnlySpan<byte> p)
    {
        if (p.Length < 9 || p.Length - 8 > OverflowPage.MaxChunk) return false;
        var chunk = p[8..];
        page[Page.HeaderSize..].Clear();
        page[PageKinds.Offset] = (byte)PageKind.Overflow;
        BinaryPrimitives.WriteUInt16LittleEndian(page[OverflowPage.OffLength..], (ushort)chunk.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(page[OverflowPage.OffNext..], BinaryPrimitives.ReadUInt64LittleEndian(p));
        chunk.CopyTo(page[OverflowPage.OffChunk..]);
        return true;
    }

    private static bool MetaInit(Span<byte> page, ReadOnlySpan<byte> p)
    {
        if (p.Length != 0) return false;
        page[Page.HeaderSize..].Clear();
        page[PageKinds.Offset] = (byte)PageKind.HeapMeta;
        page[HeapMetaPage.OffVersion] = HeapMetaPage.Version;
        return true;
    }

    private static bool MetaAddDir(Span<byte> page, ReadOnlySpan<byte> p)
    {
        if (p.Length != HeapRecords.MetaAddDirSize || !HeapMetaPage.HeaderValid(page)) return false;
        int index = BinaryPrimitives.ReadInt32LittleEndian(p);
        int n = HeapMetaPage.DirCount(page);
        if (index != n || n >= HeapMetaPage.MaxDirs) return false;
        BinaryPrimitives.WriteUInt64LittleEndian(page[(HeapMetaPage.OffDirPages + n * 8)..], BinaryPrimitives.ReadUInt64LittleEndian(p[4..]));
        page[HeapMetaPage.OffSummary + n] = 0;
        BinaryPrimitives.WriteInt32LittleEndian(page[HeapMetaPage.OffDirCount..], n + 1);
        return true;
    }

    private static bool MetaSetSummary(Span<byte> page, ReadOnlySpan<byte> p)
    {
        if (p.Length != HeapRecords.MetaSetSummarySize || !HeapMetaPage.HeaderValid(page)) return false;
        int index = BinaryPrimitives.ReadInt32LittleEndian(p);
        if ((uint)index >= (uint)HeapMetaPage.DirCount(page)) return false;
        page[HeapMetaPage.OffSummary + index] = p[4];
        return true;
    }

    private static bool FreeSpaceInit(Span<byte> page, ReadOnlySpan<byte> p)
    {
        if (p.Length != HeapRecords.InitSize) return false;
        page[Page.HeaderSize..].Clear();
        page[PageKinds.Offset] = (byte)PageKind.FreeSpace;
        BinaryPrimitives.WriteUInt64LittleEndian(page[FreeSpacePage.OffOwner..], BinaryPrimitives.ReadUInt64LittleEndian(p));
        return true;
    }

    private static bool FreeSpaceAdd(Span<byte> page, ReadOnlySpan<byte> p)
    {
        if (p.Length != HeapRecords.FreeSpaceAddSize || !FreeSpacePage.HeaderValid(page)) return false;
        int index = BinaryPrimitives.ReadUInt16LittleEndian(p);
        int n = FreeSpacePage.Count(page);
        ulong pageNo = BinaryPrimitives.ReadUInt64LittleEndian(p[4..]);
        if (index != n || n >= FreeSpacePage.Capacity || p[3] != 0 || pageNo > HeapTuple.MaxPage) return false;
        BinaryPrimitives.WriteUInt64LittleEndian(page[(FreeSpacePage.OffEntries + n * 8)..], pageNo | ((ulong)p[2] << 56));
        BinaryPrimitives.WriteUInt16LittleEndian(page[FreeSpacePage.OffCount..], (ushort)(n + 1));
        return true;
    }

    private static bool FreeSpaceSet(Span<byte> page, ReadOnlySpan<byte> p)
    {
        if (p.Length != HeapRecords.FreeSpaceSetSize || !FreeSpacePage.HeaderValid(page)) return false;
        int index = BinaryPrimitives.ReadUInt16LittleEndian(p);
        if (index >= FreeSpacePage.Count(page)) return false;
        page[FreeSpacePage.OffEntries + index * 8 + 7] = p[2];
        return true;
    }
}
