using Borealis.Testing;
using Borealis.Volume;
using Xunit.Abstractions;

namespace Borealis.Cluster.Tests;

/// <summary>
/// The storage service under faults, with real node processes: losing an AZ, losing AZ+1,
/// a stale writer, slow / cut / partitioned links. Every test ends by checking every page
/// against the <see cref="SlotModel"/>.
/// </summary>
[Collection("cluster")]
public sealed class QuorumFaultTests(ITestOutputHelper output)
{
    [Fact]
    public async Task LosingAWholeAzDuringWritesLosesNothingAndWritesContinue()
    {
        // Default (lazy) coalescing: the returning nodes catch up from the peers' records.
        await using var c = await StorageCluster.StartAsync(output, eagerCoalescing: false);
        await using var vol = await c.OpenWriterAsync();
        var model = new SlotModel(c.Layout);
        var load = new Load(model, () => vol, writers: 8, seed: 11);
        await Task.Delay(1500);
        long before = load.Acked;
        Assert.True(before > 0, "no write was acknowledged before the fault: " + load.LastError);

        c.Log("kill -9 both nodes of az1");
        c.Node(1).Kill();
        c.Node(2).Kill();
        await Task.Delay(500);
        long atKill = load.Acked;
        await Task.Delay(2500);
        long after = load.Acked;
        c.Log($"acked before {before}, at kill {atKill}, after {after}; health: {vol.GetHealth().Summary}");
        Assert.True(after > atKill + 20, $"writes did not continue with one AZ down (acked {atKill} → {after}); last error: {load.LastError}");

        await load.StopAsync();
        await model.VerifyAsync((p, lsn) => vol.ReadPageAsync(p, lsn).AsTask(), vol.Vdl);

        c.Log("restart az1: the two nodes catch up by gossip");
        await Task.WhenAll(c.Node(1).StartAsync(), c.Node(2).StartAsync());
        ulong vdl = vol.Vdl;
        await c.WaitCaughtUpAsync(1, vol, TimeSpan.FromSeconds(30));
        await c.WaitCaughtUpAsync(2, vol, TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task LosingAzPlusOneStallsWritesKeepsReadsAndResumesWhenNodesReturn()
    {
        await using var c = await StorageCluster.StartAsync(output);
        await using var vol = await c.OpenWriterAsync();
        var model = new SlotModel(c.Layout);
        var load = new Load(model, () => vol, writers: 4, seed: 12);
        await Task.Delay(1000);
        await load.StopAsync();
        Assert.True(model.AckedCount > 0);

        c.Log("kill -9 az1 (nodes 1, 2) and node 3 of az2");
        foreach (uint id in new uint[] { 1, 2, 3 }) c.Node(id).Kill();

        // Writes stall: a new write does not become durable, with a clear status.
        Assert.True(model.TryReserve(new Random(5), out var stalled));
        using var mtr = new MiniTransaction(256);
        var pending = model.WriteAsync(vol, stalled, mtr);
        await Task.Delay(2000);
        Assert.False(pending.IsCompleted, "a write became durable with only 3 of 6 segments alive");
        var health = vol.GetHealth();
        c.Log("health while stalled: " + health.Summary);
        Assert.Contains(health.Pgs, pg => pg.WritesStalled);
        Assert.Contains("write quorum", health.Summary, StringComparison.Ordinal);

        // Reads of durable data still succeed (from the three survivors). Storage keeps page
        // versions from the minimum read point on (the VDL by default), so read at the VDL.
        await model.VerifyAsync((p, lsn) => vol.ReadPageAsync(p, lsn).AsTask(), vol.Vdl);

        c.Log("restart the three nodes: the stalled write completes, stragglers catch up");
        await Task.WhenAll(c.Node(1).StartAsync(), c.Node(2).StartAsync(), c.Node(3).StartAsync());
        await pending.WaitAsync(TimeSpan.FromSeconds(30));
        var load2 = new Load(model, () => vol, writers: 4, seed: 13);
        await Task.Delay(1000);
        await load2.StopAsync();
        Assert.True(load2.Acked > 0, "writes did not resume: " + load2.LastError);
        ulong vdl = vol.Vdl;
        foreach (uint id in new uint[] { 1, 2, 3 }) await c.WaitCaughtUpAsync(id, vol, TimeSpan.FromSeconds(30));
        await model.VerifyAsync((p, lsn) => vol.ReadPageAsync(p, lsn).AsTask(), vdl);
    }

    [Fact]
    public async Task AStaleWriterIsFencedWhenANewWriterOpensTheVolume()
    {
        await using var c = await StorageCluster.StartAsync(output);
        var model = new SlotModel(c.Layout);
        await using var old = await c.OpenWriterAsync();
        var load = new Load(model, () => old, writers: 4, seed: 21);
        await Task.Delay(800);

        await using var fresh = await c.OpenWriterAsync();
        Assert.True(fresh.Epoch > old.Epoch);
        await Task.Delay(500);
        await load.StopAsync();
        model.OnRecovered(fresh.Epoch, fresh.EpochStartLsn);

        // The old writer can never make anything durable again, and says why.
        Assert.True(model.TryReserve(new Random(1), out var w));
        using var mtr = new MiniTransaction(256);
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => model.WriteAsync(old, w, mtr).WaitAsync(TimeSpan.FromSeconds(15)));
        c.Log($"old writer: {ex.GetType().Name}: {ex.Message}");
        Assert.IsType<VolumeFencedException>(ex);
        Assert.True(old.IsFenced);
        model.OnRecovered(fresh.Epoch, fresh.EpochStartLsn); // w was appended by the deposed writer: must never appear

        var load2 = new Load(model, () => fresh, writers: 4, seed: 22);
        await Task.Delay(800);
        await load2.StopAsync();
        Assert.True(load2.Acked > 0, "new writer could not write: " + load2.LastError);
        await model.VerifyAsync((p, lsn) => fresh.ReadPageAsync(p, lsn).AsTask(), fresh.Vdl);
    }

    [Fact]
    public async Task SlowCutAndPartitionedLinks()
    {
        await using var c = await StorageCluster.StartAsync(output, seed: 31);
        await using var vol = await c.OpenWriterAsync();
        var model = new SlotModel(c.Layout);
        var load = new Load(model, () => vol, writers: 8, seed: 31);
        await Task.Delay(800);

        c.Log("node 1 slow (30 ms per chunk), node 3 drops connections at random, node 5 partitioned");
        c.Proxy(1).Delay = TimeSpan.FromMilliseconds(30);
        c.Proxy(3).CutProbability = 0.05;
        c.Proxy(5).Mode = LinkMode.Partitioned;
        long atFault = load.Acked;
        await Task.Delay(3000);
        long during = load.Acked;
        c.Log($"acked during faults: {during - atFault}; health: {vol.GetHealth().Summary}");
        Assert.True(during > atFault + 20, $"writes did not continue through slow/cut/partitioned links; last error {load.LastError}");

        c.Log("partition node 5 and refuse node 6: AZ3 gone, writes continue on 4");
        c.Proxy(6).Mode = LinkMode.Refusing;
        long at2 = load.Acked;
        await Task.Delay(2000);
        Assert.True(load.Acked > at2 + 5, "writes stopped with 4 of 6 reachable");

        foreach (var p in c.Proxies) p.Heal();
        await Task.Delay(1000);
        await load.StopAsync();
        ulong vdl = vol.Vdl;
        await model.VerifyAsync((p, lsn) => vol.ReadPageAsync(p, lsn).AsTask(), vdl);
        await c.WaitCaughtUpAsync(5, vol, TimeSpan.FromSeconds(30));
        await c.WaitCaughtUpAsync(6, vol, TimeSpan.FromSeconds(30));
        Assert.True(c.Proxy(3).ConnectionsCut > 0, "the cut fault never fired");
    }
}

[CollectionDefinition("cluster", DisableParallelization = true)]
public sealed class ClusterCollection;
