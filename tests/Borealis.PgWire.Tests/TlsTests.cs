using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Borealis.PgWire.Auth;
using Npgsql;
using static Borealis.PgWire.Tests.RawClient;

namespace Borealis.PgWire.Tests;

/// <summary>TLS via SSLRequest with a configured certificate.</summary>
public sealed class TlsTests
{
    private static X509Certificate2 SelfSigned()
    {
        using var key = RSA.Create(2048);
        var req = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        req.CertificateExtensions.Add(san.Build());
        using var cert = req.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pfx), null);
    }

    [Fact]
    public async Task Npgsql_over_tls_with_scram()
    {
        using var cert = SelfSigned();
        await using var server = new TestServer(o =>
        {
            o.ServerCertificate = cert;
            o.RequireTls = true;
            o.AuthMethod = PgAuthMethod.ScramSha256;
        });
        var builder = new NpgsqlDataSourceBuilder(server.ConnectionString().Replace("SSL Mode=Disable;", "SSL Mode=Require;", StringComparison.Ordinal));
        builder.UseSslClientAuthenticationOptionsCallback(o => o.RemoteCertificateValidationCallback = (_, _, _, _) => true);
        await using var ds = builder.Build();
        await using var conn = await ds.OpenConnectionAsync();
        await using (var cmd = new NpgsqlCommand("SELECT * FROM rows(2000)", conn))
        {
            await using var reader = await cmd.ExecuteReaderAsync();
            int n = 0;
            while (await reader.ReadAsync()) Assert.Equal(n++, reader.GetInt32(0));
            Assert.Equal(2000, n);
        }
        await using (var cmd = new NpgsqlCommand("SELECT pg_sleep(30)", conn))
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
            var e = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cmd.ExecuteScalarAsync(cts.Token));
            Assert.Equal("57014", Assert.IsType<PostgresException>(e.InnerException).SqlState);
        }
    }

    [Fact]
    public async Task Plain_connection_is_refused_when_tls_is_required()
    {
        using var cert = SelfSigned();
        await using var server = new TestServer(o => { o.ServerCertificate = cert; o.RequireTls = true; });
        await using var conn = new NpgsqlConnection(server.ConnectionString());
        var e = await Assert.ThrowsAsync<PostgresException>(() => conn.OpenAsync());
        Assert.Equal("28000", e.SqlState);
    }

    [Fact]
    public async Task Unencrypted_data_after_ssl_request_is_a_violation()
    {
        using var cert = SelfSigned();
        await using var server = new TestServer(o => o.ServerCertificate = cert);
        await using var c = await ConnectAsync(server.Port);
        // SSLRequest and a StartupMessage in one write: the startup must not be read in clear.
        await c.SendRawAsync([.. BE32(8), .. BE32(Protocol.PgProtocol.SslRequestCode), .. BE32(9), .. BE32(Protocol.PgProtocol.Version30), 0]);
        var msgs = await c.ReadUntilClosedAsync();
        Assert.Equal("08P01", Field(Assert.Single(msgs).Body, 'C'));
    }

    [PsqlFact]
    public async Task Psql_over_tls()
    {
        using var cert = SelfSigned();
        await using var server = new TestServer(o => { o.ServerCertificate = cert; o.RequireTls = true; });
        var psi = new System.Diagnostics.ProcessStartInfo(PsqlTests.PsqlPath!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { $"host=127.0.0.1 port={server.Port} user=alice dbname=test sslmode=require", "-X", "-A", "-t", "-c", "SELECT 'secure'" })
            psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var output = await p.StandardOutput.ReadToEndAsync();
        var err = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(p.ExitCode == 0, err);
        Assert.Equal("secure\n", output);
    }
}
