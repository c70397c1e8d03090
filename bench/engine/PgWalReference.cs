using System.Globalization;
using Borealis.Testing;

namespace Borealis.Bench.Engine;

/// <summary>
/// PostgreSQL 15's WAL bytes per pgbench TPC-B-like transaction (3 updates, 1 select, 1 insert),
/// measured on this machine: pg_current_wal_lsn() before and after N transactions, divided by N.
/// Two figures, because full-page writes make PostgreSQL's WAL depend on checkpoint timing:
/// "steady" runs without a checkpoint inside the run (PostgreSQL's best case), "after
/// checkpoint" starts right after one (every first touch of a page logs the whole page).
/// </summary>
public static class PgWalReference
{
    public sealed record Result(double SteadyBytesPerTxn, double AfterCheckpointBytesPerTxn, double Tps);

    public static async Task<Result> MeasureAsync(int transactions, CancellationToken ct = default)
    {
        await using var pg = await LocalPostgres.StartAsync(null, ct);
        await Check(pg.RunClientAsync("pgbench", ["-i", "-s", "1", "-q", "postgres"], ct));
        // Warm up so the steady figure is not dominated by the first touch of each page.
        await Check(pg.RunClientAsync("pgbench", ["-n", "-t", (transactions / 2).ToString(CultureInfo.InvariantCulture), "-c", "1", "postgres"], ct));
        double steady = await WalPerTxnAsync(pg, transactions, ct);
        await pg.QueryAsync("CHECKPOINT", ct);
        double afterCheckpoint = await WalPerTxnAsync(pg, transactions, ct);
        return new Result(steady, afterCheckpoint, 0);
    }

    private static async Task<double> WalPerTxnAsync(LocalPostgres pg, int n, CancellationToken ct)
    {
        string before = await pg.QueryAsync("SELECT pg_current_wal_lsn()", ct);
        await Check(pg.RunClientAsync("pgbench", ["-n", "-t", n.ToString(CultureInfo.InvariantCulture), "-c", "1", "postgres"], ct));
        string bytes = await pg.QueryAsync($"SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '{before}')", ct);
        return double.Parse(bytes, CultureInfo.InvariantCulture) / n;
    }

    private static async Task Check(Task<(int Code, string Stdout, string Stderr)> run)
    {
        var (code, stdout, stderr) = await run;
        if (code != 0) throw new InvalidOperationException($"pgbench failed ({code}): {stderr}{stdout}");
    }
}
