using System.Net;
using System.Security.Cryptography.X509Certificates;
using Borealis.PgWire.Auth;
using Borealis.PgWire.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Borealis.PgWire.Server;

/// <summary>Configuration of a <see cref="PgServer"/>.</summary>
public sealed class PgServerOptions
{
    public IPEndPoint EndPoint { get; set; } = new(IPAddress.Loopback, 5432);
    /// <summary>Sessions beyond this many are refused with FATAL 53300 (CancelRequests are never refused).</summary>
    public int MaxConnections { get; set; } = 100;
    public PgAuthMethod AuthMethod { get; set; } = PgAuthMethod.Trust;
    /// <summary>Required unless <see cref="AuthMethod"/> is Trust.</summary>
    public IPgCredentialStore? Credentials { get; set; }
    /// <summary>When set, SSLRequest is answered 'S' and the connection switches to TLS with this certificate.</summary>
    public X509Certificate2? ServerCertificate { get; set; }
    /// <summary>Refuse non-TLS sessions (FATAL 28000) when a certificate is configured.</summary>
    public bool RequireTls { get; set; }
    /// <summary>Reported as server_version; clients parse the leading "major.minor".</summary>
    public string ServerVersion { get; set; } = "15.8";
    public string TimeZone { get; set; } = "UTC";
    /// <summary>Largest message length word accepted after startup; at most PostgreSQL's limit (just under 1 GB).</summary>
    public int MaxMessageSize { get; set; } = PgProtocol.LargeMessageLimit;
    /// <summary>A connection that has not completed startup and authentication within this time is dropped.</summary>
    public TimeSpan StartupTimeout { get; set; } = TimeSpan.FromSeconds(60);
    public ILoggerFactory LoggerFactory { get; set; } = NullLoggerFactory.Instance;
}
