using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Borealis.Testing;
using Npgsql;
using Xunit.Abstractions;

namespace Borealis.Cluster.Tests;

/// <summary>
/// `borealis up` as a user meets it: the writer instance behind the printed connection string,
/// the generated password, data surviving a restart of the whole cluster, and a kill -9 of the
/// writer while a client writes (the supervisor restarts it; no acknowledged insert is lost).
/// </summary>
[Collection("cluster")]
public sealed class UpWriterTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "borealis-upw-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly int _port = Ports.FreeLoopback();

    private string PasswordPath => Path.Combine(_dir, "password");

    private void Log(string line) => output.WriteLine($"{DateTime.Now:HH:mm:ss.fff} {line}");

    private readonly List<ChildProcess> _ups = [];

    private ChildProcess StartUp(params string[] extra)
    {
        var p = new ChildProcess(BorealisBinary.StartInfo(["up", "--data-dir", _dir, "--port", _port.ToString(CultureInfo.InvariantCulture), .. extra]));
        _ups.Add(p);
        return p;
    }

    private string ConnectionString(string password) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1", Port = _port, Username = "postgres", Password = password, Database = "postgres",
        Pooling = false, Timeout = 3, CommandTimeout = 10,
    }.ConnectionString;

    [Fact]
    public async Task UpServesSqlKeepsDataAcrossRestartsAndSurvivesWriterKill9()
    {
        var total = Stopwatch.StartNew();
        using (var up = StartUp())
        {
            string ready = await up.WaitForLineAsync(l => l.Contains("ready", StringComparison.Ordinal), TimeSpan.FromSeconds(90));
            Log($"up ready after {total.ElapsedMilliseconds} ms: {ready}");
            Assert.Contains($"postgresql://postgres@127.0.0.1:{_port}/postgres", ready, StringComparison.Ordinal);
            Assert.Contains("psql", up.Output, StringComparison.Ordinal);

            // The generated password: printed once, kept with mode 0600, and it is the one that works.
            string password = File.ReadAllText(PasswordPath).TrimEnd('\n');
            Assert.Equal(24, password.Length);
            Assert.Contains(password, up.Output, StringComparison.Ordinal);
            if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(PasswordPath));
            var wrong = await Assert.ThrowsAsync<PostgresException>(async () =>
            {
                await using var c = new NpgsqlConnection(ConnectionString("not-the-password"));
                await c.OpenAsync();
            });
            Assert.Equal("28P01", wrong.SqlState);

            await using (var conn = new NpgsqlConnection(ConnectionString(password)))
            {
                await conn.OpenAsync();
                await Exec(conn, "CREATE TABLE kv (k int PRIMARY KEY, v text NOT NULL)");
                await Exec(conn, "INSERT INTO kv VALUES (1, 'one'), (2, 'two'), (3, 'three')");
                await Exec(conn, "CREATE TABLE acks (id int PRIMARY KEY)");
                Assert.Equal(3L, await Scalar(conn, "SELECT count(*) FROM kv"));
            }

            // status shows the writer.
            var writer = await WriterStatusAsync();
            Assert.Equal("running", writer.GetProperty("state").GetString());
            Assert.Equal(_port, writer.GetProperty("port").GetInt32());
            int writerPid = writer.GetProperty("pid").GetInt32();
            Assert.True(writerPid > 0);

            // kill -9 the writer while a client inserts; every acknowledged insert must survive.
            var acked = new List<int>();
            using var stopWriting = new CancellationTokenSource(TimeSpan.FromSeconds(40));
            var clock = Stopwatch.StartNew();
            long killedAt = long.MaxValue, backAt = long.MaxValue;
            var writing = Task.Run(async () =>
            {
                int next = 1;
                NpgsqlConnection? c = null;
                while (!stopWriting.IsCancellationRequested)
                {
                    int id = next++;
                    long started = clock.ElapsedMilliseconds;
                    try
                    {
                        if (c is null)
                        {
                            c = new NpgsqlConnection(ConnectionString(password));
                            await c.OpenAsync(stopWriting.Token);
                        }
                        await using var cmd = new NpgsqlCommand($"INSERT INTO acks VALUES ({id})", c);
                        await cmd.ExecuteNonQueryAsync(stopWriting.Token);
                        lock (acked) acked.Add(id);
                        if (started > Volatile.Read(ref killedAt) && backAt == long.MaxValue)
                            Volatile.Write(ref backAt, clock.ElapsedMilliseconds);
                    }
                    catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException or InvalidOperationException)
                    {
                        if (c is not null) await c.DisposeAsync();
                        c = null;
                        await Task.Delay(20);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }
                if (c is not null) await c.DisposeAsync();
            });
            await WaitUntil(() => { lock (acked) return acked.Count >= 200; }, TimeSpan.FromSeconds(20), "the client did not get 200 inserts acknowledged");
            Volatile.Write(ref killedAt, clock.ElapsedMilliseconds);
            Assert.Equal(0, Posix.Kill(writerPid, 9));
            Log($"kill -9 writer pid {writerPid} after {acked.Count} acknowledged inserts");
            await WaitUntil(() => Volatile.Read(ref backAt) != long.MaxValue, TimeSpan.FromSeconds(30), "the writer did not accept writes again after kill -9\n" + up.Output);
            long recoveryMs = backAt - killedAt;
            Log($"writer accepted writes again {recoveryMs} ms after kill -9");
            Console.WriteLine($"UpWriterTests: writer accepted writes again {recoveryMs} ms after kill -9");
            int before;
            lock (acked) before = acked.Count;
            await WaitUntil(() => { lock (acked) return acked.Count >= before + 50; }, TimeSpan.FromSeconds(20), "writes did not continue after recovery");
            await stopWriting.CancelAsync();
            await writing;
            Assert.True(recoveryMs < 10_000, $"recovery took {recoveryMs} ms");

            var restarted = await WriterStatusAsync();
            Assert.NotEqual(writerPid, restarted.GetProperty("pid").GetInt32());
            Assert.True(restarted.GetProperty("restarts").GetInt32() >= 1);
            await AssertAllPresentAsync(password, acked);

            up.Signal(Posix.SIGTERM);
            await up.WaitForExitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(0, up.ExitCode);
            Log($"first up stopped after {total.ElapsedMilliseconds} ms; {acked.Count} acknowledged inserts");

            // Start again on the same directory: same password (not printed again), same data.
            using var again = StartUp();
            await again.WaitForLineAsync(l => l.Contains("ready", StringComparison.Ordinal), TimeSpan.FromSeconds(90));
            Assert.DoesNotContain(password, again.Output, StringComparison.Ordinal);
            Assert.Equal(password, File.ReadAllText(PasswordPath).TrimEnd('\n'));
            await using (var conn = new NpgsqlConnection(ConnectionString(password)))
            {
                await conn.OpenAsync();
                Assert.Equal("two", await Scalar(conn, "SELECT v FROM kv WHERE k = 2"));
                await Exec(conn, "INSERT INTO kv VALUES (4, 'four')");
                Assert.Equal(4L, await Scalar(conn, "SELECT count(*) FROM kv"));
            }
            await AssertAllPresentAsync(password, acked);

            // TLS: SSLRequest is answered with the certificate created on the first start.
            Assert.True(File.Exists(Path.Combine(_dir, "instance", "writer-1", "server.pfx")));
            var tls = new NpgsqlConnectionStringBuilder(ConnectionString(password)) { SslMode = SslMode.Require };
            await using (var conn = new NpgsqlConnection(tls.ConnectionString))
            {
                await conn.OpenAsync();
                Assert.Equal(4L, await Scalar(conn, "SELECT count(*) FROM kv"));
            }
            again.Signal(Posix.SIGTERM);
            await again.WaitForExitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(0, again.ExitCode);
        }
        Log($"total {total.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task UpWithAGivenPasswordUsesItAndPrintsNoGeneratedOne()
    {
        const string password = "correct horse battery";
        using var up = StartUp("--password", password);
        await up.WaitForLineAsync(l => l.Contains("ready", StringComparison.Ordinal), TimeSpan.FromSeconds(90));
        Assert.DoesNotContain("generated", up.Output, StringComparison.Ordinal);
        Assert.Equal(password, File.ReadAllText(PasswordPath).TrimEnd('\n'));
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(PasswordPath));
        await using (var conn = new NpgsqlConnection(ConnectionString(password)))
        {
            await conn.OpenAsync();
            Assert.Equal(42, await Scalar(conn, "SELECT 42"));
        }
        var wrong = await Assert.ThrowsAsync<PostgresException>(async () =>
        {
            await using var c = new NpgsqlConnection(ConnectionString("postgres"));
            await c.OpenAsync();
        });
        Assert.Equal("28P01", wrong.SqlState);

        // `up` on a port that is taken says so instead of retrying forever.
        using (var second = new ChildProcess(BorealisBinary.StartInfo(["up", "--data-dir", _dir + "-b", "--port", _port.ToString(CultureInfo.InvariantCulture)])))
        {
            await second.WaitForExitAsync(TimeSpan.FromSeconds(60));
            Assert.NotEqual(0, second.ExitCode);
            Assert.Contains($"port {_port}", second.Output, StringComparison.Ordinal);
        }
        try { Directory.Delete(_dir + "-b", recursive: true); } catch (IOException) { }

        up.Signal(Posix.SIGTERM);
        await up.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, up.ExitCode);
    }

    private async Task AssertAllPresentAsync(string password, List<int> acked)
    {
        await using var conn = new NpgsqlConnection(ConnectionString(password));
        await conn.OpenAsync();
        var present = new HashSet<int>();
        await using (var cmd = new NpgsqlCommand("SELECT id FROM acks", conn))
        await using (var r = await cmd.ExecuteReaderAsync())
            while (await r.ReadAsync()) present.Add(r.GetInt32(0));
        var missing = acked.Where(id => !present.Contains(id)).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} acknowledged inserts missing, e.g. {string.Join(", ", missing.Take(10))}");
    }

    private static async Task Exec(NpgsqlConnection c, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, c);
        await cmd.ExecuteNonQueryAsync();
    }

    private static async Task<object?> Scalar(NpgsqlConnection c, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, c);
        return await cmd.ExecuteScalarAsync();
    }

    private static async Task WaitUntil(Func<bool> done, TimeSpan timeout, string failure)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!done())
        {
            Assert.True(DateTime.UtcNow < deadline, failure);
            await Task.Delay(10);
        }
    }

    private async Task<JsonElement> WriterStatusAsync()
    {
        using var st = new ChildProcess(BorealisBinary.StartInfo(["status", "--data-dir", _dir, "--output", "json"]));
        await st.WaitForExitAsync(TimeSpan.FromSeconds(30));
        var text = st.Output;
        int start = text.IndexOf('{', StringComparison.Ordinal);
        Assert.True(start >= 0, "status printed no JSON: " + text);
        var procs = JsonDocument.Parse(text[start..]).RootElement.GetProperty("processes").EnumerateArray();
        return procs.Single(p => p.GetProperty("role").GetString() == "writer");
    }

    public void Dispose()
    {
        // Every `up`'s output (shown with a failure), then each process's log.
        foreach (var p in _ups) output.WriteLine($"--- up:\n{p.Output}");
        foreach (var log in Directory.Exists(Path.Combine(_dir, "logs")) ? Directory.GetFiles(Path.Combine(_dir, "logs")) : [])
        {
            var lines = File.ReadAllLines(log);
            output.WriteLine($"--- {Path.GetFileName(log)} (last 30 lines):\n{string.Join('\n', lines.TakeLast(30))}");
        }
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
