using Xunit.Abstractions;

namespace Borealis.Cluster.Tests;

/// <summary>
/// A seeded random schedule of writes, kill -9 and restarts of storage nodes, and writer crashes
/// (a new writer recovers the volume each time). Afterwards: every acknowledged write is
/// readable, every write the recovered VDLs covered is present and every write they cut off is
/// absent, VDL never moved backwards across writers, and no page shows a record above the read
/// point. Replay a failure with BOREALIS_SEED=N.
/// </summary>
[Collection("cluster")]
public sealed class RandomizedCrashTests(ITestOutputHelper output)
{
    [Fact]
    public async Task RandomCrashesOfNodesAndWriterLoseNothingAcknowledged()
    {
        int seed = Environment.GetEnvironmentVariable("BOREALIS_SEED") is { } s ? int.Parse(s) : Random.Shared.Next(1, 1_000_000);
        int rounds = Environment.GetEnvironmentVariable("BOREALIS_ROUNDS") is { } r ? int.Parse(r) : 14;
        output.WriteLine($"seed {seed} (replay with BOREALIS_SEED={seed}), {rounds} rounds");
        try
        {
            await RunAsync(seed, rounds);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new Xunit.Sdk.XunitException($"seed {seed}: {e.Message}\n{e.InnerException ?? e}");
        }
    }

    private async Task RunAsync(int seed, int rounds)
    {
        var rng = new Random(seed);
        await using var c = await StorageCluster.StartAsync(output, pgCount: 4, pagesPerPg: 16, seed: seed);
        var model = new SlotModel(c.Layout);
        var vol = await c.OpenWriterAsync();
        ulong maxVdl = vol.Vdl;
        var load = new Load(model, () => vol, writers: 6, seed: seed);
        var schedule = new List<string>();
        try
        {
            for (int round = 0; round < rounds; round++)
            {
                var down = c.Nodes.Where(n => !n.IsRunning).ToList();
                var up = c.Nodes.Where(n => n.IsRunning).ToList();
                int action = rng.Next(10);
                string what;
                if (action < 3 && down.Count < 2)
                {
                    var victim = up[rng.Next(up.Count)];
                    victim.Kill();
                    what = $"kill -9 node {victim.NodeId}";
                }
                else if (action < 6 && down.Count > 0)
                {
                    var back = down[rng.Next(down.Count)];
                    await back.StartAsync();
                    what = $"restart node {back.NodeId}";
                }
                else if (action < 8)
                {
                    maxVdl = Math.Max(maxVdl, vol.Vdl);
                    await vol.DisposeAsync(); // the writer dies with appends in flight
                    await load.StopAsync();
                    vol = await c.OpenWriterAsync();
                    Assert.True(vol.EpochStartLsn >= maxVdl, $"VDL moved backwards: the previous writer saw {maxVdl}, the new one recovered to {vol.EpochStartLsn}");
                    model.OnRecovered(vol.Epoch, vol.EpochStartLsn);
                    maxVdl = vol.EpochStartLsn;
                    load = new Load(model, () => vol, writers: 6, seed: seed + round);
                    what = $"writer crash; new writer epoch {vol.Epoch} recovered to VDL {vol.EpochStartLsn}";
                }
                else
                {
                    what = "writes only";
                }
                schedule.Add($"round {round}: {what}");
                c.Log(schedule[^1]);
                await Task.Delay(400 + rng.Next(600));
                ulong now = vol.Vdl;
                Assert.True(now >= maxVdl, $"VDL moved backwards within epoch {vol.Epoch}: {maxVdl} → {now}");
                maxVdl = now;
            }
            await load.StopAsync();
            foreach (var n in c.Nodes.Where(n => !n.IsRunning)) await n.StartAsync();
            ulong vdl = vol.Vdl;
            c.Log($"{model.AckedCount} writes acknowledged; final VDL {vdl}");
            Assert.True(model.AckedCount > 50, $"too little was written ({model.AckedCount}); last error: {load.LastError}");
            int seen = await model.VerifyAsync((p, lsn) => vol.ReadPageAsync(p, lsn).AsTask(), vdl);
            c.Log($"verified {seen} writes through the writer");

            // One more recovery from scratch sees exactly the same.
            await vol.DisposeAsync();
            vol = await c.OpenWriterAsync();
            Assert.True(vol.EpochStartLsn >= vdl, $"final recovery went back from {vdl} to {vol.EpochStartLsn}");
            model.OnRecovered(vol.Epoch, vol.EpochStartLsn);
            await model.VerifyAsync((p, lsn) => vol.ReadPageAsync(p, lsn).AsTask(), vol.Vdl);
            foreach (var n in c.Nodes) await c.WaitCaughtUpAsync(n.NodeId, vol, TimeSpan.FromSeconds(30));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidOperationException($"{e.Message}\nschedule:\n{string.Join('\n', schedule)}", e);
        }
        finally
        {
            await load.StopAsync();
            await vol.DisposeAsync();
        }
    }
}
