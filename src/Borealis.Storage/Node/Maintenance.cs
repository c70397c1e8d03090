using System.Buffers;
using System.Diagnostics;
using Borealis.Redo;
using Borealis.Storage.Protocol;

namespace Borealis.Storage;

/// <summary>
/// Background work off the foreground path: coalescing records into page versions (moving each
/// segment's base to min(SCL, minReadPoint)), deleting log files nothing above a base needs,
/// and scrubbing page slots and log records. One task, woken by <see cref="Signal"/> when a
/// segment has coalescing work (after <see cref="StorageNodeOptions.CoalesceDelay"/>, to batch)
/// and by the scrub timer.
/// </summary>
internal sealed class Maintenance(StorageNode node)
{
    private const int MaxPagesPerRound = 1024;
    private const int MaxRecordsPerRound = 1 << 16;
    private readonly SemaphoreSlim _signal = new(0, 1);
    private readonly SemaphoreSlim _coalesceLock = new(1, 1);
    private readonly SemaphoreSlim _scrubLock = new(1, 1);
    private readonly Dictionary<ulong, (byte[] Page, int Slot)> _pages = [];
    private int _signaled;
    private volatile bool _scrubRequested;

    public void Signal()
    {
        if (Interlocked.Exchange(ref _signaled, 1) == 0) _signal.Release();
    }

    public void RequestScrub()
    {
        if (!node.Options.BackgroundWork) return;
        _scrubRequested = true;
        Signal();
    }

    /// <summary>Caller holds the segment's lock.</summary>
    public static bool HasCoalesceWorkLocked(Segment seg)
        => !seg.Meta.Hydrating && seg.CoalesceLimitLocked > seg.Index.Base;

    /// <summary>
    /// When the segment's coalescing is due (lazy policy, see <see cref="StorageNodeOptions.CoalesceMinBytes"/>):
    /// 0 = now, long.MaxValue = no work. Caller holds the segment's lock.
    /// </summary>
    private static long CoalesceDueTicksLocked(Segment seg, StorageNodeOptions opts)
    {
        if (!HasCoalesceWorkLocked(seg)) return long.MaxValue;
        if (seg.Index.Bytes >= opts.CoalesceMinBytes || seg.Index.HeldSinceTicks == 0) return 0;
        return seg.Index.HeldSinceTicks + (long)(opts.CoalesceMaxAge.TotalSeconds * Stopwatch.Frequency);
    }

