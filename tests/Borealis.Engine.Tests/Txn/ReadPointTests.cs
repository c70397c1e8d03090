using Borealis.Engine.Buffer;
using Borealis.Engine.Txn;
using Borealis.Volume;

namespace Borealis.Engine.Tests.Txn;

/// <summary>A read-only view of a volume frozen at one read point, as a reader instance sees storage.</summary>
internal sealed class ReadPointVolume(MemoryVolume inner, ulong readPoint) : IRedoVolume
{
    public ulong PageCount => inner.PageCount;
    public ulong Vdl => readPoint;
    public ValueTask<ulong> AppendAsync(MiniTransaction mtr, CancellationToken ct = default) => throw new NotSupportedException("read-only");
    public ValueTask WaitDurableAsync(ulong lsn, CancellationToken ct = default) => default;
    public ValueTask ReadPageAsync(ulong pageNo, ulong asOfLsn, Memory<byte> destination, CancellationToken ct = default) =>
        inner.ReadPageAsync(pageNo, Math.Min(asOfLsn, readPoint), destination, ct);
    public void SetMinReadPoint(ulong lsn) { }
}

public class ReadPointTests
{
    /// <summary>
    /// A reader at read point R, deciding from pages storage builds as of R, gives the writer's
    /// answer for a snapshot at R — for every R, for rows written by any mix of commits, aborts
    /// and savepoints.
    /// </summary>
    [Fact]
    public async Task AReaderAtAnyReadPointDecidesLikeTheWritersSnapshotAtThatPoint()
    {
        int seed = Environment.TickCount;
        Console.WriteLine($"read-point seed {seed}");
        var rnd = new Random(seed);
        var f = await TxnFixture.CreateAsync(frames: 128);
        var m = f.Txm;
        var headers = new List<TupleXact>();
        var open = new List<Transaction>();
        var readPoints = new List<ulong>();
        var xids = new List<ulong> { Xids.Frozen };
        for (int i = 0; i < 1500; i++)
        {
            if (open.Count < 8 || rnd.Next(2) == 0)
            {
                var tx = m.Begin();
                xids.Add(await m.AssignXidAsync(tx));
                if (rnd.Next(4) == 0)
                {
                    int d = TxnManager.Savepoint(tx);
                    xids.Add(await m.AssignXidAsync(tx));
                    if (rnd.Next(2) == 0) await m.RollbackToSavepointAsync(tx, d);
                }
                open.Add(tx);
            }
            else
            {
                int k = rnd.Next(open.Count);
                var tx = open[k];
                open.RemoveAt(k);
                if (rnd.Next(3) == 0) await m.RollbackAsync(tx);
                else await m.CommitAsync(tx);
            }
            if (rnd.Next(10) == 0) readPoints.Add(f.Volume.Vdl);
        }
        for (int i = 0; i < 300; i++)
            headers.Add(new TupleXact(xids[rnd.Next(xids.Count)], rnd.Next(3) == 0 ? 0 : xids[rnd.Next(xids.Count)], 0, 0,
                rnd.Next(8) == 0 ? TupleXactFlags.XmaxLockOnly : TupleXactFlags.None));

        foreach (ulong r in readPoints)
        {
            var writer = Snapshot.AtReadPoint(m.Store, r);
            var view = new ReadPointVolume(f.Volume, r);
            var store = await XactStore.OpenReaderAsync(new BufferPool(view, 8));
            var reader = Snapshot.AtReadPoint(store, r);
            foreach (var h in headers)
                Assert.True(await writer.IsVisibleAsync(h) == await reader.IsVisibleAsync(h), $"{h} at read point {r} (seed {seed})");
        }
        Assert.NotEmpty(readPoints);
    }

    /// <summary>Recovery is instant: a commit that was not durable when the writer died is simply not committed.</summary>
    [Fact]
    public async Task ACommitNotDurableAtACrashIsAbortedAndItsXidsMayBeReusedSafely()
    {
        var f = await TxnFixture.CreateAsync();
        var m = f.Txm;
        var durable = m.Begin();
        ulong d = await m.AssignXidAsync(durable);
        await m.CommitAsync(durable);

        f.Volume.HoldDurability = true;
        var lost = m.Begin();
        ulong l = await m.AssignXidAsync(lost);
        var commit = m.CommitAsync(lost).AsTask();
        Assert.False(commit.IsCompleted);
        Assert.NotEqual(0UL, await m.Store.GetStatusAsync(l)); // the writer's cached page has it

        // Crash: storage keeps only what was durable.
        f.Volume.TruncateAboveVdl();
        f.Volume.HoldDurability = false;
        var g = await f.RestartAsync();
        Assert.Equal(XidState.Committed, (await g.Txm.GetXidStateAsync(d)).State);
        Assert.Equal(XidState.Aborted, (await g.Txm.GetXidStateAsync(l)).State);
        var after = g.Txm.Begin();
        Assert.True(await g.Txm.AssignXidAsync(after) > d);
        await g.Txm.CommitAsync(after);
        foreach (var pageNo in XactStoreTests.XactPages(g)) XactStoreTests.AssertSameAsStorage(g, pageNo);
    }
}
