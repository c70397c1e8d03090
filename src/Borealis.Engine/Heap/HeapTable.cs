using Borealis.Engine.Buffer;
using Borealis.Engine.Mtr;
using Borealis.Engine.Space;
using Borealis.Redo;
using Borealis.Redo.Heap;

namespace Borealis.Engine.Heap;

/// <summary>
/// A heap table: unordered MVCC tuple versions on slotted pages (<see cref="HeapPage"/>), found by
/// <see cref="Tid"/>, with a logged page directory / free-space map (<see cref="HeapSpace"/>) and
/// large rows in overflow chains. The heap stores raw versions; the transaction layer decides
/// visibility from their headers.
/// <para>
/// Mini-transactions: every operation makes and commits its own MTRs (pooled per table, so the
/// single-row hot path allocates nothing once warm); the caller does not pass one. A single-row
/// insert, delete/lock (SetXmax) and an update whose new version fits on the old version's page
/// are each exactly one MTR with one record. An update to another page is one MTR holding both
/// pages. Results carry the MTR's LSN so the caller can order its commit record after it.
/// Large rows write their overflow chain first, in MTRs of a few pages each, then the tuple that
/// points to it: a crash in between only leaks unreachable pages.
/// </para>
/// <para>
/// Latching: an operation latches one heap page, or two in ascending page order (an update moving
/// to another page), and never holds a heap page while latching the directory or meta page, so
/// heap operations cannot deadlock. Latches are never held across a page miss except the MTR's own.
/// </para>
/// <para>
/// Threading: all methods are safe to call concurrently. Several objects over one heap are safe
/// too, but one per heap per process is better: the insert target and the extension lock live in
/// the object, so separate objects spread inserts and may extend the heap at the same time.
/// </para>
/// </summary>
public sealed class HeapTable
{
    /// <summary>Rows with more data bytes than this go to overflow pages (about a quarter page, as PostgreSQL's TOAST).</summary>
    public const int OverflowThreshold = 2032;
    /// <summary>Largest row the heap stores.</summary>
    public const int MaxRowLength = 256 * 1024 * 1024;
    /// <summary>Pass as expected xmax to set it unconditionally.</summary>
    public const ulong AnyXmax = ulong.MaxValue;

    private readonly BufferPool _pool;
    private readonly PageAllocator _allocator;
    private readonly HeapSpace _space;
    private readonly ulong _meta;
    private long _target; // page number new rows go to first (0 = ask the free-space map)

    private readonly EngineMtr?[] _mtrs = new EngineMtr?[16];
    private int _mtrCount;
    private readonly Lock _mtrLock = new();

    private HeapTable(BufferPool pool, PageAllocator allocator, ulong metaPage)
    {
        _pool = pool;
        _allocator = allocator;
        _meta = metaPage;
        _space = new HeapSpace(pool, allocator, metaPage);
    }

    /// <summary>The page the next insert tries first (0 = none yet); a hint for on-access pruning, may change at any time.</summary>
    public ulong InsertTarget => (ulong)Volatile.Read(ref _target);

    /// <summary>The heap's identity: its meta page number.</summary>
    public ulong MetaPage => _meta;
    public BufferPool Pool => _pool;
    internal HeapSpace Space => _space;
    internal PageAllocator Allocator => _allocator;

    /// <summary>Creates an empty heap (meta page and first directory page; data pages come on first insert).</summary>
    public static async ValueTask<HeapTable> CreateAsync(BufferPool pool, PageAllocator allocator, CancellationToken ct = default)
    {
        ulong meta = await HeapSpace.CreateAsync(pool, allocator, ct).ConfigureAwait(false);
        return new HeapTable(pool, allocator, meta);
    }

    /// <summary>Opens an existing heap by its meta page. Does no I/O; the first operation checks the page.</summary>
    public static HeapTable Open(BufferPool pool, PageAllocator allocator, ulong metaPage) => new(pool, allocator, metaPage);

    // ---------------------------------------------------------------- insert

