using Borealis.Engine.Buffer;
using Borealis.Engine.Mtr;
using Borealis.Engine.Space;
using Borealis.Redo;
using Borealis.Redo.Heap;

namespace Borealis.Engine.Heap;

/// <summary>
/// A heap's page directory and free-space map: the meta page lists directory pages, each
/// directory page lists data pages with a coarse free-space category, and the meta page keeps
/// the highest category of each directory page (formats in <see cref="HeapMetaPage"/> and
/// <see cref="FreeSpacePage"/>). Everything is redo-logged, so a restarted instance finds room
/// by reading at most the meta page and a few directory pages: no rebuild, no table scan.
/// <para>
/// Latch order (deadlock freedom): a new, still unreachable heap page → a directory page → the
/// meta page. Readers (searches, scans) latch the meta page or one directory page alone, copy
/// what they need and release it before latching anything else; nobody latches a directory or
/// meta page while holding a reachable heap page.
/// </para>
/// <para>
/// Only an extension adds directory entries or directory pages. Extensions are serialized per
/// object, and they read the counts they change under the latches of the change, so two objects
/// over one heap stay correct.
/// </para>
/// </summary>
internal sealed class HeapSpace(BufferPool pool, PageAllocator allocator, ulong metaPage)
{
    private readonly SemaphoreSlim _extendLock = new(1, 1);

    /// <summary>Category of an empty, freshly formatted data page.</summary>
    public static readonly byte EmptyPageCategory = FreeSpacePage.Category(Page.Size - HeapPage.HeaderEnd);

    public ulong MetaPage => metaPage;

    /// <summary>Allocates and formats a heap's meta page and first directory page (one MTR); returns the meta page number.</summary>
    public static async ValueTask<ulong> CreateAsync(BufferPool pool, PageAllocator allocator, CancellationToken ct)
    {
        ulong meta = await allocator.AllocateAsync(ct).ConfigureAwait(false);
        ulong dir = await allocator.AllocateAsync(ct).ConfigureAwait(false);
        using var mtr = new EngineMtr(pool);
        var m = await mtr.CreatePageAsync(meta, ct).ConfigureAwait(false);
        mtr.Add(m, RedoType.HeapMetaInit, 0);
        mtr.Apply();
        HeapRecords.MetaAddDir(mtr.Add(m, RedoType.HeapMetaAddDir, HeapRecords.MetaAddDirSize), 0, dir);
        mtr.Apply();
        var d = await mtr.CreatePageAsync(dir, ct).ConfigureAwait(false);
        HeapRecords.Init(mtr.Add(d, RedoType.FreeSpaceInit, HeapRecords.InitSize), meta);
        mtr.Apply();
        await mtr.CommitAsync(ct).ConfigureAwait(false);
        return meta;
    }

    /// <summary>Number of directory pages and the page number of directory <paramref name="index"/> (0 when index ≥ count).</summary>
    public async ValueTask<(int Count, ulong Dir)> ReadMetaAsync(int index, CancellationToken ct)
    {
        using var h = await pool.PinAsync(metaPage, PageAccess.Normal, ct).ConfigureAwait(false);
        h.LatchShared();
        try
        {
            var p = h.Page;
            if (!HeapMetaPage.HeaderValid(p)) ThrowCorrupt($"page {metaPage} is not a heap meta page");
            int n = HeapMetaPage.DirCount(p);
            return (n, (uint)index < (uint)n ? HeapMetaPage.DirPage(p, index) : 0);
        }
        finally { h.UnlatchShared(); }
    }

    /// <summary>
    /// A data page whose recorded category is at least <paramref name="minCategory"/>, other than
    /// <paramref name="exclude"/>; 0 when the map knows none. The caller re-checks under the page latch.
    /// </summary>
    public async ValueTask<ulong> FindAsync(int minCategory, ulong exclude, CancellationToken ct)
    {
        int from = 0;
        while (true)
        {
            int d = -1;
            ulong dirPage = 0;
            using (var m = await pool.PinAsync(metaPage, PageAccess.Normal, ct).ConfigureAwait(false))
            {
                m.LatchShared();
                try
                {
                    var p = m.Page;
                    if (!HeapMetaPage.HeaderValid(p)) ThrowCorrupt($"page {metaPage} is not a heap meta page");
                    int n = HeapMetaPage.DirCount(p);
                    for (int i = from; i < n; i++)
                    {
                        if (HeapMetaPage.Summary(p, i) < minCategory) continue;
                        d = i;
                        dirPage = HeapMetaPage.DirPage(p, i);
                        break;
                    }
                }
                finally { m.UnlatchShared(); }
            }
            if (d < 0) return 0;
            ulong found = 0;
            bool anyQualifies = false;
            using (var h = await pool.PinAsync(dirPage, PageAccess.Normal, ct).ConfigureAwait(false))
            {
                h.LatchShared();
                try
                {
                    var p = h.Page;
                    if (!FreeSpacePage.HeaderValid(p)) ThrowCorrupt($"page {dirPage} is not a heap directory page");
                    int n = FreeSpacePage.Count(p);
                    for (int e = 0; e < n; e++)
                    {
                        if (FreeSpacePage.EntryCategory(p, e) < minCategory) continue;
                        anyQualifies = true;
                        ulong page = FreeSpacePage.EntryPage(p, e);
                        if (page == exclude) continue;
                        found = page;
                        break;
                    }
                }
                finally { h.UnlatchShared(); }
            }
            if (found != 0) return found;
            if (!anyQualifies) await RefreshSummaryAsync(d, dirPage, ct).ConfigureAwait(false);
            from = d + 1;
        }
    }

