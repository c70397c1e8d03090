using Borealis.Storage.Protocol;
using Borealis.Volume.Durability;
using Microsoft.Extensions.Logging;

namespace Borealis.Volume.Writer;

/// <summary>What a new writer starts from.</summary>
internal sealed record RecoveryResult(uint Epoch, ulong Base, ulong Vcl, ulong Vdl, ulong[] PrevLsn, List<(uint NodeId, ulong Scl)>[] SclSeeds);

/// <summary>
/// Opening a volume as writer, exactly as storage-design.md "Opening a volume as writer" says:
/// (0) for a new volume, EnsureSegment on every member (write quorum per PG) and persist the layout;
/// (1) learn the highest epoch from a read quorum of each PG and SealEpoch(max+1) on a write quorum
/// of every PG — from then on the old writer is fenced;
/// (2) base = max durableHint; per PG ListLsns(after base) from the replying segment with the
/// highest SCL; VCL = last LSN before the first gap; VDL = highest CPL ≤ VCL;
/// (3) Truncate(epoch, VDL) on a write quorum of every PG;
/// (4) per PG back-link = highest LSN of the PG ≤ VDL.
/// Every quorum step retries the segments that did not answer until it has its quorum or the
/// open times out; all requests are idempotent.
/// </summary>
internal static class VolumeRecovery
{
    public static async Task<RecoveryResult> RunAsync(VolumeLayout layout, IReadOnlyDictionary<uint, NodeLink> links, bool isNew,
        IVolumeLayoutStore store, VolumeClientOptions options, ILogger log, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(options.OpenTimeout);
        var token = cts.Token;
        try
        {
            var connects = new List<Task<bool>>();
            foreach (var l in links.Values) connects.Add(l.ConnectOnceAsync(token));
            await Task.WhenAll(connects);
            foreach (var l in links.Values)
                if (!l.IsConnected) l.EnsureReconnecting();

            if (isNew)
            {
                await QuorumRoundAsync(layout, links, options, write: true, "create segments (EnsureSegment)",
                    pg => (MessageType.EnsureSegment, ControlRequests.EnsureSegment(layout, pg)), token);
                await store.SaveAsync(layout, token);
            }

            var states = await QuorumRoundAsync(layout, links, options, write: false, "read segment states",
                pg => (MessageType.GetSegmentState, ControlRequests.SegmentOnly(layout.VolumeId, pg.PgIndex)), token);
            uint maxEpoch = 0;
            foreach (var pgReplies in states)
                foreach (var r in pgReplies)
                    maxEpoch = Math.Max(maxEpoch, r.State.VolumeEpoch);
            uint epoch = maxEpoch + 1;

            var seals = await QuorumRoundAsync(layout, links, options, write: true, $"seal epoch {epoch}",
                pg => (MessageType.SealEpoch, ControlRequests.Epoch(layout.VolumeId, pg.PgIndex, epoch, pg.MembershipEpoch, 0)), token);

            // Everything at or below a VDL some writer announced is durable; so is everything at or
            // below a segment's base (a node coalesces only up to a min read point, which is never
            // above an announced VDL). The base matters: records below it are gone from the node's
            // index, so ListLsns cannot vouch for them and would show a false gap.
            ulong durableBase = 0;
            foreach (var pgReplies in seals)
                foreach (var r in pgReplies)
                    durableBase = Math.Max(durableBase, Math.Max(r.State.DurableHint, r.State.BaseLsn));

            var lists = new List<(ulong Lsn, bool Cpl)>[layout.PgCount];
            var listTasks = new Task[layout.PgCount];
            for (uint i = 0; i < layout.PgCount; i++)
            {
                uint pg = i;
                listTasks[i] = Task.Run(async () => lists[pg] = await ListBestAsync(layout, links, pg, seals[pg], durableBase, options, token), token);
            }
            await Task.WhenAll(listTasks);
            var union = new List<(ulong Lsn, bool Cpl)>();
            foreach (var l in lists) union.AddRange(l);
            var (vcl, vdl) = RecoveryMath.ComputeVclVdl(durableBase, union);

            var truncs = await QuorumRoundAsync(layout, links, options, write: true, $"truncate above {vdl}",
                pg => (MessageType.Truncate, ControlRequests.Epoch(layout.VolumeId, pg.PgIndex, epoch, pg.MembershipEpoch, vdl)), token);

            var prev = new ulong[layout.PgCount];
            var seeds = new List<(uint, ulong)>[layout.PgCount];
            for (int pg = 0; pg < layout.PgCount; pg++)
            {
                var scls = new List<ulong>();
                foreach (var r in seals[pg]) scls.Add(r.State.Scl);
                foreach (var r in truncs[pg]) scls.Add(r.State.Scl);
                var listed = new List<ulong>(lists[pg].Count);
                foreach (var (l, _) in lists[pg]) listed.Add(l);
                prev[pg] = RecoveryMath.PrevLsnForPg(vdl, listed, scls);
                seeds[pg] = [];
                foreach (var r in truncs[pg]) seeds[pg].Add((r.NodeId, Math.Min(r.State.Scl, vdl)));
            }
            Log.Opened(log, layout.VolumeId, epoch, durableBase, vcl, vdl);
            return new RecoveryResult(epoch, durableBase, vcl, vdl, prev, seeds);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new VolumeUnavailableException($"volume {layout.VolumeId:x}: open timed out after {options.OpenTimeout.TotalSeconds:F0} s");
        }
    }

