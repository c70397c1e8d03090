using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Borealis.PgWire.Auth;
using Borealis.PgWire.Protocol;
using Borealis.PgWire.Server;
using Npgsql;

namespace Borealis.PgWire.Tests;

/// <summary>A PgServer on 127.0.0.1 with a free port, serving a <see cref="TestBackend"/>.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    public const string User = "alice";
    public const string Password = "s3cret-pässword";

    public TestServer(Action<PgServerOptions>? configure = null)
    {
        Credentials.SetPassword(User, Password);
        var options = new PgServerOptions { EndPoint = new IPEndPoint(IPAddress.Loopback, 0), Credentials = Credentials };
        configure?.Invoke(options);
        Server = new PgServer(options, Backend);
        Server.Start();
    }

    public TestBackend Backend { get; } = new();
    public InMemoryCredentialStore Credentials { get; } = new();
    public PgServer Server { get; }
    public int Port => Server.LocalEndPoint.Port;

    public string ConnectionString(string? extra = null, string user = User, string password = Password) =>
        $"Host=127.0.0.1;Port={Port};Username={user};Password={password};Database=test;Pooling=false;" +
        $"Server Compatibility Mode=NoTypeLoading;Timeout=10;Command Timeout=30;SSL Mode=Disable;Include Error Detail=true;{extra}";

    public async Task<NpgsqlConnection> OpenAsync(string? extra = null)
    {
        var conn = new NpgsqlConnection(ConnectionString(extra));
        await conn.OpenAsync();
        return conn;
    }

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}

/// <summary>A raw protocol client for tests that need exact messages (row limits, malformed input).</summary>
internal sealed class RawClient : IAsyncDisposable
{
    private readonly TcpClient _tcp = new();
    private NetworkStream _stream = null!;

    public static async Task<RawClient> ConnectAsync(int port)
    {
        var c = new RawClient();
        await c._tcp.ConnectAsync(IPAddress.Loopback, port);
        c._stream = c._tcp.GetStream();
        c._stream.ReadTimeout = 10_000;
        return c;
    }

    /// <summary>Connects and completes a trust startup, reading through the first ReadyForQuery.</summary>
    public static async Task<RawClient> StartAsync(int port, string user = TestServer.User)
    {
        var c = await ConnectAsync(port);
        await c.SendStartupAsync(PgProtocol.Version30, ("user", user), ("database", "test"));
        await c.ReadUntilReadyAsync();
        return c;
    }

    public async Task SendStartupAsync(int version, params (string Name, string Value)[] parameters)
    {
        var body = new List<byte>();
        body.AddRange(BE32(version));
        foreach (var (n, v) in parameters) { body.AddRange(CStr(n)); body.AddRange(CStr(v)); }
        body.Add(0);
        await SendRawAsync([.. BE32(body.Count + 4), .. body]);
    }

    /// <summary>Half-closes: the server sees end of stream, we can still read its answers.</summary>
    public void ShutdownSend() => _tcp.Client.Shutdown(System.Net.Sockets.SocketShutdown.Send);

    public Task SendRawAsync(byte[] bytes) => _stream.WriteAsync(bytes).AsTask();

    public Task SendAsync(char type, params byte[][] parts)
    {
        int len = 4 + parts.Sum(p => p.Length);
        var msg = new List<byte> { (byte)type };
        msg.AddRange(BE32(len));
        foreach (var p in parts) msg.AddRange(p);
        return SendRawAsync([.. msg]);
    }

    /// <summary>Next message, or null when the server closed the connection.</summary>
    public async Task<(char Type, byte[] Body)?> ReadAsync()
    {
        var header = new byte[5];
        if (!await ReadExactAsync(header)) return null;
        int len = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(1));
        var body = new byte[len - 4];
        if (!await ReadExactAsync(body)) return null;
        return ((char)header[0], body);
    }

    public async Task<int> ReadByteAsync()
    {
        var b = new byte[1];
        return await ReadExactAsync(b) ? b[0] : -1;
    }

    private async Task<bool> ReadExactAsync(byte[] buf)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        int got = 0;
        while (got < buf.Length)
        {
            int n;
            try { n = await _stream.ReadAsync(buf.AsMemory(got), cts.Token); }
            catch (IOException) { return false; }
            if (n == 0) return false;
            got += n;
        }
        return true;
    }

    /// <summary>Reads messages up to and including ReadyForQuery; returns them all.</summary>
    public async Task<List<(char Type, byte[] Body)>> ReadUntilReadyAsync()
    {
        var list = new List<(char, byte[])>();
        while (true)
        {
            var m = await ReadAsync() ?? throw new IOException("connection closed before ReadyForQuery");
            list.Add(m);
            if (m.Type == 'Z') return list;
        }
    }

    private readonly byte[] _scan = new byte[64 * 1024];

    /// <summary>Reads raw responses until <paramref name="count"/> ReadyForQuery messages were seen; allocates nothing per message.</summary>
    public async Task SkipUntilReadyCountAsync(int count)
    {
        int have = 0, seen = 0;
        while (seen < count)
        {
            int n = await _stream.ReadAsync(_scan.AsMemory(have));
            if (n == 0) throw new IOException("closed");
            have += n;
            int pos = 0;
            while (have - pos >= 5)
            {
                int len = BinaryPrimitives.ReadInt32BigEndian(_scan.AsSpan(pos + 1));
                if (have - pos < len + 1) break;
                if (_scan[pos] == (byte)'Z') seen++;
                pos += len + 1;
            }
            _scan.AsSpan(pos, have - pos).CopyTo(_scan);
            have -= pos;
        }
    }

    /// <summary>Reads all messages until the server closes the connection.</summary>
    public async Task<List<(char Type, byte[] Body)>> ReadUntilClosedAsync()
    {
        var list = new List<(char, byte[])>();
        while (await ReadAsync() is { } m) list.Add(m);
        return list;
    }

    public static byte[] BE32(int v) { var b = new byte[4]; BinaryPrimitives.WriteInt32BigEndian(b, v); return b; }
    public static byte[] BE16(short v) { var b = new byte[2]; BinaryPrimitives.WriteInt16BigEndian(b, v); return b; }
    public static byte[] CStr(string s) => [.. Encoding.UTF8.GetBytes(s), 0];

    /// <summary>The SQLSTATE ('C' field) of an ErrorResponse/NoticeResponse body.</summary>
    public static string Field(byte[] body, char code)
    {
        int i = 0;
        while (i < body.Length && body[i] != 0)
        {
            char c = (char)body[i++];
            int end = Array.IndexOf(body, (byte)0, i);
            string v = Encoding.UTF8.GetString(body, i, end - i);
            if (c == code) return v;
            i = end + 1;
        }
        return "";
    }

    public ValueTask DisposeAsync()
    {
        _tcp.Dispose();
        return ValueTask.CompletedTask;
    }
}
