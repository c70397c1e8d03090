using System.Diagnostics;
using Borealis.PgWire.Auth;

namespace Borealis.PgWire.Tests;

/// <summary>A Fact that is skipped, with a reason, when psql is not installed.</summary>
public sealed class PsqlFactAttribute : FactAttribute
{
    public PsqlFactAttribute()
    {
        if (PsqlTests.PsqlPath is null) Skip = "psql not found (install postgresql-client 15; CI scripts do)";
    }
}

/// <summary>The server driven by psql (libpq): simple query protocol and COPY.</summary>
public sealed class PsqlTests
{
    public static string? PsqlPath { get; } = new[] { "/usr/bin/psql", "/usr/local/bin/psql" }.FirstOrDefault(File.Exists);

    private static async Task<(int Exit, string Out, string Err)> RunAsync(TestServer server, string stdin, string sslMode, params string[] args)
    {
        var psi = new ProcessStartInfo(PsqlPath!)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "-h", "127.0.0.1", "-p", server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", TestServer.User, "-d", "test", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1" }) psi.ArgumentList.Add(a);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["PGPASSWORD"] = TestServer.Password;
        psi.Environment["PGSSLMODE"] = sslMode;
        psi.Environment["PGCONNECT_TIMEOUT"] = "10";
        using var p = Process.Start(psi)!;
        await p.StandardInput.WriteAsync(stdin);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw;
        }
        return (p.ExitCode, await stdout, await stderr);
    }

    [PsqlFact]
    public async Task Simple_queries()
    {
        await using var server = new TestServer();
        var (exit, output, err) = await RunAsync(server, "", "prefer", "-c", "SELECT 42", "-c", "SELECT 'hello'; SELECT 7");
        Assert.True(exit == 0, err);
        Assert.Equal("42\nhello\n7\n", output);
    }

    [PsqlFact]
    public async Task Rows_in_text_format()
    {
        await using var server = new TestServer();
        var (exit, output, err) = await RunAsync(server, "", "disable", "-c", "SELECT * FROM rows(2)");
        Assert.True(exit == 0, err);
        Assert.Equal(
            "0|name 0|0|0.5|t|-3.00|2024-05-06 07:08:09.123+00|2024-01-01|00000000-0001-0002-0304-05060708090a|\n" +
            "1|name 1|10000000000|1.5|f|-1.75|2024-05-06 07:08:10.123+00|2024-01-02|00000001-0001-0002-0304-05060708090a|\\x0100ff\n",
            output);
    }

    [PsqlFact]
    public async Task Errors_show_sqlstate()
    {
        await using var server = new TestServer();
        var (exit, _, err) = await RunAsync(server, "", "disable", "-v", "VERBOSITY=verbose", "-c", "SELECT raise('22012', 'boom')");
        Assert.NotEqual(0, exit);
        Assert.Contains("ERROR:  22012: boom", err, StringComparison.Ordinal);
        Assert.Contains("HINT:  some hint", err, StringComparison.Ordinal);
    }

    [PsqlFact]
    public async Task Copy_from_stdin_and_to_stdout()
    {
        await using var server = new TestServer();
        var lines = string.Concat(Enumerable.Range(0, 500).Select(i => $"row {i}\n"));
        var (exit, _, err) = await RunAsync(server, lines, "disable", "-c", "COPY items FROM STDIN");
        Assert.True(exit == 0, err);
        Assert.Equal(500, server.Backend.Tables["items"].Count);
        var (exit2, output, err2) = await RunAsync(server, "", "disable", "-c", "COPY items TO STDOUT");
        Assert.True(exit2 == 0, err2);
        Assert.Equal(lines, output);
    }

    [PsqlFact]
    public async Task Scram_auth_with_psql()
    {
        await using var server = new TestServer(o => o.AuthMethod = PgAuthMethod.ScramSha256);
        var (exit, output, err) = await RunAsync(server, "", "disable", "-c", "SELECT 1");
        Assert.True(exit == 0, err);
        Assert.Equal("1\n", output);
    }
}
