using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Borealis.Cli.Cluster;
using Borealis.Engine.Hosting;
using Borealis.Volume;

namespace Borealis.Cli.Commands;

/// <summary>
/// `borealis up`: the embedded cluster on one machine — six storage nodes (two in each of three
/// AZs) and the writer instance serving PostgreSQL, each a separate process under a supervisor
/// that restarts it if it dies. On the first start it creates the volume layout (persisted in
/// DIR/layout) and, without --password, generates the superuser's password (printed once, kept
/// in DIR/password with mode 0600). Prints one line containing `ready` and the connection
/// string once the writer accepts connections.
/// </summary>
internal static class UpCommand
{
    public static readonly string[] Azs = ["az1", "az2", "az3"];

    public static Command Create()
    {
        var dataDir = new Option<string>("--data-dir") { Description = "Directory that holds all of the cluster's data.", DefaultValueFactory = _ => DefaultDataDir() };
        var basePort = new Option<int>("--storage-base-port") { Description = "First TCP port of the six storage nodes (0: pick free ports at the first start and keep them).", DefaultValueFactory = _ => 0 };
        var port = new Option<int?>("--port") { Description = "TCP port of the writer's PostgreSQL endpoint on 127.0.0.1 (default 5432 at the first start, then the one kept in cluster.json)." };
        var user = new Option<string?>("--user") { Description = "The superuser's name (default postgres at the first start, then the one kept)." };
        var password = new Option<string?>("--password") { Description = "The superuser's password (kept in DIR/password); without it one is generated at the first start and reused." };
        var cmd = new Command("up", "Start a whole cluster on this machine and keep it running until Ctrl+C or SIGTERM.") { dataDir, basePort, port, user, password };
        cmd.SetAction(async (parse, ct) => await RunAsync(parse.GetValue(dataDir)!, parse.GetValue(basePort),
            new WriterSettings(parse.GetValue(port), parse.GetValue(user), parse.GetValue(password)), ct));
        return cmd;
    }

    private sealed record WriterSettings(int? Port, string? User, string? Password);

    /// <summary>Protection groups of the volume `up` creates, and pages in each (4 × 1 GiB).</summary>
    public const uint PgCount = 4;
    public const uint PagesPerPg = 131_072;

    public static string DefaultDataDir() => Environment.GetEnvironmentVariable("BOREALIS_DATA_DIR") ?? Path.Combine(Environment.CurrentDirectory, "borealis-data");

