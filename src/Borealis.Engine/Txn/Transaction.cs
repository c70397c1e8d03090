namespace Borealis.Engine.Txn;

public enum IsolationLevel
{
    /// <summary>A new snapshot per statement; a concurrently updated row is waited for, then re-checked at its newest version (EvalPlanQual).</summary>
    ReadCommitted = 0,
    /// <summary>One snapshot for the whole transaction; updating a row changed by a concurrent committed transaction fails with 40001.</summary>
    RepeatableRead = 1,
    /// <summary>RepeatableRead plus commit-time validation of the read set (<see cref="SerializableValidator"/>): no anomaly among SERIALIZABLE transactions.</summary>
    Serializable = 2,
}

public enum TxnState
{
    Active,
    Committed,
    Aborted,
}

/// <summary>
/// One transaction on the writer, created by <see cref="TxnManager.Begin"/>. Used by one session
/// at a time (not thread-safe); the manager reads <see cref="WaitingFor"/> and the xid entries
/// under its own locks.
/// <para>
/// Xids are assigned lazily (<see cref="TxnManager.AssignXidAsync"/>): a transaction that only
/// reads never takes one. Savepoint levels form a stack; level 0 is the top transaction. A
/// level's xid is assigned after its parents', so every subtransaction xid is above the top xid.
/// </para>
/// </summary>
public sealed class Transaction
{
    internal readonly TxnManager Manager;
    internal readonly List<Level> Levels = [new Level()];
    /// <summary>Every xid this transaction took, ascending, with its level and whether it was rolled back.</summary>
    internal readonly List<OwnXid> Xids = [];
    /// <summary>Rows this transaction added a hold on (released at the end, or from a savepoint's mark on ROLLBACK TO).</summary>
    internal readonly List<RowId> RowLocks = [];
    internal readonly PredicateSet Reads = new();
    internal readonly PredicateSet Writes = new();
    /// <summary>Guarded by the row-lock table's lock: the row this transaction is first in line for, if any.</summary>
    internal RowId? ClaimedRow;
    /// <summary>Guarded by the manager's wait-graph lock: the transaction this one waits for.</summary>
    internal Transaction? WaitingFor;
    private uint _commandId;

    internal struct Level
    {
        public ulong Xid;
        public int RowLockMark;
    }

    internal struct OwnXid
    {
        public ulong Xid;
        public int Level;
        public bool Aborted;
        public XidEntry Entry;
    }

    internal Transaction(TxnManager manager, IsolationLevel isolation, long id, TimeSpan lockTimeout)
    {
        Manager = manager;
        Isolation = isolation;
        Id = id;
        LockTimeout = lockTimeout;
    }

    public IsolationLevel Isolation { get; }
    /// <summary>A process-local number for diagnostics (every transaction has one, xid or not).</summary>
    public long Id { get; }
    public TxnState State { get; internal set; }
    /// <summary>lock_timeout for this transaction's waits (Timeout.InfiniteTimeSpan = wait forever).</summary>
    public TimeSpan LockTimeout { get; set; }
    /// <summary>The top-level xid, 0 until the transaction first writes.</summary>
    public ulong TopXid => Levels[0].Xid;
    /// <summary>The xid the current savepoint level writes with (0 = not assigned yet).</summary>
    public ulong CurrentXid => Levels[^1].Xid;
    public int SavepointDepth => Levels.Count - 1;
    /// <summary>The command id stamped as cmin/cmax by the current statement.</summary>
    public uint CommandId => _commandId;
    /// <summary>Read LSN of the current snapshot (0 = none taken yet). RR/SERIALIZABLE keep the first.</summary>
    public ulong SnapshotLsn { get; internal set; }
    /// <summary>The commit LSN once committed with writes (0 otherwise).</summary>
    public ulong CommitLsn { get; internal set; }
    public bool HasXid => Levels[0].Xid != 0;

    /// <summary>Ends a command: what it wrote becomes visible to the transaction's next commands.</summary>
    public void CommandCounterIncrement()
    {
        if (_commandId == uint.MaxValue) throw new TxnException(SqlStates.ProgramLimitExceeded, "cannot have more than 2^32-1 commands in a transaction");
        _commandId++;
    }

    /// <summary>
    /// True when <paramref name="xid"/> is one of this transaction's xids that is not rolled back:
    /// its changes are "ours" (visible subject to command ids). The visibility hot path.
    /// </summary>
    public bool IsOwnLive(ulong xid)
    {
        var top = Levels[0].Xid;
        if (xid < top || top == 0) return false;
        if (xid == top) return true;
        var list = Xids;
        for (int i = list.Count - 1; i >= 0; i--)
        {
            var x = list[i];
            if (x.Xid == xid) return !x.Aborted;
            if (x.Xid < xid) return false;
        }
        return false;
    }

    /// <summary>True when <paramref name="xid"/> belongs to this transaction (live or rolled back).</summary>
    public bool IsOwn(ulong xid)
    {
        foreach (var x in Xids) if (x.Xid == xid) return true;
        return false;
    }

    /// <summary>SERIALIZABLE: records that the transaction read page <paramref name="page"/> of <paramref name="relation"/> (any key on it).</summary>
    public void RecordRead(ulong relation, ulong page)
    {
        if (Isolation == IsolationLevel.Serializable) Reads.Add(new PredicateTarget(relation, page));
    }

    /// <summary>SERIALIZABLE: records a read of a whole relation (a scan or a predicate not bound to pages).</summary>
    public void RecordRelationRead(ulong relation)
    {
        if (Isolation == IsolationLevel.Serializable) Reads.Add(new PredicateTarget(relation, PredicateTarget.WholeRelation));
    }

    /// <summary>Records that the transaction changed page <paramref name="page"/> of <paramref name="relation"/> (every isolation level: SERIALIZABLE readers validate against it).</summary>
    public void RecordWrite(ulong relation, ulong page) => Writes.Add(new PredicateTarget(relation, page));

    internal void EnsureActive()
    {
        if (State != TxnState.Active)
            throw new TxnException(SqlStates.InvalidTransactionState, $"transaction {Id} is {State.ToString().ToLowerInvariant()}");
    }

    public override string ToString() => $"txn {Id} (xid {TopXid}, {Isolation}, {State})";
}

/// <summary>
/// The in-memory lock of one xid: waiters await <see cref="Done"/>, completed when the xid ends
/// (its subtransaction rolled back, or its top transaction finished: commit durable, or abort).
/// </summary>
internal sealed class XidEntry(ulong xid, Transaction owner)
{
    public readonly ulong Xid = xid;
    public readonly Transaction Owner = owner;
    public readonly TaskCompletionSource Done = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
