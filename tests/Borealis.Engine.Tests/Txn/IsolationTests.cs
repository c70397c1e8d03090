using Borealis.Engine.Txn;

namespace Borealis.Engine.Tests.Txn;

/// <summary>The isolation rules on a tiny in-memory table of version chains (<see cref="VersionTable"/>).</summary>
public class IsolationTests
{
    /// <summary>Runs <paramref name="body"/> as one transaction, retrying on 40001 / 40P01. Returns the number of retries.</summary>
    private static async Task<int> RunAsync(TxnManager m, IsolationLevel level, Func<Transaction, Task> body)
    {
        for (int retries = 0; ; retries++)
        {
            var tx = m.Begin(level);
            try
            {
                await body(tx);
                await m.CommitAsync(tx);
                return retries;
            }
            catch (TxnException e) when (e.IsRetryable)
            {
                if (Environment.GetEnvironmentVariable("TXN_DEBUG") is not null) Console.WriteLine($"retry {level}: {e.SqlState} {e.Message}");
                await m.RollbackAsync(tx);
                if (retries > 10_000) throw;
            }
        }
    }

    /// <summary>The next statement: bumps the command counter (after the first) and returns its snapshot.</summary>
    private static Snapshot Stmt(TxnManager m, Transaction tx, ref bool first)
    {
        if (!first) tx.CommandCounterIncrement();
        first = false;
        return m.StatementSnapshot(tx);
    }

