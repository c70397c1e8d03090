using System.Diagnostics.Metrics;

namespace Borealis.PgWire.Server;

/// <summary>
/// Server metrics on the "Borealis.PgWire" meter (System.Diagnostics.Metrics, exportable through
/// OpenTelemetry). Instruments are process-wide; counting costs an interlocked add when no
/// listener is attached.
/// </summary>
public static class PgWireMetrics
{
    public const string MeterName = "Borealis.PgWire";

    private static readonly Meter Meter = new(MeterName);

    internal static readonly Counter<long> ConnectionsAccepted = Meter.CreateCounter<long>("pgwire.connections.accepted", description: "TCP connections accepted");
    internal static readonly UpDownCounter<long> SessionsActive = Meter.CreateUpDownCounter<long>("pgwire.sessions.active", description: "Sessions past startup and authentication");
    internal static readonly Counter<long> ConnectionsRefused = Meter.CreateCounter<long>("pgwire.connections.refused", description: "Sessions refused for too many connections (53300)");
    internal static readonly Counter<long> AuthFailures = Meter.CreateCounter<long>("pgwire.auth.failures", description: "Failed authentications (28P01)");
    internal static readonly Counter<long> ProtocolViolations = Meter.CreateCounter<long>("pgwire.protocol.violations", description: "Connections closed for a protocol violation (08P01)");
    internal static readonly Counter<long> CancelRequests = Meter.CreateCounter<long>("pgwire.cancel.requests", description: "CancelRequest packets received");
}
