namespace Borealis.Engine.Txn;

/// <summary>Flags the heap derives from a tuple's infomask for visibility.</summary>
[Flags]
public enum TupleXactFlags : byte
{
    None = 0,
    /// <summary>xmax only locked the row (FOR UPDATE: an exclusive row lock), it did not delete or update it.</summary>
    XmaxLockOnly = 1,
    /// <summary>xmin is known committed and visible to every snapshot (frozen by vacuum).</summary>
    XminFrozen = 2,
}

/// <summary>The transaction fields of a tuple version header, as the heap stores them.</summary>
public readonly record struct TupleXact(ulong Xmin, ulong Xmax, uint Cmin, uint Cmax, TupleXactFlags Flags = TupleXactFlags.None);

public enum Visibility : byte
{
    Invisible = 0,
    Visible = 1,
    /// <summary>The status page of the xid returned in <c>pendingXid</c> is not cached: await <see cref="Snapshot.LoadStatusAsync"/> and check again.</summary>
    NeedStatus = 2,
}

/// <summary>
/// A snapshot: a read LSN, plus the reading transaction's own xids and current command id.
/// <para>
/// Rule (PostgreSQL's HeapTupleSatisfiesMVCC over commit LSNs instead of xid lists): a version
/// is visible iff its insert is visible and its delete is not. An xid's change is visible iff the
/// xid is ours and live and its command id is below ours (cmin &lt; CommandId for inserts; a
/// delete by our command c hides the row from commands after c), or the xid committed at an LSN
/// ≤ ReadLsn. Everything else — in progress, aborted, rolled back to a savepoint, belonging to a
/// crashed writer (status 0 forever), or committed after the read point — is not visible. Because
/// a commit status is set once and only compared with ReadLsn, the answer does not depend on how
/// much newer than ReadLsn the status page is: the writer's cached page and a page storage built
/// at any LSN ≥ ReadLsn decide alike, and commits appear in commit-LSN order everywhere.
/// </para>
/// A value type: copying it and checking visibility allocate nothing.
/// </summary>
public readonly struct Snapshot
{
    private readonly XactStore _store;
    private readonly Transaction? _owner;

    public Snapshot(XactStore store, ulong readLsn, Transaction? owner, uint commandId)
    {
        _store = store;
        ReadLsn = readLsn;
        _owner = owner;
        CommandId = commandId;
    }

    /// <summary>A snapshot of a reader instance (or any transaction-less reader) at read point <paramref name="readLsn"/>.</summary>
    public static Snapshot AtReadPoint(XactStore store, ulong readLsn) => new(store, readLsn, null, 0);

    public ulong ReadLsn { get; }
    public uint CommandId { get; }
    public Transaction? Owner => _owner;
    public bool IsEmpty => _store is null;

    /// <summary>Decides whether the version with header <paramref name="t"/> is visible (see the type's remarks).</summary>
    public Visibility Check(in TupleXact t, out ulong pendingXid)
    {
        pendingXid = 0;
        // Insert.
        if ((t.Flags & TupleXactFlags.XminFrozen) == 0 && t.Xmin != Xids.Frozen)
        {
            if (_owner is not null && _owner.IsOwnLive(t.Xmin))
            {
                if (t.Cmin >= CommandId) return Visibility.Invisible;
                // Inserted by an earlier command of ours; deleted by us?
                if (t.Xmax == Xids.Invalid || (t.Flags & TupleXactFlags.XmaxLockOnly) != 0) return Visibility.Visible;
                if (_owner.IsOwnLive(t.Xmax)) return t.Cmax >= CommandId ? Visibility.Visible : Visibility.Invisible;
                return Visibility.Visible; // xmax is a rolled-back subtransaction of ours (nobody else can delete our uncommitted row)
            }
            if (!_store.TryGetStatus(t.Xmin, out ulong s)) { pendingXid = t.Xmin; return Visibility.NeedStatus; }
            if (!Xids.IsCommitted(s) || s > ReadLsn) return Visibility.Invisible;
        }
        // Delete.
        if (t.Xmax == Xids.Invalid || (t.Flags & TupleXactFlags.XmaxLockOnly) != 0) return Visibility.Visible;
        if (_owner is not null && _owner.IsOwnLive(t.Xmax)) return t.Cmax >= CommandId ? Visibility.Visible : Visibility.Invisible;
        if (!_store.TryGetStatus(t.Xmax, out ulong d)) { pendingXid = t.Xmax; return Visibility.NeedStatus; }
        return Xids.IsCommitted(d) && d <= ReadLsn ? Visibility.Invisible : Visibility.Visible;
    }

    /// <summary>Reads the status page of <paramref name="xid"/> into the pool after <see cref="Check"/> said <see cref="Visibility.NeedStatus"/>.</summary>
    public async ValueTask LoadStatusAsync(ulong xid, CancellationToken ct = default) =>
        await _store.GetStatusAsync(xid, ct).ConfigureAwait(false);

    /// <summary><see cref="Check"/> that reads status pages as needed.</summary>
    public async ValueTask<bool> IsVisibleAsync(TupleXact t, CancellationToken ct = default)
    {
        while (true)
        {
            var v = Check(t, out ulong pending);
            if (v != Visibility.NeedStatus) return v == Visibility.Visible;
            await LoadStatusAsync(pending, ct).ConfigureAwait(false);
        }
    }
}