    public async Task RunAsync(CancellationToken ct)
    {
        var opts = node.Options;
        long nextScrub = Stopwatch.GetTimestamp() + (long)(opts.ScrubInterval.TotalSeconds * Stopwatch.Frequency);
        long nextCoalesce = long.MaxValue;
        while (!ct.IsCancellationRequested)
        {
            long wake = Math.Min(nextScrub, nextCoalesce);
            var wait = opts.BackgroundWork
                ? TimeSpan.FromSeconds(Math.Max(0, (wake - Stopwatch.GetTimestamp()) / (double)Stopwatch.Frequency))
                : Timeout.InfiniteTimeSpan;
            try
            {
                bool signaled = await _signal.WaitAsync(wait, ct);
                if (signaled || Stopwatch.GetTimestamp() >= nextCoalesce)
                {
                    Volatile.Write(ref _signaled, 0);
                    await Task.Delay(opts.CoalesceDelay, ct);
                    nextCoalesce = await CoalesceAllAsync(force: false, ct);
                }
                if ((opts.BackgroundWork && Stopwatch.GetTimestamp() >= nextScrub) || _scrubRequested)
                {
                    _scrubRequested = false;
                    await ScrubAsync(ct);
                    nextScrub = Stopwatch.GetTimestamp() + (long)(opts.ScrubInterval.TotalSeconds * Stopwatch.Frequency);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                NodeLog.BackgroundFailed(node.Logger, "maintenance", e);
            }
        }
    }

    /// <summary>Coalesces every segment that is due (all with work when <paramref name="force"/>); returns when the next one falls due.</summary>
    public async Task<long> CoalesceAllAsync(bool force, CancellationToken ct)
    {
        await _coalesceLock.WaitAsync(ct);
        try
        {
            long next = long.MaxValue;
            foreach (var seg in node.Segments)
            {
                if (seg.Disposed) continue;
                long due;
                lock (seg.Sync) due = CoalesceDueTicksLocked(seg, node.Options);
                if (due == long.MaxValue) continue;
                if (!force && due > Stopwatch.GetTimestamp())
                {
                    next = Math.Min(next, due);
                    continue;
                }
                // Several rounds if a segment has more work than one round takes.
                for (int i = 0; i < 64 && await CoalesceSegmentAsync(seg, ct); i++) { }
            }
            CollectLogFiles();
            return next;
        }
        finally
        {
            _coalesceLock.Release();
        }
    }

    /// <summary>One coalesce round of one segment; true when the base moved.</summary>
    private async Task<bool> CoalesceSegmentAsync(Segment seg, CancellationToken ct)
    {
        await seg.PageMutex.WaitAsync(ct);
        RecordEntry[]? entries = null;
        byte[] scratch = ArrayPool<byte>.Shared.Rent(PageStore.SlotsSize);
        byte[] rec = ArrayPool<byte>.Shared.Rent(RedoRecord.MaxRecordSize);
        try
        {
            ulong baseLsn;
            bool torn;
            int n;
            lock (seg.Sync)
            {
                if (!HasCoalesceWorkLocked(seg)) return false;
                baseLsn = seg.Index.Base;
                ulong limit = seg.CoalesceLimitLocked;
                torn = seg.TornPossible;
                n = Math.Min(seg.Index.LowerBound(limit + 1), MaxRecordsPerRound);
                entries = ArrayPool<RecordEntry>.Shared.Rent(Math.Max(n, 1));
                seg.Index.All[..n].CopyTo(entries);
            }
            // Load base images and apply records in LSN order, stopping before a page that would exceed the round.
            for (int i = 0; i < n; i++)
            {
                ref var e = ref entries[i];
                if (!_pages.TryGetValue(e.PageNo, out var pg))
                {
                    if (_pages.Count >= MaxPagesPerRound) { n = i; break; }
                    var buf = ArrayPool<byte>.Shared.Rent(Page.Size);
                    if (seg.Pages.ReadBase(e.PageNo, baseLsn, torn, buf, scratch, out int slot) != PageReadStatus.Ok)
                    {
                        ArrayPool<byte>.Shared.Return(buf);
                        NodeLog.CoalesceProblem(node.Logger, seg.Id.ToString(), $"page {e.PageNo} has a corrupt slot; waiting for scrub");
                        RequestScrub();
                        n = i;
                        break;
                    }
                    _pages[e.PageNo] = pg = (buf, slot);
                }
                var span = rec.AsSpan(0, e.Length);
                if (!node.Log.Read(e.FileNo, e.Offset, span) || RedoRecord.Validate(span) != e.Length || RedoRecord.Lsn(span) != e.Lsn)
                {
                    NodeLog.CoalesceProblem(node.Logger, seg.Id.ToString(), $"record {e.Lsn} is unreadable; refetching it from peers");
                    Reads.DropCorrupt(node, seg, e.Lsn);
                    n = i;
                    break;
                }
                if (!PageApply.Apply(pg.Page.AsSpan(0, Page.Size), span))
                    NodeLog.CoalesceProblem(node.Logger, seg.Id.ToString(), $"record {e.Lsn} has a malformed payload for its type; skipped");
            }
            if (n == 0) return false;
            // A page first touched at index ≥ n was not loaded, so every loaded page is complete up to target.
            ulong target = entries[n - 1].Lsn;
            lock (seg.Sync) seg.Meta.CoalesceTarget = target;
            seg.PersistMeta();
            seg.PageRw.EnterWriteLock();
            try
            {
                foreach (var (pageNo, (page, slot)) in _pages)
                {
                    var p = page.AsSpan(0, Page.Size);
                    Page.SealChecksum(p, pageNo);
                    seg.Pages.WriteSlot(pageNo, 1 - slot, p);
                }
            }
            finally
            {
                seg.PageRw.ExitWriteLock();
            }
            seg.Pages.Sync();
            lock (seg.Sync)
            {
                seg.Meta.BaseLsn = target;
                seg.Meta.CoalesceTarget = 0;
            }
            seg.PersistMeta();
            lock (seg.Sync)
            {
                seg.Index.AdvanceBase(target);
                // The interrupted coalesce whose torn slots reads had to tolerate is superseded by this one.
                seg.TornPossible = false;
            }
            NodeLog.Coalesced(node.Logger, seg.Id.ToString(), target, n, _pages.Count);
            return true;
        }
        catch (IOException e)
        {
            node.Committer.MarkReadOnly();
            NodeLog.FsyncFailed(node.Logger, e);
            return false;
        }
        finally
        {
            foreach (var (page, _) in _pages.Values) ArrayPool<byte>.Shared.Return(page);
            _pages.Clear();
            if (entries is not null) ArrayPool<RecordEntry>.Shared.Return(entries);
            ArrayPool<byte>.Shared.Return(scratch);
            ArrayPool<byte>.Shared.Return(rec);
            seg.PageMutex.Release();
        }
    }

    /// <summary>Deletes every log file (but the active one) none of whose records is above its segment's base.</summary>
    private void CollectLogFiles()
    {
        node.Log.DisposeRetired();
        foreach (var file in node.Log.Files())
        {
            if (node.Log.IsActive(file)) continue;
            bool needed = false;
            lock (file.MaxLsn)
            {
                foreach (var (seg, max) in file.MaxLsn)
                {
                    if (seg.Disposed) continue;
                    lock (seg.Sync)
                    {
                        if (max > seg.Index.Base) { needed = true; break; }
                    }
                }
            }
            if (needed) continue;
            try
            {
                node.Log.Delete(file);
                NodeLog.LogFileDeleted(node.Logger, file.Path);
            }
            catch (IOException e)
            {
                NodeLog.BackgroundFailed(node.Logger, "log file deletion", e);
            }
        }
    }

    /// <summary>Verifies every written page slot and every log record; repairs corrupt page slots from peers.</summary>
    public async Task<ScrubReportMsg> ScrubAsync(CancellationToken ct)
    {
        await _scrubLock.WaitAsync(ct);
        var c = new ScrubCounts();
        try
        {
            foreach (var seg in node.Segments)
            {
                if (!seg.Disposed) await ScrubPagesAsync(seg, c, ct);
            }
            ScrubLog(c);
        }
        finally
        {
            _scrubLock.Release();
        }
        var report = new ScrubReportMsg { PagesChecked = c.Pages, LogRecordsChecked = c.Records, CorruptFound = c.Corrupt, Repaired = c.Repaired };
        NodeLog.ScrubDone(node.Logger, report.PagesChecked, report.LogRecordsChecked, report.CorruptFound, report.Repaired);
        return report;
    }

    private sealed class ScrubCounts
    {
        public uint Pages, Records, Corrupt, Repaired;
    }

    /// <summary>
    /// Checks every written page of a segment. A page that does not give a trustworthy base image
    /// (a corrupt slot, or no slot at or below the base) is repaired slot by slot with a peer's image
    /// at our base. When no peer can build the page at our base any more (all of them coalesced past
    /// it), the segment is re-hydrated from a peer instead: its pages at its (higher) base replace
    /// ours, which also rewrites both slots of every damaged page.
    /// </summary>
    private async Task ScrubPagesAsync(Segment seg, ScrubCounts c, CancellationToken ct)
    {
        List<(ulong Page, int Slot)>? unrepaired = null;
        await seg.PageMutex.WaitAsync(ct);
        byte[] scratch = ArrayPool<byte>.Shared.Rent(PageStore.SlotsSize);
        try
        {
            ulong baseLsn;
            uint epoch;
            lock (seg.Sync)
            {
                baseLsn = seg.Index.Base;
                epoch = seg.Meta.Epoch;
            }
            ulong end = Math.Min(seg.Pages.FirstPage + seg.Pages.PageCount, seg.Pages.WrittenEnd);
            for (ulong page = seg.Pages.FirstPage; page < end; page++)
            {
                var pair = seg.Pages.ReadSlots(page, scratch);
                c.Pages++;
                if (PageStore.ChooseBase(pair, baseLsn, tornPossible: false, out _) == PageReadStatus.Ok) continue;
                for (int slot = 0; slot < 2; slot++)
                {
                    // The corrupt slots; with none corrupt, neither slot is at or below the base (an interrupted re-hydration): both.
                    if (pair.AnyCorrupt && pair.State(slot) != SlotState.Corrupt) continue;
                    c.Corrupt++;
                    if (await RepairAsync(seg, page, slot, baseLsn, epoch, ct))
                    {
                        c.Repaired++;
                        NodeLog.CorruptSlot(node.Logger, seg.Id.ToString(), page, slot, true);
                    }
                    else
                    {
                        (unrepaired ??= []).Add((page, slot));
                    }
                }
            }
        }
        finally
        {
            seg.PageMutex.Release();
        }
        try
        {
            if (unrepaired is null) return;
            bool rehydrated = await node.Gossip.RehydrateForRepairAsync(seg, ct);
            ulong newBase;
            lock (seg.Sync) newBase = seg.Index.Base;
            foreach (var (page, slot) in unrepaired)
            {
                SlotPair pair;
                seg.PageRw.EnterReadLock();
                try { pair = seg.Pages.ReadSlots(page, scratch); }
                finally { seg.PageRw.ExitReadLock(); }
                bool ok = rehydrated && pair.State(slot) != SlotState.Corrupt && PageStore.ChooseBase(pair, newBase, tornPossible: false, out _) == PageReadStatus.Ok;
                if (ok) c.Repaired++;
                NodeLog.CorruptSlot(node.Logger, seg.Id.ToString(), page, slot, ok);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <summary>Rebuilds a corrupt slot with a peer's image of the page at our base (a peer whose base ≤ ours ≤ its SCL can build it).</summary>
    private async Task<bool> RepairAsync(Segment seg, ulong pageNo, int slot, ulong baseLsn, uint epoch, CancellationToken ct)
    {
        List<string> peers = [];
        lock (seg.Sync)
            foreach (var m in seg.Meta.Membership.Members)
                if (m.NodeId != node.NodeId && !string.IsNullOrEmpty(m.Endpoint)) peers.Add(m.Endpoint);
        var req = new GetPageMsg { Segment = seg.Id, PageNo = pageNo, AsOfLsn = baseLsn, VolumeEpoch = epoch };
        var payload = Encode.ToArray(GetPageMsg.Size, req.Write);
        foreach (var peer in peers)
        {
            Response? resp;
            try
            {
                resp = await node.Peers.RequestAsync(peer, MessageType.GetPage, payload, ct);
            }
            catch (StorageException)
            {
                continue;
            }
            if (resp is not { Type: MessageType.PageData } r || r.Payload.Length != 16 + Page.Size) continue;
            var img = r.Payload.AsMemory(16, Page.Size);
            if (BitConverter.ToUInt64(r.Payload, 0) != pageNo || !Page.VerifyChecksum(img.Span, pageNo) || Page.GetLsn(img.Span) > baseLsn) continue;
            try
            {
                seg.PageRw.EnterWriteLock();
                try
                {
                    seg.Pages.WriteSlot(pageNo, slot, img.Span);
                }
                finally
                {
                    seg.PageRw.ExitWriteLock();
                }
                seg.Pages.Sync();
                return true;
            }
            catch (IOException e)
            {
                node.Committer.MarkReadOnly();
                NodeLog.FsyncFailed(node.Logger, e);
                return false;
            }
        }
        return false;
    }

    /// <summary>
    /// Walks every log file and validates each record. A corrupt record is dropped from its
    /// segment's index (if held), so gossip fetches a good copy from a peer.
    /// </summary>
    private void ScrubLog(ScrubCounts c)
    {
        foreach (var file in node.Log.Files())
        {
            long len = file.Length;
            if (len <= 0 || len > int.MaxValue) continue;
            byte[] data = ArrayPool<byte>.Shared.Rent((int)len);
            try
            {
                var span = data.AsSpan(0, (int)len);
                int got = 0;
                try
                {
                    while (got < span.Length)
                    {
                        int r = RandomAccess.Read(file.Handle, span[got..], got);
                        if (r <= 0) break;
                        got += r;
                    }
                }
                catch (ObjectDisposedException) { continue; }
                span = span[..got];
                int pos = 0;
                while (pos < span.Length)
                {
                    int r = RedoRecord.Validate(span[pos..]);
                    if (r > 0)
                    {
                        c.Records++;
                        pos += r;
                        continue;
                    }
                    int next = HotLog.FindNextValid(span, pos + 1);
                    int stop = next < 0 ? span.Length : next;
                    c.Corrupt++;
                    NodeLog.CorruptLogRecord(node.Logger, file.Path, pos);
                    DropEntriesIn(file.FileNo, pos, stop);
                    pos = stop;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(data);
            }
        }
    }

    private void DropEntriesIn(int fileNo, long from, long to)
    {
        foreach (var seg in node.Segments)
        {
            List<ulong>? bad = null;
            lock (seg.Sync)
            {
                foreach (ref readonly var e in seg.Index.All)
                    if (e.FileNo == fileNo && e.Offset < to && e.Offset + e.Length > from) (bad ??= []).Add(e.Lsn);
                if (bad is null) continue;
                foreach (ulong lsn in bad) seg.Index.Remove(lsn);
            }
            node.Gossip.Signal();
        }
    }
}
