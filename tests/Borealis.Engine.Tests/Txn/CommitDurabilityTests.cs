using Borealis.Engine.Txn;

namespace Borealis.Engine.Tests.Txn;

public class CommitDurabilityTests
{
    [Fact]
    public async Task ACommitIsVisibleAndAcknowledgedOnlyOnceVdlPassesItInCommitLsnOrder()
    {
        var f = await TxnFixture.CreateAsync();
        var m = f.Txm;
        var table = new VersionTable(m, relation: 1);
        // Pre-allocate a batch of xids' status page while durability is immediate.
        var warm = m.Begin();
        await m.AssignXidAsync(warm);
        await m.CommitAsync(warm);

        f.Volume.HoldDurability = true;
        var t1 = m.Begin();
        await table.InsertAsync(t1, 1, 10);
        var t2 = m.Begin();
        await table.InsertAsync(t2, 2, 20);
        var c1 = m.CommitAsync(t1).AsTask();
        var c2 = m.CommitAsync(t2).AsTask();
        Assert.True(t1.CommitLsn > 0 && t2.CommitLsn > t1.CommitLsn);
        Assert.False(c1.IsCompleted);
        Assert.False(c2.IsCompleted);

        async Task<(int?, int?)> ReadBoth()
        {
            var r = m.Begin();
            var s = m.StatementSnapshot(r);
            var result = (await table.ReadAsync(r, s, 1), await table.ReadAsync(r, s, 2));
            await m.CommitAsync(r);
            return result;
        }
        Assert.Equal((null, null), await ReadBoth());

        f.Volume.MakeDurable(t1.CommitLsn);
        await c1.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(c2.IsCompleted);
        Assert.Equal((10, (int?)null), await ReadBoth());

        f.Volume.MakeDurable(t2.CommitLsn);
        await c2.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal((10, 20), await ReadBoth());
        f.Volume.HoldDurability = false;
    }

    [Fact]
    public async Task ReadersNeverSeeALaterCommitWithoutAnEarlierOne()
    {
        int seed = Environment.TickCount;
        Console.WriteLine($"commit-order seed {seed}");
        var rnd = new Random(seed);
        var f = await TxnFixture.CreateAsync();
        var m = f.Txm;
        var table = new VersionTable(m, relation: 1);
        f.Volume.HoldDurability = true;
        var commits = new List<(int Key, ulong Lsn, Task Done)>();
        var readers = new List<Task>();
        for (int i = 0; i < 200; i++)
        {
            var t = m.Begin();
            await table.InsertAsync(t, i, i);
            var done = m.CommitAsync(t).AsTask();
            commits.Add((i, t.CommitLsn, done));
            if (rnd.Next(4) == 0) f.Volume.MakeDurable(commits[rnd.Next(commits.Count)].Lsn);
            // A reader: whatever it sees must be a prefix of the commit order.
            var r = m.Begin();
            var s = m.StatementSnapshot(r);
            bool gap = false;
            for (int k = 0; k <= i; k++)
            {
                bool seen = await table.ReadAsync(r, s, k) is not null;
                Assert.Equal(commits[k].Lsn <= s.ReadLsn, seen);
                if (!seen) gap = true;
                else Assert.False(gap, $"key {k} visible after an invisible earlier commit (seed {seed})");
                // An acknowledged commit is always visible.
                if (commits[k].Done.IsCompletedSuccessfully) Assert.True(seen);
            }
            await m.CommitAsync(r);
        }
        f.Volume.HoldDurability = false;
        await Task.WhenAll(commits.Select(c => c.Done)).WaitAsync(TimeSpan.FromSeconds(10));
    }
}
