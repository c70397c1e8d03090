using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Borealis.Redo;
using Borealis.Storage.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Borealis.Storage;

/// <summary>
/// A storage node: hosts segments of protection groups, persists received redo to its hot log
/// (group fsync) before acknowledging, fills gaps by gossip with its peers, coalesces records
/// into page versions, serves pages as of an LSN, and scrubs its data. See
/// docs/storage-design.md for the algorithms and docs/storage-protocol.md for the frames.
/// Threading: each connection's receive loop handles its frames (<see cref="Session"/>); one
/// writer thread does every hot-log write and metadata change (<see cref="GroupCommitter"/>);
/// page and record reads run on the thread pool; gossip and maintenance are one background
/// task each, woken by signals and modest timers (an idle node does not spin).
/// </summary>
public sealed class StorageNode : IAsyncDisposable
{
    private readonly ConcurrentDictionary<SegmentId, Segment> _segments = new();
    private readonly ConcurrentDictionary<ulong, ulong> _volumeMinRead = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly FileStream _dirLock;
    private FrameServer? _server;
    private Task? _gossipTask;
    private Task? _maintenanceTask;
    private int _disposed;

    private StorageNode(StorageNodeOptions options, ILoggerFactory loggerFactory, FileStream dirLock)
    {
        Options = options;
        Logger = loggerFactory.CreateLogger("Borealis.Storage.Node");
        Durable = new Durable(options.SyncWrites);
        _dirLock = dirLock;
        Log = new HotLog(Path.Combine(options.DataDir, "log"), options.LogFileSize, Durable);
        Committer = null!;
        Peers = new PeerClients(this);
        Gossip = new Gossiper(this);
        Maintenance = new Maintenance(this);
    }

    internal StorageNodeOptions Options { get; }
    internal ILogger Logger { get; }
    internal Durable Durable { get; }
    internal HotLog Log { get; }
    internal GroupCommitter Committer { get; private set; }
    internal PeerClients Peers { get; }
    internal Gossiper Gossip { get; }
    internal Maintenance Maintenance { get; }
    internal CancellationToken Stopping => _stop.Token;

    public uint NodeId => Options.NodeId;
    public string Az => Options.Az;

    /// <summary>The address the node listens on (with the real port when the options said 0).</summary>
    public IPEndPoint LocalEndPoint => _server!.LocalEndPoint;

    /// <summary>True after an fsync failure: appends are refused, reads still served.</summary>
    public bool IsReadOnly => Committer.ReadOnly;

    /// <summary>
    /// Opens (or creates) the node's data directory, rebuilds its state from the log files,
    /// segment metadata and page files, and starts listening.
    /// </summary>
    public static async Task<StorageNode> StartAsync(StorageNodeOptions options, ILoggerFactory? loggerFactory = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.NodeId == 0) throw new ArgumentException("NodeId must not be 0", nameof(options));
        if (string.IsNullOrEmpty(options.DataDir)) throw new ArgumentException("DataDir is required", nameof(options));
        Directory.CreateDirectory(options.DataDir);
        var lockPath = Path.Combine(options.DataDir, "LOCK");
        FileStream dirLock;
        try
        {
            dirLock = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new IOException($"data directory {options.DataDir} is in use by another storage node", e);
        }
        var node = new StorageNode(options, loggerFactory ?? NullLoggerFactory.Instance, dirLock);
        try
        {
            await Task.Run(node.Recover, ct);
            node.Committer = new GroupCommitter(node.Log, options.MaxGroupBytes, node.Logger, node.OnAdvanced);
            var ep = IPEndPoint.Parse(options.Listen);
            node._server = new FrameServer(ep, conn => new Session(node, conn));
            node._server.Start();
            NodeLog.Listening(node.Logger, node.LocalEndPoint.ToString());
            node._gossipTask = Task.Run(() => node.Gossip.RunAsync(node._stop.Token), CancellationToken.None);
            node._maintenanceTask = Task.Run(() => node.Maintenance.RunAsync(node._stop.Token), CancellationToken.None);
            return node;
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
    }

