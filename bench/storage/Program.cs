using System.Diagnostics;
using Borealis.Volume;
using Spectre.Console;

namespace Borealis.Bench.Storage;

/// <summary>
/// bench/storage: quorum writes through six local storage node processes versus the best a
/// single local group-commit log on the same disk can do, at 1, 8 and 64 writers; then the
/// repair rate when a node is replaced. Run: `scripts/bench-storage.sh [--seconds N]`.
/// </summary>
public static class Program
{
    private const int RecordBytes = 150; // a row change: 52-byte header + 98-byte payload

    public static async Task<int> Main(string[] args)
    {
        int seconds = 5;
        int repairMb = 256;
        int[] concurrency = [1, 8, 64];
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--seconds") seconds = int.Parse(args[++i]);
            else if (args[i] == "--repair-mb") repairMb = int.Parse(args[++i]);
            else if (args[i] == "--writers") concurrency = args[++i].Split(',').Select(int.Parse).ToArray();
        }
        if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 200;
        string root = Path.Combine(Path.GetTempPath(), "borealis-bench-" + Environment.ProcessId);
        Directory.CreateDirectory(root);
        AnsiConsole.MarkupLine($"[bold]bench/storage[/]: {seconds} s per run, records of {RecordBytes} bytes, data under {root}");
        try
        {
            var results = new List<(RunStats Ref, RunStats Quorum)>();
            await using var cluster = await BenchCluster.StartAsync(root);
            foreach (int writers in concurrency)
            {
                var reference = await RunReferenceAsync(root, writers, seconds);
                var quorum = await RunQuorumAsync(cluster, writers, seconds);
                results.Add((reference, quorum));
                AnsiConsole.MarkupLine($"  {writers} writers: reference {reference.RecordsPerSecond:F0} rec/s, quorum {quorum.RecordsPerSecond:F0} rec/s");
            }
            PrintTable(results);
            var repair = await Repair.RunAsync(cluster, repairMb);
            AnsiConsole.MarkupLine($"[bold]segment repair[/]: {repair.Bytes / (1024.0 * 1024):F1} MiB hydrated onto a new node in {repair.Elapsed.TotalSeconds:F2} s = [bold]{repair.MBps:F1} MB/s[/] (target ≥ 100 MB/s)");
            return 0;
        }
        finally
        {
            try { Directory.Delete(root, true); } catch (IOException) { }
        }
    }

    private static async Task<RunStats> RunReferenceAsync(string root, int writers, int seconds)
    {
        await using var log = new LocalGroupCommitLog(Path.Combine(root, $"reference-{writers}.log"));
        var record = new byte[RecordBytes];
        Random.Shared.NextBytes(record);
        return await RunStats.RunAsync("local group-commit log", writers, TimeSpan.FromSeconds(seconds), RecordBytes,
            (_, _) => log.AppendAsync(record));
    }

    private static async Task<RunStats> RunQuorumAsync(BenchCluster cluster, int writers, int seconds)
    {
        var vol = cluster.Volume;
        var payload = new byte[RecordBytes - Borealis.Redo.RedoRecord.HeaderSize - 2];
        Random.Shared.NextBytes(payload);
        var mtrs = Enumerable.Range(0, writers).Select(_ => new MiniTransaction(512)).ToArray();
        ulong pages = vol.Layout.PageCount;
        var stats = await RunStats.RunAsync("quorum (6 nodes, 4/6)", writers, TimeSpan.FromSeconds(seconds), RecordBytes, async (w, i) =>
        {
            var mtr = mtrs[w];
            mtr.Clear();
            ulong page = (ulong)((w * 7919L + i * 104729L) % (long)pages);
            mtr.AddWriteBytes(page, (ushort)(16 + (i % 64) * 100), payload);
            ulong lsn = await vol.AppendAsync(mtr);
            await vol.WaitDurableAsync(lsn);
        });
        foreach (var m in mtrs) m.Dispose();
        Interlocked.Add(ref cluster.AppendedBytes, stats.Bytes);
        return stats;
    }

    private static void PrintTable(List<(RunStats Ref, RunStats Quorum)> results)
    {
        var t = new Table().AddColumns("writers", "reference rec/s", "ref p50 ms", "ref p99 ms", "quorum rec/s", "quorum MB/s", "p50 ms", "p99 ms", "throughput ratio", "p99 ratio");
        foreach (var (r, q) in results)
        {
            t.AddRow(r.Writers.ToString(), r.RecordsPerSecond.ToString("F0"), r.Percentile(0.5).ToString("F2"), r.Percentile(0.99).ToString("F2"),
                q.RecordsPerSecond.ToString("F0"), q.MBPerSecond.ToString("F2"), q.Percentile(0.5).ToString("F2"), q.Percentile(0.99).ToString("F2"),
                (q.RecordsPerSecond / r.RecordsPerSecond).ToString("F2") + "×", (q.Percentile(0.99) / r.Percentile(0.99)).ToString("F2") + "×");
        }
        AnsiConsole.Write(t);
        AnsiConsole.MarkupLine("targets at 64 writers: throughput ratio ≥ 0.5×, p99 ratio ≤ 3× (six copies share one disk here)");
    }
}

/// <summary>Six `borealis storage` processes (two per AZ) and a writer volume on them.</summary>
public sealed class BenchCluster : IAsyncDisposable
{
    public required List<(NodeInfo Info, Process Process, string Dir)> Nodes { get; init; }
    public required WriterVolume Volume { get; init; }
    public required string Root { get; init; }
    /// <summary>Bytes of redo appended to the volume so far (what a replacement segment must receive, as records or pages).</summary>
    public long AppendedBytes;

    public static async Task<BenchCluster> StartAsync(string root, uint pgCount = 6, uint pagesPerPg = 2048)
    {
        var nodes = new List<(NodeInfo, Process, string)>();
        for (uint i = 1; i <= 6; i++)
        {
            nodes.Add(await StartNodeAsync(root, i, $"az{(i + 1) / 2}"));
        }
        var layout = VolumeLayout.Create(0xBE7C, pgCount, pagesPerPg, nodes.Select(n => n.Item1).ToList());
        var vol = await WriterVolume.OpenAsync(layout, new FileVolumeLayoutStore(Path.Combine(root, "layout")), new VolumeClientOptions());
        return new BenchCluster { Nodes = nodes, Volume = vol, Root = root };
    }

    public static async Task<(NodeInfo, Process, string)> StartNodeAsync(string root, uint id, string az)
    {
        string dir = Path.Combine(root, $"node-{id}");
        int port = Borealis.Testing.Ports.FreeLoopback();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "borealis.dll"));
        foreach (var a in new[] { "storage", "--node-id", id.ToString(), "--az", az, "--data-dir", dir, "--listen", $"127.0.0.1:{port}" }) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        var ready = new TaskCompletionSource();
        p.OutputDataReceived += (_, e) => { if (e.Data?.Contains("ready", StringComparison.Ordinal) == true) ready.TrySetResult(); };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        await ready.Task.WaitAsync(TimeSpan.FromSeconds(60));
        return (new NodeInfo(id, az, $"127.0.0.1:{port}"), p, dir);
    }

    public async ValueTask DisposeAsync()
    {
        await Volume.DisposeAsync();
        foreach (var (_, p, _) in Nodes)
        {
            try { p.Kill(); p.WaitForExit(); } catch (InvalidOperationException) { }
        }
    }
}
