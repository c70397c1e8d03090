namespace Borealis.Volume.Durability;

/// <summary>
/// Which sets of members form a quorum of a PG. Steady state: write 4/6, read 3/6. During a
/// transition (seven members): a write quorum needs 4/6 of the old set AND 4/6 of the new set;
/// a read quorum needs 3/6 of each, so that it intersects every write quorum of either set.
/// </summary>
public static class QuorumRules
{
    public static bool IsWriteQuorum(PgLayout pg, IReadOnlyCollection<uint> nodeIds) => Meets(pg, nodeIds, VolumeLayout.WriteQuorum);

    public static bool IsReadQuorum(PgLayout pg, IReadOnlyCollection<uint> nodeIds) => Meets(pg, nodeIds, VolumeLayout.ReadQuorum);

    private static bool Meets(PgLayout pg, IReadOnlyCollection<uint> nodeIds, int need)
    {
        int inOld = 0, inNew = 0;
        foreach (var m in pg.Members)
        {
            bool has = false;
            foreach (var id in nodeIds)
                if (id == m.NodeId) { has = true; break; }
            if (!has) continue;
            if (pg.InOldSet(m.NodeId)) inOld++;
            if (pg.InNewSet(m.NodeId)) inNew++;
        }
        return inOld >= need && inNew >= need;
    }
}
