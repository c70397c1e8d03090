using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Borealis.Engine.Buffer;
using Borealis.Engine.Mtr;
using Borealis.Engine.Space;
using Borealis.Redo;
using Borealis.Redo.Xact;

namespace Borealis.Engine.Txn;

/// <summary>
/// The transaction pages of a volume (layout: <see cref="XactLayout"/>): the xid counter
/// (RootSlot.XactMeta), the two-level directory (RootSlot.XactDirectory) and the commit-status
/// pages, all read through the <see cref="BufferPool"/> and changed only by redo. The writer and
/// every reader instance use the same class over their own pool; only the writer extends the
/// ceiling or logs outcomes.
/// <para>
/// Status lookups: a status value is final once non-zero (committed LSN or aborted), so final
/// values are kept in a read-through cache of recent status pages (<see cref="StatusCacheChunks"/>
/// pages of 1020 xids); 0 ("in progress") is always re-read from the page, whose latch makes the
/// commit record and its real LSN appear together (EngineMtr holds the X latch until it has
/// re-applied the commit with its stamped LSN). Directory entries never change once set, so
/// "status-page index → page number" is cached for good.
/// </para>
/// Thread-safe. Lookups latch one page at a time; the writer's MTRs latch status pages in
/// ascending page-index order (no latch deadlocks).
/// </summary>
public sealed class XactStore
{
    public const int StatusCacheChunks = 256;
    private const int Slots = XactLayout.SlotsPerPage;

    private readonly BufferPool _pool;
    private readonly PageAllocator? _alloc;
    private readonly ulong _metaPage;
    private readonly ulong _dirRoot;
    private readonly ConcurrentDictionary<ulong, ulong> _statusPages = new();
    private readonly ConcurrentDictionary<ulong, ulong> _leaves = new();
    private readonly ConcurrentDictionary<ulong, ulong[]> _cache = new();
    private ulong _cacheLowest;

    private XactStore(BufferPool pool, PageAllocator? alloc, ulong metaPage, ulong dirRoot)
    {
        _pool = pool;
        _alloc = alloc;
        _metaPage = metaPage;
        _dirRoot = dirRoot;
    }

    public BufferPool Pool => _pool;
    public ulong MetaPageNo => _metaPage;
    public ulong DirectoryRootPageNo => _dirRoot;

    /// <summary>Opens the transaction pages as the writer, creating counter and directory on a new volume.</summary>
    public static async ValueTask<XactStore> OpenWriterAsync(BufferPool pool, PageAllocator alloc, CancellationToken ct = default)
    {
        ulong meta = await alloc.GetRootAsync(RootSlot.XactMeta, ct).ConfigureAwait(false);
        ulong root = await alloc.GetRootAsync(RootSlot.XactDirectory, ct).ConfigureAwait(false);
        if (meta == 0 || root == 0)
        {
            meta = await alloc.AllocateAsync(ct).ConfigureAwait(false);
            root = await alloc.AllocateAsync(ct).ConfigureAwait(false);
            using var mtr = new EngineMtr(pool);
            var m = await mtr.CreatePageAsync(meta, ct).ConfigureAwait(false);
            LogFormat(mtr, m, XactPageRole.Counter, 0);
            var r = await mtr.CreatePageAsync(root, ct).ConfigureAwait(false);
            LogFormat(mtr, r, XactPageRole.DirRoot, 0);
            await PageAllocator.SetRootAsync(mtr, RootSlot.XactMeta, meta, ct).ConfigureAwait(false);
            await PageAllocator.SetRootAsync(mtr, RootSlot.XactDirectory, root, ct).ConfigureAwait(false);
            await mtr.CommitAsync(ct).ConfigureAwait(false);
        }
        return new XactStore(pool, alloc, meta, root);
    }

    /// <summary>Opens the transaction pages of a formatted volume read-only (a reader instance, tools).</summary>
    public static async ValueTask<XactStore> OpenReaderAsync(BufferPool pool, CancellationToken ct = default)
    {
        ulong meta, root;
        using (var h = await pool.PinAsync(SuperBlock.PageNo, PageAccess.Normal, ct).ConfigureAwait(false))
        {
            h.LatchShared();
            meta = SuperBlock.Root(h.Page, RootSlot.XactMeta);
            root = SuperBlock.Root(h.Page, RootSlot.XactDirectory);
            h.UnlatchShared();
        }
        if (meta == 0 || root == 0) throw new InvalidOperationException("the volume has no transaction pages (no writer ever opened it)");
        return new XactStore(pool, null, meta, root);
    }

