using Borealis.Redo;
using Borealis.Storage.Protocol;

namespace Borealis.Storage.Tests;

/// <summary>SCL from back-links, pages as of an LSN against a model (across coalescing, log GC and restarts), epoch fencing.</summary>
public class SegmentTests
{
    [Fact]
    public async Task SclFollowsBackLinksWhenRecordsArriveOutOfOrder()
    {
        const int Seed = 21;
        string dir = TestKit.NewDir();
        var node = await TestKit.StartAsync(1, dir);
        var c = await TestKit.ConnectAsync(node);
        await TestKit.EnsureAsync(c, TestKit.Seg(), new Membership(1, []));
        var gen = new RecordGen(Seed);
        // LSNs skip values that belong to other PGs: the back-link, not LSN density, defines completeness.
        var recs = gen.Batch(30, lsnStep: 3);
        var order = Enumerable.Range(0, recs.Count).ToArray();
        new Random(Seed).Shuffle(order);
        ulong expectedScl = 0;
        var held = new HashSet<int>();
        foreach (int i in order)
        {
            var ack = await TestKit.AppendAsync(c, TestKit.Seg(), [recs[i]]);
            held.Add(i);
            while (held.Contains((int)(expectedScl / 3))) expectedScl += 3;
            Assert.True(expectedScl == ack.Scl, $"seed {Seed}: after {held.Count} records expected SCL {expectedScl}, got {ack.Scl}");
            Assert.Equal(3UL * (ulong)(held.Max() + 1), ack.MaxLsn);
        }
        Assert.Equal(90UL, (await TestKit.StateAsync(c, TestKit.Seg())).Scl);
        await c.DisposeAsync();
        await node.DisposeAsync();

        // Same after restart (the index is rebuilt from the log in arrival order).
        node = await TestKit.StartAsync(1, dir);
        Assert.Equal(90UL, node.GetSegmentState(TestKit.Seg())!.Value.Scl);
        await node.DisposeAsync();
        TestKit.TryDelete(dir);
    }

    [Theory]
    [InlineData(31)]
    [InlineData(32)]
    public async Task GetPageAsOfMatchesAModelAcrossCoalesceGcAndRestart(int seed)
    {
        string dir = TestKit.NewDir();
        var rng = new Random(seed);
        var gen = new RecordGen(seed);
        void Small(StorageNodeOptions o) => o.LogFileSize = 8 * 1024;
        var node = await TestKit.StartAsync(1, dir, configure: Small);
        var c = await TestKit.ConnectAsync(node);
        await TestKit.EnsureAsync(c, TestKit.Seg(), new Membership(1, []));
        ulong minRead = 0;
        for (int round = 0; round < 12; round++)
        {
            for (int b = 0; b < 4; b++) await TestKit.AppendAsync(c, TestKit.Seg(), gen.Batch(rng.Next(1, 12)), minReadPoint: minRead);
            int action = rng.Next(3);
            if (action == 0)
            {
                minRead = gen.LastLsn - (ulong)rng.Next(0, 10);
                await TestKit.AppendAsync(c, TestKit.Seg(), gen.Batch(1), minReadPoint: minRead);
                await node.CoalesceNowAsync();
            }
            else if (action == 1)
            {
                await c.DisposeAsync();
                await node.DisposeAsync();
                node = await TestKit.StartAsync(1, dir, configure: Small);
                c = await TestKit.ConnectAsync(node);
            }
            var st = await TestKit.StateAsync(c, TestKit.Seg());
            Assert.True(gen.LastLsn == st.Scl, $"seed {seed} round {round}: SCL {st.Scl} != {gen.LastLsn}");
            Assert.True(st.BaseLsn <= minRead, $"seed {seed}: base {st.BaseLsn} above min read point {minRead}");
            for (int k = 0; k < 6; k++)
            {
                ulong page = gen.FirstPage + (ulong)rng.Next(0, 9);
                ulong asOf = st.BaseLsn + (ulong)rng.NextInt64(0, (long)(st.Scl - st.BaseLsn + 1));
                var got = await TestKit.GetPageAsync(c, TestKit.Seg(), page, asOf);
                Assert.True(gen.Model(page, asOf).SequenceEqual(got), $"seed {seed} round {round}: page {page} as of {asOf} (base {st.BaseLsn}) differs from the model");
            }
            if (st.BaseLsn > 0)
            {
                var ex = await Assert.ThrowsAsync<StorageException>(() => TestKit.GetPageAsync(c, TestKit.Seg(), gen.FirstPage, st.BaseLsn - 1));
                Assert.Equal(ErrorCode.NotAvailable, ex.Code);
            }
            var above = await Assert.ThrowsAsync<StorageException>(() => TestKit.GetPageAsync(c, TestKit.Seg(), gen.FirstPage, st.Scl + 1));
            Assert.Equal(ErrorCode.NotAvailable, above.Code);
        }
        // Coalesce everything and check that old log files were deleted.
        minRead = gen.LastLsn;
        await TestKit.AppendAsync(c, TestKit.Seg(), gen.Batch(1), minReadPoint: gen.LastLsn + 1);
        int filesBefore = Directory.GetFiles(Path.Combine(dir, "log")).Length;
        await node.CoalesceNowAsync();
        await c.DisposeAsync();
        await node.DisposeAsync();
        node = await TestKit.StartAsync(1, dir, configure: Small);
        await node.CoalesceNowAsync();
        int filesAfter = Directory.GetFiles(Path.Combine(dir, "log")).Length;
        Assert.True(filesAfter <= 1 && filesAfter < filesBefore, $"seed {seed}: {filesBefore} log files before GC, {filesAfter} after");
        c = await TestKit.ConnectAsync(node);
        var final = await TestKit.StateAsync(c, TestKit.Seg());
        Assert.Equal(gen.LastLsn, final.BaseLsn);
        for (ulong p = gen.FirstPage; p < gen.FirstPage + 9; p++)
        {
            var got = await TestKit.GetPageAsync(c, TestKit.Seg(), p, gen.LastLsn);
            Assert.True(gen.Model(p, gen.LastLsn).SequenceEqual(got), $"seed {seed}: page {p} after full coalesce");
        }
        await c.DisposeAsync();
        await node.DisposeAsync();
        TestKit.TryDelete(dir);
    }