    /// <summary>Records a data page's current category in its directory entry (and the meta summary), if it changed.</summary>
    public async ValueTask RecordAsync(int dirIndex, int dirEntry, ulong dataPage, byte category, CancellationToken ct)
    {
        var (_, dirPage) = await ReadMetaAsync(dirIndex, ct).ConfigureAwait(false);
        if (dirPage == 0) ThrowCorrupt($"heap page {dataPage} names directory {dirIndex}, which heap {metaPage} does not have");
        using var metaPin = await pool.PinAsync(metaPage, PageAccess.Normal, ct).ConfigureAwait(false); // no miss under the dir latch
        using var mtr = new EngineMtr(pool);
        var h = await mtr.GetForWriteAsync(dirPage, ct).ConfigureAwait(false);
        var p = h.Page;
        if (!FreeSpacePage.HeaderValid(p) || dirEntry >= FreeSpacePage.Count(p) || FreeSpacePage.EntryPage(p, dirEntry) != dataPage)
            ThrowCorrupt($"directory page {dirPage} entry {dirEntry} does not list heap page {dataPage}");
        if (FreeSpacePage.EntryCategory(p, dirEntry) != category)
        {
            HeapRecords.FreeSpaceSet(mtr.Add(h, RedoType.FreeSpaceSet, HeapRecords.FreeSpaceSetSize), dirEntry, category);
            mtr.Apply();
            await SetSummaryAsync(mtr, dirIndex, FreeSpacePage.MaxCategory(h.Page), ct).ConfigureAwait(false);
        }
        await mtr.CommitAsync(ct).ConfigureAwait(false);
    }

