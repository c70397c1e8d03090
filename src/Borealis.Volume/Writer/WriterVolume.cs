using System.Buffers.Binary;
using Borealis.Redo;
using Borealis.Storage.Protocol;
using Borealis.Volume.Durability;
using Borealis.Volume.Writer;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Borealis.Volume;

/// <summary>
/// The writer's view of a volume: quorum writes of redo, durability tracking (SCL → PGCL →
/// VCL → VDL), commit waits, page reads, fencing and segment replacement.
/// <para>
/// Threading: one state lock guards LSN allocation, the open and in-flight batches, the
/// durability tracker and the waiters. Appends stamp and copy records under it; a single
/// flusher work item (at most one queued or running) seals the open batch of every PG and
/// sends each as one Append frame to every member, outside the lock. Acks arrive on each
/// connection's receive loop and advance durability under the lock.
/// </para>
/// <para>
/// Batches: records are copied once from the MTR into the PG's open batch (a pooled buffer)
/// and stamped there. A sealed batch stays in its PG's in-flight queue until its last LSN is at
/// or below the PGCL (a write quorum holds it); until then it is resent to any member that
/// reconnects. After that, stragglers catch up by gossip.
/// </para>
/// </summary>
public sealed class WriterVolume : IRedoVolume, IAsyncDisposable, IThreadPoolWorkItem, INodeLinkOwner
{
    private readonly Lock _lock = new();
    private readonly IVolumeLayoutStore _store;
    private readonly VolumeClientOptions _options;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _disposeCts = new();
    private readonly DurableWaiters _waiters = new();
    private readonly SemaphoreSlim _maintenanceSignal = new(0, 1);
    private VolumeLayout _layout;
    private Dictionary<uint, NodeLink> _links; // copy-on-write: replaced, never mutated
    private PgQuorum[] _quorums = [];
    private DurabilityTracker _tracker = null!;
    private PgWriteState[] _pgs = [];
    private readonly List<uint> _openPgs = [];
    private List<RedoBatch> _ready = [];
    private List<RedoBatch> _sending = [];
    private bool _flushQueued;
    private TaskCompletionSource? _spaceWaiter;
    private VolumeFencedException? _fenced;
    private bool _started;
    private bool _disposed;
    private uint _epoch;
    private ulong _epochStart;
    private ulong _minReadPoint;
    private ulong _announcedMinReadPoint;
    private int _maintenanceIdle;
    private Task? _maintenance;
    private readonly PageReader _reader;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(uint Node, uint Pg), byte> _ensuring = new();

    private sealed class PgWriteState
    {
        public ulong PrevLsn;
        public RedoBatch? Open;
        public readonly Queue<RedoBatch> InFlight = new();
    }

    private WriterVolume(VolumeLayout layout, IVolumeLayoutStore store, VolumeClientOptions options, ILoggerFactory? lf)
    {
        if (options.MaxBatchBytes < RedoRecord.MaxRecordSize || options.MaxBatchBytes > Frame.MaxFrameSize - Frame.HeaderSize - AppendHeader.Size)
            throw new ArgumentOutOfRangeException(nameof(options), $"MaxBatchBytes must be within [{RedoRecord.MaxRecordSize}, {Frame.MaxFrameSize - Frame.HeaderSize - AppendHeader.Size}]");
        _layout = layout;
        _store = store;
        _options = options;
        _log = (lf ?? NullLoggerFactory.Instance).CreateLogger("Borealis.Volume");
        _links = [];
        foreach (var n in layout.AllNodes()) _links[n.NodeId] = new NodeLink(n, layout.PgCount, this, options, _log);
        _reader = new PageReader(this, options);
    }

