using System.Diagnostics;
using Microsoft.Win32.SafeHandles;

namespace Borealis.Bench.Storage;

/// <summary>
/// The reference: the best a single local log on this disk can do. Writers hand records to one
/// flusher that writes everything queued with one write and one fsync, then releases all of
/// those writers (group commit). Same record sizes and concurrency as the quorum run.
/// </summary>
public sealed class LocalGroupCommitLog : IAsyncDisposable
{
    private readonly SafeFileHandle _file;
    private readonly Lock _lock = new();
    private byte[] _queue = new byte[1 << 20];
    private byte[] _writing = new byte[1 << 20];
    private int _queued;
    private List<TaskCompletionSource> _waiters = [];
    private List<TaskCompletionSource> _flushing = [];
    private readonly SemaphoreSlim _signal = new(0, int.MaxValue);
    private readonly CancellationTokenSource _cts = new();
    private readonly Task _flusher;
    private long _offset;

    public LocalGroupCommitLog(string path)
    {
        _file = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None, FileOptions.None);
        _flusher = Task.Run(FlushLoop);
    }

    public long Fsyncs { get; private set; }

    public Task AppendAsync(ReadOnlySpan<byte> record)
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool signal;
        lock (_lock)
        {
            if (_queued + record.Length > _queue.Length) Array.Resize(ref _queue, _queue.Length * 2);
            record.CopyTo(_queue.AsSpan(_queued));
            _queued += record.Length;
            _waiters.Add(tcs);
            signal = _waiters.Count == 1;
        }
        if (signal) _signal.Release();
        return tcs.Task;
    }

    private async Task FlushLoop()
    {
        while (!_cts.IsCancellationRequested)
        {
            try { await _signal.WaitAsync(_cts.Token); } catch (OperationCanceledException) { return; }
            int n;
            lock (_lock)
            {
                (_queue, _writing) = (_writing, _queue);
                if (_queue.Length < _writing.Length) _queue = new byte[_writing.Length];
                n = _queued;
                _queued = 0;
                (_waiters, _flushing) = (_flushing, _waiters);
            }
            if (_flushing.Count == 0) continue;
            RandomAccess.Write(_file, _writing.AsSpan(0, n), _offset);
            _offset += n;
            RandomAccess.FlushToDisk(_file);
            Fsyncs++;
            foreach (var w in _flushing) w.TrySetResult();
            _flushing.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _cts.Cancel();
        try { await _flusher; } catch (OperationCanceledException) { }
        _file.Dispose();
    }
}

/// <summary>Latency samples and throughput of one run.</summary>
public sealed class RunStats(string name, int writers)
{
    private readonly List<double>[] _perWriter = Enumerable.Range(0, writers).Select(_ => new List<double>(1 << 16)).ToArray();
    public string Name { get; } = name;
    public int Writers { get; } = writers;
    public long Records;
    public long Bytes;
    public TimeSpan Elapsed;

    public void Add(int writer, double ms) => _perWriter[writer].Add(ms);

    public double Percentile(double p)
    {
        var all = _perWriter.SelectMany(x => x).ToArray();
        if (all.Length == 0) return double.NaN;
        Array.Sort(all);
        return all[Math.Min(all.Length - 1, (int)(p * all.Length))];
    }

    public double RecordsPerSecond => Records / Elapsed.TotalSeconds;
    public double MBPerSecond => Bytes / Elapsed.TotalSeconds / (1024 * 1024);

    /// <summary>Runs <paramref name="writers"/> closed-loop writers for <paramref name="duration"/>; each call of <paramref name="op"/> commits one record of <paramref name="recordBytes"/>.</summary>
    public static async Task<RunStats> RunAsync(string name, int writers, TimeSpan duration, int recordBytes, Func<int, long, Task> op)
    {
        var stats = new RunStats(name, writers);
        var sw = Stopwatch.StartNew();
        var end = duration;
        long total = 0;
        var tasks = Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            long i = 0;
            while (sw.Elapsed < end)
            {
                long t0 = Stopwatch.GetTimestamp();
                await op(w, i++);
                stats.Add(w, Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                Interlocked.Increment(ref total);
            }
        })).ToArray();
        await Task.WhenAll(tasks);
        stats.Elapsed = sw.Elapsed;
        stats.Records = total;
        stats.Bytes = total * recordBytes;
        return stats;
    }
}
