using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Borealis.Cli.Cluster;

namespace Borealis.Cli.Commands;

/// <summary>
/// `borealis up`: the embedded cluster on one machine. Today it runs the storage service —
/// six storage nodes, two in each of three AZs, each a separate process under a supervisor
/// that restarts it if it dies. (The SQL writer instance and endpoints join it in later work.)
/// </summary>
internal static class UpCommand
{
    public static readonly string[] Azs = ["az1", "az2", "az3"];

    public static Command Create()
    {
        var dataDir = new Option<string>("--data-dir") { Description = "Directory that holds all of the cluster's data.", DefaultValueFactory = _ => DefaultDataDir() };
        var basePort = new Option<int>("--storage-base-port") { Description = "First TCP port of the six storage nodes (0: pick free ports at the first start and keep them).", DefaultValueFactory = _ => 0 };
        var cmd = new Command("up", "Start a whole cluster on this machine and keep it running until Ctrl+C or SIGTERM.") { dataDir, basePort };
        cmd.SetAction(async (parse, ct) => await RunAsync(parse.GetValue(dataDir)!, parse.GetValue(basePort), ct));
        return cmd;
    }

    public static string DefaultDataDir() => Environment.GetEnvironmentVariable("BOREALIS_DATA_DIR") ?? Path.Combine(Environment.CurrentDirectory, "borealis-data");

    private static async Task<int> RunAsync(string dataDir, int basePort, CancellationToken ct)
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
                config.StorageNodes.Add(new StorageNodeConfig { Id = i, Az = Azs[(i - 1) / 2], Port = basePort > 0 ? basePort + (int)i - 1 : FreePort() });
            files.SaveConfig(config);
            Console.WriteLine($"created a new cluster in {files.DataDir}");
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
            Console.WriteLine($"storage service ready: {specs.Count} storage nodes in {Azs.Length} AZs: " +
                string.Join(", ", config.StorageNodes.Select(n => $"node {n.Id} ({n.Az}) 127.0.0.1:{n.Port}")));
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

    private static int FreePort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }
}