    /// <summary>
    /// Opens the volume as its writer: recovery per storage-design.md (raise the epoch on a write
    /// quorum of every PG, compute VCL/VDL from read quorums, truncate), then accepts appends at
    /// VDL + 1. A layout already in <paramref name="store"/> wins over <paramref name="layout"/>
    /// (it may carry a newer membership); a volume not in the store is created.
    /// </summary>
    public static async Task<WriterVolume> OpenAsync(VolumeLayout layout, IVolumeLayoutStore store, VolumeClientOptions options,
        ILoggerFactory? lf = null, CancellationToken ct = default)
    {
        var stored = await store.LoadAsync(layout.VolumeId, ct);
        var vol = new WriterVolume(stored ?? layout, store, options, lf);
        try
        {
            var result = await VolumeRecovery.RunAsync(vol._layout, vol._links, stored is null, store, options, vol._log, ct);
            vol.Start(result);
            return vol;
        }
        catch
        {
            await vol.DisposeAsync();
            throw;
        }
    }

    private void Start(RecoveryResult r)
    {
        var resend = new List<NodeLink>();
        lock (_lock)
        {
            _epoch = r.Epoch;
            _epochStart = r.Vdl;
            _quorums = new PgQuorum[_layout.PgCount];
            _pgs = new PgWriteState[_layout.PgCount];
            for (int i = 0; i < _quorums.Length; i++)
            {
                _quorums[i] = new PgQuorum(_layout.Pgs[i]);
                _quorums[i].SetMembership(_layout.Pgs[i], r.SclSeeds[i].ToArray());
                _pgs[i] = new PgWriteState { PrevLsn = r.PrevLsn[i] };
            }
            _tracker = new DurabilityTracker(_quorums, r.Vdl);
            _announcedMinReadPoint = 0;
            _started = true;
        }
        _maintenance = Task.Run(MaintenanceLoopAsync);
    }

    public ulong VolumeId => _layout.VolumeId;
    public VolumeLayout Layout => Volatile.Read(ref _layout);
    public ulong PageCount => Volatile.Read(ref _layout).PageCount;
    public uint Epoch => _epoch;
    /// <summary>The VDL this writer recovered to (its epoch's start).</summary>
    public ulong EpochStartLsn => _epochStart;
    public ulong Vdl { get { lock (_lock) return _tracker.Vdl; } }
    public ulong Vcl { get { lock (_lock) return _tracker.Vcl; } }
    /// <summary>The next LSN that will be allocated.</summary>
    public ulong NextLsn { get { lock (_lock) return _tracker.Next; } }
    public bool IsFenced => Volatile.Read(ref _fenced) is not null;

    /// <summary>Raised once when a storage node reports a newer epoch: this writer must stop.</summary>
    public event Action<VolumeFencedException>? Fenced;

    // ---------------------------------------------------------------- append

    /// <summary>
    /// Allocates dense LSNs for the MTR's records, stamps them (LSN, per-PG back-link, epoch,
    /// volume, PG, CPL on the last) and queues them for sending. Waits asynchronously only when
    /// allocation would pass VDL + LAL. Returns the MTR's CPL LSN; the MTR may be reused at once.
    /// </summary>
    public ValueTask<ulong> AppendAsync(MiniTransaction mtr, CancellationToken ct = default)
    {
        if (mtr.IsEmpty) throw new ArgumentException("empty mini-transaction", nameof(mtr));
        if ((ulong)mtr.Count > _options.Lal) throw new ArgumentException($"mini-transaction of {mtr.Count} records exceeds LAL {_options.Lal}", nameof(mtr));
        ValidatePages(mtr);
        lock (_lock)
        {
            ThrowIfUnusable();
            if (_spaceWaiter is null && HasRoom(mtr.Count)) return new ValueTask<ulong>(AppendLocked(mtr));
        }
        return AppendSlowAsync(mtr, ct);
    }

    private async ValueTask<ulong> AppendSlowAsync(MiniTransaction mtr, CancellationToken ct)
    {
        while (true)
        {
            Task wait;
            lock (_lock)
            {
                ThrowIfUnusable();
                if (HasRoom(mtr.Count)) return AppendLocked(mtr);
                _spaceWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _spaceWaiter.Task;
            }
            await wait.WaitAsync(ct);
        }
    }

