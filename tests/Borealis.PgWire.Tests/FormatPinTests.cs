using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Text;
using Borealis.PgWire.Backend;
using Borealis.PgWire.Protocol;
using Borealis.PgWire.Types;

namespace Borealis.PgWire.Tests;

/// <summary>Pins the wire constants and encodings: clients hard-code these, so they may only change deliberately.</summary>
public sealed class FormatPinTests
{
    [Fact]
    public void Protocol_codes()
    {
        Assert.Equal(196608, PgProtocol.Version30);
        Assert.Equal(80877103, PgProtocol.SslRequestCode);
        Assert.Equal(80877102, PgProtocol.CancelRequestCode);
        Assert.Equal(80877104, PgProtocol.GssEncRequestCode);
        Assert.Equal(5, PgProtocol.HeaderSize);
        Assert.Equal(10000, PgProtocol.MaxStartupPacketLength);
        Assert.Equal(0x3FFF_FFFE, PgProtocol.LargeMessageLimit);
        Assert.Equal("BCdcDEHFPpQSXf", Encoding.ASCII.GetString([FrontendCode.Bind, FrontendCode.Close, FrontendCode.CopyData, FrontendCode.CopyDone,
            FrontendCode.Describe, FrontendCode.Execute, FrontendCode.Flush, FrontendCode.FunctionCall, FrontendCode.Parse, FrontendCode.Password,
            FrontendCode.Query, FrontendCode.Sync, FrontendCode.Terminate, FrontendCode.CopyFail]));
        Assert.Equal("RK23CdcGHDIEvnNtS1sZT", Encoding.ASCII.GetString([BackendCode.Authentication, BackendCode.BackendKeyData, BackendCode.BindComplete,
            BackendCode.CloseComplete, BackendCode.CommandComplete, BackendCode.CopyData, BackendCode.CopyDone, BackendCode.CopyInResponse,
            BackendCode.CopyOutResponse, BackendCode.DataRow, BackendCode.EmptyQueryResponse, BackendCode.ErrorResponse, BackendCode.NegotiateProtocolVersion,
            BackendCode.NoData, BackendCode.NoticeResponse, BackendCode.ParameterDescription, BackendCode.ParameterStatus, BackendCode.ParseComplete,
            BackendCode.PortalSuspended, BackendCode.ReadyForQuery, BackendCode.RowDescription]));
        Assert.Equal([0, 3, 5, 10, 11, 12], Enum.GetValues<AuthenticationCode>().Select(v => (int)v));
        Assert.Equal("ITE", Encoding.ASCII.GetString([(byte)PgTransactionStatus.Idle, (byte)PgTransactionStatus.InTransaction, (byte)PgTransactionStatus.Failed]));
        Assert.Equal(0, (int)PgFormat.Text);
        Assert.Equal(1, (int)PgFormat.Binary);
    }

    [Fact]
    public void Type_oids()
    {
        (uint Oid, uint Expected)[] pins =
        [
            (PgOid.Bool, 16), (PgOid.Bytea, 17), (PgOid.Char, 18), (PgOid.Name, 19), (PgOid.Int8, 20), (PgOid.Int2, 21), (PgOid.Int4, 23),
            (PgOid.Text, 25), (PgOid.Oid, 26), (PgOid.Json, 114), (PgOid.Float4, 700), (PgOid.Float8, 701), (PgOid.Unknown, 705),
            (PgOid.Bpchar, 1042), (PgOid.Varchar, 1043), (PgOid.Date, 1082), (PgOid.Time, 1083), (PgOid.Timestamp, 1114),
            (PgOid.Timestamptz, 1184), (PgOid.Interval, 1186), (PgOid.Numeric, 1700), (PgOid.Uuid, 2950), (PgOid.Jsonb, 3802),
            (PgOid.Int4Array, 1007), (PgOid.TextArray, 1009), (PgOid.Void, 2278), (PgOid.Record, 2249),
        ];
        foreach (var (oid, expected) in pins) Assert.Equal(expected, oid);
        Assert.Equal(4, PgOid.TypeSize(PgOid.Int4));
        Assert.Equal(-1, PgOid.TypeSize(PgOid.Text));
        Assert.Equal(16, PgOid.TypeSize(PgOid.Uuid));
    }

