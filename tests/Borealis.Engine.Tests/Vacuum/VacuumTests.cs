using Borealis.Engine.Access;
using Borealis.Engine.BTree;
using Borealis.Engine.Heap;
using Borealis.Engine.Tests.Access;
using Borealis.Engine.Tests.Heap;
using Borealis.Engine.Txn;
using Borealis.Engine.Vacuum;
using Xunit.Abstractions;

namespace Borealis.Engine.Tests.Vacuum;

public sealed class VacuumTests(ITestOutputHelper output)
{
    private static async Task<int> CountEntriesAsync(BPlusTree tree)
    {
        var c = new BTreeCursor(tree);
        c.Reset(BTreeRange.All);
        int n = 0;
        while (await c.MoveNextAsync()) n++;
        return n;
    }

    private static async Task<int> CountVersionsAsync(HeapTable heap)
    {
        int n = 0;
        using var s = heap.Scan();
        while (await s.NextPageAsync()) while (s.TryNext(out _)) n++;
        return n;
    }

    private static async Task<List<Tid>> FillAsync(AccessFixture f, int rows)
    {
        var tids = new List<Tid>();
        var tx = f.Txm.Begin();
        for (int i = 0; i < rows; i++) tids.Add(await f.Table.InsertAsync(tx, AccessFixture.Row(i, i)));
        await f.Txm.CommitAsync(tx);
        return tids;
    }

    /// <summary>Updates every row's balance (a secondary-key change: non-HOT) and deletes ids below <paramref name="deleteBelow"/>.</summary>
    private static async Task ChurnAsync(AccessFixture f, int rows, int deleteBelow, int rounds)
    {
        for (int r = 0; r < rounds; r++)
        {
            var tx = f.Txm.Begin();
            for (int i = deleteBelow; i < rows; i++)
            {
                var row = await f.GetAsync(f.Txm.StatementSnapshot(tx), i);
                await f.Table.UpdateAsync(tx, row!.Value.Tid, new AddBalance(1000));
            }
            tx.CommandCounterIncrement();
            await f.Txm.CommitAsync(tx);
        }
        var d = f.Txm.Begin();
        for (int i = 0; i < deleteBelow; i++)
        {
            var row = await f.GetAsync(f.Txm.StatementSnapshot(d), i);
            if (row is not null) await f.Table.DeleteAsync(d, row.Value.Tid);
        }
        await f.Txm.CommitAsync(d);
    }

    private static async Task<SortedDictionary<int, (long, long)>> StateAsync(AccessFixture f)
    {
        var tx = f.Txm.Begin();
        var s = await f.SeqScanAsync(f.Txm.StatementSnapshot(tx));
        await f.Txm.CommitAsync(tx);
        return s;
    }

    [Fact]
    public async Task Vacuum_removes_dead_versions_and_their_index_entries()
    {
        var f = await AccessFixture.CreateAsync(frames: 24, secondary: true);
        await FillAsync(f, 200);
        await ChurnAsync(f, 200, deleteBelow: 20, rounds: 3);
        var before = await StateAsync(f);
        int versions = await CountVersionsAsync(f.Table.Heap);
        Assert.True(versions > 180);
        var vac = new Vacuumer(f.Txm);
        var r = await vac.VacuumTableAsync(f.Table);
        output.WriteLine($"{r}; versions before {versions}");
        Assert.Equal(180, await CountVersionsAsync(f.Table.Heap));
        Assert.Equal(180, await CountEntriesAsync(f.Table.Trees[0]));
        Assert.Equal(180, await CountEntriesAsync(f.Table.Trees[1]));
        Assert.True(r.IndexEntriesRemoved > 0);
        Assert.Equal(versions - 180, r.VersionsRemoved);
        Assert.Equal(r.VersionsRemoved, vac.VersionsRemoved);
        Assert.Equal(r.PagesScanned, vac.PagesScanned);
        Assert.Equal(before, await StateAsync(f));
        await TableRandomTests.VerifyAsync(f, new SortedDictionary<int, (long, long)>(before), new Random(1));
        // Nothing left to do: a second run removes nothing.
        var again = await vac.VacuumTableAsync(f.Table);
        Assert.Equal(0, again.VersionsRemoved);
        Assert.Equal(0, again.IndexEntriesRemoved);
        Assert.True(await HeapTestKit.AssertCachedPagesMatchStorageAsync(f.Volume, f.Pool) > 0);
    }