    private bool HasRoom(int count) => _tracker.Next + (ulong)count - 1 <= _tracker.Vdl + _options.Lal;

    private void ValidatePages(MiniTransaction mtr)
    {
        var span = mtr.Records;
        ulong limit = _layout.PageCount;
        for (int off = 0; off < span.Length; off += RedoRecord.Length(span[off..]))
        {
            ulong page = RedoRecord.PageNo(span[off..]);
            if (page >= limit) throw new ArgumentOutOfRangeException(nameof(mtr), $"page {page} is outside the volume ({limit} pages)");
        }
    }

    private ulong AppendLocked(MiniTransaction mtr)
    {
        var span = mtr.RecordsMutable;
        var layout = _layout;
        int n = mtr.Count, i = 0, max = _options.MaxBatchBytes;
        ulong lsn = 0;
        for (int off = 0; off < span.Length;)
        {
            var rec = span[off..];
            int len = RedoRecord.Length(rec);
            uint pg = layout.PgOf(RedoRecord.PageNo(rec));
            bool last = ++i == n;
            lsn = _tracker.Allocate(pg, last);
            var st = _pgs[pg];
            var batch = st.Open;
            if (batch is not null && !batch.TryEnsure(len, max))
            {
                SealOpen(pg);
                batch = null;
            }
            if (batch is null)
            {
                batch = st.Open = new RedoBatch(pg, Math.Max(16 * 1024, len));
                _openPgs.Add(pg);
            }
            var dst = batch.Reserve(len, lsn);
            rec[..len].CopyTo(dst);
            BinaryPrimitives.WriteUInt64LittleEndian(dst[RedoRecord.OffVolume..], layout.VolumeId);
            BinaryPrimitives.WriteUInt32LittleEndian(dst[RedoRecord.OffPg..], pg);
            RedoRecord.Restamp(dst, lsn, st.PrevLsn, _epoch, last ? RedoFlags.Cpl : RedoFlags.None);
            st.PrevLsn = lsn;
            off += len;
        }
        if (!_flushQueued)
        {
            _flushQueued = true;
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
        return lsn;
    }

    private void SealOpen(uint pg)
    {
        var st = _pgs[pg];
        var b = st.Open;
        if (b is null) return;
        st.Open = null;
        st.InFlight.Enqueue(b);
        _ready.Add(b);
    }

    /// <summary>The flusher: sends every sealed batch, looping until nothing is left; only one runs at a time.</summary>
    void IThreadPoolWorkItem.Execute()
    {
        while (true)
        {
            VolumeLayout layout;
            AppendHeader hdr;
            Dictionary<uint, NodeLink> links;
            lock (_lock)
            {
                foreach (var pg in _openPgs) SealOpen(pg);
                _openPgs.Clear();
                if (_ready.Count == 0 || _fenced is not null || _disposed)
                {
                    _ready.Clear();
                    _flushQueued = false;
                    return;
                }
                (_ready, _sending) = (_sending, _ready);
                foreach (var b in _sending) b.AddRef();
                layout = _layout;
                links = _links;
                hdr = HeaderLocked();
            }
            foreach (var b in _sending)
            {
                var pg = layout.Pgs[b.Pg];
                foreach (var m in pg.Members)
                    if (links.TryGetValue(m.NodeId, out var link)) SendAppend(link, b, hdr, pg.MembershipEpoch);
                b.Release();
            }
            _sending.Clear();
            KickMaintenance();
        }
    }

    private AppendHeader HeaderLocked() => new()
    {
        VolumeEpoch = _epoch,
        EpochStartLsn = _epochStart,
        DurableHint = _tracker.Vdl,
        MinReadPoint = EffectiveMinReadPointLocked(),
    };

    private ulong EffectiveMinReadPointLocked() => _minReadPoint == 0 ? _tracker.Vdl : Math.Min(_minReadPoint, _tracker.Vdl);

    private void SendAppend(NodeLink link, RedoBatch b, AppendHeader hdr, uint membershipEpoch)
    {
        var client = link.Client;
        if (client is null || client.IsClosed) return;
        hdr.Segment = new SegmentId(_layout.VolumeId, b.Pg);
        hdr.MembershipEpoch = membershipEpoch;
        hdr.RecordCount = (uint)b.RecordCount;
        link.NoteAppendSent();
        var f = client.BeginRequest(MessageType.Append, AppendHeader.Size + b.Length, link.AppendSinkFor(b.Pg), out _);
        hdr.Write(ref f.Writer);
        f.Writer.Bytes(b.Records);
        f.Complete();
    }

    // ---------------------------------------------------------------- acks and durability

    void INodeLinkOwner.OnAppendAck(NodeLink link, in AppendAckMsg ack)
    {
        uint pg = ack.Segment.PgIndex;
        lock (_lock)
        {
            if (!_started || _fenced is not null || _disposed || ack.Segment.VolumeId != _layout.VolumeId || pg >= _quorums.Length) return;
            var q = _quorums[pg];
            if (!q.OnScl(link.NodeId, ack.Scl)) return;
            var inflight = _pgs[pg].InFlight;
            while (inflight.TryPeek(out var b) && b.LastLsn <= q.Pgcl)
            {
                inflight.Dequeue();
                b.Release();
            }
            if (_tracker.Advance())
            {
                _waiters.Release(_tracker.Vdl);
                var space = _spaceWaiter;
                _spaceWaiter = null;
                space?.TrySetResult();
            }
        }
    }

    void INodeLinkOwner.OnAppendError(NodeLink link, in ErrorMsg error, uint pg)
    {
        link.NoteError($"PG {pg}: {error.Code}: {error.Message}");
        Log.AppendRefused(_log, link.NodeId, pg, error.Code.ToString(), error.Message);
        if (error.Code == ErrorCode.UnknownSegment && pg < _layout.PgCount) _ = EnsureSegmentOnAsync(link, pg);
    }

    void INodeLinkOwner.OnStaleEpoch(NodeLink link, uint currentEpoch, string what) =>
        Fence(currentEpoch, $"node {link.NodeId} refused epoch {_epoch}: {what}");

    /// <summary>A node that lacks a segment (it was down when the volume was created, or lost its disk) gets it created, then the in-flight batches.</summary>
    private async Task EnsureSegmentOnAsync(NodeLink link, uint pg)
    {
        if (!_ensuring.TryAdd((link.NodeId, pg), 0)) return; // one at a time per segment, however many appends bounced
        try
        {
            var layout = Layout;
            var r = await ControlRequests.SegmentAsync(link, MessageType.EnsureSegment, ControlRequests.EnsureSegment(layout, layout.Pgs[pg]),
                _options.RequestTimeout, _disposeCts.Token);
            if (r.Ok) Resend(link, pg);
        }
        catch (OperationCanceledException) { }
        finally
        {
            _ensuring.TryRemove((link.NodeId, pg), out _);
        }
    }

    void INodeLinkOwner.OnConnected(NodeLink link)
    {
        int n = Resend(link, uint.MaxValue);
        Log.NodeConnected(_log, link.NodeId, link.Info.Endpoint, n);
    }

    /// <summary>Resends the not-yet-durable batches (of one PG, or all PGs) whose records the node has not acknowledged.</summary>
    private int Resend(NodeLink link, uint onlyPg)
    {
        var list = new List<(RedoBatch Batch, uint MembershipEpoch)>();
        AppendHeader hdr;
        lock (_lock)
        {
            if (!_started || _fenced is not null || _disposed) return 0;
            foreach (var pg in _layout.Pgs)
            {
                if (onlyPg != uint.MaxValue && pg.PgIndex != onlyPg) continue;
                if (pg.IndexOf(link.NodeId) < 0) continue;
                ulong scl = _quorums[pg.PgIndex].SclOf(link.NodeId);
                foreach (var b in _pgs[pg.PgIndex].InFlight)
                {
                    if (b.LastLsn <= scl) continue;
                    b.AddRef();
                    list.Add((b, pg.MembershipEpoch));
                }
            }
            hdr = HeaderLocked();
        }
        foreach (var (b, me) in list)
        {
            SendAppend(link, b, hdr, me);
            b.Release();
        }
        return list.Count;
    }

    /// <summary>Completes when VDL ≥ <paramref name="lsn"/>; fails with <see cref="VolumeFencedException"/> if the writer is fenced.</summary>
    public ValueTask WaitDurableAsync(ulong lsn, CancellationToken ct = default)
    {
        lock (_lock)
        {
            ThrowIfUnusable();
            if (lsn <= _tracker.Vdl) return default;
            return new ValueTask(_waiters.Add(lsn, ct));
        }
    }

    private void Fence(uint newerEpoch, string detail)
    {
        VolumeFencedException ex;
        lock (_lock)
        {
            if (_fenced is not null) return;
            ex = new VolumeFencedException(_epoch, newerEpoch,
                $"volume {_layout.VolumeId:x}: a newer writer (epoch {newerEpoch}) opened this volume; this writer (epoch {_epoch}) is fenced and must stop ({detail})");
            Volatile.Write(ref _fenced, ex);
            _waiters.FailAll(ex);
            _spaceWaiter?.TrySetException(ex);
            _spaceWaiter = null;
        }
        Log.Fenced(_log, _layout.VolumeId, _epoch, ex.Message);
        try { Fenced?.Invoke(ex); }
        catch (Exception e) when (e is not OutOfMemoryException) { }
    }

    internal void OnStaleEpochFromRead(uint nodeId, uint currentEpoch) => Fence(currentEpoch, $"node {nodeId} refused a read at epoch {_epoch}");

    private void ThrowIfUnusable()
    {
        if (_fenced is not null) throw _fenced;
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_started) throw new InvalidOperationException("volume not open");
    }

