using System.Buffers.Binary;
using System.Text;
using Borealis.PgWire.Protocol;
using static Borealis.PgWire.Tests.RawClient;

namespace Borealis.PgWire.Tests;

/// <summary>Exact message flows, sent byte by byte with a raw client.</summary>
public sealed class RawProtocolTests
{
    private static string Types(IEnumerable<(char Type, byte[] Body)> msgs) => new([.. msgs.Select(m => m.Type)]);

    [Fact]
    public async Task Startup_sends_parameters_key_data_and_ready()
    {
        await using var server = new TestServer();
        await using var c = await ConnectAsync(server.Port);
        await c.SendStartupAsync(PgProtocol.Version30, ("user", "bob"), ("database", "db"), ("application_name", "raw"));
        var msgs = await c.ReadUntilReadyAsync();
        Assert.Equal('R', msgs[0].Type);
        Assert.Equal(0, BinaryPrimitives.ReadInt32BigEndian(msgs[0].Body));
        var ps = msgs.Where(m => m.Type == 'S').Select(m => Encoding.UTF8.GetString(m.Body).Split('\0')).ToDictionary(p => p[0], p => p[1]);
        Assert.Equal("UTF8", ps["server_encoding"]);
        Assert.Equal("UTF8", ps["client_encoding"]);
        Assert.Equal("ISO, MDY", ps["DateStyle"]);
        Assert.Equal("on", ps["integer_datetimes"]);
        Assert.Equal("on", ps["standard_conforming_strings"]);
        Assert.Equal("raw", ps["application_name"]);
        Assert.Equal("bob", ps["session_authorization"]);
        Assert.StartsWith("15.", ps["server_version"]);
        Assert.Equal("on", ps["is_superuser"]);     // handler override
        Assert.Equal("writer", ps["borealis_role"]); // handler addition
        Assert.Equal('K', msgs[^2].Type);
        Assert.Equal(8, msgs[^2].Body.Length);
        Assert.Equal(new byte[] { (byte)'I' }, msgs[^1].Body);
    }

    [Fact]
    public async Task Ssl_and_gssenc_requests_are_declined_without_a_certificate()
    {
        await using var server = new TestServer();
        await using var c = await ConnectAsync(server.Port);
        await c.SendRawAsync([.. BE32(8), .. BE32(PgProtocol.GssEncRequestCode)]);
        Assert.Equal('N', await c.ReadByteAsync());
        await c.SendRawAsync([.. BE32(8), .. BE32(PgProtocol.SslRequestCode)]);
        Assert.Equal('N', await c.ReadByteAsync());
        await c.SendStartupAsync(PgProtocol.Version30, ("user", "bob"));
        var msgs = await c.ReadUntilReadyAsync();
        Assert.Equal('Z', msgs[^1].Type);
    }

    [Fact]
    public async Task Newer_minor_version_and_protocol_options_get_negotiate_protocol_version()
    {
        await using var server = new TestServer();
        await using var c = await ConnectAsync(server.Port);
        await c.SendStartupAsync(PgProtocol.Version30 | 2, ("user", "bob"), ("_pq_.something", "1"));
        var msgs = await c.ReadUntilReadyAsync();
        var v = msgs.Single(m => m.Type == 'v').Body;
        Assert.Equal(0, BinaryPrimitives.ReadInt32BigEndian(v));
        Assert.Equal(1, BinaryPrimitives.ReadInt32BigEndian(v.AsSpan(4)));
        Assert.Equal("_pq_.something\0", Encoding.UTF8.GetString(v, 8, v.Length - 8));
    }

    [Fact]
    public async Task Unsupported_major_version_is_fatal_0A000()
    {
        await using var server = new TestServer();
        await using var c = await ConnectAsync(server.Port);
        await c.SendStartupAsync(2 << 16, ("user", "bob"));
        var msgs = await c.ReadUntilClosedAsync();
        Assert.Equal("0A000", Field(msgs.Single().Body, 'C'));
        Assert.Equal("FATAL", Field(msgs.Single().Body, 'V'));
    }

    [Fact]
    public async Task Missing_user_is_28000()
    {
        await using var server = new TestServer();
        await using var c = await ConnectAsync(server.Port);
        await c.SendStartupAsync(PgProtocol.Version30, ("database", "x"));
        var msgs = await c.ReadUntilClosedAsync();
        Assert.Equal("28000", Field(msgs.Single().Body, 'C'));
    }

