using Borealis.Engine.Access;
using Borealis.Engine.Txn;
using Xunit.Abstractions;

namespace Borealis.Engine.Tests.Access;

public sealed class UniqueTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Concurrent_inserters_of_one_key_exactly_one_wins()
    {
        var f = await AccessFixture.CreateAsync();
        for (int round = 0; round < 5; round++)
        {
            int key = 100 + round, wins = 0, violations = 0;
            using var go = new SemaphoreSlim(0);
            var tasks = Enumerable.Range(0, 6).Select(i => Task.Run(async () =>
            {
                await go.WaitAsync();
                var tx = f.Txm.Begin();
                try
                {
                    await f.Table.InsertAsync(tx, AccessFixture.Row(key, i));
                    await Task.Delay(5);
                    await f.Txm.CommitAsync(tx);
                    Interlocked.Increment(ref wins);
                }
                catch (AccessException e) when (e.SqlState == "23505")
                {
                    Assert.Equal("duplicate key value violates unique constraint \"accounts_pkey\"", e.Message);
                    Interlocked.Increment(ref violations);
                    await f.Txm.RollbackAsync(tx);
                }
            })).ToArray();
            go.Release(6);
            await Task.WhenAll(tasks);
            Assert.Equal(1, wins);
            Assert.Equal(5, violations);
        }
        var t = f.Txm.Begin();
        Assert.Equal(5, (await f.SeqScanAsync(f.Txm.StatementSnapshot(t))).Count);
        await f.Txm.CommitAsync(t);
        output.WriteLine("ok");
    }

    [Fact]
    public async Task Waiter_gets_23505_after_commit_or_succeeds_after_rollback()
    {
        var f = await AccessFixture.CreateAsync();
        var a = f.Txm.Begin();
        await f.Table.InsertAsync(a, AccessFixture.Row(1, 1));
        var b = f.Txm.Begin();
        var pb = f.Table.InsertAsync(b, AccessFixture.Row(1, 2)).AsTask();
        await Task.Delay(30);
        Assert.False(pb.IsCompleted);
        await f.Txm.CommitAsync(a);
        var e = await Assert.ThrowsAsync<AccessException>(() => pb);
        Assert.Equal("23505", e.SqlState);
        await f.Txm.RollbackAsync(b);

        var c = f.Txm.Begin();
        await f.Table.InsertAsync(c, AccessFixture.Row(2, 1));
        var d = f.Txm.Begin();
        var pd = f.Table.InsertAsync(d, AccessFixture.Row(2, 2)).AsTask();
        await Task.Delay(30);
        Assert.False(pd.IsCompleted);
        await f.Txm.RollbackAsync(c);
        await pd;
        await f.Txm.CommitAsync(d);
        var t = f.Txm.Begin();
        Assert.Equal(2, (await f.GetAsync(f.Txm.StatementSnapshot(t), 2))!.Value.Balance);
        await f.Txm.CommitAsync(t);
    }

    [Fact]
    public async Task Deleted_key_can_be_reinserted_and_same_transaction_duplicate_fails()
    {
        var f = await AccessFixture.CreateAsync();
        var a = f.Txm.Begin();
        var tid = await f.Table.InsertAsync(a, AccessFixture.Row(7, 1));
        a.CommandCounterIncrement();
        var e = await Assert.ThrowsAsync<AccessException>(async () => await f.Table.InsertAsync(a, AccessFixture.Row(7, 2)));
        Assert.Equal("23505", e.SqlState);
        await f.Txm.RollbackAsync(a);

        var b = f.Txm.Begin();
        tid = await f.Table.InsertAsync(b, AccessFixture.Row(7, 1));
        await f.Txm.CommitAsync(b);
        var c = f.Txm.Begin();
        Assert.Equal(ModifyStatus.Done, (await f.Table.DeleteAsync(c, tid)).Status);
        c.CommandCounterIncrement();
        await f.Table.InsertAsync(c, AccessFixture.Row(7, 3)); // same transaction re-inserts the key it deleted
        await f.Txm.CommitAsync(c);
        var d = f.Txm.Begin();
        var e2 = await Assert.ThrowsAsync<AccessException>(async () => await f.Table.InsertAsync(d, AccessFixture.Row(7, 4)));
        Assert.Equal("23505", e2.SqlState);
        await f.Txm.RollbackAsync(d);
        var t = f.Txm.Begin();
        Assert.Equal(3, (await f.GetAsync(f.Txm.StatementSnapshot(t), 7))!.Value.Balance);
        await f.Txm.CommitAsync(t);
    }

    [Fact]
    public async Task Update_that_keeps_the_key_is_not_a_duplicate_and_update_to_a_taken_key_is()
    {
        var f = await AccessFixture.CreateAsync();
        var a = f.Txm.Begin();
        var t1 = await f.Table.InsertAsync(a, AccessFixture.Row(1, 1));
        await f.Table.InsertAsync(a, AccessFixture.Row(2, 1));
        await f.Txm.CommitAsync(a);
        var b = f.Txm.Begin();
        var r = await f.Table.UpdateAsync(b, t1, new FixedRow(AccessFixture.Row(1, 5, note: 9)));
        Assert.Equal(ModifyStatus.Done, r.Status);
        b.CommandCounterIncrement();
        var e = await Assert.ThrowsAsync<AccessException>(async () => await f.Table.UpdateAsync(b, r.Tid, new FixedRow(AccessFixture.Row(2, 5))));
        Assert.Equal("23505", e.SqlState);
        await f.Txm.RollbackAsync(b);
    }
}
