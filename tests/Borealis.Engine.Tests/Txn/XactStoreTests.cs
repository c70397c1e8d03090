using Borealis.Engine.Buffer;
using Borealis.Engine.Space;
using Borealis.Engine.Txn;
using Borealis.Redo;
using Borealis.Redo.Xact;
using Borealis.Volume;

namespace Borealis.Engine.Tests.Txn;

public class XactStoreTests
{
    [Fact]
    public async Task XidsSurviveRestartsWithoutReuseAndACrashedWritersXidsAreAborted()
    {
        var f = await TxnFixture.CreateAsync();
        var seen = new HashSet<ulong>();
        // 2500 xids: crosses two status-page batches.
        var committed = new List<(ulong Xid, ulong Lsn)>();
        for (int i = 0; i < 2500; i++)
        {
            var tx = f.Txm.Begin();
            ulong xid = await f.Txm.AssignXidAsync(tx);
            Assert.True(seen.Add(xid));
            if (i % 3 == 0) { await f.Txm.CommitAsync(tx); committed.Add((xid, tx.CommitLsn)); }
            else if (i % 3 == 1) await f.Txm.RollbackAsync(tx);
            // else: left in progress, the writer "crashes" with it open
        }
        ulong maxFirst = seen.Max();

        for (int restart = 0; restart < 3; restart++)
        {
            var g = await f.RestartAsync();
            Assert.True(g.Txm.StartXid > maxFirst, $"restart {restart}: start {g.Txm.StartXid} ≤ {maxFirst}");
            var tx = g.Txm.Begin();
            ulong x = await g.Txm.AssignXidAsync(tx);
            Assert.True(seen.Add(x));
            Assert.True(x >= g.Txm.StartXid);
            // Every old xid: committed ones keep their commit LSN, the rest are aborted.
            int i = 0;
            foreach (var old in seen.Order())
            {
                if (old >= g.Txm.StartXid) continue;
                var (state, lsn) = await g.Txm.GetXidStateAsync(old);
                bool wasCommitted = committed.Exists(c => c.Xid == old);
                Assert.Equal(wasCommitted ? XidState.Committed : XidState.Aborted, state);
                if (wasCommitted) Assert.Equal(committed.Find(c => c.Xid == old).Lsn, lsn);
                i++;
            }
            Assert.True(i > 0);
            maxFirst = seen.Max();
            f = g; // this writer crashes too, with tx open
        }
    }

