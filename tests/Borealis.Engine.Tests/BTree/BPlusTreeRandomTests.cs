using Borealis.Engine.Buffer;
using Borealis.Engine.BTree;
using Borealis.Engine.Space;
using Xunit.Abstractions;
using static Borealis.Engine.Tests.BTree.BTreeTestKit;

namespace Borealis.Engine.Tests.BTree;

public class BPlusTreeRandomTests(ITestOutputHelper output)
{
    private static readonly byte[][] Prefixes =
    [
        [],
        [0x10, 0x20, 0x30],
        Enumerable.Repeat((byte)0x41, 400).ToArray(),
        Enumerable.Range(0, 1200).Select(i => (byte)(i * 7)).ToArray(),
    ];

    private static byte[] RandomKey(Random rnd)
    {
        var prefix = Prefixes[rnd.Next(Prefixes.Length)];
        int suffix = rnd.Next(10) == 0 ? rnd.Next(1, 300) : rnd.Next(1, 12);
        int len = Math.Min(BPlusTree.MaxKeyLength, prefix.Length + suffix);
        var key = new byte[len];
        prefix.AsSpan(0, Math.Min(prefix.Length, len)).CopyTo(key);
        ReadOnlySpan<byte> alphabet = [0x00, 0x01, 0x7F, 0xFE, 0xFF];
        for (int i = prefix.Length; i < len; i++) key[i] = alphabet[rnd.Next(alphabet.Length)];
        return key;
    }

    private static byte[] RandomValue(Random rnd, int keyLength)
    {
        int max = Math.Min(BPlusTree.MaxEntryLength - keyLength, rnd.Next(8) == 0 ? 300 : 24);
        var v = new byte[rnd.Next(0, max + 1)];
        rnd.NextBytes(v);
        return v;
    }

    private static BTreeRange RandomRange(Random rnd, SortedDictionary<byte[], byte[]> model)
    {
        byte[] Pick() => model.Count > 0 && rnd.Next(3) > 0 ? model.Keys.ElementAt(rnd.Next(model.Count)) : RandomKey(rnd);
        switch (rnd.Next(5))
        {
            case 0: return BTreeRange.All;
            case 1: return BTreeRange.From(Pick(), rnd.Next(2) == 0);
            case 2: return BTreeRange.To(Pick(), rnd.Next(2) == 0);
            case 3:
            {
                var a = Pick();
                var b = Pick();
                if (a.AsSpan().SequenceCompareTo(b) > 0) (a, b) = (b, a);
                return BTreeRange.Between(a, rnd.Next(2) == 0, b, rnd.Next(2) == 0);
            }
            default:
            {
                var k = Pick();
                return BTreeRange.Prefix(k.AsSpan(0, rnd.Next(0, Math.Min(k.Length, 8) + 1)).ToArray());
            }
        }
    }