    private static async Task<int> RunAsync(string dataDir, int basePort, WriterSettings writer, CancellationToken ct)
    {
        var files = new ClusterFiles(dataDir);
        Directory.CreateDirectory(files.RunDir);
        FileStream lockFile;
        try
        {
            lockFile = new FileStream(files.LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            var st = files.LoadState();
            await Console.Error.WriteLineAsync($"error: another `borealis up` (pid {st?.SupervisorPid}) is already running on {files.DataDir}");
            return 2;
        }
        using var _ = lockFile;

        var config = files.LoadConfig();
        if (config is null)
        {
            config = new ClusterConfig { Created = DateTimeOffset.Now };
            for (uint i = 1; i <= 6; i++)
                config.StorageNodes.Add(new StorageNodeConfig { Id = i, Az = Azs[(i - 1) / 2], Port = basePort > 0 ? basePort + (int)i - 1 : FreePort(except: [writer.Port ?? 5432, .. config.StorageNodes.Select(n => n.Port)]) });
            files.SaveConfig(config);
            Console.WriteLine($"created a new cluster in {files.DataDir}");
        }
        if (config.Writer is null || (writer.Port is { } p0 && p0 != config.Writer.Port) || (writer.User is { } u0 && u0 != config.Writer.User))
        {
            config.Writer ??= new InstanceConfig();
            if (writer.Port is { } p) config.Writer.Port = p;
            if (writer.User is { } u) config.Writer.User = u;
            files.SaveConfig(config);
        }
        var w = config.Writer;
        if (!PortIsFree(w.Port))
        {
            await Console.Error.WriteLineAsync($"error: port {w.Port} on 127.0.0.1 is in use; pass another with --port");
            return 2;
        }
        if (writer.Password is { Length: > 0 } given)
        {
            files.SavePassword(given);
        }
        else if (!File.Exists(files.PasswordPath))
        {
            string generated = GeneratePassword();
            files.SavePassword(generated);
            Console.WriteLine($"generated a password for {w.User}: {generated}");
            Console.WriteLine($"  (printed only this once; kept in {files.PasswordPath}, mode 0600)");
        }

        var specs = config.StorageNodes.Select(n => new ProcessSpec("storage", n.Id.ToString(), n.Az, n.Port,
            ["storage", "--node-id", n.Id.ToString(), "--az", n.Az, "--data-dir", files.StorageDir(n.Id), "--listen", $"127.0.0.1:{n.Port}"])).ToList();

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; stop.Cancel(); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => { ctx.Cancel = true; stop.Cancel(); });

        var supervisor = new Supervisor(files, Console.Out);
        try
        {
            await supervisor.StartAsync(specs, TimeSpan.FromSeconds(60), stop.Token);
            Console.WriteLine($"storage service up: {specs.Count} storage nodes in {Azs.Length} AZs: " +
                string.Join(", ", config.StorageNodes.Select(n => $"node {n.Id} ({n.Az}) 127.0.0.1:{n.Port}")));
            await EnsureLayoutAsync(files, config, stop.Token);
            var instanceSpec = new ProcessSpec("writer", w.Id.ToString(CultureInfo.InvariantCulture), "", w.Port,
                ["instance", "--data-dir", files.InstanceDir(w.Id), "--layout-dir", files.LayoutDir, "--layout", files.InitialLayoutPath, "--volume-id", w.VolumeId.ToString("x", CultureInfo.InvariantCulture),
                 "--listen", $"127.0.0.1:{w.Port}", "--user", w.User, "--password-file", files.PasswordPath]);
            await supervisor.StartAsync([instanceSpec], TimeSpan.FromSeconds(120), stop.Token);
            string url = $"postgresql://{w.User}@127.0.0.1:{w.Port}/postgres";
            Console.WriteLine($"ready: PostgreSQL on 127.0.0.1:{w.Port}, connection string {url} (password in {files.PasswordPath})");
            Console.WriteLine($"  psql: PGPASSWORD=\"$(cat {files.PasswordPath})\" psql \"{url}\"");
            Console.WriteLine($"data in {files.DataDir}; `borealis status --data-dir {files.DataDir}` shows the processes; Ctrl+C stops the cluster");
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested) { }
        catch (TimeoutException e)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            await supervisor.StopAsync();
            return 1;
        }
        Console.WriteLine("stopping the cluster ...");
        await supervisor.StopAsync();
        Console.WriteLine("stopped");
        return 0;
    }

    /// <summary>
    /// Writes the volume's initial layout over the six storage nodes (DIR/volume.json) unless it
    /// exists. The writer creates the volume from it at its first start and from then on keeps the
    /// current layout in its layout store (DIR/layout), which wins over the initial one.
    /// </summary>
    private static async Task EnsureLayoutAsync(ClusterFiles files, ClusterConfig config, CancellationToken ct)
    {
        if (File.Exists(files.InitialLayoutPath)) return;
        ulong volumeId = config.Writer!.VolumeId;
        var nodes = config.StorageNodes.Select(n => new NodeInfo(n.Id, n.Az, $"127.0.0.1:{n.Port}")).ToList();
        string tmp = files.InitialLayoutPath + ".tmp";
        await StorageHosting.SaveLayoutAsync(VolumeLayout.Create(volumeId, PgCount, PagesPerPg, nodes), tmp, ct);
        File.Move(tmp, files.InitialLayoutPath, overwrite: true);
        Console.WriteLine($"created volume {volumeId:x}: {PgCount} protection groups of {PagesPerPg} pages over {nodes.Count} storage nodes");
    }

    /// <summary>24 characters from [A-Za-z0-9]: about 143 bits, safe inside a connection string.</summary>
    private static string GeneratePassword() =>
        RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 24);

    private static bool PortIsFree(int port)
    {
        try
        {
            using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            s.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>A port free now on loopback, none of <paramref name="except"/> (ports other processes of the cluster will bind later).</summary>
    private static int FreePort(IReadOnlyCollection<int> except)
    {
        while (true)
        {
            int port = FreePort();
            if (!except.Contains(port)) return port;
        }
    }

    private static int FreePort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }
}