    [Fact]
    public async Task Simple_query_with_several_statements_and_empty_query()
    {
        await using var server = new TestServer();
        await using var c = await StartAsync(server.Port);
        await c.SendAsync('Q', CStr("SELECT 1; SELECT 'x'; INSERT INTO t VALUES (1)"));
        var msgs = await c.ReadUntilReadyAsync();
        Assert.Equal("TDCTDCCZ", Types(msgs));
        Assert.Equal("SELECT 1\0", Encoding.UTF8.GetString(msgs[2].Body));
        Assert.Equal("INSERT 0 1\0", Encoding.UTF8.GetString(msgs[6].Body));
        // text format in the row description and the data row
        Assert.Equal(0, BinaryPrimitives.ReadInt16BigEndian(msgs[0].Body.AsSpan(msgs[0].Body.Length - 2)));
        Assert.Equal("1", Encoding.UTF8.GetString(msgs[1].Body, 6, 1));

        await c.SendAsync('Q', CStr("  "));
        Assert.Equal("IZ", Types(await c.ReadUntilReadyAsync()));
    }

    [Fact]
    public async Task Simple_query_error_stops_the_string_and_reports_fields()
    {
        await using var server = new TestServer();
        await using var c = await StartAsync(server.Port);
        await c.SendAsync('Q', CStr("SELECT 1; SELECT raise('42P01', 'no such table'); SELECT 2"));
        var msgs = await c.ReadUntilReadyAsync();
        Assert.Equal("TDCTEZ", Types(msgs)); // RowDescription goes out before execution, as in PostgreSQL
        var e = msgs[4].Body;
        Assert.Equal("ERROR", Field(e, 'S'));
        Assert.Equal("42P01", Field(e, 'C'));
        Assert.Equal("no such table", Field(e, 'M'));
        Assert.Equal("some detail", Field(e, 'D'));
        Assert.Equal("some hint", Field(e, 'H'));
        Assert.Equal("8", Field(e, 'P'));
    }

    [Fact]
    public async Task Transaction_status_in_ready_for_query()
    {
        await using var server = new TestServer();
        await using var c = await StartAsync(server.Port);
        await c.SendAsync('Q', CStr("BEGIN"));
        Assert.Equal((byte)'T', (await c.ReadUntilReadyAsync())[^1].Body[0]);
        await c.SendAsync('Q', CStr("SELECT raise('XX001', 'bad')"));
        Assert.Equal((byte)'E', (await c.ReadUntilReadyAsync())[^1].Body[0]);
        await c.SendAsync('Q', CStr("ROLLBACK"));
        Assert.Equal((byte)'I', (await c.ReadUntilReadyAsync())[^1].Body[0]);
    }

    private static byte[] Parse(string name, string sql, params int[] types) =>
        [.. CStr(name), .. CStr(sql), .. BE16((short)types.Length), .. types.SelectMany(BE32)];

    private static byte[] Bind(string portal, string stmt, short[] paramFormats, byte[]?[] values, short[] resultFormats)
    {
        var b = new List<byte>();
        b.AddRange(CStr(portal));
        b.AddRange(CStr(stmt));
        b.AddRange(BE16((short)paramFormats.Length));
        foreach (var f in paramFormats) b.AddRange(BE16(f));
        b.AddRange(BE16((short)values.Length));
        foreach (var v in values)
        {
            if (v is null) { b.AddRange(BE32(-1)); continue; }
            b.AddRange(BE32(v.Length));
            b.AddRange(v);
        }
        b.AddRange(BE16((short)resultFormats.Length));
        foreach (var f in resultFormats) b.AddRange(BE16(f));
        return [.. b];
    }

    private static byte[] Execute(string portal, int maxRows) => [.. CStr(portal), .. BE32(maxRows)];

    [Fact]
    public async Task Execute_with_row_limit_suspends_the_portal()
    {
        await using var server = new TestServer();
        await using var c = await StartAsync(server.Port);
        await c.SendAsync('P', Parse("s1", "SELECT * FROM rows(7)"));
        await c.SendAsync('B', Bind("p1", "s1", [], [], [1]));
        await c.SendAsync('D', [(byte)'P', .. CStr("p1")]);
        await c.SendAsync('E', Execute("p1", 3));
        await c.SendAsync('E', Execute("p1", 3));
        await c.SendAsync('E', Execute("p1", 3));
        await c.SendAsync('S');
        var msgs = await c.ReadUntilReadyAsync();
        Assert.Equal("12TDDDsDDDsDCZ", Types(msgs));
        Assert.Equal("SELECT 1\0", Encoding.UTF8.GetString(msgs[^2].Body));
        // binary int4 in the first column of the first row: length 4, value 0
        var row = msgs[3].Body;
        Assert.Equal(10, BinaryPrimitives.ReadInt16BigEndian(row));
        Assert.Equal(4, BinaryPrimitives.ReadInt32BigEndian(row.AsSpan(2)));
        Assert.Equal(0, BinaryPrimitives.ReadInt32BigEndian(row.AsSpan(6)));
    }

