using Borealis.Engine.Heap;
using Borealis.Redo.Heap;
using Xunit.Abstractions;

namespace Borealis.Engine.Tests.Heap;

public class HeapConcurrencyTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ConcurrentInsertsUpdatesAndLocksLoseNoVersion()
    {
        int seed = HeapTestKit.Seed("HEAP_SEED");
        output.WriteLine($"seed {seed} (replay with HEAP_SEED={seed}; thread interleaving still varies)");
        var (vol, pool, _, table) = await HeapTestKit.NewAsync(frames: 48);

        // A few shared rows every session tries to lock with compare-and-set: exactly one wins each.
        var hot = new List<Tid>();
        for (int i = 0; i < 8; i++) hot.Add((await table.InsertAsync(1, 0, new byte[] { (byte)i })).Tid);

        const int sessions = 4, steps = 400;
        var winners = new int[hot.Count];
        var tasks = Enumerable.Range(0, sessions).Select(k => Task.Run(async () =>
        {
            var rng = new Random(seed + k);
            var mine = new Dictionary<Tid, ModelVersion>();
            ulong xid = 1_000_000UL * (ulong)(k + 1);
            for (int i = 0; i < steps; i++)
            {
                xid++;
                int op = rng.Next(100);
                if (op < 5)
                {
                    int h = rng.Next(hot.Count);
                    var r = await table.SetXmaxAsync(hot[h], xid, 0, HeapInfomask.XmaxLockOnly | HeapInfomask.XmaxExclusiveLock, default, expectedXmax: 0);
                    if (r.Status == SetXmaxStatus.Ok) Interlocked.Increment(ref winners[h]);
                    else Assert.Equal(SetXmaxStatus.Conflict, r.Status);
                    continue;
                }
                if (mine.Count == 0 || op < 55)
                {
                    int len = rng.Next(10) == 0 ? rng.Next(2100, 30_000) : rng.Next(0, 300);
                    var row = HeapTestKit.Row(rng, len);
                    var r = await table.InsertAsync(xid, 0, row);
                    var mask = len > HeapTable.OverflowThreshold ? HeapInfomask.HasOverflow : HeapInfomask.None;
                    mine.Add(r.Tid, new ModelVersion(xid, 0, 0, 0, r.Tid, mask, row));
                    continue;
                }
                var live = mine.Where(kv => kv.Value.Xmax == 0).Select(kv => kv.Key).ToList();
                if (live.Count == 0) continue;
                var tid = live[rng.Next(live.Count)];
                if (op < 62)
                {
                    // Delete one of this session's versions.
                    var r = await table.SetXmaxAsync(tid, xid, 2, HeapInfomask.None, default, expectedXmax: 0);
                    Assert.Equal(SetXmaxStatus.Ok, r.Status);
                    mine[tid] = mine[tid] with { Xmax = xid, Cmax = 2 };
                    continue;
                }
                if (op < 68)
                {
                    // Vacuum a page, removing only this session's non-live versions, while the others keep inserting into it.
                    ulong page = mine.Keys.ElementAt(rng.Next(mine.Count)).Page;
                    var decisions = mine.Where(kv => kv.Key.Page == page && kv.Value.Xmax != 0)
                        .ToDictionary(kv => kv.Key, _ => rng.Next(2) == 0 ? PruneAction.Dead : PruneAction.Unused);
                    var pr = await table.PruneAsync(page, new HeapTestKit.Decisions(decisions));
                    Assert.Equal(decisions.Count, pr.Dead + pr.Unused);
                    foreach (var t in decisions.Keys) mine.Remove(t);
                    continue;
                }
                // Update one of this session's own live versions.
                var newRow = HeapTestKit.Row(rng, rng.Next(0, 600));
                var u = await table.UpdateAsync(tid, xid, 1, newRow, expectedXmax: 0);
                Assert.Equal(SetXmaxStatus.Ok, u.Status);
                mine[tid] = mine[tid] with { Xmax = xid, Cmax = 1, Ctid = u.NewTid, Mask = mine[tid].Mask | HeapInfomask.Updated };
                var newMask = u.NewTid.Page == tid.Page ? HeapInfomask.HeapOnly : HeapInfomask.None;
                mine.Add(u.NewTid, new ModelVersion(xid, 0, 1, 0, u.NewTid, newMask, newRow));
            }
            return mine;
        })).ToArray();
        var all = await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromMinutes(2));

        var expected = new Dictionary<Tid, ModelVersion>();
        foreach (var m in all)
            foreach (var (tid, v) in m) expected.Add(tid, v); // a duplicate tid would throw: two sessions got the same slot
        var scanned = await HeapTestKit.ScanAllAsync(table);
        for (int h = 0; h < hot.Count; h++)
        {
            var v = scanned[hot[h]];
            Assert.Equal(winners[h] == 1 ? HeapInfomask.XmaxLockOnly | HeapInfomask.XmaxExclusiveLock : HeapInfomask.None, v.Mask);
            Assert.True(winners[h] <= 1, $"hot row {h} was locked by {winners[h]} sessions");
            scanned.Remove(hot[h]);
        }
        HeapTestKit.AssertSame(expected, scanned, $"seed {seed}");
        int compared = await HeapTestKit.AssertCachedPagesMatchStorageAsync(vol, pool);
        output.WriteLine($"{expected.Count} versions from {sessions} sessions; {compared} cached pages equal storage's; {pool.Evictions} evictions");
    }

    [Fact]
    public async Task TwoObjectsOverTheSameHeapExtendItSafelyAcrossADirectoryBoundary()
    {
        var (vol, pool, alloc, table) = await HeapTestKit.NewAsync(frames: 64);
        var other = HeapTable.Open(pool, alloc, table.MetaPage); // e.g. two sessions that each opened the table
        const int perSession = 1650;
        var tasks = new[] { table, other }.Select((t, k) => Task.Run(async () =>
        {
            var row = new byte[HeapTable.OverflowThreshold];
            var tids = new List<Tid>();
            for (int i = 0; i < perSession; i++)
            {
                BitConverter.TryWriteBytes(row, k * 1_000_000 + i);
                tids.Add((await t.InsertAsync((ulong)(k + 1), 0, row)).Tid);
            }
            return tids;
        })).ToArray();
        var all = (await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromMinutes(2))).SelectMany(x => x).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
        var seen = new HashSet<int>();
        using (var scan = table.Scan())
            while (await scan.NextPageAsync())
                while (scan.TryNext(out var t)) Assert.True(seen.Add(BitConverter.ToInt32(t.Data)));
        Assert.Equal(2 * perSession, seen.Count);
        var (dirs, _) = await table.Space.ReadMetaAsync(0, default);
        Assert.Equal(2, dirs);
        await HeapTestKit.AssertCachedPagesMatchStorageAsync(vol, pool);
    }
}