    [Fact]
    public async Task Vacuum_keeps_versions_an_open_writer_snapshot_needs()
    {
        var f = await AccessFixture.CreateAsync(frames: 24, secondary: true);
        await FillAsync(f, 100);
        var old = f.Txm.Begin(IsolationLevel.RepeatableRead);
        var snap = f.Txm.StatementSnapshot(old);
        var seen = await f.SeqScanAsync(snap);
        await ChurnAsync(f, 100, deleteBelow: 10, rounds: 2);
        var vac = new Vacuumer(f.Txm);
        var r = await vac.VacuumTableAsync(f.Table);
        Assert.Equal(0, r.IndexEntriesRemoved);
        Assert.Equal(seen, await f.SeqScanAsync(snap));
        Assert.Equal(seen.Keys, (await f.IndexScanAsync(snap, 0, ScanDirection.Forward)).Select(x => x.Id));
        Assert.Equal(seen.Count, (await f.IndexScanAsync(snap, 1, ScanDirection.Backward)).Count);
        await f.Txm.CommitAsync(old);
        r = await vac.VacuumTableAsync(f.Table);
        Assert.True(r.IndexEntriesRemoved > 0);
        Assert.Equal(90, await CountVersionsAsync(f.Table.Heap));
    }

    [Fact]
    public async Task Vacuum_keeps_versions_an_announced_reader_read_point_needs()
    {
        var f = await AccessFixture.CreateAsync(frames: 24, secondary: true);
        await FillAsync(f, 100);
        ulong readPoint = f.Volume.Vdl;
        f.Txm.AnnounceReaderReadPoint(7, readPoint);
        var readerSnap = Snapshot.AtReadPoint(f.Txm.Store, readPoint);
        var seen = await f.SeqScanAsync(readerSnap);
        await ChurnAsync(f, 100, deleteBelow: 10, rounds: 2);
        var vac = new Vacuumer(f.Txm);
        var r = await vac.VacuumTableAsync(f.Table);
        Assert.Equal(0, r.IndexEntriesRemoved);
        Assert.True(f.Volume.MinReadPoint <= readPoint);
        Assert.Equal(seen, await f.SeqScanAsync(readerSnap));
        Assert.Equal(seen.Count, (await f.IndexScanAsync(readerSnap, 1, ScanDirection.Forward)).Count);
        f.Txm.ForgetReader(7);
        r = await vac.VacuumTableAsync(f.Table);
        Assert.True(r.IndexEntriesRemoved > 0);
        Assert.True(f.Volume.MinReadPoint > readPoint);
        Assert.Equal(90, await CountVersionsAsync(f.Table.Heap));
    }

    [Fact]
    public async Task Hot_updates_stay_on_their_page_after_pruning()
    {
        var f = await AccessFixture.CreateAsync(frames: 24, secondary: true);
        var tids = await FillAsync(f, 40);
        ulong page = tids[5].Page;
        var tid = tids[5];
        for (int i = 0; i < 600; i++)
        {
            var tx = f.Txm.Begin();
            var r = await f.Table.UpdateAsync(tx, tid, new AddBalance(0, 1)); // note only: HOT
            Assert.Equal(ModifyStatus.Done, r.Status);
            Assert.Equal(page, r.Tid.Page);
            tid = r.Tid;
            await f.Txm.CommitAsync(tx);
        }
        output.WriteLine($"opportunistic prunes {f.Table.OpportunisticPrunes}");
        Assert.True(f.Table.OpportunisticPrunes > 0);
        // No index entries were added by the HOT updates.
        Assert.Equal(40, await CountEntriesAsync(f.Table.Trees[0]));
        Assert.Equal(40, await CountEntriesAsync(f.Table.Trees[1]));
        var t = f.Txm.Begin();
        var row = await f.GetAsync(f.Txm.StatementSnapshot(t), 5);
        Assert.Equal(600, row!.Value.Note);
        Assert.Equal(tid, row.Value.Tid);
        await f.Txm.CommitAsync(t);
        // After a vacuum, still on the page.
        await new Vacuumer(f.Txm).VacuumTableAsync(f.Table);
        var u = f.Txm.Begin();
        var r2 = await f.Table.UpdateAsync(u, tid, new AddBalance(0, 1));
        Assert.Equal(page, r2.Tid.Page);
        await f.Txm.CommitAsync(u);
        Assert.True(await HeapTestKit.AssertCachedPagesMatchStorageAsync(f.Volume, f.Pool) > 0);
    }

    [Fact]
    public async Task Worker_wakes_only_when_there_is_work()
    {
        var f = await AccessFixture.CreateAsync(frames: 24, secondary: true);
        var vac = new Vacuumer(f.Txm);
        await using var worker = new VacuumWorker(f.Txm, vac, threshold: 50);
        worker.Register(f.Table);
        await FillAsync(f, 60);
        await Task.Delay(100);
        Assert.Equal(0, worker.Wakeups); // inserts are no work
        await ChurnAsync(f, 60, deleteBelow: 0, rounds: 1);
        for (int i = 0; i < 200 && vac.TablesVacuumed == 0; i++) await Task.Delay(10);
        Assert.True(vac.TablesVacuumed >= 1);
        long w = worker.Wakeups;
        await Task.Delay(150);
        Assert.Equal(w, worker.Wakeups);
        Assert.Null(worker.LastError);
        for (int i = 0; i < 200 && vac.IndexEntriesRemoved == 0; i++) await Task.Delay(10);
        output.WriteLine($"wakeups {worker.Wakeups}, removed {vac.VersionsRemoved} versions, {vac.IndexEntriesRemoved} entries");
    }
}
