using Borealis.PgWire.Auth;
using Npgsql;

namespace Borealis.PgWire.Tests;

/// <summary>The server driven by a real client (Npgsql, extended protocol, binary results).</summary>
public sealed class NpgsqlTests
{
    [Fact]
    public async Task Select_int_and_text()
    {
        await using var server = new TestServer();
        await using var conn = await server.OpenAsync();
        await using (var cmd = new NpgsqlCommand("SELECT 42", conn))
            Assert.Equal(42, await cmd.ExecuteScalarAsync());
        await using (var cmd = new NpgsqlCommand("SELECT 'it''s here'", conn))
            Assert.Equal("it's here", await cmd.ExecuteScalarAsync());
        Assert.Equal("15.8", conn.ServerVersion);
        Assert.Equal("UTC", conn.Timezone);
    }

    [Fact]
    public async Task Many_rows_with_every_common_type_in_binary()
    {
        await using var server = new TestServer();
        await using var conn = await server.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT * FROM rows(5000)", conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        int i = 0;
        while (await reader.ReadAsync())
        {
            Assert.Equal(i, reader.GetInt32(0));
            Assert.Equal($"name {i}", reader.GetString(1));
            Assert.Equal(i * 10_000_000_000L, reader.GetInt64(2));
            Assert.Equal(i + 0.5, reader.GetDouble(3));
            Assert.Equal(i % 2 == 0, reader.GetBoolean(4));
            Assert.Equal(i * 1.25m - 3, reader.GetDecimal(5));
            Assert.Equal(TestBackend.BaseTime.AddSeconds(i), reader.GetDateTime(6));
            Assert.Equal(new DateOnly(2024, 1, 1).AddDays(i), reader.GetFieldValue<DateOnly>(7));
            Assert.Equal(new Guid(i, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10), reader.GetGuid(8));
            if (i % 3 == 0) Assert.True(reader.IsDBNull(9));
            else Assert.Equal(new byte[] { (byte)i, 0, 255 }, reader.GetFieldValue<byte[]>(9));
            i++;
        }
        Assert.Equal(5000, i);
    }

    [Fact]
    public async Task Parameters_round_trip_in_binary()
    {
        await using var server = new TestServer();
        await using var conn = await server.OpenAsync();
        var at = new DateTime(2023, 12, 31, 23, 59, 58, DateTimeKind.Utc).AddTicks(1234560);
        var uid = Guid.NewGuid();
        await using var cmd = new NpgsqlCommand("SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11", conn)
        {
            Parameters =
            {
                new() { Value = 42 }, new() { Value = "héllo wörld" }, new() { Value = true }, new() { Value = 2.5 },
                new() { Value = 12345.6789m }, new() { Value = uid }, new() { Value = at }, new() { Value = new DateOnly(1999, 12, 31) },
                new() { Value = new byte[] { 1, 2, 3 } }, new() { Value = -9_000_000_000L }, new() { Value = DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text },
            },
        };
        await using var reader = await cmd.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(42, reader.GetInt32(0));
        Assert.Equal("héllo wörld", reader.GetString(1));
        Assert.True(reader.GetBoolean(2));
        Assert.Equal(2.5, reader.GetDouble(3));
        Assert.Equal(12345.6789m, reader.GetDecimal(4));
        Assert.Equal(uid, reader.GetGuid(5));
        Assert.Equal(at, reader.GetDateTime(6));
        Assert.Equal(new DateOnly(1999, 12, 31), reader.GetFieldValue<DateOnly>(7));
        Assert.Equal(new byte[] { 1, 2, 3 }, reader.GetFieldValue<byte[]>(8));
        Assert.Equal(-9_000_000_000L, reader.GetInt64(9));
        Assert.True(reader.IsDBNull(10));
        Assert.False(await reader.ReadAsync());
    }

    [Fact]
    public async Task Prepared_statement_is_reused()
    {
        await using var server = new TestServer();
        await using var conn = await server.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT $1", conn);
        var p = new NpgsqlParameter<int> { TypedValue = 0 };
        cmd.Parameters.Add(p);
        await cmd.PrepareAsync();
        Assert.True(cmd.IsPrepared);
        for (int i = 0; i < 200; i++)
        {
            p.TypedValue = i;
            Assert.Equal(i, await cmd.ExecuteScalarAsync());
        }
    }

