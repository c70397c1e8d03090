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
    /// <summary>The row lock is granted: for an exclusive lock write xmax now (under the same latch); a shared one is held until the transaction or its savepoint level ends.</summary>
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
/// The writer's table of shared row locks and row claims. An exclusive row lock (UPDATE, DELETE,
/// FOR UPDATE) is the tuple's xmax, as in PostgreSQL — the heap writes it (lock-only for FOR
/// UPDATE) under the same exclusive page latch in which <see cref="TxnManager.TryLockTuple"/>
/// said Locked, so it costs no memory here and ends with its xid. Shared locks (FOR SHARE), which
/// several transactions can hold at once, live only here instead of in PostgreSQL's multixacts:
/// no on-page structure and no redo; they die with the writer, as do their transactions. Each
/// hold is tagged with the xid that took it (a subtransaction's xid, so ROLLBACK TO releases it).
/// <para>
/// Fairness: the first transaction that finds a row held becomes its claimant — PostgreSQL's
/// waiter holding the heavyweight tuple lock. A later requester that conflicts with the
/// claimant's mode waits for the claim (a wait id above every xid, <see cref="FirstClaimId"/>,
/// awaited like an xid) instead of overtaking it, so a deadlock victim that retries at once
/// cannot grab the row back before the survivor wakes. The claim ends — and its waiters wake to
/// queue behind the new holder — when the claimant gets the row, sees it updated, rolls back to
/// a savepoint, or ends. Waiters behind a claim are not ordered among themselves.
/// </para>
/// Thread-safe (one lock, held for a few instructions).
/// </summary>
internal sealed class RowLockTable
{
    /// <summary>Claim wait ids start here, far above any xid (the directory maps fewer than 2^30).</summary>
    public const ulong FirstClaimId = 1UL << 63;

    private readonly Dictionary<RowId, Entry> _rows = [];
    private readonly Dictionary<ulong, XidEntry> _claims = [];
    private readonly Lock _lock = new();
    private ulong _nextClaimId = FirstClaimId;

    internal readonly record struct Holder(Transaction Txn, ulong Xid, RowLockMode Mode);

    private sealed class Entry
    {
        public readonly List<Holder> Holders = [];
        public XidEntry? Claim;
        public ulong ClaimXid;
        public RowLockMode ClaimMode;
        public bool IsEmpty => Holders.Count == 0 && Claim is null;
    }

    public int Count { get { lock (_lock) return _rows.Count; } }

    /// <summary>The live claim with wait id <paramref name="claimId"/>, if any (for <see cref="TxnManager.WaitForXidAsync"/>).</summary>
    public bool TryGetClaim(ulong claimId, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out XidEntry? claim)
    {
        lock (_lock) return _claims.TryGetValue(claimId, out claim);
    }

    /// <summary>
    /// Takes the lock or returns the id to wait for (0 = taken): a conflicting holder's xid, or
    /// the claim's wait id when this requester would overtake the claimant. A blocked requester
    /// becomes the claimant if there is none (recorded in <see cref="Transaction.ClaimedRow"/>).
    /// </summary>
    public ulong TryAcquire(Transaction tx, ulong xid, RowId row, RowLockMode mode, out bool added)
    {
        added = false;
        lock (_lock)
        {
            if (!_rows.TryGetValue(row, out var e))
            {
                if (mode == RowLockMode.Exclusive) return 0; // nothing shares it, nobody claims it: the xmax will say it is ours
                _rows[row] = e = new Entry();
            }
            bool haveAtLeast = false, holdsAny = false;
            ulong conflict = 0;
            foreach (var h in e.Holders)
            {
                if (h.Txn == tx)
                {
                    holdsAny = true;
                    if (h.Mode >= mode) haveAtLeast = true;
                    continue;
                }
                if (conflict == 0 && (h.Mode == RowLockMode.Exclusive || mode == RowLockMode.Exclusive)) conflict = h.Xid;
            }
            if (haveAtLeast) { EndClaimIfOwnLocked(tx, row, e); return 0; }
            // Do not overtake a waiting claimant (holders upgrading may: the claimant may be waiting for them).
            ulong queue = QueueBehindLocked(tx, e, mode, holdsAny);
            if (queue != 0 && conflict == 0) return queue;
            if (conflict != 0)
            {
                if (e.Claim is null) ClaimLocked(tx, xid, row, mode, e);
                return conflict;
            }
            EndClaimIfOwnLocked(tx, row, e);
            if (mode == RowLockMode.Exclusive)
            {
                if (e.IsEmpty) _rows.Remove(row);
                return 0;
            }
            e.Holders.Add(new Holder(tx, xid, mode));
            added = true;
            return 0;
        }
    }

