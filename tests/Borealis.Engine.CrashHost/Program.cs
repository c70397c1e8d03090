using System.Globalization;
using Borealis.Engine.Hosting;
using Borealis.Volume;

namespace Borealis.Engine.CrashHost;

/// <summary>
/// The engine crash test's host: opens the Database on real storage nodes and runs concurrent
/// bank transfers and inserts (<see cref="BankWorkload"/>) until killed, printing one line per
/// acknowledged commit: <c>ACK &lt;history id&gt; .</c> (after the commit is durable).
/// <code>
/// usage: Borealis.Engine.CrashHost --layout FILE --store DIR [--accounts N] [--workers N] [--seed N]
///   --layout    volume layout JSON (StorageHosting.SaveLayoutAsync)
///   --store     layout store directory (the layout there wins: it may carry newer epochs)
///   --accounts  bank accounts (default 50), created on first run
///   --workers   concurrent transaction loops (default 8; a third do plain inserts)
///   --seed      workload seed (default 1)
/// prints "READY &lt;open ms&gt;" once the schema is open, then ACK lines; exits only when killed or on error (exit 1).
/// </code>
/// </summary>
public static class Program
{
    public static VolumeClientOptions VolumeOptions() => new()
    {
        RequestTimeout = TimeSpan.FromSeconds(2),
        AppendStallTimeout = TimeSpan.FromSeconds(2),
        ReconnectDelay = TimeSpan.FromMilliseconds(50),
        MaxReconnectDelay = TimeSpan.FromMilliseconds(500),
        MaintenanceInterval = TimeSpan.FromMilliseconds(200),
        OpenTimeout = TimeSpan.FromSeconds(20),
    };

    public static async Task<int> Main(string[] args)
    {
        string? layoutPath = null, store = null;
        int accounts = 50, workers = 8, seed = 1;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--layout": layoutPath = args[i + 1]; break;
                case "--store": store = args[i + 1]; break;
                case "--accounts": accounts = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--workers": workers = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--seed": seed = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
            }
        }
        if (layoutPath is null || store is null)
        {
            Console.Error.WriteLine("usage: Borealis.Engine.CrashHost --layout FILE --store DIR [--accounts N] [--workers N] [--seed N]");
            return 2;
        }
        try
        {
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var layout = await StorageHosting.LoadLayoutAsync(layoutPath);
            var db = await StorageHosting.OpenDatabaseAsync(layout, store, VolumeOptions(), new DatabaseOptions { BufferPoolPages = 8192 });
            var schema = await BankSchema.CreateOrOpenAsync(db, accounts);
            var work = new BankWorkload(db, schema);
            Console.WriteLine($"READY {sw.ElapsedMilliseconds}");
            var loops = Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
            {
                var rng = new Random(seed * 1000 + w);
                while (true)
                {
                    long id = w % 3 == 2 ? await work.InsertAsync() : await work.TransferAsync(rng);
                    Console.WriteLine($"ACK {id} ."); // the terminator: a line cut by kill -9 does not count
                }
            })).ToArray();
            await Task.WhenAny(loops);
            foreach (var l in loops) if (l.IsFaulted) throw l.Exception!.InnerException!;
            return 0;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"FATAL {e}");
            return 1;
        }
    }
}
