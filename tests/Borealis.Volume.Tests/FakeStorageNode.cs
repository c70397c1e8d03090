using System.Net;
using Borealis.Redo;
using Borealis.Storage.Protocol;

namespace Borealis.Volume.Tests;

/// <summary>
/// An in-memory storage node speaking the real protocol, for testing the volume client without
/// the real node: SCL chain tracking, epochs (seal, truncate, adopt from Append), ListLsns,
/// GetPage by applying records with PageApply. No disk, no gossip; hydration of a new segment
/// copies records from a peer fake directly. Test code: allocation is fine here.
/// </summary>
public sealed class FakeStorageNode : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(ulong, uint), Seg> _segs = [];
    private readonly FrameServer _server;

    public FakeStorageNode(uint nodeId, string az, Func<uint, FakeStorageNode?>? peers = null)
    {
        NodeId = nodeId;
        Az = az;
        Peers = peers;
        _server = new FrameServer(new IPEndPoint(IPAddress.Loopback, 0), conn => new Handler(this));
        _server.Start();
        Endpoint = $"127.0.0.1:{_server.LocalEndPoint.Port}";
    }

    public uint NodeId { get; }
    public string Az { get; }
    public string Endpoint { get; }
    public Func<uint, FakeStorageNode?>? Peers { get; }
    /// <summary>When set, Append frames are accepted but never acknowledged.</summary>
    public volatile bool HoldAcks;
    /// <summary>When set, Append frames are dropped without a trace (the records never arrive).</summary>
    public volatile bool DropAppends;
    public int AppendFrames;

    public NodeInfo Info => new(NodeId, Az, Endpoint);

    private sealed class Seg
    {
        public uint Epoch;
        public ulong EpochStart;
        public uint MembershipEpoch;
        public ulong Scl;
        public ulong DurableHint;
        public ulong MinReadPoint;
        public readonly SortedDictionary<ulong, byte[]> Records = [];

        public void RecomputeScl()
        {
            ulong scl = 0;
            foreach (var (lsn, rec) in Records)
                if (RedoRecord.PrevLsn(rec) == scl) scl = lsn;
            Scl = scl;
        }

        public ulong MaxLsn => Records.Count == 0 ? 0 : Records.Keys.Max();

        public SegmentStateMsg State(SegmentId id) => new()
        {
            Segment = id, VolumeEpoch = Epoch, EpochStartLsn = EpochStart, MembershipEpoch = MembershipEpoch, Scl = Scl,
            MaxLsn = MaxLsn, BaseLsn = 0, DurableHint = DurableHint, MinReadPoint = MinReadPoint,
        };

        public void DropStale(uint epoch, ulong above)
        {
            var drop = new List<ulong>();
            foreach (var (lsn, rec) in Records)
                if (lsn > above && RedoRecord.WriterEpoch(rec) < epoch) drop.Add(lsn);
            foreach (var l in drop) Records.Remove(l);
            RecomputeScl();
        }
    }

    public ulong SclOf(ulong volumeId, uint pg)
    {
        lock (_lock) return _segs.TryGetValue((volumeId, pg), out var s) ? s.Scl : 0;
    }

    public int RecordCount(ulong volumeId, uint pg)
    {
        lock (_lock) return _segs.TryGetValue((volumeId, pg), out var s) ? s.Records.Count : 0;
    }

    private List<byte[]> Snapshot(ulong volumeId, uint pg)
    {
        lock (_lock) return _segs.TryGetValue((volumeId, pg), out var s) ? [.. s.Records.Values] : [];
    }

    private void Handle(FrameConnection conn, ReadOnlySpan<byte> frame)
    {
        var type = Frame.Type(frame);
        ulong id = Frame.RequestId(frame);
        var p = frame[Frame.HeaderSize..];
        switch (type)
        {
            case MessageType.Hello:
            {
                var ok = new HelloOkMsg { Version = Frame.ProtocolVersion, NodeId = NodeId, Az = Az };
                var f = conn.BeginFrame(MessageType.HelloOk, id, ok.Size);
                ok.Write(ref f.Writer);
                f.Complete();
                return;
            }
            case MessageType.EnsureSegment or MessageType.UpdateMembership:
            {
                if (!EnsureSegmentMsg.TryRead(p, out var m)) { conn.SendError(id, ErrorCode.Malformed, "bad"); return; }
                bool hydrate = false;
                SegmentStateMsg st;
                lock (_lock)
                {
                    if (!_segs.TryGetValue((m.Segment.VolumeId, m.Segment.PgIndex), out var s))
                    {
                        if (type == MessageType.UpdateMembership) { conn.SendError(id, ErrorCode.UnknownSegment, "no segment"); return; }
                        _segs[(m.Segment.VolumeId, m.Segment.PgIndex)] = s = new Seg();
                        hydrate = m.Membership.Members.Length > 6;
                    }
                    if (m.Membership.Epoch < s.MembershipEpoch) { conn.SendError(id, ErrorCode.StaleMembership, "stale", s.MembershipEpoch); return; }
                    s.MembershipEpoch = m.Membership.Epoch;
                    st = s.State(m.Segment);
                }
                if (hydrate) _ = Task.Run(() => Hydrate(m.Segment, m.Membership));
                Reply(conn, id, st);
                return;
            }
            case MessageType.GetSegmentState:
            {
                if (!SegmentOnlyMsg.TryRead(p, out var m)) { conn.SendError(id, ErrorCode.Malformed, "bad"); return; }
                SegmentStateMsg st;
                lock (_lock)
                {
                    if (!_segs.TryGetValue((m.Segment.VolumeId, m.Segment.PgIndex), out var s)) { conn.SendError(id, ErrorCode.UnknownSegment, "no segment"); return; }
                    st = s.State(m.Segment);
                }
                Reply(conn, id, st);
                return;
            }
            case MessageType.SealEpoch or MessageType.Truncate:
            {
                if (!EpochMsg.TryRead(p, out var m)) { conn.SendError(id, ErrorCode.Malformed, "bad"); return; }
                SegmentStateMsg st;
                lock (_lock)
                {
                    if (!_segs.TryGetValue((m.Segment.VolumeId, m.Segment.PgIndex), out var s)) { conn.SendError(id, ErrorCode.UnknownSegment, "no segment"); return; }
                    if (m.Epoch < s.Epoch) { conn.SendError(id, ErrorCode.StaleEpoch, "stale epoch", s.Epoch); return; }
                    s.Epoch = m.Epoch;
                    if (type == MessageType.Truncate)
                    {
                        s.EpochStart = m.Lsn;
                        s.DropStale(m.Epoch, m.Lsn);
                    }
                    st = s.State(m.Segment);
                }
                Reply(conn, id, st);
                return;
            }
            case MessageType.ListLsns:
            {
                if (!ListLsnsMsg.TryRead(p, out var m)) { conn.SendError(id, ErrorCode.Malformed, "bad"); return; }
                var items = new List<(ulong, byte)>();
                lock (_lock)
                {
                    if (!_segs.TryGetValue((m.Segment.VolumeId, m.Segment.PgIndex), out var s)) { conn.SendError(id, ErrorCode.UnknownSegment, "no segment"); return; }
                    foreach (var (lsn, rec) in s.Records)
                        if (lsn > m.AfterLsn && items.Count < m.MaxCount) items.Add((lsn, (byte)RedoRecord.Flags(rec)));
                }
                var f = conn.BeginFrame(MessageType.LsnList, id, 4 + items.Count * 9);
                f.Writer.U32((uint)items.Count);
                foreach (var (l, fl) in items) { f.Writer.U64(l); f.Writer.U8(fl); }
                f.Complete();
                return;
            }
            case MessageType.Append:
            {
                Interlocked.Increment(ref AppendFrames);
                if (DropAppends) return;
                if (!AppendHeader.TryRead(p, out var h, out var recs)) { conn.SendError(id, ErrorCode.Malformed, "bad"); return; }
                AppendAckMsg ack;
                lock (_lock)
                {
                    if (!_segs.TryGetValue((h.Segment.VolumeId, h.Segment.PgIndex), out var s)) { conn.SendError(id, ErrorCode.UnknownSegment, "no segment"); return; }
                    if (h.VolumeEpoch < s.Epoch) { conn.SendError(id, ErrorCode.StaleEpoch, "stale epoch", s.Epoch); return; }
                    if (h.VolumeEpoch > s.Epoch)
                    {
                        s.Epoch = h.VolumeEpoch;
                        s.EpochStart = h.EpochStartLsn;
                        s.DropStale(h.VolumeEpoch, h.EpochStartLsn);
                    }
                    s.DurableHint = Math.Max(s.DurableHint, h.DurableHint);
                    s.MinReadPoint = Math.Max(s.MinReadPoint, h.MinReadPoint);
                    for (uint i = 0; i < h.RecordCount; i++)
                    {
                        int len = RedoRecord.Validate(recs);
                        if (len < 0) { conn.SendError(id, ErrorCode.Malformed, $"bad record {len}"); return; }
                        s.Records[RedoRecord.Lsn(recs)] = recs[..len].ToArray();
                        recs = recs[len..];
                    }
                    s.RecomputeScl();
                    ack = new AppendAckMsg { Segment = h.Segment, Scl = s.Scl, MaxLsn = s.MaxLsn };
                }
                if (HoldAcks) return;
                var f = conn.BeginFrame(MessageType.AppendAck, id, AppendAckMsg.Size);
                ack.Write(ref f.Writer);
                f.Complete();
                return;
            }
            case MessageType.GetPage:
            {
                if (!GetPageMsg.TryRead(p, out var m)) { conn.SendError(id, ErrorCode.Malformed, "bad"); return; }
                var page = new byte[Page.Size];
                lock (_lock)
                {
                    if (!_segs.TryGetValue((m.Segment.VolumeId, m.Segment.PgIndex), out var s)) { conn.SendError(id, ErrorCode.UnknownSegment, "no segment"); return; }
                    if (m.VolumeEpoch < s.Epoch) { conn.SendError(id, ErrorCode.StaleEpoch, "stale epoch", s.Epoch); return; }
                    if (m.AsOfLsn > s.Scl) { conn.SendError(id, ErrorCode.NotAvailable, $"asOf {m.AsOfLsn} > SCL {s.Scl}"); return; }
                    foreach (var (lsn, rec) in s.Records)
                        if (lsn <= m.AsOfLsn && RedoRecord.PageNo(rec) == m.PageNo) PageApply.Apply(page, rec);
                }
                if (Page.GetLsn(page) != 0) Page.SealChecksum(page, m.PageNo);
                var f = conn.BeginFrame(MessageType.PageData, id, 16 + Page.Size);
                f.Writer.U64(m.PageNo);
                f.Writer.U64(m.AsOfLsn);
                f.Writer.Bytes(page);
                f.Complete();
                return;
            }
            case MessageType.SetMinReadPoint:
                conn.Send(MessageType.Ok, id, default);
                return;
            default:
                conn.SendError(id, ErrorCode.Malformed, $"fake node does not handle {type}");
                return;
        }
    }

    private async Task Hydrate(SegmentId seg, Membership membership)
    {
        await Task.Delay(50);
        foreach (var m in membership.Members)
        {
            if (m.NodeId == NodeId) continue;
            var peer = Peers?.Invoke(m.NodeId);
            if (peer is null) continue;
            var recs = peer.Snapshot(seg.VolumeId, seg.PgIndex);
            lock (_lock)
            {
                var s = _segs[(seg.VolumeId, seg.PgIndex)];
                foreach (var r in recs) s.Records.TryAdd(RedoRecord.Lsn(r), r);
                s.RecomputeScl();
            }
        }
    }

    private static void Reply(FrameConnection conn, ulong id, SegmentStateMsg st)
    {
        var f = conn.BeginFrame(MessageType.SegmentState, id, SegmentStateMsg.Size);
        st.Write(ref f.Writer);
        f.Complete();
    }

    private int _disposed;

    public ValueTask DisposeAsync() => Interlocked.Exchange(ref _disposed, 1) == 0 ? _server.DisposeAsync() : default;

    private sealed class Handler(FakeStorageNode node) : IFrameHandler
    {
        public void OnFrame(FrameConnection connection, ReadOnlySpan<byte> frame) => node.Handle(connection, frame);
        public void OnClosed(FrameConnection connection, Exception? error) { }
    }
}
