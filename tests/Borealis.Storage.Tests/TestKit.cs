using Borealis.Redo;
using Borealis.Storage.Protocol;

namespace Borealis.Storage.Tests;

/// <summary>In-process storage nodes in temp directories, a writer-side client, and a record generator with a page model.</summary>
internal static class TestKit
{
    public const ulong Volume = 0x7e57;
    public const uint PagesPerPg = 64;
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static string NewDir()
    {
        string d = Path.Combine(Path.GetTempPath(), "borealis-storage-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(d);
        return d;
    }

    public static StorageNodeOptions Options(uint id, string dir, string listen = "127.0.0.1:0") => new()
    {
        NodeId = id, Az = $"az{id}", DataDir = dir, Listen = listen, SyncWrites = false, BackgroundWork = false,
        GossipInterval = TimeSpan.FromMilliseconds(50), CoalesceDelay = TimeSpan.FromMilliseconds(10), PeerRequestTimeout = TimeSpan.FromSeconds(3),
    };

    public static Task<StorageNode> StartAsync(uint id, string dir, string listen = "127.0.0.1:0", Action<StorageNodeOptions>? configure = null)
    {
        var o = Options(id, dir, listen);
        configure?.Invoke(o);
        return StorageNode.StartAsync(o);
    }

    public static Task<NodeClient> ConnectAsync(StorageNode node)
        => NodeClient.ConnectAsync(node.LocalEndPoint.ToString(), ClientKind.Writer, 0, Timeout);

    public static SegmentId Seg(uint pg = 0) => new(Volume, pg);

    public static Membership MembershipOf(uint epoch, params StorageNode[] nodes)
    {
        var members = new Member[nodes.Length];
        for (int i = 0; i < nodes.Length; i++) members[i] = new Member(nodes[i].NodeId, nodes[i].Az, nodes[i].LocalEndPoint.ToString());
        return new Membership(epoch, members);
    }

    public static async Task<SegmentStateMsg> EnsureAsync(NodeClient c, SegmentId seg, Membership m)
    {
        var msg = new EnsureSegmentMsg { Segment = seg, FirstPage = seg.PgIndex * (ulong)PagesPerPg, PageCount = PagesPerPg, Membership = m };
        var resp = await c.RequestAsync(MessageType.EnsureSegment, Encode.ToArray(msg.Size, msg.Write), Timeout);
        Assert.Equal(MessageType.SegmentState, resp.Type);
        Assert.True(SegmentStateMsg.TryRead(resp.Payload, out var st));
        return st;
    }

    public static async Task<AppendAckMsg> AppendAsync(NodeClient c, SegmentId seg, IReadOnlyList<byte[]> records, uint epoch = 1, ulong epochStart = 0,
        ulong minReadPoint = 0, uint membershipEpoch = 1)
    {
        int len = 0;
        foreach (var r in records) len += r.Length;
        var payload = new byte[AppendHeader.Size + len];
        var w = new WireWriter(payload);
        new AppendHeader
        {
            Segment = seg, VolumeEpoch = epoch, EpochStartLsn = epochStart, MembershipEpoch = membershipEpoch, MinReadPoint = minReadPoint,
            RecordCount = (uint)records.Count,
        }.Write(ref w);
        foreach (var r in records) w.Bytes(r);
        var resp = await c.RequestAsync(MessageType.Append, payload, Timeout);
        Assert.Equal(MessageType.AppendAck, resp.Type);
        Assert.True(AppendAckMsg.TryRead(resp.Payload, out var ack));
        return ack;
    }

    public static async Task<byte[]> GetPageAsync(NodeClient c, SegmentId seg, ulong pageNo, ulong asOf, uint epoch = 0)
    {
        var m = new GetPageMsg { Segment = seg, PageNo = pageNo, AsOfLsn = asOf, VolumeEpoch = epoch };
        var resp = await c.RequestAsync(MessageType.GetPage, Encode.ToArray(GetPageMsg.Size, m.Write), Timeout);
        Assert.Equal(MessageType.PageData, resp.Type);
        Assert.Equal(16 + Page.Size, resp.Payload.Length);
        var page = resp.Payload.AsSpan(16).ToArray();
        Assert.True(Page.VerifyChecksum(page, pageNo), $"page {pageNo} checksum");
        return page;
    }

    public static async Task<SegmentStateMsg> StateAsync(NodeClient c, SegmentId seg)
    {
        var resp = await c.RequestAsync(MessageType.GetSegmentState, Encode.ToArray(SegmentOnlyMsg.Size, new SegmentOnlyMsg { Segment = seg }.Write), Timeout);
        Assert.True(SegmentStateMsg.TryRead(resp.Payload, out var st));
        return st;
    }

    public static async Task<SegmentStateMsg> EpochAsync(NodeClient c, MessageType type, SegmentId seg, uint epoch, ulong lsn, uint membershipEpoch = 1)
    {
        var m = new EpochMsg { Segment = seg, Epoch = epoch, MembershipEpoch = membershipEpoch, Lsn = lsn };
        var resp = await c.RequestAsync(type, Encode.ToArray(EpochMsg.Size, m.Write), Timeout);
        Assert.True(SegmentStateMsg.TryRead(resp.Payload, out var st));
        return st;
    }

    public static async Task WaitUntilAsync(Func<bool> cond, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Timeout);
        while (!cond())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("timed out waiting for " + what);
            await Task.Delay(20);
        }
    }

    public static void TryDelete(string dir)
    {
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>Generates valid redo records for one PG and keeps a model of every page at every LSN.</summary>
internal sealed class RecordGen(int seed, uint pg = 0, uint epoch = 1)
{
    private readonly Random _rng = new(seed);
    private readonly Dictionary<ulong, byte[]> _pages = [];
    private readonly List<(ulong Lsn, ulong Page, byte[] Record)> _log = [];
    public ulong LastLsn { get; set; }
    public uint Epoch { get; set; } = epoch;
    public uint Pg { get; } = pg;
    public ulong FirstPage => Pg * (ulong)TestKit.PagesPerPg;
    public IReadOnlyList<(ulong Lsn, ulong Page, byte[] Record)> All => _log;

    /// <summary>Next record; <paramref name="lsnStep"/> &gt; 1 leaves LSNs to other PGs (back-link skips them).</summary>
    public byte[] Next(int lsnStep = 1, ulong? page = null)
    {
        ulong lsn = LastLsn + (ulong)lsnStep;
        ulong pageNo = page ?? FirstPage + (ulong)_rng.Next(0, 8);
        var buf = new byte[RedoRecord.HeaderSize + 300];
        RedoType type;
        int payloadLen;
        var payload = buf.AsSpan(RedoRecord.HeaderSize);
        if (_rng.Next(10) == 0)
        {
            type = RedoType.Fill;
            ushort off = (ushort)_rng.Next(16, 8000);
            ushort n = (ushort)_rng.Next(1, Math.Min(190, 8192 - off));
            BitConverter.TryWriteBytes(payload, off);
            BitConverter.TryWriteBytes(payload[2..], n);
            payload[4] = (byte)_rng.Next(256);
            payloadLen = 5;
        }
        else
        {
            type = RedoType.WriteBytes;
            var data = new byte[_rng.Next(1, 200)];
            _rng.NextBytes(data);
            payloadLen = PageApply.WriteBytesPayload(payload, (ushort)_rng.Next(16, 8192 - data.Length), data);
        }
        int total = RedoRecord.Seal(buf, payloadLen, lsn, LastLsn, TestKit.Volume, Pg, Epoch, pageNo, type, RedoFlags.Cpl);
        var rec = buf.AsSpan(0, total).ToArray();
        LastLsn = lsn;
        _log.Add((lsn, pageNo, rec));
        return rec;
    }

    public List<byte[]> Batch(int n, int lsnStep = 1)
    {
        var list = new List<byte[]>(n);
        for (int i = 0; i < n; i++) list.Add(Next(lsnStep));
        return list;
    }

    /// <summary>The page as of <paramref name="asOf"/> from the model (sealed).</summary>
    public byte[] Model(ulong pageNo, ulong asOf)
    {
        var page = new byte[Page.Size];
        foreach (var (lsn, p, rec) in _log)
            if (p == pageNo && lsn <= asOf) PageApply.Apply(page, rec);
        Page.SealChecksum(page, pageNo);
        return page;
    }
}