    private void Recover()
    {
        CheckIdentity();
        string segRoot = Path.Combine(Options.DataDir, "segments");
        Directory.CreateDirectory(segRoot);
        foreach (var dir in Directory.GetDirectories(segRoot))
        {
            var meta = Segment.LoadMeta(dir);
            if (meta is null)
            {
                NodeLog.BadMeta(Logger, Path.GetFileName(dir), dir);
                continue;
            }
            _segments[meta.Id] = new Segment(dir, meta, Durable);
            _volumeMinRead.AddOrUpdate(meta.Id.VolumeId, meta.MinReadPoint, (_, old) => Math.Max(old, meta.MinReadPoint));
        }
        var stats = Log.Recover((file, offset, rec) =>
        {
            var id = new SegmentId(RedoRecord.VolumeId(rec), RedoRecord.PgIndex(rec));
            if (!_segments.TryGetValue(id, out var seg)) return;
            ulong lsn = RedoRecord.Lsn(rec);
            uint epoch = RedoRecord.WriterEpoch(rec);
            if (seg.Meta.IsDeposed(epoch, lsn)) return;
            var e = new RecordEntry
            {
                Lsn = lsn, PrevLsn = RedoRecord.PrevLsn(rec), PageNo = RedoRecord.PageNo(rec), Offset = offset,
                FileNo = file.FileNo, Length = rec.Length, Epoch = epoch, Flags = (byte)RedoRecord.Flags(rec),
            };
            if (seg.Index.Insert(e) != InsertResult.Ignored) file.Note(seg, lsn);
        });
        foreach (var seg in _segments.Values) seg.Index.RecomputeScl();
        NodeLog.Recovered(Logger, NodeId, Az, _segments.Count, stats.Records, stats.Files, stats.CorruptSkipped, stats.TornBytesTruncated);
    }

