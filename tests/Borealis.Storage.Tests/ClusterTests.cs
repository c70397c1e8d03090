using System.Buffers.Binary;
using System.Net.Sockets;
using Borealis.Redo;
using Borealis.Storage.Protocol;

namespace Borealis.Storage.Tests;

/// <summary>Several in-process nodes: gossip, hydration, scrub repair from a peer, bad input, read-only after an fsync failure.</summary>
public class ClusterTests
{
    private sealed class Pair : IAsyncDisposable
    {
        public StorageNode A = null!, B = null!;
        public NodeClient Ca = null!, Cb = null!;
        public string DirA = TestKit.NewDir(), DirB = TestKit.NewDir();

        public static async Task<Pair> StartAsync()
        {
            var p = new Pair();
            p.A = await TestKit.StartAsync(1, p.DirA);
            p.B = await TestKit.StartAsync(2, p.DirB);
            p.Ca = await TestKit.ConnectAsync(p.A);
            p.Cb = await TestKit.ConnectAsync(p.B);
            var m = TestKit.MembershipOf(1, p.A, p.B);
            await TestKit.EnsureAsync(p.Ca, TestKit.Seg(), m);
            await TestKit.EnsureAsync(p.Cb, TestKit.Seg(), m);
            // Both are new and empty: hydration finds nothing to copy.
            await p.A.RunGossipOnceAsync();
            await p.B.RunGossipOnceAsync();
            return p;
        }

        public async ValueTask DisposeAsync()
        {
            await Ca.DisposeAsync();
            await Cb.DisposeAsync();
            await A.DisposeAsync();
            await B.DisposeAsync();
            TestKit.TryDelete(DirA);
            TestKit.TryDelete(DirB);
        }
    }

    [Fact]
    public async Task GossipFillsAGapAndTheProbeNoticesMissedWrites()
    {
        const int Seed = 51;
        await using var p = await Pair.StartAsync();
        var gen = new RecordGen(Seed);
        var recs = gen.Batch(10);
        await TestKit.AppendAsync(p.Ca, TestKit.Seg(), recs);
        // B misses 6 and 7 (e.g. the writer's batch to B was lost): gossip pulls them from A on its own.
        await TestKit.AppendAsync(p.Cb, TestKit.Seg(), recs.Take(5).ToList());
        var ack = await TestKit.AppendAsync(p.Cb, TestKit.Seg(), recs.Skip(7).ToList());
        Assert.Equal(5UL, ack.Scl);
        await TestKit.WaitUntilAsync(() => p.B.GetSegmentState(TestKit.Seg())!.Value.Scl == 10, $"seed {Seed}: B's gap to be filled");

        // B misses a whole stretch of writes with no gap visible to it: the peer probe notices.
        await TestKit.AppendAsync(p.Ca, TestKit.Seg(), gen.Batch(8));
        Assert.Equal(10UL, p.B.GetSegmentState(TestKit.Seg())!.Value.Scl);
        await p.B.RunGossipOnceAsync(probe: true);
        await TestKit.WaitUntilAsync(() => p.B.GetSegmentState(TestKit.Seg())!.Value.Scl == 18, $"seed {Seed}: B to catch up after the probe");
        foreach (var (lsn, page, _) in gen.All)
        {
            var got = await TestKit.GetPageAsync(p.Cb, TestKit.Seg(), page, lsn);
            Assert.True(gen.Model(page, lsn).SequenceEqual(got), $"seed {Seed}: B's page {page} as of {lsn}");
        }
    }

    [Fact]
    public async Task LaggingSegmentTakesAPeersBaseWhenThePeerAlreadyCollectedWhatItLacks()
    {
        const int Seed = 59;
        await using var p = await Pair.StartAsync();
        var gen = new RecordGen(Seed);
        var recs = gen.Batch(25);
        await TestKit.AppendAsync(p.Ca, TestKit.Seg(), recs, minReadPoint: 15);
        await p.A.CoalesceNowAsync();
        Assert.Equal(15UL, p.A.GetSegmentState(TestKit.Seg())!.Value.BaseLsn);
        // B was away for 6..20; A no longer keeps those records.
        await TestKit.AppendAsync(p.Cb, TestKit.Seg(), recs.Take(5).ToList(), minReadPoint: 15);
        await TestKit.AppendAsync(p.Cb, TestKit.Seg(), recs.Skip(20).ToList(), minReadPoint: 15);
        await TestKit.WaitUntilAsync(() => p.B.GetSegmentState(TestKit.Seg())!.Value.Scl == 25, $"seed {Seed}: B to catch up from A's base");
        Assert.Equal(15UL, p.B.GetSegmentState(TestKit.Seg())!.Value.BaseLsn);
        foreach (var (lsn, page, _) in gen.All.Where(r => r.Lsn >= 15))
        {
            var got = await TestKit.GetPageAsync(p.Cb, TestKit.Seg(), page, lsn);
            Assert.True(gen.Model(page, lsn).SequenceEqual(got), $"seed {Seed}: B's page {page} as of {lsn}");
        }
    }

