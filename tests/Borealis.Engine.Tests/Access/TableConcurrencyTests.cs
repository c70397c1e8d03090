using Borealis.Engine.Access;
using Borealis.Engine.BTree;
using Borealis.Engine.Txn;
using Xunit.Abstractions;

namespace Borealis.Engine.Tests.Access;

public sealed class TableConcurrencyTests(ITestOutputHelper output)
{
    private const int Accounts = 16;
    private const long Initial = 1000;

    private static async Task<AccessFixture> BankAsync()
    {
        var f = await AccessFixture.CreateAsync(frames: 40);
        var tx = f.Txm.Begin();
        for (int i = 0; i < Accounts; i++) await f.Table.InsertAsync(tx, AccessFixture.Row(i, Initial));
        await f.Txm.CommitAsync(tx);
        return f;
    }

    [Theory]
    [InlineData(IsolationLevel.ReadCommitted)]
    [InlineData(IsolationLevel.RepeatableRead)]
    [InlineData(IsolationLevel.Serializable)]
    public async Task Bank_total_is_constant_in_every_snapshot(IsolationLevel iso)
    {
        int seed = AccessFixture.Seed("BOREALIS_SEED");
        output.WriteLine($"seed {seed} (replay with BOREALIS_SEED={seed}) isolation {iso}");
        var f = await BankAsync();
        const long total = Accounts * Initial;
        int workers = 6, transfers = 60, committed = 0, retries = 0, audits = 0;
        var tasks = new List<Task>();
        for (int w = 0; w < workers; w++)
        {
            var rng = new Random(seed + w);
            tasks.Add(Task.Run(async () =>
            {
                for (int i = 0; i < transfers; i++)
                {
                    int a = rng.Next(Accounts), b = rng.Next(Accounts - 1);
                    if (b >= a) b++;
                    long amount = rng.Next(1, 50);
                    int attempts = await Client.RunAsync(f.Txm, iso, async tx =>
                    {
                        foreach (var (id, delta) in new[] { (a, -amount), (b, amount) })
                        {
                            var snap = f.Txm.StatementSnapshot(tx);
                            var row = await f.GetAsync(snap, id);
                            Assert.NotNull(row);
                            await Task.Yield(); // a client round trip: let others interleave
                            var r = await f.Table.UpdateAsync(tx, row.Value.Tid, new AddBalance(delta));
                            Assert.Equal(ModifyStatus.Done, r.Status);
                            tx.CommandCounterIncrement();
                            await Task.Yield();
                        }
                    });
                    Interlocked.Increment(ref committed);
                    Interlocked.Add(ref retries, attempts - 1);
                    if (i % 10 == 0)
                    {
                        // An auditor: one snapshot, both access paths.
                        var tx = f.Txm.Begin(IsolationLevel.RepeatableRead);
                        var snap = f.Txm.StatementSnapshot(tx);
                        var seq = await f.SeqScanAsync(snap);
                        Assert.Equal(Accounts, seq.Count);
                        Assert.Equal(total, seq.Values.Sum(v => v.Balance));
                        var idx = await f.IndexScanAsync(snap, 0, ScanDirection.Forward);
                        Assert.Equal(total, idx.Sum(v => v.Balance));
                        await f.Txm.CommitAsync(tx);
                        Interlocked.Increment(ref audits);
                    }
                }
            }));
        }
        await Task.WhenAll(tasks);
        output.WriteLine($"committed {committed}, retries {retries}, audits {audits}");
        var end = f.Txm.Begin();
        var s = f.Txm.StatementSnapshot(end);
        Assert.Equal(total, (await f.SeqScanAsync(s)).Values.Sum(v => v.Balance));
        var back = await f.IndexScanAsync(s, 0, ScanDirection.Backward);
        Assert.Equal(Accounts, back.Count);
        Assert.Equal(total, back.Sum(v => v.Balance));
        await f.Txm.CommitAsync(end);
        Assert.Equal(workers * transfers, committed);
    }

    [Theory]
    [InlineData(IsolationLevel.RepeatableRead)]
    [InlineData(IsolationLevel.Serializable)]
    [InlineData(IsolationLevel.ReadCommitted)]
    public async Task Concurrent_increments_lose_no_update(IsolationLevel iso)
    {
        var f = await AccessFixture.CreateAsync(frames: 32);
        var tx0 = f.Txm.Begin();
        await f.Table.InsertAsync(tx0, AccessFixture.Row(1, 0));
        await f.Txm.CommitAsync(tx0);
        int committed = 0, retries = 0;
        var tasks = Enumerable.Range(0, 6).Select(_ => Task.Run(async () =>
        {
            for (int i = 0; i < 40; i++)
            {
                int attempts = await Client.RunAsync(f.Txm, iso, async tx =>
                {
                    var snap = f.Txm.StatementSnapshot(tx);
                    var row = await f.GetAsync(snap, 1);
                    Assert.NotNull(row);
                    await Task.Yield();
                    var r = await f.Table.UpdateAsync(tx, row.Value.Tid, new AddBalance(1));
                    Assert.Equal(ModifyStatus.Done, r.Status);
                    tx.CommandCounterIncrement();
                    await Task.Yield();
                });
                Interlocked.Increment(ref committed);
                Interlocked.Add(ref retries, attempts - 1);
            }
        })).ToArray();
        await Task.WhenAll(tasks);
        var t = f.Txm.Begin();
        var got = await f.GetAsync(f.Txm.StatementSnapshot(t), 1);
        await f.Txm.CommitAsync(t);
        output.WriteLine($"{iso}: committed {committed}, retries {retries}, opportunistic prunes {f.Table.OpportunisticPrunes}");
        Assert.Equal(committed, got!.Value.Balance);
    }

