using System.Diagnostics;
using Borealis.Redo;
using Borealis.Storage.Protocol;

namespace Borealis.Storage;

/// <summary>
/// Fills a segment's gaps from its peers (the other members of its PG), hydrates new segments,
/// and probes peers' state so a node that missed writes while down notices it is behind.
/// One background task; it wakes on <see cref="Signal"/> (a segment fell behind or was
/// created), every <see cref="StorageNodeOptions.GossipInterval"/> only while some segment is
/// behind, and every <see cref="StorageNodeOptions.PeerProbeInterval"/> for the probe.
/// Records pulled from peers go through the group commit like appends: they count only once
/// they are in the hot log.
/// </summary>
internal sealed class Gossiper(StorageNode node)
{
    private const int ReadBytes = 3 * 1024 * 1024; // one reply frame stays under Frame.MaxFrameSize
    private readonly SemaphoreSlim _signal = new(0, 1);
    private int _signaled;

    public void Signal()
    {
        if (Interlocked.Exchange(ref _signaled, 1) == 0) _signal.Release();
    }

    public async Task RunAsync(CancellationToken ct)
    {
        var opts = node.Options;
        // Probe right away: a node that was down or cut off learns at once how far its peers got,
        // instead of waiting a whole probe interval for the first write or probe to tell it.
        long nextProbe = Stopwatch.GetTimestamp();
        while (!ct.IsCancellationRequested)
        {
            bool probe = opts.BackgroundWork && Stopwatch.GetTimestamp() >= nextProbe;
            if (probe) nextProbe = Stopwatch.GetTimestamp() + Ticks(opts.PeerProbeInterval);
            bool busy;
            try
            {
                busy = await RunRoundAsync(probe, force: false, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                NodeLog.BackgroundFailed(node.Logger, "gossip", e);
                busy = true;
            }
            TimeSpan wait = busy ? opts.GossipInterval
                : opts.BackgroundWork ? TimeSpan.FromTicks(Math.Max(0, (nextProbe - Stopwatch.GetTimestamp()) * TimeSpan.TicksPerSecond / Stopwatch.Frequency))
                : Timeout.InfiniteTimeSpan;
            try
            {
                if (await _signal.WaitAsync(wait, ct)) Volatile.Write(ref _signaled, 0);
            }
            catch (OperationCanceledException) { return; }
        }
    }

    private static long Ticks(TimeSpan t) => (long)(t.TotalSeconds * Stopwatch.Frequency);

    public Task RunOnceAsync(bool probe, CancellationToken ct) => RunRoundAsync(probe, force: true, ct);

    /// <summary>One pass over every segment; true when some segment is still behind or hydrating.</summary>
    private async Task<bool> RunRoundAsync(bool probe, bool force, CancellationToken ct)
    {
        bool busy = false;
        foreach (var seg in node.Segments)
        {
            ct.ThrowIfCancellationRequested();
            if (seg.Disposed) continue;
            bool hydrating;
            lock (seg.Sync) hydrating = seg.Meta.Hydrating;
            if (hydrating)
            {
                if (!await HydrateAsync(seg, ct)) { busy = true; continue; }
            }
            if (probe) await ProbeAsync(seg, ct);
            bool behind;
            long due;
            lock (seg.Sync)
            {
                behind = seg.IsBehind;
                due = seg.NextGossipTicks;
            }
            if (!behind) continue;
            if (!force && Stopwatch.GetTimestamp() < due) { busy = true; continue; }
            int filled = await GossipSegmentAsync(seg, ct);
            lock (seg.Sync)
            {
                behind = seg.IsBehind;
                if (filled > 0 || !behind) seg.GossipFailures = 0;
                else seg.GossipFailures = Math.Min(seg.GossipFailures + 1, 8);
                // No progress: back off exponentially up to the probe interval.
                var delay = TimeSpan.FromTicks(Math.Min(node.Options.GossipInterval.Ticks << seg.GossipFailures, node.Options.PeerProbeInterval.Ticks));
                seg.NextGossipTicks = Stopwatch.GetTimestamp() + Ticks(delay);
            }
            busy |= behind;
        }
        return busy;
    }

    private static List<string> PeerEndpoints(StorageNode node, Segment seg)
    {
        List<string> list = [];
        lock (seg.Sync)
            foreach (var m in seg.Meta.Membership.Members)
                if (m.NodeId != node.NodeId && !string.IsNullOrEmpty(m.Endpoint)) list.Add(m.Endpoint);
        return list;
    }

    private async Task<SegmentStateMsg?> GetStateAsync(string endpoint, SegmentId id, CancellationToken ct)
    {
        try
        {
            var payload = Encode.ToArray(SegmentOnlyMsg.Size, (ref WireWriter w) => new SegmentOnlyMsg { Segment = id }.Write(ref w));
            var resp = await node.Peers.RequestAsync(endpoint, MessageType.GetSegmentState, payload, ct);
            if (resp is null || resp.Value.Type != MessageType.SegmentState || !SegmentStateMsg.TryRead(resp.Value.Payload, out var st)) return null;
            return st;
        }
        catch (StorageException)
        {
            return null;
        }
    }

    private async Task LearnAsync(Segment seg, uint epoch, ulong start)
    {
        bool newer;
        lock (seg.Sync)
            newer = epoch > seg.Meta.Epoch || (epoch == seg.Meta.Epoch && seg.Meta.EpochStart == SegmentMeta.UnknownStart && start != SegmentMeta.UnknownStart);
        if (newer) await ControlOps.LearnEpochAsync(node, seg, epoch, start);
    }

    /// <summary>Asks every peer for its state: learns newer epochs and the highest SCL a peer holds.</summary>
    private async Task ProbeAsync(Segment seg, CancellationToken ct)
    {
        var peers = PeerEndpoints(node, seg);
        if (peers.Count == 0) return;
        var tasks = new Task<SegmentStateMsg?>[peers.Count];
        for (int i = 0; i < peers.Count; i++) tasks[i] = GetStateAsync(peers[i], seg.Id, ct);
        await Task.WhenAll(tasks);
        ulong high = 0;
        foreach (var t in tasks)
        {
            if (t.Result is not { } st) continue;
            await LearnAsync(seg, st.VolumeEpoch, st.EpochStartLsn);
            lock (seg.Sync)
                if (st.VolumeEpoch >= seg.Meta.Epoch && st.Scl > high) high = st.Scl;
        }
        bool behind;
        lock (seg.Sync)
        {
            seg.PeerHighScl = high;
            behind = seg.IsBehind;
            if (behind) seg.NextGossipTicks = 0;
        }
        if (behind) Signal();
    }

    /// <summary>
    /// Pulls records above our SCL from peers until caught up; returns how many new records were
    /// stored (a re-hydration counts as one). When no peer still holds the record right after our
    /// SCL because every peer that got further already collected it (its base is above our SCL —
    /// typical after we were down while the writer kept going, since the writer's min read point
    /// follows its VDL), re-hydrate from the furthest such peer: take its pages at its base, then
    /// pull its records above that base.
    /// </summary>
    private async Task<int> GossipSegmentAsync(Segment seg, CancellationToken ct)
    {
        int filled = 0;
        string? rebasePeer = null;
        SegmentStateMsg rebaseState = default;
        foreach (var peer in PeerEndpoints(node, seg))
        {
            var r = await PullAsync(seg, peer, ct);
            filled += r.Added;
            if (r.Done) return filled;
            if (r.Collected is { } st && (rebasePeer is null || st.Scl > rebaseState.Scl || (st.Scl == rebaseState.Scl && st.BaseLsn > rebaseState.BaseLsn)))
            {
                rebasePeer = peer;
                rebaseState = st;
            }
        }
        if (rebasePeer is null) return filled;
        var (b, pages) = await CopyPeerBaseAsync(seg, rebasePeer, rebaseState, ct);
        if (b == 0) return filled;
        NodeLog.Rehydrated(node.Logger, seg.Id.ToString(), rebasePeer, pages, b);
        // Right away, the records above the new base (the writer may keep appending meanwhile; the peer keeps collecting).
        var more = await PullAsync(seg, rebasePeer, ct);
        return filled + 1 + more.Added;
    }

    /// <param name="Added">records stored</param>
    /// <param name="Done">caught up (or the node refuses writes): stop this round</param>
    /// <param name="Collected">the peer's state when it got further than our SCL but no longer holds the records right above it</param>
    private readonly record struct PullResult(int Added, bool Done, SegmentStateMsg? Collected);

    /// <summary>ReadRecords(after our SCL) from one peer, repeatedly while it makes progress.</summary>
    private async Task<PullResult> PullAsync(Segment seg, string peer, CancellationToken ct)
    {
        int filled = 0;
        for (int round = 0; round < 64; round++)
        {
            ReadRecordsMsg req;
            lock (seg.Sync)
            {
                req = new ReadRecordsMsg
                {
                    Segment = seg.Id, AfterLsn = seg.Index.Scl, MaxBytes = ReadBytes, SenderEpoch = seg.Meta.Epoch, SenderEpochStart = seg.Meta.EpochStart,
                };
            }
            Response? resp;
            try
            {
                resp = await node.Peers.RequestAsync(peer, MessageType.ReadRecords, Encode.ToArray(ReadRecordsMsg.Size, req.Write), ct);
            }
            catch (StorageException e) when (e.Code == ErrorCode.StaleEpoch)
            {
                if (await GetStateAsync(peer, seg.Id, ct) is { } st) await LearnAsync(seg, st.VolumeEpoch, st.EpochStartLsn);
                continue;
            }
            catch (StorageException)
            {
                break;
            }
            if (resp is null || resp.Value.Type != MessageType.Records || !RecordsHeader.TryRead(resp.Value.Payload, out var h, out _)) break;
            await LearnAsync(seg, h.VolumeEpoch, h.EpochStartLsn);
            var body = resp.Value.Payload.AsMemory(RecordsHeader.Size);
            // The peer is ahead of us but cannot give us the record that extends our SCL: either it holds
            // nothing above its base (the writer is idle and it coalesced everything) or its first record
            // above our SCL links further back than what it sent. If its base is above our SCL, it collected them.
            SegmentStateMsg? collected = null;
            if (h.Scl > req.AfterLsn && (h.Count == 0 || RedoRecord.PrevLsn(body.Span) > req.AfterLsn)
                && await GetStateAsync(peer, seg.Id, ct) is { } pst && pst.BaseLsn > req.AfterLsn && pst.Scl >= pst.BaseLsn)
                collected = pst;
            int added = h.Count == 0 ? 0 : await StoreAsync(seg, body);
            if (added < 0) return new PullResult(filled, true, null);
            filled += added;
            if (added > 0) NodeLog.GossipFilled(node.Logger, seg.Id.ToString(), added, peer, seg.State().Scl);
            bool behind;
            lock (seg.Sync)
            {
                if (h.VolumeEpoch >= seg.Meta.Epoch && h.Scl > seg.PeerHighScl) seg.PeerHighScl = h.Scl;
                behind = seg.IsBehind;
            }
            if (!behind) return new PullResult(filled, true, null);
            if (collected is not null) return new PullResult(filled, false, collected);
            if (added == 0) break; // this peer has nothing we lack
        }
        return new PullResult(filled, false, null);
    }

    /// <summary>
    /// Scrub found pages it cannot repair from any peer at our base (every peer that could build
    /// them already collected past it): re-hydrate the whole segment from the furthest peer whose
    /// base is above ours. Returns true when the segment now has that peer's base.
    /// </summary>
    internal async Task<bool> RehydrateForRepairAsync(Segment seg, CancellationToken ct)
    {
        var peers = PeerEndpoints(node, seg);
        var tasks = new Task<SegmentStateMsg?>[peers.Count];
        for (int i = 0; i < peers.Count; i++) tasks[i] = GetStateAsync(peers[i], seg.Id, ct);
        await Task.WhenAll(tasks);
        ulong ourBase;
        lock (seg.Sync) ourBase = seg.Index.Base;
        string? best = null;
        SegmentStateMsg bestState = default;
        for (int i = 0; i < peers.Count; i++)
        {
            if (tasks[i].Result is not { } st || st.BaseLsn <= ourBase || st.Scl < st.BaseLsn) continue;
            await LearnAsync(seg, st.VolumeEpoch, st.EpochStartLsn);
            if (best is null || st.Scl > bestState.Scl || (st.Scl == bestState.Scl && st.BaseLsn > bestState.BaseLsn))
            {
                best = peers[i];
                bestState = st;
            }
        }
        if (best is null) return false;
        var (b, pages) = await CopyPeerBaseAsync(seg, best, bestState, ct);
        if (b == 0) return false;
        NodeLog.Rehydrated(node.Logger, seg.Id.ToString(), best, pages, b);
        node.OnAdvanced(seg);
        Signal();
        return true;
    }

    /// <summary>Validates a peer's records and stores those we lack through the group commit. Returns the count, or -1 if the node refused (read-only).</summary>
    private async Task<int> StoreAsync(Segment seg, ReadOnlyMemory<byte> recsMem)
    {
        var recs = recsMem.Span;
        var w = node.Committer.Rent(recs.Length);
        int len = 0, count = 0;
        lock (seg.Sync)
        {
            while (!recs.IsEmpty)
            {
                int n = RedoRecord.Validate(recs);
                if (n < 0) break;
                var rec = recs[..n];
                recs = recs[n..];
                ulong lsn = RedoRecord.Lsn(rec);
                uint epoch = RedoRecord.WriterEpoch(rec);
                if (RedoRecord.VolumeId(rec) != seg.Id.VolumeId || RedoRecord.PgIndex(rec) != seg.Id.PgIndex || !seg.Pages.Contains(RedoRecord.PageNo(rec))) continue;
                // The epoch rule: never take a deposed writer's record, nor one from an epoch we were not told about.
                if (epoch > seg.Meta.Epoch || seg.Meta.IsDeposed(epoch, lsn) || seg.Index.Holds(lsn, epoch)) continue;
                rec.CopyTo(w.Buffer.AsSpan(len));
                len += n;
                count++;
            }
        }
        if (count == 0)
        {
            node.Committer.Return(w);
            return 0;
        }
        w.Length = len;
        w.Segment = seg;
        w.FromGossip = true;
        var done = new TaskCompletionSource<ErrorCode>(TaskCreationOptions.RunContinuationsAsynchronously);
        w.Done = done;
        node.Committer.Enqueue(w);
        return await done.Task == ErrorCode.None ? count : -1;
    }

    /// <summary>
    /// A new segment whose PG already has data: copy a peer's pages at its base, adopt that base,
    /// then let gossip pull the records above it. Returns true when hydration is finished.
    /// </summary>
    private async Task<bool> HydrateAsync(Segment seg, CancellationToken ct)
    {
        var peers = PeerEndpoints(node, seg);
        SegmentStateMsg? best = null;
        string? bestPeer = null;
        bool anyAnswer = peers.Count == 0;
        foreach (var p in peers)
        {
            if (await GetStateAsync(p, seg.Id, ct) is not { } st) continue;
            anyAnswer = true;
            if (best is null || st.Scl > best.Value.Scl || (st.Scl == best.Value.Scl && st.BaseLsn > best.Value.BaseLsn))
            {
                best = st;
                bestPeer = p;
            }
        }
        if (!anyAnswer) return false;
        if (best is { } b) await LearnAsync(seg, b.VolumeEpoch, b.EpochStartLsn);
        ulong baseLsn = 0;
        int pages = 0;
        if (best is { BaseLsn: > 0 })
        {
            (baseLsn, pages) = await CopyPeerBaseAsync(seg, bestPeer!, best.Value, ct);
            if (baseLsn == 0) return false;
        }
        else
        {
            await node.Committer.RunAsync(() =>
            {
                lock (seg.Sync)
                {
                    seg.Meta.Hydrating = false;
                    if (best is { } s)
                    {
                        if (s.DurableHint > seg.Meta.DurableHint) seg.Meta.DurableHint = s.DurableHint;
                        if (s.Scl > seg.PeerHighScl) seg.PeerHighScl = s.Scl;
                    }
                }
                seg.PersistMeta();
                return true;
            });
        }
        NodeLog.Hydrated(node.Logger, seg.Id.ToString(), bestPeer ?? "-", pages, baseLsn);
        node.OnAdvanced(seg);
        Signal();
        return true;
    }

    /// <summary>
    /// Makes a peer's base our base: copies every non-empty page of the peer at its base into the
    /// slot of each page that does not hold our current base image, fsyncs, then (on the writer
    /// thread) moves our base there and drops our records at or below it. Used to hydrate a new
    /// segment, to catch up a segment whose peers already collected the records it lacks, and to
    /// repair pages no peer can build at our base.
    /// A page whose slots do not give a trustworthy base image (a corrupt slot, or no slot at or
    /// below our base) gets the peer's image in both slots — its old content is unusable anyway;
    /// a page the peer does not send (empty at its base) and that is damaged here is written empty.
    /// Crash safety without any torn-write allowance: until the new base is durable, reads use the
    /// old base; a copied slot is either whole (a true version of the page as of the peer's base,
    /// which reads at the old base ignore when its LSN is above it, and which equals the page as of
    /// the old base when it is not) or torn, which reads report as corrupt (scrub repairs it), never
    /// silently trust. The page mutex is held throughout, so no coalesce writes those slots meanwhile.
    /// Returns the adopted base (0 on failure).
    /// </summary>
    private async Task<(ulong Base, int Pages)> CopyPeerBaseAsync(Segment seg, string peer, SegmentStateMsg peerState, CancellationToken ct)
    {
        await seg.PageMutex.WaitAsync(ct);
        byte[] scratch = new byte[PageStore.SlotsSize];
        byte[] empty = new byte[Page.Size];
        bool wrote = false;
        try
        {
            ulong ourBase;
            lock (seg.Sync) ourBase = seg.Index.Base;
            if (peerState.BaseLsn <= ourBase) return (0, 0);
            ulong first = seg.Pages.FirstPage, end = first + seg.Pages.PageCount;
            ulong ourEnd = Math.Min(end, seg.Pages.WrittenEnd);
            ulong start = first, next = first, baseLsn = 0;
            int pages = 0;
            for (int guard = 0; guard < 1_000_000; guard++)
            {
                var req = new FetchBaseMsg { Segment = seg.Id, StartPage = start, MaxPages = 256 };
                Response? resp;
                try
                {
                    resp = await node.Peers.RequestAsync(peer, MessageType.FetchBase, Encode.ToArray(FetchBaseMsg.Size, req.Write), ct);
                }
                catch (StorageException)
                {
                    return (0, 0);
                }
                if (resp is null || resp.Value.Type != MessageType.BasePages || !BasePagesHeader.TryRead(resp.Value.Payload, out var h, out _)
                    || (ulong)(resp.Value.Payload.Length - BasePagesHeader.Size) != (ulong)h.Count * (8 + Page.Size) || h.BaseLsn <= ourBase)
                    return (0, 0);
                if (baseLsn != 0 && h.BaseLsn != baseLsn) return (0, 0); // the peer coalesced meanwhile: start over next round
                baseLsn = h.BaseLsn;
                ulong until = h.NextPage == 0 ? end : h.NextPage;
                seg.PageRw.EnterWriteLock();
                try
                {
                    for (int i = 0; i < h.Count; i++)
                    {
                        var item = resp.Value.Payload.AsSpan(BasePagesHeader.Size + i * (8 + Page.Size), 8 + Page.Size);
                        ulong pageNo = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(item);
                        var img = item[8..];
                        if (pageNo < next || pageNo >= until || !seg.Pages.Contains(pageNo) || !Page.VerifyChecksum(img, pageNo) || Page.GetLsn(img) > baseLsn) return (0, 0);
                        wrote = true;
                        ClearDamaged(seg, next, Math.Min(pageNo, ourEnd), ourBase, scratch, empty);
                        var pair = seg.Pages.ReadSlots(pageNo, scratch);
                        if (PageStore.ChooseBase(pair, ourBase, tornPossible: false, out int cur) == PageReadStatus.Ok)
                        {
                            seg.Pages.WriteSlot(pageNo, 1 - cur, img);
                        }
                        else
                        {
                            seg.Pages.WriteSlot(pageNo, 0, img);
                            seg.Pages.WriteSlot(pageNo, 1, img);
                        }
                        next = pageNo + 1;
                        pages++;
                    }
                    ClearDamaged(seg, next, Math.Min(until, ourEnd), ourBase, scratch, empty);
                    next = Math.Max(next, until);
                }
                finally
                {
                    seg.PageRw.ExitWriteLock();
                }
                if (h.NextPage == 0) break;
                start = h.NextPage;
            }
            seg.Pages.Sync();
            wrote = false;
            await node.Committer.RunAsync(() =>
            {
                lock (seg.Sync)
                {
                    seg.Meta.Hydrating = false;
                    seg.Meta.CoalesceTarget = 0;
                    seg.TornPossible = false;
                    if (baseLsn > seg.Index.Base)
                    {
                        seg.Meta.BaseLsn = baseLsn;
                        seg.Index.ResetBase(baseLsn);
                    }
                    // The peer's base is at or below a VDL some writer announced (it never coalesces past one).
                    ulong durable = Math.Max(baseLsn, peerState.DurableHint);
                    if (durable > seg.Meta.DurableHint) seg.Meta.DurableHint = durable;
                    if (peerState.MinReadPoint > seg.Meta.MinReadPoint) seg.Meta.MinReadPoint = peerState.MinReadPoint;
                    if (peerState.Scl > seg.PeerHighScl) seg.PeerHighScl = peerState.Scl;
                }
                seg.PersistMeta();
                return true;
            });
            return (baseLsn, pages);
        }
        catch (IOException e)
        {
            node.Committer.MarkReadOnly();
            NodeLog.FsyncFailed(node.Logger, e);
            return (0, 0);
        }
        finally
        {
            // Slots written before a failure are whole versions of their pages (see above); make them durable
            // so a later crash cannot tear them.
            if (wrote)
            {
                try { seg.Pages.Sync(); }
                catch (IOException e)
                {
                    node.Committer.MarkReadOnly();
                    NodeLog.FsyncFailed(node.Logger, e);
                }
            }
            seg.PageMutex.Release();
        }
    }

    /// <summary>
    /// Pages in [from, to) are empty at the peer's base (it sent none of them), so they are empty at
    /// ours too; any of them whose slots are damaged here is written empty. Caller holds the page write lock.
    /// </summary>
    private static void ClearDamaged(Segment seg, ulong from, ulong to, ulong ourBase, byte[] scratch, byte[] empty)
    {
        for (ulong p = from; p < to; p++)
        {
            var pair = seg.Pages.ReadSlots(p, scratch);
            if (PageStore.ChooseBase(pair, ourBase, tornPossible: false, out _) == PageReadStatus.Ok) continue;
            seg.Pages.WriteSlot(p, 0, empty);
            seg.Pages.WriteSlot(p, 1, empty);
        }
    }
}