    // ---------------------------------------------------------------- reads

    /// <summary>
    /// Reads a page as of <paramref name="asOfLsn"/> (≤ VDL) into <paramref name="destination"/>
    /// (Page.Size bytes), from one segment known to be complete at that LSN, fastest first,
    /// hedged to the next after an adaptive delay. The page's checksum is verified.
    /// </summary>
    public ValueTask ReadPageAsync(ulong pageNo, ulong asOfLsn, Memory<byte> destination, CancellationToken ct = default)
    {
        if (pageNo >= _layout.PageCount) throw new ArgumentOutOfRangeException(nameof(pageNo), $"page {pageNo} is outside the volume");
        if (destination.Length < Page.Size) throw new ArgumentException($"destination must hold {Page.Size} bytes", nameof(destination));
        lock (_lock)
        {
            ThrowIfUnusable();
            if (asOfLsn > _tracker.Vdl) throw new ArgumentOutOfRangeException(nameof(asOfLsn), $"read point {asOfLsn} is above VDL {_tracker.Vdl}");
        }
        return _reader.ReadAsync(pageNo, asOfLsn, destination[..Page.Size], ct);
    }

    /// <summary>Convenience overload that allocates the page.</summary>
    public async ValueTask<byte[]> ReadPageAsync(ulong pageNo, ulong asOfLsn, CancellationToken ct = default)
    {
        var page = new byte[Page.Size];
        await ReadPageAsync(pageNo, asOfLsn, page, ct);
        return page;
    }

