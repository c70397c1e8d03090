using System.Net.Sockets;
using Borealis.Redo;
using Borealis.Storage.Protocol;
using Xunit.Abstractions;

namespace Borealis.Cluster.Tests;

/// <summary>Segment replacement while writes continue, and hostile input to a node process.</summary>
[Collection("cluster")]
public sealed class MembershipAndBadInputTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ALostNodeIsReplacedByANewOneHydratedFromPeersWhileWritesContinue()
    {
        await using var c = await StorageCluster.StartAsync(output);
        await using var vol = await c.OpenWriterAsync();
        var model = new SlotModel(c.Layout);
        var load = new Load(model, () => vol, writers: 4, seed: 61);
        await Task.Delay(1000);

        c.Log("node 2 is lost for good; node 7 (az1) replaces it in every PG");
        c.Node(2).Kill();
        var fresh = await c.AddNodeAsync(7, "az1");
        long before = load.Acked;
        var pgs = vol.Layout.Pgs.Where(p => p.Members.Any(m => m.NodeId == 2)).Select(p => p.PgIndex).ToList();
        Assert.NotEmpty(pgs);
        await Task.WhenAll(pgs.Select(pg => vol.ReplaceSegmentAsync(pg, 2, fresh))).WaitAsync(TimeSpan.FromSeconds(60));
        long after = load.Acked;
        c.Log($"replaced node 2 in PGs {string.Join(",", pgs)}; {after - before} writes acknowledged meanwhile");
        Assert.True(after > before, "writes stopped during the replacement");

        foreach (var pg in vol.Layout.Pgs)
        {
            Assert.False(pg.InTransition);
            Assert.DoesNotContain(pg.Members, m => m.NodeId == 2);
            Assert.Equal(2, pg.Members.Count(m => m.Az == "az1"));
        }
        // The persisted layout has the new membership too.
        var stored = await c.Store.LoadAsync(StorageCluster.VolumeId, default);
        Assert.All(stored!.Pgs, pg => Assert.DoesNotContain(pg.Members, m => m.NodeId == 2));

        await Task.Delay(500);
        await load.StopAsync();
        ulong vdl = vol.Vdl;
        await model.VerifyAsync((p, lsn) => vol.ReadPageAsync(p, lsn).AsTask(), vdl);
        // Node 7 holds everything: read every page from it alone.
        c.Layout = vol.Layout;
        await c.WaitCaughtUpAsync(7, vol, TimeSpan.FromSeconds(30));
        await model.VerifyAsync((p, lsn) => DiskFaultTests.ReadFromNodeAsync(c, 7, p, lsn), vdl);

        // And with node 2 gone for good plus another node down, the volume still writes (4 of the new six).
        c.Node(3).Kill();
        var load2 = new Load(model, () => vol, writers: 2, seed: 62);
        await Task.Delay(1500);
        await load2.StopAsync();
        Assert.True(load2.Acked > 0, "no writes with the new membership: " + load2.LastError);
    }

    [Fact]
    public async Task HostileInputGetsErrorsOrAClosedConnectionAndHarmsNothing()
    {
        await using var c = await StorageCluster.StartAsync(output);
        await using var vol = await c.OpenWriterAsync();
        var model = new SlotModel(c.Layout);
        var load = new Load(model, () => vol, writers: 4, seed: 71);
        string target = c.Node(1).Endpoint;
        var rng = new Random(71);

        // 1. Garbage, an oversized length, a bad CRC, a truncated frame: the connection is closed.
        foreach (var bytes in new[]
        {
            RandomBytes(rng, 4096),
            Header(length: Borealis.Storage.Protocol.Frame.MaxFrameSize + 1, MessageType.Append),
            WithBadCrc(MakeFrame(MessageType.GetSegmentState, new byte[SegmentOnlyMsg.Size])),
            MakeFrame(MessageType.Hello, new byte[HelloMsg.Size])[..15],
            Header(length: 3, MessageType.Hello),
        })
        {
            Assert.True(await IsClosedAfterAsync(target, bytes), "the node kept a connection open after hostile bytes");
        }

        // 2. Well-framed but wrong requests get Error replies, and the connection stays usable.
        await using var client = await NodeClient.ConnectAsync(target, ClientKind.Admin, 0, TimeSpan.FromSeconds(5));
        var unknown = Encode.ToArray(SegmentOnlyMsg.Size, (ref WireWriter w) => new SegmentOnlyMsg { Segment = new SegmentId(0xDEAD, 0) }.Write(ref w));
        var e1 = await Assert.ThrowsAsync<StorageException>(() => client.RequestAsync(MessageType.GetSegmentState, unknown, TimeSpan.FromSeconds(5)));
        Assert.Equal(ErrorCode.UnknownSegment, e1.Code);
        var e2 = await Assert.ThrowsAsync<StorageException>(() => client.RequestAsync(MessageType.GetPage, new byte[3], TimeSpan.FromSeconds(5)));
        Assert.Equal(ErrorCode.Malformed, e2.Code);

        // An append with an old epoch (a stale writer) is refused with StaleEpoch.
        uint membership = vol.Layout.Pgs[0].MembershipEpoch;
        var stale = StaleAppend(vol.Epoch - 1, 0, membership, vol.NextLsn + 1000);
        var e3 = await Assert.ThrowsAsync<StorageException>(() => client.RequestAsync(MessageType.Append, stale, TimeSpan.FromSeconds(5)));
        Assert.Equal(ErrorCode.StaleEpoch, e3.Code);
        // An append whose record fails its CRC is refused as malformed.
        var corrupt = StaleAppend(vol.Epoch, vol.EpochStartLsn, membership, vol.NextLsn + 1000);
        corrupt[^5] ^= 1;
        var e4 = await Assert.ThrowsAsync<StorageException>(() => client.RequestAsync(MessageType.Append, corrupt, TimeSpan.FromSeconds(5)));
        Assert.Equal(ErrorCode.Malformed, e4.Code);
        var ok = await client.RequestAsync(MessageType.NodeStatus, Array.Empty<byte>(), TimeSpan.FromSeconds(5));
        Assert.Equal(MessageType.NodeStatusReply, ok.Type);

        // 3. Meanwhile the writer's own connections and the data were unharmed.
        await Task.Delay(500);
        await load.StopAsync();
        Assert.True(load.Acked > 0);
        Assert.True(c.Node(1).IsRunning, "the node died on hostile input:\n" + c.Node(1).Process?.Output);
        await model.VerifyAsync((p, lsn) => vol.ReadPageAsync(p, lsn).AsTask(), vol.Vdl);
        await c.WaitCaughtUpAsync(1, vol, TimeSpan.FromSeconds(30));
        await model.VerifyAsync((p, lsn) => DiskFaultTests.ReadFromNodeAsync(c, 1, p, lsn), vol.Vdl);
    }

    private static byte[] StaleAppend(uint epoch, ulong epochStart, uint membershipEpoch, ulong lsn)
    {
        var rec = new byte[RedoRecord.HeaderSize + 2 + 8];
        int n = PageApply.WriteBytesPayload(rec.AsSpan(RedoRecord.HeaderSize), 16, [1, 2, 3, 4, 5, 6, 7, 8]);
        RedoRecord.Seal(rec, n, lsn, lsn - 1, StorageCluster.VolumeId, 0, epoch, 0, RedoType.WriteBytes, RedoFlags.Cpl);
        var hdr = new AppendHeader { Segment = new SegmentId(StorageCluster.VolumeId, 0), VolumeEpoch = epoch, EpochStartLsn = epochStart, MembershipEpoch = membershipEpoch, RecordCount = 1 };
        var payload = new byte[AppendHeader.Size + rec.Length];
        var w = new WireWriter(payload);
        hdr.Write(ref w);
        w.Bytes(rec);
        return payload;
    }

    private static byte[] RandomBytes(Random rng, int n)
    {
        var b = new byte[n];
        rng.NextBytes(b);
        return b;
    }

    private static byte[] Header(int length, MessageType type)
    {
        var b = new byte[Borealis.Storage.Protocol.Frame.HeaderSize];
        Borealis.Storage.Protocol.Frame.WriteHeader(b, type, 1);
        BitConverter.TryWriteBytes(b, length);
        return b;
    }

    private static byte[] MakeFrame(MessageType type, byte[] payload)
    {
        var b = new byte[Borealis.Storage.Protocol.Frame.HeaderSize + payload.Length];
        Borealis.Storage.Protocol.Frame.WriteHeader(b, type, 1);
        payload.CopyTo(b, Borealis.Storage.Protocol.Frame.HeaderSize);
        Borealis.Storage.Protocol.Frame.Seal(b);
        return b;
    }

    private static byte[] WithBadCrc(byte[] frame)
    {
        frame[^1] ^= 0x55;
        return frame;
    }

    /// <summary>Sends raw bytes on a fresh connection, half-closes, and reports whether the node closed it.</summary>
    private static async Task<bool> IsClosedAfterAsync(string endpoint, byte[] bytes)
    {
        var (host, port) = FrameConnection.ParseEndpoint(endpoint);
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await s.ConnectAsync(host, port);
        await s.SendAsync(bytes, SocketFlags.None);
        s.Shutdown(SocketShutdown.Send);
        var buf = new byte[65536];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            while (true)
            {
                int n = await s.ReceiveAsync(buf, SocketFlags.None, cts.Token);
                if (n == 0) return true;
            }
        }
        catch (SocketException) { return true; }
        catch (OperationCanceledException) { return false; }
    }
}
