using System.Diagnostics;
using Borealis.Volume;

namespace Borealis.Bench.Storage;

/// <summary>
/// Segment repair: fill the volume with page images, kill one node, bring up a fresh node and
/// replace every segment of the lost one; the rate is the bytes of those segments over the time
/// from the first ReplaceSegment to the last one completing (new segment caught up).
/// </summary>
public static class Repair
{
    public readonly record struct Result(long Bytes, TimeSpan Elapsed)
    {
        public double MBps => Bytes / Elapsed.TotalSeconds / (1024 * 1024);
    }

    public static async Task<Result> RunAsync(BenchCluster cluster, int megabytes)
    {
        var vol = cluster.Volume;
        var page = new byte[Borealis.Redo.Page.Size];
        Random.Shared.NextBytes(page);
        ulong pages = Math.Min(vol.Layout.PageCount, (ulong)megabytes * 1024 * 1024 / Borealis.Redo.Page.Size);
        using var mtr = new MiniTransaction(64 * 1024);
        ulong last = 0;
        var written = new HashSet<ulong>();
        for (ulong p = 0; p < pages; p++)
        {
            mtr.Clear();
            page[100] = (byte)p;
            ulong pageNo = p * (vol.Layout.PageCount / pages);
            written.Add(pageNo);
            mtr.AddPageImage(pageNo, page);
            last = await vol.AppendAsync(mtr);
            cluster.AppendedBytes += mtr.ByteLength;
        }
        await vol.WaitDurableAsync(last);

        var victim = cluster.Nodes[0];
        victim.Process.Kill();
        victim.Process.WaitForExit();
        var fresh = await BenchCluster.StartNodeAsync(cluster.Root, 7, victim.Info.Az);
        cluster.Nodes.Add(fresh);

        var pgs = vol.Layout.Pgs.Where(pg => pg.Members.Any(m => m.NodeId == victim.Info.NodeId)).Select(pg => pg.PgIndex).ToList();
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(pgs.Select(pg => vol.ReplaceSegmentAsync(pg, victim.Info.NodeId, fresh.Item1)));
        sw.Stop();
        // What the new node had to receive: the redo of the PGs it took over (as records, or as the
        // page versions they were coalesced into). With six nodes every node holds every PG.
        long bytes = pgs.Count == vol.Layout.PgCount ? cluster.AppendedBytes : written.Count(p => pgs.Contains(vol.Layout.PgOf(p))) * (long)Borealis.Redo.Page.Size;
        return new Result(bytes, sw.Elapsed);
    }
}