    [Fact]
    public async Task Repeatable_read_update_of_concurrently_updated_row_raises_40001()
    {
        var f = await AccessFixture.CreateAsync();
        var t0 = f.Txm.Begin();
        await f.Table.InsertAsync(t0, AccessFixture.Row(1, 10));
        await f.Txm.CommitAsync(t0);
        var rr = f.Txm.Begin(IsolationLevel.RepeatableRead);
        var snap = f.Txm.StatementSnapshot(rr);
        var seen = await f.GetAsync(snap, 1);
        var other = f.Txm.Begin();
        await f.Table.UpdateAsync(other, (await f.GetAsync(f.Txm.StatementSnapshot(other), 1))!.Value.Tid, new AddBalance(5));
        await f.Txm.CommitAsync(other);
        var e = await Assert.ThrowsAsync<TxnException>(async () => await f.Table.UpdateAsync(rr, seen!.Value.Tid, new AddBalance(1)));
        Assert.Equal(SqlStates.SerializationFailure, e.SqlState);
        await f.Txm.RollbackAsync(rr);
    }

    [Fact]
    public async Task Read_committed_update_follows_the_chain_and_rechecks()
    {
        var f = await AccessFixture.CreateAsync();
        var t0 = f.Txm.Begin();
        await f.Table.InsertAsync(t0, AccessFixture.Row(1, 10));
        await f.Txm.CommitAsync(t0);
        var a = f.Txm.Begin();
        var b = f.Txm.Begin();
        var tidB = (await f.GetAsync(f.Txm.StatementSnapshot(b), 1))!.Value.Tid;
        await f.Table.UpdateAsync(a, (await f.GetAsync(f.Txm.StatementSnapshot(a), 1))!.Value.Tid, new AddBalance(5));
        var pending = f.Table.UpdateAsync(b, tidB, new AddBalance(100)).AsTask();
        await Task.Delay(50);
        Assert.False(pending.IsCompleted); // waits for a
        await f.Txm.CommitAsync(a);
        var r = await pending;
        Assert.Equal(ModifyStatus.Done, r.Status);
        await f.Txm.CommitAsync(b);
        var t = f.Txm.Begin();
        Assert.Equal(115, (await f.GetAsync(f.Txm.StatementSnapshot(t), 1))!.Value.Balance);
        await f.Txm.CommitAsync(t);
    }

    [Fact]
    public async Task Row_locks_nowait_and_lock_timeout()
    {
        var f = await AccessFixture.CreateAsync();
        var t0 = f.Txm.Begin();
        var tid = await f.Table.InsertAsync(t0, AccessFixture.Row(1, 10));
        await f.Txm.CommitAsync(t0);
        var a = f.Txm.Begin();
        Assert.Equal(ModifyStatus.Done, (await f.Table.LockRowAsync(a, tid, RowLockStrength.ForUpdate)).Status);
        var b = f.Txm.Begin();
        var e = await Assert.ThrowsAsync<AccessException>(async () => await f.Table.LockRowAsync(b, tid, RowLockStrength.ForShare, nowait: true));
        Assert.Equal("55P03", e.SqlState);
        await f.Txm.RollbackAsync(b);
        var c = f.Txm.Begin();
        c.LockTimeout = TimeSpan.FromMilliseconds(50);
        var te = await Assert.ThrowsAsync<TxnException>(async () => await f.Table.UpdateAsync(c, tid, new AddBalance(1)));
        Assert.Equal(SqlStates.LockNotAvailable, te.SqlState);
        await f.Txm.RollbackAsync(c);
        await f.Txm.CommitAsync(a);
        // Shared locks coexist; an updater waits for them.
        var s1 = f.Txm.Begin();
        var s2 = f.Txm.Begin();
        Assert.Equal(ModifyStatus.Done, (await f.Table.LockRowAsync(s1, tid, RowLockStrength.ForShare)).Status);
        Assert.Equal(ModifyStatus.Done, (await f.Table.LockRowAsync(s2, tid, RowLockStrength.ForShare)).Status);
        var u = f.Txm.Begin();
        var upd = f.Table.UpdateAsync(u, tid, new AddBalance(1)).AsTask();
        await Task.Delay(30);
        Assert.False(upd.IsCompleted);
        await f.Txm.CommitAsync(s1);
        await f.Txm.CommitAsync(s2);
        Assert.Equal(ModifyStatus.Done, (await upd).Status);
        await f.Txm.CommitAsync(u);
    }
}
