using Borealis.Redo;
using Xunit.Abstractions;

namespace Borealis.Volume.Tests;

/// <summary>Six in-memory fake nodes (two per AZ) on loopback plus a layout store in a temp dir.</summary>
public sealed class FakeCluster : IAsyncDisposable
{
    public readonly List<FakeStorageNode> Nodes = [];
    public readonly string Dir = Path.Combine(Path.GetTempPath(), "borealis-vol-" + Guid.NewGuid().ToString("N"));
    public readonly FileVolumeLayoutStore Store;

    public FakeCluster(int count = 6)
    {
        Store = new FileVolumeLayoutStore(Dir);
        for (uint i = 1; i <= count; i++) Add(i, $"az{(i - 1) / 2 % 3 + 1}");
    }

    public FakeStorageNode Add(uint id, string az)
    {
        var n = new FakeStorageNode(id, az, Find);
        Nodes.Add(n);
        return n;
    }

    public FakeStorageNode? Find(uint id) => Nodes.FirstOrDefault(n => n.NodeId == id);

    public VolumeLayout Layout(ulong volumeId = 0xB0, uint pgCount = 3, uint pagesPerPg = 16) =>
        VolumeLayout.Create(volumeId, pgCount, pagesPerPg, [.. Nodes.Take(6).Select(n => n.Info)]);

    public static VolumeClientOptions Options() => new()
    {
        RequestTimeout = TimeSpan.FromSeconds(2),
        AppendStallTimeout = TimeSpan.FromSeconds(2),
        ReconnectDelay = TimeSpan.FromMilliseconds(20),
        MaxReconnectDelay = TimeSpan.FromMilliseconds(200),
        OpenTimeout = TimeSpan.FromSeconds(10),
        MaintenanceInterval = TimeSpan.FromMilliseconds(100),
        HydrationPollInterval = TimeSpan.FromMilliseconds(20),
    };