    [Fact]
    public async Task XidsAreDistinctUnderConcurrentAllocation()
    {
        var f = await TxnFixture.CreateAsync();
        var tasks = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            var mine = new List<ulong>();
            for (int i = 0; i < 400; i++)
            {
                var tx = f.Txm.Begin();
                mine.Add(await f.Txm.AssignXidAsync(tx));
                await f.Txm.CommitAsync(tx);
            }
            return mine;
        })).ToArray();
        var all = (await Task.WhenAll(tasks)).SelectMany(x => x).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public async Task StatusPagesRebuiltByStorageAreByteIdenticalToTheWriters(int fixedSeed)
    {
        int seed = fixedSeed == 0 ? 12345 : Environment.TickCount;
        Console.WriteLine($"status-page identity seed {seed}");
        var rnd = new Random(seed);
        var f = await TxnFixture.CreateAsync(frames: 256);
        var open = new List<Transaction>();
        for (int i = 0; i < 3000; i++)
        {
            if (open.Count < 20 || rnd.Next(3) == 0)
            {
                var tx = f.Txm.Begin((IsolationLevel)rnd.Next(3));
                await f.Txm.AssignXidAsync(tx);
                for (int s = rnd.Next(3); s > 0; s--)
                {
                    int d = TxnManager.Savepoint(tx);
                    await f.Txm.AssignXidAsync(tx);
                    if (rnd.Next(3) == 0) await f.Txm.RollbackToSavepointAsync(tx, d);
                    else if (rnd.Next(2) == 0) TxnManager.ReleaseSavepoint(tx, d);
                }
                open.Add(tx);
            }
            else
            {
                int k = rnd.Next(open.Count);
                var tx = open[k];
                open.RemoveAt(k);
                if (rnd.Next(4) == 0) await f.Txm.RollbackAsync(tx);
                else await f.Txm.CommitAsync(tx);
            }
        }
        var pages = XactPages(f);
        Assert.True(pages.Count >= 5, $"only {pages.Count} xact pages");
        foreach (var pageNo in pages) AssertSameAsStorage(f, pageNo);
    }

    [Fact]
    public async Task AReaderPoolOverTheSameVolumeReadsTheSameStatuses()
    {
        var f = await TxnFixture.CreateAsync();
        var outcomes = new Dictionary<ulong, ulong>();
        for (int i = 0; i < 1500; i++)
        {
            var tx = f.Txm.Begin();
            ulong xid = await f.Txm.AssignXidAsync(tx);
            if (i % 2 == 0) { await f.Txm.CommitAsync(tx); outcomes[xid] = tx.CommitLsn; }
            else { await f.Txm.RollbackAsync(tx); outcomes[xid] = XactLayout.StatusAborted; }
        }
        var readerPool = new BufferPool(f.Volume, 8);
        var store = await XactStore.OpenReaderAsync(readerPool);
        foreach (var (xid, status) in outcomes)
        {
            Assert.Equal(status, await store.GetStatusAsync(xid));
            Assert.Equal(status, await f.Txm.Store.GetStatusAsync(xid));
        }
        Assert.Equal(0UL, await store.GetStatusAsync(1_000_000)); // no status page: never handed out
        Assert.Equal(Xids.FrozenStatus, await store.GetStatusAsync(Xids.Frozen));
    }

    [Fact]
    public async Task ACommitSpanningTwoStatusPagesIsOneMtrAndTheWritersCacheMatchesThePages()
    {
        var f = await TxnFixture.CreateAsync();
        var m = f.Txm;
        Transaction tx;
        while (true)
        {
            tx = m.Begin();
            ulong x = await m.AssignXidAsync(tx);
            if (x % XactLayout.SlotsPerPage == XactLayout.SlotsPerPage - 1) break;
            await m.CommitAsync(tx);
        }
        TxnManager.Savepoint(tx);
        ulong sub = await m.AssignXidAsync(tx);
        Assert.Equal(tx.TopXid + 1, sub);
        Assert.NotEqual(tx.TopXid / XactLayout.SlotsPerPage, sub / XactLayout.SlotsPerPage);
        long before = f.Volume.RecordCount;
        await m.CommitAsync(tx);
        Assert.Equal(2, f.Volume.RecordCount - before);
        Assert.Equal(tx.CommitLsn - 1, await m.Store.GetStatusAsync(tx.TopXid));
        Assert.Equal(tx.CommitLsn, await m.Store.GetStatusAsync(sub));
        var reader = await XactStore.OpenReaderAsync(new BufferPool(f.Volume, 8));
        Assert.Equal(tx.CommitLsn - 1, await reader.GetStatusAsync(tx.TopXid));
        Assert.Equal(tx.CommitLsn, await reader.GetStatusAsync(sub));
        foreach (var pageNo in XactPages(f)) AssertSameAsStorage(f, pageNo);
    }

    internal static List<ulong> XactPages(TxnFixture f)
    {
        var result = new List<ulong> { f.Txm.Store.MetaPageNo, f.Txm.Store.DirectoryRootPageNo };
        var root = f.Volume.Materialise(f.Txm.Store.DirectoryRootPageNo);
        for (int i = 0; i < XactLayout.SlotsPerPage; i++)
        {
            ulong leaf = XactLayout.Slot(root, i);
            if (leaf == 0) continue;
            result.Add(leaf);
            var l = f.Volume.Materialise(leaf);
            for (int j = 0; j < XactLayout.SlotsPerPage; j++)
                if (XactLayout.Slot(l, j) != 0) result.Add(XactLayout.Slot(l, j));
        }
        return result;
    }

    internal static void AssertSameAsStorage(TxnFixture f, ulong pageNo)
    {
        var built = f.Volume.Materialise(pageNo);
        Assert.True(Page.VerifyChecksum(built, pageNo));
        Assert.True(f.Pool.TryPinCached(pageNo, out var h), $"page {pageNo} not cached");
        using (h)
        {
            h.LatchShared();
            try
            {
                Assert.Equal(Page.GetLsn(built), h.Lsn);
                Assert.True(built.AsSpan(Page.HeaderSize).SequenceEqual(h.Page[Page.HeaderSize..]), $"page {pageNo} differs from storage's");
            }
            finally { h.UnlatchShared(); }
        }
    }
}