    private void CheckIdentity()
    {
        string path = Path.Combine(Options.DataDir, "node.json");
        if (File.Exists(path))
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            uint id = doc.RootElement.GetProperty("nodeId").GetUInt32();
            if (id != NodeId) throw new InvalidOperationException($"data directory {Options.DataDir} belongs to node {id}, not {NodeId}");
            return;
        }
        var buf = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buf))
        {
            w.WriteStartObject();
            w.WriteNumber("nodeId", NodeId);
            w.WriteString("az", Az);
            w.WriteEndObject();
        }
        Durable.ReplaceFile(path, buf.WrittenSpan);
    }

    /// <summary>The highest minimum read point heard for a volume (0 if none), for segments created later.</summary>
    internal ulong VolumeMinReadPoint(ulong volumeId) => _volumeMinRead.TryGetValue(volumeId, out ulong v) ? v : 0;

    internal Segment? Find(SegmentId id) => _segments.TryGetValue(id, out var s) ? s : null;

    internal ICollection<Segment> Segments => _segments.Values;

    internal string SegmentDir(SegmentId id) => Path.Combine(Options.DataDir, "segments", Segment.DirName(id));

    internal void Register(Segment seg) => _segments[seg.Id] = seg;

    /// <summary>Called after records were inserted into a segment (any thread): wakes gossip or coalescing if there is work.</summary>
    internal void OnAdvanced(Segment seg)
    {
        bool behind, coalesce;
        lock (seg.Sync)
        {
            behind = seg.IsBehind;
            coalesce = Maintenance.HasCoalesceWorkLocked(seg);
        }
        if (behind) Gossip.Signal();
        if (coalesce) Maintenance.Signal();
    }

    /// <summary>Raises the minimum read point of every segment of a volume (monotonic).</summary>
    internal void RaiseMinReadPoint(ulong volumeId, ulong lsn)
    {
        // Fast path (every Append carries it): nothing to do unless it rose.
        if (lsn == 0 || (_volumeMinRead.TryGetValue(volumeId, out ulong known) && known >= lsn)) return;
        _volumeMinRead.AddOrUpdate(volumeId, lsn, (_, old) => Math.Max(old, lsn));
        foreach (var (_, seg) in _segments)
        {
            if (seg.Id.VolumeId != volumeId) continue;
            bool work;
            lock (seg.Sync)
            {
                if (lsn <= seg.Meta.MinReadPoint) continue;
                seg.Meta.MinReadPoint = lsn;
                // A min read point is never above a VDL some writer announced: it is a durable point too.
                if (lsn > seg.Meta.DurableHint) seg.Meta.DurableHint = lsn;
                work = Maintenance.HasCoalesceWorkLocked(seg);
            }
            if (work) Maintenance.Signal();
        }
    }

    /// <summary>The NodeStatusReply payload: UTF-8 JSON.</summary>
    internal byte[] StatusJson()
    {
        var buf = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buf))
        {
            w.WriteStartObject();
            w.WriteNumber("nodeId", NodeId);
            w.WriteString("az", Az);
            w.WriteString("endpoint", _server?.LocalEndPoint.ToString() ?? "");
            w.WriteBoolean("readOnly", Committer.ReadOnly);
            w.WriteNumber("logBytes", Log.TotalBytes);
            w.WriteNumber("logFiles", Log.FileCount);
            w.WriteStartArray("segments");
            foreach (var seg in _segments.Values)
            {
                SegmentStateMsg st;
                int records;
                bool hydrating;
                lock (seg.Sync)
                {
                    st = seg.StateLocked();
                    records = seg.Index.Count;
                    hydrating = seg.Meta.Hydrating;
                }
                w.WriteStartObject();
                w.WriteNumber("volumeId", st.Segment.VolumeId);
                w.WriteNumber("pg", st.Segment.PgIndex);
                w.WriteNumber("scl", st.Scl);
                w.WriteNumber("maxLsn", st.MaxLsn);
                w.WriteNumber("base", st.BaseLsn);
                w.WriteNumber("epoch", st.VolumeEpoch);
                w.WriteNumber("epochStart", st.EpochStartLsn);
                w.WriteNumber("membershipEpoch", st.MembershipEpoch);
                w.WriteNumber("durableHint", st.DurableHint);
                w.WriteNumber("minReadPoint", st.MinReadPoint);
                w.WriteNumber("records", records);
                w.WriteBoolean("hydrating", hydrating);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return buf.WrittenSpan.ToArray();
    }

    // ---- test hooks (cheap: each is one call into the background machinery) ----

    /// <summary>Runs one scrub pass now (pages and log records) and returns its report.</summary>
    public Task<ScrubReportMsg> RunScrubAsync(CancellationToken ct = default) => Maintenance.ScrubAsync(ct);

    /// <summary>Runs one gossip round now for every segment that is behind (and probes peers first when <paramref name="probe"/>).</summary>
    public Task RunGossipOnceAsync(bool probe = true, CancellationToken ct = default) => Gossip.RunOnceAsync(probe, ct);

    /// <summary>Coalesces every segment as far as it may go now and deletes log files no longer needed.</summary>
    public Task CoalesceNowAsync(CancellationToken ct = default) => Maintenance.CoalesceAllAsync(force: true, ct);

    /// <summary>Test hook: the next fsync fails as a broken disk would.</summary>
    public void InjectFsyncFailure() => Durable.FailNextSync();

    /// <summary>The state of one segment as the node would report it (null when the node has no such segment).</summary>
    public SegmentStateMsg? GetSegmentState(SegmentId id) => Find(id)?.State();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stop.Cancel();
        if (_server is not null) await _server.DisposeAsync();
        foreach (var t in new[] { _gossipTask, _maintenanceTask })
        {
            if (t is null) continue;
            try { await t; }
            catch (OperationCanceledException) { }
        }
        await Peers.DisposeAsync();
        Committer?.Dispose();
        foreach (var seg in _segments.Values) seg.Dispose();
        Log.Dispose();
        _dirLock.Dispose();
        _stop.Dispose();
    }
}
