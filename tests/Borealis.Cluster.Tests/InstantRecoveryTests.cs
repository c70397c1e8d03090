using System.Diagnostics;
using Borealis.Redo;
using Borealis.Volume;
using Xunit.Abstractions;

namespace Borealis.Cluster.Tests;

/// <summary>
/// Instant recovery at the volume level: however much redo the volume holds, a new writer
/// raises the epoch, reads SCLs from a read quorum, truncates above VDL and is writable — no
/// redo replay. The volume gets BOREALIS_RECOVERY_MB (default 1024) of redo from a writer that
/// then dies with appends in flight.
/// </summary>
[Collection("cluster")]
public sealed class InstantRecoveryTests(ITestOutputHelper output)
{
    [Fact]
    public async Task AWriterReopensAndCommitsInUnderASecondAfterAGigabyteOfRedo()
    {
        long targetMb = Environment.GetEnvironmentVariable("BOREALIS_RECOVERY_MB") is { } s ? long.Parse(s) : 1024;
        await using var c = await StorageCluster.StartAsync(output, pgCount: 4, pagesPerPg: 1024, eagerCoalescing: false);
        var sw = Stopwatch.StartNew();
        var vol = await c.OpenWriterAsync();
        long bytes = 0, target = targetMb * 1024 * 1024;
        var page = new byte[Page.Size];
        var rng = new Random(7);
        var inFlight = new Queue<Task>();
        using var mtr = new MiniTransaction(9 * (Page.Size + RedoRecord.HeaderSize));
        ulong lastAcked = 0;
        while (bytes < target)
        {
            mtr.Clear();
            for (int i = 0; i < 8; i++)
            {
                rng.NextBytes(page.AsSpan(Page.HeaderSize, 64));
                mtr.AddPageImage((ulong)rng.Next(0, 4096), page);
            }
            bytes += mtr.ByteLength;
            ulong lsn = await vol.AppendAsync(mtr);
            inFlight.Enqueue(vol.WaitDurableAsync(lsn).AsTask());
            if (inFlight.Count > 32) { await inFlight.Dequeue(); lastAcked = lsn; }
        }
        // The writer dies with appends in flight (its process is gone: storage sees connections drop).
        double writeSeconds = sw.Elapsed.TotalSeconds;
        output.WriteLine($"wrote {bytes / 1048576.0:F0} MiB of redo in {writeSeconds:F1} s ({bytes / 1048576.0 / writeSeconds:F1} MiB/s), VDL {vol.Vdl}");
        ulong vdlBefore = vol.Vdl;
        await vol.DisposeAsync();

        sw.Restart();
        await using var fresh = await c.OpenWriterAsync();
        var opened = sw.Elapsed;
        mtr.Clear();
        mtr.AddWriteBytes(5, 100, [1, 2, 3]);
        ulong first = await fresh.AppendAsync(mtr);
        await fresh.WaitDurableAsync(first);
        var writable = sw.Elapsed;
        output.WriteLine($"recovery: open {opened.TotalMilliseconds:F0} ms, first durable write after {writable.TotalMilliseconds:F0} ms; VDL {vdlBefore} → recovered {fresh.Vdl}");
        Assert.True(fresh.Vdl >= vdlBefore);
        Assert.True(writable < TimeSpan.FromSeconds(1), $"writable after {writable.TotalMilliseconds:F0} ms");
        var p = await fresh.ReadPageAsync(5, fresh.Vdl);
        Assert.Equal(new byte[] { 1, 2, 3 }, p.AsSpan(100, 3).ToArray());
        _ = lastAcked;
    }
}
