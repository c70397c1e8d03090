using Borealis.Engine.Txn;

namespace Borealis.Engine.Tests.Txn;

public class LockTests
{
    /// <summary>Row headers as the heap keeps them: an exclusive lock is written into xmax (lock-only) under the latch.</summary>
    private sealed class Rows(TxnManager m)
    {
        private readonly Dictionary<RowId, TupleXact> _headers = [];
        private readonly Lock _latch = new();

        public TxnManager Manager => m;

        public TupleLockResult Try(Transaction tx, RowId row, RowLockMode mode, out ulong wait)
        {
            lock (_latch)
            {
                var h = _headers.GetValueOrDefault(row, new TupleXact(Xids.Frozen, 0, 0, 0));
                var r = m.TryLockTuple(tx, row, h, mode, out wait);
                if (r == TupleLockResult.Locked && mode == RowLockMode.Exclusive && !tx.IsOwnLive(h.Xmax))
                    _headers[row] = h with { Xmax = tx.CurrentXid, Flags = TupleXactFlags.XmaxLockOnly };
                return r;
            }
        }
    }

    private static async Task<Transaction> Locked(Rows rows, RowId row, RowLockMode mode = RowLockMode.Exclusive)
    {
        var tx = rows.Manager.Begin();
        await rows.Manager.AssignXidAsync(tx);
        Assert.Equal(TupleLockResult.Locked, rows.Try(tx, row, mode, out _));
        return tx;
    }

    /// <summary>Locks <paramref name="row"/>, waiting as the heap would.</summary>
    private static async Task LockWaiting(Rows rows, Transaction tx, RowId row, RowLockMode mode = RowLockMode.Exclusive)
    {
        var m = rows.Manager;
        await m.AssignXidAsync(tx);
        while (true)
        {
            var r = rows.Try(tx, row, mode, out ulong wait);
            if (r == TupleLockResult.Locked) return;
            Assert.Equal(TupleLockResult.WouldBlock, r);
            await m.WaitForXidAsync(tx, wait);
        }
    }

    [Fact]
    public async Task SharersCoexistAnExclusiveWaitsAndGetsTheRowWhenTheyEnd()
    {
        var f = await TxnFixture.CreateAsync();
        var m = f.Txm;
        var rows = new Rows(m);
        var row = new RowId(1, 1);
        var s1 = await Locked(rows, row, RowLockMode.Share);
        var s2 = await Locked(rows, row, RowLockMode.Share);
        var w = m.Begin();
        var wait = LockWaiting(rows, w, row);
        await Task.Delay(20);
        Assert.False(wait.IsCompleted);
        await m.CommitAsync(s1);
        await Task.Delay(20);
        Assert.False(wait.IsCompleted);
        await m.RollbackAsync(s2);
        await wait.WaitAsync(TimeSpan.FromSeconds(10));
        // The row is now exclusively held: a new sharer would block.
        var s3 = m.Begin();
        await m.AssignXidAsync(s3);
        Assert.Equal(TupleLockResult.WouldBlock, rows.Try(s3, row, RowLockMode.Share, out ulong holder));
        Assert.Equal(w.TopXid, holder);
        await m.CommitAsync(w);
        Assert.Equal(TupleLockResult.Locked, rows.Try(s3, row, RowLockMode.Share, out _));
        await m.CommitAsync(s3);
        Assert.Equal(0, m.LockedRows);
    }

    [Fact]
    public async Task AnInProgressUpdaterIsWaitedForThenReportedAsUpdatedOrGone()
    {
        var f = await TxnFixture.CreateAsync();
        var m = f.Txm;
        var rows = new Rows(m);
        var updater = m.Begin();
        ulong u = await m.AssignXidAsync(updater);
        var me = m.Begin(IsolationLevel.RepeatableRead);
        m.StatementSnapshot(me);
        await m.AssignXidAsync(me);
        var header = new TupleXact(Xids.Frozen, u, 0, 0);
        Assert.Equal(TupleLockResult.WouldBlock, m.TryLockTuple(me, new RowId(1, 1), header, RowLockMode.Exclusive, out ulong w));
        Assert.Equal(u, w);
        var wait = m.WaitForXidAsync(me, u).AsTask();
        Assert.False(wait.IsCompleted);
        await m.CommitAsync(updater);
        await wait.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(TupleLockResult.Updated, m.TryLockTuple(me, new RowId(1, 1), header, RowLockMode.Exclusive, out _));
        var ex = Assert.Throws<TxnException>(() => TxnManager.OnConcurrentUpdate(me));
        Assert.Equal("40001", ex.SqlState);
        TxnManager.OnConcurrentUpdate(m.Begin()); // READ COMMITTED: EvalPlanQual instead

        // An aborted updater and a lock-only xmax are no obstacle; our own update is SelfModified.
        var aborter = m.Begin();
        ulong a = await m.AssignXidAsync(aborter);
        await m.RollbackAsync(aborter);
        Assert.Equal(TupleLockResult.Locked, m.TryLockTuple(me, new RowId(1, 2), header with { Xmax = a }, RowLockMode.Exclusive, out _));
        Assert.Equal(TupleLockResult.Locked, m.TryLockTuple(me, new RowId(1, 3), header with { Flags = TupleXactFlags.XmaxLockOnly }, RowLockMode.Exclusive, out _));
        Assert.Equal(TupleLockResult.SelfModified, m.TryLockTuple(me, new RowId(1, 4), header with { Xmax = me.TopXid }, RowLockMode.Exclusive, out _));
        await m.RollbackAsync(me);
    }

