using System.Collections.Concurrent;
using Borealis.Redo;
using Borealis.Storage.Protocol;
using Microsoft.Extensions.Logging;

namespace Borealis.Storage;

internal abstract class WorkItem;

/// <summary>A control operation that must be ordered with appends and may change metadata (runs on the writer thread).</summary>
internal sealed class ControlWork(Action run) : WorkItem
{
    public Action Run { get; } = run;
}

/// <summary>
/// One batch of records for one segment: from an Append frame (reply on <see cref="Conn"/>) or
/// from gossip/hydration (<see cref="Done"/>). Pooled; the records sit in a pooled buffer owned
/// by the item until the writer thread has copied them into its group buffer.
/// </summary>
internal sealed class AppendWork : WorkItem
{
    public Segment Segment = null!;
    public FrameConnection? Conn;
    public ulong RequestId;
    public AppendHeader Header;
    public bool FromGossip;
    public byte[] Buffer = [];
    public int Length;
    public TaskCompletionSource<ErrorCode>? Done;
    internal int StagedStart;
    internal int StagedCount;
    internal ulong StagedMaxLsn;
}

/// <summary>
/// Group commit: the one writer thread of the hot log. It takes everything queued by all
/// connections (and by gossip), copies the records that are new to their segments into one
/// buffer, persists any metadata those batches changed (epoch adoption), writes the buffer
/// with one write and one fsync, then inserts the records into the segment indexes and sends
/// every covered ack. Control operations (seal, truncate, membership, hydration) run on the
/// same thread between groups, so they are ordered with the appends around them and are the
/// only writers of epoch state.
/// An fsync failure makes the node read-only: every staged and later batch is refused with
/// ReadOnly; reads continue from what was durable before.
/// </summary>
internal sealed class GroupCommitter : IDisposable
{
    private readonly struct Staged(RecordEntry entry)
    {
        public readonly RecordEntry Entry = entry;
    }

    private readonly HotLog _log;
    private readonly ILogger _logger;
    private readonly Action<Segment> _onAdvanced;
    private readonly object _qLock = new();
    private readonly Thread _thread;
    private readonly ConcurrentBag<AppendWork> _pool = [];
    private List<WorkItem> _queue = [];
    private List<WorkItem> _taking = [];
    private readonly byte[] _group;
    private int _groupLen;
    private readonly List<Staged> _staged = [];
    private readonly List<AppendWork> _stagedWork = [];
    private readonly HashSet<Segment> _dirty = [];
    private bool _stopping;
    private volatile bool _readOnly;

    public GroupCommitter(HotLog log, int maxGroupBytes, ILogger logger, Action<Segment> onAdvanced)
    {
        _log = log;
        _logger = logger;
        _onAdvanced = onAdvanced;
        _group = GC.AllocateUninitializedArray<byte>(Math.Max(maxGroupBytes, Frame.MaxFrameSize), pinned: true);
        _thread = new Thread(Run) { IsBackground = true, Name = "borealis-log-writer" };
        _thread.Start();
    }

    public bool ReadOnly => _readOnly;

    /// <summary>After any failed fsync (log, metadata or pages) the node stops taking writes.</summary>
    public void MarkReadOnly() => _readOnly = true;

    public long GroupsWritten { get; private set; }

    public AppendWork Rent(int bytes)
    {
        if (!_pool.TryTake(out var w)) w = new AppendWork();
        if (w.Buffer.Length < bytes)
        {
            if (w.Buffer.Length > 0) System.Buffers.ArrayPool<byte>.Shared.Return(w.Buffer);
            w.Buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(Math.Max(bytes, 4096));
        }
        return w;
    }

