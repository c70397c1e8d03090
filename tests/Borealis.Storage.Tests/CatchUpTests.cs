using Borealis.Redo;
using Borealis.Storage.Protocol;

namespace Borealis.Storage.Tests;

/// <summary>
/// A segment that missed writes catches up even when every peer that got further already
/// collected the records it lacks (re-hydration from a peer's base); scrub repairs pages no peer
/// can build at our base any more; a base never moves above a durable point.
/// </summary>
public class CatchUpTests
{
    /// <summary>N in-process nodes hosting segment 0 of the test volume, all members of it.</summary>
    private sealed class Nodes : IAsyncDisposable
    {
        public StorageNode[] N = [];
        public NodeClient[] C = [];
        public string[] Dirs = [];
        public Membership Membership = null!;

        public static async Task<Nodes> StartAsync(int count)
        {
            var g = new Nodes { N = new StorageNode[count], C = new NodeClient[count], Dirs = new string[count] };
            for (int i = 0; i < count; i++)
            {
                g.Dirs[i] = TestKit.NewDir();
                g.N[i] = await TestKit.StartAsync((uint)i + 1, g.Dirs[i]);
                g.C[i] = await TestKit.ConnectAsync(g.N[i]);
            }
            g.Membership = TestKit.MembershipOf(1, g.N);
            for (int i = 0; i < count; i++) await TestKit.EnsureAsync(g.C[i], TestKit.Seg(), g.Membership);
            // All new and empty: hydration finds nothing to copy.
            for (int i = 0; i < count; i++) await g.N[i].RunGossipOnceAsync();
            return g;
        }

        public SegmentStateMsg State(int i) => N[i].GetSegmentState(TestKit.Seg())!.Value;

        /// <summary>Stops node i and starts it again on the same port and directory.</summary>
        public async Task RestartAsync(int i, Action<StorageNodeOptions>? configure = null)
        {
            string ep = N[i].LocalEndPoint.ToString();
            await C[i].DisposeAsync();
            await N[i].DisposeAsync();
            N[i] = await TestKit.StartAsync((uint)i + 1, Dirs[i], ep, configure);
            C[i] = await TestKit.ConnectAsync(N[i]);
        }

        public async ValueTask DisposeAsync()
        {
            for (int i = 0; i < N.Length; i++)
            {
                await C[i].DisposeAsync();
                await N[i].DisposeAsync();
                TestKit.TryDelete(Dirs[i]);
            }
        }
    }

    private static async Task SetMinReadPointAsync(NodeClient c, ulong lsn)
    {
        var m = new MinReadPointMsg { VolumeId = TestKit.Volume, Lsn = lsn };
        var resp = await c.RequestAsync(MessageType.SetMinReadPoint, Encode.ToArray(MinReadPointMsg.Size, m.Write), TestKit.Timeout);
        Assert.Equal(MessageType.Ok, resp.Type);
    }

    private static async Task AssertPagesMatchAsync(NodeClient c, RecordGen gen, ulong from, ulong to, int seed, string who)
    {
        foreach (var (lsn, page, _) in gen.All)
        {
            if (lsn < from || lsn > to) continue;
            var got = await TestKit.GetPageAsync(c, TestKit.Seg(), page, lsn);
            Assert.True(gen.Model(page, lsn).SequenceEqual(got), $"seed {seed}: {who}'s page {page} as of {lsn}");
        }
        for (ulong p = gen.FirstPage; p < gen.FirstPage + 8; p++)
        {
            var got = await TestKit.GetPageAsync(c, TestKit.Seg(), p, to);
            Assert.True(gen.Model(p, to).SequenceEqual(got), $"seed {seed}: {who}'s page {p} as of {to}");
        }
    }

