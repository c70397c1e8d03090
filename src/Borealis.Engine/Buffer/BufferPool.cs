using System.Runtime.CompilerServices;
using Borealis.Redo;
using Borealis.Volume;

namespace Borealis.Engine.Buffer;

/// <summary>
/// The writer's page cache. It never writes a page: every change reaches storage as redo, so a
/// page may leave the pool only when its LSN ≤ VDL (storage can then rebuild it) and is re-read
/// from storage at the read point when needed again.
/// <para>
/// Replacement is a clock sweep with usage counts: a page read on a miss starts at usage 0
/// (probation) and only a later, non-scan access makes it hot, so one large scan (which pins
/// with <see cref="PageAccess.Scan"/>) cycles through probation frames and does not push hot
/// pages out.
/// </para>
/// <para>
/// Threading: the page table, pins and clock state are guarded by one lock held for a few
/// instructions; page bytes are guarded by the frame latches. A miss reads from the volume
/// asynchronously outside the lock; other sessions keep using the pool meanwhile, and sessions
/// that want the same page await the same read.
/// </para>
/// Memory: one pinned arena of <c>frames × 8 KiB</c>, allocated once.
/// </summary>
public sealed class BufferPool
{
    private readonly IRedoVolume _volume;
    private readonly byte[] _arena;
    private readonly Frame[] _frames;
    private readonly Dictionary<ulong, Frame> _table;
    private readonly Lock _lock = new();
    private int _hand;
    private readonly Queue<(Frame Frame, ulong PageNo)> _scanRing = new();
    private Exception? _poisoned;
    private long _hits, _misses, _evictions;

    public const int MaxUsage = 3;

    public BufferPool(IRedoVolume volume, int frameCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(frameCount, 4);
        _volume = volume;
        _arena = GC.AllocateArray<byte>(frameCount * Page.Size, pinned: true);
        _frames = new Frame[frameCount];
        for (int i = 0; i < frameCount; i++) _frames[i] = new Frame(i);
        _table = new Dictionary<ulong, Frame>(frameCount);
    }

    public IRedoVolume Volume => _volume;
    public int FrameCount => _frames.Length;
    public long Hits => Interlocked.Read(ref _hits);
    public long Misses => Interlocked.Read(ref _misses);
    public long Evictions => Interlocked.Read(ref _evictions);

    internal Span<byte> FrameBytes(int index) => _arena.AsSpan(index * Page.Size, Page.Size);

    /// <summary>
    /// Pins a page, reading it from the volume (as of the current VDL) on a miss. Completes
    /// synchronously, without allocating, on a hit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ValueTask<PageHandle> PinAsync(ulong pageNo, PageAccess access = PageAccess.Normal, CancellationToken ct = default)
    {
        lock (_lock)
        {
            if (_poisoned is not null) ThrowPoisoned();
            if (_table.TryGetValue(pageNo, out var f) && f.Loading is null && !f.NeedsReload)
                return new ValueTask<PageHandle>(HitLocked(f, pageNo, access));
        }
        return PinSlowAsync(pageNo, access, ct);
    }

    /// <summary>A hit: pin the cached frame; a normal access makes it hotter. Caller holds the lock.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private PageHandle HitLocked(Frame f, ulong pageNo, PageAccess access)
    {
        f.Pins++;
        if (access == PageAccess.Normal && f.Usage < MaxUsage) f.Usage++;
        _hits++;
        return new PageHandle(this, f, pageNo);
    }

    /// <summary>Pins a page only if it is cached (and not being read); never does I/O.</summary>
    public bool TryPinCached(ulong pageNo, out PageHandle handle, PageAccess access = PageAccess.Normal)
    {
        lock (_lock)
        {
            if (_poisoned is not null) ThrowPoisoned();
            if (_table.TryGetValue(pageNo, out var f) && f.Loading is null && !f.NeedsReload)
            {
                handle = HitLocked(f, pageNo, access);
                return true;
            }
        }
        handle = default;
        return false;
    }

