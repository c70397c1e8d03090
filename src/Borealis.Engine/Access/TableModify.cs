using System.Buffers;
using Borealis.Engine.Buffer;
using Borealis.Engine.Heap;
using Borealis.Engine.Txn;
using Borealis.Redo.Heap;

namespace Borealis.Engine.Access;

public sealed partial class Table
{
    private enum ModifyKind : byte { Update, Delete, LockExclusive, LockShare }

    /// <summary>
    /// UPDATE of the version at <paramref name="tid"/> (one the statement's snapshot found visible):
    /// locks it per the protocol (waits for an in-progress updater; 40001 at REPEATABLE READ /
    /// SERIALIZABLE if a concurrent transaction updated or deleted it; READ COMMITTED follows the
    /// chain to the newest version and re-runs <paramref name="modifier"/> on it), then writes the
    /// new version built by <paramref name="modifier"/> and its index entries unless the update is HOT.
    /// </summary>
    public ValueTask<ModifyResult> UpdateAsync(Transaction tx, Tid tid, IRowModifier modifier, CancellationToken ct = default)
        => ModifyAsync(tx, tid, ModifyKind.Update, modifier, nowait: false, ct);

    /// <summary>DELETE of the version at <paramref name="tid"/>; <paramref name="recheck"/> (optional) re-checks the quals after EvalPlanQual.</summary>
    public ValueTask<ModifyResult> DeleteAsync(Transaction tx, Tid tid, IRowModifier? recheck = null, CancellationToken ct = default)
        => ModifyAsync(tx, tid, ModifyKind.Delete, recheck, nowait: false, ct);

    /// <summary>
    /// SELECT … FOR UPDATE / FOR SHARE of the version at <paramref name="tid"/>. NOWAIT raises 55P03
    /// instead of waiting; the transaction's lock_timeout (55P03) and deadlock detection (40P01) apply.
    /// </summary>
    public ValueTask<ModifyResult> LockRowAsync(Transaction tx, Tid tid, RowLockStrength strength, bool nowait = false,
        IRowModifier? recheck = null, CancellationToken ct = default)
        => ModifyAsync(tx, tid, strength == RowLockStrength.ForUpdate ? ModifyKind.LockExclusive : ModifyKind.LockShare, recheck, nowait, ct);

