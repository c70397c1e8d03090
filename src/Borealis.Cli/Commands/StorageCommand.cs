using System.CommandLine;
using Borealis.Storage;
using Microsoft.Extensions.Logging;

namespace Borealis.Cli.Commands;

/// <summary>
/// `borealis storage`: runs one storage node in the foreground until SIGTERM or Ctrl+C. Prints
/// exactly one line to stdout once the node accepts connections
/// (`storage node N (az A) listening on HOST:PORT ready`); logs go to stderr.
/// </summary>
internal static partial class StorageCommand
{
    public static Command Create()
    {
        var nodeId = new Option<uint>("--node-id") { Description = "This node's id (unique in the cluster, not 0).", Required = true };
        var az = new Option<string>("--az") { Description = "Availability zone of this node.", Required = true };
        var dataDir = new Option<string>("--data-dir") { Description = "Directory for the node's hot log, segments and pages.", Required = true };
        var listen = new Option<string>("--listen") { Description = "host:port to listen on (port 0 picks a free port).", DefaultValueFactory = _ => "127.0.0.1:0" };
        var logLevel = new Option<LogLevel>("--log-level") { Description = "Minimum log level.", DefaultValueFactory = _ => LogLevel.Information };
        var defaults = new StorageNodeOptions();
        var coalesceBytes = new Option<long>("--coalesce-min-bytes") { Description = "Coalesce a segment into page versions once its records add up to this many bytes.", DefaultValueFactory = _ => defaults.CoalesceMinBytes };
        var coalesceAge = new Option<double>("--coalesce-max-age") { Description = "Seconds a record may wait above its segment's base before the segment is coalesced.", DefaultValueFactory = _ => defaults.CoalesceMaxAge.TotalSeconds };
        var cmd = new Command("storage", "Run one storage node.") { nodeId, az, dataDir, listen, logLevel, coalesceBytes, coalesceAge };
        cmd.SetAction(async (parse, ct) =>
        {
            var options = new StorageNodeOptions
            {
                NodeId = parse.GetValue(nodeId),
                Az = parse.GetValue(az)!,
                DataDir = parse.GetValue(dataDir)!,
                Listen = parse.GetValue(listen)!,
                CoalesceMinBytes = Math.Max(0, parse.GetValue(coalesceBytes)),
                CoalesceMaxAge = TimeSpan.FromSeconds(Math.Max(0, parse.GetValue(coalesceAge))),
            };
            return await RunAsync(options, parse.GetValue(logLevel), ct);
        });
        return cmd;
    }

    private static async Task<int> RunAsync(StorageNodeOptions options, LogLevel level, CancellationToken invocationCt)
    {
        using var role = new Cluster.RoleProcess(level, invocationCt);
        var ct = role.Token;
        var loggerFactory = role.LoggerFactory;
        var logger = loggerFactory.CreateLogger("Borealis.Cli.Storage");
        StorageNode node;
        try
        {
            node = await StorageNode.StartAsync(options, loggerFactory, ct);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ArgumentException or FormatException or System.Net.Sockets.SocketException)
        {
            StartFailed(logger, e.Message, e);
            return 1;
        }
        await using (node)
        {
            await role.AnnounceReadyAndWaitAsync($"storage node {options.NodeId} (az {options.Az}) listening on {node.LocalEndPoint} ready");
            Stopping(logger, options.NodeId);
        }
        return 0;
    }

    [LoggerMessage(1, LogLevel.Critical, "storage node failed to start: {Reason}")]
    private static partial void StartFailed(ILogger logger, string reason, Exception error);

    [LoggerMessage(2, LogLevel.Information, "storage node {NodeId} stopping")]
    private static partial void Stopping(ILogger logger, uint nodeId);
}