    [Theory]
    [InlineData(101, 16, 5000)]
    [InlineData(102, 24, 5000)]
    [InlineData(103, 256, 20000)]
    public async Task RandomOperationsMatchASortedDictionary(int seedArg, int frames, int ops)
    {
        int seed = Seed(seedArg);
        output.WriteLine($"seed {seed} (replay with BOREALIS_SEED={seed}), {frames} frames, {ops} operations");
        var rnd = new Random(seed);
        var (vol, pool, alloc, tree) = await NewTreeAsync(frames);
        var model = new SortedDictionary<byte[], byte[]>(ByteComparer.Instance);
        var valueBuf = new byte[BPlusTree.MaxEntryLength];
        int maxHeight = 1;
        for (int i = 0; i < ops; i++)
        {
            bool growPhase = (i / 1500) % 3 != 2; // two phases of mostly inserts, one of mostly deletes
            int r = rnd.Next(100);
            if (r < (growPhase ? 60 : 20))
            {
                var key = model.Count > 0 && rnd.Next(10) == 0 ? model.Keys.ElementAt(rnd.Next(model.Count)) : RandomKey(rnd);
                var value = RandomValue(rnd, key.Length);
                var status = await tree.InsertAsync(key, value);
                bool existed = model.ContainsKey(key);
                Assert.True(existed == (status == InsertStatus.DuplicateKey), $"seed {seed} op {i}: insert of {(existed ? "an existing" : "a new")} key returned {status}");
                if (!existed) model[key] = value;
            }
            else if (r < (growPhase ? 80 : 85))
            {
                var key = model.Count > 0 && rnd.Next(5) > 0 ? model.Keys.ElementAt(rnd.Next(model.Count)) : RandomKey(rnd);
                bool deleted = await tree.DeleteAsync(key);
                Assert.True(model.Remove(key) == deleted, $"seed {seed} op {i}: delete returned {deleted}");
            }
            else if (r < 95)
            {
                var key = model.Count > 0 && rnd.Next(3) > 0 ? model.Keys.ElementAt(rnd.Next(model.Count)) : RandomKey(rnd);
                int len = await tree.TryGetAsync(key, valueBuf);
                if (model.TryGetValue(key, out var want))
                {
                    Assert.True(len == want.Length, $"seed {seed} op {i}: lookup length {len}, model {want.Length}");
                    Assert.True(want.AsSpan().SequenceEqual(valueBuf.AsSpan(0, len)), $"seed {seed} op {i}: lookup value differs");
                }
                else Assert.True(len == -1, $"seed {seed} op {i}: lookup of an absent key found {len} bytes");
            }
            else
            {
                var range = RandomRange(rnd, model);
                var dir = rnd.Next(2) == 0 ? ScanDirection.Forward : ScanDirection.Backward;
                AssertSame(ModelRange(model, range, dir), await ScanAsync(tree, range, dir), $"seed {seed} op {i}: {dir} range scan");
            }
            maxHeight = Math.Max(maxHeight, tree.Height);
            if (i % 2500 == 2499) await FullCheckAsync(seed, vol, pool, tree, model);
        }
        await FullCheckAsync(seed, vol, pool, tree, model);
        output.WriteLine($"final: {model.Count} keys, height {tree.Height} (max {maxHeight}), {tree.UnlinkedLeaves} emptied leaves unlinked, pool misses {pool.Misses}, evictions {pool.Evictions}");
        Assert.True(tree.UnlinkedLeaves > 0, "the delete phases should empty and unlink leaves");
        Assert.True(maxHeight >= 3, $"the workload should build a tree of at least 3 levels (got {maxHeight})");
        if (frames < 64) Assert.True(pool.Evictions > 0, "a small pool should have evicted pages");

        // A fresh pool (an instance restart) over the same volume sees the same tree.
        var pool2 = new BufferPool(vol, frames);
        var tree2 = await BPlusTree.OpenAsync(pool2, new PageAllocator(pool2), tree.MetaPageNo);
        AssertSame(ModelRange(model, BTreeRange.All, ScanDirection.Forward), await ScanAsync(tree2, BTreeRange.All, ScanDirection.Forward), $"seed {seed}: fresh pool forward");
        AssertSame(ModelRange(model, BTreeRange.All, ScanDirection.Backward), await ScanAsync(tree2, BTreeRange.All, ScanDirection.Backward), $"seed {seed}: fresh pool backward");
        foreach (var (k, v) in model.Take(200))
        {
            int len = await tree2.TryGetAsync(k, valueBuf);
            Assert.True(v.AsSpan().SequenceEqual(valueBuf.AsSpan(0, len)));
        }
        // The fresh tree keeps working.
        var extra = RandomKey(rnd);
        if (!model.ContainsKey(extra)) Assert.Equal(InsertStatus.Inserted, await tree2.InsertAsync(extra, new byte[] { 1 }));
    }

    private async Task FullCheckAsync(int seed, Volume.MemoryVolume vol, BufferPool pool, BPlusTree tree, SortedDictionary<byte[], byte[]> model)
    {
        AssertSame(ModelRange(model, BTreeRange.All, ScanDirection.Forward), await ScanAsync(tree, BTreeRange.All, ScanDirection.Forward), $"seed {seed}: full forward scan");
        AssertSame(ModelRange(model, BTreeRange.All, ScanDirection.Backward), await ScanAsync(tree, BTreeRange.All, ScanDirection.Backward), $"seed {seed}: full backward scan");
        int compared = AssertCacheMatchesStorage(vol, pool, await HighWaterAsync(pool));
        output.WriteLine($"check: {model.Count} keys, height {tree.Height}, {compared} cached pages equal storage's");
    }

    [Fact]
    public async Task SequentialInsertsFillLeavesAndBothScanDirectionsWork()
    {
        var (vol, pool, _, tree) = await NewTreeAsync(64);
        var key = new byte[8];
        for (int i = 0; i < 20_000; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(key, i);
            Assert.Equal(InsertStatus.Inserted, await tree.InsertAsync(key.ToArray(), new byte[6]));
        }
        ulong pages = await HighWaterAsync(pool);
        // 20 000 entries of 8+6 bytes (+6 overhead) fill ~400 per leaf: appends leave leaves full, not half full.
        Assert.True(pages < 80, $"sequential inserts used {pages} pages");
        var cur = new BTreeCursor(tree);
        cur.Reset(BTreeRange.All, ScanDirection.Backward);
        long expect = 19_999;
        while (await cur.MoveNextAsync())
            Assert.Equal(expect--, System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(cur.Key));
        Assert.Equal(-1, expect);
        AssertCacheMatchesStorage(vol, pool, pages);
    }

