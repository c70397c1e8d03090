using Borealis.Engine.Buffer;
using Borealis.Engine.Mtr;
using Borealis.Redo;
using Borealis.Volume;

namespace Borealis.Engine.Tests.Buffer;

public class BufferPoolTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static async Task<ulong> WriteAsync(BufferPool pool, ulong pageNo, ushort offset, byte value)
    {
        using var mtr = new EngineMtr(pool);
        var h = await mtr.GetForWriteAsync(pageNo);
        mtr.Log(h, RedoType.WriteBytes, [(byte)offset, (byte)(offset >> 8), value, value]);
        return await mtr.CommitAsync();
    }

    [Fact]
    public async Task CachedPageEqualsThePageStorageBuildsAndCarriesItsLastLsn()
    {
        var vol = new MemoryVolume();
        var pool = new BufferPool(vol, 16);
        ulong lsn = 0;
        for (int i = 0; i < 50; i++) lsn = await WriteAsync(pool, (ulong)(i % 5), (ushort)(100 + i), (byte)i);
        for (ulong p = 0; p < 5; p++)
        {
            using var h = await pool.PinAsync(p);
            var built = vol.Materialise(p);
            Assert.Equal(built.AsSpan(Page.HeaderSize).ToArray(), h.Page[Page.HeaderSize..].ToArray());
            Assert.Equal(Page.GetLsn(built), h.Lsn);
        }
        Assert.Equal(50ul, lsn);
    }

    [Fact]
    public async Task APageAboveVdlIsNeverEvicted()
    {
        var vol = new MemoryVolume { HoldDurability = true };
        var pool = new BufferPool(vol, 4);
        for (ulong p = 0; p < 4; p++) await WriteAsync(pool, p, 100, 1);
        // Every frame holds a change storage cannot yet rebuild: a fifth page must wait for VDL.
        var pin = pool.PinAsync(10).AsTask();
        await Task.Delay(100);
        Assert.False(pin.IsCompleted);
        for (ulong p = 0; p < 4; p++) Assert.True(pool.IsCached(p));
        vol.MakeDurable(2);
        using var h = await pin.WaitAsync(Wait);
        // Only pages with LSN ≤ 2 (pages 0 and 1) could make room; pages 2 and 3 stay.
        Assert.True(pool.IsCached(2) && pool.IsCached(3));
        Assert.False(pool.IsCached(0) && pool.IsCached(1));
    }

    [Fact]
    public async Task AnEvictedPageComesBackFromStorageWithItsChanges()
    {
        var vol = new MemoryVolume();
        var pool = new BufferPool(vol, 4);
        for (ulong p = 0; p < 20; p++) await WriteAsync(pool, p, 200, (byte)(p + 1));
        Assert.True(pool.Evictions > 0);
        for (ulong p = 0; p < 20; p++)
        {
            using var h = await pool.PinAsync(p);
            Assert.Equal((byte)(p + 1), h.Page[200]);
        }
    }

    [Fact]
    public async Task AScanDoesNotPushHotPagesOut()
    {
        var vol = new MemoryVolume();
        var pool = new BufferPool(vol, 32);
        for (ulong p = 0; p < 200; p++) await WriteAsync(pool, p, 100, 1);
        // Pages 0..7 are hot: used several times.
        for (int round = 0; round < 3; round++)
            for (ulong p = 0; p < 8; p++) { using var h = await pool.PinAsync(p); }
        long missesBefore = pool.Misses;
        for (ulong p = 8; p < 200; p++) { using var h = await pool.PinAsync(p, PageAccess.Scan); }
        for (ulong p = 0; p < 8; p++) Assert.True(pool.IsCached(p), $"hot page {p} was evicted by a scan");
        Assert.True(pool.Misses > missesBefore);
    }

    [Fact]
    public async Task AnAbandonedMtrLeavesNoTraceInTheCache()
    {
        var vol = new MemoryVolume();
        var pool = new BufferPool(vol, 8);
        await WriteAsync(pool, 3, 100, 7);
        using (var mtr = new EngineMtr(pool))
        {
            var h = await mtr.GetForWriteAsync(3);
            mtr.Log(h, RedoType.WriteBytes, [100, 0, 9, 9]);
            // disposed without commit: e.g. the statement failed half-way
        }
        using var again = await pool.PinAsync(3);
        Assert.Equal(7, again.Page[100]);
        Assert.Equal(1ul, again.Lsn);
    }

    [Fact]
    public async Task AMissDoesNotBlockHitsOnOtherPages()
    {
        var slow = new SlowVolume(new MemoryVolume());
        var pool = new BufferPool(slow, 8);
        await WriteAsync(pool, 1, 100, 1);
        await WriteAsync(pool, 2, 100, 2);
        // Evict page 2 by touching others, then read it slowly while page 1 stays usable.
        slow.Gate = new TaskCompletionSource();
        slow.Reads = 0;
        var miss = pool.PinAsync(50).AsTask();
        using (var hit = await pool.PinAsync(1).AsTask().WaitAsync(Wait))
            Assert.Equal(1, hit.Page[100]);
        Assert.False(miss.IsCompleted);
        var sameMiss = pool.PinAsync(50).AsTask();
        slow.Gate.SetResult();
        using var a = await miss.WaitAsync(Wait);
        using var b = await sameMiss.WaitAsync(Wait);
        Assert.Equal(1, slow.Reads);
    }

    [Fact]
    public async Task APinnedHitAllocatesNothing()
    {
        var vol = new MemoryVolume();
        var pool = new BufferPool(vol, 8);
        await WriteAsync(pool, 1, 100, 1);
        for (int i = 0; i < 100; i++) { using var w = await pool.PinAsync(1); w.LatchShared(); w.UnlatchShared(); }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            var t = pool.PinAsync(1);
            using var h = t.Result;
            h.LatchShared();
            _ = h.Page[100];
            h.UnlatchShared();
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private sealed class SlowVolume(MemoryVolume inner) : IRedoVolume
    {
        public TaskCompletionSource? Gate;
        public int Reads;
        public ulong PageCount => inner.PageCount;
        public ulong Vdl => inner.Vdl;
        public ValueTask<ulong> AppendAsync(MiniTransaction mtr, CancellationToken ct = default) => inner.AppendAsync(mtr, ct);
        public ValueTask WaitDurableAsync(ulong lsn, CancellationToken ct = default) => inner.WaitDurableAsync(lsn, ct);
        public async ValueTask ReadPageAsync(ulong pageNo, ulong asOfLsn, Memory<byte> destination, CancellationToken ct = default)
        {
            Interlocked.Increment(ref Reads);
            if (Gate is not null) await Gate.Task;
            await inner.ReadPageAsync(pageNo, asOfLsn, destination, ct);
        }
        public void SetMinReadPoint(ulong lsn) => inner.SetMinReadPoint(lsn);
    }
}