    [Fact]
    public async Task TwoLaggingNodesCatchUpFromAThirdThatCollectedTheirGap()
    {
        var dirs = new[] { TestKit.NewDir(), TestKit.NewDir(), TestKit.NewDir() };
        var nodes = new StorageNode[3];
        var cs = new NodeClient[3];
        for (int i = 0; i < 3; i++) { nodes[i] = await TestKit.StartAsync((uint)i + 1, dirs[i]); cs[i] = await TestKit.ConnectAsync(nodes[i]); }
        var m = TestKit.MembershipOf(1, nodes);
        for (int i = 0; i < 3; i++) await TestKit.EnsureAsync(cs[i], TestKit.Seg(), m);
        for (int i = 0; i < 3; i++) await nodes[i].RunGossipOnceAsync();
        var gen = new RecordGen(60);
        var early = gen.Batch(10);
        for (int i = 0; i < 3; i++) await TestKit.AppendAsync(cs[i], TestKit.Seg(), early, minReadPoint: 5);
        var late = gen.Batch(200);
        await TestKit.AppendAsync(cs[2], TestKit.Seg(), late, minReadPoint: 150);
        await nodes[2].CoalesceNowAsync();
        Assert.Equal(150UL, nodes[2].GetSegmentState(TestKit.Seg())!.Value.BaseLsn);
        await nodes[0].RunGossipOnceAsync(probe: true);
        await TestKit.WaitUntilAsync(() => nodes[0].GetSegmentState(TestKit.Seg())!.Value.Scl == 210, "seed 60: node 1 to catch up");
        for (int i = 0; i < 3; i++)
        {
            await cs[i].DisposeAsync();
            await nodes[i].DisposeAsync();
            TestKit.TryDelete(dirs[i]);
        }
    }

    [Fact]
    public async Task GossipNeverTakesDeposedRecordsAndLearnsTheNewEpoch()
    {
        await using var p = await Pair.StartAsync();
        var gen = new RecordGen(52);
        var recs = gen.Batch(6);
        await TestKit.AppendAsync(p.Ca, TestKit.Seg(), recs);
        await TestKit.AppendAsync(p.Cb, TestKit.Seg(), recs.Take(3).ToList());
        // A new writer recovered to VDL 3 and wrote 4..5 in epoch 2 to B only; A still holds the deposed 4..6.
        await TestKit.EpochAsync(p.Cb, MessageType.Truncate, TestKit.Seg(), 2, 3);
        var gen2 = new RecordGen(53, epoch: 2) { LastLsn = 3 };
        await TestKit.AppendAsync(p.Cb, TestKit.Seg(), gen2.Batch(2), epoch: 2, epochStart: 3);
        await p.A.RunGossipOnceAsync(probe: true);
        await TestKit.WaitUntilAsync(() => p.A.GetSegmentState(TestKit.Seg())!.Value is { VolumeEpoch: 2, Scl: 5, MaxLsn: 5 }, "A to adopt epoch 2 and take epoch 2's records");
        var st = p.A.GetSegmentState(TestKit.Seg())!.Value;
        Assert.Equal(3UL, st.EpochStartLsn);
        // B never took A's deposed record 6.
        Assert.Equal(5UL, p.B.GetSegmentState(TestKit.Seg())!.Value.MaxLsn);
    }