    private static async Task<List<(ulong Lsn, bool Cpl)>> ListBestAsync(VolumeLayout layout, IReadOnlyDictionary<uint, NodeLink> links, uint pg,
        List<SegmentReply> replies, ulong durableBase, VolumeClientOptions options, CancellationToken ct)
    {
        var ordered = new List<SegmentReply>(replies);
        ordered.Sort((a, b) => b.State.Scl.CompareTo(a.State.Scl));
        while (true)
        {
            foreach (var r in ordered)
            {
                var list = await ControlRequests.ListLsnsAsync(links[r.NodeId], layout.VolumeId, pg, durableBase, options.RequestTimeout, ct);
                if (list is not null) return list;
            }
            // None of them answered: wait for reconnects (bounded by the open timeout).
            await Task.Delay(options.ReconnectDelay, ct);
        }
    }

    /// <summary>
    /// Sends one request to every segment of every PG and retries those that fail until every PG
    /// has a write (or read) quorum of successful replies. A StaleEpoch reply means a newer writer
    /// exists: this open is fenced. StaleMembership means the stored layout is outdated.
    /// </summary>
    private static async Task<List<SegmentReply>[]> QuorumRoundAsync(VolumeLayout layout, IReadOnlyDictionary<uint, NodeLink> links,
        VolumeClientOptions options, bool write, string what, Func<PgLayout, (MessageType Type, byte[] Payload)> request, CancellationToken ct)
    {
        var ok = new List<SegmentReply>[layout.PgCount];
        for (int i = 0; i < ok.Length; i++) ok[i] = [];
        var lastErrors = new Dictionary<(uint Pg, uint Node), string>();
        while (true)
        {
            var tasks = new List<(uint Pg, Task<SegmentReply> Task)>();
            foreach (var pg in layout.Pgs)
            {
                if (HasQuorum(pg, ok[pg.PgIndex], write) && ok[pg.PgIndex].Count == pg.Members.Length) continue;
                var (type, payload) = request(pg);
                foreach (var m in pg.Members)
                {
                    if (ok[pg.PgIndex].Exists(r => r.NodeId == m.NodeId)) continue;
                    tasks.Add((pg.PgIndex, ControlRequests.SegmentAsync(links[m.NodeId], type, payload, options.RequestTimeout, ct)));
                }
            }
            foreach (var (pg, t) in tasks)
            {
                var r = await t;
                if (r.Ok)
                {
                    ok[pg].Add(r);
                    continue;
                }
                if (r.Code == ErrorCode.StaleEpoch)
                    throw new VolumeFencedException(0, r.CurrentEpoch, $"volume {layout.VolumeId:x}: {what}: a newer writer (epoch {r.CurrentEpoch}) opened this volume");
                if (r.Code == ErrorCode.StaleMembership)
                    throw new VolumeUnavailableException($"volume {layout.VolumeId:x}: {what}: node {r.NodeId} knows a newer membership of PG {pg} than the stored layout");
                lastErrors[(pg, r.NodeId)] = r.Error ?? r.Code.ToString();
            }
            bool all = true;
            foreach (var pg in layout.Pgs)
                if (!HasQuorum(pg, ok[pg.PgIndex], write)) { all = false; break; }
            if (all) return ok;
            if (ct.IsCancellationRequested)
                throw new VolumeUnavailableException($"volume {layout.VolumeId:x}: {what}: no {(write ? "write" : "read")} quorum: {Describe(layout, ok, lastErrors)}");
            try
            {
                await Task.Delay(options.ReconnectDelay, ct);
            }
            catch (OperationCanceledException)
            {
                throw new VolumeUnavailableException($"volume {layout.VolumeId:x}: {what}: no {(write ? "write" : "read")} quorum: {Describe(layout, ok, lastErrors)}");
            }
        }
    }

    private static bool HasQuorum(PgLayout pg, List<SegmentReply> ok, bool write)
    {
        var ids = new List<uint>(ok.Count);
        foreach (var r in ok) ids.Add(r.NodeId);
        return write ? QuorumRules.IsWriteQuorum(pg, ids) : QuorumRules.IsReadQuorum(pg, ids);
    }

    private static string Describe(VolumeLayout layout, List<SegmentReply>[] ok, Dictionary<(uint Pg, uint Node), string> errors)
    {
        var sb = new System.Text.StringBuilder();
        foreach (var pg in layout.Pgs)
        {
            if (HasQuorum(pg, ok[pg.PgIndex], write: true)) continue;
            sb.Append($"PG {pg.PgIndex}: {ok[pg.PgIndex].Count} of {pg.Members.Length} answered");
            foreach (var m in pg.Members)
                if (errors.TryGetValue((pg.PgIndex, m.NodeId), out var e)) sb.Append($"; node {m.NodeId}: {e}");
            sb.Append(". ");
        }
        return sb.ToString().TrimEnd();
    }
}