    [Fact]
    public async Task PrefixVisitorSeesExactlyTheKeysWithThePrefix()
    {
        var (_, _, _, tree) = await NewTreeAsync(32);
        var rnd = new Random(7);
        var model = new SortedDictionary<byte[], byte[]>(ByteComparer.Instance);
        for (int i = 0; i < 3000; i++)
        {
            var k = RandomKey(rnd);
            if (model.TryAdd(k, [])) await tree.InsertAsync(k, Array.Empty<byte>());
        }
        foreach (var k in model.Keys.Where((_, i) => i % 97 == 0).ToList())
        {
            for (int plen = 0; plen <= Math.Min(k.Length, 6); plen += 2)
            {
                var prefix = k.AsSpan(0, plen).ToArray();
                var v = await tree.VisitPrefixAsync(prefix, new CountingVisitor());
                int want = model.Keys.Count(x => x.AsSpan().StartsWith(prefix));
                Assert.Equal(want, v.Count);
            }
        }
        var stopped = await tree.VisitPrefixAsync(Array.Empty<byte>(), new CountingVisitor { Limit = 5 });
        Assert.Equal(5, stopped.Count);
    }

    private struct CountingVisitor : IBTreeVisitor
    {
        public int Count;
        public int Limit;
        public bool Visit(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
        {
            Count++;
            return Limit == 0 || Count < Limit;
        }
    }

    [Fact]
    public async Task OversizedEntriesAreRejectedWithSqlState54000()
    {
        var (_, _, _, tree) = await NewTreeAsync(16);
        var ex = await Assert.ThrowsAsync<BTreeEntryTooLongException>(async () => await tree.InsertAsync(new byte[BPlusTree.MaxKeyLength + 1], Array.Empty<byte>()));
        Assert.Equal("54000", ex.SqlState);
        await Assert.ThrowsAsync<BTreeEntryTooLongException>(async () => await tree.InsertAsync(new byte[100], new byte[BPlusTree.MaxEntryLength]));
        Assert.Equal(InsertStatus.Inserted, await tree.InsertAsync(new byte[BPlusTree.MaxKeyLength], new byte[BPlusTree.MaxEntryLength - BPlusTree.MaxKeyLength]));
    }

    [Fact]
    public async Task TheEmptyKeyIsAnOrdinaryKey()
    {
        var (_, _, _, tree) = await NewTreeAsync(32);
        var model = new SortedDictionary<byte[], byte[]>(ByteComparer.Instance);
        Assert.Equal(InsertStatus.Inserted, await tree.InsertAsync(Array.Empty<byte>(), new byte[] { 9 }));
        model[[]] = [9];
        for (int i = 0; i < 3000; i++)
        {
            var k = BitConverter.GetBytes(i * 2654435761u);
            if (model.TryAdd(k, k)) await tree.InsertAsync(k, k);
        }
        Assert.Equal(InsertStatus.DuplicateKey, await tree.InsertAsync(Array.Empty<byte>(), new byte[] { 1 }));
        var buf = new byte[8];
        Assert.Equal(1, await tree.TryGetAsync(Array.Empty<byte>(), buf));
        Assert.Equal(9, buf[0]);
        AssertSame(ModelRange(model, BTreeRange.All, ScanDirection.Backward), await ScanAsync(tree, BTreeRange.All, ScanDirection.Backward), "backward");
        AssertSame(ModelRange(model, BTreeRange.To(new byte[] { 0 }, false), ScanDirection.Backward), await ScanAsync(tree, BTreeRange.To(new byte[] { 0 }, false), ScanDirection.Backward), "below 00");
        Assert.True(await tree.DeleteAsync(Array.Empty<byte>()));
        Assert.Equal(-1, await tree.TryGetAsync(Array.Empty<byte>(), buf));
    }

    [Fact]
    public async Task MaximalEntriesSplitAtEveryLevel()
    {
        // Keys of the maximum length sharing most of their bytes: separators are long, inner nodes split often.
        var (vol, pool, _, tree) = await NewTreeAsync(32);
        var rnd = new Random(5);
        var model = new SortedDictionary<byte[], byte[]>(ByteComparer.Instance);
        for (int i = 0; i < 400; i++)
        {
            var k = new byte[BPlusTree.MaxKeyLength];
            k.AsSpan(0, 1500).Fill(0x33);
            rnd.NextBytes(k.AsSpan(1500));
            var v = new byte[BPlusTree.MaxEntryLength - k.Length];
            rnd.NextBytes(v);
            if (model.TryAdd(k, v)) Assert.Equal(InsertStatus.Inserted, await tree.InsertAsync(k, v));
        }
        Assert.True(tree.Height >= 4, $"height {tree.Height}");
        AssertSame(ModelRange(model, BTreeRange.All, ScanDirection.Forward), await ScanAsync(tree, BTreeRange.All, ScanDirection.Forward), "forward");
        AssertSame(ModelRange(model, BTreeRange.All, ScanDirection.Backward), await ScanAsync(tree, BTreeRange.All, ScanDirection.Backward), "backward");
        AssertCacheMatchesStorage(vol, pool, await HighWaterAsync(pool));
    }
}