    [Fact]
    public async Task LaggingSegmentRehydratesWhenItsPeerHoldsNoRecordsAboveItsBase()
    {
        // The writer went idle after B fell behind: A coalesced everything, so ReadRecords from A
        // returns nothing at all — B must still notice A collected its gap and take A's base.
        const int Seed = 71;
        await using var g = await Nodes.StartAsync(2);
        var gen = new RecordGen(Seed);
        var recs = gen.Batch(30);
        await TestKit.AppendAsync(g.C[0], TestKit.Seg(), recs, minReadPoint: 30);
        await g.N[0].CoalesceNowAsync();
        Assert.Equal(30UL, g.State(0).BaseLsn);
        Assert.Equal(30UL, g.State(0).Scl);
        await TestKit.AppendAsync(g.C[1], TestKit.Seg(), recs.Take(5).ToList());

        await g.N[1].RunGossipOnceAsync(probe: true);
        await TestKit.WaitUntilAsync(() => g.State(1).Scl == 30, $"seed {Seed}: B to catch up from A's base");
        var st = g.State(1);
        Assert.Equal(30UL, st.BaseLsn);
        Assert.True(st.DurableHint >= st.BaseLsn, $"seed {Seed}: durable hint {st.DurableHint} below base {st.BaseLsn}");
        await AssertPagesMatchAsync(g.C[1], gen, 30, 30, Seed, "B");

        // The adopted base survives a restart.
        await g.RestartAsync(1);
        Assert.Equal(30UL, g.State(1).BaseLsn);
        await AssertPagesMatchAsync(g.C[1], gen, 30, 30, Seed, "B after restart");
    }

    [Fact]
    public async Task CatchUpTakesTheFurthestPeersBaseNotALaggingPeers()
    {
        // Node 2 (asked first) is itself behind with a base above node 1's SCL; node 3 got furthest.
        const int Seed = 72;
        await using var g = await Nodes.StartAsync(3);
        var gen = new RecordGen(Seed);
        var recs = gen.Batch(40);
        await TestKit.AppendAsync(g.C[0], TestKit.Seg(), recs.Take(5).ToList());
        await TestKit.AppendAsync(g.C[1], TestKit.Seg(), recs.Take(12).ToList(), minReadPoint: 10);
        await g.N[1].CoalesceNowAsync();
        await TestKit.AppendAsync(g.C[2], TestKit.Seg(), recs, minReadPoint: 40);
        await g.N[2].CoalesceNowAsync();
        Assert.Equal(10UL, g.State(1).BaseLsn);
        Assert.Equal(40UL, g.State(2).BaseLsn);

        await g.N[0].RunGossipOnceAsync(probe: true);
        var st = g.State(0);
        Assert.True(st.BaseLsn == 40 && st.Scl == 40, $"seed {Seed}: one gossip round should take node 3's base 40; got base {st.BaseLsn} scl {st.Scl}");
        await AssertPagesMatchAsync(g.C[0], gen, 40, 40, Seed, "node 1");
    }

    [Fact]
    public async Task RestartedNodeCatchesUpWithoutAnyWriteLongBeforeTheProbeInterval()
    {
        const int Seed = 73;
        await using var g = await Nodes.StartAsync(2);
        var gen = new RecordGen(Seed);
        var recs = gen.Batch(20);
        await TestKit.AppendAsync(g.C[0], TestKit.Seg(), recs);
        await TestKit.AppendAsync(g.C[1], TestKit.Seg(), recs);
        // B is down while the writer goes on; A collects everything.
        string epB = g.N[1].LocalEndPoint.ToString();
        await g.C[1].DisposeAsync();
        await g.N[1].DisposeAsync();
        var more = gen.Batch(25);
        await TestKit.AppendAsync(g.C[0], TestKit.Seg(), more, minReadPoint: 45);
        await g.N[0].CoalesceNowAsync();
        Assert.Equal(45UL, g.State(0).BaseLsn);

        // B comes back with its timers on but a probe interval far longer than the wait: the probe at start must do it.
        g.N[1] = await TestKit.StartAsync(2, g.Dirs[1], epB, o =>
        {
            o.BackgroundWork = true;
            o.PeerProbeInterval = TimeSpan.FromMinutes(5);
        });
        g.C[1] = await TestKit.ConnectAsync(g.N[1]);
        await TestKit.WaitUntilAsync(() => g.State(1).Scl == 45, $"seed {Seed}: restarted B to catch up without writes", TimeSpan.FromSeconds(10));
        await AssertPagesMatchAsync(g.C[1], gen, g.State(1).BaseLsn, 45, Seed, "B");
    }

