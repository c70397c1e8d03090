using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Borealis.PgWire.Auth;
using Borealis.PgWire.Backend;
using Microsoft.Extensions.Logging;

namespace Borealis.PgWire.Server;

/// <summary>
/// A PostgreSQL protocol v3 server: accepts TCP connections and runs each as a
/// <see cref="PgConnection"/> whose session is served by the <see cref="IPgBackend"/>.
/// Connections are independent: a protocol violation or handler failure ends only its own
/// connection. Dispose stops accepting and closes every connection.
/// </summary>
public sealed class PgServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<PgConnection, Task> _connections = new();
    private readonly ConcurrentDictionary<int, PgConnection> _sessions = new();
    private readonly ILogger _log;
    private Task? _acceptLoop;
    private int _nextProcessId;
    private int _sessionCount;
    private int _disposed;

    public PgServer(PgServerOptions options, IPgBackend backend)
    {
        if (options.AuthMethod != PgAuthMethod.Trust && options.Credentials is null)
            throw new ArgumentException("a credential store is required for password authentication", nameof(options));
        if (options.RequireTls && options.ServerCertificate is null)
            throw new ArgumentException("RequireTls needs a ServerCertificate", nameof(options));
        if (options.MaxConnections < 1)
            throw new ArgumentOutOfRangeException(nameof(options), "MaxConnections must be at least 1");
        if (options.MaxMessageSize is < 1024 or > Protocol.PgProtocol.LargeMessageLimit)
            throw new ArgumentOutOfRangeException(nameof(options), "MaxMessageSize must be between 1 KiB and PgProtocol.LargeMessageLimit");
        Options = options;
        Backend = backend;
        _log = options.LoggerFactory.CreateLogger("Borealis.PgWire");
        _nextProcessId = RandomNumberGenerator.GetInt32(1000, 1 << 20);
        _listener = new Socket(options.EndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Bind(options.EndPoint);
        _listener.Listen(512);
        LocalEndPoint = (IPEndPoint)_listener.LocalEndPoint!;
    }

    public PgServerOptions Options { get; }
    internal IPgBackend Backend { get; }
    internal ILogger Logger => _log;
    /// <summary>Secret for SCRAM mock authentication of unknown roles (stable per server).</summary>
    internal byte[] MockSecret { get; } = RandomNumberGenerator.GetBytes(32);
    public IPEndPoint LocalEndPoint { get; }
    /// <summary>Sessions past startup (what MaxConnections limits).</summary>
    public int SessionCount => Volatile.Read(ref _sessionCount);
    /// <summary>Open TCP connections, including ones still in startup.</summary>
    public int ConnectionCount => _connections.Count;

    public void Start()
    {
        Log.Listening(_log, LocalEndPoint.ToString());
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stop.Token);
            }
            catch (OperationCanceledException) { return; }
            catch (ObjectDisposedException) { return; }
            catch (SocketException) { continue; }
            PgWireMetrics.ConnectionsAccepted.Add(1);
            var conn = new PgConnection(this, socket);
            var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _connections[conn] = tcs.Task;
            _ = RunConnectionAsync(conn, tcs);
        }
    }

    private async Task RunConnectionAsync(PgConnection conn, TaskCompletionSource done)
    {
        try
        {
            await Task.Yield();
            await conn.RunAsync(_stop.Token);
        }
        catch (Exception e)
        {
            Log.InternalError(_log, conn.ProcessId, e);
        }
        finally
        {
            _connections.TryRemove(conn, out _);
            done.TrySetResult();
        }
    }

    internal bool TryAdmitSession()
    {
        if (Interlocked.Increment(ref _sessionCount) <= Options.MaxConnections)
        {
            PgWireMetrics.SessionsActive.Add(1);
            return true;
        }
        Interlocked.Decrement(ref _sessionCount);
        PgWireMetrics.ConnectionsRefused.Add(1);
        return false;
    }

    internal void ReleaseSession()
    {
        Interlocked.Decrement(ref _sessionCount);
        PgWireMetrics.SessionsActive.Add(-1);
    }

    internal (int ProcessId, int SecretKey) Register(PgConnection conn)
    {
        while (true)
        {
            int pid = Interlocked.Increment(ref _nextProcessId) & int.MaxValue;
            if (pid == 0) continue;
            if (_sessions.TryAdd(pid, conn)) return (pid, RandomNumberGenerator.GetInt32(int.MinValue, int.MaxValue));
        }
    }

    internal void Unregister(int processId, PgConnection conn) => _sessions.TryRemove(new KeyValuePair<int, PgConnection>(processId, conn));

    /// <summary>Handles a CancelRequest: cancels the running statement of the session if the key matches.</summary>
    internal void Cancel(int processId, int secretKey)
    {
        PgWireMetrics.CancelRequests.Add(1);
        if (_sessions.TryGetValue(processId, out var conn)) conn.CancelFromRequest(secretKey);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stop.CancelAsync();
        _listener.Dispose();
        if (_acceptLoop is not null) await _acceptLoop;
        foreach (var c in _connections.Keys) c.Abort();
        await Task.WhenAll(_connections.Values).WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default);
        _stop.Dispose();
    }
}
