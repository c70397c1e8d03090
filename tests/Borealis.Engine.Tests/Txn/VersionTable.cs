using Borealis.Engine.Txn;

namespace Borealis.Engine.Tests.Txn;

/// <summary>
/// A tiny in-memory "table" of version chains, driven through the transaction API the way the
/// heap will drive it: visibility through <see cref="Snapshot.Check"/>, writers through
/// <see cref="TxnManager.TryLockTuple"/> under a latch and <see cref="TxnManager.WaitForXidAsync"/>
/// outside it, READ COMMITTED's EvalPlanQual by following the chain to the newest version.
/// Each key is one row (and its own "page" for SERIALIZABLE read/write sets).
/// </summary>
internal sealed class VersionTable(TxnManager txm, ulong relation)
{
    private sealed class Version
    {
        public TupleXact H;
        public int Value;
        public Version? Next;
        public ulong Tid;
    }

    private readonly Lock _latch = new();
    private readonly Dictionary<int, Version> _heads = [];
    private ulong _nextTid = 1;

    public ulong Relation => relation;

    /// <summary>A row every snapshot sees (frozen).</summary>
    public void Seed(int key, int value)
    {
        lock (_latch) _heads[key] = new Version { H = new TupleXact(Xids.Frozen, 0, 0, 0), Value = value, Tid = _nextTid++ };
    }

    public IReadOnlyList<int> Keys { get { lock (_latch) return [.. _heads.Keys]; } }

    public async ValueTask InsertAsync(Transaction tx, int key, int value)
    {
        ulong xid = await txm.AssignXidAsync(tx);
        lock (_latch)
        {
            var v = new Version { H = new TupleXact(xid, 0, tx.CommandId, 0), Value = value, Tid = _nextTid++ };
            if (!_heads.TryGetValue(key, out var head)) _heads[key] = v;
            else
            {
                while (head.Next is not null) head = head.Next;
                head.Next = v;
            }
        }
        tx.RecordWrite(relation, (ulong)key);
    }

    /// <summary>SELECT value WHERE key = k.</summary>
    public async ValueTask<int?> ReadAsync(Transaction tx, Snapshot snap, int key)
    {
        tx.RecordRead(relation, (ulong)key);
        while (true)
        {
            Version? v;
            ulong pending;
            lock (_latch) v = FindVisible(snap, key, out pending);
            if (pending == 0) return v?.Value;
            await snap.LoadStatusAsync(pending);
        }
    }

    /// <summary>SELECT sum(value), count(*) over the whole table (a relation-level read).</summary>
    public async ValueTask<(int Sum, int Count)> SumAsync(Transaction tx, Snapshot snap)
    {
        tx.RecordRelationRead(relation);
        int sum = 0, count = 0;
        foreach (var k in Keys)
        {
            while (true)
            {
                Version? v;
                ulong pending;
                lock (_latch) v = FindVisible(snap, k, out pending);
                if (pending != 0) { await snap.LoadStatusAsync(pending); continue; }
                if (v is not null) { sum += v.Value; count++; }
                break;
            }
        }
        return (sum, count);
    }

    /// <summary>
    /// UPDATE SET value = f(value) WHERE key = k. Returns false when no row is visible. Raises
    /// 40001 (REPEATABLE READ, SERIALIZABLE) on a concurrent update, 40P01 / 55P03 from waits.
    /// </summary>
    public async ValueTask<bool> UpdateAsync(Transaction tx, Snapshot snap, int key, Func<int, int> f)
    {
        ulong xid = await txm.AssignXidAsync(tx);
        tx.RecordRead(relation, (ulong)key);
        Version? target = null;
        while (true)
        {
            TupleLockResult r;
            ulong wait;
            lock (_latch)
            {
                if (target is null)
                {
                    target = FindVisible(snap, key, out ulong pending);
                    if (pending != 0) { r = TupleLockResult.NeedStatus; wait = pending; goto Outside; }
                    if (target is null) return false;
                }
                r = txm.TryLockTuple(tx, new RowId(relation, target.Tid), target.H, RowLockMode.Exclusive, out wait);
                switch (r)
                {
                    case TupleLockResult.Locked:
                        var nv = new Version { H = new TupleXact(xid, 0, tx.CommandId, 0), Value = f(target.Value), Tid = _nextTid++ };
                        target.H = target.H with { Xmax = xid, Cmax = tx.CommandId, Flags = target.H.Flags & ~TupleXactFlags.XmaxLockOnly };
                        target.Next = nv;
                        tx.RecordWrite(relation, (ulong)key);
                        return true;
                    case TupleLockResult.Updated:
                        TxnManager.OnConcurrentUpdate(tx); // 40001 unless READ COMMITTED
                        target = target.Next;               // EvalPlanQual: the newest version (no quals to re-check here)
                        if (target is null) return false;
                        continue;
                    case TupleLockResult.SelfModified:
                        return false;
                }
            }
        Outside:
            if (r == TupleLockResult.WouldBlock) await txm.WaitForXidAsync(tx, wait);
            else if (r == TupleLockResult.NeedStatus) await snap.LoadStatusAsync(wait);
        }
    }

    private Version? FindVisible(in Snapshot snap, int key, out ulong pending)
    {
        pending = 0;
        if (!_heads.TryGetValue(key, out var v)) return null;
        for (; v is not null; v = v.Next)
        {
            var r = snap.Check(v.H, out pending);
            if (r == Visibility.NeedStatus) return null;
            if (r == Visibility.Visible) return v;
        }
        return null;
    }
}
