namespace Borealis.Engine.Txn;

/// <summary>What an xid means to vacuum at a horizon.</summary>
public enum XidFate : byte
{
    InProgress = 0,
    /// <summary>Rolled back or never finished: its inserts are dead to everyone, its deletes never happened.</summary>
    Aborted = 1,
    /// <summary>Committed at or below the horizon: every snapshot sees it (its inserts can be frozen, its deletes are dead to everyone).</summary>
    CommittedVisibleToAll = 2,
    /// <summary>Committed above the horizon: some snapshot may not see it yet.</summary>
    CommittedRecently = 3,
}

/// <summary>PostgreSQL's HTSV_Result: what vacuum may do with a version.</summary>
public enum TupleFate : byte
{
    /// <summary>Visible (or will be) and not deleted: keep.</summary>
    Live = 0,
    /// <summary>Invisible to every present and future snapshot: remove.</summary>
    Dead = 1,
    /// <summary>Deleted by a commit some snapshot may not see yet: keep for now.</summary>
    RecentlyDead = 2,
    InsertInProgress = 3,
    DeleteInProgress = 4,
}

/// <summary>
/// The vacuum horizon: the min read point (oldest writer snapshot, oldest announced reader read
/// point, else VDL) at the time it was taken. A version whose delete committed at or below it is
/// dead to everyone, because every snapshot in use or to come reads at or above it. Taken by
/// <see cref="TxnManager.GetVacuumHorizon"/>; a value, cheap to copy.
/// </summary>
public readonly struct VacuumHorizon
{
    private readonly TxnManager _manager;

    internal VacuumHorizon(TxnManager manager, ulong horizon)
    {
        _manager = manager;
        Horizon = horizon;
    }

    public ulong Horizon { get; }

    public async ValueTask<XidFate> FateAsync(ulong xid, CancellationToken ct = default)
    {
        if (xid == Xids.Frozen) return XidFate.CommittedVisibleToAll;
        if (xid == Xids.Invalid) return XidFate.Aborted;
        var (state, lsn) = await _manager.GetXidStateAsync(xid, ct).ConfigureAwait(false);
        return state switch
        {
            XidState.InProgress => XidFate.InProgress,
            XidState.Aborted => XidFate.Aborted,
            _ => lsn <= Horizon ? XidFate.CommittedVisibleToAll : XidFate.CommittedRecently,
        };
    }

    /// <summary>True when <paramref name="xid"/>'s effects are final for every snapshot (committed at or below the horizon, or aborted).</summary>
    public async ValueTask<bool> IsSettledForEveryoneAsync(ulong xid, CancellationToken ct = default) =>
        await FateAsync(xid, ct).ConfigureAwait(false) is XidFate.CommittedVisibleToAll or XidFate.Aborted;

    public async ValueTask<TupleFate> ClassifyAsync(TupleXact t, CancellationToken ct = default)
    {
        if ((t.Flags & TupleXactFlags.XminFrozen) == 0)
        {
            switch (await FateAsync(t.Xmin, ct).ConfigureAwait(false))
            {
                case XidFate.Aborted: return TupleFate.Dead;
                case XidFate.InProgress: return TupleFate.InsertInProgress;
            }
        }
        if (t.Xmax == Xids.Invalid || (t.Flags & TupleXactFlags.XmaxLockOnly) != 0) return TupleFate.Live;
        return await FateAsync(t.Xmax, ct).ConfigureAwait(false) switch
        {
            XidFate.InProgress => TupleFate.DeleteInProgress,
            XidFate.Aborted => TupleFate.Live,
            XidFate.CommittedVisibleToAll => TupleFate.Dead,
            _ => TupleFate.RecentlyDead,
        };
    }
}
