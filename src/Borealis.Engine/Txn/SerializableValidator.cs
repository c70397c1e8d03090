namespace Borealis.Engine.Txn;

/// <summary>
/// What a SERIALIZABLE read or any write touched: a page of a relation (heap page, B+tree leaf),
/// or a whole relation (<see cref="WholeRelation"/>) for scans and predicates not bound to pages.
/// A write always names a page; a whole-relation read conflicts with every write to the relation.
/// </summary>
public readonly record struct PredicateTarget(ulong Relation, ulong Page)
{
    public const ulong WholeRelation = ulong.MaxValue;
}

/// <summary>A set of <see cref="PredicateTarget"/>s; whole-relation reads are kept apart so a page write is checked with two lookups.</summary>
internal sealed class PredicateSet
{
    private HashSet<PredicateTarget>? _pages;
    private HashSet<ulong>? _relations;

    public bool IsEmpty => (_pages is null || _pages.Count == 0) && (_relations is null || _relations.Count == 0);
    public int Count => (_pages?.Count ?? 0) + (_relations?.Count ?? 0);

    public void Add(PredicateTarget t)
    {
        if (t.Page == PredicateTarget.WholeRelation) (_relations ??= []).Add(t.Relation);
        else (_pages ??= []).Add(t);
    }

    public bool Covers(PredicateTarget write) =>
        (_relations is not null && _relations.Contains(write.Relation)) || (_pages is not null && _pages.Contains(write));

    /// <summary>True when a write of <paramref name="writes"/> falls in this read set.</summary>
    public bool Intersects(PredicateSet writes)
    {
        if (writes._pages is not null)
            foreach (var w in writes._pages) if (Covers(w)) return true;
        if (writes._relations is not null && (_relations is not null || _pages is not null))
            foreach (var r in writes._relations)
            {
                if (_relations is not null && _relations.Contains(r)) return true;
                if (_pages is not null) foreach (var p in _pages) if (p.Relation == r) return true;
            }
        return false;
    }

    public void Clear()
    {
        _pages?.Clear();
        _relations?.Clear();
    }

    /// <summary>Moves the content out (the transaction's sets are handed to the committed-writes log).</summary>
    public PredicateSet Detach()
    {
        var copy = new PredicateSet { _pages = _pages, _relations = _relations };
        _pages = null;
        _relations = null;
        return copy;
    }
}

/// <summary>
/// SERIALIZABLE as snapshot reads plus backward validation at commit (optimistic concurrency
/// control in the Kung–Robinson style), chosen over PostgreSQL's SSI for its simpler state: no
/// rw-conflict graph, no SIREAD lock promotion, and no anomaly among SERIALIZABLE transactions.
/// <para>
/// Why it is serializable: the serial order is commit-LSN order. A committing SERIALIZABLE
/// transaction T with writes checks that no transaction that committed after T's snapshot
/// (commit LSN &gt; T's read LSN) wrote anything T read — page or relation granularity, so
/// phantoms (inserts into a scanned range) are caught too. Then everything T read was still
/// current at T's commit point, so T behaves as if it ran entirely at that point. Write-write
/// conflicts were already refused by the first-updater-wins rule (40001 on a concurrently
/// updated row). A transaction that wrote nothing needs no check: its snapshot is the state after
/// a prefix of the commit order, which is a serial state.
/// </para>
/// <para>
/// Validation, commit append and registering the write set happen under the manager's commit
/// gate, so a validating transaction sees every commit with a lower LSN. The log keeps write
/// sets of committed transactions only while some SERIALIZABLE snapshot, or a snapshot still to
/// be taken, could be older than them (<see cref="Prune"/>). Granularity note: a B+tree that
/// moves keys to a new page on a split must record range reads at relation granularity (or the
/// new page's writes would not meet the old page's reads).
/// </para>
/// Thread-safe (its own lock); the manager calls <see cref="Validate"/> and <see cref="Register"/>
/// under the commit gate so that validation and registration are atomic with the commit append.
/// </summary>
public sealed class SerializableValidator
{
    private readonly List<(ulong CommitLsn, PredicateSet Writes)> _log = [];
    private readonly Lock _lock = new();

    public int LoggedTransactions { get { lock (_lock) return _log.Count; } }

    /// <summary>True when no transaction committed after <paramref name="snapshotLsn"/> wrote something in <paramref name="reads"/>.</summary>
    internal bool Validate(ulong snapshotLsn, PredicateSet reads)
    {
        if (reads.IsEmpty) return true;
        lock (_lock)
        {
            for (int i = _log.Count - 1; i >= 0; i--)
            {
                var (lsn, writes) = _log[i];
                if (lsn <= snapshotLsn) break;
                if (reads.Intersects(writes)) return false;
            }
        }
        return true;
    }

    /// <summary>Adds a committed transaction's write set (commit LSNs arrive in increasing order under the commit gate).</summary>
    internal void Register(ulong commitLsn, PredicateSet writes)
    {
        if (writes.IsEmpty) return;
        lock (_lock) _log.Add((commitLsn, writes));
    }

    /// <summary>Drops write sets no present or future snapshot can be older than (commit LSN ≤ <paramref name="oldestSnapshot"/>).</summary>
    internal void Prune(ulong oldestSnapshot)
    {
        lock (_lock)
        {
            int n = 0;
            while (n < _log.Count && _log[n].CommitLsn <= oldestSnapshot) n++;
            if (n > 0) _log.RemoveRange(0, n);
        }
    }
}
