using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Borealis.Engine.Buffer;
using Borealis.Engine.Space;
using Borealis.Redo;
using Borealis.Redo.Xact;
using Borealis.Volume;

namespace Borealis.Engine.Txn;

public sealed class TxnOptions
{
    /// <summary>Default lock_timeout of new transactions; <see cref="Timeout.InfiniteTimeSpan"/> waits forever, zero is NOWAIT.</summary>
    public TimeSpan LockTimeout { get; init; } = Timeout.InfiniteTimeSpan;
}

public enum XidState : byte
{
    InProgress = 0,
    Committed = 1,
    /// <summary>Rolled back, or never finished by a writer that crashed.</summary>
    Aborted = 2,
}

/// <summary>
/// The writer's transaction manager: xid allocation, commit and abort, snapshots, savepoints,
/// row locks with waits and deadlock detection, SERIALIZABLE validation and the vacuum horizon.
/// <para>
/// Xids come from the counter page in batches of one status page (1020 xids): the ceiling is
/// logged before any xid of the batch is handed out, so after a crash the next writer starts at
/// the logged ceiling (<see cref="StartXid"/>), above every xid ever handed out. An xid below
/// StartXid whose status is still 0 belonged to a writer that crashed: it is aborted (nothing to
/// undo — its versions are simply never visible).
/// </para>
/// <para>
/// Commit: under the commit gate, SERIALIZABLE validation, then one MTR setting the status of the
/// top xid and its live subtransaction xids (LSN-dependent XactCommit records) is appended; after
/// the gate, the commit waits — asynchronously, grouped by the volume — until VDL passes its
/// consistency point, and only then completes, releases row locks and wakes waiters. A snapshot
/// on the writer reads at VDL, so a commit is visible exactly when it is acknowledged, and
/// commits become visible in commit-LSN order (VDL only moves forward, over whole MTRs).
/// </para>
/// <para>
/// Waits: a transaction waits for an xid (a row's updater or exclusive locker, a sharer) or for
/// a row's claim (<see cref="RowLockTable"/>) on its completion, never blocking a thread. Each waiting transaction waits for one transaction at a
/// time, so the wait-for graph has one out-edge per node; adding an edge first walks the chain
/// from the awaited transaction and, if it comes back to the waiter, the waiter — the one that
/// closes the cycle — fails with 40P01 instead of waiting. The caller then rolls back.
/// </para>
/// Thread-safe; each <see cref="Transaction"/> is driven by one session at a time.
/// </summary>
public sealed class TxnManager
{
    private const int Batch = XactLayout.SlotsPerPage;

    private readonly BufferPool _pool;
    private readonly IRedoVolume _volume;
    private readonly XactStore _store;
    private readonly TxnOptions _options;
    private readonly Lock _xidLock = new();
    private readonly SemaphoreSlim _extendGate = new(1, 1);
    private readonly SemaphoreSlim _commitGate = new(1, 1);
    private readonly ConcurrentDictionary<ulong, XidEntry> _activeXids = new();
    private readonly Lock _txnLock = new();
    private readonly HashSet<Transaction> _activeTxns = [];
    private readonly Dictionary<int, ulong> _readerPoints = [];
    private readonly Lock _graphLock = new();
    private readonly RowLockTable _rowLocks = new();
    private readonly SerializableValidator _ssi = new();
    private ulong _nextXid;
    private ulong _ceiling;
    private ulong _lastMinReadPoint;
    private long _nextTxnId;

    private TxnManager(BufferPool pool, XactStore store, TxnOptions options, ulong ceiling)
    {
        _pool = pool;
        _volume = pool.Volume;
        _store = store;
        _options = options;
        _ceiling = ceiling;
        StartXid = Math.Max(ceiling, Xids.FirstNormal);
        _nextXid = StartXid;
    }

