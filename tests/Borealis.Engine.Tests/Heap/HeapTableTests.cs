using Borealis.Engine.Buffer;
using Borealis.Engine.Heap;
using Borealis.Engine.Space;
using Borealis.Redo;
using Borealis.Redo.Heap;
using Borealis.Volume;
using Xunit.Abstractions;

namespace Borealis.Engine.Tests.Heap;

public class HeapTableTests(ITestOutputHelper output)
{
    [Fact]
    public async Task SeededRandomWorkloadMatchesTheModelAndStorageBuildsTheSamePages()
    {
        int seed = HeapTestKit.Seed("HEAP_SEED");
        output.WriteLine($"seed {seed} (replay with HEAP_SEED={seed})");
        var (vol, pool, _, table) = await HeapTestKit.NewAsync(frames: 16);
        var w = new HeapWorkload(table, new Random(seed));
        for (int i = 1; i <= 4000; i++)
        {
            await w.StepAsync();
            if (i % 1000 == 0)
            {
                await w.CheckAllAsync($"seed {seed} step {i}");
                int compared = await HeapTestKit.AssertCachedPagesMatchStorageAsync(vol, pool);
                output.WriteLine($"step {i}: {w}; {compared} cached pages equal storage's");
            }
        }
        output.WriteLine($"pool: {pool.Misses} misses, {pool.Evictions} evictions; volume: {vol.RecordCount} records, {vol.RedoBytes} bytes");
        Assert.True(pool.Evictions > 100, "the pool must be small enough for pages to be evicted and re-read");
        Assert.True(w.Prunes > 0 && w.LargeRows > 0 && w.Updates > 0 && w.Conflicts > 0);
    }

    [Fact]
    public async Task AFreshPoolOverTheSameVolumeSeesEverythingIncludingFreeSpace()
    {
        int seed = HeapTestKit.Seed("HEAP_SEED");
        output.WriteLine($"seed {seed} (replay with HEAP_SEED={seed})");
        var (vol, pool, _, table) = await HeapTestKit.NewAsync(frames: 24);
        var w = new HeapWorkload(table, new Random(seed));
        for (int i = 0; i < 1500; i++) await w.StepAsync();
        // Empty one page completely so the free-space map has a roomy page to offer after the restart.
        ulong roomy = w.Model.Keys.First().Page;
        await w.PruneAsync(roomy, everything: true);
        var pages = new HashSet<ulong>();
        using (var scan = table.Scan())
            while (await scan.NextPageAsync()) pages.Add(scan.CurrentPage);
        var categories = new Dictionary<ulong, byte>();
        foreach (var p in pages) categories[p] = await table.RecordedCategoryAsync(p);
        // Prune records the page's real category at once (Dead line pointers still take 4 bytes each).
        using (var h = await pool.PinAsync(roomy))
        {
            h.LatchShared();
            int free = HeapPage.FreeSpace(h.Page);
            h.UnlatchShared();
            Assert.Equal(FreeSpacePage.Category(free), categories[roomy]);
            Assert.True(free > Page.Size / 2);
        }

        // The instance restarts: a new pool, nothing but the volume.
        var pool2 = new BufferPool(vol, 24);
        var alloc2 = new PageAllocator(pool2);
        var table2 = HeapTable.Open(pool2, alloc2, table.MetaPage);
        var w2 = new HeapWorkload(table2, new Random(seed + 1));
        foreach (var (k, v) in w.Model) w2.Model[k] = v;
        foreach (var d in w.Dead) w2.Dead.Add(d);
        w2.Xid = w.Xid;
        await w2.CheckAllAsync($"seed {seed} after restart");
        foreach (var p in pages) Assert.Equal(categories[p], await table2.RecordedCategoryAsync(p));

        // An insert finds room through the logged map instead of extending the heap.
        var r = await table2.InsertAsync(w.Xid + 1, 0, new byte[100]);
        Assert.Contains(r.Tid.Page, pages);
        w2.Model[r.Tid] = new ModelVersion(w.Xid + 1, 0, 0, 0, r.Tid, HeapInfomask.None, new byte[100]);
        w2.Xid += 2;
        for (int i = 0; i < 300; i++) await w2.StepAsync();
        await w2.CheckAllAsync($"seed {seed} after restart + work");
        await HeapTestKit.AssertCachedPagesMatchStorageAsync(vol, pool2);
    }

