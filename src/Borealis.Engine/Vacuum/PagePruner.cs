using System.Buffers;
using Borealis.Engine.Access;
using Borealis.Engine.Buffer;
using Borealis.Engine.Heap;
using Borealis.Engine.Txn;
using Borealis.Redo;
using Borealis.Redo.Heap;

namespace Borealis.Engine.Vacuum;

/// <summary>What one page prune did.</summary>
public readonly record struct PagePruneStats(int Unused, int MarkedDead, int Repointed, int DeadSlots)
{
    public bool Changed => Unused + MarkedDead + Repointed > 0;
}

/// <summary>
/// Prunes one heap page of a <see cref="Table"/> against a vacuum horizon (PostgreSQL's
/// heap_page_prune), used by VACUUM's first pass and on access when an update finds its page full.
/// <para>
/// A version is dead when <see cref="VacuumHorizon.ClassifyAsync"/> says so (inserter aborted, or
/// delete/update committed at or below the horizon, so no snapshot on the writer nor any announced
/// reader read point can see it). Versions reached from a predecessor on the page by a HOT link
/// (see <see cref="Table"/>) have no index entries: dead ones become Unused at once. A dead chain
/// root (the version index entries point to) with a live HOT member is kept, its ctid (and xmax,
/// so the chain check "successor's xmin = predecessor's xmax" still holds) re-pointed to the first
/// live member first, in its own MTR; a dead root without one becomes Dead (storage freed, line
/// pointer kept) until VACUUM has removed its index entries and makes it Unused.
/// </para>
/// Everything is redo-logged by the heap (HeapSetXmax for re-points, one HeapPrune record).
/// </summary>
public static class PagePruner
{
    /// <param name="deadSlots">When given, receives every Dead slot of the page (old and new) as packed TIDs.</param>
    public static async ValueTask<PagePruneStats> PruneAsync(Table table, ulong pageNo, VacuumHorizon horizon, HashSet<ulong>? deadSlots,
        CancellationToken ct = default)
    {
        var copy = ArrayPool<byte>.Shared.Rent(Page.Size);
        var actions = ArrayPool<byte>.Shared.Rent(HeapPage.MaxSlots);
        var xmins = ArrayPool<ulong>.Shared.Rent(HeapPage.MaxSlots);
        var xmaxs = ArrayPool<ulong>.Shared.Rent(HeapPage.MaxSlots);
        var hotNext = ArrayPool<int>.Shared.Rent(HeapPage.MaxSlots);
        var flags = ArrayPool<byte>.Shared.Rent(HeapPage.MaxSlots); // 1 dead, 2 has HOT predecessor, 4 normal
        try
        {
            using (var h = await table.Heap.Pool.PinAsync(pageNo, PageAccess.Normal, ct).ConfigureAwait(false))
            {
                h.LatchShared();
                try { h.Page.CopyTo(copy); }
                finally { h.UnlatchShared(); }
            }
            var page = copy.AsSpan(0, Page.Size);
            if (!HeapPage.HeaderValid(page) || HeapPage.Owner(page) != table.Heap.MetaPage) return default;
            int n = HeapPage.SlotCount(page);
            int deadExisting = 0;
            for (int s = 0; s < n; s++)
            {
                actions[s] = (byte)PruneAction.Keep;
                hotNext[s] = -1;
                flags[s] = 0;
                var state = HeapPage.State(copy.AsSpan(0, Page.Size), s);
                if (state == SlotState.Dead)
                {
                    deadExisting++;
                    deadSlots?.Add(new Tid(pageNo, (ushort)s).Packed);
                    continue;
                }
                if (state != SlotState.Normal) continue;
                var t = HeapPage.Tuple((ReadOnlySpan<byte>)copy.AsSpan(0, Page.Size), s);
                if (t.IsEmpty) continue;
                var hdr = HeapTupleHeader.Read(t);
                xmins[s] = hdr.Xmin;
                xmaxs[s] = hdr.Xmax;
                flags[s] = 4;
                if (await horizon.ClassifyAsync(Table.Xact(hdr), ct).ConfigureAwait(false) == TupleFate.Dead) flags[s] |= 1;
            }
            LinkHot(table, copy, pageNo, n, flags, hotNext);

            // Decide, and collect re-points (root, first live member).
            var repoints = new List<(int Root, int Live)>();
            int unused = 0, marked = 0;
            for (int s = 0; s < n; s++)
            {
                if ((flags[s] & 4) == 0 || (flags[s] & 1) == 0) continue;
                if ((flags[s] & 2) != 0)
                {
                    actions[s] = (byte)PruneAction.Unused; // dead HOT member: no index entry points to it
                    unused++;
                    continue;
                }
                int m = hotNext[s];
                while (m >= 0 && (flags[m] & 1) != 0) m = hotNext[m];
                if (m >= 0)
                {
                    var rootCtid = HeapTupleHeader.Read(HeapPage.Tuple((ReadOnlySpan<byte>)copy.AsSpan(0, Page.Size), s)).Ctid;
                    if (rootCtid.Slot != m) repoints.Add((s, m));
                }
                else
                {
                    actions[s] = (byte)PruneAction.Dead;
                    marked++;
                    deadSlots?.Add(new Tid(pageNo, (ushort)s).Packed);
                }
            }
            int repointed = 0;
            foreach (var (root, live) in repoints)
            {
                var rh = HeapTupleHeader.Read(HeapPage.Tuple((ReadOnlySpan<byte>)copy.AsSpan(0, Page.Size), root));
                var r = await table.Heap.SetXmaxAsync(new Tid(pageNo, (ushort)root), xmins[live], rh.Cmax, rh.Infomask & HeapInfomask.XmaxBits,
                    new Tid(pageNo, (ushort)live), rh.Xmax, ct).ConfigureAwait(false);
                if (r.Status != SetXmaxStatus.Ok) return new PagePruneStats(0, 0, repointed, deadExisting); // changed under us: next time
                xmaxs[root] = xmins[live];
                repointed++;
            }
            if (unused + marked > 0)
                await table.Heap.PruneAsync(pageNo, new DecidedPrune(actions, xmins, xmaxs, n), ct).ConfigureAwait(false);
            return new PagePruneStats(unused, marked, repointed, deadExisting + marked);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
            ArrayPool<byte>.Shared.Return(actions);
            ArrayPool<ulong>.Shared.Return(xmins);
            ArrayPool<ulong>.Shared.Return(xmaxs);
            ArrayPool<int>.Shared.Return(hotNext);
            ArrayPool<byte>.Shared.Return(flags);
        }
    }

