using System.Text;
using Borealis.Volume.Durability;
using Borealis.Volume.Writer;

namespace Borealis.Volume;

/// <summary>One segment as the writer sees it.</summary>
public sealed record SegmentHealth(uint NodeId, string Az, string Endpoint, bool Connected, ulong AckedScl, int OutstandingAppends,
    double LatencyEwmaMs, string? LastError, string Role);

/// <summary>One PG: its PGCL, segments, and whether (and why) writes to it are stalled.</summary>
public sealed record PgHealth(uint PgIndex, uint MembershipEpoch, ulong Pgcl, bool InTransition, bool WritesStalled, bool Degraded, string Status, SegmentHealth[] Segments);

/// <summary>A snapshot of the writer's view of its volume.</summary>
public sealed record VolumeHealth(ulong VolumeId, uint Epoch, ulong Vcl, ulong Vdl, ulong NextLsn, bool Fenced, string? FencedReason, PgHealth[] Pgs)
{
    /// <summary>One line per PG that needs attention, or "healthy".</summary>
    public string Summary
    {
        get
        {
            if (Fenced) return FencedReason ?? "fenced";
            var sb = new StringBuilder();
            foreach (var pg in Pgs)
                if (pg.WritesStalled || pg.InTransition || pg.Degraded) sb.AppendLine(pg.Status);
            return sb.Length == 0 ? $"healthy: VDL {Vdl}, epoch {Epoch}" : sb.ToString().TrimEnd();
        }
    }

    public override string ToString() => Summary;
}

internal static class VolumeHealthBuilder
{
    public static VolumeHealth Build(VolumeLayout layout, PgQuorum[] quorums, Dictionary<uint, NodeLink> links, uint epoch,
        ulong vcl, ulong vdl, ulong next, string? fenced)
    {
        var pgs = new PgHealth[layout.PgCount];
        for (int i = 0; i < pgs.Length; i++)
        {
            var pg = layout.Pgs[i];
            var q = quorums.Length > i ? quorums[i] : null;
            var segs = new SegmentHealth[pg.Members.Length];
            var connected = new List<uint>();
            for (int j = 0; j < segs.Length; j++)
            {
                var m = pg.Members[j];
                links.TryGetValue(m.NodeId, out var link);
                bool up = link?.IsConnected == true;
                if (up) connected.Add(m.NodeId);
                string role = !pg.InTransition ? "member" : m.NodeId == pg.JoiningNodeId ? "joining" : m.NodeId == pg.LeavingNodeId ? "leaving" : "member";
                segs[j] = new SegmentHealth(m.NodeId, m.Az, m.Endpoint, up, q?.SclOf(m.NodeId) ?? 0, link?.OutstandingAppends ?? 0,
                    link?.LatencyEwmaMs ?? 0, link?.LastError, role);
            }
            bool quorumReachable = QuorumRules.IsWriteQuorum(pg, connected);
            ulong pgcl = q?.Pgcl ?? 0;
            string status;
            if (!quorumReachable)
            {
                status = pg.InTransition
                    ? $"PG {pg.PgIndex}: only {connected.Count} of {pg.Members.Length} segments reachable during a membership transition; writes wait for 4/6 of the old set and 4/6 of the new set"
                    : $"PG {pg.PgIndex}: only {connected.Count} of {pg.Members.Length} segments reachable; writes wait for a write quorum (4/6)";
                var down = new StringBuilder();
                foreach (var s in segs)
                    if (!s.Connected) down.Append($" node {s.NodeId} ({s.Az}, {s.Endpoint}): {s.LastError ?? "not connected"};");
                if (down.Length > 0) status += "; unreachable:" + down.ToString().TrimEnd(';');
            }
            else if (pg.InTransition)
            {
                status = $"PG {pg.PgIndex}: replacing node {pg.LeavingNodeId} with node {pg.JoiningNodeId} (joining segment at SCL {q?.SclOf(pg.JoiningNodeId!.Value) ?? 0}, PGCL {pgcl})";
            }
            else
            {
                status = $"PG {pg.PgIndex}: {connected.Count} of {pg.Members.Length} segments reachable, PGCL {pgcl}";
                if (connected.Count < pg.Members.Length) status += "; writes continue on a write quorum (4/6)";
            }
            bool degraded = connected.Count < pg.Members.Length;
            pgs[i] = new PgHealth(pg.PgIndex, pg.MembershipEpoch, pgcl, pg.InTransition, !quorumReachable, degraded, status, segs);
        }
        return new VolumeHealth(layout.VolumeId, epoch, vcl, vdl, next, fenced is not null, fenced, pgs);
    }
}
