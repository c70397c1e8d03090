using Borealis.Storage.Protocol;

namespace Borealis.Volume.Writer;

/// <summary>
/// Replacing a lost segment (storage-design.md, "Segment replacement"), epoch-versioned, not a
/// consensus round:
/// 1. transitional membership (membership epoch + 1): the old six plus the new node; a write is
///    durable only with 4/6 of the old set AND 4/6 of the new set. Persisted, applied, then sent
///    (EnsureSegment to the new node, which hydrates itself from peers; UpdateMembership to the rest).
///    Writes go to all seven meanwhile.
/// 2. poll the new segment's SCL (GetSegmentState) until it reaches the PGCL measured when polling began.
/// 3. final membership (membership epoch + 2): the new six. Persisted, applied, sent; the lost
///    node is no longer written to.
/// The layout is persisted before each step is announced, so a crashed writer's successor resumes
/// from a membership the nodes have not yet outrun.
/// </summary>
internal static class SegmentReplacement
{
    public static async Task RunAsync(WriterVolume vol, uint pgIndex, uint lostNodeId, NodeInfo replacement, CancellationToken ct)
    {
        var layout = vol.Layout;
        if (pgIndex >= layout.PgCount) throw new ArgumentOutOfRangeException(nameof(pgIndex));
        var pg = layout.Pgs[pgIndex];
        if (pg.InTransition) throw new InvalidOperationException($"PG {pgIndex} is already replacing node {pg.LeavingNodeId}");
        int lostIdx = pg.IndexOf(lostNodeId);
        if (lostIdx < 0) throw new ArgumentException($"node {lostNodeId} is not a member of PG {pgIndex}", nameof(lostNodeId));
        if (pg.IndexOf(replacement.NodeId) >= 0) throw new ArgumentException($"node {replacement.NodeId} is already a member of PG {pgIndex}", nameof(replacement));

        var members7 = new NodeInfo[pg.Members.Length + 1];
        pg.Members.CopyTo(members7, 0);
        members7[^1] = replacement;
        var transitional = new PgLayout(pgIndex, pg.MembershipEpoch + 1, members7, lostNodeId, replacement.NodeId);
        var link = vol.GetOrAddLink(replacement);
        if (!await link.ConnectOnceAsync(ct)) link.EnsureReconnecting();

        await vol.CommitMembershipAsync(transitional, ct);
        Log.Membership(vol.Logger, vol.VolumeId, pgIndex, transitional.MembershipEpoch, $"transition: replacing node {lostNodeId} with node {replacement.NodeId}");
        await AnnounceAsync(vol, transitional, ct);

        // Hydration: the new node fetches the base and the records from peers on EnsureSegment.
        var statePayload = ControlRequests.SegmentOnly(vol.VolumeId, pgIndex);
        ulong target = vol.PgclOf(pgIndex);
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var r = await ControlRequests.SegmentAsync(link, MessageType.GetSegmentState, statePayload, vol.Options.RequestTimeout, ct);
            if (r.Ok)
            {
                vol.NoteScl(pgIndex, replacement.NodeId, r.State.Scl);
                if (r.State.Scl >= target) break;
            }
            else if (r.Code == ErrorCode.UnknownSegment)
            {
                await ControlRequests.SegmentAsync(link, MessageType.EnsureSegment, ControlRequests.EnsureSegment(vol.Layout, transitional), vol.Options.RequestTimeout, ct);
            }
            await Task.Delay(vol.Options.HydrationPollInterval, ct);
        }

        var members6 = new NodeInfo[pg.Members.Length];
        for (int i = 0, k = 0; i < members7.Length; i++)
            if (members7[i].NodeId != lostNodeId) members6[k++] = members7[i];
        var final = new PgLayout(pgIndex, transitional.MembershipEpoch + 1, members6);
        await vol.CommitMembershipAsync(final, ct);
        Log.Membership(vol.Logger, vol.VolumeId, pgIndex, final.MembershipEpoch, $"final: node {replacement.NodeId} replaced node {lostNodeId}");
        await AnnounceAsync(vol, final, ct);
        // Best effort: tell the lost node it is out (it may be gone for good).
        var lost = vol.TryGetLink(lostNodeId);
        if (lost is not null)
            await ControlRequests.SegmentAsync(lost, MessageType.UpdateMembership, ControlRequests.EnsureSegment(vol.Layout, final), vol.Options.RequestTimeout, ct);
    }

    /// <summary>EnsureSegment to the joining node, UpdateMembership to the others; best effort (unreachable nodes learn it from peers or later appends).</summary>
    private static async Task AnnounceAsync(WriterVolume vol, PgLayout pg, CancellationToken ct)
    {
        var payload = ControlRequests.EnsureSegment(vol.Layout, pg);
        var tasks = new List<Task<SegmentReply>>();
        foreach (var m in pg.Members)
        {
            var link = vol.TryGetLink(m.NodeId);
            if (link is null) continue;
            var type = m.NodeId == pg.JoiningNodeId ? MessageType.EnsureSegment : MessageType.UpdateMembership;
            tasks.Add(ControlRequests.SegmentAsync(link, type, payload, vol.Options.RequestTimeout, ct));
        }
        await Task.WhenAll(tasks);
    }
}