    /// <summary>
    /// Pins a page that is being created: it gets a zeroed frame without a read (the caller
    /// formats it with redo in an MTR). The page must not hold anything the caller needs.
    /// </summary>
    public async ValueTask<PageHandle> PinNewAsync(ulong pageNo, CancellationToken ct = default)
    {
        while (true)
        {
            Task? wait = null;
            Frame? victim;
            lock (_lock)
            {
                if (_poisoned is not null) ThrowPoisoned();
                if (_table.TryGetValue(pageNo, out var existing))
                {
                    if (existing.Loading is not null) wait = existing.Loading;
                    else if (existing.Pins > 0) throw new InvalidOperationException($"page {pageNo} is being created but is pinned");
                    else
                    {
                        _table.Remove(pageNo);
                        existing.PageNo = ulong.MaxValue;
                        existing.NeedsReload = false;
                    }
                }
                victim = wait is null ? TakeVictimLocked() : null;
                if (victim is not null)
                {
                    victim.PageNo = pageNo;
                    victim.Pins = 1;
                    victim.Usage = 1;
                    victim.NeedsReload = false;
                    _table[pageNo] = victim;
                    FrameBytes(victim.Index).Clear();
                    return new PageHandle(this, victim, pageNo);
                }
            }
            if (wait is not null) await wait.WaitAsync(ct).ConfigureAwait(false);
            else await WaitForEvictableAsync(ct).ConfigureAwait(false);
        }
    }

    private async ValueTask<PageHandle> PinSlowAsync(ulong pageNo, PageAccess access, CancellationToken ct)
    {
        while (true)
        {
            Task? wait = null;
            Frame? frame = null;
            TaskCompletionSource? load = null;
            ulong reloadAfter = 0;
            bool noFrame = false;
            lock (_lock)
            {
                if (_poisoned is not null) ThrowPoisoned();
                if (_table.TryGetValue(pageNo, out var f))
                {
                    if (f.Loading is not null) wait = f.Loading;
                    else if (f.NeedsReload && f.Pins == 0 && !f.IsLatched)
                    {
                        frame = f;
                        reloadAfter = f.ReloadAfterLsn;
                        f.NeedsReload = false;
                        load = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                        f.Loading = load.Task;
                        f.Pins = 1;
                        f.Usage = 0;
                        _misses++;
                    }
                    else if (f.NeedsReload) wait = Task.Delay(1, ct);
                    else return HitLocked(f, pageNo, access);
                }
                else
                {
                    frame = (access == PageAccess.Scan ? TakeScanVictimLocked() : null) ?? TakeVictimLocked();
                    if (frame is null) noFrame = true;
                    else
                    {
                        frame.PageNo = pageNo;
                        frame.Pins = 1;
                        frame.Usage = 0;
                        frame.NeedsReload = false;
                        load = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                        frame.Loading = load.Task;
                        _table[pageNo] = frame;
                        _misses++;
                        if (access == PageAccess.Scan) _scanRing.Enqueue((frame, pageNo));
                    }
                }
            }
            if (wait is not null)
            {
                await wait.WaitAsync(ct).ConfigureAwait(false);
                continue;
            }
            if (noFrame)
            {
                await WaitForEvictableAsync(ct).ConfigureAwait(false);
                continue;
            }
            await LoadAsync(frame!, pageNo, reloadAfter, load!).ConfigureAwait(false);
            return new PageHandle(this, frame!, pageNo);
        }
    }

    private async Task LoadAsync(Frame frame, ulong pageNo, ulong reloadAfter, TaskCompletionSource load)
    {
        try
        {
            if (reloadAfter > 0) await _volume.WaitDurableAsync(reloadAfter).ConfigureAwait(false);
            var mem = new Memory<byte>(_arena, frame.Index * Page.Size, Page.Size);
            await _volume.ReadPageAsync(pageNo, _volume.Vdl, mem).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            lock (_lock)
            {
                frame.Loading = null;
                frame.Pins = 0;
                _table.Remove(pageNo);
                frame.PageNo = ulong.MaxValue;
            }
            load.TrySetResult();
            throw new PageReadException(pageNo, ex);
        }
        lock (_lock) frame.Loading = null;
        load.TrySetResult();
    }

