using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;

namespace Borealis.Storage.Protocol;

/// <summary>Receives whole, validated frames from a connection.</summary>
public interface IFrameHandler
{
    /// <summary>
    /// Called on the connection's receive loop, one frame at a time, in arrival order. The span
    /// is valid only during the call: copy what must outlive it. Must not block for long.
    /// </summary>
    void OnFrame(FrameConnection connection, ReadOnlySpan<byte> frame);

    /// <summary>The connection ended (peer closed, I/O error, protocol error). Called once.</summary>
    void OnClosed(FrameConnection connection, Exception? error);
}

/// <summary>
/// One TCP connection carrying frames both ways.
/// Threading: one receive loop calls the handler; any thread may send. Senders append
/// length-first frames to an outgoing buffer under a short lock; a single send loop swaps the
/// buffer out and writes it to the socket, so frames produced while a send is in flight go out
/// together in the next write (natural batching, one syscall for many acks).
/// Back-pressure: when more than <see cref="HighWaterBytes"/> wait to be sent, the receive loop
/// stops reading until the backlog drains, so a peer that does not read cannot grow our memory.
/// </summary>
public sealed class FrameConnection : IAsyncDisposable
{
    public const int HighWaterBytes = 32 * 1024 * 1024;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly PipeReader _reader;
    private readonly Lock _sendLock = new();
    private readonly SemaphoreSlim _sendSignal = new(0, int.MaxValue);
    private readonly CancellationTokenSource _cts = new();
    private byte[] _out = ArrayPool<byte>.Shared.Rent(64 * 1024);
    private byte[] _sending = ArrayPool<byte>.Shared.Rent(64 * 1024);
    private int _outLen;
    private bool _signaled;
    private volatile bool _closed;
    private TaskCompletionSource? _drained;
    private int _closedOnce;
    private IFrameHandler? _handler;
    private Task? _sendLoop;

