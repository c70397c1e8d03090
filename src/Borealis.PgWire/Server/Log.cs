using Microsoft.Extensions.Logging;

namespace Borealis.PgWire.Server;

internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "pgwire listening on {EndPoint}")]
    public static partial void Listening(ILogger logger, string endPoint);

    [LoggerMessage(2, LogLevel.Debug, "session {ProcessId}: {User}@{Database} from {Remote} connected")]
    public static partial void SessionStarted(ILogger logger, int processId, string user, string database, string remote);

    [LoggerMessage(3, LogLevel.Information, "connection from {Remote}: protocol violation: {Message}")]
    public static partial void ProtocolViolation(ILogger logger, string remote, string message);

    [LoggerMessage(4, LogLevel.Information, "connection from {Remote}: authentication failed for user {User}")]
    public static partial void AuthFailed(ILogger logger, string remote, string user);

    [LoggerMessage(5, LogLevel.Error, "session {ProcessId}: internal error")]
    public static partial void InternalError(ILogger logger, int processId, Exception error);

    [LoggerMessage(6, LogLevel.Debug, "connection from {Remote} ended: {Reason}")]
    public static partial void ConnectionEnded(ILogger logger, string remote, string reason);
}