    /// <summary>Finds the HOT links of the page copy: same page, successor's xmin = xmax, both inline, equal index keys.</summary>
    private static void LinkHot(Table table, byte[] copy, ulong pageNo, int n, byte[] flags, int[] hotNext)
    {
        var page = (ReadOnlySpan<byte>)copy.AsSpan(0, Page.Size);
        for (int s = 0; s < n; s++)
        {
            if ((flags[s] & 4) == 0) continue;
            var t = HeapPage.Tuple(page, s);
            var hdr = HeapTupleHeader.Read(t);
            if ((hdr.Infomask & HeapInfomask.Updated) == 0 || hdr.HasOverflow || hdr.Ctid.Page != pageNo || hdr.Ctid.Slot == s) continue;
            int m = hdr.Ctid.Slot;
            if (m >= n || (flags[m] & 4) == 0) continue;
            var u = HeapPage.Tuple(page, m);
            var uh = HeapTupleHeader.Read(u);
            if (uh.Xmin != hdr.Xmax || uh.HasOverflow || !table.SameKeys(t[HeapTuple.HeaderSize..], u[HeapTuple.HeaderSize..])) continue;
            hotNext[s] = m;
            flags[m] |= 2;
        }
    }

    /// <summary>Applies the decisions made on the copy, to slots that still hold the same version.</summary>
    private readonly struct DecidedPrune(byte[] actions, ulong[] xmins, ulong[] xmaxs, int count) : IHeapPrunePredicate
    {
        public PruneAction Decide(Tid tid, SlotState state, in HeapTupleHeader header, ReadOnlySpan<byte> data)
        {
            if (state != SlotState.Normal || tid.Slot >= count) return PruneAction.Keep;
            var a = (PruneAction)actions[tid.Slot];
            if (a == PruneAction.Keep || header.Xmin != xmins[tid.Slot] || header.Xmax != xmaxs[tid.Slot]) return PruneAction.Keep;
            return a;
        }
    }

    /// <summary>VACUUM's last pass: Dead slots whose index entries are gone become Unused.</summary>
    internal readonly struct ReleaseDead(HashSet<ulong> dead) : IHeapPrunePredicate
    {
        public PruneAction Decide(Tid tid, SlotState state, in HeapTupleHeader header, ReadOnlySpan<byte> data)
            => state == SlotState.Dead && dead.Contains(tid.Packed) ? PruneAction.Unused : PruneAction.Keep;
    }
}