    /// <summary>Opens (creating on a new volume) the transaction pages as the writer. The volume must be formatted (<see cref="PageAllocator.FormatAsync"/>).</summary>
    public static async ValueTask<TxnManager> OpenAsync(BufferPool pool, PageAllocator alloc, TxnOptions? options = null, CancellationToken ct = default)
    {
        var store = await XactStore.OpenWriterAsync(pool, alloc, ct).ConfigureAwait(false);
        ulong ceiling = await store.ReadCeilingAsync(ct).ConfigureAwait(false);
        return new TxnManager(pool, store, options ?? new TxnOptions(), ceiling);
    }

    public XactStore Store => _store;
    /// <summary>The first xid this writer hands out; xids below it that never finished are aborted.</summary>
    public ulong StartXid { get; }
    public int ActiveTransactions { get { lock (_txnLock) return _activeTxns.Count; } }
    public int LockedRows => _rowLocks.Count;
    public SerializableValidator Validator => _ssi;

    public Transaction Begin(IsolationLevel isolation = IsolationLevel.ReadCommitted)
    {
        var tx = new Transaction(this, isolation, Interlocked.Increment(ref _nextTxnId), _options.LockTimeout);
        lock (_txnLock) _activeTxns.Add(tx);
        return tx;
    }

    // ---------------------------------------------------------------- xids

    /// <summary>
    /// The xid the transaction's current savepoint level writes with, assigning it (and its parents'
    /// first) when the level has none. Call before the first change or row lock.
    /// </summary>
    public async ValueTask<ulong> AssignXidAsync(Transaction tx, CancellationToken ct = default)
    {
        tx.EnsureActive();
        ulong current = tx.CurrentXid;
        if (current != 0) return current;
        for (int level = 0; level < tx.Levels.Count; level++)
        {
            if (tx.Levels[level].Xid != 0) continue;
            ulong xid = await NextXidAsync(ct).ConfigureAwait(false);
            var entry = new XidEntry(xid, tx);
            _activeXids[xid] = entry;
            var l = tx.Levels[level];
            l.Xid = xid;
            tx.Levels[level] = l;
            tx.Xids.Add(new Transaction.OwnXid { Xid = xid, Level = level, Entry = entry });
        }
        return tx.CurrentXid;
    }

    private ValueTask<ulong> NextXidAsync(CancellationToken ct)
    {
        lock (_xidLock)
            if (_nextXid < _ceiling) return new ValueTask<ulong>(_nextXid++);
        return NextXidSlowAsync(ct);
    }