    /// <summary>The xid ceiling: every xid ever handed out is below it.</summary>
    public async ValueTask<ulong> ReadCeilingAsync(CancellationToken ct = default)
    {
        using var h = await _pool.PinAsync(_metaPage, PageAccess.Normal, ct).ConfigureAwait(false);
        h.LatchShared();
        try
        {
            if (!XactLayout.Is(h.Page, XactPageRole.Counter)) ThrowCorrupt(_metaPage, "xid counter");
            return XactLayout.Ceiling(h.Page);
        }
        finally { h.UnlatchShared(); }
    }

    /// <summary>
    /// Raises the ceiling by one status page's worth of xids (creating that status page, and a
    /// directory leaf when needed) in one MTR, and returns the new ceiling. Writer only; the
    /// caller serialises extensions. No durability wait is needed before the new xids are used:
    /// any record naming them has a higher LSN, so it is never durable without this MTR.
    /// </summary>
    public async ValueTask<ulong> ExtendAsync(CancellationToken ct = default)
    {
        if (_alloc is null) throw new InvalidOperationException("a read-only transaction store cannot hand out xids");
        ulong ceiling = await ReadCeilingAsync(ct).ConfigureAwait(false);
        ulong index = ceiling / Slots;
        if (ceiling + Slots > XactLayout.MaxXid)
            throw new TxnException(SqlStates.ProgramLimitExceeded, "transaction ids are exhausted (the status directory is full)");
        ulong leafIndex = index / Slots;
        ulong leafPage = await LeafPageAsync(leafIndex, ct).ConfigureAwait(false);
        bool newLeaf = leafPage == 0;
        if (newLeaf) leafPage = await _alloc.AllocateAsync(ct).ConfigureAwait(false);
        ulong statusPage = await _alloc.AllocateAsync(ct).ConfigureAwait(false);

        using var mtr = new EngineMtr(_pool);
        var meta = await mtr.GetForWriteAsync(_metaPage, ct).ConfigureAwait(false);
        PageHandle leaf;
        if (newLeaf)
        {
            var root = await mtr.GetForWriteAsync(_dirRoot, ct).ConfigureAwait(false);
            leaf = await mtr.CreatePageAsync(leafPage, ct).ConfigureAwait(false);
            LogFormat(mtr, leaf, XactPageRole.DirLeaf, leafIndex * Slots);
            LogDirSet(mtr, root, (int)leafIndex, leafPage);
        }
        else
        {
            leaf = await mtr.GetForWriteAsync(leafPage, ct).ConfigureAwait(false);
        }
        var status = await mtr.CreatePageAsync(statusPage, ct).ConfigureAwait(false);
        LogFormat(mtr, status, XactPageRole.Status, ceiling);
        LogDirSet(mtr, leaf, (int)(index % Slots), statusPage);
        var p = mtr.Add(meta, RedoType.XactCeiling, XactLayout.CeilingPayloadSize);
        XactLayout.WriteCeiling(p, ceiling + Slots);
        mtr.Apply();
        await mtr.CommitAsync(ct).ConfigureAwait(false);
        _leaves[leafIndex] = leafPage;
        _statusPages[index] = statusPage;
        return ceiling + Slots;
    }

    /// <summary>
    /// The stored status of <paramref name="xid"/> without I/O: false when a page it needs is not
    /// cached (then await <see cref="GetStatusAsync"/>). 0 = in progress or never finished (or no
    /// status page yet), 1 = aborted, else the commit LSN. Xid 0 reads as aborted, 1 (frozen) as
    /// committed at LSN 2 (<see cref="Xids.FrozenStatus"/>).
    /// </summary>
    public bool TryGetStatus(ulong xid, out ulong status)
    {
        if (xid < Xids.FirstNormal)
        {
            status = xid == Xids.Frozen ? Xids.FrozenStatus : XactLayout.StatusAborted;
            return true;
        }
        ulong index = xid / Slots;
        int slot = (int)(xid % Slots);
        if (_cache.TryGetValue(index, out var chunk))
        {
            status = Volatile.Read(ref chunk[slot]);
            if (status != 0) return true;
        }
        if (!_statusPages.TryGetValue(index, out ulong pageNo))
        {
            if (!TryResolveCached(index, out pageNo)) { status = 0; return false; }
            if (pageNo == 0) { status = 0; return true; }
        }
        if (!_pool.TryPinCached(pageNo, out var h)) { status = 0; return false; }
        using (h)
        {
            status = ReadSlot(h, pageNo, slot);
        }
        if (status != 0) Remember(index, slot, status);
        return true;
    }