    public void Return(AppendWork w)
    {
        w.Segment = null!;
        w.Conn = null;
        w.Done = null;
        w.Length = 0;
        w.FromGossip = false;
        if (w.Buffer.Length > 1024 * 1024)
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(w.Buffer);
            w.Buffer = [];
        }
        _pool.Add(w);
    }

    public void Enqueue(WorkItem item)
    {
        lock (_qLock)
        {
            if (_stopping)
            {
                Refuse(item, ErrorCode.NotAvailable, "node is shutting down");
                return;
            }
            _queue.Add(item);
            if (_queue.Count == 1) Monitor.Pulse(_qLock);
        }
    }

    /// <summary>Runs <paramref name="action"/> on the writer thread, ordered after everything queued before it.</summary>
    public Task<T> RunAsync<T>(Func<T> action)
    {
        var tcs = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Enqueue(new ControlWork(() =>
        {
            try { tcs.TrySetResult(action()); }
            catch (Exception e) { tcs.TrySetException(e); }
        }));
        return tcs.Task;
    }

    private void Run()
    {
        while (true)
        {
            lock (_qLock)
            {
                while (_queue.Count == 0 && !_stopping) Monitor.Wait(_qLock);
                if (_queue.Count == 0) return;
                (_queue, _taking) = (_taking, _queue);
            }
            foreach (var item in _taking)
            {
                if (item is ControlWork c)
                {
                    Flush();
                    try { c.Run(); }
                    catch (Exception e) when (e is not OutOfMemoryException) { NodeLog.ControlFailed(_logger, e); }
                }
                else
                {
                    Stage((AppendWork)item);
                }
            }
            Flush();
            _taking.Clear();
        }
    }

    private void Stage(AppendWork w)
    {
        var seg = w.Segment;
        if (_readOnly)
        {
            Refuse(w, ErrorCode.ReadOnly, "node is read-only after an fsync failure");
            return;
        }
        if (_groupLen + w.Length > _group.Length) Flush();
        lock (seg.Sync)
        {
            if (seg.Disposed)
            {
                Refuse(w, ErrorCode.UnknownSegment, "segment was removed");
                return;
            }
            var meta = seg.Meta;
            if (!w.FromGossip)
            {
                ref readonly var h = ref w.Header;
                if (h.VolumeEpoch < meta.Epoch)
                {
                    Refuse(w, ErrorCode.StaleEpoch, $"epoch {h.VolumeEpoch} is older than the segment's {meta.Epoch}", meta.Epoch);
                    return;
                }
                if (h.MembershipEpoch < meta.Membership.Epoch)
                {
                    Refuse(w, ErrorCode.StaleMembership, $"membership epoch {h.MembershipEpoch} is older than {meta.Membership.Epoch}", meta.Membership.Epoch);
                    return;
                }
                if (seg.AdoptEpochLocked(h.VolumeEpoch, h.EpochStartLsn, out int dropped))
                {
                    _dirty.Add(seg);
                    NodeLog.EpochAdopted(_logger, seg.Id.ToString(), h.VolumeEpoch, h.EpochStartLsn, dropped);
                }
            }
            w.StagedStart = _staged.Count;
            w.StagedMaxLsn = 0;
            var span = w.Buffer.AsSpan(0, w.Length);
            while (!span.IsEmpty)
            {
                int n = RedoRecord.Length(span);
                var rec = span[..n];
                ulong lsn = RedoRecord.Lsn(rec);
                uint epoch = RedoRecord.WriterEpoch(rec);
                if (!meta.IsDeposed(epoch, lsn) && !seg.Index.Holds(lsn, epoch))
                {
                    rec.CopyTo(_group.AsSpan(_groupLen));
                    _staged.Add(new Staged(new RecordEntry
                    {
                        Lsn = lsn, PrevLsn = RedoRecord.PrevLsn(rec), PageNo = RedoRecord.PageNo(rec), Offset = _groupLen,
                        Length = n, Epoch = epoch, Flags = (byte)RedoRecord.Flags(rec),
                    }));
                    _groupLen += n;
                    if (lsn > w.StagedMaxLsn) w.StagedMaxLsn = lsn;
                }
                span = span[n..];
            }
            w.StagedCount = _staged.Count - w.StagedStart;
        }
        _stagedWork.Add(w);
    }

    private void Flush()
    {
        if (_stagedWork.Count == 0 && _dirty.Count == 0) return;
        LogFile? file = null;
        long baseOffset = 0;
        try
        {
            foreach (var seg in _dirty) seg.PersistMeta();
            _dirty.Clear();
            if (_groupLen > 0)
            {
                file = _log.Append(_group.AsSpan(0, _groupLen), out baseOffset);
                GroupsWritten++;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _readOnly = true;
            NodeLog.FsyncFailed(_logger, e);
            foreach (var w in _stagedWork) Refuse(w, ErrorCode.ReadOnly, "fsync failed; node is read-only");
            _stagedWork.Clear();
            _staged.Clear();
            _dirty.Clear();
            _groupLen = 0;
            return;
        }

        foreach (var w in _stagedWork)
        {
            var seg = w.Segment;
            AppendAckMsg ack;
            lock (seg.Sync)
            {
                bool replaced = false;
                for (int i = w.StagedStart; i < w.StagedStart + w.StagedCount; i++)
                {
                    var e = _staged[i].Entry;
                    e.FileNo = file!.FileNo;
                    e.Offset += baseOffset;
                    if (seg.Index.Insert(e) == InsertResult.Replaced) replaced = true;
                }
                if (replaced) seg.Index.RecomputeScl(); else seg.Index.AdvanceScl();
                ack = new AppendAckMsg { Segment = seg.Id, Scl = seg.Index.Scl, MaxLsn = seg.Index.MaxLsn };
            }
            if (w.StagedCount > 0) file!.Note(seg, w.StagedMaxLsn);
            if (w.Conn is { } conn)
            {
                var f = conn.BeginFrame(MessageType.AppendAck, w.RequestId, AppendAckMsg.Size);
                ack.Write(ref f.Writer);
                f.Complete();
            }
            w.Done?.TrySetResult(ErrorCode.None);
            _onAdvanced(seg);
            Return(w);
        }
        _stagedWork.Clear();
        _staged.Clear();
        _groupLen = 0;
    }

    private void Refuse(WorkItem item, ErrorCode code, string message, uint epoch = 0)
    {
        if (item is AppendWork w)
        {
            w.Conn?.SendError(w.RequestId, code, message, epoch);
            w.Done?.TrySetResult(code);
            Return(w);
        }
        else if (item is ControlWork c)
        {
            // Control work reports through its own completion; run it so it can observe the refusal.
            try { c.Run(); }
            catch (Exception e) when (e is not OutOfMemoryException) { NodeLog.ControlFailed(_logger, e); }
        }
    }

    /// <summary>Test hook and shutdown: stops taking work after what is queued.</summary>
    public void Dispose()
    {
        lock (_qLock)
        {
            _stopping = true;
            Monitor.PulseAll(_qLock);
        }
        _thread.Join();
    }
}
