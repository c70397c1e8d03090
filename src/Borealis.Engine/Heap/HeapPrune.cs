using System.Buffers;
using Borealis.Redo;
using Borealis.Redo.Heap;

namespace Borealis.Engine.Heap;

/// <summary>
/// Vacuum's page pruning: one HeapPrune record (slots made Dead or Unused, then a deterministic
/// compaction), the page's new free-space category recorded in the map at once (so freed room is
/// found again, also after a restart), then the overflow chains of the removed tuples returned to
/// the page allocator. The caller (vacuum) decides what is dead with an <see cref="IHeapPrunePredicate"/>,
/// which sees each slot under the page's exclusive latch.
/// </summary>
internal static class HeapPrune
{
    public static async ValueTask<PruneResult> PruneAsync<TPredicate>(HeapTable table, ulong pageNo, TPredicate predicate, CancellationToken ct)
        where TPredicate : struct, IHeapPrunePredicate
    {
        var slots = ArrayPool<ushort>.Shared.Rent(2 * HeapPage.MaxSlots);
        var chains = ArrayPool<ulong>.Shared.Rent(HeapPage.MaxSlots);
        var mtr = table.RentMtr();
        try
        {
            var h = await mtr.GetForWriteAsync(pageNo, ct).ConfigureAwait(false);
            if (!table.IsOurs(h.Page)) throw new ArgumentException($"page {pageNo} is not a page of heap {table.MetaPage}", nameof(pageNo));
            var (nDead, nUnused, nChains) = Collect(h.Page, pageNo, ref predicate, slots, chains);
            ulong lsn = 0;
            int free = HeapPage.FreeSpace(h.Page);
            byte category = 0;
            int d = HeapPage.DirIndex(h.Page), e = HeapPage.DirEntry(h.Page);
            if (nDead + nUnused > 0)
            {
                var payload = mtr.Add(h, RedoType.HeapPrune, HeapRecords.PruneSize(nDead + nUnused));
                HeapRecords.Prune(payload, slots.AsSpan(0, nDead), slots.AsSpan(HeapPage.MaxSlots, nUnused));
                mtr.Apply();
                free = HeapPage.FreeSpace(h.Page);
                category = HeapTable.CategoryOf(h.Page);
            }
            lsn = await mtr.CommitAsync(ct).ConfigureAwait(false);
            table.ReturnMtr(mtr);
            mtr = null;
            if (nDead + nUnused > 0)
                await table.Space.RecordAsync(d, e, pageNo, category, ct).ConfigureAwait(false);
            int freedPages = 0;
            for (int i = 0; i < nChains; i++)
                freedPages += await table.FreeChainAsync(chains[i], ct).ConfigureAwait(false);
            return new PruneResult(nDead, nUnused, freedPages, free, lsn);
        }
        finally
        {
            mtr?.Dispose();
            ArrayPool<ushort>.Shared.Return(slots);
            ArrayPool<ulong>.Shared.Return(chains);
        }
    }

    /// <summary>Asks the predicate about every Normal and Dead slot; fills dead slots at [0..), unused at [MaxSlots..), chains to free.</summary>
    private static (int Dead, int Unused, int Chains) Collect<TPredicate>(ReadOnlySpan<byte> page, ulong pageNo, ref TPredicate predicate,
        Span<ushort> slots, Span<ulong> chains) where TPredicate : struct, IHeapPrunePredicate
    {
        int nDead = 0, nUnused = 0, nChains = 0;
        int n = HeapPage.SlotCount(page);
        for (int s = 0; s < n; s++)
        {
            var state = HeapPage.State(page, s);
            var tid = new Tid(pageNo, (ushort)s);
            PruneAction action;
            HeapTupleHeader header = default;
            ReadOnlySpan<byte> data = default;
            if (state == SlotState.Normal)
            {
                var t = HeapPage.Tuple(page, s);
                if (t.IsEmpty) continue;
                header = HeapTupleHeader.Read(t);
                data = t[HeapTuple.HeaderSize..];
                action = predicate.Decide(tid, state, header, data);
            }
            else if (state == SlotState.Dead)
            {
                action = predicate.Decide(tid, state, header, data);
                if (action == PruneAction.Dead) action = PruneAction.Keep;
            }
            else continue;

            if (action == PruneAction.Keep) continue;
            if (action == PruneAction.Dead) slots[nDead++] = (ushort)s;
            else slots[HeapPage.MaxSlots + nUnused++] = (ushort)s;
            if (state == SlotState.Normal && header.HasOverflow && data.Length == OverflowPointer.Size)
                chains[nChains++] = OverflowPointer.FirstPage(data);
        }
        return (nDead, nUnused, nChains);
    }
}