    [Fact]
    public async Task RehydrationWorksWhileTheWriterKeepsAppendingAndThePeerKeepsCollecting()
    {
        int seed = 74;
        await using var g = await Nodes.StartAsync(2);
        var gen = new RecordGen(seed);
        var first = gen.Batch(10);
        await TestKit.AppendAsync(g.C[0], TestKit.Seg(), first, minReadPoint: 10);
        await TestKit.AppendAsync(g.C[1], TestKit.Seg(), first, minReadPoint: 10);
        // B misses 11..60 (partitioned); A collects them.
        var missed = gen.Batch(50);
        await TestKit.AppendAsync(g.C[0], TestKit.Seg(), missed, minReadPoint: 55);
        await g.N[0].CoalesceNowAsync();
        Assert.Equal(55UL, g.State(0).BaseLsn);

        // The partition heals; the writer goes on to both, its min read point trailing, and A coalesces as it goes.
        var rng = new Random(seed);
        for (int round = 0; round < 40; round++)
        {
            var batch = gen.Batch(rng.Next(1, 6));
            ulong mrp = gen.LastLsn - (ulong)rng.Next(0, 4);
            await TestKit.AppendAsync(g.C[0], TestKit.Seg(), batch, minReadPoint: mrp);
            await TestKit.AppendAsync(g.C[1], TestKit.Seg(), batch, minReadPoint: mrp);
            if (rng.Next(3) == 0) await g.N[0].CoalesceNowAsync();
            if (rng.Next(4) == 0) await g.N[1].RunGossipOnceAsync(probe: rng.Next(2) == 0);
        }
        await TestKit.WaitUntilAsync(() => g.State(1).Scl == gen.LastLsn, $"seed {seed}: B to catch up with the writer going on");
        var st = g.State(1);
        Assert.True(st.BaseLsn > 10 && st.BaseLsn <= st.DurableHint, $"seed {seed}: B's base {st.BaseLsn} (durable hint {st.DurableHint})");
        await AssertPagesMatchAsync(g.C[1], gen, st.BaseLsn, gen.LastLsn, seed, "B");
    }

    [Fact]
    public async Task MinReadPointRaisesTheDurableHintAndTheBaseNeverPassesIt()
    {
        const int Seed = 75;
        string dir = TestKit.NewDir();
        var node = await TestKit.StartAsync(1, dir);
        var c = await TestKit.ConnectAsync(node);
        await TestKit.EnsureAsync(c, TestKit.Seg(), new Membership(1, []));
        var gen = new RecordGen(Seed);
        var rng = new Random(Seed);
        ulong mrp = 0;
        for (int round = 0; round < 30; round++)
        {
            await TestKit.AppendAsync(c, TestKit.Seg(), gen.Batch(rng.Next(1, 8)));
            ulong proposed = (ulong)rng.NextInt64(0, (long)gen.LastLsn + 1);
            if (rng.Next(2) == 0) await SetMinReadPointAsync(c, proposed);
            else await TestKit.AppendAsync(c, TestKit.Seg(), gen.Batch(1), minReadPoint: proposed);
            mrp = Math.Max(mrp, proposed);
            if (rng.Next(3) == 0) await node.CoalesceNowAsync();
            var st = node.GetSegmentState(TestKit.Seg())!.Value;
            Assert.True(st.DurableHint >= mrp, $"seed {Seed} round {round}: durable hint {st.DurableHint} below min read point {mrp}");
            Assert.True(st.BaseLsn <= st.DurableHint, $"seed {Seed} round {round}: base {st.BaseLsn} above durable hint {st.DurableHint}");
            Assert.True(st.BaseLsn <= mrp, $"seed {Seed} round {round}: base {st.BaseLsn} above min read point {mrp}");
        }
        await node.CoalesceNowAsync();
        var before = node.GetSegmentState(TestKit.Seg())!.Value;
        Assert.Equal(mrp, before.BaseLsn);
        await c.DisposeAsync();
        await node.DisposeAsync();

        // Persisted together: after a restart the durable hint still covers the base.
        node = await TestKit.StartAsync(1, dir);
        var after = node.GetSegmentState(TestKit.Seg())!.Value;
        Assert.Equal(before.BaseLsn, after.BaseLsn);
        Assert.True(after.DurableHint >= after.BaseLsn, $"seed {Seed}: after restart durable hint {after.DurableHint} below base {after.BaseLsn}");
        await node.DisposeAsync();
        TestKit.TryDelete(dir);
    }