    [Fact]
    public async Task EpochFencingRefusesOldWritersAndTruncateDropsDeposedRecords()
    {
        string dir = TestKit.NewDir();
        var node = await TestKit.StartAsync(1, dir);
        var c = await TestKit.ConnectAsync(node);
        await TestKit.EnsureAsync(c, TestKit.Seg(), new Membership(1, []));
        var gen = new RecordGen(41, epoch: 1);
        await TestKit.AppendAsync(c, TestKit.Seg(), gen.Batch(10));          // 1..10, epoch 1
        // A new writer seals epoch 2: the old writer is fenced.
        var sealedSt = await TestKit.EpochAsync(c, MessageType.SealEpoch, TestKit.Seg(), 2, 0);
        Assert.Equal(2U, sealedSt.VolumeEpoch);
        var stale = await Assert.ThrowsAsync<StorageException>(() => TestKit.AppendAsync(c, TestKit.Seg(), gen.Batch(1), epoch: 1));
        Assert.Equal(ErrorCode.StaleEpoch, stale.Code);
        Assert.Equal(2U, stale.CurrentEpoch);
        var staleSeal = await Assert.ThrowsAsync<StorageException>(() => TestKit.EpochAsync(c, MessageType.SealEpoch, TestKit.Seg(), 1, 0));
        Assert.Equal(ErrorCode.StaleEpoch, staleSeal.Code);
        // Recovery decided VDL = 7: records 8..10 of epoch 1 are deposed.
        var tr = await TestKit.EpochAsync(c, MessageType.Truncate, TestKit.Seg(), 2, 7);
        Assert.Equal(7UL, tr.Scl);
        Assert.Equal(7UL, tr.MaxLsn);
        Assert.Equal(7UL, tr.EpochStartLsn);
        // The new writer continues at 8 with epoch 2.
        var gen2 = new RecordGen(42, epoch: 2) { LastLsn = 7 };
        var ack = await TestKit.AppendAsync(c, TestKit.Seg(), gen2.Batch(3), epoch: 2, epochStart: 7);
        Assert.Equal(10UL, ack.Scl);
        await c.DisposeAsync();
        await node.DisposeAsync();

        // After a restart the deposed records in the log stay discarded and epoch 2's win.
        node = await TestKit.StartAsync(1, dir);
        c = await TestKit.ConnectAsync(node);
        var st = await TestKit.StateAsync(c, TestKit.Seg());
        Assert.Equal(10UL, st.Scl);
        Assert.Equal(2U, st.VolumeEpoch);
        foreach (var (lsn, page, _) in gen2.All)
        {
            var model = new byte[Page.Size];
            foreach (var r in gen.All) if (r.Lsn <= 7 && r.Page == page) PageApply.Apply(model, r.Record);
            foreach (var r in gen2.All) if (r.Lsn <= lsn && r.Page == page) PageApply.Apply(model, r.Record);
            Page.SealChecksum(model, page);
            Assert.Equal(model, await TestKit.GetPageAsync(c, TestKit.Seg(), page, lsn));
        }
        await c.DisposeAsync();
        await node.DisposeAsync();
        TestKit.TryDelete(dir);
    }

    [Fact]
    public async Task NewerEpochAppendAdoptsTheEpochAndDropsDeposedRecords()
    {
        string dir = TestKit.NewDir();
        var node = await TestKit.StartAsync(1, dir);
        var c = await TestKit.ConnectAsync(node);
        await TestKit.EnsureAsync(c, TestKit.Seg(), new Membership(1, []));
        var gen = new RecordGen(43, epoch: 1);
        await TestKit.AppendAsync(c, TestKit.Seg(), gen.Batch(6));
        // This node missed the recovery (VDL 4) and learns epoch 3 from the first write.
        var gen3 = new RecordGen(44, epoch: 3) { LastLsn = 4 };
        var ack = await TestKit.AppendAsync(c, TestKit.Seg(), gen3.Batch(1), epoch: 3, epochStart: 4);
        Assert.Equal(5UL, ack.Scl);
        Assert.Equal(5UL, ack.MaxLsn);
        Assert.Equal(3U, node.GetSegmentState(TestKit.Seg())!.Value.VolumeEpoch);
        await c.DisposeAsync();
        await node.DisposeAsync();
        TestKit.TryDelete(dir);
    }
}
