using Borealis.Engine.BTree;
using Xunit.Abstractions;
using static Borealis.Engine.Tests.BTree.BTreeTestKit;

namespace Borealis.Engine.Tests.BTree;

public class BPlusTreeConcurrencyTests(ITestOutputHelper output)
{
    /// <summary>Random key owned by <paramref name="owner"/> (its last byte): owners' key sets are disjoint.</summary>
    private static readonly byte[] Filler = Enumerable.Range(0, 300).Select(i => (byte)(i % 251)).ToArray();

    /// <summary>
    /// Random key owned by <paramref name="owner"/> (its last byte): owners' key sets are disjoint.
    /// Half the keys share a 300-byte middle, so separators are long and the tree gets deep.
    /// </summary>
    private static byte[] OwnedKey(Random rnd, byte owner)
    {
        var k = new List<byte> { (byte)rnd.Next(0, 4) };
        if (rnd.Next(2) == 0) k.AddRange(Filler);
        int tail = rnd.Next(1, 24);
        for (int i = 0; i < tail; i++) k.Add((byte)rnd.Next(0, 6));
        k.Add(owner);
        return k.ToArray();
    }

    [Theory]
    [InlineData(201, 48)]
    [InlineData(202, 400)]
    public async Task WritersAndReadersRunConcurrentlyAndTheTreeEndsEqualToTheModel(int seedArg, int frames)
    {
        int seed = Seed(seedArg);
        output.WriteLine($"seed {seed} (replay with BOREALIS_SEED={seed}), {frames} frames");
        var (vol, pool, _, tree) = await NewTreeAsync(frames);
        var rnd = new Random(seed);
        // Stable keys (owner 0) exist for the whole test: every scan must return all of those in its range.
        var stable = new SortedDictionary<byte[], byte[]>(ByteComparer.Instance);
        for (int i = 0; i < 300; i++)
        {
            var k = OwnedKey(rnd, 0);
            if (stable.TryAdd(k, [0])) await tree.InsertAsync(k, new byte[] { 0 });
        }
        const int writers = 4, readers = 3, opsPerWriter = 6000;
        var models = new SortedDictionary<byte[], byte[]>[writers];
        int writersDone = 0;
        var writerTasks = Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            var wr = new Random(seed * 100 + w);
            var model = models[w] = new SortedDictionary<byte[], byte[]>(ByteComparer.Instance);
            var buf = new byte[BPlusTree.MaxEntryLength];
            byte owner = (byte)(w + 1);
            try
            {
                for (int i = 0; i < opsPerWriter; i++)
                {
                    int r = wr.Next(10);
                    if (r < 6 || model.Count == 0)
                    {
                        var k = OwnedKey(wr, owner);
                        var v = new byte[wr.Next(0, 16)];
                        wr.NextBytes(v);
                        var st = await tree.InsertAsync(k, v);
                        Assert.Equal(model.TryAdd(k, v), st == InsertStatus.Inserted);
                    }
                    else if (r < 9)
                    {
                        var k = model.Keys.ElementAt(wr.Next(model.Count));
                        Assert.True(await tree.DeleteAsync(k));
                        model.Remove(k);
                    }
                    else
                    {
                        var k = model.Keys.ElementAt(wr.Next(model.Count));
                        int len = await tree.TryGetAsync(k, buf);
                        Assert.True(model[k].AsSpan().SequenceEqual(buf.AsSpan(0, len)), "a writer's own key reads back its value");
                    }
                }
                // Then shrink: delete all (even writers) or most (odd) keys; emptied leaves get unlinked while readers scan.
                var victims = model.Keys.Where(_ => w % 2 == 0 || wr.Next(10) > 0).ToList();
                foreach (var k in victims)
                {
                    Assert.True(await tree.DeleteAsync(k));
                    model.Remove(k);
                }
            }
            finally { Interlocked.Increment(ref writersDone); }
        })).ToArray();
        var stableKeys = stable.Keys.ToArray();
        var readerTasks = Enumerable.Range(0, readers).Select(rdr => Task.Run(async () =>
        {
            var rr = new Random(seed * 1000 + rdr);
            var cur = new BTreeCursor(tree);
            int scans = 0;
            while (Volatile.Read(ref writersDone) < writers || scans < 3)
            {
                var dir = rr.Next(2) == 0 ? ScanDirection.Forward : ScanDirection.Backward;
                byte[]? lo = rr.Next(3) == 0 ? stableKeys[rr.Next(stableKeys.Length)] : null;
                byte[]? hi = rr.Next(3) == 0 ? stableKeys[rr.Next(stableKeys.Length)] : null;
                if (lo is not null && hi is not null && lo.AsSpan().SequenceCompareTo(hi) > 0) (lo, hi) = (hi, lo);
                var range = new BTreeRange
                {
                    Lower = lo, HasLower = lo is not null, LowerInclusive = true,
                    Upper = hi, HasUpper = hi is not null, UpperInclusive = true,
                };
                cur.Reset(range, dir);
                byte[]? prev = null;
                int stableSeen = 0;
                while (await cur.MoveNextAsync())
                {
                    var key = cur.Key;
                    if (prev is not null)
                    {
                        int c = key.SequenceCompareTo(prev);
                        Assert.True(dir == ScanDirection.Forward ? c > 0 : c < 0, $"seed {seed}: {dir} scan out of order");
                    }
                    prev = key.ToArray();
                    if (key[^1] == 0) stableSeen++;
                }
                int stableInRange = stableKeys.Count(k => (lo is null || k.AsSpan().SequenceCompareTo(lo) >= 0) && (hi is null || k.AsSpan().SequenceCompareTo(hi) <= 0));
                Assert.True(stableInRange == stableSeen, $"seed {seed}: {dir} scan saw {stableSeen} of {stableInRange} stable keys");
                scans++;
            }
            return scans;
        })).ToArray();
        await Task.WhenAll(writerTasks).WaitAsync(TimeSpan.FromMinutes(3));
        int[] scanCounts = await Task.WhenAll(readerTasks).WaitAsync(TimeSpan.FromMinutes(3));
        output.WriteLine($"scans per reader: {string.Join(", ", scanCounts)}; height {tree.Height}; evictions {pool.Evictions}; {tree.UnlinkedLeaves} leaves unlinked");

        var all = new SortedDictionary<byte[], byte[]>(stable, ByteComparer.Instance);
        foreach (var m in models)
            foreach (var (k, v) in m) all.Add(k, v);
        AssertSame(ModelRange(all, BTreeRange.All, ScanDirection.Forward), await ScanAsync(tree, BTreeRange.All, ScanDirection.Forward), $"seed {seed}: forward after stress");
        AssertSame(ModelRange(all, BTreeRange.All, ScanDirection.Backward), await ScanAsync(tree, BTreeRange.All, ScanDirection.Backward), $"seed {seed}: backward after stress");
        int compared = AssertCacheMatchesStorage(vol, pool, await HighWaterAsync(pool));
        output.WriteLine($"{all.Count} keys; {compared} cached pages equal storage's");
        Assert.True(tree.Height >= 3);
        Assert.True(tree.UnlinkedLeaves > 0, "the shrink phase should unlink emptied leaves");
    }

    [Fact]
    public async Task APointLookupOnCachedPagesAllocatesNothing()
    {
        var (_, _, _, tree) = await NewTreeAsync(512);
        var keys = new List<byte[]>();
        var rnd = new Random(3);
        for (int i = 0; i < 20_000; i++)
        {
            var k = new byte[rnd.Next(4, 30)];
            rnd.NextBytes(k);
            if (await tree.InsertAsync(k, k.AsMemory(0, 4)) == InsertStatus.Inserted) keys.Add(k);
        }
        Assert.True(tree.Height >= 2);
        var value = new byte[16];
        var missing = new byte[] { 1, 2, 3 };
        // Warm up (JIT, tiering) before measuring.
        for (int round = 0; round < 3; round++)
            foreach (var k in keys.Take(2000)) await tree.TryGetAsync(k, value);
        long before = GC.GetAllocatedBytesForCurrentThread();
        int found = 0;
        for (int i = 0; i < 2000; i++)
        {
            var vt = tree.TryGetAsync(keys[i], value);
            Assert.True(vt.IsCompletedSuccessfully);
            if (vt.Result == 4) found++;
            if (tree.TryGetCached(missing, value, out _) == LookupStatus.NotFound) found++;
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(4000, found);
        Assert.Equal(0, allocated);

        // A scan of cached leaves with a reused cursor allocates nothing per entry either.
        var cur = new BTreeCursor(tree);
        for (int round = 0; round < 3; round++)
        {
            cur.Reset(BTreeRange.All, round % 2 == 0 ? ScanDirection.Forward : ScanDirection.Backward);
            while (await cur.MoveNextAsync()) { }
        }
        before = GC.GetAllocatedBytesForCurrentThread();
        int n = 0;
        cur.Reset(BTreeRange.All);
        while (true)
        {
            var vt = cur.MoveNextAsync();
            if (!vt.IsCompletedSuccessfully) Assert.Fail("a scan of cached pages went async");
            if (!vt.Result) break;
            n++;
        }
        allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(keys.Count, n);
        Assert.Equal(0, allocated);
    }
}
