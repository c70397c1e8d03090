using Borealis.Engine.Buffer;
using Borealis.Engine.Heap;
using Borealis.Engine.Space;
using Borealis.Redo.Heap;
using Xunit.Abstractions;

namespace Borealis.Engine.Tests.Heap;

public class HeapSpaceTests(ITestOutputHelper output)
{
    [Fact]
    public async Task AHeapGrowsPastOneDirectoryPageAndScansInOrderAfterARestart()
    {
        var (vol, pool, _, table) = await HeapTestKit.NewAsync(frames: 64);
        var row = new byte[HeapTable.OverflowThreshold];
        int perPage = (Redo.Page.Size - HeapPage.HeaderEnd) / (HeapTuple.HeaderSize + row.Length + HeapPage.LinePointerSize);
        int rows = (FreeSpacePage.Capacity + 5) * perPage;
        var tids = new List<Tid>(rows);
        for (int i = 0; i < rows; i++)
        {
            BitConverter.TryWriteBytes(row, i);
            tids.Add((await table.InsertAsync(10, 0, row)).Tid);
        }
        var (dirs, _) = await table.Space.ReadMetaAsync(0, default);
        Assert.Equal(2, dirs);
        output.WriteLine($"{rows} rows on {tids.Select(t => t.Page).Distinct().Count()} pages, {dirs} directory pages; {vol.RecordCount} records");

        // After a restart the scan returns every row in insertion order (pages in directory order, slots in order).
        var pool2 = new BufferPool(vol, 16);
        var table2 = HeapTable.Open(pool2, new PageAllocator(pool2), table.MetaPage);
        int next = 0;
        using (var scan = table2.Scan())
        {
            while (await scan.NextPageAsync())
            {
                while (scan.TryNext(out var t))
                {
                    Assert.Equal(tids[next], t.Tid);
                    Assert.Equal(next, BitConverter.ToInt32(t.Data));
                    next++;
                }
            }
        }
        Assert.Equal(rows, next);
        await HeapTestKit.AssertCachedPagesMatchStorageAsync(vol, pool);
    }

    [Fact]
    public async Task APageWithAFullSlotArrayIsNotOfferedForInserts()
    {
        var (_, _, _, table) = await HeapTestKit.NewAsync(frames: 16);
        var tids = new List<Tid>();
        for (int i = 0; i < HeapPage.MaxSlots; i++) tids.Add((await table.InsertAsync(5, 0, ReadOnlyMemory<byte>.Empty)).Tid);
        ulong page = tids[0].Page;
        Assert.All(tids, t => Assert.Equal(page, t.Page));
        var all = tids.ToDictionary(t => t, _ => PruneAction.Dead);
        var pr = await table.PruneAsync(page, new HeapTestKit.Decisions(all));
        Assert.Equal(HeapPage.MaxSlots, pr.Dead);
        Assert.True(pr.FreeBytes > 7000);
        Assert.Equal(0, await table.RecordedCategoryAsync(page)); // lots of bytes, but no line pointer left
        for (int i = 0; i < 20; i++) Assert.NotEqual(page, (await table.InsertAsync(6, 0, new byte[50])).Tid.Page);

        // Once vacuum frees the line pointers, the page is offered again.
        await table.PruneAsync(page, new HeapTestKit.Decisions(tids.ToDictionary(t => t, _ => PruneAction.Unused)));
        Assert.True(await table.RecordedCategoryAsync(page) > 200);
    }

    [Fact]
    public async Task FreeSpaceMapCostsLittleRedo()
    {
        var (vol, _, _, table) = await HeapTestKit.NewAsync(frames: 32);
        var row = new byte[100];
        await table.InsertAsync(1, 0, row);
        long before = vol.RecordCount;
        const int n = 5000;
        for (int i = 0; i < n; i++) await table.InsertAsync(1, 0, row);
        long records = vol.RecordCount - before;
        int pages = n / ((Redo.Page.Size - HeapPage.HeaderEnd) / (HeapTuple.HeaderSize + 100 + 4)) + 1;
        output.WriteLine($"{n} inserts: {records} records (~{pages} pages filled)");
        // One record per insert, plus per filled page: allocation, extension (init + entry + summary) and one category update.
        Assert.True(records <= n + pages * 7, $"{records} records for {n} inserts");
    }
}
