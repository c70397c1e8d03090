using System.Diagnostics;
using System.Globalization;

namespace Borealis.Testing;

/// <summary>
/// A throwaway PostgreSQL 15 server (the oracle and the benchmark reference): initdb into a
/// temporary directory, started with pg_ctl on a free 127.0.0.1 port, trust authentication,
/// fsync and synchronous_commit on (the defaults). PostgreSQL refuses to run as root, so as
/// root the server runs as the `postgres` system user (which Debian's postgresql package
/// creates). Binaries are looked up in /usr/lib/postgresql/15/bin, then on PATH; the project's
/// scripts install them (scripts/setup-postgres.sh).
/// </summary>
public sealed class LocalPostgres : IAsyncDisposable
{
    private readonly string _bin;
    private readonly bool _asPostgresUser;

    public string Dir { get; }
    public int Port { get; }
    public string User => "postgres";
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres";

    private LocalPostgres(string bin, string dir, int port, bool asPostgresUser)
    {
        _bin = bin;
        Dir = dir;
        Port = port;
        _asPostgresUser = asPostgresUser;
    }

    /// <summary>Finds the PostgreSQL 15 server binaries, or null when they are not installed.</summary>
    public static string? FindBinDir()
    {
        const string debian = "/usr/lib/postgresql/15/bin";
        if (File.Exists(Path.Combine(debian, "postgres"))) return debian;
        foreach (var p in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
            if (p.Length > 0 && File.Exists(Path.Combine(p, "pg_ctl")) && File.Exists(Path.Combine(p, "initdb"))) return p;
        return null;
    }

    /// <summary>Creates and starts a server. <paramref name="settings"/> are extra `-c name=value` options.</summary>
    public static async Task<LocalPostgres> StartAsync(IEnumerable<string>? settings = null, CancellationToken ct = default)
    {
        string bin = FindBinDir() ?? throw new InvalidOperationException(
            "PostgreSQL 15 server binaries not found (expected /usr/lib/postgresql/15/bin); run scripts/setup-postgres.sh");
        bool root = Environment.UserName == "root";
        string dir = Path.Combine(Path.GetTempPath(), "borealis-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        if (root) await RunAsync("chown", ["postgres:postgres", dir], asPostgres: false, ct).ConfigureAwait(false);
        var pg = new LocalPostgres(bin, dir, Ports.FreeLoopback(), root);
        await pg.RunToolAsync("initdb", ["-D", pg.DataDir, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8"], ct).ConfigureAwait(false);
        var opts = new List<string>
        {
            $"-p {pg.Port}", "-c listen_addresses=127.0.0.1", $"-k {dir}", "-c max_connections=200",
        };
        foreach (var s in settings ?? []) opts.Add("-c " + s);
        await pg.RunToolAsync("pg_ctl", ["-D", pg.DataDir, "-o", string.Join(' ', opts), "-l", Path.Combine(dir, "server.log"), "-w", "start"], ct).ConfigureAwait(false);
        return pg;
    }

    public string DataDir => Path.Combine(Dir, "data");

    /// <summary>Runs psql with -Atc and returns its trimmed output.</summary>
    public async Task<string> QueryAsync(string sql, CancellationToken ct = default)
    {
        var (code, stdout, stderr) = await RunAsync("psql", ["-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-Atc", sql], asPostgres: false, ct).ConfigureAwait(false);
        if (code != 0) throw new InvalidOperationException($"psql failed ({code}): {stderr}");
        return stdout.Trim();
    }

    /// <summary>Runs a client program (e.g. pgbench) against this server; returns exit code and output.</summary>
    public Task<(int Code, string Stdout, string Stderr)> RunClientAsync(string program, IEnumerable<string> args, CancellationToken ct = default)
    {
        var all = new List<string> { "-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres" };
        all.AddRange(args);
        string exe = File.Exists(Path.Combine(_bin, program)) ? Path.Combine(_bin, program) : program;
        return RunAsync(exe, all, asPostgres: false, ct);
    }

    private async Task RunToolAsync(string tool, IEnumerable<string> args, CancellationToken ct)
    {
        var (code, stdout, stderr) = await RunAsync(Path.Combine(_bin, tool), args, _asPostgresUser, ct).ConfigureAwait(false);
        if (code != 0) throw new InvalidOperationException($"{tool} failed ({code}): {stderr}{stdout}");
    }

    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string exe, IEnumerable<string> args, bool asPostgres, CancellationToken ct)
    {
        var psi = new ProcessStartInfo
        {
            FileName = asPostgres ? "runuser" : exe,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (asPostgres)
        {
            foreach (var a in new[] { "-u", "postgres", "--", exe }) psi.ArgumentList.Add(a);
        }
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {exe}");
        var so = p.StandardOutput.ReadToEndAsync(ct);
        var se = p.StandardError.ReadToEndAsync(ct);
        await p.WaitForExitAsync(ct).ConfigureAwait(false);
        return (p.ExitCode, await so.ConfigureAwait(false), await se.ConfigureAwait(false));
    }

    public async ValueTask DisposeAsync()
    {
        try { await RunToolAsync("pg_ctl", ["-D", DataDir, "-m", "immediate", "-w", "stop"], CancellationToken.None).ConfigureAwait(false); }
        catch (InvalidOperationException) { }
        try { Directory.Delete(Dir, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
