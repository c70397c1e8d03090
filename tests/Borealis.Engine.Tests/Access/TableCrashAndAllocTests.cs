using Borealis.Engine.Access;
using Borealis.Engine.BTree;
using Borealis.Engine.Txn;
using Borealis.Engine.Vacuum;
using Xunit.Abstractions;

namespace Borealis.Engine.Tests.Access;

public sealed class TableCrashAndAllocTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Point_lookup_through_the_primary_key_allocates_nothing_on_cached_pages()
    {
        var f = await AccessFixture.CreateAsync(frames: 256);
        var tx = f.Txm.Begin();
        var keys = new byte[200][];
        for (int i = 0; i < 200; i++)
        {
            await f.Table.InsertAsync(tx, AccessFixture.Row(i, i));
            keys[i] = AccessFixture.IdKeyBytes(i);
        }
        await f.Txm.CommitAsync(tx);
        // A HOT-updated row too, so a chain walk is on the path.
        var u = f.Txm.Begin();
        var row = await f.GetAsync(f.Txm.StatementSnapshot(u), 3);
        await f.Table.UpdateAsync(u, row!.Value.Tid, new AddBalance(0, 1));
        await f.Txm.CommitAsync(u);

        var reader = f.Txm.Begin();
        var snap = f.Txm.StatementSnapshot(reader);
        var buf = new byte[64];
        long sum = 0;
        for (int i = 0; i < 200; i++) sum += Lookup(f.Table, keys[i], snap, buf); // warm: pages and status cache
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int round = 0; round < 5; round++)
            for (int i = 0; i < 200; i++) sum += Lookup(f.Table, keys[i], snap, buf);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"allocated {allocated} bytes for 1000 lookups (checksum {sum})");
        Assert.Equal(0, allocated);
        await f.Txm.CommitAsync(reader);
    }

    [Fact]
    public async Task Scans_allocate_nothing_per_row_on_cached_pages()
    {
        var f = await AccessFixture.CreateAsync(frames: 256, secondary: true);
        var tx = f.Txm.Begin();
        for (int i = 0; i < 400; i++) await f.Table.InsertAsync(tx, AccessFixture.Row(i, i % 13));
        await f.Txm.CommitAsync(tx);
        var snap = Snapshot.AtReadPoint(f.Txm.Store, f.Volume.Vdl);
        using var idx = new IndexScan(f.Table, 1);
        long Drain(bool warm)
        {
            long n = 0;
            idx.Reset(default, ScanDirection.Forward, snap);
            while (true)
            {
                var vt = idx.MoveNextAsync();
                if (!vt.IsCompletedSuccessfully) { if (!vt.AsTask().GetAwaiter().GetResult()) break; }
                else if (!vt.Result) break;
                n += idx.Row.Length;
            }
            return n;
        }
        Drain(true);
        long before = GC.GetAllocatedBytesForCurrentThread();
        long bytes = Drain(false);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"index scan of 400 rows ({bytes} bytes): allocated {allocated} bytes");
        Assert.True(allocated < 400, $"index scan allocated {allocated} bytes for 400 rows");

        using var scan = f.Table.Scan(snap);
        before = GC.GetAllocatedBytesForCurrentThread();
        int rows = 0;
        while (await scan.MoveNextAsync()) rows++;
        allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"sequential scan of {rows} rows: allocated {allocated} bytes");
        Assert.Equal(400, rows);
        Assert.True(allocated < 400 * 8, $"sequential scan allocated {allocated} bytes for 400 rows");
    }

    [Fact]
    public async Task Index_entry_format_is_key_columns_then_big_endian_tid()
    {
        var f = await AccessFixture.CreateAsync();
        var tx = f.Txm.Begin();
        var tid = await f.Table.InsertAsync(tx, AccessFixture.Row(5, 1));
        await f.Txm.CommitAsync(tx);
        var c = new BTreeCursor(f.Table.Trees[0]);
        c.Reset(BTreeRange.All);
        Assert.True(await c.MoveNextAsync());
        var expected = new byte[AccessFixture.IdKeyBytes(5).Length + 8];
        AccessFixture.IdKeyBytes(5).CopyTo(expected, 0);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(expected.AsSpan(expected.Length - 8), (tid.Page << 16) | tid.Slot);
        Assert.Equal(expected, c.Key.ToArray());
        Assert.Equal(0, c.Value.Length);
        Assert.False(await c.MoveNextAsync());
    }

    private static int Lookup(Table table, byte[] key, Snapshot snap, byte[] buf)
    {
        var vt = table.LookupAsync(0, key, snap, buf);
        Assert.True(vt.IsCompletedSuccessfully);
        var r = vt.Result;
        Assert.True(r.Found);
        return r.Length;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Crash_at_a_random_consistency_point_keeps_acknowledged_commits_only(int variant)
    {
        int seed = AccessFixture.Seed("BOREALIS_SEED") + variant;
        output.WriteLine($"seed {seed} (replay with BOREALIS_SEED={seed - variant})");
        var rng = new Random(seed);
        var f = await AccessFixture.CreateAsync(frames: 24, secondary: true);
        var model = new SortedDictionary<int, (long Balance, long Note)>();
        int nextId = 0;
        int acked = rng.Next(5, 60);
        var vac = new Vacuumer(f.Txm);
        for (int t = 0; t < acked; t++)
        {
            var tx = f.Txm.Begin();
            var pending = new Dictionary<int, (long, long)?>();
            await RandomOpsAsync(f, tx, rng, model, pending, () => nextId++);
            await f.Txm.CommitAsync(tx); // acknowledged
            foreach (var (id, v) in pending)
                if (v is null) model.Remove(id); else model[id] = v.Value;
            if (rng.Next(10) == 0) await vac.VacuumTableAsync(f.Table);
        }

        // From here nothing becomes durable until the cut: a random consistency point among the
        // in-flight commits. Commits at or below it are acknowledged; the rest, and the open transactions, are lost.
        f.Volume.HoldDurability = true;
        var inflight = new List<(Transaction Tx, Task Commit, Dictionary<int, (long, long)?> Pending)>();
        var touched = new Dictionary<int, (long, long)?>(); // shared: lost transactions hold their row locks forever, so they touch disjoint rows
        for (int t = 0; t < 6; t++)
        {
            var tx = f.Txm.Begin();
            var pending = new Dictionary<int, (long, long)?>();
            await RandomOpsAsync(f, tx, rng, model, touched, () => nextId++, pending);
            if (rng.Next(3) != 0) inflight.Add((tx, f.Txm.CommitAsync(tx).AsTask(), pending));
        }
        Assert.All(inflight, x => Assert.False(x.Commit.IsCompleted));
        if (inflight.Count > 0 && rng.Next(4) != 0)
        {
            ulong cut = inflight[rng.Next(inflight.Count)].Tx.CommitLsn;
            Assert.NotEqual(0UL, cut);
            f.Volume.MakeDurable(cut);
            foreach (var (tx, commit, pending) in inflight)
            {
                if (tx.CommitLsn > cut)
                {
                    Assert.False(commit.IsCompleted);
                    continue;
                }
                await commit; // acknowledged
                foreach (var (id, v) in pending)
                    if (v is null) model.Remove(id); else model[id] = v.Value;
            }
            output.WriteLine($"cut at commit LSN {cut}: {inflight.Count(x => x.Tx.CommitLsn <= cut)} of {inflight.Count} in-flight commits acknowledged");
        }
        f.Volume.TruncateAboveVdl();

        var g = await f.RestartAsync(frames: 24);
        await TableRandomTests.VerifyAsync(g, model, rng);
        // The restarted writer works: unique keys hold, vacuum runs, and the state is still the model.
        if (model.Count > 0)
        {
            var tx = g.Txm.Begin();
            var e = await Assert.ThrowsAsync<AccessException>(async () => await g.Table.InsertAsync(tx, AccessFixture.Row(model.Keys.First(), 0)));
            Assert.Equal("23505", e.SqlState);
            await g.Txm.RollbackAsync(tx);
        }
        await new Vacuumer(g.Txm).VacuumTableAsync(g.Table);
        await TableRandomTests.VerifyAsync(g, model, rng);
        // Index entries of lost inserts were vacuumed with their versions: every entry's version is live.
        var all = await g.IndexScanAsync(Snapshot.AtReadPoint(g.Txm.Store, g.Volume.Vdl), 1, ScanDirection.Forward);
        Assert.Equal(model.Count, all.Count);
    }

    private static async Task RandomOpsAsync(AccessFixture f, Transaction tx, Random rng, SortedDictionary<int, (long Balance, long Note)> model,
        Dictionary<int, (long, long)?> pending, Func<int> newId, Dictionary<int, (long, long)?>? own = null)
    {
        int ops = rng.Next(1, 6);
        for (int k = 0; k < ops; k++)
        {
            var snap = f.Txm.StatementSnapshot(tx);
            var live = model.Keys.Where(id => !pending.ContainsKey(id)).ToList();
            int op = rng.Next(10);
            if (op < 4 || live.Count == 0)
            {
                int id = newId();
                long bal = rng.Next(30);
                await f.Table.InsertAsync(tx, AccessFixture.Row(id, bal));
                pending[id] = (bal, 0);
                if (own is not null) own[id] = (bal, 0);
            }
            else
            {
                int id = live[rng.Next(live.Count)];
                var row = await f.GetAsync(snap, id);
                Assert.NotNull(row);
                if (op < 8)
                {
                    long d = op < 6 ? 0 : rng.Next(1, 5);
                    await f.Table.UpdateAsync(tx, row.Value.Tid, new AddBalance(d, 1));
                    pending[id] = (row.Value.Balance + d, row.Value.Note + 1);
                    if (own is not null) own[id] = pending[id];
                }
                else
                {
                    await f.Table.DeleteAsync(tx, row.Value.Tid);
                    pending[id] = null;
                    if (own is not null) own[id] = null;
                }
            }
            tx.CommandCounterIncrement();
        }
    }
}