    /// <summary>
    /// Clock sweep for a frame to reuse: unpinned, unlatched, not loading and with LSN ≤ VDL.
    /// Returns null when none qualifies now. Caller holds the lock.
    /// </summary>
    private Frame? TakeVictimLocked()
    {
        ulong vdl = _volume.Vdl;
        int n = _frames.Length;
        for (int step = 0; step < n * (MaxUsage + 1); step++)
        {
            var f = _frames[_hand];
            _hand = _hand + 1 == n ? 0 : _hand + 1;
            if (f.PageNo == ulong.MaxValue) return f;
            if (f.Pins > 0 || f.Loading is not null) continue;
            if (f.Usage > 0) { f.Usage--; continue; }
            ulong needed = f.NeedsReload ? f.ReloadAfterLsn : Page.GetLsn(FrameBytes(f.Index));
            if (needed > vdl) continue; // storage cannot rebuild this version yet
            if (f.IsLatched) continue;
            _table.Remove(f.PageNo);
            f.PageNo = ulong.MaxValue;
            f.NeedsReload = false;
            _evictions++;
            return f;
        }
        return null;
    }

    /// <summary>
    /// Scan resistance: pages a scan brought in are reused by the same kind of access once the
    /// ring of scan frames is full (PostgreSQL's bulk-read ring), so a large scan recycles a few
    /// frames instead of sweeping the clock over (and cooling) every hot page. A scan page that
    /// got a normal hit meanwhile is hot and leaves the ring.
    /// </summary>
    private Frame? TakeScanVictimLocked()
    {
        int ringSize = Math.Max(4, _frames.Length / 8);
        ulong vdl = _volume.Vdl;
        while (_scanRing.Count >= ringSize)
        {
            var (f, pageNo) = _scanRing.Dequeue();
            if (f.PageNo != pageNo || f.Usage > 0 || f.Pins > 0 || f.Loading is not null || f.NeedsReload || f.IsLatched) continue;
            if (Page.GetLsn(FrameBytes(f.Index)) > vdl) continue;
            _table.Remove(f.PageNo);
            f.PageNo = ulong.MaxValue;
            _evictions++;
            return f;
        }
        return null;
    }

    /// <summary>No frame is evictable: wait for VDL to pass the lowest cached page LSN, or for an unpin.</summary>
    private async Task WaitForEvictableAsync(CancellationToken ct)
    {
        ulong lowest = ulong.MaxValue;
        bool anyUnpinned = false;
        lock (_lock)
        {
            foreach (var f in _frames)
            {
                if (f.Pins > 0 || f.Loading is not null) continue;
                anyUnpinned = true;
                ulong lsn = Page.GetLsn(FrameBytes(f.Index));
                if (lsn < lowest) lowest = lsn;
            }
        }
        if (anyUnpinned && lowest != ulong.MaxValue && lowest > _volume.Vdl)
            await _volume.WaitDurableAsync(lowest, ct).ConfigureAwait(false);
        else
            await Task.Delay(1, ct).ConfigureAwait(false); // everything pinned: a session will unpin soon
    }

    internal void Unpin(Frame f)
    {
        lock (_lock)
        {
            if (f.Pins <= 0) throw new InvalidOperationException($"page {f.PageNo} unpinned more often than pinned");
            f.Pins--;
        }
    }

    /// <summary>
    /// Marks a page whose cached bytes are no longer trustworthy (an MTR changed it and then failed
    /// before its redo was appended). The next pin re-reads it once VDL ≥ <paramref name="lsnBefore"/>,
    /// the page's LSN before the failed MTR.
    /// </summary>
    internal void MarkForReload(Frame f, ulong lsnBefore)
    {
        lock (_lock)
        {
            f.NeedsReload = true;
            f.ReloadAfterLsn = Math.Max(f.ReloadAfterLsn, lsnBefore);
        }
    }

    /// <summary>The volume refused an append (e.g. a newer writer fenced this one): nothing cached may be used again.</summary>
    internal void Poison(Exception reason)
    {
        lock (_lock) _poisoned ??= reason;
    }

    /// <summary>Number of frames currently holding a page (for tests and metrics).</summary>
    public int CachedPages { get { lock (_lock) return _table.Count; } }

    /// <summary>True when the page is cached (for tests).</summary>
    public bool IsCached(ulong pageNo) { lock (_lock) return _table.ContainsKey(pageNo); }

    private void ThrowPoisoned() => throw new InvalidOperationException("the buffer pool is unusable: " + _poisoned!.Message, _poisoned);
}

/// <summary>A page could not be read from the volume.</summary>
public sealed class PageReadException(ulong pageNo, Exception inner)
    : Exception($"could not read page {pageNo} from the volume: {inner.Message}", inner)
{
    public ulong PageNo { get; } = pageNo;
}