    [Fact]
    public async Task FetchingARowFromACachedPageAllocatesNothing()
    {
        var (_, _, _, table) = await HeapTestKit.NewAsync(frames: 16);
        var row = new byte[120];
        Random.Shared.NextBytes(row);
        var tid = (await table.InsertAsync(5, 0, row)).Tid;
        var buf = new byte[200];
        Memory<byte> mem = buf;
        for (int i = 0; i < 100; i++) _ = table.FetchAsync(tid, mem).Result;
        long before = GC.GetAllocatedBytesForCurrentThread();
        int total = 0;
        for (int i = 0; i < 1000; i++)
        {
            var t = table.FetchAsync(tid, mem);
            total += t.Result.Length;
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(120 * 1000, total);
        Assert.True(buf.AsSpan(0, 120).SequenceEqual(row));
    }

    [Fact]
    public async Task SingleRowWritesOnACachedPageAllocateNothingOnceWarm()
    {
        // A volume that keeps nothing, so what is measured is the heap's own work (MemoryVolume copies every record).
        var vol = new NullVolume();
        var pool = new BufferPool(vol, 16);
        var alloc = new PageAllocator(pool);
        await alloc.FormatAsync();
        var table = await HeapTable.CreateAsync(pool, alloc);
        ReadOnlyMemory<byte> row = new byte[40];
        var tids = new Tid[60];
        for (int i = 0; i < tids.Length; i++) tids[i] = (await table.InsertAsync(5, 0, row)).Tid;
        for (int i = 0; i < 5; i++)
        {
            _ = table.SetXmaxAsync(tids[i], 6, 0, HeapInfomask.XmaxLockOnly).Result;
            _ = table.UpdateAsync(tids[10 + i], 6, 0, row).Result;
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++) _ = table.InsertAsync(7, 0, row).Result;
        long afterInsert = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++) _ = table.SetXmaxAsync(tids[20 + i], 7, 0, HeapInfomask.None).Result;
        long afterSetXmax = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++) _ = table.UpdateAsync(tids[40 + i], 7, 1, row).Result;
        long afterUpdate = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal((0L, 0L, 0L), (afterInsert - before, afterSetXmax - afterInsert, afterUpdate - afterSetXmax));
        Assert.True(tids.All(t => t.Page == tids[0].Page));
    }

    [Fact]
    public async Task ScanningCachedPagesAllocatesNothingPerTupleOrPage()
    {
        var (_, pool, _, table) = await HeapTestKit.NewAsync(frames: 64);
        ReadOnlyMemory<byte> row = new byte[200];
        for (int i = 0; i < 500; i++) await table.InsertAsync(5, 0, row);
        using (var warm = table.Scan()) while (await warm.NextPageAsync()) while (warm.TryNext(out _)) { }
        using var scan = table.Scan();
        long before = GC.GetAllocatedBytesForCurrentThread();
        int tuples = 0, pages = 0;
        while (scan.NextPageAsync().Result)
        {
            pages++;
            while (scan.TryNext(out var t)) tuples += t.Data.Length == 200 ? 1 : 0;
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(500, tuples);
        Assert.True(pages > 10);
        _ = pool;
    }

    /// <summary>Accepts every append (dense LSNs, immediately durable) and keeps nothing; reads return zero pages.</summary>
    private sealed class NullVolume : IRedoVolume
    {
        private ulong _next;
        public ulong PageCount => 1 << 20;
        public ulong Vdl => Interlocked.Read(ref _next);
        public ValueTask<ulong> AppendAsync(MiniTransaction mtr, CancellationToken ct = default)
            => new(Interlocked.Add(ref _next, (ulong)mtr.Count));
        public ValueTask WaitDurableAsync(ulong lsn, CancellationToken ct = default) => default;
        public ValueTask ReadPageAsync(ulong pageNo, ulong asOfLsn, Memory<byte> destination, CancellationToken ct = default)
        {
            destination.Span.Clear();
            return default;
        }
        public void SetMinReadPoint(ulong lsn) { }
    }

    [Fact]
    public async Task A16MegabyteRowRoundTripsAndVacuumFreesItsPages()
    {
        var (vol, pool, alloc, table) = await HeapTestKit.NewAsync(frames: 32);
        var row = new byte[16 * 1024 * 1024 + 123];
        new Random(7).NextBytes(row);
        var ins = await table.InsertAsync(9, 1, row);
        var small = await table.FetchAsync(ins.Tid, new byte[10]);
        Assert.Equal(FetchStatus.BufferTooSmall, small.Status);
        Assert.Equal(row.Length, small.Length);
        Assert.True(small.Header.HasOverflow);
        var buf = new byte[row.Length];
        var r = await table.FetchAsync(ins.Tid, buf);
        Assert.Equal(FetchStatus.Ok, r.Status);
        Assert.True(buf.AsSpan().SequenceEqual(row));

        // A fresh pool reads it back from "storage".
        var pool2 = new BufferPool(vol, 16);
        var table2 = HeapTable.Open(pool2, new PageAllocator(pool2), table.MetaPage);
        Array.Clear(buf);
        Assert.Equal(FetchStatus.Ok, (await table2.FetchAsync(ins.Tid, buf)).Status);
        Assert.True(buf.AsSpan().SequenceEqual(row));

        // Delete, then vacuum: the chain goes back to the allocator and its pages are handed out again.
        Assert.Equal(SetXmaxStatus.Ok, (await table.SetXmaxAsync(ins.Tid, 10, 0, HeapInfomask.None)).Status);
        var pr = await table.PruneAsync(ins.Tid.Page, new HeapTestKit.Decisions(new() { [ins.Tid] = PruneAction.Unused }));
        int chunks = (row.Length + OverflowPage.MaxChunk - 1) / OverflowPage.MaxChunk;
        Assert.Equal(chunks, pr.OverflowPagesFreed);
        Assert.Equal(FetchStatus.NotFound, (await table.FetchAsync(ins.Tid, buf)).Status);
        ulong reused = await alloc.AllocateAsync();
        Assert.True(reused < (ulong)chunks + 10, $"page {reused} should come from the freed chain");
    }

    [Fact]
    public async Task AChainFreedAndReusedUnderAStaleReaderIsReportedCorruptNotReturned()
    {
        var (_, pool, _, table) = await HeapTestKit.NewAsync(frames: 16);
        var row = new byte[20_000];
        new Random(3).NextBytes(row);
        var ins = await table.InsertAsync(9, 1, row);
        // A reader that saw the tuple keeps its overflow pointer...
        OverflowRef stale = default;
        using (var scan = table.Scan())
            while (await scan.NextPageAsync())
                while (scan.TryNext(out var t))
                    if (t.Tid == ins.Tid) stale = new OverflowRef(OverflowPointer.FirstPage(t.Data), OverflowPointer.Length(t.Data), OverflowPointer.Crc(t.Data));
        Assert.True(stale.IsSet);
        var buf = new byte[row.Length];
        Assert.Equal(FetchStatus.Ok, await HeapOverflow.ReadAsync(pool, stale, buf, default));
        // ...while vacuum frees the chain and another row reuses its pages.
        await table.PruneAsync(ins.Tid.Page, new HeapTestKit.Decisions(new() { [ins.Tid] = PruneAction.Dead }));
        Assert.Equal(FetchStatus.NotFound, (await table.FetchAsync(ins.Tid, buf)).Status);
        var ins2 = await table.InsertAsync(10, 1, new byte[20_000]);
        Assert.Equal(FetchStatus.Ok, (await table.FetchAsync(ins2.Tid, buf)).Status);
        Assert.Equal(FetchStatus.Corrupt, await HeapOverflow.ReadAsync(pool, stale, buf, default));
    }

    [Fact]
    public async Task SetXmaxOnAMissingSlotSaysNotFoundAndChangesNothing()
    {
        var (vol, _, _, table) = await HeapTestKit.NewAsync(frames: 16);
        var tid = (await table.InsertAsync(5, 0, new byte[10])).Tid;
        long records = vol.RecordCount;
        Assert.Equal(SetXmaxStatus.NotFound, (await table.SetXmaxAsync(tid with { Slot = 9 }, 6, 0, HeapInfomask.None)).Status);
        Assert.Equal(SetXmaxStatus.NotFound, (await table.UpdateAsync(tid with { Slot = 9 }, 6, 0, new byte[3])).Status);
        Assert.Equal(SetXmaxStatus.NotFound, (await table.SetXmaxAsync(new Tid(table.MetaPage, 0), 6, 0, HeapInfomask.None)).Status);
        Assert.Equal(FetchStatus.NotFound, (await table.FetchAsync(new Tid(table.MetaPage, 0), new byte[10])).Status);
        Assert.Equal(records, vol.RecordCount);
        await Assert.ThrowsAsync<ArgumentException>(async () => await table.SetXmaxAsync(tid, 6, 0, HeapInfomask.HasOverflow));
    }

    [Fact]
    public async Task SingleRowOperationsAreOneMtrWithOneRecord()
    {
        var (vol, _, _, table) = await HeapTestKit.NewAsync(frames: 16);
        var tid = (await table.InsertAsync(5, 0, new byte[10])).Tid; // first insert extends the heap
        long r0 = vol.RecordCount;
        var t2 = (await table.InsertAsync(5, 1, new byte[10])).Tid;
        Assert.Equal(r0 + 1, vol.RecordCount);
        await table.SetXmaxAsync(t2, 6, 0, HeapInfomask.None);
        Assert.Equal(r0 + 2, vol.RecordCount);
        var u = await table.UpdateAsync(tid, 6, 1, new byte[12]);
        Assert.Equal(tid.Page, u.NewTid.Page);
        Assert.Equal(r0 + 3, vol.RecordCount);
    }
}
