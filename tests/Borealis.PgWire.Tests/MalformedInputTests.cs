using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Text;
using Borealis.PgWire.Protocol;
using Borealis.PgWire.Types;
using Npgsql;
using Xunit.Abstractions;
using static Borealis.PgWire.Tests.RawClient;

namespace Borealis.PgWire.Tests;

/// <summary>
/// Protocol violations and random input: always FATAL 08P01 and a closed connection, never a crash
/// and never an effect on other sessions. Random tests print their seed; set PGWIRE_FUZZ_SEED to replay.
/// </summary>
public sealed class MalformedInputTests(ITestOutputHelper output)
{
    private static int Seed(ITestOutputHelper output, string name)
    {
        int seed = int.TryParse(Environment.GetEnvironmentVariable("PGWIRE_FUZZ_SEED"), out int s) ? s : Random.Shared.Next();
        output.WriteLine($"{name}: seed {seed} (replay with PGWIRE_FUZZ_SEED={seed})");
        return seed;
    }

    private static async Task AssertFatalProtocolViolation(RawClient c)
    {
        var msgs = await c.ReadUntilClosedAsync();
        var e = Assert.Single(msgs, m => m.Type == 'E');
        Assert.Equal("08P01", Field(e.Body, 'C'));
        Assert.Equal("FATAL", Field(e.Body, 'V'));
    }

    public static TheoryData<string, byte[]> Violations => new()
    {
        { "negative length", [(byte)'Q', .. BE32(-1)] },
        { "length below 4", [(byte)'Q', .. BE32(3)] },
        { "length over 1 GB", [(byte)'Q', .. BE32(0x4000_0000)] },
        { "int.MaxValue length", [(byte)'P', .. BE32(int.MaxValue)] },
        { "oversized Sync", [(byte)'S', .. BE32(100_000)] },
        { "unknown message type", [(byte)'z', .. BE32(4)] },
        { "password message after startup", [(byte)'p', .. BE32(5), 0] },
        { "truncated Bind", [(byte)'B', .. BE32(6), 0, 0] },
        { "Bind with bad format code", [(byte)'B', .. BE32(4 + 2 + 2 + 2 + 2 + 2), 0, 0, 0, 1, 0, 7, 0, 0, 0, 0] },
        { "Bind with negative value length", [(byte)'B', .. BE32(4 + 2 + 2 + 2 + 4 + 2), 0, 0, 0, 0, 0, 1, .. BE32(-2), 0, 0] },
        { "Describe with bad kind", [(byte)'D', .. BE32(6), (byte)'Q', 0] },
        { "Execute without terminator", [(byte)'E', .. BE32(8), (byte)'a', (byte)'b', (byte)'c', (byte)'d'] },
        { "Query without terminator", [(byte)'Q', .. BE32(7), (byte)'a', (byte)'b', (byte)'c'] },
        { "Parse with negative parameter count", [(byte)'P', .. BE32(4 + 1 + 1 + 2), 0, 0, 0xFF, 0xFF] },
    };

    [Theory]
    [MemberData(nameof(Violations))]
    public async Task Violation_is_fatal_08P01_and_other_sessions_continue(string what, byte[] bytes)
    {
        output.WriteLine(what);
        await using var server = new TestServer();
        await using var bystander = await server.OpenAsync();
        await using (var c = await StartAsync(server.Port))
        {
            await c.SendRawAsync(bytes);
            await AssertFatalProtocolViolation(c);
        }
        await using var cmd = new NpgsqlCommand("SELECT 11", bystander);
        Assert.Equal(11, await cmd.ExecuteScalarAsync());
    }

    [Theory]
    [InlineData(3)]
    [InlineData(-5)]
    [InlineData(20_000)]
    public async Task Bad_startup_packet_length(int length)
    {
        await using var server = new TestServer();
        await using var c = await ConnectAsync(server.Port);
        await c.SendRawAsync([.. BE32(length), .. BE32(PgProtocol.Version30)]);
        await AssertFatalProtocolViolation(c);
    }

