using System.CommandLine;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Borealis.Engine.Hosting;
using Borealis.Instance;
using Borealis.PgWire.Auth;
using Borealis.Storage.Protocol;
using Borealis.Volume;
using Microsoft.Extensions.Logging;

namespace Borealis.Cli.Commands;

/// <summary>
/// `borealis instance`: opens the volume described by the layout in --layout-dir as its writer
/// (recovery first: new epoch, VDL from read quorums; a volume the store does not hold yet is
/// created from --layout) and serves PostgreSQL on --listen until
/// SIGTERM or Ctrl+C. Prints exactly one line to stdout once it accepts connections
/// (`writer instance listening on HOST:PORT ready`); logs go to stderr. With --password-file
/// the superuser --user authenticates with SCRAM-SHA-256 (the file holds the password, its first
/// line); without it every connection is trusted, which is refused unless --listen is loopback.
/// SSLRequest is answered with TLS using --tls-cert (created self-signed on first start) unless --no-tls.
/// </summary>
internal static partial class InstanceCommand
{
    public static Command Create()
    {
        var dataDir = new Option<string>("--data-dir") { Description = "Directory for the instance's own files.", Required = true };
        var layoutDir = new Option<string>("--layout-dir") { Description = "Layout store directory holding the volume's layout (volume-ID.json); the writer keeps it current.", Required = true };
        var volumeId = new Option<string?>("--volume-id") { Description = "Volume id (hex) when the layout directory holds more than one volume." };
        var initialLayout = new Option<string?>("--layout") { Description = "Layout JSON of the volume to create if the layout directory does not hold it yet (first start)." };
        var listen = new Option<string>("--listen") { Description = "host:port to serve PostgreSQL on.", DefaultValueFactory = _ => "127.0.0.1:5432" };
        var user = new Option<string>("--user") { Description = "The superuser's name.", DefaultValueFactory = _ => "postgres" };
        var passwordFile = new Option<string?>("--password-file") { Description = "File whose first line is the superuser's password (SCRAM-SHA-256)." };
        var tlsCert = new Option<string?>("--tls-cert") { Description = "PKCS#12 file with the server's TLS certificate and key (default DATA_DIR/server.pfx); a self-signed one is created (mode 0600) if it does not exist." };
        var noTls = new Option<bool>("--no-tls") { Description = "Answer SSLRequest with 'N' (no TLS)." };
        var logLevel = new Option<LogLevel>("--log-level") { Description = "Minimum log level.", DefaultValueFactory = _ => LogLevel.Information };
        var cmd = new Command("instance", "Run the writer instance: open the volume and serve PostgreSQL.") { dataDir, layoutDir, volumeId, initialLayout, listen, user, passwordFile, tlsCert, noTls, logLevel };
        cmd.SetAction(async (parse, ct) => await RunAsync(new Settings(
            parse.GetValue(dataDir)!, parse.GetValue(layoutDir)!, parse.GetValue(volumeId), parse.GetValue(initialLayout), parse.GetValue(listen)!,
            parse.GetValue(user)!, parse.GetValue(passwordFile), parse.GetValue(noTls) ? null : parse.GetValue(tlsCert) ?? Path.Combine(parse.GetValue(dataDir)!, "server.pfx")),
            parse.GetValue(logLevel), ct));
        return cmd;
    }

    private sealed record Settings(string DataDir, string LayoutDir, string? VolumeId, string? InitialLayout, string Listen, string User, string? PasswordFile, string? TlsCert);