    [Fact]
    public async Task Describe_statement_gives_parameter_and_row_description()
    {
        await using var server = new TestServer();
        await using var c = await StartAsync(server.Port);
        await c.SendAsync('P', Parse("", "SELECT $1, $2", 23, 0));
        await c.SendAsync('D', [(byte)'S', .. CStr("")]);
        await c.SendAsync('P', Parse("ins", "INSERT INTO t VALUES (1)"));
        await c.SendAsync('D', [(byte)'S', .. CStr("ins")]);
        await c.SendAsync('S');
        var msgs = await c.ReadUntilReadyAsync();
        Assert.Equal("1tT1tnZ", Types(msgs));
        var t = msgs[1].Body;
        Assert.Equal(2, BinaryPrimitives.ReadInt16BigEndian(t));
        Assert.Equal(23, BinaryPrimitives.ReadInt32BigEndian(t.AsSpan(2)));
        Assert.Equal(25, BinaryPrimitives.ReadInt32BigEndian(t.AsSpan(6)));
    }

    [Fact]
    public async Task Text_and_binary_parameters_and_null()
    {
        await using var server = new TestServer();
        await using var c = await StartAsync(server.Port);
        await c.SendAsync('P', Parse("", "SELECT $1, $2, $3", 23, 20, 25));
        await c.SendAsync('B', Bind("", "", [0, 1, 0], [Encoding.ASCII.GetBytes("123"), BE64(-5), null], [0]));
        await c.SendAsync('E', Execute("", 0));
        await c.SendAsync('S');
        var msgs = await c.ReadUntilReadyAsync();
        Assert.Equal("12DCZ", Types(msgs));
        var row = msgs[2].Body;
        Assert.Equal(3, BinaryPrimitives.ReadInt16BigEndian(row));
        Assert.Equal("123", Encoding.ASCII.GetString(row, 6, BinaryPrimitives.ReadInt32BigEndian(row.AsSpan(2))));
        Assert.Equal("-5", Encoding.ASCII.GetString(row, 13, 2));
        Assert.Equal(-1, BinaryPrimitives.ReadInt32BigEndian(row.AsSpan(15)));
    }

    private static byte[] BE64(long v) { var b = new byte[8]; BinaryPrimitives.WriteInt64BigEndian(b, v); return b; }

    [Fact]
    public async Task Error_in_extended_protocol_skips_to_sync()
    {
        await using var server = new TestServer();
        await using var c = await StartAsync(server.Port);
        await c.SendAsync('B', Bind("", "missing", [], [], []));
        await c.SendAsync('E', Execute("", 0));
        await c.SendAsync('P', Parse("", "SELECT 1"));
        await c.SendAsync('S');
        var msgs = await c.ReadUntilReadyAsync();
        Assert.Equal("EZ", Types(msgs));
        Assert.Equal("26000", Field(msgs[0].Body, 'C'));
        // and the session works after the Sync
        await c.SendAsync('P', Parse("", "SELECT 1"));
        await c.SendAsync('B', Bind("", "", [], [], []));
        await c.SendAsync('E', Execute("", 0));
        await c.SendAsync('S');
        Assert.Equal("12DCZ", Types(await c.ReadUntilReadyAsync()));
    }

    [Fact]
    public async Task Wrong_parameter_count_and_duplicate_statement()
    {
        await using var server = new TestServer();
        await using var c = await StartAsync(server.Port);
        await c.SendAsync('P', Parse("a", "SELECT $1", 23));
        await c.SendAsync('B', Bind("", "a", [], [], []));
        await c.SendAsync('S');
        var msgs = await c.ReadUntilReadyAsync();
        Assert.Equal("1EZ", Types(msgs));
        Assert.Equal("08P01", Field(msgs[1].Body, 'C'));
        await c.SendAsync('P', Parse("a", "SELECT 1"));
        await c.SendAsync('S');
        msgs = await c.ReadUntilReadyAsync();
        Assert.Equal("42P05", Field(msgs[0].Body, 'C'));
        await c.SendAsync('C', [(byte)'S', .. CStr("a")]);
        await c.SendAsync('P', Parse("a", "SELECT 1"));
        await c.SendAsync('S');
        Assert.Equal("31Z", Types(await c.ReadUntilReadyAsync()));
    }