    [Fact]
    public async Task Random_bytes_after_startup_never_hurt_the_server()
    {
        int seed = Seed(output, nameof(Random_bytes_after_startup_never_hurt_the_server));
        var rnd = new Random(seed);
        await using var server = new TestServer();
        await using var bystander = await server.OpenAsync();
        byte[] types = "QPBDECSHFXdcfpz\0\xff"u8.ToArray();
        for (int iter = 0; iter < 40; iter++)
        {
            await using var c = await StartAsync(server.Port);
            var garbage = new List<byte>();
            int messages = rnd.Next(1, 6);
            for (int m = 0; m < messages; m++)
            {
                byte type = types[rnd.Next(types.Length)];
                var body = new byte[rnd.Next(0, 40)];
                rnd.NextBytes(body);
                int declared = rnd.Next(4) == 0 ? rnd.Next(int.MinValue, int.MaxValue) : body.Length + 4;
                garbage.Add(type);
                garbage.AddRange(BE32(declared));
                garbage.AddRange(body);
            }
            await c.SendRawAsync([.. garbage]);
            c.ShutdownSend();
            var msgs = await c.ReadUntilClosedAsync();
            foreach (var e in msgs.Where(x => x.Type == 'E' && Field(x.Body, 'V') == "FATAL"))
                Assert.Equal("08P01", Field(e.Body, 'C'));
        }
        await using var cmd = new NpgsqlCommand("SELECT 12", bystander);
        Assert.Equal(12, await cmd.ExecuteScalarAsync());
        await NpgsqlTests.WaitForAsync(() => server.Server.ConnectionCount == 1);
    }