    public async ValueTask DisposeAsync()
    {
        foreach (var n in Nodes) await n.DisposeAsync();
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}

public class FakeClusterTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static async Task Until(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached in time");
            await Task.Delay(10);
        }
    }

    internal static async Task<ulong> WriteAsync(WriterVolume vol, ulong page, ushort offset, byte value, int len = 8)
    {
        using var mtr = new MiniTransaction();
        var data = new byte[len];
        data.AsSpan().Fill(value);
        mtr.AddWriteBytes(page, offset, data);
        mtr.AddNoop(page);
        return await vol.AppendAsync(mtr);
    }

    [Fact]
    public async Task WritesBecomeDurableAndReadBackAsOfEachLsn()
    {
        await using var c = new FakeCluster();
        await using var vol = await WriterVolume.OpenAsync(c.Layout(), c.Store, FakeCluster.Options());
        Assert.Equal(1u, vol.Epoch);
        Assert.Equal(0ul, vol.Vdl);

        var lsns = new List<ulong>();
        for (int i = 0; i < 20; i++) lsns.Add(await WriteAsync(vol, (ulong)(i % 3 * 16 + 1), 100, (byte)(i + 1)));
        // Pages 1, 17, 33 sit in PGs 0, 1, 2; each MTR is two records, so LSNs are 2, 4, 6, ...
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (ulong)(2 * i)).ToList(), lsns);
        await vol.WaitDurableAsync(lsns[^1]).AsTask().WaitAsync(Wait);
        Assert.True(vol.Vdl >= lsns[^1]);
        Assert.Equal(vol.Vdl, vol.Vcl);

        // Page 1 got values 1, 4, 7, ... at LSNs 2, 8, 14, ...
        for (int i = 0; i < 20; i += 3)
        {
            var page = await vol.ReadPageAsync(1, lsns[i]).AsTask().WaitAsync(Wait);
            Assert.Equal((byte)(i + 1), page[100]);
            Assert.Equal(lsns[i], Page.GetLsn(page)); // the Noop of the same page is the last record applied
        }
        var empty = await vol.ReadPageAsync(5, vol.Vdl);
        Assert.All(empty, b => Assert.Equal(0, b));

        var health = vol.GetHealth();
        output.WriteLine(health.Summary);
        Assert.DoesNotContain(health.Pgs, p => p.WritesStalled);
    }

    [Fact]
    public async Task ManyConcurrentMtrsAreBatched()
    {
        await using var c = new FakeCluster();
        await using var vol = await WriterVolume.OpenAsync(c.Layout(pgCount: 4), c.Store, FakeCluster.Options());
        const int N = 2000;
        var tasks = new Task[N];
        for (int i = 0; i < N; i++)
        {
            int k = i;
            tasks[i] = Task.Run(async () =>
            {
                ulong lsn = await WriteAsync(vol, (ulong)(k % 64), (ushort)(16 + k % 100), (byte)k);
                await vol.WaitDurableAsync(lsn);
            });
        }
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal((ulong)(2 * N), vol.Vdl);
        int frames = c.Nodes.Sum(n => n.AppendFrames);
        output.WriteLine($"{N} MTRs → {frames} Append frames over 6 nodes");
        Assert.True(frames < N * 6, "appends should be batched");
    }

    [Fact]
    public async Task NewWriterFencesOldAndRecoversToVdl()
    {
        await using var c = new FakeCluster();
        var options = FakeCluster.Options();
        var layout = c.Layout();
        await using var old = await WriterVolume.OpenAsync(layout, c.Store, options);
        ulong last = 0;
        for (int i = 0; i < 10; i++) last = await WriteAsync(old, (ulong)i, 200, 7);
        await old.WaitDurableAsync(last).AsTask().WaitAsync(Wait);
        VolumeFencedException? seen = null;
        old.Fenced += e => seen = e;

        await using var next = await WriterVolume.OpenAsync(layout, c.Store, options);
        Assert.Equal(2u, next.Epoch);
        Assert.Equal(last, next.Vdl);
        Assert.Equal(last, next.EpochStartLsn);
        var page = await next.ReadPageAsync(3, next.Vdl);
        Assert.Equal(7, page[200]);

        // The old writer learns it is fenced from its next append.
        ulong stale = await WriteAsync(old, 1, 300, 9);
        var ex = await Assert.ThrowsAsync<VolumeFencedException>(() => old.WaitDurableAsync(stale).AsTask().WaitAsync(Wait));
        output.WriteLine(ex.Message);
        Assert.Contains("newer writer (epoch 2)", ex.Message);
        Assert.NotNull(seen);
        await Assert.ThrowsAsync<VolumeFencedException>(async () => await WriteAsync(old, 1, 300, 9));

        // The new writer continues from VDL+1 with the right back-links.
        ulong l2 = await WriteAsync(next, 1, 300, 11);
        Assert.Equal(last + 2, l2);
        await next.WaitDurableAsync(l2).AsTask().WaitAsync(Wait);
        Assert.Equal(11, (await next.ReadPageAsync(1, l2))[300]);
        Assert.Equal(0, (await next.ReadPageAsync(1, l2))[301 + 8]);
    }

    [Fact]
    public async Task RecoveryStopsAtTheFirstGapAndTruncatesAboveIt()
    {
        await using var c = new FakeCluster();
        var options = FakeCluster.Options();
        options.AppendStallTimeout = TimeSpan.FromSeconds(30); // no reconnect + resend during the test
        var layout = c.Layout(pgCount: 2);
        await using var old = await WriterVolume.OpenAsync(layout, c.Store, options);
        ulong durable = await WriteAsync(old, 1, 100, 1);           // LSNs 1-2, PG 0
        await old.WaitDurableAsync(durable).AsTask().WaitAsync(Wait);
        var framesBefore = c.Nodes.Select(n => Volatile.Read(ref n.AppendFrames)).ToArray();
        foreach (var n in c.Nodes) n.DropAppends = true;
        ulong lost = await WriteAsync(old, 17, 100, 2);              // LSNs 3-4, PG 1: reaches nobody
        // Wait until every node has seen (and dropped) that append, however slow the machine is.
        await Until(() => c.Nodes.Select((n, i) => Volatile.Read(ref n.AppendFrames) > framesBefore[i]).All(b => b));
        foreach (var n in c.Nodes) n.DropAppends = false;
        ulong tail = await WriteAsync(old, 1, 100, 3);               // LSNs 5-6, PG 0: on every node, but above a gap
        await Until(() => c.Nodes.All(n => n.RecordCount(layout.VolumeId, 0) == 4));
        Assert.Equal(4ul, lost);
        Assert.Equal(6ul, tail);
        Assert.Equal(durable, old.Vdl);
        Assert.Equal(4, c.Nodes[0].RecordCount(layout.VolumeId, 0) + c.Nodes[0].RecordCount(layout.VolumeId, 1));

        await using var fresh = await WriterVolume.OpenAsync(layout, c.Store, options);
        Assert.Equal(durable, fresh.Vdl);
        Assert.Equal(durable, fresh.Vcl);
        foreach (var n in c.Nodes) Assert.Equal(2, n.RecordCount(layout.VolumeId, 0)); // the tail was truncated
        Assert.Equal(1, (await fresh.ReadPageAsync(1, fresh.Vdl))[100]);
        ulong next = await WriteAsync(fresh, 1, 100, 4);
        Assert.Equal(durable + 2, next);
        await fresh.WaitDurableAsync(next).AsTask().WaitAsync(Wait);
        Assert.Equal(4, (await fresh.ReadPageAsync(1, next))[100]);
    }

    [Fact]
    public async Task KeepsWritingWithAnAzDownAndExplainsAStall()
    {
        await using var c = new FakeCluster();
        await using var vol = await WriterVolume.OpenAsync(c.Layout(), c.Store, FakeCluster.Options());
        ulong l = await WriteAsync(vol, 2, 100, 1);
        await vol.WaitDurableAsync(l).AsTask().WaitAsync(Wait);

        // Lose AZ 1 (nodes 1 and 2): every PG keeps 4 of 6.
        await c.Nodes[0].DisposeAsync();
        await c.Nodes[1].DisposeAsync();
        for (int i = 0; i < 10; i++) l = await WriteAsync(vol, (ulong)(i * 4), 100, (byte)(i + 2));
        await vol.WaitDurableAsync(l).AsTask().WaitAsync(Wait);
        Assert.Equal(l, vol.Vdl);
        Assert.Equal(5, (await vol.ReadPageAsync(12, l))[100]);

        // Lose one more: three of six left, writes stall with a clear reason.
        await c.Nodes[2].DisposeAsync();
        ulong stuck = await WriteAsync(vol, 3, 100, 42);
        await Task.Delay(200);
        Assert.True(vol.Vdl < stuck);
        var health = vol.GetHealth();
        output.WriteLine(health.Summary);
        Assert.Contains("only 3 of 6 segments reachable; writes wait for a write quorum (4/6)", health.Summary);
        Assert.All(health.Pgs, p => Assert.True(p.WritesStalled));
    }

    [Fact]
    public async Task ResendsToAReconnectedNode()
    {
        await using var c = new FakeCluster();
        await using var vol = await WriterVolume.OpenAsync(c.Layout(pgCount: 1), c.Store, FakeCluster.Options());
        // Three nodes hold their acks: no quorum until the connection to one is cut and a resend lands.
        foreach (var n in c.Nodes.Take(3)) n.HoldAcks = true;
        ulong l = await WriteAsync(vol, 2, 100, 1);
        await Task.Delay(100);
        Assert.True(vol.Vdl < l);
        c.Nodes[0].HoldAcks = false;
        // The stall detector disconnects node 1 (no acks for AppendStallTimeout) and resends on reconnect.
        await vol.WaitDurableAsync(l).AsTask().WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(l, vol.Vdl);
    }

    [Fact]
    public async Task ReplacesASegment()
    {
        await using var c = new FakeCluster();
        var options = FakeCluster.Options();
        var layout = c.Layout(pgCount: 2);
        await using var vol = await WriterVolume.OpenAsync(layout, c.Store, options);
        ulong l = 0;
        for (int i = 0; i < 10; i++) l = await WriteAsync(vol, (ulong)i, 100, (byte)i);
        await vol.WaitDurableAsync(l).AsTask().WaitAsync(Wait);

        var lost = layout.Pgs[0].Members[0];
        await c.Find(lost.NodeId)!.DisposeAsync();
        var fresh = c.Add(7, lost.Az);
        var writing = Task.Run(async () =>
        {
            ulong x = 0;
            for (int i = 0; i < 20; i++) x = await WriteAsync(vol, (ulong)(i % 16), 120, (byte)i);
            return x;
        });
        await vol.ReplaceSegmentAsync(0, lost.NodeId, fresh.Info).WaitAsync(TimeSpan.FromSeconds(20));
        ulong last = await writing;
        await vol.WaitDurableAsync(last).AsTask().WaitAsync(Wait);

        var pg0 = vol.Layout.Pgs[0];
        Assert.False(pg0.InTransition);
        Assert.Equal(3u, pg0.MembershipEpoch);
        Assert.DoesNotContain(pg0.Members, m => m.NodeId == lost.NodeId);
        Assert.Contains(pg0.Members, m => m.NodeId == 7);
        var stored = await c.Store.LoadAsync(layout.VolumeId, default);
        Assert.Equal(3u, stored!.Pgs[0].MembershipEpoch);
        Assert.True(fresh.SclOf(layout.VolumeId, 0) >= 1);

        ulong after = await WriteAsync(vol, 5, 100, 99);
        await vol.WaitDurableAsync(after).AsTask().WaitAsync(Wait);
        Assert.Equal(99, (await vol.ReadPageAsync(5, after))[100]);
    }

    [Fact]
    public async Task LalBoundsAllocationAhead()
    {
        await using var c = new FakeCluster();
        var options = FakeCluster.Options();
        options.Lal = 10;
        await using var vol = await WriterVolume.OpenAsync(c.Layout(pgCount: 1), c.Store, options);
        foreach (var n in c.Nodes.Take(3)) n.HoldAcks = true;
        for (int i = 0; i < 5; i++) await WriteAsync(vol, 1, 100, 1); // 10 records: allowed
        var blocked = WriteAsync(vol, 1, 100, 2);
        await Task.Delay(100);
        Assert.False(blocked.IsCompleted);
        foreach (var n in c.Nodes.Take(3)) n.HoldAcks = false;
        // Acks are held by nodes 1-3, so they need a reconnect + resend (stall timeout) to progress.
        ulong l = await blocked.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(12ul, l);
    }
}
