using Borealis.Engine.Access;
using Borealis.Engine.BTree;
using Borealis.Engine.Heap;
using Borealis.Engine.Tests.Heap;
using Borealis.Engine.Txn;
using Borealis.Engine.Vacuum;
using Xunit.Abstractions;

namespace Borealis.Engine.Tests.Access;

/// <summary>Random workloads against an in-memory model: sequential and index scans (both directions, ranges) and lookups agree with it.</summary>
public sealed class TableRandomTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Index_scans_agree_with_sequential_scans_and_the_model(int variant)
    {
        int seed = AccessFixture.Seed("BOREALIS_SEED") + variant;
        output.WriteLine($"seed {seed} (replay with BOREALIS_SEED={seed - variant})");
        var rng = new Random(seed);
        int initialRows = variant == 2 ? 600 : 30;
        var f = await AccessFixture.CreateAsync(frames: variant == 2 ? 20 : 40, secondary: true);
        var vac = new Vacuumer(f.Txm);
        var model = new SortedDictionary<int, (long Balance, long Note)>();

        // A long-lived REPEATABLE READ reader that must keep seeing the initial state through vacuums.
        var t0 = f.Txm.Begin();
        for (int i = 0; i < initialRows; i++)
        {
            await f.Table.InsertAsync(t0, AccessFixture.Row(i, i % 7, 0));
            model[i] = (i % 7, 0);
        }
        await f.Txm.CommitAsync(t0);
        var initial = new SortedDictionary<int, (long, long)>(model);
        var old = f.Txm.Begin(IsolationLevel.RepeatableRead);
        var oldSnap = f.Txm.StatementSnapshot(old);

        int nextId = initialRows;
        for (int round = 0; round < 120; round++)
        {
            var tx = f.Txm.Begin(rng.Next(3) == 0 ? IsolationLevel.RepeatableRead : IsolationLevel.ReadCommitted);
            var pending = new SortedDictionary<int, (long, long)?>();
            int ops = rng.Next(1, 8);
            for (int k = 0; k < ops; k++)
            {
                var snap = f.Txm.StatementSnapshot(tx);
                int op = rng.Next(10);
                var ids = model.Keys.Where(id => !pending.ContainsKey(id) || pending[id] is not null).ToList();
                ids.AddRange(pending.Where(p => p.Value is not null && !model.ContainsKey(p.Key)).Select(p => p.Key));
                if (op < 3 || ids.Count == 0)
                {
                    int id = rng.Next(4) == 0 && model.Count > 0 ? model.Keys.ElementAt(rng.Next(model.Count)) : nextId++;
                    long bal = rng.Next(20);
                    bool exists = Current(model, pending, id) is not null;
                    try
                    {
                        await f.Table.InsertAsync(tx, AccessFixture.Row(id, bal, 0));
                        Assert.False(exists, $"insert of existing id {id} succeeded");
                        pending[id] = (bal, 0);
                    }
                    catch (AccessException e) when (e.SqlState == "23505")
                    {
                        Assert.True(exists, $"insert of new id {id} raised 23505");
                        await f.Txm.RollbackAsync(tx);
                        tx = null;
                        break;
                    }
                }
                else
                {
                    int id = ids[rng.Next(ids.Count)];
                    var row = await f.GetAsync(snap, id);
                    Assert.True(row is not null, $"round {round}: id {id} not found by lookup");
                    var cur = Current(model, pending, id)!.Value;
                    Assert.Equal(cur.Balance, row.Value.Balance);
                    if (op < 6)
                    {
                        var r = await f.Table.UpdateAsync(tx, row.Value.Tid, new AddBalance(0, 1)); // HOT candidate
                        Assert.Equal(ModifyStatus.Done, r.Status);
                        pending[id] = (cur.Balance, cur.Note + 1);
                    }
                    else if (op < 8)
                    {
                        long d = rng.Next(-3, 4);
                        var r = await f.Table.UpdateAsync(tx, row.Value.Tid, new AddBalance(d)); // changes the secondary key
                        Assert.Equal(ModifyStatus.Done, r.Status);
                        pending[id] = (cur.Balance + d, cur.Note);
                    }
                    else
                    {
                        Assert.Equal(ModifyStatus.Done, (await f.Table.DeleteAsync(tx, row.Value.Tid)).Status);
                        pending[id] = null;
                    }
                }
                tx.CommandCounterIncrement();
            }
            if (tx is not null)
            {
                if (rng.Next(5) == 0) await f.Txm.RollbackAsync(tx);
                else
                {
                    await f.Txm.CommitAsync(tx);
                    foreach (var (id, v) in pending)
                        if (v is null) model.Remove(id); else model[id] = v.Value;
                }
            }
            if (rng.Next(15) == 0) await vac.VacuumTableAsync(f.Table);
            if (round % 10 == 9 || round == 119) await VerifyAsync(f, model, rng);
        }
        // The old snapshot still sees the initial state, by every path.
        Assert.Equal(initial, await f.SeqScanAsync(oldSnap));
        Assert.Equal(initial.Keys, (await f.IndexScanAsync(oldSnap, 0, ScanDirection.Forward)).Select(r => r.Id));
        await f.Txm.CommitAsync(old);
        var res = await vac.VacuumTableAsync(f.Table);
        output.WriteLine($"final vacuum: {res}; opportunistic prunes {f.Table.OpportunisticPrunes}");
        await VerifyAsync(f, model, rng);
        Assert.True(await HeapTestKit.AssertCachedPagesMatchStorageAsync(f.Volume, f.Pool) > 0);
    }

    private static (long Balance, long Note)? Current(SortedDictionary<int, (long, long)> model, SortedDictionary<int, (long, long)?> pending, int id)
        => pending.TryGetValue(id, out var p) ? p : model.TryGetValue(id, out var m) ? m : null;

    internal static async Task VerifyAsync(AccessFixture f, SortedDictionary<int, (long Balance, long Note)> model, Random rng)
    {
        var tx = f.Txm.Begin(IsolationLevel.RepeatableRead);
        var snap = f.Txm.StatementSnapshot(tx);
        Assert.Equal(model, await f.SeqScanAsync(snap));
        var fwd = await f.IndexScanAsync(snap, 0, ScanDirection.Forward);
        Assert.Equal(model.Select(kv => (kv.Key, kv.Value.Balance, kv.Value.Note)), fwd);
        var back = await f.IndexScanAsync(snap, 0, ScanDirection.Backward);
        Assert.Equal(model.Reverse().Select(kv => (kv.Key, kv.Value.Balance, kv.Value.Note)), back);
        if (f.Table.Trees.Count > 1)
        {
            var byBal = await f.IndexScanAsync(snap, 1, ScanDirection.Forward);
            Assert.Equal(model.Select(kv => (kv.Key, kv.Value.Balance)).OrderBy(x => x.Balance).ThenBy(x => x.Key),
                byBal.Select(r => (r.Id, r.Balance)).OrderBy(x => x.Balance).ThenBy(x => x.Id));
            for (int i = 1; i < byBal.Count; i++) Assert.True(byBal[i - 1].Balance <= byBal[i].Balance);
            var byBalBack = await f.IndexScanAsync(snap, 1, ScanDirection.Backward);
            for (int i = 1; i < byBalBack.Count; i++) Assert.True(byBalBack[i - 1].Balance >= byBalBack[i].Balance);
            Assert.Equal(byBal.Count, byBalBack.Count);
            for (int q = 0; q < 5; q++)
            {
                long lo = rng.Next(-5, 20), hi = lo + rng.Next(0, 8);
                bool li = rng.Next(2) == 0, hiIncl = rng.Next(2) == 0;
                var dir = rng.Next(2) == 0 ? ScanDirection.Forward : ScanDirection.Backward;
                var got = await f.IndexScanAsync(snap, 1, dir, IndexScan.Between(AccessFixture.BalanceKeyBytes(lo), li, AccessFixture.BalanceKeyBytes(hi), hiIncl));
                var want = model.Where(kv => (li ? kv.Value.Balance >= lo : kv.Value.Balance > lo) && (hiIncl ? kv.Value.Balance <= hi : kv.Value.Balance < hi))
                    .Select(kv => kv.Key).Order();
                Assert.Equal(want, got.Select(r => r.Id).Order());
            }
        }
        for (int q = 0; q < 10; q++)
        {
            int id = rng.Next(-2, model.Count + 40);
            var row = await f.GetAsync(snap, id);
            Assert.Equal(model.ContainsKey(id), row is not null);
            if (row is not null) Assert.Equal(model[id].Balance, row.Value.Balance);
        }
        await f.Txm.CommitAsync(tx);
    }
}
