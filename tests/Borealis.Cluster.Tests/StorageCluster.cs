using Borealis.Storage.Protocol;
using Borealis.Testing;
using Borealis.Volume;
using Xunit.Abstractions;

namespace Borealis.Cluster.Tests;

/// <summary>
/// Six real `borealis storage` processes (two per AZ, three AZs), each behind a
/// <see cref="FaultProxy"/>. The volume layout names the proxies, so every byte to a node —
/// from the writer and from its gossiping peers — crosses a link the test controls.
/// </summary>
public sealed class StorageCluster : IAsyncDisposable
{
    public const ulong VolumeId = 0xB0EA1;
    private readonly ITestOutputHelper? _out;

    private StorageCluster(string root, ITestOutputHelper? output)
    {
        Root = root;
        _out = output;
    }

    public string Root { get; }
    public List<NodeProcess> Nodes { get; } = [];
    public List<FaultProxy> Proxies { get; } = [];
    /// <summary>The layout tests address nodes by; update it after a membership change.</summary>
    public VolumeLayout Layout { get; set; } = null!;
    public IVolumeLayoutStore Store { get; private set; } = null!;

    public static async Task<StorageCluster> StartAsync(ITestOutputHelper? output, uint pgCount = 4, uint pagesPerPg = 32, int seed = 1, bool eagerCoalescing = true)
    {
        var c = new StorageCluster(Path.Combine(Path.GetTempPath(), "borealis-ct-" + Guid.NewGuid().ToString("N")[..10]), output);
        Directory.CreateDirectory(c.Root);
        for (uint i = 1; i <= 6; i++)
        {
            var node = new NodeProcess(i, $"az{(i + 1) / 2}", Path.Combine(c.Root, $"node-{i}"), Ports.FreeLoopback(), eagerCoalescing);
            c.Nodes.Add(node);
            c.Proxies.Add(new FaultProxy(node.Endpoint, seed + (int)i));
        }
        await Task.WhenAll(c.Nodes.Select(n => n.StartAsync()));
        var infos = c.Nodes.Select((n, i) => new NodeInfo(n.NodeId, n.Az, c.Proxies[i].Endpoint)).ToList();
        c.Layout = VolumeLayout.Create(VolumeId, pgCount, pagesPerPg, infos);
        c.Store = new FileVolumeLayoutStore(Path.Combine(c.Root, "layout"));
        return c;
    }

    public static VolumeClientOptions TestOptions() => new()
    {
        RequestTimeout = TimeSpan.FromSeconds(2),
        AppendStallTimeout = TimeSpan.FromSeconds(2),
        ReconnectDelay = TimeSpan.FromMilliseconds(50),
        MaxReconnectDelay = TimeSpan.FromMilliseconds(500),
        MaintenanceInterval = TimeSpan.FromMilliseconds(200),
        OpenTimeout = TimeSpan.FromSeconds(20),
    };

    public Task<WriterVolume> OpenWriterAsync(VolumeClientOptions? options = null)
        => WriterVolume.OpenAsync(Layout, Store, options ?? TestOptions());

    /// <summary>Starts one more node (behind its own proxy), e.g. to replace a lost one.</summary>
    public async Task<NodeInfo> AddNodeAsync(uint id, string az)
    {
        var node = new NodeProcess(id, az, Path.Combine(Root, $"node-{id}"), Ports.FreeLoopback());
        Nodes.Add(node);
        var proxy = new FaultProxy(node.Endpoint, (int)id);
        Proxies.Add(proxy);
        await node.StartAsync();
        return new NodeInfo(id, az, proxy.Endpoint);
    }

    public NodeProcess Node(uint id) => Nodes[(int)id - 1];
    public FaultProxy Proxy(uint id) => Proxies[(int)id - 1];

    public void Log(string line) => _out?.WriteLine($"{DateTime.Now:HH:mm:ss.fff} {line}");

    /// <summary>The segment states a node reports for every PG it hosts (directly, not through its proxy).</summary>
    public async Task<List<SegmentStateMsg>> SegmentStatesAsync(uint nodeId)
    {
        var node = Node(nodeId);
        await using var client = await NodeClient.ConnectAsync(node.Endpoint, ClientKind.Admin, 0, TimeSpan.FromSeconds(5));
        var states = new List<SegmentStateMsg>();
        foreach (var pg in Layout.Pgs)
        {
            if (!pg.Members.Any(m => m.NodeId == nodeId)) continue;
            var req = Encode.ToArray(SegmentOnlyMsg.Size, (ref WireWriter w) => new SegmentOnlyMsg { Segment = new SegmentId(VolumeId, pg.PgIndex) }.Write(ref w));
            var resp = await client.RequestAsync(MessageType.GetSegmentState, req, TimeSpan.FromSeconds(5));
            Assert.True(SegmentStateMsg.TryRead(resp.Payload, out var st));
            states.Add(st);
        }
        return states;
    }

    /// <summary>
    /// Waits until every segment of <paramref name="nodeId"/> holds everything its PG's write
    /// quorum held when called (SCL ≥ the writer's PGCL of that PG): caught up, e.g. by gossip.
    /// </summary>
    public Task WaitCaughtUpAsync(uint nodeId, WriterVolume vol, TimeSpan timeout)
    {
        var pgcl = vol.GetHealth().Pgs.ToDictionary(p => p.PgIndex, p => p.Pgcl);
        return WaitCaughtUpAsync(nodeId, pg => pgcl[pg], timeout);
    }

    public async Task WaitCaughtUpAsync(uint nodeId, Func<uint, ulong> target, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        List<SegmentStateMsg> last = [];
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                last = await SegmentStatesAsync(nodeId);
                if (last.All(s => s.Scl >= target(s.Segment.PgIndex))) return;
            }
            catch (Exception e) when (e is IOException or TimeoutException or StorageException or System.Net.Sockets.SocketException) { }
            await Task.Delay(200);
        }
        Assert.Fail($"node {nodeId} did not catch up within {timeout.TotalSeconds:F0} s: " +
            string.Join(", ", last.Select(s => $"pg {s.Segment.PgIndex} scl {s.Scl} (target {target(s.Segment.PgIndex)}) max {s.MaxLsn} base {s.BaseLsn}")) + "\n" + Node(nodeId).Process?.Output);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var p in Proxies) await p.DisposeAsync();
        foreach (var n in Nodes) n.Dispose();
        try { Directory.Delete(Root, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
