using Borealis.Storage.Protocol;

namespace Borealis.Storage;

/// <summary>
/// Connections from this node to its peers (one <see cref="NodeClient"/> per endpoint, opened on
/// first use with ClientKind.Peer, reopened after a failure with a short back-off so an
/// unreachable peer costs one failed connect per few seconds, not one per request).
/// </summary>
internal sealed class PeerClients(StorageNode node) : IAsyncDisposable
{
    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(1);
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Entry> _peers = [];

    private sealed class Entry
    {
        public NodeClient? Client;
        public Task<NodeClient?>? Connecting;
        public DateTime RetryAt;
    }

    public Task<NodeClient?> GetAsync(string endpoint, CancellationToken ct)
    {
        lock (_lock)
        {
            if (!_peers.TryGetValue(endpoint, out var e)) _peers[endpoint] = e = new Entry();
            if (e.Client is { IsClosed: false } c) return Task.FromResult<NodeClient?>(c);
            if (e.Connecting is { IsCompleted: false } t) return t;
            if (DateTime.UtcNow < e.RetryAt) return Task.FromResult<NodeClient?>(null);
            e.Connecting = ConnectAsync(endpoint, e, ct);
            return e.Connecting;
        }
    }

    private async Task<NodeClient?> ConnectAsync(string endpoint, Entry e, CancellationToken ct)
    {
        try
        {
            var c = await NodeClient.ConnectAsync(endpoint, ClientKind.Peer, node.NodeId, node.Options.PeerRequestTimeout, ct);
            NodeClient? old;
            lock (_lock)
            {
                old = e.Client;
                e.Client = c;
            }
            if (old is not null) await old.DisposeAsync();
            return c;
        }
        catch (Exception ex) when (ex is IOException or TimeoutException or System.Net.Sockets.SocketException or StorageException or FormatException)
        {
            lock (_lock) e.RetryAt = DateTime.UtcNow + RetryAfter;
            NodeLog.PeerUnreachable(node.Logger, endpoint, ex.Message);
            return null;
        }
    }

    /// <summary>One request to a peer; null when the peer is unreachable or did not answer (the error is logged at debug).</summary>
    public async Task<Response?> RequestAsync(string endpoint, MessageType type, byte[] payload, CancellationToken ct)
    {
        var client = await GetAsync(endpoint, ct);
        if (client is null) return null;
        try
        {
            return await client.RequestAsync(type, payload, node.Options.PeerRequestTimeout, ct);
        }
        catch (Exception ex) when (ex is IOException or TimeoutException)
        {
            NodeLog.PeerUnreachable(node.Logger, endpoint, ex.Message);
            client.Close();
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<NodeClient> all = [];
        lock (_lock)
        {
            foreach (var e in _peers.Values)
                if (e.Client is not null) all.Add(e.Client);
            _peers.Clear();
        }
        foreach (var c in all) await c.DisposeAsync();
    }
}