    [Fact]
    public async Task Random_startup_packets_never_hurt_the_server()
    {
        int seed = Seed(output, nameof(Random_startup_packets_never_hurt_the_server));
        var rnd = new Random(seed);
        await using var server = new TestServer();
        for (int iter = 0; iter < 40; iter++)
        {
            await using var c = await ConnectAsync(server.Port);
            var body = new byte[rnd.Next(0, 64)];
            rnd.NextBytes(body);
            if (rnd.Next(2) == 0 && body.Length >= 4) BinaryPrimitives.WriteInt32BigEndian(body, PgProtocol.Version30);
            await c.SendRawAsync([.. BE32(rnd.Next(3) == 0 ? rnd.Next() : body.Length + 4), .. body]);
            c.ShutdownSend();
            _ = await c.ReadUntilClosedAsync().WaitAsync(TimeSpan.FromSeconds(15)).ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : [], TaskScheduler.Default);
        }
        await using var conn = await server.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT 13", conn);
        Assert.Equal(13, await cmd.ExecuteScalarAsync());
    }

    /// <summary>In-process decoder fuzz: random and mutated-valid bodies through every decoder; none may throw.</summary>
    [Fact]
    public void Decoders_never_throw_on_random_input()
    {
        int seed = Seed(output, nameof(Decoders_never_throw_on_random_input));
        var rnd = new Random(seed);
        byte[][] valid =
        [
            [.. CStr("s"), .. CStr("SELECT $1"), .. BE16(1), .. BE32(23)],
            [.. CStr("p"), .. CStr("s"), .. BE16(1), .. BE16(1), .. BE16(2), .. BE32(4), 0, 0, 0, 1, .. BE32(-1), .. BE16(1), .. BE16(1)],
            [(byte)'S', .. CStr("name")],
            [.. CStr("portal"), .. BE32(10)],
            [.. BE32(PgProtocol.Version30), .. CStr("user"), .. CStr("u"), 0],
            [0, 3, 0, 1, 0x40, 0, 0, 4, 0, 12, 0, 34, 0x13, 0x88],
        ];
        for (int i = 0; i < 50_000; i++)
        {
            byte[] body;
            if (rnd.Next(2) == 0)
            {
                body = new byte[rnd.Next(0, 48)];
                rnd.NextBytes(body);
            }
            else
            {
                body = (byte[])valid[rnd.Next(valid.Length)].Clone();
                int flips = rnd.Next(1, 4);
                for (int f = 0; f < flips && body.Length > 0; f++) body[rnd.Next(body.Length)] = (byte)rnd.Next(256);
                if (rnd.Next(4) == 0) body = body[..rnd.Next(body.Length + 1)];
            }
            FrontendMessages.TryDecodeParse(body, out _);
            FrontendMessages.TryDecodeBind(body, out _);
            FrontendMessages.TryDecodeTarget(body, out _);
            FrontendMessages.TryDecodeExecute(body, out _);
            FrontendMessages.TryDecodeQuery(body, out _);
            FrontendMessages.TryDecodeCopyFail(body, out _);
            StartupParameters.TryDecode(PgProtocol.Version30, body, out _);
            PgCodec.TryReadNumericBinary(body, out _);
            PgCodec.TryParseTimestamp(body, out _);
            PgCodec.TryParseDate(body, out _);
            PgCodec.TryParseBytea(body, out _);
            PgCodec.TryParseBool(body, out _);
            PgCodec.TryParseUuid(body, out _);
            PgCodec.TryParseInt64(body, out _);
            PgCodec.TryParseFloat8(body, out _);
            if (body.Length >= 5) MessageInput.CheckHeader(body, startup: rnd.Next(2) == 0, PgProtocol.LargeMessageLimit, out _, out _);
        }
    }

    [Fact]
    public async Task Message_input_frames_random_streams_without_throwing()
    {
        int seed = Seed(output, nameof(Message_input_frames_random_streams_without_throwing));
        var rnd = new Random(seed);
        for (int i = 0; i < 500; i++)
        {
            var pipe = new Pipe();
            var bytes = new byte[rnd.Next(0, 200)];
            rnd.NextBytes(bytes);
            // write in random chunks, then complete
            int pos = 0;
            while (pos < bytes.Length)
            {
                int n = Math.Min(bytes.Length - pos, rnd.Next(1, 17));
                await pipe.Writer.WriteAsync(bytes.AsMemory(pos, n));
                pos += n;
            }
            await pipe.Writer.CompleteAsync();
            var input = new MessageInput(pipe.Reader);
            bool startup = rnd.Next(2) == 0;
            for (int m = 0; m < 100; m++)
            {
                var status = await input.ReadAsync(startup, 1 << 20, CancellationToken.None);
                if (status != ReadStatus.Ok) break;
                Assert.Equal(input.DeclaredLength - 4, input.Body.Length);
                startup = false;
            }
            input.ReleaseBuffer();
        }
    }

    [Fact]
    public async Task Large_message_arrives_in_pieces()
    {
        var pipe = new Pipe();
        var input = new MessageInput(pipe.Reader);
        var body = new byte[5 * 1024 * 1024];
        new Random(1).NextBytes(body);
        var writer = Task.Run(async () =>
        {
            byte[] header = [(byte)'d', .. BE32(body.Length + 4)];
            await pipe.Writer.WriteAsync(header);
            for (int off = 0; off < body.Length; off += 100_000)
                await pipe.Writer.WriteAsync(body.AsMemory(off, Math.Min(100_000, body.Length - off)));
            await pipe.Writer.CompleteAsync();
        });
        Assert.Equal(ReadStatus.Ok, await input.ReadAsync(false, PgProtocol.LargeMessageLimit, CancellationToken.None));
        Assert.True(input.Body.Span.SequenceEqual(body));
        await writer;
        Assert.Equal(ReadStatus.EndOfStream, await input.ReadAsync(false, PgProtocol.LargeMessageLimit, CancellationToken.None));
    }

    [Fact]
    public async Task Big_query_over_the_network()
    {
        await using var server = new TestServer();
        await using var c = await StartAsync(server.Port);
        string text = new('x', 3 * 1024 * 1024);
        await c.SendAsync('Q', Encoding.UTF8.GetBytes($"SELECT '{text}'\0"));
        var msgs = await c.ReadUntilReadyAsync();
        Assert.Equal("TDCZ", new string([.. msgs.Select(m => m.Type)]));
        Assert.Equal(text.Length + 6, msgs[1].Body.Length);
    }
}
