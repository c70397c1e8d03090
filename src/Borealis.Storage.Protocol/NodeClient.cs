using System.Collections.Concurrent;

namespace Borealis.Storage.Protocol;

/// <summary>Receives the response to one request. Called on the connection's receive loop.</summary>
public interface IResponseSink
{
    /// <summary>The response frame's type and payload (valid only during the call).</summary>
    void OnResponse(MessageType type, ReadOnlySpan<byte> payload);
    /// <summary>The connection closed before a response came.</summary>
    void OnFailed(Exception error);
}

/// <summary>An Error frame, or a failure to get an answer, as an exception (off the hot path only).</summary>
public sealed class StorageException(ErrorCode code, string message, uint currentEpoch = 0) : Exception(message)
{
    public ErrorCode Code { get; } = code;
    public uint CurrentEpoch { get; } = currentEpoch;
}

/// <summary>A response copied out of the receive buffer.</summary>
public readonly record struct Response(MessageType Type, byte[] Payload);

/// <summary>
/// The requesting side of a connection to a storage node: Hello handshake, then any number of
/// pipelined requests matched to responses by request id. Used by the volume client and by
/// storage nodes talking to their peers.
/// </summary>
public sealed class NodeClient : IFrameHandler, IAsyncDisposable
{
    private readonly FrameConnection _conn;
    private readonly ConcurrentDictionary<ulong, IResponseSink> _pending = new();
    private long _nextId;
    private Task? _run;

    private NodeClient(FrameConnection conn, string endpoint)
    {
        _conn = conn;
        Endpoint = endpoint;
    }

    public string Endpoint { get; }
    public uint NodeId { get; private set; }
    public string Az { get; private set; } = "";
    public bool IsClosed => _conn.IsClosed;
    public event Action<NodeClient, Exception?>? Closed;

    public static async Task<NodeClient> ConnectAsync(string endpoint, ClientKind kind, uint senderNodeId, TimeSpan timeout, CancellationToken ct = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        FrameConnection conn;
        try
        {
            conn = await FrameConnection.ConnectAsync(endpoint, cts.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"connect to {endpoint} timed out");
        }
        var client = new NodeClient(conn, endpoint);
        client._run = conn.RunAsync(client);
        try
        {
            var hello = new HelloMsg { Version = Frame.ProtocolVersion, Kind = kind, SenderNodeId = senderNodeId };
            var buf = new byte[HelloMsg.Size];
            var w = new WireWriter(buf);
            hello.Write(ref w);
            var resp = await client.RequestAsync(MessageType.Hello, buf, timeout, ct);
            if (resp.Type != MessageType.HelloOk || !HelloOkMsg.TryRead(resp.Payload, out var ok))
                throw new StorageException(ErrorCode.Malformed, $"{endpoint}: bad Hello reply");
            client.NodeId = ok.NodeId;
            client.Az = ok.Az;
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    public ulong NextRequestId() => (ulong)Interlocked.Increment(ref _nextId);

    /// <summary>Starts a request frame whose response goes to <paramref name="sink"/>.</summary>
    public OutgoingFrame BeginRequest(MessageType type, int payloadSize, IResponseSink sink, out ulong requestId)
    {
        requestId = NextRequestId();
        _pending[requestId] = sink;
        if (_conn.IsClosed && _pending.TryRemove(requestId, out _))
        {
            // Still hand back a frame so the caller's code path stays simple; it goes nowhere.
            sink.OnFailed(new IOException($"connection to {Endpoint} is closed"));
        }
        return _conn.BeginFrame(type, requestId, payloadSize);
    }

    /// <summary>Forgets a pending request (e.g. after the caller's own timeout).</summary>
    public void Abandon(ulong requestId) => _pending.TryRemove(requestId, out _);

    /// <summary>Request/response for non-hot paths: copies the reply; an Error reply becomes a <see cref="StorageException"/>.</summary>
    public async Task<Response> RequestAsync(MessageType type, ReadOnlyMemory<byte> payload, TimeSpan timeout, CancellationToken ct = default)
    {
        var sink = new TaskSink();
        var f = BeginRequest(type, payload.Length, sink, out ulong id);
        f.Writer.Bytes(payload.Span);
        f.Complete();
        try
        {
            var resp = await sink.Task.WaitAsync(timeout, ct);
            if (resp.Type == MessageType.Error)
            {
                if (!ErrorMsg.TryRead(resp.Payload, out var err)) throw new StorageException(ErrorCode.Malformed, $"{Endpoint}: malformed error reply");
                throw new StorageException(err.Code, $"{Endpoint}: {err.Code}: {err.Message}", err.CurrentEpoch);
            }
            return resp;
        }
        catch (TimeoutException)
        {
            Abandon(id);
            throw new TimeoutException($"{Endpoint}: no reply to {type} within {timeout.TotalMilliseconds:F0} ms");
        }
        finally
        {
            Abandon(id);
        }
    }

    void IFrameHandler.OnFrame(FrameConnection connection, ReadOnlySpan<byte> frame)
    {
        ulong id = Frame.RequestId(frame);
        if (id != 0 && _pending.TryRemove(id, out var sink))
            sink.OnResponse(Frame.Type(frame), frame[Frame.HeaderSize..]);
        // Unsolicited or late (abandoned) responses are dropped.
    }

    void IFrameHandler.OnClosed(FrameConnection connection, Exception? error)
    {
        var ex = new IOException($"connection to {Endpoint} closed{(error is null ? "" : ": " + error.Message)}", error);
        foreach (var id in _pending.Keys)
            if (_pending.TryRemove(id, out var sink)) sink.OnFailed(ex);
        Closed?.Invoke(this, error);
    }

    public void Close() => _conn.Close();

    public async ValueTask DisposeAsync()
    {
        await _conn.DisposeAsync();
        if (_run is not null)
        {
            try { await _run; } catch (Exception e) when (e is IOException or OperationCanceledException) { }
        }
    }

    private sealed class TaskSink : IResponseSink
    {
        private readonly TaskCompletionSource<Response> _tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public Task<Response> Task => _tcs.Task;
        public void OnResponse(MessageType type, ReadOnlySpan<byte> payload) => _tcs.TrySetResult(new Response(type, payload.ToArray()));
        public void OnFailed(Exception error) => _tcs.TrySetException(error);
    }
}
