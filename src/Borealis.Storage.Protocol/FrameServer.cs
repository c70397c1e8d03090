using System.Net;
using System.Net.Sockets;

namespace Borealis.Storage.Protocol;

/// <summary>Accepts TCP connections and runs each as a <see cref="FrameConnection"/> with a handler from the factory.</summary>
public sealed class FrameServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly Func<FrameConnection, IFrameHandler> _handlerFactory;
    private readonly CancellationTokenSource _cts = new();
    private readonly HashSet<FrameConnection> _connections = [];
    private Task? _acceptLoop;
    private int _disposed;

    public FrameServer(IPEndPoint endpoint, Func<FrameConnection, IFrameHandler> handlerFactory)
    {
        _handlerFactory = handlerFactory;
        _listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Bind(endpoint);
        _listener.Listen(512);
        LocalEndPoint = (IPEndPoint)_listener.LocalEndPoint!;
    }

    public IPEndPoint LocalEndPoint { get; }

    public void Start() => _acceptLoop = Task.Run(AcceptLoopAsync);

    private async Task AcceptLoopAsync()
    {
        while (!_cts.IsCancellationRequested)
        {
            Socket s;
            try
            {
                s = await _listener.AcceptAsync(_cts.Token);
            }
            catch (OperationCanceledException) { return; }
            catch (SocketException) { continue; }
            catch (ObjectDisposedException) { return; }
            var conn = new FrameConnection(s);
            lock (_connections) _connections.Add(conn);
            var handler = _handlerFactory(conn);
            _ = RunAsync(conn, handler);
        }
    }

    private async Task RunAsync(FrameConnection conn, IFrameHandler handler)
    {
        try
        {
            await conn.RunAsync(handler);
        }
        finally
        {
            lock (_connections) _connections.Remove(conn);
            await conn.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _cts.Cancel();
        _listener.Dispose();
        if (_acceptLoop is not null) await _acceptLoop;
        FrameConnection[] all;
        lock (_connections) all = [.. _connections];
        foreach (var c in all) c.Close();
        _cts.Dispose();
    }
}
