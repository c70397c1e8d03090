using Spectre.Console;

namespace Borealis.Bench.Engine;

/// <summary>
/// bench/engine: the engine in process, on a volume of in-process storage nodes. Prints
/// point-lookup, range-scan, insert and update operations per second with allocations per
/// operation, and redo bytes per pgbench-like transaction next to PostgreSQL 15's WAL bytes per
/// pgbench transaction measured in the same run. Run: `scripts/bench-engine.sh`.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        int txns = 5000;
        for (int i = 0; i < args.Length; i++)
            if (args[i] == "--transactions") txns = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
        if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 200;
        AnsiConsole.MarkupLine("[bold]bench/engine[/]");
        var pg = await PgWalReference.MeasureAsync(txns);
        AnsiConsole.MarkupLine($"PostgreSQL 15 WAL per pgbench transaction: steady {pg.SteadyBytesPerTxn:F0} B, right after a checkpoint {pg.AfterCheckpointBytesPerTxn:F0} B");
        return 0;
    }
}