    [Fact]
    public async Task Empty_statement_in_extended_protocol()
    {
        await using var server = new TestServer();
        await using var c = await StartAsync(server.Port);
        await c.SendAsync('P', Parse("", ""));
        await c.SendAsync('B', Bind("", "", [], [], []));
        await c.SendAsync('D', [(byte)'P', .. CStr("")]);
        await c.SendAsync('E', Execute("", 0));
        await c.SendAsync('S');
        Assert.Equal("12nIZ", Types(await c.ReadUntilReadyAsync()));
    }

    [Fact]
    public async Task Flush_sends_pending_results_without_sync()
    {
        await using var server = new TestServer();
        await using var c = await StartAsync(server.Port);
        await c.SendAsync('P', Parse("", "SELECT 1"));
        await c.SendAsync('H');
        var m = await c.ReadAsync();
        Assert.Equal('1', m!.Value.Type);
    }

    [Fact]
    public async Task Function_call_is_refused_with_a_clear_error()
    {
        await using var server = new TestServer();
        await using var c = await StartAsync(server.Port);
        await c.SendAsync('F', BE32(1234), BE16(0), BE16(0), BE16(0));
        var msgs = await c.ReadUntilReadyAsync();
        Assert.Equal("EZ", Types(msgs));
        Assert.Equal("0A000", Field(msgs[0].Body, 'C'));
    }

    [Fact]
    public async Task Copy_in_and_copy_fail()
    {
        await using var server = new TestServer();
        await using var c = await StartAsync(server.Port);
        await c.SendAsync('Q', CStr("COPY t FROM STDIN"));
        var g = await c.ReadAsync();
        Assert.Equal('G', g!.Value.Type);
        await c.SendAsync('d', Encoding.UTF8.GetBytes("a\nb\n"));
        await c.SendAsync('d', Encoding.UTF8.GetBytes("c\n"));
        await c.SendAsync('c');
        var msgs = await c.ReadUntilReadyAsync();
        Assert.Equal("CZ", Types(msgs));
        Assert.Equal("COPY 3\0", Encoding.UTF8.GetString(msgs[0].Body));

        await c.SendAsync('Q', CStr("COPY t FROM STDIN"));
        Assert.Equal('G', (await c.ReadAsync())!.Value.Type);
        await c.SendAsync('d', Encoding.UTF8.GetBytes("x\n"));
        await c.SendAsync('f', CStr("client gave up"));
        msgs = await c.ReadUntilReadyAsync();
        Assert.Equal("EZ", Types(msgs));
        Assert.Equal("57014", Field(msgs[0].Body, 'C'));
        Assert.Equal(3, server.Backend.Tables["t"].Count);

        await c.SendAsync('Q', CStr("COPY t TO STDOUT"));
        msgs = await c.ReadUntilReadyAsync();
        Assert.Equal("HdddcCZ", Types(msgs));
    }

    [Fact]
    public async Task Fatal_error_from_the_handler_is_delivered_and_closes()
    {
        await using var server = new TestServer();
        await using var c = await StartAsync(server.Port);
        await c.SendAsync('Q', CStr("SELECT terminate()"));
        var msgs = await c.ReadUntilClosedAsync();
        var e = Assert.Single(msgs);
        Assert.Equal("FATAL", Field(e.Body, 'V'));
        Assert.Equal("57P01", Field(e.Body, 'C'));
        await NpgsqlTests.WaitForAsync(() => server.Server.SessionCount == 0);
    }

    [Fact]
    public async Task A_client_that_does_not_read_holds_back_the_producer()
    {
        await using var server = new TestServer();
        await using var c = await StartAsync(server.Port);
        await c.SendAsync('Q', CStr("SELECT * FROM rows(2000000)")); // ~250 MB of DataRows
        await Task.Delay(1500);
        long produced = Interlocked.Read(ref server.Backend.RowsProduced);
        // Kernel socket buffers plus the 1 MiB output pipe plus one 32 KiB batch: far from all rows.
        Assert.InRange(produced, 1, 200_000);
        await Task.Delay(500);
        Assert.InRange(Interlocked.Read(ref server.Backend.RowsProduced) - produced, 0, 1000);
    }

    [Fact]
    public async Task Startup_timeout_drops_silent_connections()
    {
        await using var server = new TestServer(o => o.StartupTimeout = TimeSpan.FromMilliseconds(300));
        await using var c = await ConnectAsync(server.Port);
        var started = DateTime.UtcNow;
        Assert.Empty(await c.ReadUntilClosedAsync());
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(8));
    }

    [Fact]
    public async Task Terminate_closes_the_connection()
    {
        await using var server = new TestServer();
        await using var c = await StartAsync(server.Port);
        await c.SendAsync('X');
        Assert.Empty(await c.ReadUntilClosedAsync());
        await NpgsqlTests.WaitForAsync(() => server.Backend.SessionsClosed == 1);
    }
}