    [Fact]
    public async Task NewSegmentHydratesFromAPeersBaseAndRecords()
    {
        const int Seed = 54;
        await using var p = await Pair.StartAsync();
        var gen = new RecordGen(Seed);
        await TestKit.AppendAsync(p.Ca, TestKit.Seg(), gen.Batch(30));
        await TestKit.AppendAsync(p.Ca, TestKit.Seg(), gen.Batch(1), minReadPoint: 20);
        await p.A.CoalesceNowAsync();
        Assert.Equal(20UL, p.A.GetSegmentState(TestKit.Seg())!.Value.BaseLsn);
        await TestKit.AppendAsync(p.Ca, TestKit.Seg(), gen.Batch(5), minReadPoint: 20);

        string dirC = TestKit.NewDir();
        await using var c = await TestKit.StartAsync(3, dirC);
        await using var cc = await TestKit.ConnectAsync(c);
        var st = await TestKit.EnsureAsync(cc, TestKit.Seg(), TestKit.MembershipOf(2, p.A, c));
        Assert.Equal(0UL, st.Scl);
        await TestKit.WaitUntilAsync(() => c.GetSegmentState(TestKit.Seg())!.Value.Scl == gen.LastLsn, $"seed {Seed}: C to hydrate");
        var cs = c.GetSegmentState(TestKit.Seg())!.Value;
        Assert.Equal(20UL, cs.BaseLsn);
        foreach (var (lsn, page, _) in gen.All.Where(r => r.Lsn >= 20))
        {
            var got = await TestKit.GetPageAsync(cc, TestKit.Seg(), page, lsn);
            Assert.True(gen.Model(page, lsn).SequenceEqual(got), $"seed {Seed}: C's page {page} as of {lsn}");
        }
        TestKit.TryDelete(dirC);
    }

    [Fact]
    public async Task ScrubRepairsACorruptPageSlotFromAPeer()
    {
        const int Seed = 55;
        await using var p = await Pair.StartAsync();
        var gen = new RecordGen(Seed);
        var recs = gen.Batch(40);
        await TestKit.AppendAsync(p.Ca, TestKit.Seg(), recs, minReadPoint: 40);
        await TestKit.AppendAsync(p.Cb, TestKit.Seg(), recs, minReadPoint: 40);
        await p.A.CoalesceNowAsync();
        await p.B.CoalesceNowAsync();
        Assert.Equal(40UL, p.B.GetSegmentState(TestKit.Seg())!.Value.BaseLsn);

        // Flip bits in B's newest slot of the page the last record touched (first coalesce writes slot 1).
        ulong page = gen.All[^1].Page;
        await p.B.DisposeAsync();
        string pages = Directory.GetFiles(Path.Combine(p.DirB, "segments"), "pages", SearchOption.AllDirectories).Single();
        using (var fs = new FileStream(pages, FileMode.Open))
        {
            long off = (long)(page - gen.FirstPage) * 2 * Page.Size + Page.Size + 1000;
            fs.Position = off;
            int b = fs.ReadByte();
            fs.Position = off;
            fs.WriteByte((byte)~b);
        }
        p.B = await TestKit.StartAsync(2, p.DirB, p.B.LocalEndPoint.ToString());
        await p.Cb.DisposeAsync();
        p.Cb = await TestKit.ConnectAsync(p.B);

        // The corrupt slot may have been the newest: B refuses to guess.
        var ex = await Assert.ThrowsAsync<StorageException>(() => TestKit.GetPageAsync(p.Cb, TestKit.Seg(), page, 40));
        Assert.Equal(ErrorCode.NotAvailable, ex.Code);

        var resp = await p.Cb.RequestAsync(MessageType.Scrub, Array.Empty<byte>(), TestKit.Timeout);
        Assert.Equal(MessageType.ScrubReport, resp.Type);
        Assert.True(ScrubReportMsg.TryRead(resp.Payload, out var report));
        Assert.Equal(1U, report.CorruptFound);
        Assert.Equal(1U, report.Repaired);
        Assert.True(report.PagesChecked >= 8, $"seed {Seed}: {report.PagesChecked} pages checked");
        Assert.Equal(40U, report.LogRecordsChecked);
        var got = await TestKit.GetPageAsync(p.Cb, TestKit.Seg(), page, 40);
        Assert.True(gen.Model(page, 40).SequenceEqual(got), $"seed {Seed}: repaired page {page}");
        var again = await p.B.RunScrubAsync();
        Assert.Equal(0U, again.CorruptFound);
    }