    private static string PagesFile(string dir) => Directory.GetFiles(Path.Combine(dir, "segments"), "pages", SearchOption.AllDirectories).Single();

    private static long SlotOffset(RecordGen gen, ulong page, int slot) => (long)(page - gen.FirstPage) * 2 * Page.Size + slot * Page.Size;

    /// <summary>A page touched both at or below <paramref name="low"/> and in (low, high].</summary>
    private static ulong PageTouchedBelowAndAbove(RecordGen gen, ulong low, ulong high)
    {
        foreach (var (lsn, page, _) in gen.All)
            if (lsn <= low && gen.All.Any(r => r.Page == page && r.Lsn > low && r.Lsn <= high)) return page;
        throw new InvalidOperationException("no page touched on both sides");
    }

    [Fact]
    public async Task ScrubRehydratesWhenNoPeerCanBuildTheDamagedPageAtOurBase()
    {
        const int Seed = 76;
        await using var g = await Nodes.StartAsync(2);
        var gen = new RecordGen(Seed);
        var recs = gen.Batch(40);
        await TestKit.AppendAsync(g.C[0], TestKit.Seg(), recs, minReadPoint: 40);
        await TestKit.AppendAsync(g.C[1], TestKit.Seg(), recs, minReadPoint: 20);
        await g.N[0].CoalesceNowAsync();
        await g.N[1].CoalesceNowAsync();
        Assert.Equal(40UL, g.State(0).BaseLsn);
        Assert.Equal(20UL, g.State(1).BaseLsn);

        // Both slots of one of B's pages rot; A can no longer build that page as of B's base 20.
        ulong page = PageTouchedBelowAndAbove(gen, 20, 40);
        string epB = g.N[1].LocalEndPoint.ToString();
        await g.C[1].DisposeAsync();
        await g.N[1].DisposeAsync();
        using (var fs = new FileStream(PagesFile(g.Dirs[1]), FileMode.Open))
        {
            foreach (int slot in new[] { 0, 1 })
            {
                fs.Position = SlotOffset(gen, page, slot) + 1000;
                int b = fs.ReadByte();
                fs.Position = SlotOffset(gen, page, slot) + 1000;
                fs.WriteByte((byte)~b);
            }
        }
        g.N[1] = await TestKit.StartAsync(2, g.Dirs[1], epB);
        g.C[1] = await TestKit.ConnectAsync(g.N[1]);
        var ex = await Assert.ThrowsAsync<StorageException>(() => TestKit.GetPageAsync(g.C[1], TestKit.Seg(), page, 30));
        Assert.Equal(ErrorCode.NotAvailable, ex.Code);

        var report = await g.N[1].RunScrubAsync();
        Assert.True(report.CorruptFound == 2 && report.Repaired == 2, $"seed {Seed}: page {page}: {report.CorruptFound} corrupt, {report.Repaired} repaired");
        var st = g.State(1);
        Assert.Equal(40UL, st.BaseLsn);
        Assert.Equal(40UL, st.Scl);
        await AssertPagesMatchAsync(g.C[1], gen, 40, 40, Seed, "B");
        Assert.Equal(0U, (await g.N[1].RunScrubAsync()).CorruptFound);

        // And after a restart.
        await g.RestartAsync(1);
        await AssertPagesMatchAsync(g.C[1], gen, 40, 40, Seed, "B after restart");
        Assert.Equal(0U, (await g.N[1].RunScrubAsync()).CorruptFound);
    }

