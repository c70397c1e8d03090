using Borealis.Engine.Buffer;
using Borealis.Engine.Heap;
using Borealis.Engine.Space;
using Borealis.Redo;
using Borealis.Redo.Heap;
using Borealis.Volume;

namespace Borealis.Engine.Tests.Heap;

/// <summary>What the model expects one tuple version to hold.</summary>
internal sealed record ModelVersion(ulong Xmin, ulong Xmax, uint Cmin, uint Cmax, Tid Ctid, HeapInfomask Mask, byte[] Row)
{
    public override string ToString() => $"xmin {Xmin} xmax {Xmax} cmin {Cmin} cmax {Cmax} ctid {Ctid} mask {Mask} len {Row.Length}";
}

internal static class HeapTestKit
{
    public static async Task<(MemoryVolume Vol, BufferPool Pool, PageAllocator Alloc, HeapTable Table)> NewAsync(int frames, ulong pageCount = 1 << 20)
    {
        var vol = new MemoryVolume(pageCount);
        var pool = new BufferPool(vol, frames);
        var alloc = new PageAllocator(pool);
        await alloc.FormatAsync();
        var table = await HeapTable.CreateAsync(pool, alloc);
        return (vol, pool, alloc, table);
    }

    public static int Seed(string envVar)
        => Environment.GetEnvironmentVariable(envVar) is { } s ? int.Parse(s) : Random.Shared.Next();

    public static byte[] Row(Random rng, int len)
    {
        var r = new byte[len];
        rng.NextBytes(r);
        return r;
    }

    /// <summary>Every version the heap holds, by scan (overflow rows fetched in full).</summary>
    public static async Task<Dictionary<Tid, ModelVersion>> ScanAllAsync(HeapTable table)
    {
        var result = new Dictionary<Tid, ModelVersion>();
        var large = new List<(Tid, HeapTupleHeader, int)>();
        using (var scan = table.Scan())
        {
            while (await scan.NextPageAsync())
            {
                while (scan.TryNext(out var t))
                {
                    var h = t.Header;
                    if (t.HasOverflow) large.Add((t.Tid, h, t.RowLength));
                    else result.Add(t.Tid, new ModelVersion(h.Xmin, h.Xmax, h.Cmin, h.Cmax, h.Ctid, h.Infomask, t.Data.ToArray()));
                }
            }
        }
        foreach (var (tid, h, len) in large)
        {
            var buf = new byte[len];
            var r = await table.FetchAsync(tid, buf);
            Assert.Equal(FetchStatus.Ok, r.Status);
            result.Add(tid, new ModelVersion(h.Xmin, h.Xmax, h.Cmin, h.Cmax, h.Ctid, h.Infomask, buf));
        }
        return result;
    }

    public static void AssertSame(Dictionary<Tid, ModelVersion> expected, Dictionary<Tid, ModelVersion> actual, string context)
    {
        foreach (var (tid, v) in expected)
        {
            Assert.True(actual.TryGetValue(tid, out var a), $"{context}: version {tid} ({v}) is missing");
            AssertSameVersion(v, a!, $"{context}: {tid}");
        }
        foreach (var tid in actual.Keys)
            Assert.True(expected.ContainsKey(tid), $"{context}: unexpected version {tid} ({actual[tid]})");
    }

    public static void AssertSameVersion(ModelVersion e, ModelVersion a, string context)
    {
        Assert.True(e.Xmin == a.Xmin && e.Xmax == a.Xmax && e.Cmin == a.Cmin && e.Cmax == a.Cmax && e.Ctid == a.Ctid && e.Mask == a.Mask,
            $"{context}: expected {e}, got {a}");
        Assert.True(e.Row.AsSpan().SequenceEqual(a.Row), $"{context}: row bytes differ");
    }

    /// <summary>Every cached page (below the allocator's high-water mark) equals the page storage builds: body and LSN.</summary>
    public static async Task<int> AssertCachedPagesMatchStorageAsync(MemoryVolume vol, BufferPool pool)
    {
        ulong high;
        using (var sb = await pool.PinAsync(SuperBlock.PageNo))
        {
            sb.LatchShared();
            high = SuperBlock.NextPage(sb.Page);
            sb.UnlatchShared();
        }
        int compared = 0;
        for (ulong p = 0; p < high; p++)
        {
            if (!pool.TryPinCached(p, out var h)) continue;
            using (h)
            {
                h.LatchShared();
                try
                {
                    var built = vol.Materialise(p);
                    Assert.Equal(Page.GetLsn(built), h.Lsn);
                    if (!built.AsSpan(Page.HeaderSize).SequenceEqual(h.Page[Page.HeaderSize..]))
                        Assert.Fail($"page {p} ({PageKinds.Of(built)}): cached body differs from the page storage builds");
                    compared++;
                }
                finally { h.UnlatchShared(); }
            }
        }
        return compared;
    }

    /// <summary>A prune predicate that follows precomputed decisions.</summary>
    public readonly struct Decisions(Dictionary<Tid, PruneAction> map) : IHeapPrunePredicate
    {
        public PruneAction Decide(Tid tid, SlotState state, in HeapTupleHeader header, ReadOnlySpan<byte> data)
            => map.TryGetValue(tid, out var a) ? a : PruneAction.Keep;
    }
}