    public FrameConnection(Socket socket)
    {
        _socket = socket;
        _socket.NoDelay = true;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: 256 * 1024, minimumReadSize: 64 * 1024));
        RemoteEndPoint = socket.RemoteEndPoint?.ToString() ?? "?";
    }

    public string RemoteEndPoint { get; }
    public bool IsClosed => _closed;
    /// <summary>Free for the owner: e.g. the node id of a peer after Hello.</summary>
    public object? Tag { get; set; }

    public static async Task<FrameConnection> ConnectAsync(string endpoint, CancellationToken ct)
    {
        var (host, port) = ParseEndpoint(endpoint);
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(host, port, ct);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new FrameConnection(socket);
    }

    public static (string Host, int Port) ParseEndpoint(string endpoint)
    {
        int colon = endpoint.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(endpoint.AsSpan(colon + 1), out int port) || port is <= 0 or > 65535)
            throw new FormatException($"endpoint '{endpoint}' is not host:port");
        return (endpoint[..colon], port);
    }

    /// <summary>Starts the send loop and the receive loop; the returned task ends when the connection closes.</summary>
    public Task RunAsync(IFrameHandler handler)
    {
        _handler = handler;
        _sendLoop = Task.Run(SendLoopAsync);
        return Task.Run(ReceiveLoopAsync);
    }

    private async Task ReceiveLoopAsync()
    {
        Exception? error = null;
        try
        {
            while (!_closed)
            {
                var drained = _drained;
                if (drained is not null) await drained.Task.WaitAsync(_cts.Token);

                var result = await _reader.ReadAsync(_cts.Token);
                var buffer = result.Buffer;
                FrameError status;
                while (TryTakeFrame(ref buffer, out status))
                {
                    if (_closed) break;
                }
                if (status != FrameError.None)
                {
                    error = new ProtocolViolationException($"bad frame from {RemoteEndPoint}: {status}");
                    break;
                }
                _reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted) break;
            }
        }
        catch (OperationCanceledException) { }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            error = e;
        }
        Close(error);
    }

    private bool TryTakeFrame(ref ReadOnlySequence<byte> buffer, out FrameError status)
    {
        status = FrameError.None;
        if (buffer.Length < Frame.HeaderSize) return false;
        Span<byte> lenBytes = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(lenBytes);
        int length = Frame.Length(lenBytes);
        if (length < Frame.HeaderSize) { status = FrameError.Malformed; return false; }
        if (length > Frame.MaxFrameSize) { status = FrameError.TooLarge; return false; }
        if (buffer.Length < length) return false;

        var frameSeq = buffer.Slice(0, length);
        byte[]? rented = null;
        ReadOnlySpan<byte> frame;
        if (frameSeq.IsSingleSegment)
        {
            frame = frameSeq.FirstSpan;
        }
        else
        {
            rented = ArrayPool<byte>.Shared.Rent(length);
            frameSeq.CopyTo(rented);
            frame = rented.AsSpan(0, length);
        }
        try
        {
            status = Frame.Validate(frame);
            if (status != FrameError.None) return false;
            _handler!.OnFrame(this, frame);
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
        buffer = buffer.Slice(length);
        return true;
    }

    /// <summary>Reserves room for one frame in the outgoing buffer; fill <see cref="OutgoingFrame.Writer"/> then call Complete.</summary>
    public OutgoingFrame BeginFrame(MessageType type, ulong requestId, int payloadSize)
    {
        int size = Frame.HeaderSize + payloadSize;
        _sendLock.Enter();
        if (_outLen + size > _out.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_out.Length * 2, _outLen + size));
            _out.AsSpan(0, _outLen).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_out);
            _out = bigger;
        }
        var span = _out.AsSpan(_outLen, size);
        Frame.WriteHeader(span, type, requestId);
        return new OutgoingFrame(this, span);
    }

    internal void CompleteFrame(Span<byte> frame)
    {
        Frame.Seal(frame);
        _outLen += frame.Length;
        bool signal = !_signaled;
        _signaled = true;
        if (_outLen > HighWaterBytes && _drained is null) _drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _sendLock.Exit();
        if (signal) _sendSignal.Release();
    }

    /// <summary>Sends an Error frame.</summary>
    public void SendError(ulong requestId, ErrorCode code, string message, uint currentEpoch = 0)
    {
        var msg = new ErrorMsg { Code = code, Message = message, CurrentEpoch = currentEpoch };
        var f = BeginFrame(MessageType.Error, requestId, msg.Size);
        msg.Write(ref f.Writer);
        f.Complete();
    }

    /// <summary>Sends a frame whose payload is given as bytes (non-hot paths).</summary>
    public void Send(MessageType type, ulong requestId, ReadOnlySpan<byte> payload)
    {
        var f = BeginFrame(type, requestId, payload.Length);
        f.Writer.Bytes(payload);
        f.Complete();
    }

    private async Task SendLoopAsync()
    {
        try
        {
            while (true)
            {
                await _sendSignal.WaitAsync(_cts.Token);
                int len;
                TaskCompletionSource? drained;
                lock (_sendLock)
                {
                    _signaled = false;
                    (_out, _sending) = (_sending, _out);
                    len = _outLen;
                    _outLen = 0;
                    drained = _drained;
                    _drained = null;
                }
                if (len > 0) await _socket.SendAsync(_sending.AsMemory(0, len), SocketFlags.None, _cts.Token);
                drained?.TrySetResult();
                if (_closed) return;
            }
        }
        catch (OperationCanceledException) { }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            Close(e);
        }
    }

    /// <summary>Closes the connection once; the handler's OnClosed runs once.</summary>
    public void Close(Exception? error = null)
    {
        if (Interlocked.Exchange(ref _closedOnce, 1) != 0) return;
        _closed = true;
        try { _socket.Shutdown(SocketShutdown.Both); } catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        _cts.Cancel();
        _socket.Dispose();
        lock (_sendLock) _drained?.TrySetResult();
        try { _handler?.OnClosed(this, error); }
        catch (Exception e) when (e is not OutOfMemoryException) { }
    }

    /// <summary>Flushes what is queued (best effort, bounded) and closes.</summary>
    public async Task FlushAndCloseAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && !_closed)
        {
            lock (_sendLock) if (_outLen == 0 && !_signaled) break;
            await Task.Delay(5);
        }
        Close();
    }

    public async ValueTask DisposeAsync()
    {
        Close();
        if (_sendLoop is not null)
        {
            try { await _sendLoop; } catch (Exception e) when (e is OperationCanceledException or IOException or SocketException) { }
        }
        _reader.Complete();
        _cts.Dispose();
    }
}

/// <summary>A frame being written into a connection's outgoing buffer; holds the send lock until Complete.</summary>
public ref struct OutgoingFrame
{
    private readonly FrameConnection _conn;
    private readonly Span<byte> _frame;
    public WireWriter Writer;

    internal OutgoingFrame(FrameConnection conn, Span<byte> frame)
    {
        _conn = conn;
        _frame = frame;
        Writer = new WireWriter(frame[Frame.HeaderSize..]);
    }

    public readonly void Complete()
    {
        if (Writer.Position != _frame.Length - Frame.HeaderSize)
            throw new InvalidOperationException($"frame payload size mismatch: wrote {Writer.Position}, reserved {_frame.Length - Frame.HeaderSize}");
        _conn.CompleteFrame(_frame);
    }
}

public sealed class ProtocolViolationException(string message) : Exception(message);
