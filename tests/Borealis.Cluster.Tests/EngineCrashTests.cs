using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Borealis.Engine;
using Borealis.Engine.CrashHost;
using Borealis.Engine.Hosting;
using Xunit.Abstractions;

namespace Borealis.Cluster.Tests;

/// <summary>
/// The engine under kill -9 on six real storage node processes: a host process
/// (tests/Borealis.Engine.CrashHost) runs concurrent bank transfers and inserts and prints each
/// acknowledged commit; the test kills it at a random moment (seeded: BOREALIS_CRASH_SEED
/// replays), opens the Database in process, measures open → first acknowledged commit (&lt; 1 s)
/// and verifies every acknowledged commit is there, nothing uncommitted is visible, the bank
/// total holds and the primary keys agree with the heaps (<see cref="BankVerifier"/>).
/// BOREALIS_ENGINE_CRASH_ROUNDS (default 3) and BOREALIS_ENGINE_CRASH_MS (the longest run
/// before a kill, default 2000) scale it; BOREALIS_ENGINE_CRASH_MB=1024 makes the first round
/// run (with 16 KiB history rows in overflow pages) until the host appended that much redo before
/// it is killed — minutes, so not in CI by default.
/// </summary>
[Collection("cluster")]
public sealed partial class EngineCrashTests(ITestOutputHelper output)
{
    private const int Accounts = 50;

    [GeneratedRegex(@"^ACK (\d+) \.$")]
    private static partial Regex AckLine();

    [Fact]
    public async Task AcknowledgedCommitsSurviveKill9AndTheEngineCommitsWithinASecondOfOpening()
    {
        int seed = Environment.GetEnvironmentVariable("BOREALIS_CRASH_SEED") is { } s ? int.Parse(s, CultureInfo.InvariantCulture) : Random.Shared.Next();
        int rounds = Environment.GetEnvironmentVariable("BOREALIS_ENGINE_CRASH_ROUNDS") is { } r ? int.Parse(r, CultureInfo.InvariantCulture) : 3;
        int maxMs = Environment.GetEnvironmentVariable("BOREALIS_ENGINE_CRASH_MS") is { } m ? int.Parse(m, CultureInfo.InvariantCulture) : 2000;
        long bigMb = Environment.GetEnvironmentVariable("BOREALIS_ENGINE_CRASH_MB") is { } mb ? long.Parse(mb, CultureInfo.InvariantCulture) : 0;
        output.WriteLine($"seed {seed} (BOREALIS_CRASH_SEED={seed} replays the kill times), {rounds} rounds");
        var rng = new Random(seed);
        uint pagesPerPg = (uint)Math.Max(8192, bigMb * 1024 * 1024 / 8192 / 4 * 2);
        await using var c = await StorageCluster.StartAsync(output, pgCount: 4, pagesPerPg: pagesPerPg, eagerCoalescing: bigMb == 0);
        string layoutFile = Path.Combine(c.Root, "engine-layout.json");
        string store = Path.Combine(c.Root, "layout");
        await StorageHosting.SaveLayoutAsync(c.Layout, layoutFile);
        var acked = new HashSet<long>();
        await WarmUpAsync(); // JIT the open and commit paths: the < 1 s bound is about recovery, not compilation

        for (int round = 0; round < rounds; round++)
        {
            bool big = round == 0 && bigMb > 0;
            var lines = new ConcurrentQueue<string>();
            var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Borealis.Engine.CrashHost.dll"));
            foreach (var a in new[] { "--layout", layoutFile, "--store", store, "--accounts", $"{Accounts}", "--workers", "8", "--seed", $"{seed + round}", "--pad", big ? "16384" : "0" })
                psi.ArgumentList.Add(a);
            using var host = new Process { StartInfo = psi };
            host.OutputDataReceived += (_, e) => { if (e.Data is null) return; lines.Enqueue(e.Data); if (e.Data.StartsWith("READY", StringComparison.Ordinal)) ready.TrySetResult();
                if (big && e.Data.StartsWith("REDO ", StringComparison.Ordinal) && long.TryParse(e.Data.Split(' ')[1], CultureInfo.InvariantCulture, out long redo)
                    && redo >= bigMb * 1024 * 1024) enough.TrySetResult(); };
            host.ErrorDataReceived += (_, e) => { if (e.Data is not null) lines.Enqueue("ERR " + e.Data); };
            host.Start();
            host.BeginOutputReadLine();
            host.BeginErrorReadLine();
            int runMs = 0;
            try
            {
                await Task.WhenAny(ready.Task, host.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(60)));
                Assert.True(ready.Task.IsCompleted, $"host did not get ready:\n{string.Join('\n', lines.TakeLast(40))}");
                runMs = rng.Next(200, maxMs);
                if (big)
                {
                    var sw0 = Stopwatch.StartNew();
                    await Task.WhenAny(enough.Task, host.WaitForExitAsync());
                    runMs = (int)sw0.ElapsedMilliseconds;
                    output.WriteLine($"round 0: {lines.LastOrDefault(l => l.StartsWith("REDO", StringComparison.Ordinal))} bytes of redo appended in {runMs / 1000.0:F0} s");
                }
                else await Task.Delay(runMs);
                Assert.False(host.HasExited, $"host exited early:\n{string.Join('\n', lines.TakeLast(40))}");
                host.Kill(); // SIGKILL
                await host.WaitForExitAsync();
            }
            finally
            {
                if (!host.HasExited) host.Kill();
            }
            await Task.Delay(100); // let the output readers drain
            int before = acked.Count;
            foreach (var l in lines)
            {
                var mm = AckLine().Match(l);
                if (mm.Success) acked.Add(long.Parse(mm.Groups[1].Value, CultureInfo.InvariantCulture));
            }
            string readyLine = lines.FirstOrDefault(l => l.StartsWith("READY", StringComparison.Ordinal)) ?? "";
            output.WriteLine($"round {round}: host {readyLine}, killed after {runMs} ms with {acked.Count - before} acknowledged commits");

            // Reopen in process: time to the first acknowledged commit.
            var sw = Stopwatch.StartNew();
            await using var db = await StorageHosting.OpenDatabaseAsync(c.Layout, store, Program.VolumeOptions(), new DatabaseOptions { BufferPoolPages = 8192 });
            var opened = sw.Elapsed;
            var schema = await BankSchema.CreateOrOpenAsync(db, Accounts);
            long first = await new BankWorkload(db, schema).TransferAsync(new Random(seed));
            var committed = sw.Elapsed;
            acked.Add(first);
            output.WriteLine($"round {round}: reopened in {opened.TotalMilliseconds:F0} ms, first acknowledged commit after {committed.TotalMilliseconds:F0} ms");
            Assert.True(committed < TimeSpan.FromSeconds(1), $"round {round}: first commit {committed.TotalMilliseconds:F0} ms after open");
            string errors = await BankVerifier.VerifyAsync(db, schema, acked);
            Assert.True(errors.Length == 0, $"seed {seed} round {round}:\n{errors}");
        }
        Assert.True(acked.Count > rounds, $"only {acked.Count} commits acknowledged in {rounds} rounds");
    }

    private static async Task WarmUpAsync()
    {
        await using var db = await Database.CreateOrOpenAsync(new Borealis.Volume.MemoryVolume(), new DatabaseOptions { BufferPoolPages = 1024 });
        var schema = await BankSchema.CreateOrOpenAsync(db, Accounts);
        await new BankWorkload(db, schema).TransferAsync(new Random(1));
        await BankVerifier.VerifyAsync(db, schema, []);
    }
}
