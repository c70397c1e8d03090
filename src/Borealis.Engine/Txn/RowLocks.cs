namespace Borealis.Engine.Txn;

/// <summary>Identity of a row for locking: relation and the heap's tuple id of the version being locked.</summary>
public readonly record struct RowId(ulong Relation, ulong Tid);

public enum RowLockMode : byte
{
    /// <summary>FOR SHARE / FOR KEY SHARE: compatible with other sharers.</summary>
    Share = 1,
    /// <summary>FOR UPDATE / FOR NO KEY UPDATE, and every UPDATE or DELETE: conflicts with everything.</summary>
    Exclusive = 2,
}

/// <summary>Outcome of <see cref="TxnManager.TryLockTuple"/>.</summary>
public enum TupleLockResult : byte
{
    /// <summary>The row lock is held (until the transaction ends or its savepoint level is rolled back): go ahead and write xmax.</summary>
    Locked = 0,
    /// <summary>Another transaction holds the row: release page latches, await <see cref="TxnManager.WaitForXidAsync"/> on the returned xid, re-read the tuple, retry.</summary>
    WouldBlock = 1,
    /// <summary>
    /// A committed transaction updated or deleted this version. READ COMMITTED: follow the update
    /// chain to the newest version and re-check the statement's quals on it (EvalPlanQual, with
    /// <see cref="TxnManager.EvalPlanQualSnapshot"/>), then lock that version. Other levels:
    /// <see cref="TxnManager.OnConcurrentUpdate"/> raises 40001.
    /// </summary>
    Updated = 2,
    /// <summary>This transaction already updated or deleted the version (PostgreSQL's TM_SelfModified).</summary>
    SelfModified = 3,
    /// <summary>The status page of the returned xid is not cached: await <see cref="Snapshot.LoadStatusAsync"/> and retry.</summary>
    NeedStatus = 4,
}

/// <summary>
/// The writer's row-lock table. Row locks live only in memory (they die with the writer, as do
/// the transactions holding them): one entry per locked row with its holders, each tagged with
/// the xid that took it (a subtransaction's xid, so ROLLBACK TO releases it and wakes waiters).
/// Chosen over PostgreSQL's multixacts because several sharers then need no extra on-page
/// structure and no redo at all; the heap still writes xmax for UPDATE/DELETE (readers and
/// visibility need it), while FOR SHARE/UPDATE need not touch the page. Cost: memory per locked
/// row while locked. No FIFO fairness among waiters (like PostgreSQL's tuple locks without the
/// heavyweight queue): a waiter retries when the xid it waited for ends.
/// Thread-safe (one lock, held for a few instructions).
/// </summary>
internal sealed class RowLockTable
{
    private readonly Dictionary<RowId, List<Holder>> _rows = [];
    private readonly Lock _lock = new();

    internal readonly record struct Holder(Transaction Txn, ulong Xid, RowLockMode Mode);

    public int Count { get { lock (_lock) return _rows.Count; } }

    /// <summary>Takes the lock or returns the xid of a conflicting holder (0 = taken).</summary>
    public ulong TryAcquire(Transaction tx, ulong xid, RowId row, RowLockMode mode, out bool added)
    {
        added = false;
        lock (_lock)
        {
            if (!_rows.TryGetValue(row, out var holders)) _rows[row] = holders = [];
            bool haveAtLeast = false;
            foreach (var h in holders)
            {
                if (h.Txn == tx)
                {
                    if (h.Mode >= mode) haveAtLeast = true;
                    continue;
                }
                if (h.Mode == RowLockMode.Exclusive || mode == RowLockMode.Exclusive) return h.Xid;
            }
            if (haveAtLeast) return 0;
            holders.Add(new Holder(tx, xid, mode));
            added = true;
            return 0;
        }
    }

    /// <summary>Releases the holds <paramref name="tx"/> took on <paramref name="row"/> with xids in <paramref name="fromXid"/>.. (all of them for 0).</summary>
    public void Release(Transaction tx, RowId row, ulong fromXid)
    {
        lock (_lock)
        {
            if (!_rows.TryGetValue(row, out var holders)) return;
            for (int i = holders.Count - 1; i >= 0; i--)
                if (holders[i].Txn == tx && holders[i].Xid >= fromXid) holders.RemoveAt(i);
            if (holders.Count == 0) _rows.Remove(row);
        }
    }
}
