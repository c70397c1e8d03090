using Microsoft.Extensions.Logging;

namespace Borealis.Volume;

internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "volume {VolumeId:x}: opened as writer at epoch {Epoch}: base {Base}, VCL {Vcl}, VDL {Vdl}")]
    public static partial void Opened(ILogger logger, ulong volumeId, uint epoch, ulong @base, ulong vcl, ulong vdl);

    [LoggerMessage(2, LogLevel.Warning, "node {NodeId} ({Endpoint}): connection lost: {Reason}")]
    public static partial void NodeLost(ILogger logger, uint nodeId, string endpoint, string reason);

    [LoggerMessage(3, LogLevel.Information, "node {NodeId} ({Endpoint}): connected; resending {Batches} batches")]
    public static partial void NodeConnected(ILogger logger, uint nodeId, string endpoint, int batches);

    [LoggerMessage(4, LogLevel.Error, "volume {VolumeId:x}: fenced at epoch {Epoch}: {Message}")]
    public static partial void Fenced(ILogger logger, ulong volumeId, uint epoch, string message);

    [LoggerMessage(5, LogLevel.Warning, "node {NodeId}: PG {Pg}: append refused: {Code} {Message}")]
    public static partial void AppendRefused(ILogger logger, uint nodeId, uint pg, string code, string message);

    [LoggerMessage(6, LogLevel.Warning, "node {NodeId}: no append ack for {Ms} ms with appends outstanding; reconnecting")]
    public static partial void AppendStalled(ILogger logger, uint nodeId, long ms);

    [LoggerMessage(7, LogLevel.Information, "volume {VolumeId:x}: PG {Pg}: membership epoch {MembershipEpoch}: {What}")]
    public static partial void Membership(ILogger logger, ulong volumeId, uint pg, uint membershipEpoch, string what);

    [LoggerMessage(8, LogLevel.Debug, "node {NodeId}: {Request} failed: {Reason}")]
    public static partial void RequestFailed(ILogger logger, uint nodeId, string request, string reason);
}
