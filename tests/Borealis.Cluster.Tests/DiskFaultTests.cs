using Borealis.Redo;
using Borealis.Storage.Protocol;
using Xunit.Abstractions;

namespace Borealis.Cluster.Tests;

/// <summary>Damaged files on a storage node's disk: a torn or bit-flipped hot log, a corrupt stored page.</summary>
[Collection("cluster")]
public sealed class DiskFaultTests(ITestOutputHelper output)
{
    [Fact]
    public async Task TornAndBitFlippedHotLogAreHandledOnRestart()
    {
        await using var c = await StorageCluster.StartAsync(output);
        await using var vol = await c.OpenWriterAsync();
        var model = new SlotModel(c.Layout);
        var load = new Load(model, () => vol, writers: 4, seed: 41);
        await Task.Delay(1200);
        c.Node(1).Kill();
        await Task.Delay(800);
        await load.StopAsync();

        var logs = Directory.GetFiles(Path.Combine(c.Node(1).DataDir, "log"), "*.log").OrderBy(f => f).ToList();
        Assert.NotEmpty(logs);
        string newest = logs[^1];
        long len = new FileInfo(newest).Length;
        Assert.True(len > 4096, $"log {newest} too small ({len} bytes) to damage");
        await using (var fs = new FileStream(newest, FileMode.Open, FileAccess.ReadWrite))
        {
            // Bit flip in the middle: one record's CRC fails, valid records follow it.
            fs.Position = len / 2;
            int b = fs.ReadByte();
            fs.Position = len / 2;
            fs.WriteByte((byte)(b ^ 0x20));
            // Torn tail: half a record header and garbage, as if the power went mid-write.
            fs.Position = len;
            var torn = new byte[RedoRecord.HeaderSize + 37];
            new Random(7).NextBytes(torn);
            BitConverter.TryWriteBytes(torn.AsSpan(4), 4000);
            fs.Write(torn);
        }
        c.Log($"damaged {newest}: bit flip at {len / 2}, {RedoRecord.HeaderSize + 37} torn bytes at {len}");

        await c.Node(1).StartAsync();
        string recovered = await c.Node(1).Process!.WaitForLineAsync(l => l.Contains("recovered", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        c.Log(recovered);
        Assert.Matches(@"\b[1-9]\d* corrupt records skipped", recovered);
        Assert.Matches(@"\b[1-9]\d* torn bytes truncated", recovered);

        // Writes resume; node 1 fills what it lost from its peers and serves the same pages.
        var load2 = new Load(model, () => vol, writers: 4, seed: 42);
        await Task.Delay(800);
        await load2.StopAsync();
        ulong vdl = vol.Vdl;
        await c.WaitCaughtUpAsync(1, vol, TimeSpan.FromSeconds(30));
        await model.VerifyAsync((p, lsn) => vol.ReadPageAsync(p, lsn).AsTask(), vdl);
        await model.VerifyAsync((p, lsn) => ReadFromNodeAsync(c, 1, p, lsn), vdl);
    }

    [Fact]
    public async Task ScrubFindsACorruptStoredPageAndRepairsItFromAPeer()
    {
        await using var c = await StorageCluster.StartAsync(output);
        await using var vol = await c.OpenWriterAsync();
        var model = new SlotModel(c.Layout);
        var load = new Load(model, () => vol, writers: 4, seed: 51);
        await Task.Delay(1500);
        await load.StopAsync();
        ulong vdl = vol.Vdl;

        // Wait until node 2 has materialised pages (its base moved up), then damage them on disk.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await c.SegmentStatesAsync(2)).Any(s => s.BaseLsn == 0))
        {
            Assert.True(DateTime.UtcNow < deadline, "node 2 never coalesced its segments");
            await Task.Delay(200);
        }
        c.Node(2).Kill();
        int damaged = 0;
        foreach (var pages in Directory.GetFiles(Path.Combine(c.Node(2).DataDir, "segments"), "pages", SearchOption.AllDirectories))
        {
            await using var fs = new FileStream(pages, FileMode.Open, FileAccess.ReadWrite);
            for (long off = 0; off + 2 * Page.Size <= fs.Length && damaged < 6; off += 2 * Page.Size * 3)
            {
                // Flip a byte in the body of both slots of this page.
                foreach (long slot in new[] { off, off + Page.Size })
                {
                    fs.Position = slot + 1000;
                    int b = fs.ReadByte();
                    fs.Position = slot + 1000;
                    fs.WriteByte((byte)(b ^ 0xFF));
                }
                damaged++;
            }
        }
        Assert.True(damaged > 0, "found no page to damage");
        c.Log($"damaged {damaged} pages of node 2");
        await c.Node(2).StartAsync();

        await using var admin = await NodeClient.ConnectAsync(c.Node(2).Endpoint, ClientKind.Admin, 0, TimeSpan.FromSeconds(5));
        var resp = await admin.RequestAsync(MessageType.Scrub, Array.Empty<byte>(), TimeSpan.FromSeconds(60));
        Assert.Equal(MessageType.ScrubReport, resp.Type);
        Assert.True(ScrubReportMsg.TryRead(resp.Payload, out var report));
        c.Log($"scrub: {report.PagesChecked} pages, {report.LogRecordsChecked} records, {report.CorruptFound} corrupt, {report.Repaired} repaired");
        Assert.True(report.CorruptFound >= (uint)damaged, $"scrub found {report.CorruptFound} corrupt slots, {damaged} pages were damaged");
        Assert.True(report.Repaired >= (uint)damaged, $"scrub repaired {report.Repaired} of {report.CorruptFound}");

        // A second scrub finds nothing, and node 2 serves correct pages.
        resp = await admin.RequestAsync(MessageType.Scrub, Array.Empty<byte>(), TimeSpan.FromSeconds(60));
        Assert.True(ScrubReportMsg.TryRead(resp.Payload, out var again));
        Assert.Equal(0u, again.CorruptFound);
        await model.VerifyAsync((p, lsn) => ReadFromNodeAsync(c, 2, p, lsn), vdl);
    }

    /// <summary>GetPage straight from one node (not through the volume client's routing).</summary>
    public static async Task<byte[]> ReadFromNodeAsync(StorageCluster c, uint nodeId, ulong page, ulong asOf)
    {
        var pg = c.Layout.PgOf(page);
        await using var client = await NodeClient.ConnectAsync(c.Node(nodeId).Endpoint, ClientKind.Reader, 0, TimeSpan.FromSeconds(5));
        var states = await c.SegmentStatesAsync(nodeId);
        var st = states.Single(s => s.Segment.PgIndex == pg);
        ulong at = Math.Min(asOf, st.Scl); // a PG without writes up to asOf: its newest state is the page as of asOf
        var req = Encode.ToArray(GetPageMsg.Size, (ref WireWriter w) => new GetPageMsg { Segment = new SegmentId(StorageCluster.VolumeId, pg), PageNo = page, AsOfLsn = at, VolumeEpoch = st.VolumeEpoch }.Write(ref w));
        var resp = await client.RequestAsync(MessageType.GetPage, req, TimeSpan.FromSeconds(5));
        Assert.Equal(MessageType.PageData, resp.Type);
        return resp.Payload.AsSpan(16).ToArray();
    }
}
