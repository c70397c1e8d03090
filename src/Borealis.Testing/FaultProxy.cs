using System.Net;
using System.Net.Sockets;

namespace Borealis.Testing;

/// <summary>How a <see cref="FaultProxy"/> treats traffic right now.</summary>
public enum LinkMode
{
    /// <summary>Forward everything.</summary>
    Healthy,
    /// <summary>Stop forwarding in both directions and accept no new connections' data; bytes wait (like TCP during a partition) and flow again when healed.</summary>
    Partitioned,
    /// <summary>Close every connection and refuse new ones (a peer that is gone or a firewall that rejects).</summary>
    Refusing,
}

/// <summary>
/// A fault-injecting TCP proxy for tests: sits between a client and a server on 127.0.0.1 and
/// can delay, throttle, cut (drop connections at random) or partition the link. Deterministic
/// for a given seed, apart from the timing of the OS.
/// Threading: the knobs are plain volatile fields read by the pump tasks; change them from any thread.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _cts = new();
    private readonly List<(Socket A, Socket B)> _links = [];
    private readonly Random _random;
    private readonly Lock _lock = new();
    private readonly Task _acceptLoop;
    private volatile LinkMode _mode = LinkMode.Healthy;
    private TaskCompletionSource _healed = NewHealed();

    public FaultProxy(string targetEndpoint, int seed = 1, string listen = "127.0.0.1:0")
    {
        Target = targetEndpoint;
        _random = new Random(seed);
        var (host, port) = Split(listen);
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Bind(new IPEndPoint(IPAddress.Parse(host), port));
        _listener.Listen(128);
        var ep = (IPEndPoint)_listener.LocalEndPoint!;
        Endpoint = $"{ep.Address}:{ep.Port}";
        _acceptLoop = Task.Run(AcceptLoop);
    }

    public string Target { get; set; }
    public string Endpoint { get; }

    /// <summary>Added latency per forwarded chunk, each direction.</summary>
    public TimeSpan Delay { get; set; }
    /// <summary>Bytes per second per direction; 0 = unlimited.</summary>
    public long BandwidthBytesPerSecond { get; set; }
    /// <summary>Probability, per forwarded chunk, that the whole connection is cut (both sockets reset).</summary>
    public double CutProbability { get; set; }
    public long ForwardedBytes => Interlocked.Read(ref _forwarded);
    public int ConnectionsCut => _cut;
    private long _forwarded;
    private int _cut;

    public LinkMode Mode
    {
        get => _mode;
        set
        {
            lock (_lock)
            {
                var old = _mode;
                _mode = value;
                if (value == LinkMode.Refusing) CloseAllLocked();
                if (old == LinkMode.Partitioned && value != LinkMode.Partitioned)
                {
                    _healed.TrySetResult();
                    _healed = NewHealed();
                }
            }
        }
    }

    public void Heal()
    {
        Mode = LinkMode.Healthy;
        Delay = TimeSpan.Zero;
        BandwidthBytesPerSecond = 0;
        CutProbability = 0;
    }

    /// <summary>Cuts every open connection now (new ones are still accepted unless Refusing).</summary>
    public void CutAll()
    {
        lock (_lock) CloseAllLocked();
    }

    private static TaskCompletionSource NewHealed() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void CloseAllLocked()
    {
        foreach (var (a, b) in _links)
        {
            Abort(a);
            Abort(b);
            _cut++;
        }
        _links.Clear();
    }

    private static void Abort(Socket s)
    {
        try { s.LingerState = new LingerOption(true, 0); } catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        try { s.Close(); } catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
    }

    private static (string Host, int Port) Split(string ep)
    {
        int c = ep.LastIndexOf(':');
        return (ep[..c], int.Parse(ep[(c + 1)..]));
    }

    private async Task AcceptLoop()
    {
        while (!_cts.IsCancellationRequested)
        {
            Socket client;
            try { client = await _listener.AcceptAsync(_cts.Token); }
            catch (OperationCanceledException) { return; }
            catch (ObjectDisposedException) { return; }
            catch (SocketException) { continue; }
            if (_mode == LinkMode.Refusing) { Abort(client); continue; }
            _ = Task.Run(() => Connect(client));
        }
    }

    private async Task Connect(Socket client)
    {
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.NoDelay = true;
        try
        {
            var (host, port) = Split(Target);
            await server.ConnectAsync(host, port, _cts.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            Abort(client);
            Abort(server);
            return;
        }
        lock (_lock)
        {
            if (_mode == LinkMode.Refusing) { Abort(client); Abort(server); return; }
            _links.Add((client, server));
        }
        var t1 = Pump(client, server);
        var t2 = Pump(server, client);
        await Task.WhenAny(t1, t2);
        Abort(client);
        Abort(server);
        lock (_lock) _links.Remove((client, server));
    }

    private async Task Pump(Socket from, Socket to)
    {
        var buf = new byte[64 * 1024];
        try
        {
            while (!_cts.IsCancellationRequested)
            {
                int n = await from.ReceiveAsync(buf, SocketFlags.None, _cts.Token);
                if (n == 0) return;
                while (_mode == LinkMode.Partitioned)
                {
                    Task healed;
                    lock (_lock) healed = _healed.Task;
                    if (_mode != LinkMode.Partitioned) break;
                    await healed.WaitAsync(_cts.Token);
                }
                if (_mode == LinkMode.Refusing) return;
                double cut = CutProbability;
                if (cut > 0)
                {
                    bool doCut;
                    lock (_random) doCut = _random.NextDouble() < cut;
                    if (doCut) { Interlocked.Increment(ref _cut); return; }
                }
                var delay = Delay;
                long bw = BandwidthBytesPerSecond;
                if (bw > 0) delay += TimeSpan.FromSeconds((double)n / bw);
                if (delay > TimeSpan.Zero) await Task.Delay(delay, _cts.Token);
                int sent = 0;
                while (sent < n) sent += await to.SendAsync(buf.AsMemory(sent, n - sent), SocketFlags.None, _cts.Token);
                Interlocked.Add(ref _forwarded, n);
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException) { }
    }

    public async ValueTask DisposeAsync()
    {
        _cts.Cancel();
        _listener.Dispose();
        lock (_lock) CloseAllLocked();
        try { await _acceptLoop; } catch (OperationCanceledException) { }
        _cts.Dispose();
    }
}