    private static async Task<int> RunAsync(Settings s, LogLevel level, CancellationToken invocationCt)
    {
        using var role = new Cluster.RoleProcess(level, invocationCt);
        var ct = role.Token;
        var loggerFactory = role.LoggerFactory;
        var logger = loggerFactory.CreateLogger("Borealis.Cli.Instance");

        WriterInstance instance;
        var started = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            if (!IPEndPoint.TryParse(s.Listen, out var endPoint)) throw new ArgumentException($"--listen {s.Listen}: not host:port");
            InMemoryCredentialStore? credentials = null;
            if (s.PasswordFile is not null)
            {
                string password = ReadPassword(s.PasswordFile);
                credentials = new InMemoryCredentialStore();
                credentials.SetPassword(s.User, password);
            }
            else if (!IPAddress.IsLoopback(endPoint.Address))
            {
                throw new ArgumentException("without --password-file the instance trusts every connection; it listens only on a loopback address then");
            }
            else
            {
                NoPassword(logger);
            }
            Directory.CreateDirectory(s.DataDir);
            var certificate = s.TlsCert is null ? null : LoadOrCreateCertificate(s.TlsCert);
            var layout = s.InitialLayout is not null ? await StorageHosting.LoadLayoutAsync(s.InitialLayout, ct) : await LoadLayoutAsync(s.LayoutDir, s.VolumeId, ct);
            instance = await WriterInstance.StartAsync(layout, s.LayoutDir, endPoint, null, o =>
            {
                o.LoggerFactory = loggerFactory;
                o.ServerCertificate = certificate;
                if (credentials is not null)
                {
                    o.AuthMethod = PgAuthMethod.ScramSha256;
                    o.Credentials = credentials;
                }
            }, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return 0;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ArgumentException or FormatException or InvalidDataException
            or UnauthorizedAccessException or TimeoutException or CryptographicException or System.Net.Sockets.SocketException or StorageException)
        {
            StartFailed(logger, e.Message, e);
            return 1;
        }
        await using (instance)
        {
            await role.AnnounceReadyAndWaitAsync($"writer instance listening on {instance.EndPoint} (opened in {started.ElapsedMilliseconds} ms) ready");
            Stopping(logger);
        }
        return 0;
    }

    /// <summary>The password is the file's first line (without its line ending); an empty one is refused.</summary>
    public static string ReadPassword(string path)
    {
        string text = File.ReadAllText(path);
        int nl = text.IndexOfAny(['\r', '\n']);
        string password = nl >= 0 ? text[..nl] : text;
        if (password.Length == 0) throw new InvalidDataException($"{path}: the password is empty");
        return password;
    }

    /// <summary>
    /// The server certificate from a PKCS#12 file (no password). A missing file is first created:
    /// a self-signed ECDSA P-256 certificate for localhost, 127.0.0.1, ::1 and this host's name,
    /// valid for ten years, written with mode 0600.
    /// </summary>
    public static X509Certificate2 LoadOrCreateCertificate(string path)
    {
        if (!File.Exists(path))
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("CN=borealis", key, HashAlgorithmName.SHA256);
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName("localhost");
            names.AddDnsName(Environment.MachineName);
            names.AddIpAddress(IPAddress.Loopback);
            names.AddIpAddress(IPAddress.IPv6Loopback);
            request.CertificateExtensions.Add(names.Build());
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, false));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
            using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(10));
            byte[] pfx = created.Export(X509ContentType.Pfx);
            string tmp = path + ".tmp";
            File.Delete(tmp);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using (var fs = new FileStream(tmp, options))
            {
                fs.Write(pfx);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        return X509CertificateLoader.LoadPkcs12FromFile(path, null);
    }

    private static async Task<VolumeLayout> LoadLayoutAsync(string layoutDir, string? volumeIdHex, CancellationToken ct)
    {
        var store = new FileVolumeLayoutStore(layoutDir);
        if (volumeIdHex is not null)
        {
            ulong id = ulong.Parse(volumeIdHex, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
            return await store.LoadAsync(id, ct) ?? throw new InvalidDataException($"{layoutDir}: no layout for volume {id:x}");
        }
        var files = Directory.GetFiles(layoutDir, "volume-*.json");
        if (files.Length != 1)
            throw new InvalidDataException($"{layoutDir}: {files.Length} volume layouts (volume-*.json); name one with --volume-id");
        return await StorageHosting.LoadLayoutAsync(files[0], ct);
    }

    [LoggerMessage(1, LogLevel.Critical, "writer instance failed to start: {Reason}")]
    private static partial void StartFailed(ILogger logger, string reason, Exception error);

    [LoggerMessage(2, LogLevel.Information, "writer instance stopping")]
    private static partial void Stopping(ILogger logger);

    [LoggerMessage(3, LogLevel.Warning, "no --password-file: every connection is trusted (loopback only)")]
    private static partial void NoPassword(ILogger logger);
}
