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
///   --pad       filler bytes per history row (default 0; large values put rows in overflow pages
///               and feed the volume redo fast); with it the host prints "REDO &lt;bytes appended&gt;" every 0.5 s
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
        int accounts = 50, workers = 8, seed = 1, pad = 0;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--layout": layoutPath = args[i + 1]; break;
                case "--store": store = args[i + 1]; break;
                case "--accounts": accounts = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--workers": workers = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--seed": seed = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--pad": pad = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
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
            var volume = await WriterVolume.OpenAsync(layout, new FileVolumeLayoutStore(store), VolumeOptions());
            var counting = new CountingVolume(volume);
            var db = await Database.CreateOrOpenAsync(counting, new DatabaseOptions { BufferPoolPages = 8192 });
            var schema = await BankSchema.CreateOrOpenAsync(db, accounts);
            var work = new BankWorkload(db, schema, pad);
            if (pad > 0)
            {
                _ = Task.Run(async () =>
                {
                    while (true)
                    {
                        await Task.Delay(500);
                        Console.WriteLine($"REDO {counting.Bytes} .");
                    }
                });
            }
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

/// <summary>Counts the record bytes the engine appends (headers included).</summary>
public sealed class CountingVolume(IRedoVolume inner) : IRedoVolume
{
    private long _bytes;

    public long Bytes => Interlocked.Read(ref _bytes);
    public ulong PageCount => inner.PageCount;
    public ulong Vdl => inner.Vdl;

    public ValueTask<ulong> AppendAsync(MiniTransaction mtr, CancellationToken ct = default)
    {
        Interlocked.Add(ref _bytes, mtr.ByteLength);
        return inner.AppendAsync(mtr, ct);
    }

    public ValueTask WaitDurableAsync(ulong lsn, CancellationToken ct = default) => inner.WaitDurableAsync(lsn, ct);
    public ValueTask ReadPageAsync(ulong pageNo, ulong asOfLsn, Memory<byte> destination, CancellationToken ct = default) =>
        inner.ReadPageAsync(pageNo, asOfLsn, destination, ct);
    public void SetMinReadPoint(ulong lsn) => inner.SetMinReadPoint(lsn);
}