    [Fact]
    public async Task Batch_of_statements()
    {
        await using var server = new TestServer();
        await using var conn = await server.OpenAsync();
        await using var batch = new NpgsqlBatch(conn)
        {
            BatchCommands = { new("SELECT 1"), new("SELECT 'two'"), new("INSERT INTO t VALUES (1)") },
        };
        await using var reader = await batch.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(1, reader.GetInt32(0));
        Assert.True(await reader.NextResultAsync());
        Assert.True(await reader.ReadAsync());
        Assert.Equal("two", reader.GetString(0));
        Assert.False(await reader.NextResultAsync());
        await reader.CloseAsync();
        Assert.Equal(1, batch.BatchCommands[2].RecordsAffected);
    }

    [Fact]
    public async Task Errors_carry_sqlstate_and_fields_and_the_connection_survives()
    {
        await using var server = new TestServer();
        await using var conn = await server.OpenAsync();
        await using (var cmd = new NpgsqlCommand("SELECT raise('22012', 'division by zero')", conn))
        {
            var e = await Assert.ThrowsAsync<PostgresException>(() => cmd.ExecuteScalarAsync());
            Assert.Equal("22012", e.SqlState);
            Assert.Equal("division by zero", e.MessageText);
            Assert.Equal("some detail", e.Detail);
            Assert.Equal("some hint", e.Hint);
            Assert.Equal(8, e.Position);
            Assert.Equal("ERROR", e.Severity);
        }
        await using (var cmd = new NpgsqlCommand("FROB the database", conn))
        {
            var e = await Assert.ThrowsAsync<PostgresException>(() => cmd.ExecuteScalarAsync());
            Assert.Equal("42601", e.SqlState);
        }
        await using (var cmd = new NpgsqlCommand("SELECT 7", conn))
            Assert.Equal(7, await cmd.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Transaction_status_follows_the_handler()
    {
        await using var server = new TestServer();
        await using var conn = await server.OpenAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await using (var cmd = new NpgsqlCommand("SELECT 1", conn, tx))
            Assert.Equal(1, await cmd.ExecuteScalarAsync());
        await using (var cmd = new NpgsqlCommand("SELECT raise('23505', 'duplicate')", conn, tx))
            await Assert.ThrowsAsync<PostgresException>(() => cmd.ExecuteScalarAsync());
        await using (var cmd = new NpgsqlCommand("SELECT 1", conn, tx))
        {
            var e = await Assert.ThrowsAsync<PostgresException>(() => cmd.ExecuteScalarAsync());
            Assert.Equal("25P02", e.SqlState);
        }
        await tx.RollbackAsync();
        await using (var cmd = new NpgsqlCommand("SELECT 2", conn))
            Assert.Equal(2, await cmd.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Cancel_stops_the_running_statement()
    {
        await using var server = new TestServer();
        await using var conn = await server.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT pg_sleep(30)", conn);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var started = DateTime.UtcNow;
        var e = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cmd.ExecuteScalarAsync(cts.Token));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(15));
        var pg = Assert.IsType<PostgresException>(e.InnerException);
        Assert.Equal("57014", pg.SqlState);
        await using var next = new NpgsqlCommand("SELECT 5", conn);
        Assert.Equal(5, await next.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Cancel_with_a_wrong_key_does_nothing()
    {
        await using var server = new TestServer();
        await using var conn = await server.OpenAsync();
        await using var raw = await RawClient.ConnectAsync(server.Port);
        await raw.SendRawAsync([.. RawClient.BE32(16), .. RawClient.BE32(Protocol.PgProtocol.CancelRequestCode), .. RawClient.BE32(conn.ProcessID), .. RawClient.BE32(12345)]);
        Assert.Null(await raw.ReadAsync()); // closed without a reply
        await using var cmd = new NpgsqlCommand("SELECT pg_sleep(0.3)", conn);
        Assert.Equal("", await cmd.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Scram_sha_256_success_and_wrong_password()
    {
        await using var server = new TestServer(o => o.AuthMethod = PgAuthMethod.ScramSha256);
        await using (var conn = new NpgsqlConnection(server.ConnectionString()))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand("SELECT 1", conn);
            Assert.Equal(1, await cmd.ExecuteScalarAsync());
        }
        await using (var bad = new NpgsqlConnection(server.ConnectionString(password: "wrong")))
        {
            var e = await Assert.ThrowsAsync<PostgresException>(() => bad.OpenAsync());
            Assert.Equal("28P01", e.SqlState);
        }
        await using (var unknown = new NpgsqlConnection(server.ConnectionString(user: "mallory")))
        {
            var e = await Assert.ThrowsAsync<PostgresException>(() => unknown.OpenAsync());
            Assert.Equal("28P01", e.SqlState);
        }
    }

    [Fact]
    public async Task Cleartext_password_auth()
    {
        await using var server = new TestServer(o => o.AuthMethod = PgAuthMethod.CleartextPassword);
        await using (var conn = new NpgsqlConnection(server.ConnectionString()))
            await conn.OpenAsync();
        await using var bad = new NpgsqlConnection(server.ConnectionString(password: "nope"));
        var e = await Assert.ThrowsAsync<PostgresException>(() => bad.OpenAsync());
        Assert.Equal("28P01", e.SqlState);
    }

    [Fact]
    public async Task Backend_can_refuse_a_database()
    {
        await using var server = new TestServer();
        await using var conn = new NpgsqlConnection(server.ConnectionString() + "Database=nodb");
        var e = await Assert.ThrowsAsync<PostgresException>(() => conn.OpenAsync());
        Assert.Equal("3D000", e.SqlState);
    }

    [Fact]
    public async Task Max_connections_gives_53300()
    {
        await using var server = new TestServer(o => o.MaxConnections = 2);
        await using var a = await server.OpenAsync();
        await using var b = await server.OpenAsync();
        await using (var c = new NpgsqlConnection(server.ConnectionString()))
        {
            var e = await Assert.ThrowsAsync<PostgresException>(() => c.OpenAsync());
            Assert.Equal("53300", e.SqlState);
        }
        await a.CloseAsync();
        await WaitForAsync(() => server.Server.SessionCount < 2);
        await using var d = await server.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT 3", d);
        Assert.Equal(3, await cmd.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Notices_and_parameter_status_reach_the_client()
    {
        await using var server = new TestServer();
        await using var conn = await server.OpenAsync("Application Name=first");
        var notices = new List<string>();
        conn.Notice += (_, e) => notices.Add(e.Notice.MessageText);
        await using (var cmd = new NpgsqlCommand("NOTICE 'hello there'", conn))
            await cmd.ExecuteNonQueryAsync();
        Assert.Equal(["hello there"], notices);
        Assert.Equal("first", conn.PostgresParameters["application_name"]);
        await using (var cmd = new NpgsqlCommand("SET application_name = 'second'", conn))
            await cmd.ExecuteNonQueryAsync();
        Assert.Equal("second", conn.PostgresParameters["application_name"]);
    }

    [Fact]
    public async Task Copy_in_and_out_through_npgsql()
    {
        await using var server = new TestServer();
        await using var conn = await server.OpenAsync();
        await using (var writer = await conn.BeginTextImportAsync("COPY things FROM STDIN"))
        {
            for (int i = 0; i < 1000; i++) await writer.WriteLineAsync($"line {i}");
        }
        Assert.Equal(1000, server.Backend.Tables["things"].Count);
        using var reader = await conn.BeginTextExportAsync("COPY things TO STDOUT");
        int n = 0;
        while (await reader.ReadLineAsync() is { } line) Assert.Equal($"line {n++}", line);
        Assert.Equal(1000, n);
    }

    [Fact]
    public async Task Many_concurrent_sessions()
    {
        await using var server = new TestServer();
        var tasks = Enumerable.Range(0, 20).Select(async k =>
        {
            await using var conn = await server.OpenAsync();
            for (int i = 0; i < 20; i++)
            {
                await using var cmd = new NpgsqlCommand("SELECT $1", conn) { Parameters = { new() { Value = k * 1000 + i } } };
                Assert.Equal(k * 1000 + i, await cmd.ExecuteScalarAsync());
            }
        });
        await Task.WhenAll(tasks);
        await WaitForAsync(() => server.Backend.SessionsClosed == 20);
    }

    [Fact]
    public async Task Auto_prepare_uses_named_statements()
    {
        await using var server = new TestServer();
        await using var conn = await server.OpenAsync("Max Auto Prepare=2;Auto Prepare Min Usages=2");
        for (int i = 0; i < 50; i++)
        {
            // three statements competing for two slots: Npgsql prepares, evicts (Close) and re-prepares
            foreach (var sql in new[] { "SELECT 1", "SELECT 'a'", "SELECT 2" })
            {
                await using var cmd = new NpgsqlCommand(sql, conn);
                Assert.NotNull(await cmd.ExecuteScalarAsync());
            }
        }
    }

    [Fact]
    public async Task Client_leaving_mid_result_ends_its_session()
    {
        await using var server = new TestServer();
        await using (var c = await RawClient.StartAsync(server.Port))
        {
            await c.SendAsync('Q', RawClient.CStr("SELECT * FROM rows(1000000)"));
            for (int i = 0; i < 10; i++) Assert.NotNull(await c.ReadAsync());
        } // socket closed mid-result
        await WaitForAsync(() => server.Server.SessionCount == 0 && server.Backend.SessionsClosed == 1);
        Assert.True(Interlocked.Read(ref server.Backend.RowsProduced) < 1_000_000);
    }

    internal static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("condition not reached");
            await Task.Delay(10);
        }
    }
}