    /// <summary>
    /// Inserts a new version (xmin = <paramref name="xid"/>, cmin = <paramref name="cid"/>, xmax 0,
    /// ctid = itself). Rows above <see cref="OverflowThreshold"/> go to an overflow chain first.
    /// The caller keeps <paramref name="row"/> unchanged until the task completes. (A memory, not a
    /// span, because the operation may await a page miss or the volume; on a cached page with room
    /// it completes synchronously and allocates nothing.)
    /// </summary>
    public async ValueTask<InsertResult> InsertAsync(ulong xid, uint cid, ReadOnlyMemory<byte> row, CancellationToken ct = default)
    {
        var ovf = row.Length > OverflowThreshold ? await WriteOverflowAsync(row, ct).ConfigureAwait(false) : default;
        int tupleLen = HeapTuple.HeaderSize + (ovf.IsSet ? OverflowPointer.Size : row.Length);
        ulong target = (ulong)Volatile.Read(ref _target);
        while (true)
        {
            if (target == 0) target = await FindOrExtendAsync(tupleLen, 0, ct).ConfigureAwait(false);
            var mtr = RentMtr();
            int d, e;
            byte cat;
            try
            {
                var h = await mtr.GetForWriteAsync(target, ct).ConfigureAwait(false);
                CheckOurs(h.Page, target);
                int slot = HeapPage.ChooseSlot(h.Page);
                if (HeapPage.Fits(h.Page, slot, tupleLen))
                {
                    var tid = new Tid(target, (ushort)slot);
                    AddInsert(mtr, h, tid, xid, cid, row.Span, ovf);
                    ulong lsn = await mtr.CommitAsync(ct).ConfigureAwait(false);
                    ReturnMtr(mtr);
                    Volatile.Write(ref _target, (long)target);
                    return new InsertResult(tid, lsn);
                }
                (d, e, cat) = SpaceOf(h.Page);
                await mtr.CommitAsync(ct).ConfigureAwait(false); // nothing logged: releases the page
            }
            catch
            {
                mtr.Dispose();
                throw;
            }
            ReturnMtr(mtr);
            // The target is full for this row: record what it really has, so the map stops offering it.
            await _space.RecordAsync(d, e, target, cat, ct).ConfigureAwait(false);
            Interlocked.CompareExchange(ref _target, 0, (long)target);
            target = 0;
        }
    }

    /// <summary>
    /// Logs and applies the insert of a fresh version at <paramref name="tid"/>: a
    /// <see cref="RedoType.HeapInsertCompact"/> record (header fields derived at apply), or the full
    /// <see cref="RedoType.HeapInsert"/> in the unlikely case that is not larger.
    /// </summary>
    private static void AddInsert(EngineMtr mtr, in PageHandle h, Tid tid, ulong xid, uint cid, ReadOnlySpan<byte> row, OverflowRef ovf)
    {
        int dataLen = ovf.IsSet ? OverflowPointer.Size : row.Length;
        var mask = ovf.IsSet ? HeapInfomask.HasOverflow : HeapInfomask.None;
        int full = HeapRecords.InsertSize(HeapTuple.HeaderSize + dataLen);
        int compact = HeapCompactRecords.InsertSize(tid.Slot, mask, xid, cid, dataLen);
        Span<byte> data = compact < full
            ? HeapCompactRecords.Insert(mtr.Add(h, RedoType.HeapInsertCompact, compact), tid.Slot, mask, xid, cid, dataLen)
            : HeapRecords.Insert(mtr.Add(h, RedoType.HeapInsert, full), tid.Slot, xid, cid, tid.Packed, mask, dataLen);
        ovf.WriteOrCopy(data, row);
        mtr.Apply();
    }