    [Theory]
    [InlineData("12345.6789", "0003 0001 0000 0004 0001 0929 1a85")]
    [InlineData("0.5", "0001 ffff 0000 0001 1388")]
    [InlineData("-3.00", "0001 0000 4000 0002 0003")]
    [InlineData("0", "0000 0000 0000 0000")]
    [InlineData("100000000", "0001 0002 0000 0000 0001")]
    [InlineData("0.0001", "0001 ffff 0000 0004 0001")]
    public void Numeric_binary_matches_postgresql(string value, string hex)
    {
        decimal d = decimal.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
        Span<byte> buf = stackalloc byte[PgCodec.MaxDecimalBinary];
        int n = PgCodec.WriteNumericBinary(d, buf);
        Assert.Equal(hex.Replace(" ", "", StringComparison.Ordinal), Convert.ToHexStringLower(buf[..n]));
        Assert.True(PgCodec.TryReadNumericBinary(buf[..n], out decimal back));
        Assert.Equal(d, back);
        Assert.Equal(value, back.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Text_formats_match_postgresql()
    {
        Span<byte> b = stackalloc byte[64];
        string F(int n, Span<byte> s) => Encoding.UTF8.GetString(s[..n]);
        Assert.Equal("2024-05-06 07:08:09.123+00", F(PgCodec.FormatTimestamp(new DateTime(2024, 5, 6, 7, 8, 9, 123, DateTimeKind.Utc), true, b), b));
        Assert.Equal("2024-05-06 07:08:09", F(PgCodec.FormatTimestamp(new DateTime(2024, 5, 6, 7, 8, 9), false, b), b));
        Assert.Equal("2000-01-01 00:00:00.000001", F(PgCodec.FormatTimestamp(PgCodec.PgEpoch.AddTicks(10), false, b), b));
        Assert.Equal("infinity", F(PgCodec.FormatTimestamp(DateTime.MaxValue, true, b), b));
        Assert.Equal("1e+20", F(PgCodec.FormatFloat8(1e20, b), b));
        Assert.Equal("0.1", F(PgCodec.FormatFloat8(0.1, b), b));
        Assert.Equal("-Infinity", F(PgCodec.FormatFloat8(double.NegativeInfinity, b), b));
        Assert.Equal("NaN", F(PgCodec.FormatFloat8(double.NaN, b), b));
        Assert.Equal("\\x00ff10", F(PgCodec.FormatByteaHex([0, 255, 16], b), b));
        Assert.Equal("1999-12-31", F(PgCodec.FormatDate(new DateOnly(1999, 12, 31), b), b));
    }

    [Fact]
    public void Text_parsers()
    {
        Assert.True(PgCodec.TryParseTimestamp("2024-05-06 07:08:09.5+02"u8, out var t));
        Assert.Equal(new DateTime(2024, 5, 6, 5, 8, 9, 500, DateTimeKind.Utc), t);
        Assert.True(PgCodec.TryParseTimestamp("2024-05-06T07:08:09Z"u8, out t));
        Assert.Equal(new DateTime(2024, 5, 6, 7, 8, 9, DateTimeKind.Utc), t);
        Assert.True(PgCodec.TryParseTimestamp("2024-05-06 07:08:09-03:30"u8, out t));
        Assert.Equal(new DateTime(2024, 5, 6, 10, 38, 9, DateTimeKind.Utc), t);
        Assert.False(PgCodec.TryParseTimestamp("2024-13-06 07:08:09"u8, out _));
        Assert.True(PgCodec.TryParseBytea("\\x0aFF"u8, out var bytes));
        Assert.Equal(new byte[] { 10, 255 }, bytes);
        Assert.True(PgCodec.TryParseBytea("a\\\\b\\001"u8, out bytes));
        Assert.Equal(new byte[] { (byte)'a', (byte)'\\', (byte)'b', 1 }, bytes);
        Assert.True(PgCodec.TryParseBool(" YES "u8, out bool yes) && yes);
        Assert.True(PgCodec.TryParseBool("off"u8, out bool off) && !off);
        Assert.False(PgCodec.TryParseBool("maybe"u8, out _));
    }

    [Fact]
    public async Task Messages_are_written_length_first()
    {
        var pipe = new Pipe();
        var output = new PgOutput(pipe.Writer);
        output.WriteReadyForQuery(PgTransactionStatus.Idle);
        output.WriteCommandComplete("INSERT", 3);
        output.WriteError(new PgError("22012", "boom") { Position = 7 });
        output.WriteRowDescription([new PgColumn("a", PgOid.Int4)], [0, 1]);
        await output.FlushAsync();
        await pipe.Writer.CompleteAsync();
        var r = await pipe.Reader.ReadAsync();
        var bytes = System.Buffers.BuffersExtensions.ToArray(r.Buffer);
        string hex = Convert.ToHexStringLower(bytes);
        Assert.StartsWith("5a0000000549" + "430000000f" + Convert.ToHexStringLower("INSERT 0 3\0"u8), hex, StringComparison.Ordinal);
        int errStart = 6 + 16;
        Assert.Equal((byte)'E', bytes[errStart]);
        int errLen = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(errStart + 1));
        Assert.Equal("SERROR\0VERROR\0C22012\0Mboom\0P7\0\0", Encoding.ASCII.GetString(bytes, errStart + 5, errLen - 4));
        int rd = errStart + 1 + errLen;
        Assert.Equal((byte)'T', bytes[rd]);
        // name "a\0", table 0, attnum 0, type 23, size 4, typmod -1, format 1
        Assert.Equal("0001" + "6100" + "00000000" + "0000" + "00000017" + "0004" + "ffffffff" + "0001", Convert.ToHexStringLower(bytes.AsSpan(rd + 5)));
    }
}
