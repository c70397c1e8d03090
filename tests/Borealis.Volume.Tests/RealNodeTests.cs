#if WITH_STORAGE_NODE
using Borealis.Redo;
using Borealis.Storage;
using Xunit.Abstractions;

namespace Borealis.Volume.Tests;

/// <summary>Six real in-process storage nodes (two per AZ) in temp dirs.</summary>
public sealed class RealCluster : IAsyncDisposable
{
    public readonly List<StorageNode?> Nodes = [];
    public readonly List<NodeInfo> Infos = [];
    public readonly string Dir = Path.Combine(Path.GetTempPath(), "borealis-vol-real-" + Guid.NewGuid().ToString("N"));
    public FileVolumeLayoutStore Store = null!;

    public static async Task<RealCluster> StartAsync()
    {
        var c = new RealCluster();
        c.Store = new FileVolumeLayoutStore(Path.Combine(c.Dir, "meta"));
        for (uint i = 1; i <= 6; i++)
        {
            string az = $"az{(i - 1) / 2 % 3 + 1}";
            var node = await StorageNode.StartAsync(new StorageNodeOptions
            {
                NodeId = i, Az = az, DataDir = Path.Combine(c.Dir, $"node{i}"), Listen = "127.0.0.1:0",
            }, null, default);
            c.Nodes.Add(node);
            c.Infos.Add(new NodeInfo(i, az, $"127.0.0.1:{node.LocalEndPoint.Port}"));
        }
        return c;
    }

    public VolumeLayout Layout(uint pgCount = 3) => VolumeLayout.Create(0xC0, pgCount, 16, Infos);

    public async Task StopAsync(int index)
    {
        var n = Nodes[index];
        Nodes[index] = null;
        if (n is not null) await n.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        for (int i = 0; i < Nodes.Count; i++) await StopAsync(i);
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}

public class RealNodeTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task WriteWaitReadAsOfFenceAndSurviveAnAzLoss()
    {
        await using var c = await RealCluster.StartAsync();
        var options = FakeCluster.Options();
        var layout = c.Layout();
        await using var vol = await WriterVolume.OpenAsync(layout, c.Store, options);

        var lsns = new List<ulong>();
        for (int i = 0; i < 30; i++) lsns.Add(await FakeClusterTests.WriteAsync(vol, (ulong)(i % 3 * 16 + 1), 100, (byte)(i + 1)));
        await vol.WaitDurableAsync(lsns[^1]).AsTask().WaitAsync(Wait);
        for (int i = 0; i < 30; i += 3)
        {
            var page = await vol.ReadPageAsync(1, lsns[i]).AsTask().WaitAsync(Wait);
            Assert.Equal((byte)(i + 1), page[100]);
        }
        Assert.Equal(28, (await vol.ReadPageAsync(1, vol.Vdl))[100]);

        // Lose AZ 1: writes continue on 4 of 6.
        await c.StopAsync(0);
        await c.StopAsync(1);
        ulong l = 0;
        for (int i = 0; i < 10; i++) l = await FakeClusterTests.WriteAsync(vol, (ulong)(i % 16), 120, (byte)(50 + i));
        await vol.WaitDurableAsync(l).AsTask().WaitAsync(Wait);
        Assert.Equal(59, (await vol.ReadPageAsync(9, l))[120]);
        output.WriteLine(vol.GetHealth().Summary);

        // A new writer (epoch + 1) on the four survivors fences the old one.
        await using var next = await WriterVolume.OpenAsync(layout, c.Store, options);
        Assert.Equal(vol.Epoch + 1, next.Epoch);
        Assert.Equal(l, next.Vdl);
        ulong stale = await FakeClusterTests.WriteAsync(vol, 2, 100, 1);
        await Assert.ThrowsAsync<VolumeFencedException>(() => vol.WaitDurableAsync(stale).AsTask().WaitAsync(Wait));
        Assert.True(vol.IsFenced);

        ulong l2 = await FakeClusterTests.WriteAsync(next, 2, 100, 77);
        await next.WaitDurableAsync(l2).AsTask().WaitAsync(Wait);
        Assert.Equal(77, (await next.ReadPageAsync(2, l2))[100]);
        Assert.Equal(59, (await next.ReadPageAsync(9, l2))[120]);
        Assert.Equal(l2, Page.GetLsn(await next.ReadPageAsync(2, l2)));
    }
}
#endif