    private async ValueTask RefreshSummaryAsync(int dirIndex, ulong dirPage, CancellationToken ct)
    {
        using var metaPin = await pool.PinAsync(metaPage, PageAccess.Normal, ct).ConfigureAwait(false);
        using var mtr = new EngineMtr(pool);
        var h = await mtr.GetForWriteAsync(dirPage, ct).ConfigureAwait(false);
        await SetSummaryAsync(mtr, dirIndex, FreeSpacePage.MaxCategory(h.Page), ct).ConfigureAwait(false);
        await mtr.CommitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Sets the meta summary of a directory page in the caller's MTR (which already holds that directory page).</summary>
    private async ValueTask SetSummaryAsync(EngineMtr mtr, int dirIndex, byte max, CancellationToken ct)
    {
        var m = await mtr.GetForWriteAsync(metaPage, ct).ConfigureAwait(false);
        if (HeapMetaPage.Summary(m.Page, dirIndex) == max) return;
        HeapRecords.MetaSetSummary(mtr.Add(m, RedoType.HeapMetaSetSummary, HeapRecords.MetaSetSummarySize), dirIndex, max);
        mtr.Apply();
    }

    /// <summary>
    /// Adds a new, empty data page to the heap: formats it and lists it in the last directory page
    /// (or a new one) in one MTR, committed before the page is used, so no tuple can ever be on a
    /// page a scan cannot reach. Returns its page number. Counts are read under the latches that
    /// the change holds, so even two objects extending the same heap cannot corrupt it (one retries).
    /// </summary>
    public async ValueTask<ulong> ExtendAsync(CancellationToken ct)
    {
        await _extendLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            ulong newPage = await allocator.AllocateAsync(ct).ConfigureAwait(false);
            ulong newDir = 0;
            byte cat = EmptyPageCategory;
            while (true)
            {
                var (n, _) = await ReadMetaAsync(0, ct).ConfigureAwait(false);
                var (_, lastDir) = await ReadMetaAsync(n - 1, ct).ConfigureAwait(false);
                // Pin the directory and meta pages first so no latch is held across a page miss.
                using var dirPin = await pool.PinAsync(lastDir, PageAccess.Normal, ct).ConfigureAwait(false);
                using var metaPin = await pool.PinAsync(metaPage, PageAccess.Normal, ct).ConfigureAwait(false);
                using var mtr = new EngineMtr(pool);
                var d = await mtr.GetForWriteAsync(lastDir, ct).ConfigureAwait(false);
                if (!FreeSpacePage.HeaderValid(d.Page)) ThrowCorrupt($"page {lastDir} is not a heap directory page");
                int count = FreeSpacePage.Count(d.Page);
                if (count < FreeSpacePage.Capacity)
                {
                    var hp = await mtr.CreatePageAsync(newPage, ct).ConfigureAwait(false);
                    HeapRecords.HeapInit(mtr.Add(hp, RedoType.HeapInit, HeapRecords.HeapInitSize), metaPage, n - 1, count);
                    mtr.Apply();
                    HeapRecords.FreeSpaceAdd(mtr.Add(d, RedoType.FreeSpaceAdd, HeapRecords.FreeSpaceAddSize), count, cat, newPage);
                    mtr.Apply();
                    await SetSummaryAsync(mtr, n - 1, FreeSpacePage.MaxCategory(d.Page), ct).ConfigureAwait(false);
                    await mtr.CommitAsync(ct).ConfigureAwait(false);
                    if (newDir != 0) await allocator.FreeAsync(newDir, ct).ConfigureAwait(false);
                    return newPage;
                }
                // The last directory page is full: start a new one.
                mtr.Release(lastDir);
                if (n >= HeapMetaPage.MaxDirs)
                {
                    await allocator.FreeAsync(newPage, ct).ConfigureAwait(false);
                    if (newDir != 0) await allocator.FreeAsync(newDir, ct).ConfigureAwait(false);
                    throw new HeapLimitException($"heap {metaPage} has reached its size limit of {HeapMetaPage.MaxDirs * FreeSpacePage.Capacity} pages");
                }
                if (newDir == 0)
                {
                    await mtr.CommitAsync(ct).ConfigureAwait(false);
                    newDir = await allocator.AllocateAsync(ct).ConfigureAwait(false);
                }
                var m = await mtr.GetForWriteAsync(metaPage, ct).ConfigureAwait(false);
                if (HeapMetaPage.DirCount(m.Page) != n) continue; // someone else added a directory page: start over
                var h = await mtr.CreatePageAsync(newPage, ct).ConfigureAwait(false);
                HeapRecords.HeapInit(mtr.Add(h, RedoType.HeapInit, HeapRecords.HeapInitSize), metaPage, n, 0);
                mtr.Apply();
                var nd = await mtr.CreatePageAsync(newDir, ct).ConfigureAwait(false);
                HeapRecords.Init(mtr.Add(nd, RedoType.FreeSpaceInit, HeapRecords.InitSize), metaPage);
                mtr.Apply();
                HeapRecords.FreeSpaceAdd(mtr.Add(nd, RedoType.FreeSpaceAdd, HeapRecords.FreeSpaceAddSize), 0, cat, newPage);
                mtr.Apply();
                HeapRecords.MetaAddDir(mtr.Add(m, RedoType.HeapMetaAddDir, HeapRecords.MetaAddDirSize), n, newDir);
                mtr.Apply();
                HeapRecords.MetaSetSummary(mtr.Add(m, RedoType.HeapMetaSetSummary, HeapRecords.MetaSetSummarySize), n, cat);
                mtr.Apply();
                await mtr.CommitAsync(ct).ConfigureAwait(false);
                return newPage;
            }
        }
        finally
        {
            _extendLock.Release();
        }
    }

    /// <summary>Copies directory page <paramref name="dirPage"/>'s entries (page numbers) from <paramref name="from"/> on into <paramref name="dest"/>; returns how many.</summary>
    public async ValueTask<int> ReadEntriesAsync(ulong dirPage, int from, Memory<ulong> dest, CancellationToken ct)
    {
        using var h = await pool.PinAsync(dirPage, PageAccess.Scan, ct).ConfigureAwait(false);
        h.LatchShared();
        try
        {
            var p = h.Page;
            if (!FreeSpacePage.HeaderValid(p)) ThrowCorrupt($"page {dirPage} is not a heap directory page");
            int n = Math.Min(FreeSpacePage.Count(p) - from, dest.Length);
            var span = dest.Span;
            for (int i = 0; i < n; i++) span[i] = FreeSpacePage.EntryPage(p, from + i);
            return Math.Max(n, 0);
        }
        finally { h.UnlatchShared(); }
    }

    /// <summary>The recorded category of a data page (tests and tools).</summary>
    public async ValueTask<byte> CategoryOfAsync(int dirIndex, int dirEntry, CancellationToken ct)
    {
        var (_, dirPage) = await ReadMetaAsync(dirIndex, ct).ConfigureAwait(false);
        using var h = await pool.PinAsync(dirPage, PageAccess.Normal, ct).ConfigureAwait(false);
        h.LatchShared();
        try { return FreeSpacePage.EntryCategory(h.Page, dirEntry); }
        finally { h.UnlatchShared(); }
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    internal static void ThrowCorrupt(string message) => throw new HeapCorruptedException(message);
}