    [Fact]
    public async Task LockTimeoutRaises55P03()
    {
        var f = await TxnFixture.CreateAsync(options: new TxnOptions { LockTimeout = TimeSpan.FromMilliseconds(60) });
        var m = f.Txm;
        var rows = new Rows(m);
        var row = new RowId(1, 1);
        var holder = await Locked(rows, row);
        var w = m.Begin();
        Assert.Equal(TimeSpan.FromMilliseconds(60), w.LockTimeout);
        var started = System.Diagnostics.Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<TxnException>(() => LockWaiting(rows, w, row));
        Assert.Equal("55P03", ex.SqlState);
        Assert.True(started.ElapsedMilliseconds >= 50, $"timed out after {started.ElapsedMilliseconds} ms");
        await m.RollbackAsync(w);
        // NOWAIT: zero timeout fails at once.
        var nowait = m.Begin();
        nowait.LockTimeout = TimeSpan.Zero;
        ex = await Assert.ThrowsAsync<TxnException>(() => LockWaiting(rows, nowait, row));
        Assert.Equal("55P03", ex.SqlState);
        await m.RollbackAsync(nowait);
        await m.CommitAsync(holder);
    }

    [Fact]
    public async Task DeadlockOfTwoTheOneThatClosesTheCycleIsTheVictim()
    {
        var f = await TxnFixture.CreateAsync();
        var m = f.Txm;
        var rows = new Rows(m);
        RowId r1 = new(1, 1), r2 = new(1, 2);
        var t1 = await Locked(rows, r1);
        var t2 = await Locked(rows, r2);
        var w1 = LockWaiting(rows, t1, r2);
        await Task.Delay(20);
        Assert.False(w1.IsCompleted);
        var ex = await Assert.ThrowsAsync<TxnException>(() => LockWaiting(rows, t2, r1));
        Assert.Equal("40P01", ex.SqlState);
        Assert.True(ex.IsRetryable);
        Assert.False(w1.IsCompleted);
        await m.RollbackAsync(t2);
        await w1.WaitAsync(TimeSpan.FromSeconds(10));
        await m.CommitAsync(t1);
    }

    [Fact]
    public async Task ARetryingVictimQueuesBehindTheSurvivorInsteadOfOvertakingIt()
    {
        var f = await TxnFixture.CreateAsync();
        var m = f.Txm;
        var rows = new Rows(m);
        RowId r1 = new(1, 1), r2 = new(1, 2);
        var t1 = await Locked(rows, r1);
        var t2 = await Locked(rows, r2);
        Assert.Equal(TupleLockResult.WouldBlock, rows.Try(t1, r2, RowLockMode.Exclusive, out ulong w1));
        Assert.Equal(t2.TopXid, w1);
        var survivor = m.WaitForXidAsync(t1, w1).AsTask();
        await Assert.ThrowsAsync<TxnException>(() => LockWaiting(rows, t2, r1));
        await m.RollbackAsync(t2);
        // The victim retries at once, before the survivor has re-checked: it must queue behind t1's claim.
        var retry = m.Begin();
        await m.AssignXidAsync(retry);
        Assert.Equal(TupleLockResult.WouldBlock, rows.Try(retry, r2, RowLockMode.Exclusive, out ulong claim));
        Assert.True(claim >= 1UL << 63, $"waits for {claim}, not for t1's claim");
        var retryWait = m.WaitForXidAsync(retry, claim).AsTask();
        await survivor.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(TupleLockResult.Locked, rows.Try(t1, r2, RowLockMode.Exclusive, out _));
        await retryWait.WaitAsync(TimeSpan.FromSeconds(10)); // the claim ended: now it queues behind the holder
        Assert.Equal(TupleLockResult.WouldBlock, rows.Try(retry, r2, RowLockMode.Exclusive, out ulong holder));
        Assert.Equal(t1.TopXid, holder);
        await m.CommitAsync(t1);
        Assert.Equal(TupleLockResult.Locked, rows.Try(retry, r2, RowLockMode.Exclusive, out _));
        await m.CommitAsync(retry);
        Assert.Equal(0, m.LockedRows);
    }