    /// <summary>The stored status of <paramref name="xid"/>, reading pages on a miss (see <see cref="TryGetStatus"/>).</summary>
    public async ValueTask<ulong> GetStatusAsync(ulong xid, CancellationToken ct = default)
    {
        if (TryGetStatus(xid, out ulong status)) return status;
        ulong index = xid / Slots;
        ulong pageNo = await StatusPageAsync(index, ct).ConfigureAwait(false);
        if (pageNo == 0) return 0;
        using var h = await _pool.PinAsync(pageNo, PageAccess.Normal, ct).ConfigureAwait(false);
        status = ReadSlot(h, pageNo, (int)(xid % Slots));
        if (status != 0) Remember(index, (int)(xid % Slots), status);
        return status;
    }

    /// <summary>
    /// Logs the outcome of <paramref name="sortedXids"/> (ascending, distinct) in one MTR — XactCommit
    /// (each slot gets its record's LSN) or XactAbort (1) — and returns the MTR's consistency point.
    /// One record per status page, pages latched in ascending order. Writer only. The final
    /// statuses go into the cache, so lookups of recently finished xids need no page latch.
    /// </summary>
    public async ValueTask<ulong> LogOutcomeAsync(RedoType type, IReadOnlyList<ulong> sortedXids, CancellationToken ct = default)
    {
        if (type is not (RedoType.XactCommit or RedoType.XactAbort)) throw new ArgumentOutOfRangeException(nameof(type));
        if (_alloc is null) throw new InvalidOperationException("a read-only transaction store cannot log outcomes");
        if (sortedXids.Count == 0) return 0;
        using var mtr = new EngineMtr(_pool);
        int i = 0;
        while (i < sortedXids.Count)
        {
            ulong index = sortedXids[i] / Slots;
            int j = i;
            while (j < sortedXids.Count && sortedXids[j] / Slots == index) j++;
            ulong pageNo = await StatusPageAsync(index, ct).ConfigureAwait(false);
            if (pageNo == 0) throw new InvalidOperationException($"xid {sortedXids[i]} has no status page: it was never handed out");
            var h = await mtr.GetForWriteAsync(pageNo, ct).ConfigureAwait(false);
            var p = mtr.Add(h, type, XactLayout.SlotsPayloadSize(j - i));
            BinaryPrimitives.WriteUInt16LittleEndian(p, (ushort)(j - i));
            for (int k = i; k < j; k++)
                BinaryPrimitives.WriteUInt16LittleEndian(p[(2 + 2 * (k - i))..], (ushort)(sortedXids[k] % Slots));
            mtr.Apply();
            i = j;
        }
        int records = mtr.RecordCount;
        ulong cpl = await mtr.CommitAsync(ct).ConfigureAwait(false);
        // Record r of the MTR got LSN cpl - records + 1 + r (dense LSNs within an MTR).
        ulong lsn = cpl - (ulong)records;
        ulong lastIndex = ulong.MaxValue;
        foreach (ulong xid in sortedXids)
        {
            if (xid / Slots != lastIndex) { lastIndex = xid / Slots; lsn++; }
            Remember(xid, type == RedoType.XactCommit ? lsn : XactLayout.StatusAborted);
        }
        return cpl;
    }

    /// <summary>Caches a final status (committed LSN or aborted) that is already on the status page.</summary>
    internal void Remember(ulong xid, ulong status)
    {
        if (xid >= Xids.FirstNormal && status != 0) Remember(xid / Slots, (int)(xid % Slots), status);
    }