    private async ValueTask<ModifyResult> ModifyAsync(Transaction tx, Tid tid, ModifyKind kind, IRowModifier? modifier, bool nowait, CancellationToken ct)
    {
        await Txm.AssignXidAsync(tx, ct).ConfigureAwait(false);
        var mode = kind == ModifyKind.LockShare ? RowLockMode.Share : RowLockMode.Exclusive;
        byte[] rowBuf = ArrayPool<byte>.Shared.Rent(512);
        try
        {
            Tid cur = tid;
            int rowLen = -1; // row of `cur` not read yet
            bool recheck = false;
            while (true)
            {
                if (rowLen < 0 && (modifier is not null || kind == ModifyKind.Update))
                {
                    var f = await Heap.FetchAsync(cur, rowBuf, ct).ConfigureAwait(false);
                    if (f.Status == FetchStatus.BufferTooSmall)
                    {
                        ArrayPool<byte>.Shared.Return(rowBuf);
                        rowBuf = ArrayPool<byte>.Shared.Rent(f.Length);
                        continue;
                    }
                    if (f.Status != FetchStatus.Ok) return new ModifyResult(ModifyStatus.Skipped, cur);
                    rowLen = f.Length;
                }
                ReadOnlyMemory<byte> newRow = default;
                if (modifier is not null && (recheck || kind == ModifyKind.Update))
                {
                    if (!modifier.TryBuild(rowBuf.AsSpan(0, rowLen), out newRow)) return new ModifyResult(ModifyStatus.Skipped, cur);
                    recheck = false;
                }
                if (kind == ModifyKind.Update)
                {
                    CheckKeys(newRow.Span);
                    await PruneIfFullAsync(cur.Page, newRow.Length, ct).ConfigureAwait(false);
                }

                TupleLockResult r;
                ulong w;
                HeapTupleHeader h;
                SetXmaxResult res = default;
                var stripe = RowStripe(cur);
                await stripe.WaitAsync(ct).ConfigureAwait(false);
                try
                {
                    var hr = await Heap.FetchAsync(cur, Memory<byte>.Empty, ct).ConfigureAwait(false);
                    if (hr.Status == FetchStatus.NotFound) return new ModifyResult(ModifyStatus.Skipped, cur);
                    h = hr.Header;
                    r = Txm.TryLockTuple(tx, new RowId(RelationId, cur.Packed), Xact(h), mode, out w);
                    if (r == TupleLockResult.Locked)
                    {
                        res = kind switch
                        {
                            ModifyKind.Update => await Heap.UpdateAsync(cur, tx.CurrentXid, tx.CommandId, newRow, h.Xmax, ct).ConfigureAwait(false),
                            ModifyKind.Delete => await Heap.SetXmaxAsync(cur, tx.CurrentXid, tx.CommandId, HeapInfomask.None, default, h.Xmax, ct).ConfigureAwait(false),
                            ModifyKind.LockExclusive when !(h.Xmax != 0 && (h.Infomask & HeapInfomask.XmaxLockOnly) != 0 && tx.IsOwnLive(h.Xmax))
                                => await Heap.SetXmaxAsync(cur, tx.CurrentXid, tx.CommandId, HeapInfomask.XmaxLockOnly | HeapInfomask.XmaxExclusiveLock,
                                    default, h.Xmax, ct).ConfigureAwait(false),
                            _ => new SetXmaxResult(SetXmaxStatus.Ok, h, default, 0),
                        };
                    }
                }
                finally { stripe.Release(); }

                switch (r)
                {
                    case TupleLockResult.Locked:
                        if (res.Status == SetXmaxStatus.Conflict) continue;  // the header changed under us: look again
                        if (res.Status == SetXmaxStatus.NotFound) return new ModifyResult(ModifyStatus.Skipped, cur);
                        if (kind == ModifyKind.LockShare) return new ModifyResult(ModifyStatus.Done, cur);
                        tx.RecordWrite(RelationId, cur.Page);
                        if (kind != ModifyKind.Update)
                        {
                            if (kind == ModifyKind.Delete) NoteChange();
                            return new ModifyResult(ModifyStatus.Done, cur);
                        }
                        var newTid = res.NewTid;
                        if (newTid.Page != cur.Page) tx.RecordWrite(RelationId, newTid.Page);
                        bool hot = newTid.Page == cur.Page && rowLen <= HeapTable.OverflowThreshold && newRow.Length <= HeapTable.OverflowThreshold
                            && SameKeys(rowBuf.AsSpan(0, rowLen), newRow.Span);
                        if (!hot) await InsertEntriesAsync(tx, newRow, newTid, ct).ConfigureAwait(false);
                        NoteChange();
                        return new ModifyResult(ModifyStatus.Done, newTid);
                    case TupleLockResult.WouldBlock:
                        if (nowait) throw new AccessException(AccessException.LockNotAvailable, $"could not obtain lock on row in relation \"{Name}\"");
                        await Txm.WaitForXidAsync(tx, w, ct).ConfigureAwait(false);
                        continue;
                    case TupleLockResult.NeedStatus:
                        await Txm.Store.GetStatusAsync(w, ct).ConfigureAwait(false);
                        continue;
                    case TupleLockResult.SelfModified:
                        return new ModifyResult(ModifyStatus.Skipped, cur);
                    case TupleLockResult.Updated:
                        TxnManager.OnConcurrentUpdate(tx); // 40001 unless READ COMMITTED
                        if ((h.Infomask & HeapInfomask.Updated) == 0 || h.Ctid == cur) return new ModifyResult(ModifyStatus.Skipped, cur); // deleted
                        // EvalPlanQual: the newest version, if it really continues this chain.
                        var next = await Heap.FetchAsync(h.Ctid, Memory<byte>.Empty, ct).ConfigureAwait(false);
                        if (next.Status == FetchStatus.NotFound || next.Header.Xmin != h.Xmax) return new ModifyResult(ModifyStatus.Skipped, cur);
                        cur = h.Ctid;
                        rowLen = -1;
                        recheck = true;
                        continue;
                    default:
                        throw new InvalidOperationException($"unexpected lock result {r}");
                }
            }
        }
        finally { ArrayPool<byte>.Shared.Return(rowBuf); }
    }

    /// <summary>
    /// Opportunistic pruning (PostgreSQL's heap_page_prune_opt): when an update's new version would
    /// not fit its page, prune the page first so the update can stay on it (HOT).
    /// </summary>
    private async ValueTask PruneIfFullAsync(ulong pageNo, int newRowLength, CancellationToken ct)
    {
        int tupleLen = HeapTuple.HeaderSize + (newRowLength > HeapTable.OverflowThreshold ? OverflowPointer.Size : newRowLength);
        bool fits;
        using (var h = await Heap.Pool.PinAsync(pageNo, PageAccess.Normal, ct).ConfigureAwait(false))
        {
            h.LatchShared();
            try { fits = HeapPage.Fits(h.Page, HeapPage.ChooseSlot(h.Page), tupleLen); }
            finally { h.UnlatchShared(); }
        }
        if (fits) return;
        var stats = await Vacuum.PagePruner.PruneAsync(this, pageNo, Txm.GetVacuumHorizon(), null, ct).ConfigureAwait(false);
        if (stats.Changed) Interlocked.Increment(ref _opportunisticPrunes);
    }
}