    [Fact]
    public async Task ACancelledWaitRaises57014()
    {
        var f = await TxnFixture.CreateAsync();
        var m = f.Txm;
        var rows = new Rows(m);
        var holder = await Locked(rows, new RowId(1, 1));
        var w = m.Begin();
        using var cts = new CancellationTokenSource(30);
        var ex = await Assert.ThrowsAsync<TxnException>(async () => await m.WaitForXidAsync(w, holder.TopXid, cts.Token));
        Assert.Equal("57014", ex.SqlState);
        await m.CommitAsync(holder);
        await m.CommitAsync(w);
    }

    [Fact]
    public async Task DeadlockOfThree()
    {
        var f = await TxnFixture.CreateAsync();
        var m = f.Txm;
        var rows = new Rows(m);
        RowId r1 = new(1, 1), r2 = new(1, 2), r3 = new(1, 3);
        var t1 = await Locked(rows, r1);
        var t2 = await Locked(rows, r2);
        var t3 = await Locked(rows, r3);
        var w1 = LockWaiting(rows, t1, r2);
        var w2 = LockWaiting(rows, t2, r3);
        await Task.Delay(20);
        var ex = await Assert.ThrowsAsync<TxnException>(() => LockWaiting(rows, t3, r1));
        Assert.Equal("40P01", ex.SqlState);
        Assert.False(w1.IsCompleted || w2.IsCompleted);
        await m.RollbackAsync(t3);
        await w2.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(w1.IsCompleted);
        await m.CommitAsync(t2);
        await w1.WaitAsync(TimeSpan.FromSeconds(10));
        await m.CommitAsync(t1);
    }

    [Fact]
    public async Task WaitersBlockNoThread()
    {
        var f = await TxnFixture.CreateAsync();
        var m = f.Txm;
        var rows = new Rows(m);
        var holder = m.Begin();
        ulong x = await m.AssignXidAsync(holder);
        // 500 waiters started from this one thread: each call returns at once with a pending task.
        var waits = new List<Task>();
        var txs = new List<Transaction>();
        for (int i = 0; i < 500; i++)
        {
            var t = m.Begin();
            txs.Add(t);
            var w = m.WaitForXidAsync(t, x).AsTask();
            Assert.False(w.IsCompleted);
            waits.Add(w);
        }
        Assert.True(ThreadPool.ThreadCount < 100, $"{ThreadPool.ThreadCount} pool threads");
        await m.CommitAsync(holder);
        await Task.WhenAll(waits).WaitAsync(TimeSpan.FromSeconds(10));
        foreach (var t in txs) await m.CommitAsync(t);
    }

    [Fact]
    public async Task RollbackToSavepointReleasesItsLocksAndWakesWaiters()
    {
        var f = await TxnFixture.CreateAsync();
        var m = f.Txm;
        var rows = new Rows(m);
        RowId r1 = new(1, 1), r2 = new(1, 2);
        var t = m.Begin();
        await LockWaiting(rows, t, r1);
        int d = TxnManager.Savepoint(t);
        ulong sub = await m.AssignXidAsync(t);
        Assert.NotEqual(t.TopXid, sub);
        await LockWaiting(rows, t, r2);
        await LockWaiting(rows, t, r1); // already held by the parent level

        var other = m.Begin();
        var wait2 = LockWaiting(rows, other, r2);
        await Task.Delay(20);
        Assert.False(wait2.IsCompleted);
        await m.RollbackToSavepointAsync(t, d);
        await wait2.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(XidState.Aborted, (await m.GetXidStateAsync(sub)).State);
        Assert.Equal(XidState.InProgress, (await m.GetXidStateAsync(t.TopXid)).State);
        // r1 is still the parent's.
        var other2 = m.Begin();
        await m.AssignXidAsync(other2);
        Assert.Equal(TupleLockResult.WouldBlock, rows.Try(other2, r1, RowLockMode.Share, out ulong h));
        Assert.Equal(t.TopXid, h);
        await m.CommitAsync(t);
        await m.CommitAsync(other);
        await m.CommitAsync(other2);
        Assert.Equal(0, m.LockedRows);
    }
}