    /// <summary>
    /// The claim's wait id when <paramref name="tx"/> must queue behind the row's claimant before
    /// even looking at the tuple's updater (0 = go ahead): PostgreSQL takes the tuple lock before
    /// waiting for xmax.
    /// </summary>
    public ulong MustQueueBehind(Transaction tx, RowId row, RowLockMode mode)
    {
        lock (_lock)
        {
            if (!_rows.TryGetValue(row, out var e)) return 0;
            bool holdsAny = false;
            foreach (var h in e.Holders) if (h.Txn == tx) { holdsAny = true; break; }
            return QueueBehindLocked(tx, e, mode, holdsAny);
        }
    }

    private static ulong QueueBehindLocked(Transaction tx, Entry e, RowLockMode mode, bool holdsAny)
    {
        if (holdsAny || e.Claim is null || e.Claim.Owner == tx) return 0;
        if (e.ClaimMode != RowLockMode.Exclusive && mode != RowLockMode.Exclusive) return 0;
        return e.Claim.Xid;
    }

    /// <summary>Makes <paramref name="tx"/> the row's claimant if it has none (it is about to wait for the row's updater).</summary>
    public void ClaimIfFree(Transaction tx, ulong xid, RowId row, RowLockMode mode)
    {
        lock (_lock)
        {
            if (!_rows.TryGetValue(row, out var e)) _rows[row] = e = new Entry();
            if (e.Claim is null) ClaimLocked(tx, xid, row, mode, e);
        }
    }

    private void ClaimLocked(Transaction tx, ulong xid, RowId row, RowLockMode mode, Entry e)
    {
        ReleaseClaimLocked(tx);
        var claim = new XidEntry(_nextClaimId++, tx);
        _claims[claim.Xid] = claim;
        e.Claim = claim;
        e.ClaimXid = xid;
        e.ClaimMode = mode;
        tx.ClaimedRow = row;
    }

    /// <summary>Ends <paramref name="tx"/>'s claim, if any (it stopped wanting the row: updated, rolled back).</summary>
    public void ReleaseClaim(Transaction tx)
    {
        lock (_lock) ReleaseClaimLocked(tx);
    }

    /// <summary>Ends <paramref name="tx"/>'s claim if it was made with an xid ≥ <paramref name="fromXid"/> (ROLLBACK TO).</summary>
    public void ReleaseClaim(Transaction tx, ulong fromXid)
    {
        lock (_lock)
        {
            if (tx.ClaimedRow is { } row && _rows.TryGetValue(row, out var e) && e.Claim?.Owner == tx && e.ClaimXid >= fromXid)
                ReleaseClaimLocked(tx);
        }
    }

    private void ReleaseClaimLocked(Transaction tx)
    {
        if (tx.ClaimedRow is not { } row) return;
        tx.ClaimedRow = null;
        if (!_rows.TryGetValue(row, out var e)) return;
        if (e.Claim?.Owner == tx) EndClaimLocked(e);
        if (e.IsEmpty) _rows.Remove(row);
    }

    private void EndClaimIfOwnLocked(Transaction tx, RowId row, Entry e)
    {
        if (e.Claim?.Owner != tx) return;
        EndClaimLocked(e);
        if (tx.ClaimedRow == row) tx.ClaimedRow = null;
    }

    private void EndClaimLocked(Entry e)
    {
        var claim = e.Claim!;
        e.Claim = null;
        _claims.Remove(claim.Xid);
        claim.Done.TrySetResult(); // continuations run asynchronously, not under this lock
    }

    /// <summary>Releases the holds <paramref name="tx"/> took on <paramref name="row"/> with xids in <paramref name="fromXid"/>.. (all of them for 0).</summary>
    public void Release(Transaction tx, RowId row, ulong fromXid)
    {
        lock (_lock)
        {
            if (!_rows.TryGetValue(row, out var e)) return;
            var holders = e.Holders;
            for (int i = holders.Count - 1; i >= 0; i--)
                if (holders[i].Txn == tx && holders[i].Xid >= fromXid) holders.RemoveAt(i);
            if (e.IsEmpty) _rows.Remove(row);
        }
    }
}