    private void Remember(ulong index, int slot, ulong status)
    {
        if (!_cache.TryGetValue(index, out var chunk))
        {
            if (index < Volatile.Read(ref _cacheLowest) && _cache.Count >= StatusCacheChunks) return;
            chunk = _cache.GetOrAdd(index, static _ => new ulong[Slots]);
            if (_cache.Count > StatusCacheChunks) EvictOldest();
        }
        Volatile.Write(ref chunk[slot], status);
    }

    private void EvictOldest()
    {
        ulong min = ulong.MaxValue;
        foreach (var k in _cache.Keys) if (k < min) min = k;
        if (min != ulong.MaxValue) _cache.TryRemove(min, out _);
        Volatile.Write(ref _cacheLowest, min + 1);
    }

    private static ulong ReadSlot(PageHandle h, ulong pageNo, int slot)
    {
        h.LatchShared();
        try
        {
            if (!XactLayout.Is(h.Page, XactPageRole.Status)) ThrowCorrupt(pageNo, "commit-status");
            return XactLayout.Slot(h.Page, slot);
        }
        finally { h.UnlatchShared(); }
    }

    /// <summary>Page number of status page <paramref name="index"/> (0 = none), from cached pages only.</summary>
    private bool TryResolveCached(ulong index, out ulong pageNo)
    {
        pageNo = 0;
        ulong leafIndex = index / Slots;
        if (!_leaves.TryGetValue(leafIndex, out ulong leaf))
        {
            if (!_pool.TryPinCached(_dirRoot, out var r)) return false;
            using (r) leaf = ReadEntry(r, _dirRoot, XactPageRole.DirRoot, (int)leafIndex);
            if (leaf == 0) return true;
            _leaves[leafIndex] = leaf;
        }
        if (!_pool.TryPinCached(leaf, out var l)) return false;
        using (l) pageNo = ReadEntry(l, leaf, XactPageRole.DirLeaf, (int)(index % Slots));
        if (pageNo != 0) _statusPages[index] = pageNo;
        return true;
    }

    private async ValueTask<ulong> LeafPageAsync(ulong leafIndex, CancellationToken ct)
    {
        if (_leaves.TryGetValue(leafIndex, out ulong leaf)) return leaf;
        using var r = await _pool.PinAsync(_dirRoot, PageAccess.Normal, ct).ConfigureAwait(false);
        leaf = ReadEntry(r, _dirRoot, XactPageRole.DirRoot, (int)leafIndex);
        if (leaf != 0) _leaves[leafIndex] = leaf;
        return leaf;
    }

    private async ValueTask<ulong> StatusPageAsync(ulong index, CancellationToken ct)
    {
        if (_statusPages.TryGetValue(index, out ulong pageNo)) return pageNo;
        if (index / Slots >= Slots) return 0;
        ulong leaf = await LeafPageAsync(index / Slots, ct).ConfigureAwait(false);
        if (leaf == 0) return 0;
        using var l = await _pool.PinAsync(leaf, PageAccess.Normal, ct).ConfigureAwait(false);
        pageNo = ReadEntry(l, leaf, XactPageRole.DirLeaf, (int)(index % Slots));
        if (pageNo != 0) _statusPages[index] = pageNo;
        return pageNo;
    }

    private static ulong ReadEntry(PageHandle h, ulong pageNo, XactPageRole role, int entry)
    {
        if ((uint)entry >= Slots) return 0;
        h.LatchShared();
        try
        {
            if (!XactLayout.Is(h.Page, role)) ThrowCorrupt(pageNo, "xact directory");
            return XactLayout.Slot(h.Page, entry);
        }
        finally { h.UnlatchShared(); }
    }

    private static void LogFormat(EngineMtr mtr, in PageHandle h, XactPageRole role, ulong baseValue)
    {
        XactLayout.WriteFormat(mtr.Add(h, RedoType.XactFormat, XactLayout.FormatPayloadSize), role, baseValue);
        mtr.Apply();
    }

    private static void LogDirSet(EngineMtr mtr, in PageHandle h, int index, ulong pageNo)
    {
        XactLayout.WriteDirSet(mtr.Add(h, RedoType.XactDirSet, XactLayout.DirSetPayloadSize), index, pageNo);
        mtr.Apply();
    }

    [DoesNotReturn]
    private static void ThrowCorrupt(ulong pageNo, string what) =>
        throw new InvalidOperationException($"page {pageNo} is not a {what} page: the transaction pages are corrupt");
}
