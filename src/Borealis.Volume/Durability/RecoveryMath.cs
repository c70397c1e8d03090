namespace Borealis.Volume.Durability;

/// <summary>
/// The pure part of recovery (storage-design.md, "Opening a volume as writer", step 2):
/// given the durable base and, per PG, the LSNs (with CPL flags) held above it by the
/// segment with the highest SCL in a read quorum, VCL is the last LSN before the first gap
/// above base (LSNs are dense, so any missing integer is a record no quorum can vouch for),
/// and VDL is the highest CPL at or below VCL (base when there is none).
/// </summary>
public static class RecoveryMath
{
    public static (ulong Vcl, ulong Vdl) ComputeVclVdl(ulong durableBase, List<(ulong Lsn, bool Cpl)> union)
    {
        union.Sort(static (a, b) => a.Lsn.CompareTo(b.Lsn));
        ulong vcl = durableBase, vdl = durableBase;
        foreach (var (lsn, cpl) in union)
        {
            if (lsn <= vcl) continue; // at or below base, or a duplicate
            if (lsn != vcl + 1) break;
            vcl = lsn;
            if (cpl) vdl = lsn;
        }
        return (vcl, vdl);
    }

    /// <summary>
    /// The back-link the first new record of a PG must carry: the highest LSN of that PG at or
    /// below VDL — the largest listed LSN ≤ VDL, else the largest segment SCL ≤ VDL reported
    /// (after truncation every segment's SCL is an LSN of the PG at or below VDL).
    /// </summary>
    public static ulong PrevLsnForPg(ulong vdl, IEnumerable<ulong> listedLsns, IEnumerable<ulong> reportedScls)
    {
        ulong prev = 0;
        foreach (var l in listedLsns)
            if (l <= vdl && l > prev) prev = l;
        foreach (var s in reportedScls)
            if (s <= vdl && s > prev) prev = s;
        return prev;
    }
}
