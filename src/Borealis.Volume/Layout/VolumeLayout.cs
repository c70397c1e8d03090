using System.Text.Json.Serialization;

namespace Borealis.Volume;

/// <summary>A storage node as the volume layout names it.</summary>
public sealed record NodeInfo(uint NodeId, string Az, string Endpoint);

/// <summary>
/// One protection group's membership. Normally six members, two per AZ. During a segment
/// replacement the set has seven: the old six plus <see cref="JoiningNodeId"/>, and
/// <see cref="LeavingNodeId"/> is the member being replaced. While in transition a write is
/// durable only with 4/6 of the old set AND 4/6 of the new set.
/// </summary>
public sealed record PgLayout(uint PgIndex, uint MembershipEpoch, NodeInfo[] Members, uint? LeavingNodeId = null, uint? JoiningNodeId = null)
{
    [JsonIgnore]
    public bool InTransition => LeavingNodeId is not null && JoiningNodeId is not null;

    public int IndexOf(uint nodeId)
    {
        for (int i = 0; i < Members.Length; i++)
            if (Members[i].NodeId == nodeId) return i;
        return -1;
    }

    /// <summary>True if the member belongs to the old set (everything but the joining node).</summary>
    public bool InOldSet(uint nodeId) => !InTransition || nodeId != JoiningNodeId;

    /// <summary>True if the member belongs to the new set (everything but the leaving node).</summary>
    public bool InNewSet(uint nodeId) => !InTransition || nodeId != LeavingNodeId;
}

/// <summary>
/// The map from pages to protection groups to storage nodes. PG <c>i</c> holds pages
/// <c>[i*PagesPerPg, (i+1)*PagesPerPg)</c>. Immutable: a membership change produces a new layout
/// (see <see cref="WithPg"/>) which the writer persists through its <see cref="IVolumeLayoutStore"/>.
/// </summary>
public sealed record VolumeLayout(ulong VolumeId, uint PagesPerPg, uint PgCount, PgLayout[] Pgs)
{
    public const int SegmentsPerPg = 6;
    public const int WriteQuorum = 4;
    public const int ReadQuorum = 3;

    [JsonIgnore]
    public ulong PageCount => (ulong)PagesPerPg * PgCount;

    public uint PgOf(ulong pageNo) => (uint)(pageNo / PagesPerPg);

    public ulong FirstPageOf(uint pgIndex) => (ulong)pgIndex * PagesPerPg;

    public VolumeLayout WithPg(PgLayout pg)
    {
        var pgs = (PgLayout[])Pgs.Clone();
        pgs[pg.PgIndex] = pg;
        return this with { Pgs = pgs };
    }

    /// <summary>All distinct nodes named by any PG, in first-seen order.</summary>
    public List<NodeInfo> AllNodes()
    {
        var seen = new HashSet<uint>();
        var list = new List<NodeInfo>();
        foreach (var pg in Pgs)
            foreach (var m in pg.Members)
                if (seen.Add(m.NodeId)) list.Add(m);
        return list;
    }

    /// <summary>
    /// Places six segments per PG, two in each of three AZs, spreading segments evenly over
    /// nodes (least-loaded first; ties broken by rotating with the PG index so placement is
    /// deterministic). With more than three AZs the three least-loaded AZs are used per PG.
    /// </summary>
    public static VolumeLayout Create(ulong volumeId, uint pgCount, uint pagesPerPg, IReadOnlyList<NodeInfo> nodes)
    {
        ArgumentOutOfRangeException.ThrowIfZero(pgCount);
        ArgumentOutOfRangeException.ThrowIfZero(pagesPerPg);
        var byAz = new SortedDictionary<string, List<NodeInfo>>(StringComparer.Ordinal);
        var ids = new HashSet<uint>();
        foreach (var n in nodes)
        {
            if (!ids.Add(n.NodeId)) throw new ArgumentException($"node id {n.NodeId} appears twice", nameof(nodes));
            if (!byAz.TryGetValue(n.Az, out var list)) byAz[n.Az] = list = [];
            list.Add(n);
        }
        var azs = new List<string>();
        foreach (var (az, list) in byAz)
            if (list.Count >= 2) azs.Add(az);
        if (azs.Count < 3)
            throw new ArgumentException($"placement needs at least three AZs with two nodes each; got {byAz.Count} AZs ({azs.Count} with ≥2 nodes)", nameof(nodes));

        var nodeLoad = new Dictionary<uint, int>();
        var azLoad = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var n in nodes) nodeLoad[n.NodeId] = 0;
        foreach (var az in azs) azLoad[az] = 0;

        var pgs = new PgLayout[pgCount];
        for (uint i = 0; i < pgCount; i++)
        {
            var chosenAzs = PickLeastLoaded(azs, az => azLoad[az], (int)i, 3);
            var members = new NodeInfo[SegmentsPerPg];
            int k = 0;
            foreach (var az in chosenAzs)
            {
                azLoad[az] += 2;
                foreach (var n in PickLeastLoaded(byAz[az], n => nodeLoad[n.NodeId], (int)i, 2))
                {
                    nodeLoad[n.NodeId]++;
                    members[k++] = n;
                }
            }
            pgs[i] = new PgLayout(i, 1, members);
        }
        return new VolumeLayout(volumeId, pagesPerPg, pgCount, pgs);
    }

    private static List<T> PickLeastLoaded<T>(List<T> items, Func<T, int> load, int rotate, int count)
    {
        var order = new List<(int Load, int Rot, T Item)>(items.Count);
        for (int j = 0; j < items.Count; j++)
            order.Add((load(items[j]), (j - rotate % items.Count + items.Count) % items.Count, items[j]));
        order.Sort((a, b) => a.Load != b.Load ? a.Load.CompareTo(b.Load) : a.Rot.CompareTo(b.Rot));
        var result = new List<T>(count);
        for (int j = 0; j < count; j++) result.Add(order[j].Item);
        return result;
    }
}