    /// <summary>
    /// Members of the page's PG known complete at <paramref name="asOf"/> (≤ VDL), connected,
    /// lowest latency first, each with the read point to ask it for.
    /// A segment is complete at asOf when its SCL reaches h = the PG's highest LSN ≤ asOf. Since
    /// every record ≤ asOf is durable, h ≤ PGCL; if PGCL ≤ asOf then h = PGCL, else SCL ≥ asOf
    /// suffices — so the test is SCL ≥ min(asOf, PGCL), which at least four members pass. A
    /// segment is asked for min(asOf, SCL): when its SCL is below asOf it equals h, and the page
    /// as of h is the page as of asOf (no record of the PG lies in between), while a node only
    /// serves read points at or below its own SCL.
    /// </summary>
    internal void GetReadCandidates(ulong pageNo, ulong asOf, List<(NodeLink Link, ulong AsOf)> into)
    {
        into.Clear();
        lock (_lock)
        {
            uint pgIdx = _layout.PgOf(pageNo);
            var pg = _layout.Pgs[pgIdx];
            var q = _quorums[pgIdx];
            ulong need = Math.Min(asOf, q.Pgcl);
            foreach (var m in pg.Members)
            {
                ulong scl = q.SclOf(m.NodeId);
                if (scl < need || !_links.TryGetValue(m.NodeId, out var link) || !link.IsConnected) continue;
                into.Add((link, Math.Min(asOf, scl)));
            }
        }
        into.Sort(static (a, b) => a.Link.LatencyEwmaMs.CompareTo(b.Link.LatencyEwmaMs));
    }

