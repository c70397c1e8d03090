using Borealis.Engine.Buffer;
using Borealis.Engine.Space;
using Borealis.Volume;

namespace Borealis.Engine.Tests.Space;

public class PageAllocatorTests
{
    [Fact]
    public async Task AllocatesDistinctPagesConcurrentlyReusesFreedOnesAndSurvivesAPoolRestart()
    {
        var vol = new MemoryVolume(pageCount: 10_000);
        var pool = new BufferPool(vol, 8);
        var alloc = new PageAllocator(pool);
        await alloc.FormatAsync();
        await alloc.FormatAsync(); // idempotent
        var tasks = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            var mine = new List<ulong>();
            for (int i = 0; i < 50; i++) mine.Add(await alloc.AllocateAsync());
            return mine;
        })).ToArray();
        var all = (await Task.WhenAll(tasks)).SelectMany(x => x).ToList();
        Assert.Equal(400, all.Distinct().Count());
        Assert.DoesNotContain(0ul, all);
        Assert.Equal(400ul, all.Max());

        await alloc.FreeAsync(17);
        await alloc.FreeAsync(33);
        Assert.Equal(33ul, await alloc.AllocateAsync());
        Assert.Equal(17ul, await alloc.AllocateAsync());

        // A new pool (the instance restarted) sees the same allocator state, rebuilt by "storage".
        var pool2 = new BufferPool(vol, 8);
        var alloc2 = new PageAllocator(pool2);
        Assert.Equal(401ul, await alloc2.AllocateAsync());
    }

    [Fact]
    public async Task AFullVolumeSaysSo()
    {
        var vol = new MemoryVolume(pageCount: 3);
        var pool = new BufferPool(vol, 4);
        var alloc = new PageAllocator(pool);
        await alloc.FormatAsync();
        await alloc.AllocateAsync();
        await alloc.AllocateAsync();
        var ex = await Assert.ThrowsAsync<VolumeFullException>(async () => await alloc.AllocateAsync());
        Assert.Equal("53100", ex.SqlState);
    }
}