    /// <summary>
    /// Logs and applies a set-xmax of the version at <paramref name="tid"/>: a
    /// <see cref="RedoType.HeapSetXmaxCompact"/> record, or the full <see cref="RedoType.HeapSetXmax"/>
    /// when that is not larger.
    /// </summary>
    private static void AddSetXmax(EngineMtr mtr, in PageHandle h, Tid tid, HeapInfomask flags, uint cmax, ulong xmax, ulong ctid)
    {
        int compact = HeapCompactRecords.SetXmaxSize(tid.Page, tid.Slot, flags, cmax, xmax, ctid);
        if (compact < HeapRecords.SetXmaxSize)
            HeapCompactRecords.SetXmax(mtr.Add(h, RedoType.HeapSetXmaxCompact, compact), tid.Page, tid.Slot, flags, cmax, xmax, ctid);
        else
            HeapRecords.SetXmax(mtr.Add(h, RedoType.HeapSetXmax, HeapRecords.SetXmaxSize), tid.Slot, flags, cmax, xmax, ctid);
        mtr.Apply();
    }

    /// <summary>A page with room for a tuple of <paramref name="tupleLen"/> bytes per the free-space map, else a new page.</summary>
    private async ValueTask<ulong> FindOrExtendAsync(int tupleLen, ulong exclude, CancellationToken ct)
    {
        int cat = FreeSpacePage.CategoryFor(tupleLen + HeapPage.LinePointerSize);
        ulong p = await _space.FindAsync(cat, exclude, ct).ConfigureAwait(false);
        return p != 0 ? p : await _space.ExtendAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// A page's directory position and the category to record for it. A page whose line-pointer
    /// array is full (no Unused slot, MaxSlots used) takes no insert whatever its free bytes, so it
    /// is recorded as category 0 (otherwise the map would offer it forever).
    /// </summary>
    private static (int Dir, int Entry, byte Category) SpaceOf(ReadOnlySpan<byte> page)
    {
        int n = HeapPage.SlotCount(page);
        bool slotsFull = n >= HeapPage.MaxSlots && HeapPage.ChooseSlot(page) == n;
        byte cat = slotsFull ? (byte)0 : FreeSpacePage.Category(HeapPage.FreeSpace(page));
        return (HeapPage.DirIndex(page), HeapPage.DirEntry(page), cat);
    }

    internal static byte CategoryOf(ReadOnlySpan<byte> page) => SpaceOf(page).Category;

    /// <summary>A tid that cannot name a page of any heap (outside the volume, or page 0).</summary>
    private bool OutOfRange(Tid tid) => tid.Page == 0 || tid.Page >= _pool.Volume.PageCount;

    // ---------------------------------------------------------------- fetch

    /// <summary>
    /// Copies a version's header and row into <paramref name="dest"/> (overflow rows are reassembled
    /// and checked against their checksum). Completes synchronously and allocates nothing when the
    /// page is cached and the row is stored inline. Pass an empty buffer to read only the header
    /// (status BufferTooSmall, with the length).
    /// </summary>
    public ValueTask<FetchResult> FetchAsync(Tid tid, Memory<byte> dest, CancellationToken ct = default)
    {
        if (OutOfRange(tid)) return new ValueTask<FetchResult>(new FetchResult(FetchStatus.NotFound, default, 0));
        if (_pool.TryPinCached(tid.Page, out var h))
        {
            FetchResult r;
            OverflowRef ovf;
            h.LatchShared();
            try { r = ReadTuple(h.Page, tid, dest.Span, out ovf); }
            finally
            {
                h.UnlatchShared();
                h.Dispose();
            }
            return ovf.IsSet ? ReadOverflowAsync(r, ovf, dest, ct) : new ValueTask<FetchResult>(r);
        }
        return FetchSlowAsync(tid, dest, ct);
    }

    private async ValueTask<FetchResult> FetchSlowAsync(Tid tid, Memory<byte> dest, CancellationToken ct)
    {
        FetchResult r;
        OverflowRef ovf;
        using (var h = await _pool.PinAsync(tid.Page, PageAccess.Normal, ct).ConfigureAwait(false))
        {
            h.LatchShared();
            try { r = ReadTuple(h.Page, tid, dest.Span, out ovf); }
            finally { h.UnlatchShared(); }
        }
        return ovf.IsSet ? await ReadOverflowAsync(r, ovf, dest, ct).ConfigureAwait(false) : r;
    }

    private FetchResult ReadTuple(ReadOnlySpan<byte> page, Tid tid, Span<byte> dest, out OverflowRef ovf)
    {
        ovf = default;
        if (!IsOurs(page)) return new FetchResult(FetchStatus.NotFound, default, 0);
        var t = HeapPage.Tuple(page, tid.Slot);
        if (t.IsEmpty) return new FetchResult(FetchStatus.NotFound, default, 0);
        var header = HeapTupleHeader.Read(t);
        var data = t[HeapTuple.HeaderSize..];
        if (header.HasOverflow)
        {
            if (data.Length != OverflowPointer.Size) return new FetchResult(FetchStatus.Corrupt, header, 0);
            int len = OverflowPointer.Length(data);
            if (len > dest.Length) return new FetchResult(FetchStatus.BufferTooSmall, header, len);
            ovf = new OverflowRef(OverflowPointer.FirstPage(data), len, OverflowPointer.Crc(data));
            return new FetchResult(FetchStatus.Ok, header, len);
        }
        if (data.Length > dest.Length) return new FetchResult(FetchStatus.BufferTooSmall, header, data.Length);
        data.CopyTo(dest);
        return new FetchResult(FetchStatus.Ok, header, data.Length);
    }

    // ---------------------------------------------------------------- set xmax / update

    /// <summary>
    /// Sets a version's xmax, cmax, xmax flags (<see cref="HeapInfomask.XmaxBits"/> only; they
    /// replace the old ones) and ctid — for a delete, a row lock, or clearing a lock
    /// (<paramref name="xmax"/> 0). <paramref name="newCtid"/> default means the tuple's own address.
    /// When <paramref name="expectedXmax"/> is not <see cref="AnyXmax"/> the change is made only if
    /// the current xmax equals it (compare-and-set under the page latch); otherwise Conflict is
    /// returned with the current header. One MTR.
    /// </summary>
    public async ValueTask<SetXmaxResult> SetXmaxAsync(Tid tid, ulong xmax, uint cmax, HeapInfomask flags, Tid newCtid = default,
        ulong expectedXmax = AnyXmax, CancellationToken ct = default)
    {
        if ((flags & ~HeapInfomask.XmaxBits) != 0) throw new ArgumentException($"flags {flags} are not xmax flags", nameof(flags));
        if (OutOfRange(tid)) return new SetXmaxResult(SetXmaxStatus.NotFound, default, default, 0);
        var mtr = RentMtr();
        try
        {
            var h = await mtr.GetForWriteAsync(tid.Page, ct).ConfigureAwait(false);
            var check = CheckXmax(h.Page, tid, expectedXmax, out var prev);
            if (check != SetXmaxStatus.Ok)
            {
                await mtr.CommitAsync(ct).ConfigureAwait(false);
                ReturnMtr(mtr);
                return new SetXmaxResult(check, prev, default, 0);
            }
            var ctid = newCtid.IsNone ? tid : newCtid;
            AddSetXmax(mtr, h, tid, flags, cmax, xmax, ctid.Packed);
            ulong lsn = await mtr.CommitAsync(ct).ConfigureAwait(false);
            ReturnMtr(mtr);
            return new SetXmaxResult(SetXmaxStatus.Ok, prev, default, lsn);
        }
        catch
        {
            mtr.Dispose();
            throw;
        }
    }

    private SetXmaxStatus CheckXmax(ReadOnlySpan<byte> page, Tid tid, ulong expectedXmax, out HeapTupleHeader current)
    {
        current = default;
        if (!IsOurs(page)) return SetXmaxStatus.NotFound;
        var t = HeapPage.Tuple(page, tid.Slot);
        if (t.IsEmpty) return SetXmaxStatus.NotFound;
        current = HeapTupleHeader.Read(t);
        return expectedXmax != AnyXmax && current.Xmax != expectedXmax ? SetXmaxStatus.Conflict : SetXmaxStatus.Ok;
    }

    /// <summary>
    /// Writes a new version of the row at <paramref name="old"/>: inserts it (xmin =
    /// <paramref name="xid"/>, cmin = <paramref name="cid"/>), preferably on the same page, and sets
    /// the old version's xmax = xid, cmax = cid, flag Updated and ctid = the new version, all in one
    /// MTR (one record when on the same page). <paramref name="expectedXmax"/> works as in
    /// <see cref="SetXmaxAsync"/>; on NotFound or Conflict nothing is written.
    /// </summary>
    public async ValueTask<SetXmaxResult> UpdateAsync(Tid old, ulong xid, uint cid, ReadOnlyMemory<byte> newRow,
        ulong expectedXmax = AnyXmax, CancellationToken ct = default)
    {
        if (OutOfRange(old)) return new SetXmaxResult(SetXmaxStatus.NotFound, default, default, 0);
        var ovf = newRow.Length > OverflowThreshold ? await WriteOverflowAsync(newRow, ct).ConfigureAwait(false) : default;
        int tupleLen = HeapTuple.HeaderSize + (ovf.IsSet ? OverflowPointer.Size : newRow.Length);
        var result = await UpdateCoreAsync(old, xid, cid, newRow, ovf, tupleLen, expectedXmax, ct).ConfigureAwait(false);
        if (result.Status != SetXmaxStatus.Ok && ovf.IsSet)
            await FreeChainAsync(ovf.FirstPage, ct).ConfigureAwait(false);
        return result;
    }

    private async ValueTask<SetXmaxResult> UpdateCoreAsync(Tid old, ulong xid, uint cid, ReadOnlyMemory<byte> newRow, OverflowRef ovf,
        int tupleLen, ulong expectedXmax, CancellationToken ct)
    {
        var mtr = RentMtr();
        try
        {
            // Same page: one record.
            var h = await mtr.GetForWriteAsync(old.Page, ct).ConfigureAwait(false);
            var check = CheckXmax(h.Page, old, expectedXmax, out var prev);
            if (check != SetXmaxStatus.Ok)
            {
                await mtr.CommitAsync(ct).ConfigureAwait(false);
                ReturnMtr(mtr);
                return new SetXmaxResult(check, prev, default, 0);
            }
            int slot = HeapPage.ChooseSlot(h.Page);
            if (HeapPage.Fits(h.Page, slot, tupleLen))
            {
                var newTid = new Tid(old.Page, (ushort)slot);
                int dataLen = tupleLen - HeapTuple.HeaderSize;
                var mask = HeapInfomask.HeapOnly | (ovf.IsSet ? HeapInfomask.HasOverflow : HeapInfomask.None);
                if (ovf.IsSet || !TryAddUpdateDelta(mtr, h, old, newTid, xid, cid, mask, newRow.Span))
                {
                    var payload = mtr.Add(h, RedoType.HeapUpdateInPage, HeapRecords.UpdateInPageSize(tupleLen));
                    ovf.WriteOrCopy(HeapRecords.UpdateInPage(payload, old.Slot, HeapInfomask.Updated, cid, xid, newTid.Packed, newTid.Slot, mask, dataLen), newRow.Span);
                }
                mtr.Apply();
                ulong lsn = await mtr.CommitAsync(ct).ConfigureAwait(false);
                ReturnMtr(mtr);
                return new SetXmaxResult(SetXmaxStatus.Ok, prev, newTid, lsn);
            }
            var (d0, e0, cat0) = SpaceOf(h.Page);
            await mtr.CommitAsync(ct).ConfigureAwait(false);
            await _space.RecordAsync(d0, e0, old.Page, cat0, ct).ConfigureAwait(false);

            // Another page: latch both in page order, re-check the old version, one MTR.
            while (true)
            {
                ulong target = (ulong)Volatile.Read(ref _target);
                if (target == 0 || target == old.Page) target = await FindOrExtendAsync(tupleLen, old.Page, ct).ConfigureAwait(false);
                // Pin both first so no latch is held across a page miss, then latch in page order.
                using var pinOld = await _pool.PinAsync(old.Page, PageAccess.Normal, ct).ConfigureAwait(false);
                using var pinNew = await _pool.PinAsync(target, PageAccess.Normal, ct).ConfigureAwait(false);
                var first = await mtr.GetForWriteAsync(Math.Min(old.Page, target), ct).ConfigureAwait(false);
                var second = await mtr.GetForWriteAsync(Math.Max(old.Page, target), ct).ConfigureAwait(false);
                var (ho, hn) = old.Page < target ? (first, second) : (second, first);
                check = CheckXmax(ho.Page, old, expectedXmax, out prev);
                if (check != SetXmaxStatus.Ok)
                {
                    await mtr.CommitAsync(ct).ConfigureAwait(false);
                    ReturnMtr(mtr);
                    return new SetXmaxResult(check, prev, default, 0);
                }
                CheckOurs(hn.Page, target);
                slot = HeapPage.ChooseSlot(hn.Page);
                if (HeapPage.Fits(hn.Page, slot, tupleLen))
                {
                    var newTid = new Tid(target, (ushort)slot);
                    AddInsert(mtr, hn, newTid, xid, cid, newRow.Span, ovf);
                    AddSetXmax(mtr, ho, old, HeapInfomask.Updated, cid, xid, newTid.Packed);
                    ulong lsn = await mtr.CommitAsync(ct).ConfigureAwait(false);
                    ReturnMtr(mtr);
                    Volatile.Write(ref _target, (long)target);
                    return new SetXmaxResult(SetXmaxStatus.Ok, prev, newTid, lsn);
                }
                var (d, e, cat) = SpaceOf(hn.Page);
                await mtr.CommitAsync(ct).ConfigureAwait(false);
                await _space.RecordAsync(d, e, target, cat, ct).ConfigureAwait(false);
                Interlocked.CompareExchange(ref _target, 0, (long)target);
            }
        }
        catch
        {
            mtr.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Adds the same-page update as a <see cref="RedoType.HeapUpdateInPageDeltaCompact"/> record
    /// (varint fields, only the changed middle bytes; the apply derives the new ctid from the
    /// record's page) when it is smaller than the full HeapUpdateInPage. The caller applies.
    /// </summary>
    private static bool TryAddUpdateDelta(EngineMtr mtr, in PageHandle h, Tid old, Tid newTid, ulong xid, uint cid, HeapInfomask mask,
        ReadOnlySpan<byte> newData)
    {
        ReadOnlySpan<byte> oldTuple = HeapPage.Tuple(h.Page, old.Slot);
        var oldData = oldTuple[HeapTuple.HeaderSize..];
        var (prefix, suffix) = HeapRecords.CommonAffixes(oldData, newData);
        int changed = newData.Length - prefix - suffix;
        int size = HeapCompactRecords.UpdateInPageDeltaSize(old.Slot, newTid.Slot, HeapInfomask.Updated, mask, cid, xid, prefix, suffix, changed);
        if (size >= HeapRecords.UpdateInPageSize(HeapTuple.HeaderSize + newData.Length)) return false;
        var payload = mtr.Add(h, RedoType.HeapUpdateInPageDeltaCompact, size);
        newData.Slice(prefix, changed).CopyTo(HeapCompactRecords.UpdateInPageDelta(payload, old.Slot, newTid.Slot, HeapInfomask.Updated, mask, cid, xid,
            prefix, suffix, changed));
        return true;
    }

    /// <summary>ORs hint bits (<see cref="HeapInfomask.HintBits"/>) into a version's infomask. Returns false when the slot holds no tuple.</summary>
    public async ValueTask<bool> SetHintsAsync(Tid tid, HeapInfomask bits, CancellationToken ct = default)
    {
        if ((bits & ~HeapInfomask.HintBits) != 0) throw new ArgumentException($"{bits} are not hint bits", nameof(bits));
        var mtr = RentMtr();
        try
        {
            var h = await mtr.GetForWriteAsync(tid.Page, ct).ConfigureAwait(false);
            bool ok = IsOurs(h.Page) && !HeapPage.Tuple(h.Page, tid.Slot).IsEmpty;
            if (ok && (HeapTuple.Infomask(HeapPage.Tuple(h.Page, tid.Slot)) & bits) != bits)
            {
                HeapRecords.SetHints(mtr.Add(h, RedoType.HeapSetHints, HeapRecords.SetHintsSize), tid.Slot, bits);
                mtr.Apply();
            }
            await mtr.CommitAsync(ct).ConfigureAwait(false);
            ReturnMtr(mtr);
            return ok;
        }
        catch
        {
            mtr.Dispose();
            throw;
        }
    }

    // ---------------------------------------------------------------- helpers

    internal bool IsOurs(ReadOnlySpan<byte> page) => HeapPage.HeaderValid(page) && HeapPage.Owner(page) == _meta;

    private void CheckOurs(ReadOnlySpan<byte> page, ulong pageNo)
    {
        if (!IsOurs(page)) HeapSpace.ThrowCorrupt($"page {pageNo} is listed in heap {_meta} but is not one of its heap pages");
    }

    internal EngineMtr RentMtr()
    {
        lock (_mtrLock)
        {
            if (_mtrCount > 0)
            {
                var m = _mtrs[--_mtrCount]!;
                _mtrs[_mtrCount] = null;
                return m;
            }
        }
        return new EngineMtr(_pool);
    }

    internal void ReturnMtr(EngineMtr mtr)
    {
        lock (_mtrLock)
        {
            if (_mtrCount < _mtrs.Length)
            {
                _mtrs[_mtrCount++] = mtr;
                return;
            }
        }
        mtr.Dispose();
    }

    /// <summary>The free-space category the map records for a data page (tests and tools).</summary>
    public async ValueTask<byte> RecordedCategoryAsync(ulong pageNo, CancellationToken ct = default)
    {
        int d, e;
        using (var h = await _pool.PinAsync(pageNo, PageAccess.Normal, ct).ConfigureAwait(false))
        {
            h.LatchShared();
            try
            {
                CheckOurs(h.Page, pageNo);
                (d, e, _) = SpaceOf(h.Page);
            }
            finally { h.UnlatchShared(); }
        }
        return await _space.CategoryOfAsync(d, e, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Vacuum: asks <paramref name="predicate"/> about every slot of a data page and prunes the
    /// ones it returns Dead/Unused for, in one MTR (one HeapPrune record); then records the page's
    /// new free-space category and frees the removed tuples' overflow chains. The predicate is a
    /// struct passed by value (state it mutates is not seen by the caller unless it holds a reference).
    /// </summary>
    public ValueTask<PruneResult> PruneAsync<TPredicate>(ulong pageNo, TPredicate predicate, CancellationToken ct = default)
        where TPredicate : struct, IHeapPrunePredicate
        => HeapPrune.PruneAsync(this, pageNo, predicate, ct);

    /// <summary>Starts a sequential scan over every tuple version (see <see cref="HeapScan"/>).</summary>
    public HeapScan Scan() => new(this);

    private ValueTask<OverflowRef> WriteOverflowAsync(ReadOnlyMemory<byte> row, CancellationToken ct)
        => HeapOverflow.WriteAsync(_pool, _allocator, row, ct);

    private async ValueTask<FetchResult> ReadOverflowAsync(FetchResult r, OverflowRef ovf, Memory<byte> dest, CancellationToken ct)
    {
        var status = await HeapOverflow.ReadAsync(_pool, ovf, dest, ct).ConfigureAwait(false);
        return r with { Status = status };
    }

    internal ValueTask<int> FreeChainAsync(ulong firstPage, CancellationToken ct)
        => HeapOverflow.FreeChainAsync(_pool, _allocator, firstPage, ct);
}
