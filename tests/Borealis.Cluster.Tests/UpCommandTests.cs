using System.Text.Json;
using Borealis.Testing;

namespace Borealis.Cluster.Tests;

/// <summary>`borealis up` / `borealis status` through the real program.</summary>
public sealed class UpCommandTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private readonly List<ChildProcess> _ups = [];

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "borealis-up-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string _port = Ports.FreeLoopback().ToString(System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task UpStartsSixNodesRestartsAKilledOneAndStopsCleanly()
    {
        using var up = new ChildProcess(BorealisBinary.StartInfo(["up", "--data-dir", _dir, "--port", _port]));
        _ups.Add(up);
        await up.WaitForLineAsync(l => l.Contains("ready", StringComparison.Ordinal), TimeSpan.FromSeconds(90));

        var status = await StatusAsync();
        var all = status.GetProperty("processes").EnumerateArray().ToList();
        Assert.Equal(7, all.Count);
        Assert.Equal("writer", all[6].GetProperty("role").GetString());
        var procs = all.Where(p => p.GetProperty("role").GetString() == "storage").ToList();
        Assert.Equal(6, procs.Count);
        Assert.All(procs, p => Assert.Equal("running", p.GetProperty("state").GetString()));
        Assert.Equal(["az1", "az2", "az3"], procs.Select(p => p.GetProperty("az").GetString()!).Distinct().Order().ToArray());

        // kill -9 one storage node: the supervisor restarts it.
        int victim = procs[2].GetProperty("pid").GetInt32();
        Assert.Equal(0, Posix.Kill(victim, 9));
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var now = (await StatusAsync()).GetProperty("processes").EnumerateArray().ToList()[2];
            Assert.Equal("storage", now.GetProperty("role").GetString());
            if (now.GetProperty("state").GetString() == "running" && now.GetProperty("pid").GetInt32() != victim)
            {
                Assert.True(now.GetProperty("restarts").GetInt32() >= 1);
                break;
            }
            Assert.True(DateTime.UtcNow < deadline, "supervisor did not restart the killed node:\n" + up.Output);
            await Task.Delay(200);
        }

        // A second `up` on the same directory is refused.
        using (var second = new ChildProcess(BorealisBinary.StartInfo(["up", "--data-dir", _dir])))
        {
            await second.WaitForExitAsync(TimeSpan.FromSeconds(60));
            Assert.NotEqual(0, second.ExitCode);
            Assert.Contains("already running", second.Output, StringComparison.Ordinal);
        }

        var pids = (await StatusAsync()).GetProperty("processes").EnumerateArray().Select(p => p.GetProperty("pid").GetInt32()).ToList();
        up.Signal(Posix.SIGTERM);
        await up.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, up.ExitCode);
        foreach (var pid in pids) Assert.False(Directory.Exists($"/proc/{pid}") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal), $"pid {pid} still alive after up stopped");

        // Starting again on the same directory brings back the same cluster (same ports).
        using var again = new ChildProcess(BorealisBinary.StartInfo(["up", "--data-dir", _dir, "--port", _port]));
        _ups.Add(again);
        await again.WaitForLineAsync(l => l.Contains("ready", StringComparison.Ordinal), TimeSpan.FromSeconds(90));
        var ports2 = (await StatusAsync()).GetProperty("processes").EnumerateArray().Select(p => p.GetProperty("port").GetInt32()).ToList();
        Assert.Equal(all.Select(p => p.GetProperty("port").GetInt32()), ports2);
        again.Signal(Posix.SIGTERM);
        await again.WaitForExitAsync(TimeSpan.FromSeconds(30));
    }

    private async Task<JsonElement> StatusAsync()
    {
        using var st = new ChildProcess(BorealisBinary.StartInfo(["status", "--data-dir", _dir, "--output", "json"]));
        await st.WaitForExitAsync(TimeSpan.FromSeconds(30));
        var text = st.Output;
        int start = text.IndexOf('{', StringComparison.Ordinal);
        Assert.True(start >= 0, "status printed no JSON: " + text);
        return JsonDocument.Parse(text[start..]).RootElement;
    }

    public void Dispose()
    {
        foreach (var p in _ups) output.WriteLine($"--- up:\n{p.Output}");
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