    // ---------------------------------------------------------------- min read point and maintenance

    /// <summary>
    /// The oldest read point any instance still needs; storage may garbage-collect page versions
    /// below it. Announced in every Append and by a SetMinReadPoint when it changes. 0 = the VDL.
    /// </summary>
    public void SetMinReadPoint(ulong lsn)
    {
        lock (_lock) _minReadPoint = lsn;
        KickMaintenance();
    }

    private void KickMaintenance()
    {
        if (Interlocked.Exchange(ref _maintenanceIdle, 0) == 1)
        {
            try { _maintenanceSignal.Release(); }
            catch (SemaphoreFullException) { }
        }
    }

    /// <summary>
    /// Background duties, awake only while there is something to do: disconnect a node that has
    /// appends outstanding but acknowledges nothing (the reconnect then resends), and announce a
    /// changed minimum read point.
    /// </summary>
    private async Task MaintenanceLoopAsync()
    {
        var token = _disposeCts.Token;
        try
        {
            while (!token.IsCancellationRequested)
            {
                bool work = false;
                foreach (var link in Volatile.Read(ref _links).Values)
                {
                    if (link.OutstandingAppends <= 0 || !link.IsConnected) continue;
                    work = true;
                    if (link.SinceLastProgress > _options.AppendStallTimeout)
                    {
                        Log.AppendStalled(_log, link.NodeId, (long)link.SinceLastProgress.TotalMilliseconds);
                        link.Disconnect($"no append ack for {link.SinceLastProgress.TotalMilliseconds:F0} ms");
                    }
                }
                ulong mrp;
                lock (_lock) mrp = EffectiveMinReadPointLocked();
                if (mrp != _announcedMinReadPoint)
                {
                    _announcedMinReadPoint = mrp;
                    AnnounceMinReadPoint(mrp);
                    work = true;
                }
                if (work)
                {
                    await Task.Delay(_options.MaintenanceInterval, token);
                }
                else
                {
                    Volatile.Write(ref _maintenanceIdle, 1);
                    await _maintenanceSignal.WaitAsync(token);
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    private void AnnounceMinReadPoint(ulong lsn)
    {
        var payload = Encode.ToArray(MinReadPointMsg.Size, (ref WireWriter w) => new MinReadPointMsg { VolumeId = _layout.VolumeId, Lsn = lsn }.Write(ref w));
        foreach (var link in Volatile.Read(ref _links).Values)
        {
            var c = link.Client;
            if (c is null || c.IsClosed) continue;
            _ = c.RequestAsync(MessageType.SetMinReadPoint, payload, _options.RequestTimeout, _disposeCts.Token)
                .ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
        }
    }

    // ---------------------------------------------------------------- health, membership, disposal

    /// <summary>A snapshot of per-PG, per-segment progress and a human explanation of any stall.</summary>
    public VolumeHealth GetHealth()
    {
        lock (_lock)
        {
            return VolumeHealthBuilder.Build(_layout, _quorums, _links, _epoch, _tracker.Vcl, _tracker.Vdl, _tracker.Next, _fenced?.Message);
        }
    }

    internal NodeLink GetOrAddLink(NodeInfo node)
    {
        lock (_lock)
        {
            if (_links.TryGetValue(node.NodeId, out var link)) return link;
            link = new NodeLink(node, _layout.PgCount, this, _options, _log);
            var copy = new Dictionary<uint, NodeLink>(_links) { [node.NodeId] = link };
            Volatile.Write(ref _links, copy);
            return link;
        }
    }

    internal NodeLink? TryGetLink(uint nodeId) => Volatile.Read(ref _links).GetValueOrDefault(nodeId);

    internal VolumeClientOptions Options => _options;
    internal ILogger Logger => _log;
    internal CancellationToken DisposeToken => _disposeCts.Token;

    /// <summary>Switches the in-memory membership of one PG (after the new layout was persisted).</summary>
    private readonly SemaphoreSlim _membershipGate = new(1, 1);

    /// <summary>
    /// Persists a PG's new membership, then applies it. Changes are serialised: each one
    /// starts from the layout the previous one left, so concurrent replacements in different
    /// PGs cannot overwrite each other's step in the store.
    /// </summary>
    internal async Task CommitMembershipAsync(PgLayout pg, CancellationToken ct)
    {
        await _membershipGate.WaitAsync(ct);
        try
        {
            await _store.SaveAsync(Layout.WithPg(pg), ct);
            lock (_lock)
            {
                ThrowIfUnusable();
                Volatile.Write(ref _layout, _layout.WithPg(pg));
                _quorums[pg.PgIndex].SetMembership(pg, default);
            }
        }
        finally
        {
            _membershipGate.Release();
        }
    }

    internal ulong PgclOf(uint pg)
    {
        lock (_lock) return _quorums[pg].Pgcl;
    }

    internal void NoteScl(uint pg, uint nodeId, ulong scl)
    {
        lock (_lock)
        {
            if (!_started || _fenced is not null || _disposed) return;
            if (_quorums[pg].OnScl(nodeId, scl) && _tracker.Advance())
            {
                _waiters.Release(_tracker.Vdl);
                var space = _spaceWaiter;
                _spaceWaiter = null;
                space?.TrySetResult();
            }
        }
    }

    /// <summary>Replaces a lost segment of a PG; see <see cref="SegmentReplacement"/>.</summary>
    public Task ReplaceSegmentAsync(uint pgIndex, uint lostNodeId, NodeInfo replacement, CancellationToken ct = default)
        => SegmentReplacement.RunAsync(this, pgIndex, lostNodeId, replacement, ct);

    public async ValueTask DisposeAsync()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            var ex = new ObjectDisposedException(nameof(WriterVolume));
            _waiters.FailAll(ex);
            _spaceWaiter?.TrySetException(ex);
            _spaceWaiter = null;
        }
        _disposeCts.Cancel();
        if (_maintenance is not null) await _maintenance;
        foreach (var link in _links.Values) await link.DisposeAsync();
        lock (_lock)
        {
            foreach (var st in _pgs)
            {
                st.Open?.Release();
                st.Open = null;
                while (st.InFlight.TryDequeue(out var b)) b.Release();
            }
            _openPgs.Clear();
            _ready.Clear();
        }
    }
}