    [Fact]
    public async Task AnInterruptedRehydrationNeverServesAWrongPageAndScrubFinishesIt()
    {
        // A crash during re-hydration can leave a page's slots holding the peer's image above our
        // (unchanged) base with no corrupt slot. Reads below that image must refuse, not guess, and
        // scrub must treat the page as damaged.
        const int Seed = 77;
        await using var g = await Nodes.StartAsync(2);
        var gen = new RecordGen(Seed);
        var recs = gen.Batch(40);
        await TestKit.AppendAsync(g.C[0], TestKit.Seg(), recs, minReadPoint: 40);
        await TestKit.AppendAsync(g.C[1], TestKit.Seg(), recs, minReadPoint: 20);
        await g.N[0].CoalesceNowAsync();
        await g.N[1].CoalesceNowAsync();
        ulong page = PageTouchedBelowAndAbove(gen, 20, 40);

        // Copy A's newest image of the page into both of B's slots, as an interrupted re-hydration would leave them.
        string epA = g.N[0].LocalEndPoint.ToString(), epB = g.N[1].LocalEndPoint.ToString();
        await g.C[0].DisposeAsync();
        await g.N[0].DisposeAsync();
        await g.C[1].DisposeAsync();
        await g.N[1].DisposeAsync();
        var img = new byte[Page.Size];
        using (var fa = new FileStream(PagesFile(g.Dirs[0]), FileMode.Open, FileAccess.Read))
        {
            var s0 = new byte[Page.Size];
            var s1 = new byte[Page.Size];
            fa.Position = SlotOffset(gen, page, 0);
            fa.ReadExactly(s0);
            fa.ReadExactly(s1);
            (Page.GetLsn(s0) >= Page.GetLsn(s1) ? s0 : s1).CopyTo(img, 0);
        }
        Assert.True(Page.GetLsn(img) > 20, $"seed {Seed}: page {page} LSN {Page.GetLsn(img)}");
        using (var fb = new FileStream(PagesFile(g.Dirs[1]), FileMode.Open))
        {
            fb.Position = SlotOffset(gen, page, 0);
            fb.Write(img);
            fb.Write(img);
        }
        g.N[0] = await TestKit.StartAsync(1, g.Dirs[0], epA);
        g.C[0] = await TestKit.ConnectAsync(g.N[0]);
        g.N[1] = await TestKit.StartAsync(2, g.Dirs[1], epB);
        g.C[1] = await TestKit.ConnectAsync(g.N[1]);

        for (ulong asOf = 20; asOf < Page.GetLsn(img); asOf++)
        {
            var ex = await Assert.ThrowsAsync<StorageException>(() => TestKit.GetPageAsync(g.C[1], TestKit.Seg(), page, asOf));
            Assert.Equal(ErrorCode.NotAvailable, ex.Code);
        }
        var report = await g.N[1].RunScrubAsync();
        Assert.True(report.CorruptFound == 2 && report.Repaired == 2, $"seed {Seed}: page {page}: {report.CorruptFound} corrupt, {report.Repaired} repaired");
        Assert.Equal(40UL, g.State(1).BaseLsn);
        await AssertPagesMatchAsync(g.C[1], gen, 40, 40, Seed, "B");
    }
}