    private async ValueTask<ulong> NextXidSlowAsync(CancellationToken ct)
    {
        await _extendGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            lock (_xidLock)
                if (_nextXid < _ceiling) return _nextXid++;
            ulong c = await _store.ExtendAsync(ct).ConfigureAwait(false);
            lock (_xidLock)
            {
                _ceiling = c;
                if (_nextXid < c - Batch) _nextXid = Math.Max(c - Batch, Xids.FirstNormal);
                return _nextXid++;
            }
        }
        finally { _extendGate.Release(); }
    }

    /// <summary>
    /// An xid's state as the writer sees it now. In progress = held by a live transaction of this
    /// writer; status 0 otherwise means it never finished (a crashed writer's) = aborted.
    /// </summary>
    public async ValueTask<(XidState State, ulong CommitLsn)> GetXidStateAsync(ulong xid, CancellationToken ct = default)
    {
        if (_activeXids.ContainsKey(xid)) return (XidState.InProgress, 0);
        ulong s = await _store.GetStatusAsync(xid, ct).ConfigureAwait(false);
        return Xids.IsCommitted(s) ? (XidState.Committed, s) : (XidState.Aborted, 0);
    }

    /// <summary>True while <paramref name="xid"/> belongs to a transaction (or savepoint level) of this writer that has not ended.</summary>
    public bool IsInProgress(ulong xid) => _activeXids.ContainsKey(xid);

    // ---------------------------------------------------------------- snapshots

    /// <summary>
    /// The snapshot for the transaction's next statement: READ COMMITTED takes a new one at VDL
    /// every statement; REPEATABLE READ and SERIALIZABLE take one at their first statement and
    /// keep it. The snapshot counts for the vacuum horizon until the next one or the end.
    /// </summary>
    public Snapshot StatementSnapshot(Transaction tx)
    {
        tx.EnsureActive();
        if (tx.Isolation == IsolationLevel.ReadCommitted || tx.SnapshotLsn == 0)
            lock (_txnLock) tx.SnapshotLsn = _volume.Vdl;
        return new Snapshot(_store, tx.SnapshotLsn, tx, tx.CommandId);
    }

    /// <summary>
    /// READ COMMITTED's EvalPlanQual snapshot: sees the newest committed version (the update that
    /// made <see cref="TryLockTuple"/> return Updated was waited for, so it is durable and at or
    /// below VDL). Transient: not counted in the vacuum horizon (it is at or above every live one).
    /// </summary>
    public Snapshot EvalPlanQualSnapshot(Transaction tx)
    {
        tx.EnsureActive();
        return new Snapshot(_store, _volume.Vdl, tx, tx.CommandId);
    }

    /// <summary>
    /// What to do about <see cref="TupleLockResult.Updated"/>: returns for READ COMMITTED (follow the
    /// chain and re-check: EvalPlanQual), raises 40001 for REPEATABLE READ and SERIALIZABLE.
    /// </summary>
    public static void OnConcurrentUpdate(Transaction tx)
    {
        if (tx.Isolation != IsolationLevel.ReadCommitted) ThrowSerialization("could not serialize access due to concurrent update");
    }

    // ---------------------------------------------------------------- row locks and waits

    /// <summary>
    /// The "try lock tuple" building block, called by the heap with the header of the version it
    /// wants to update, delete or lock (one the statement's snapshot found visible, or the newest
    /// version found by EvalPlanQual). Never waits: see <see cref="TupleLockResult"/>. The
    /// transaction must have an xid (<see cref="AssignXidAsync"/>).
    /// <para>
    /// Contract: an exclusive lock is the tuple's xmax. For <see cref="RowLockMode.Exclusive"/> call
    /// under the page's exclusive latch and, on Locked, write xmax = <see cref="Transaction.CurrentXid"/>
    /// before releasing it (flag XmaxLockOnly for FOR UPDATE; none for UPDATE/DELETE, with cmax) —
    /// except that FOR UPDATE leaves a live lock-only xmax of ours as it is (an outer level's lock
    /// must survive a ROLLBACK TO of the inner one). A
    /// shared lock is held here (a shared latch suffices) until the transaction ends or its
    /// savepoint level is rolled back; nothing is written to the page.
    /// </para>
    /// </summary>
    public TupleLockResult TryLockTuple(Transaction tx, RowId row, in TupleXact t, RowLockMode mode, out ulong waitXid)
    {
        tx.EnsureActive();
        ulong xid = tx.CurrentXid;
        if (xid == 0) throw new InvalidOperationException("the transaction needs an xid before it locks a row (AssignXidAsync)");
        waitXid = 0;
        bool lockOnly = (t.Flags & TupleXactFlags.XmaxLockOnly) != 0;
        if (t.Xmax != Xids.Invalid && tx.IsOwnLive(t.Xmax))
        {
            if (tx.ClaimedRow == row) _rowLocks.ReleaseClaim(tx);
            // Updated or deleted by us already; or locked FOR UPDATE by us, which covers any mode.
            return lockOnly ? TupleLockResult.Locked : TupleLockResult.SelfModified;
        }
        // Queue behind an earlier waiter for this row rather than overtake it.
        ulong claimant = _rowLocks.MustQueueBehind(tx, row, mode);
        if (claimant != 0) { waitXid = claimant; return TupleLockResult.WouldBlock; }
        // A foreign xmax is an updater or an exclusive locker; one of ours that was rolled back is nothing.
        if (t.Xmax != Xids.Invalid && !tx.IsOwn(t.Xmax))
        {
            // Check "in progress" before the status: a transaction leaves the active map only after its status is final.
            if (_activeXids.ContainsKey(t.Xmax))
            {
                _rowLocks.ClaimIfFree(tx, xid, row, mode);
                waitXid = t.Xmax;
                return TupleLockResult.WouldBlock;
            }
            if (!_store.TryGetStatus(t.Xmax, out ulong s)) { waitXid = t.Xmax; return TupleLockResult.NeedStatus; }
            if (Xids.IsCommitted(s) && !lockOnly)
            {
                if (tx.ClaimedRow == row) _rowLocks.ReleaseClaim(tx);
                waitXid = t.Xmax;
                return TupleLockResult.Updated;
            }
            // Aborted, rolled back, a crashed writer's, or a lock whose holder ended: free.
        }
        ulong holder = _rowLocks.TryAcquire(tx, xid, row, mode, out bool added);
        if (holder != 0) { waitXid = holder; return TupleLockResult.WouldBlock; }
        if (added) tx.RowLocks.Add(row);
        return TupleLockResult.Locked;
    }

    /// <summary>
    /// The "wait for xid" building block: completes when <paramref name="xid"/> ends (its
    /// transaction's commit is durable, or it aborted, or its savepoint level was rolled back),
    /// or — for a claim wait id from <see cref="TryLockTuple"/> — when that row's claim ends.
    /// Awaits without blocking a thread. Raises 40P01 when waiting would close a cycle of waits
    /// (this transaction is the victim: roll it back), 55P03 when the transaction's lock_timeout
    /// expires. Returns at once for an xid that is not in progress.
    /// </summary>
    public async ValueTask WaitForXidAsync(Transaction tx, ulong xid, CancellationToken ct = default)
    {
        tx.EnsureActive();
        if (!_activeXids.TryGetValue(xid, out var e) && !(xid >= RowLockTable.FirstClaimId && _rowLocks.TryGetClaim(xid, out e))) return;
        var owner = e.Owner;
        if (owner == tx) throw new InvalidOperationException($"{tx} would wait for its own xid {xid}");
        lock (_graphLock)
        {
            if (e.Done.Task.IsCompleted) return;
            for (var t = owner; t is not null; t = t.WaitingFor)
                if (t == tx) ThrowDeadlock(tx, owner, xid);
            tx.WaitingFor = owner;
        }
        try
        {
            var task = e.Done.Task;
            if (tx.LockTimeout != Timeout.InfiniteTimeSpan) task = task.WaitAsync(tx.LockTimeout, ct);
            else if (ct.CanBeCanceled) task = task.WaitAsync(ct);
            await task.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw new TxnException(SqlStates.QueryCanceled, "canceling statement due to user request");
        }
        catch (TimeoutException)
        {
            throw new TxnException(SqlStates.LockNotAvailable, $"canceling statement due to lock timeout: {tx} waited {tx.LockTimeout.TotalMilliseconds} ms for transaction {xid}");
        }
        finally
        {
            lock (_graphLock) tx.WaitingFor = null;
        }
    }

    [DoesNotReturn]
    private static void ThrowDeadlock(Transaction tx, Transaction owner, ulong xid)
    {
        // Called under the graph lock: the cycle is stable.
        var cycle = new System.Text.StringBuilder();
        for (var t = owner; t is not null && t != tx; t = t.WaitingFor) cycle.Append(" -> ").Append(t.Id);
        throw new TxnException(SqlStates.DeadlockDetected,
            $"deadlock detected: transaction {tx.Id} waits for xid {xid}; wait cycle {tx.Id}{cycle} -> {tx.Id}");
    }

    [DoesNotReturn]
    internal static void ThrowSerialization(string message) => throw new TxnException(SqlStates.SerializationFailure, message);

    // ---------------------------------------------------------------- savepoints

    /// <summary>SAVEPOINT: opens a subtransaction level and returns its depth (1 for the first).</summary>
    public static int Savepoint(Transaction tx)
    {
        tx.EnsureActive();
        tx.Levels.Add(new Transaction.Level { RowLockMark = tx.RowLocks.Count });
        return tx.SavepointDepth;
    }

    /// <summary>RELEASE SAVEPOINT: merges levels ≥ <paramref name="depth"/> into their parent (their xids commit with it).</summary>
    public static void ReleaseSavepoint(Transaction tx, int depth)
    {
        tx.EnsureActive();
        CheckDepth(tx, depth);
        for (int i = 0; i < tx.Xids.Count; i++)
        {
            var x = tx.Xids[i];
            if (x.Level >= depth) { x.Level = depth - 1; tx.Xids[i] = x; }
        }
        tx.Levels.RemoveRange(depth, tx.Levels.Count - depth);
    }

    /// <summary>
    /// ROLLBACK TO SAVEPOINT: the xids of levels ≥ <paramref name="depth"/> are marked aborted (one
    /// MTR, no durability wait: an unlogged abort reads as aborted after a crash anyway), their row
    /// locks released and their waiters woken; the savepoint stays, as a fresh level at <paramref name="depth"/>.
    /// </summary>
    public async ValueTask RollbackToSavepointAsync(Transaction tx, int depth, CancellationToken ct = default)
    {
        tx.EnsureActive();
        CheckDepth(tx, depth);
        ulong from = tx.Levels[depth].Xid;
        int mark = tx.Levels[depth].RowLockMark;
        if (from != 0)
        {
            var aborted = new List<ulong>();
            foreach (var x in tx.Xids) if (x.Xid >= from && !x.Aborted) aborted.Add(x.Xid);
            try
            {
                await LogOutcomeAsync(RedoType.XactAbort, aborted, ct).ConfigureAwait(false);
            }
            finally
            {
                for (int i = mark; i < tx.RowLocks.Count; i++) _rowLocks.Release(tx, tx.RowLocks[i], from);
                _rowLocks.ReleaseClaim(tx, from);
                for (int i = 0; i < tx.Xids.Count; i++)
                {
                    var x = tx.Xids[i];
                    if (x.Xid < from || x.Aborted) continue;
                    x.Aborted = true;
                    tx.Xids[i] = x;
                    _activeXids.TryRemove(x.Xid, out _);
                    x.Entry.Done.TrySetResult();
                }
            }
        }
        tx.RowLocks.RemoveRange(mark, tx.RowLocks.Count - mark);
        tx.Levels.RemoveRange(depth, tx.Levels.Count - depth);
        tx.Levels.Add(new Transaction.Level { RowLockMark = mark });
    }

    private static void CheckDepth(Transaction tx, int depth)
    {
        if (depth < 1 || depth > tx.SavepointDepth)
            throw new TxnException(SqlStates.InvalidSavepoint, $"savepoint level {depth} does not exist (depth {tx.SavepointDepth})");
    }

    // ---------------------------------------------------------------- commit and abort

    /// <summary>
    /// Commits and completes once the commit is durable (VDL ≥ its commit record), which is when
    /// it is visible to new snapshots. A transaction without an xid just ends. A SERIALIZABLE
    /// transaction whose reads were overwritten by a concurrent commit is rolled back with 40001.
    /// </summary>
    public async ValueTask CommitAsync(Transaction tx, CancellationToken ct = default)
    {
        tx.EnsureActive();
        if (!tx.HasXid)
        {
            Finish(tx, TxnState.Committed);
            return;
        }
        ulong cpl = 0;
        bool conflict = false;
        await _commitGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (tx.Isolation == IsolationLevel.Serializable && !tx.Writes.IsEmpty && !_ssi.Validate(tx.SnapshotLsn, tx.Reads))
            {
                conflict = true;
            }
            else
            {
                var live = new List<ulong>(tx.Xids.Count);
                foreach (var x in tx.Xids) if (!x.Aborted) live.Add(x.Xid);
                cpl = await LogOutcomeAsync(RedoType.XactCommit, live, CancellationToken.None).ConfigureAwait(false);
                _ssi.Register(cpl, tx.Writes.Detach());
            }
        }
        catch
        {
            Finish(tx, TxnState.Aborted);
            throw;
        }
        finally
        {
            _commitGate.Release();
        }
        if (conflict)
        {
            await RollbackAsync(tx, CancellationToken.None).ConfigureAwait(false);
            ThrowSerialization("could not serialize access due to read/write dependencies among transactions");
        }
        tx.CommitLsn = cpl;
        try
        {
            // Not cancellable: locks must stay held until the commit is durable (see class remarks).
            await _volume.WaitDurableAsync(cpl, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            Finish(tx, TxnState.Committed);
        }
    }

    /// <summary>ROLLBACK: marks every live xid of the transaction aborted (one MTR, no durability wait) and ends it. Idempotent.</summary>
    public async ValueTask RollbackAsync(Transaction tx, CancellationToken ct = default)
    {
        if (tx.State != TxnState.Active) return;
        var live = new List<ulong>(tx.Xids.Count);
        foreach (var x in tx.Xids) if (!x.Aborted) live.Add(x.Xid);
        try
        {
            if (live.Count > 0) await LogOutcomeAsync(RedoType.XactAbort, live, ct).ConfigureAwait(false);
        }
        finally
        {
            Finish(tx, TxnState.Aborted);
        }
    }

    private ValueTask<ulong> LogOutcomeAsync(RedoType type, List<ulong> sortedXids, CancellationToken ct) =>
        _store.LogOutcomeAsync(type, sortedXids, ct);

    /// <summary>Ends the transaction in memory: row locks released, xids leave the active map (their status is final by now), waiters woken.</summary>
    private void Finish(Transaction tx, TxnState state)
    {
        tx.State = state;
        foreach (var row in tx.RowLocks) _rowLocks.Release(tx, row, 0);
        _rowLocks.ReleaseClaim(tx);
        tx.RowLocks.Clear();
        foreach (var x in tx.Xids)
        {
            _activeXids.TryRemove(x.Xid, out _);
            x.Entry.Done.TrySetResult();
        }
        tx.Reads.Clear();
        tx.Writes.Clear();
        lock (_txnLock) _activeTxns.Remove(tx);
        RefreshMinReadPoint();
    }

    // ---------------------------------------------------------------- vacuum horizon

    /// <summary>
    /// The oldest read point anyone may still use: the oldest snapshot of a live transaction on
    /// the writer, the oldest read point announced by a reader instance, else VDL.
    /// </summary>
    public ulong ComputeMinReadPoint()
    {
        lock (_txnLock)
        {
            ulong min = _volume.Vdl;
            foreach (var t in _activeTxns)
                if (t.SnapshotLsn != 0 && t.SnapshotLsn < min) min = t.SnapshotLsn;
            foreach (var p in _readerPoints.Values)
                if (p < min) min = p;
            return min;
        }
    }

    /// <summary>A reader instance's current read point (it reads at or above it until it announces again).</summary>
    public void AnnounceReaderReadPoint(int readerId, ulong readPoint)
    {
        lock (_txnLock) _readerPoints[readerId] = readPoint;
        RefreshMinReadPoint();
    }

    public void ForgetReader(int readerId)
    {
        lock (_txnLock) _readerPoints.Remove(readerId);
        RefreshMinReadPoint();
    }

    /// <summary>Feeds the min read point to the volume (never lowering it) and prunes SERIALIZABLE write sets below it.</summary>
    public void RefreshMinReadPoint()
    {
        ulong m = ComputeMinReadPoint();
        bool raise;
        lock (_txnLock)
        {
            raise = m > _lastMinReadPoint;
            if (raise) _lastMinReadPoint = m;
        }
        if (raise) _volume.SetMinReadPoint(m);
        _ssi.Prune(m);
    }

    /// <summary>What vacuum may remove now: versions dead at the current min read point.</summary>
    public VacuumHorizon GetVacuumHorizon() => new(this, ComputeMinReadPoint());
}
