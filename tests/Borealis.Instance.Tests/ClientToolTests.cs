using System.Diagnostics;
using Xunit.Abstractions;

namespace Borealis.Instance.Tests;

/// <summary>psql and pgbench (the real PostgreSQL client tools) against an in-process instance.</summary>
public sealed class ClientToolTests(ITestOutputHelper output)
{
    private static async Task<(int Code, string Out, string Err)> RunAsync(string exe, string args, string? stdin = null, int timeoutSeconds = 120)
    {
        var psi = new ProcessStartInfo(exe, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        psi.Environment["PGCONNECT_TIMEOUT"] = "10";
        using var p = Process.Start(psi)!;
        if (stdin is not null)
        {
            await p.StandardInput.WriteAsync(stdin);
            p.StandardInput.Close();
        }
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        try { await p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { p.Kill(true); throw; }
        return (p.ExitCode, await o, await e);
    }

    [Fact]
    public async Task Psql_runs_a_script()
    {
        Assert.True(File.Exists("/usr/bin/psql"), "psql is missing: run scripts/setup.sh");
        await using var inst = await WriterInstance.StartInMemoryAsync();
        string script = """
            CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, price numeric(10,2));
            INSERT INTO items VALUES (1, 'apple', 1.25), (2, 'pear', 2.50), (3, 'plum', 0.75);
            UPDATE items SET price = price * 2 WHERE name = 'plum';
            SELECT id, name, price FROM items ORDER BY price DESC;
            SELECT count(*), sum(price) FROM items;
            """;
        var (code, stdout, stderr) = await RunAsync("/usr/bin/psql", $"-h 127.0.0.1 -p {inst.EndPoint.Port} -U postgres -d postgres -X -v ON_ERROR_STOP=1 -A -t -F , -f -", script);
        output.WriteLine(stdout);
        output.WriteLine(stderr);
        Assert.Equal(0, code);
        Assert.Contains("2,pear,2.50\n3,plum,1.50\n1,apple,1.25", stdout, StringComparison.Ordinal);
        Assert.Contains("3,5.25", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pgbench_server_side_generation()
    {
        Assert.True(File.Exists("/usr/bin/pgbench"), "pgbench is missing: run scripts/setup.sh");
        await using var inst = await WriterInstance.StartInMemoryAsync();
        var init = await RunAsync("/usr/bin/pgbench", $"-h 127.0.0.1 -p {inst.EndPoint.Port} -U postgres -i -I dtGvp -s 1 postgres", timeoutSeconds: 300);
        output.WriteLine(init.Out);
        output.WriteLine(init.Err);
        Assert.Equal(0, init.Code);
        var (code, stdout, _) = await RunAsync("/usr/bin/psql", $"-h 127.0.0.1 -p {inst.EndPoint.Port} -U postgres -d postgres -X -A -t -c \"SELECT count(*), sum(abalance) FROM pgbench_accounts\"");
        Assert.Equal(0, code);
        Assert.Equal("100000|0", stdout.Trim());
    }

    [Fact]
    public async Task Pgbench_initialises_and_runs_without_failures()
    {
        Assert.True(File.Exists("/usr/bin/pgbench"), "pgbench is missing: run scripts/setup.sh");
        await using var inst = await WriterInstance.StartInMemoryAsync();
        string conn = $"-h 127.0.0.1 -p {inst.EndPoint.Port} -U postgres";
        var init = await RunAsync("/usr/bin/pgbench", $"{conn} -i -s 1 postgres", timeoutSeconds: 300);
        output.WriteLine(init.Out);
        output.WriteLine(init.Err);
        Assert.Equal(0, init.Code);
        // BOREALIS_PGBENCH_ARGS overrides the run's client/duration options (e.g. "-c 16 -j 4 -T 30").
        string runArgs = Environment.GetEnvironmentVariable("BOREALIS_PGBENCH_ARGS") ?? "-c 4 -T 10";
        var run = await RunAsync("/usr/bin/pgbench", $"{conn} {runArgs} postgres", timeoutSeconds: 300);
        output.WriteLine(run.Out);
        output.WriteLine(run.Err);
        Assert.Equal(0, run.Code);
        Assert.Contains("number of failed transactions: 0", run.Out, StringComparison.Ordinal);
        // Extended protocol with named prepared statements.
        var prepared = await RunAsync("/usr/bin/pgbench", $"{conn} -M prepared -c 4 -T 5 postgres", timeoutSeconds: 120);
        output.WriteLine(prepared.Out);
        output.WriteLine(prepared.Err);
        Assert.Equal(0, prepared.Code);
        Assert.Contains("number of failed transactions: 0", prepared.Out, StringComparison.Ordinal);
    }
}
