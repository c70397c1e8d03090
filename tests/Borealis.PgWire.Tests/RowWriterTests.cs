using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using Borealis.PgWire.Backend;
using Borealis.PgWire.Protocol;
using Borealis.PgWire.Types;
using Npgsql;

namespace Borealis.PgWire.Tests;

public sealed class RowWriterTests
{
    private static readonly PgColumn[] Columns =
    [
        new("i", PgOid.Int4), new("t", PgOid.Text), new("b", PgOid.Int8), new("f", PgOid.Float8), new("o", PgOid.Bool),
        new("n", PgOid.Numeric), new("ts", PgOid.Timestamptz), new("d", PgOid.Date), new("u", PgOid.Uuid), new("y", PgOid.Bytea),
    ];

    [Theory]
    [InlineData(PgFormat.Text)]
    [InlineData(PgFormat.Binary)]
    public void Writing_rows_allocates_nothing(PgFormat format)
    {
        var output = new PgOutput(new Pipe().Writer);
        var rows = new PgRowWriter(output);
        byte[] formats = new byte[2];
        BinaryPrimitives.WriteInt16BigEndian(formats, (short)format);
        rows.Configure(Columns, formats);
        WriteRows(rows, 2000); // warm up: buffer growth, JIT
        output.Discard();
        rows.Configure(Columns, formats);
        long before = GC.GetAllocatedBytesForCurrentThread();
        WriteRows(rows, 2000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.Discard();
        Assert.Equal(0, allocated);
        Assert.Equal(2000, rows.RowsWritten);
    }

    private static void WriteRows(PgRowWriter rows, int n)
    {
        for (int i = 0; i < n; i++) TestBackend.WriteRowNoAlloc(rows, i);
    }

    [Fact]
    public void Wrong_column_count_is_a_handler_bug()
    {
        var output = new PgOutput(new Pipe().Writer);
        var rows = new PgRowWriter(output);
        rows.Configure([new("a", PgOid.Int4)], default);
        rows.BeginRow();
        Assert.Throws<InvalidOperationException>(() => rows.EndRow());
        rows.WriteInt32(1);
        Assert.Throws<InvalidOperationException>(() => rows.WriteInt32(2));
        rows.EndRow();
        output.Discard();
    }

    [Fact]
    public void Binary_string_into_an_int_column_is_refused()
    {
        var output = new PgOutput(new Pipe().Writer);
        var rows = new PgRowWriter(output);
        rows.Configure([new("a", PgOid.Int4)], [0, 1]);
        rows.BeginRow();
        Assert.Throws<InvalidOperationException>(() => rows.WriteText("12"));
        output.Discard();
    }

    [Fact]
    public async Task Server_shutdown_interrupts_a_running_statement_with_57P01()
    {
        var server = new TestServer();
        await using var c = await RawClient.StartAsync(server.Port);
        await c.SendAsync('Q', RawClient.CStr("SELECT pg_sleep(60)"));
        await Task.Delay(200);
        var started = DateTime.UtcNow;
        await server.DisposeAsync();
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(8));
        var msgs = await c.ReadUntilClosedAsync();
        var e = Assert.Single(msgs, m => m.Type == 'E');
        Assert.Equal("57P01", RawClient.Field(e.Body, 'C'));
    }

    [Fact]
    public async Task Server_shutdown_tells_sessions_57P01()
    {
        var server = new TestServer();
        await using var conn = await server.OpenAsync();
        await server.DisposeAsync();
        await using var cmd = new NpgsqlCommand("SELECT 1", conn);
        var e = await Assert.ThrowsAnyAsync<Exception>(() => cmd.ExecuteScalarAsync());
        if (e is PostgresException pg) Assert.Equal("57P01", pg.SqlState);
        else Assert.IsAssignableFrom<NpgsqlException>(e);
    }
}