    [Theory]
    [InlineData(IsolationLevel.ReadCommitted, 0)]
    [InlineData(IsolationLevel.RepeatableRead, 0)]
    [InlineData(IsolationLevel.Serializable, 0)]
    [InlineData(IsolationLevel.RepeatableRead, -1)]
    [InlineData(IsolationLevel.Serializable, -1)]
    public async Task BankTransfersKeepTheTotalForEverySnapshot(IsolationLevel level, int fixedSeed)
    {
        int seed = fixedSeed == 0 ? 4242 : Environment.TickCount;
        Console.WriteLine($"bank {level} seed {seed}");
        var f = await TxnFixture.CreateAsync();
        var m = f.Txm;
        var table = new VersionTable(m, relation: 7);
        const int Accounts = 6, Initial = 100, Workers = 4, Transfers = 60;
        for (int k = 0; k < Accounts; k++) table.Seed(k, Initial);
        int retries = 0, audits = 0;
        using var stop = new CancellationTokenSource();

        var workers = Enumerable.Range(0, Workers).Select(w => Task.Run(async () =>
        {
            var rnd = new Random(seed + w);
            for (int i = 0; i < Transfers; i++)
            {
                int a = rnd.Next(Accounts), b = (a + 1 + rnd.Next(Accounts - 1)) % Accounts, amount = rnd.Next(1, 30);
                int r = await RunAsync(m, level, async tx =>
                {
                    bool first = true;
                    if (level == IsolationLevel.ReadCommitted)
                    {
                        // UPDATE SET v = v - x: EvalPlanQual re-applies it to the newest version.
                        Assert.True(await table.UpdateAsync(tx, Stmt(m, tx, ref first), a, v => v - amount));
                        await Task.Yield();
                        Assert.True(await table.UpdateAsync(tx, Stmt(m, tx, ref first), b, v => v + amount));
                        return;
                    }
                    // Read, then write absolute values computed from what was read.
                    var s = Stmt(m, tx, ref first);
                    int va = (await table.ReadAsync(tx, s, a))!.Value;
                    int vb = (await table.ReadAsync(tx, s, b))!.Value;
                    await Task.Yield();
                    Assert.True(await table.UpdateAsync(tx, Stmt(m, tx, ref first), a, _ => va - amount));
                    await Task.Yield();
                    Assert.True(await table.UpdateAsync(tx, Stmt(m, tx, ref first), b, _ => vb + amount));
                });
                Interlocked.Add(ref retries, r);
            }
        })).ToArray();

        var auditor = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var tx = m.Begin(IsolationLevel.RepeatableRead);
                var s = m.StatementSnapshot(tx);
                int sum = 0;
                for (int k = 0; k < Accounts; k++)
                {
                    sum += (await table.ReadAsync(tx, s, k))!.Value;
                    await Task.Yield();
                }
                await m.CommitAsync(tx);
                Assert.Equal(Accounts * Initial, sum);
                Interlocked.Increment(ref audits);
            }
        });
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(60));
        stop.Cancel();
        await auditor;

        var check = m.Begin();
        var (total, count) = await table.SumAsync(check, m.StatementSnapshot(check));
        await m.CommitAsync(check);
        Assert.Equal(Accounts * Initial, total);
        Assert.Equal(Accounts, count);
        Assert.True(audits > 0);
        Assert.Equal(0, m.LockedRows);
        Console.WriteLine($"bank {level}: {retries} retries, {audits} audits");
    }

    [Theory]
    [InlineData(IsolationLevel.RepeatableRead)]
    [InlineData(IsolationLevel.Serializable)]
    public async Task NoLostUpdateOnReadModifyWrite(IsolationLevel level)
    {
        int seed = Environment.TickCount;
        Console.WriteLine($"lost-update {level} seed {seed}");
        var f = await TxnFixture.CreateAsync();
        var m = f.Txm;
        var table = new VersionTable(m, relation: 3);
        table.Seed(0, 0);
        const int Workers = 4, Increments = 40;
        int retries = 0;
        await Task.WhenAll(Enumerable.Range(0, Workers).Select(w => Task.Run(async () =>
        {
            var rnd = new Random(seed + w);
            for (int i = 0; i < Increments; i++)
            {
                retries += await RunAsync(m, level, async tx =>
                {
                    bool first = true;
                    int v = (await table.ReadAsync(tx, Stmt(m, tx, ref first), 0))!.Value;
                    if (rnd.Next(2) == 0) await Task.Yield();
                    Assert.True(await table.UpdateAsync(tx, Stmt(m, tx, ref first), 0, _ => v + 1));
                });
            }
        }))).WaitAsync(TimeSpan.FromSeconds(60));
        var check = m.Begin();
        Assert.Equal(Workers * Increments, await table.ReadAsync(check, m.StatementSnapshot(check), 0));
        await m.CommitAsync(check);
    }

    [Fact]
    public async Task ReadCommittedReappliesAnUpdateToTheNewestVersionAfterWaiting()
    {
        var f = await TxnFixture.CreateAsync();
        var m = f.Txm;
        var table = new VersionTable(m, relation: 3);
        table.Seed(0, 10);
        var t1 = m.Begin();
        Assert.True(await table.UpdateAsync(t1, m.StatementSnapshot(t1), 0, v => v + 1));
        var t2 = m.Begin();
        var s2 = m.StatementSnapshot(t2);
        var pending = table.UpdateAsync(t2, s2, 0, v => v * 2).AsTask();
        await Task.Delay(20);
        Assert.False(pending.IsCompleted);
        await m.CommitAsync(t1);
        Assert.True(await pending.WaitAsync(TimeSpan.FromSeconds(10)));
        await m.CommitAsync(t2);
        var r = m.Begin();
        Assert.Equal(22, await table.ReadAsync(r, m.StatementSnapshot(r), 0));
        await m.CommitAsync(r);
    }

    /// <summary>Two doctors on call; each goes off call if the other is still on. RR allows both (write skew), SERIALIZABLE does not.</summary>
    [Theory]
    [InlineData(IsolationLevel.RepeatableRead, false)]
    [InlineData(IsolationLevel.Serializable, true)]
    public async Task WriteSkewIsPreventedOnlyAtSerializable(IsolationLevel level, bool prevented)
    {
        var f = await TxnFixture.CreateAsync();
        var m = f.Txm;
        var table = new VersionTable(m, relation: 5);
        table.Seed(0, 1);
        table.Seed(1, 1);
        var t1 = m.Begin(level);
        var t2 = m.Begin(level);
        var s1 = m.StatementSnapshot(t1);
        var s2 = m.StatementSnapshot(t2);
        Assert.Equal(2, (await table.ReadAsync(t1, s1, 0))!.Value + (await table.ReadAsync(t1, s1, 1))!.Value);
        Assert.Equal(2, (await table.ReadAsync(t2, s2, 0))!.Value + (await table.ReadAsync(t2, s2, 1))!.Value);
        t1.CommandCounterIncrement();
        t2.CommandCounterIncrement();
        Assert.True(await table.UpdateAsync(t1, m.StatementSnapshot(t1), 0, _ => 0));
        Assert.True(await table.UpdateAsync(t2, m.StatementSnapshot(t2), 1, _ => 0));
        await m.CommitAsync(t1);
        if (prevented)
        {
            var ex = await Assert.ThrowsAsync<TxnException>(async () => await m.CommitAsync(t2));
            Assert.Equal("40001", ex.SqlState);
            Assert.Equal(TxnState.Aborted, t2.State);
        }
        else
        {
            await m.CommitAsync(t2);
        }
        var r = m.Begin();
        var s = m.StatementSnapshot(r);
        int onCall = (await table.ReadAsync(r, s, 0))!.Value + (await table.ReadAsync(r, s, 1))!.Value;
        await m.CommitAsync(r);
        Assert.Equal(prevented ? 1 : 0, onCall);
    }

    [Fact]
    public async Task SerializableCatchesAPhantomInsertIntoAScannedRelation()
    {
        var f = await TxnFixture.CreateAsync();
        var m = f.Txm;
        var table = new VersionTable(m, relation: 9);
        var log = new VersionTable(m, relation: 10);
        table.Seed(0, 5);
        var t1 = m.Begin(IsolationLevel.Serializable);
        var (sum, _) = await table.SumAsync(t1, m.StatementSnapshot(t1));
        var t2 = m.Begin(IsolationLevel.Serializable);
        await table.InsertAsync(t2, 1, 7);
        await m.CommitAsync(t2);
        t1.CommandCounterIncrement();
        await log.InsertAsync(t1, 0, sum); // writes a total that misses t2's row
        var ex = await Assert.ThrowsAsync<TxnException>(async () => await m.CommitAsync(t1));
        Assert.Equal("40001", ex.SqlState);
        // A read-only SERIALIZABLE transaction never fails: its snapshot is a prefix of the commit order.
        var ro = m.Begin(IsolationLevel.Serializable);
        await table.SumAsync(ro, m.StatementSnapshot(ro));
        var t3 = m.Begin(IsolationLevel.Serializable);
        await table.InsertAsync(t3, 2, 1);
        await m.CommitAsync(t3);
        await m.CommitAsync(ro);
    }

    [Fact]
    public async Task SerializableKeepsAnOnCallInvariantUnderConcurrency()
    {
        int seed = Environment.TickCount;
        Console.WriteLine($"on-call seed {seed}");
        var f = await TxnFixture.CreateAsync();
        var m = f.Txm;
        var table = new VersionTable(m, relation: 11);
        const int Doctors = 4;
        for (int k = 0; k < Doctors; k++) table.Seed(k, 1);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            var rnd = new Random(seed + w);
            for (int i = 0; i < 50; i++)
            {
                int me = rnd.Next(Doctors);
                await RunAsync(m, IsolationLevel.Serializable, async tx =>
                {
                    bool first = true;
                    var (onCall, _) = await table.SumAsync(tx, Stmt(m, tx, ref first));
                    Assert.True(onCall >= 1, $"invariant broken: {onCall} on call (seed {seed})");
                    await Task.Yield();
                    var s = Stmt(m, tx, ref first);
                    int mine = (await table.ReadAsync(tx, s, me))!.Value;
                    if (mine == 1 && onCall >= 2) await table.UpdateAsync(tx, Stmt(m, tx, ref first), me, _ => 0);
                    else if (mine == 0) await table.UpdateAsync(tx, Stmt(m, tx, ref first), me, _ => 1);
                });
            }
        }))).WaitAsync(TimeSpan.FromSeconds(60));
        var r = m.Begin();
        var (final, _) = await table.SumAsync(r, m.StatementSnapshot(r));
        await m.CommitAsync(r);
        Assert.True(final >= 1);
    }
}
