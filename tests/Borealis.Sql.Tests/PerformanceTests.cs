using System.Diagnostics;
using Borealis.Sql.Parser;
using Xunit.Abstractions;

namespace Borealis.Sql.Tests;

/// <summary>Parsing a pgbench statement takes microseconds (reported, with bytes allocated).</summary>
public sealed class PerformanceTests(ITestOutputHelper output)
{
    [Fact]
    public void PgbenchStatementsParseInMicroseconds()
    {
        string[] statements =
        [
            "UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2",
            "SELECT abalance FROM pgbench_accounts WHERE aid = $1",
            "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES ($1, $2, $3, $4, CURRENT_TIMESTAMP)",
        ];
        const int n = 60_000;
        for (var i = 0; i < n; i++)
        {
            SqlParser.Parse(statements[i % 3]);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < n; i++)
        {
            SqlParser.Parse(statements[i % 3]);
        }

        sw.Stop();
        var bytes = (GC.GetAllocatedBytesForCurrentThread() - before) / n;
        var micros = sw.Elapsed.TotalMilliseconds * 1000 / n;
        output.WriteLine($"{micros:F2} us and {bytes} bytes per statement");
        Assert.True(micros < 100, $"parsing took {micros:F2} us per statement");
        Assert.True(bytes < 4096, $"parsing allocated {bytes} bytes per statement");
    }
}