    [Fact]
    public async Task MalformedFramesCloseOnlyTheirConnection()
    {
        string dir = TestKit.NewDir();
        await using var node = await TestKit.StartAsync(1, dir);
        await using var good = await TestKit.ConnectAsync(node);
        await TestKit.EnsureAsync(good, TestKit.Seg(), new Membership(1, []));
        var gen = new RecordGen(56);
        var ep = node.LocalEndPoint;

        // 1. Bad CRC.
        var frame = new byte[Frame.HeaderSize + SegmentOnlyMsg.Size];
        Frame.WriteHeader(frame, MessageType.GetSegmentState, 1);
        var w = new WireWriter(frame.AsSpan(Frame.HeaderSize));
        new SegmentOnlyMsg { Segment = TestKit.Seg() }.Write(ref w);
        Frame.Seal(frame);
        frame[^1] ^= 0xff;
        await AssertClosedAsync(ep, frame);
        // 2. Length below the header size, 3. oversized length, 4. random garbage, 5. truncated then closed.
        var shortLen = new byte[Frame.HeaderSize];
        BinaryPrimitives.WriteInt32LittleEndian(shortLen, 3);
        await AssertClosedAsync(ep, shortLen);
        var huge = new byte[Frame.HeaderSize];
        BinaryPrimitives.WriteInt32LittleEndian(huge, Frame.MaxFrameSize + 1);
        await AssertClosedAsync(ep, huge);
        var garbage = new byte[4096];
        new Random(56).NextBytes(garbage);
        BinaryPrimitives.WriteInt32LittleEndian(garbage, 100);
        await AssertClosedAsync(ep, garbage);

        // A well-framed but semantically bad Append gets an Error reply and the connection stays up.
        var first = gen.Next();
        var bad = first.ToArray();
        bad[70] ^= 1; // record CRC no longer matches
        var malformed = await Assert.ThrowsAsync<StorageException>(() => TestKit.AppendAsync(good, TestKit.Seg(), [bad]));
        Assert.Equal(ErrorCode.Malformed, malformed.Code);
        var wrongPg = new RecordGen(57, pg: 1).Next();
        Assert.Equal(ErrorCode.Malformed, (await Assert.ThrowsAsync<StorageException>(() => TestKit.AppendAsync(good, TestKit.Seg(), [wrongPg]))).Code);
        Assert.Equal(ErrorCode.UnknownSegment, (await Assert.ThrowsAsync<StorageException>(() => TestKit.StateAsync(good, TestKit.Seg(9)))).Code);
        var junkPayload = await Assert.ThrowsAsync<StorageException>(() => good.RequestAsync(MessageType.GetPage, new byte[3], TestKit.Timeout));
        Assert.Equal(ErrorCode.Malformed, junkPayload.Code);

        // The good connection and the stored data are unharmed.
        var ack = await TestKit.AppendAsync(good, TestKit.Seg(), [first]);
        Assert.Equal(1UL, ack.Scl);
        Assert.False(good.IsClosed);
        TestKit.TryDelete(dir);
    }

    private static async Task AssertClosedAsync(System.Net.IPEndPoint ep, byte[] bytes)
    {
        using var s = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await s.ConnectAsync(ep);
        await s.SendAsync(bytes);
        var buf = new byte[256];
        using var cts = new CancellationTokenSource(TestKit.Timeout);
        int n;
        try
        {
            n = await s.ReceiveAsync(buf, SocketFlags.None, cts.Token);
        }
        catch (SocketException)
        {
            n = 0; // reset by the server also counts as closed
        }
        Assert.Equal(0, n);
    }

    [Fact]
    public async Task FsyncFailureMakesTheNodeReadOnlyButReadsContinue()
    {
        string dir = TestKit.NewDir();
        await using var node = await TestKit.StartAsync(1, dir);
        await using var c = await TestKit.ConnectAsync(node);
        await TestKit.EnsureAsync(c, TestKit.Seg(), new Membership(1, []));
        var gen = new RecordGen(58);
        await TestKit.AppendAsync(c, TestKit.Seg(), gen.Batch(5));
        node.InjectFsyncFailure();
        var ex = await Assert.ThrowsAsync<StorageException>(() => TestKit.AppendAsync(c, TestKit.Seg(), gen.Batch(1)));
        Assert.Equal(ErrorCode.ReadOnly, ex.Code);
        Assert.True(node.IsReadOnly);
        Assert.Equal(ErrorCode.ReadOnly, (await Assert.ThrowsAsync<StorageException>(() => TestKit.AppendAsync(c, TestKit.Seg(), gen.Batch(1)))).Code);
        var st = await TestKit.StateAsync(c, TestKit.Seg());
        Assert.Equal(5UL, st.Scl);
        var page = gen.All[4].Page;
        var got = await TestKit.GetPageAsync(c, TestKit.Seg(), page, 5);
        Assert.True(gen.Model(page, 5).SequenceEqual(got));
        var status = await c.RequestAsync(MessageType.NodeStatus, Array.Empty<byte>(), TestKit.Timeout);
        using var doc = System.Text.Json.JsonDocument.Parse(status.Payload);
        Assert.True(doc.RootElement.GetProperty("readOnly").GetBoolean());
        Assert.Equal(5UL, doc.RootElement.GetProperty("segments")[0].GetProperty("scl").GetUInt64());
        TestKit.TryDelete(dir);
    }
}
