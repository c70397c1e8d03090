using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;

namespace Borealis.PgWire.Server;

/// <summary>
/// A socket as a pair of pipes, in the style of Kestrel's socket transport: a receive loop moves
/// bytes from the socket into <see cref="Input"/>, a send loop moves bytes from <see cref="Output"/>
/// to the socket. The two loops run independently, so a slow reader never stalls sending.
/// Memory: before each receive the loop waits for data with a zero-byte read, so an idle
/// connection holds no receive buffer; pipe segments go back to the pool once consumed.
/// Back-pressure: the input pipe pauses the receive loop when the session has not consumed
/// <see cref="InputPauseBytes"/>; the output pipe pauses the session's flushes when the socket has
/// not taken <see cref="OutputPauseBytes"/>.
/// </summary>
internal sealed class SocketTransport : IDuplexPipe, IAsyncDisposable
{
    public const int InputPauseBytes = 1024 * 1024;
    public const int OutputPauseBytes = 1024 * 1024;
    private const int MinReceiveSize = 4096;

    private readonly Socket _socket;
    private readonly Pipe _input;
    private readonly Pipe _output;
    private Task? _receive;
    private Task? _send;
    private int _disposed;

    public SocketTransport(Socket socket)
    {
        _socket = socket;
        _socket.NoDelay = true;
        _input = new Pipe(new PipeOptions(MemoryPool<byte>.Shared, PipeScheduler.ThreadPool, PipeScheduler.Inline,
            InputPauseBytes, InputPauseBytes / 2, MinReceiveSize, useSynchronizationContext: false));
        _output = new Pipe(new PipeOptions(MemoryPool<byte>.Shared, PipeScheduler.Inline, PipeScheduler.ThreadPool,
            OutputPauseBytes, OutputPauseBytes / 2, MinReceiveSize, useSynchronizationContext: false));
        RemoteEndPoint = socket.RemoteEndPoint;
    }

    public System.Net.EndPoint? RemoteEndPoint { get; }
    public PipeReader Input => _input.Reader;
    public PipeWriter Output => _output.Writer;

    public void Start()
    {
        _receive = ReceiveLoopAsync();
        _send = SendLoopAsync();
    }

    private async Task ReceiveLoopAsync()
    {
        Exception? error = null;
        var writer = _input.Writer;
        try
        {
            while (true)
            {
                // Wait for data without a buffer (zero-byte read), then receive into pipe memory.
                await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None);
                var memory = writer.GetMemory(MinReceiveSize);
                int n = await _socket.ReceiveAsync(memory, SocketFlags.None);
                if (n == 0) break;
                writer.Advance(n);
                var flush = await writer.FlushAsync();
                if (flush.IsCompleted || flush.IsCanceled) break;
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            error = e is SocketException ? e : null;
        }
        await writer.CompleteAsync(error is null ? null : new IOException("receive failed", error));
    }

    private async Task SendLoopAsync()
    {
        var reader = _output.Reader;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync();
                var buffer = result.Buffer;
                try
                {
                    foreach (var segment in buffer)
                    {
                        var m = segment;
                        while (!m.IsEmpty)
                        {
                            int n = await _socket.SendAsync(m, SocketFlags.None);
                            m = m[n..];
                        }
                    }
                }
                finally
                {
                    reader.AdvanceTo(buffer.End);
                }
                if (result.IsCompleted || result.IsCanceled) break;
            }
            try { _socket.Shutdown(SocketShutdown.Send); } catch (SocketException) { }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
        await reader.CompleteAsync();
        // The peer can no longer receive: stop the session's reads too.
        _input.Writer.CancelPendingFlush();
    }

    /// <summary>Waits (bounded) for queued output to reach the socket, then closes it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _output.Writer.CompleteAsync();
        if (_send is not null) await _send.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { }, TaskScheduler.Default);
        try { _socket.Shutdown(SocketShutdown.Both); } catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        _socket.Dispose();
        if (_receive is not null) await _receive.ContinueWith(_ => { }, TaskScheduler.Default);
        await _input.Reader.CompleteAsync();
    }
}

/// <summary>A Stream over a duplex pipe, so SslStream can run on top of the socket transport.</summary>
internal sealed class DuplexPipeStream(PipeReader input, PipeWriter output) : Stream
{
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken ct = default)
    {
        if (destination.IsEmpty)
        {
            // Zero-byte read: wait until data is available without consuming it (SslStream uses
            // this so an idle TLS connection holds no read buffer).
            var ready = await input.ReadAsync(ct);
            input.AdvanceTo(ready.Buffer.Start);
            return 0;
        }
        while (true)
        {
            var result = await input.ReadAsync(ct);
            var buffer = result.Buffer;
            if (!buffer.IsEmpty)
            {
                int n = (int)Math.Min(buffer.Length, destination.Length);
                buffer.Slice(0, n).CopyTo(destination.Span);
                input.AdvanceTo(buffer.GetPosition(n));
                return n;
            }
            input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted || result.IsCanceled) return 0;
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
        ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> source, CancellationToken ct = default)
    {
        var r = await output.WriteAsync(source, ct);
        if (r.IsCompleted) throw new IOException("connection closed");
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
        WriteAsync(buffer.AsMemory(offset, count), ct).AsTask();

    public override Task FlushAsync(CancellationToken ct) => Task.CompletedTask;
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();
    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
