namespace Borealis.Volume.Durability;

/// <summary>
/// Turns per-PG durability (PGCL) into the volume's VCL and VDL.
/// LSNs are dense, so the allocated-but-not-yet-complete LSNs (VCL, next) are kept in a ring
/// indexed by LSN holding each record's PG and CPL bit. VCL advances over the ring while the
/// next LSN is at or below its PG's PGCL; VDL is the highest CPL passed. Each LSN is visited
/// once by the advance, so the cost is amortised O(1) per record, with no allocation except
/// when the ring doubles.
/// Threading: owned by the writer's state lock.
/// </summary>
public sealed class DurabilityTracker
{
    private const uint CplBit = 0x8000_0000u;
    private readonly PgQuorum[] _pgs;
    private uint[] _ring;
    private ulong _mask;

    public DurabilityTracker(PgQuorum[] pgs, ulong vdl, int initialCapacity = 1 << 16)
    {
        _pgs = pgs;
        int cap = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, initialCapacity));
        _ring = new uint[cap];
        _mask = (ulong)cap - 1;
        Vcl = Vdl = vdl;
        Next = vdl + 1;
    }

    public ulong Vcl { get; private set; }
    public ulong Vdl { get; private set; }
    /// <summary>The next LSN to allocate.</summary>
    public ulong Next { get; private set; }
    public PgQuorum Pg(uint pgIndex) => _pgs[pgIndex];
    public int PgCount => _pgs.Length;

    /// <summary>Allocates the next LSN for a record of <paramref name="pgIndex"/>.</summary>
    public ulong Allocate(uint pgIndex, bool cpl)
    {
        ulong lsn = Next;
        if (lsn - Vcl > (ulong)_ring.Length) Grow();
        _ring[lsn & _mask] = pgIndex | (cpl ? CplBit : 0);
        Next = lsn + 1;
        return lsn;
    }

    /// <summary>Advances VCL and VDL as far as the PGCLs allow. Returns true when VDL moved.</summary>
    public bool Advance()
    {
        ulong vcl = Vcl, vdl = Vdl, next = Next;
        while (vcl + 1 < next)
        {
            ulong lsn = vcl + 1;
            uint e = _ring[lsn & _mask];
            if (_pgs[e & ~CplBit].Pgcl < lsn) break;
            vcl = lsn;
            if ((e & CplBit) != 0) vdl = lsn;
        }
        Vcl = vcl;
        if (vdl == Vdl) return false;
        Vdl = vdl;
        return true;
    }

    /// <summary>The PG of an LSN in (VCL, Next).</summary>
    public uint PgOfPending(ulong lsn) => _ring[lsn & _mask] & ~CplBit;

    private void Grow()
    {
        var bigger = new uint[_ring.Length * 2];
        ulong newMask = (ulong)bigger.Length - 1;
        for (ulong l = Vcl + 1; l < Next; l++) bigger[l & newMask] = _ring[l & _mask];
        _ring = bigger;
        _mask = newMask;
    }
}
