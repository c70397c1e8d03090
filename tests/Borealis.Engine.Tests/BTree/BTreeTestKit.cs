using Borealis.Engine.Buffer;
using Borealis.Engine.BTree;
using Borealis.Engine.Space;
using Borealis.Redo;
using Borealis.Volume;

namespace Borealis.Engine.Tests.BTree;

/// <summary>Shared helpers: a tree over a MemoryVolume, a byte-string model, checks.</summary>
internal static class BTreeTestKit
{
    public sealed class ByteComparer : IComparer<byte[]>
    {
        public static readonly ByteComparer Instance = new();
        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }

    public static int Seed(int fallback)
        => int.TryParse(Environment.GetEnvironmentVariable("BOREALIS_SEED"), out int s) ? s : fallback;

    public static async Task<(MemoryVolume Vol, BufferPool Pool, PageAllocator Alloc, BPlusTree Tree)> NewTreeAsync(int frames)
    {
        var vol = new MemoryVolume(pageCount: 1 << 20);
        var pool = new BufferPool(vol, frames);
        var alloc = new PageAllocator(pool);
        await alloc.FormatAsync();
        var tree = await BPlusTree.CreateAsync(pool, alloc);
        return (vol, pool, alloc, tree);
    }

    /// <summary>Every entry in forward order through a cursor.</summary>
    public static async Task<List<(byte[] Key, byte[] Value)>> ScanAsync(BPlusTree tree, BTreeRange range, ScanDirection dir)
    {
        var cur = new BTreeCursor(tree);
        cur.Reset(range, dir);
        var list = new List<(byte[], byte[])>();
        while (await cur.MoveNextAsync()) list.Add((cur.Key.ToArray(), cur.Value.ToArray()));
        return list;
    }

    /// <summary>What the model says a range scan returns.</summary>
    public static List<(byte[] Key, byte[] Value)> ModelRange(SortedDictionary<byte[], byte[]> model, BTreeRange r, ScanDirection dir)
    {
        var list = new List<(byte[], byte[])>();
        foreach (var (k, v) in model)
        {
            if (r.HasLower)
            {
                int c = k.AsSpan().SequenceCompareTo(r.Lower.Span);
                if (c < 0 || (c == 0 && !r.LowerInclusive)) continue;
            }
            if (r.HasUpper)
            {
                int c = k.AsSpan().SequenceCompareTo(r.Upper.Span);
                if (c > 0 || (c == 0 && !r.UpperInclusive)) continue;
            }
            list.Add((k, v));
        }
        if (dir == ScanDirection.Backward) list.Reverse();
        return list;
    }

    public static void AssertSame(List<(byte[] Key, byte[] Value)> want, List<(byte[] Key, byte[] Value)> got, string what)
    {
        if (want.Count != got.Count) Assert.Fail($"{what}: model has {want.Count} entries, tree returned {got.Count}");
        for (int i = 0; i < want.Count; i++)
        {
            if (!want[i].Key.AsSpan().SequenceEqual(got[i].Key))
                Assert.Fail($"{what}: entry {i}: model key {Convert.ToHexString(want[i].Key)}, tree key {Convert.ToHexString(got[i].Key)}");
            if (!want[i].Value.AsSpan().SequenceEqual(got[i].Value))
                Assert.Fail($"{what}: entry {i} ({Convert.ToHexString(want[i].Key)}): values differ");
        }
    }

    /// <summary>Every cached page equals, body and LSN, the page storage builds from the redo.</summary>
    public static int AssertCacheMatchesStorage(MemoryVolume vol, BufferPool pool, ulong maxPage)
    {
        int compared = 0;
        for (ulong p = 0; p <= maxPage; p++)
        {
            if (!pool.TryPinCached(p, out var h)) continue;
            using (h)
            {
                h.LatchShared();
                try
                {
                    var built = vol.Materialise(p);
                    if (Page.GetLsn(built) != h.Lsn) Assert.Fail($"page {p}: cached LSN {h.Lsn}, storage LSN {Page.GetLsn(built)}");
                    if (!built.AsSpan(Page.HeaderSize).SequenceEqual(h.Page[Page.HeaderSize..]))
                        Assert.Fail($"page {p}: cached body differs from the page storage builds");
                    compared++;
                }
                finally { h.UnlatchShared(); }
            }
        }
        return compared;
    }

    public static async Task<ulong> HighWaterAsync(BufferPool pool)
    {
        using var h = await pool.PinAsync(SuperBlock.PageNo);
        return SuperBlock.NextPage(h.Page);
    }
}
