using System.Diagnostics;
using Borealis.Storage.Protocol;
using Microsoft.Extensions.Logging;

namespace Borealis.Volume.Writer;

/// <summary>Callbacks from a node's connection into the volume (called on the connection's receive loop).</summary>
internal interface INodeLinkOwner
{
    void OnAppendAck(NodeLink link, in AppendAckMsg ack);
    void OnAppendError(NodeLink link, in ErrorMsg error, uint pg);
    void OnConnected(NodeLink link);
    void OnStaleEpoch(NodeLink link, uint currentEpoch, string what);
}

/// <summary>
/// The writer's one connection to one storage node, shared by every PG with a segment there.
/// Reconnects in the background with exponential backoff after a loss; the owner resends
/// what is not yet durable when <see cref="INodeLinkOwner.OnConnected"/> fires.
/// Append acks are matched by a single shared sink (the ack names its segment), so appending
/// allocates nothing per frame. Tracks a latency EWMA for read routing and the time of the last
/// ack for stall detection.
/// Threading: the client reference is swapped atomically; everything else is plain fields read
/// racily for routing and health (a stale value only affects a heuristic).
/// </summary>
internal sealed class NodeLink : IAsyncDisposable
{
    private readonly INodeLinkOwner _owner;
    private readonly VolumeClientOptions _options;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _cts = new();
    private readonly AppendSink[] _appendSinks;
    private NodeClient? _client;
    private int _reconnecting;
    private double _ewmaMs;
    private int _outstanding;
    private long _lastProgressTicks;

    public NodeLink(NodeInfo info, uint pgCount, INodeLinkOwner owner, VolumeClientOptions options, ILogger log)
    {
        Info = info;
        _owner = owner;
        _options = options;
        _log = log;
        _appendSinks = new AppendSink[pgCount];
        for (uint i = 0; i < pgCount; i++) _appendSinks[i] = new AppendSink(this, i);
    }

    public NodeInfo Info { get; private set; }
    public uint NodeId => Info.NodeId;
    public NodeClient? Client => Volatile.Read(ref _client);
    public bool IsConnected => Client is { IsClosed: false };
    public string? LastError { get; private set; }
    public DateTime? DisconnectedSince { get; private set; } = DateTime.UtcNow;
    public double LatencyEwmaMs => Volatile.Read(ref _ewmaMs);
    public int OutstandingAppends => Volatile.Read(ref _outstanding);
    /// <summary>The sink for Append replies of one PG (one object per PG, reused for every frame).</summary>
    public IResponseSink AppendSinkFor(uint pg) => _appendSinks[pg];

    public TimeSpan SinceLastProgress => Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastProgressTicks));

    /// <summary>First connection attempt; on failure the background reconnect loop takes over.</summary>
    public async Task<bool> ConnectOnceAsync(CancellationToken ct)
    {
        if (IsConnected) return true;
        try
        {
            var client = await NodeClient.ConnectAsync(Info.Endpoint, ClientKind.Writer, 0, _options.RequestTimeout, ct);
            if (client.NodeId != Info.NodeId)
            {
                await client.DisposeAsync();
                LastError = $"{Info.Endpoint} answered as node {client.NodeId}, expected {Info.NodeId}";
                return false;
            }
            client.Closed += OnClosed;
            Interlocked.Exchange(ref _outstanding, 0);
            MarkProgress();
            Volatile.Write(ref _client, client);
            if (client.IsClosed) return false; // closed between connect and subscribe; reconnect handles it
            LastError = null;
            DisconnectedSince = null;
            _owner.OnConnected(this);
            return true;
        }
        catch (Exception e) when (e is IOException or TimeoutException or System.Net.Sockets.SocketException or StorageException or FormatException)
        {
            LastError = e.Message;
            return false;
        }
    }

    /// <summary>Starts the background reconnect loop unless one is running or the link is disposed.</summary>
    public void EnsureReconnecting()
    {
        if (_cts.IsCancellationRequested || Interlocked.Exchange(ref _reconnecting, 1) != 0) return;
        _ = Task.Run(ReconnectLoopAsync);
    }

    private async Task ReconnectLoopAsync()
    {
        var delay = _options.ReconnectDelay;
        try
        {
            while (!_cts.IsCancellationRequested && !IsConnected)
            {
                await Task.Delay(delay, _cts.Token);
                if (await ConnectOnceAsync(_cts.Token)) break;
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxReconnectDelay.Ticks));
            }
        }
        catch (OperationCanceledException) { }
        finally
        {
            Volatile.Write(ref _reconnecting, 0);
        }
        // A loss between the last check and the flag reset must not leave the link orphaned.
        if (!_cts.IsCancellationRequested && !IsConnected) EnsureReconnecting();
    }

    private void OnClosed(NodeClient client, Exception? error)
    {
        if (Volatile.Read(ref _client) != client) return;
        LastError = error?.Message ?? "connection closed";
        DisconnectedSince ??= DateTime.UtcNow;
        if (_cts.IsCancellationRequested) return;
        Log.NodeLost(_log, NodeId, Info.Endpoint, LastError);
        EnsureReconnecting();
    }

    /// <summary>Drops the connection (e.g. on a stall); the reconnect loop brings it back.</summary>
    public void Disconnect(string reason)
    {
        LastError = reason;
        Client?.Close();
    }

    public void NoteAppendSent() => Interlocked.Increment(ref _outstanding);

    public void MarkProgress() => Interlocked.Exchange(ref _lastProgressTicks, Stopwatch.GetTimestamp());

    public void ObserveLatency(double ms)
    {
        double cur = Volatile.Read(ref _ewmaMs);
        Volatile.Write(ref _ewmaMs, cur == 0 ? ms : cur * 0.8 + ms * 0.2);
    }

    public void NoteError(string error) => LastError = error;

    public async ValueTask DisposeAsync()
    {
        _cts.Cancel();
        var c = Interlocked.Exchange(ref _client, null);
        if (c is not null) await c.DisposeAsync();
        _cts.Dispose();
    }

    /// <summary>Receives the AppendAcks (and Append errors) of one PG on this link.</summary>
    private sealed class AppendSink(NodeLink link, uint pg) : IResponseSink
    {
        public void OnResponse(MessageType type, ReadOnlySpan<byte> payload)
        {
            Interlocked.Decrement(ref link._outstanding);
            link.MarkProgress();
            if (type == MessageType.AppendAck && AppendAckMsg.TryRead(payload, out var ack))
            {
                link._owner.OnAppendAck(link, ack);
                return;
            }
            if (type == MessageType.Error && ErrorMsg.TryRead(payload, out var err))
            {
                if (err.Code == ErrorCode.StaleEpoch) link._owner.OnStaleEpoch(link, err.CurrentEpoch, err.Message);
                else link._owner.OnAppendError(link, err, pg);
                return;
            }
            link.LastError = $"unexpected reply {type} to Append";
        }

        public void OnFailed(Exception error) => Interlocked.Decrement(ref link._outstanding);
    }
}
