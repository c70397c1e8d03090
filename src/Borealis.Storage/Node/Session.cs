using Borealis.Redo;
using Borealis.Storage.Protocol;

namespace Borealis.Storage;

/// <summary>
/// Handles the frames of one connection. Runs on the connection's receive loop, so nothing here
/// blocks on I/O: appends are validated, copied into a pooled buffer and queued for the group
/// commit (acked later by the writer thread); metadata changes are queued to the same thread;
/// page and record reads go to the thread pool. A well-framed but semantically bad message
/// gets an Error reply; the connection stays open.
/// </summary>
internal sealed class Session(StorageNode node, FrameConnection conn) : IFrameHandler
{
    public void OnFrame(FrameConnection connection, ReadOnlySpan<byte> frame)
    {
        var type = Frame.Type(frame);
        ulong id = Frame.RequestId(frame);
        var p = frame[Frame.HeaderSize..];
        try
        {
            Dispatch(type, id, p);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            NodeLog.RequestFailed(node.Logger, type.ToString(), e);
            conn.SendError(id, ErrorCode.Internal, e.Message);
        }
    }

    public void OnClosed(FrameConnection connection, Exception? error)
    {
    }

    private void Dispatch(MessageType type, ulong id, ReadOnlySpan<byte> p)
    {
        switch (type)
        {
            case MessageType.Append: OnAppend(id, p); break;
            case MessageType.GetPage: OnGetPage(id, p); break;
            case MessageType.Hello: OnHello(id, p); break;
            case MessageType.EnsureSegment:
            case MessageType.UpdateMembership:
                if (!EnsureSegmentMsg.TryRead(p, out var ens)) { Malformed(id, type); return; }
                ControlOps.Ensure(node, conn, id, ens, type == MessageType.UpdateMembership);
                break;
            case MessageType.GetSegmentState:
            {
                if (!SegmentOnlyMsg.TryRead(p, out var m)) { Malformed(id, type); return; }
                var seg = FindOrReply(id, m.Segment);
                if (seg is null) return;
                ControlOps.ReplyState(conn, id, seg.State());
                break;
            }
            case MessageType.SealEpoch:
            case MessageType.Truncate:
            {
                if (!EpochMsg.TryRead(p, out var m)) { Malformed(id, type); return; }
                var seg = FindOrReply(id, m.Segment);
                if (seg is null) return;
                if (type == MessageType.SealEpoch) ControlOps.Seal(node, conn, id, seg, m);
                else ControlOps.Truncate(node, conn, id, seg, m);
                break;
            }
            case MessageType.ListLsns: OnListLsns(id, p); break;
            case MessageType.ReadRecords:
            {
                if (!ReadRecordsMsg.TryRead(p, out var m)) { Malformed(id, type); return; }
                var seg = FindOrReply(id, m.Segment);
                if (seg is null) return;
                Reads.Queue(node, conn, id, seg, m);
                break;
            }
            case MessageType.FetchBase:
            {
                if (!FetchBaseMsg.TryRead(p, out var m)) { Malformed(id, type); return; }
                var seg = FindOrReply(id, m.Segment);
                if (seg is null) return;
                Reads.Queue(node, conn, id, seg, m);
                break;
            }
            case MessageType.SetMinReadPoint:
            {
                if (!MinReadPointMsg.TryRead(p, out var m)) { Malformed(id, type); return; }
                node.RaiseMinReadPoint(m.VolumeId, m.Lsn);
                conn.Send(MessageType.Ok, id, default);
                break;
            }
            case MessageType.NodeStatus:
                conn.Send(MessageType.NodeStatusReply, id, node.StatusJson());
                break;
            case MessageType.Scrub:
                _ = ScrubAsync(id);
                break;
            default:
                conn.SendError(id, ErrorCode.Malformed, $"{type} is not a request a storage node handles");
                break;
        }
    }

    private void Malformed(ulong id, MessageType type) => conn.SendError(id, ErrorCode.Malformed, $"malformed {type} payload");

    private Segment? FindOrReply(ulong id, SegmentId sid)
    {
        var seg = node.Find(sid);
        if (seg is null) conn.SendError(id, ErrorCode.UnknownSegment, $"no segment {sid} on node {node.NodeId}");
        return seg;
    }

    private void OnHello(ulong id, ReadOnlySpan<byte> p)
    {
        if (!HelloMsg.TryRead(p, out var hello)) { Malformed(id, MessageType.Hello); return; }
        if (hello.Version != Frame.ProtocolVersion)
        {
            conn.SendError(id, ErrorCode.UnsupportedVersion, $"protocol version {hello.Version} is not supported (this node speaks {Frame.ProtocolVersion})");
            return;
        }
        conn.Tag = hello.SenderNodeId;
        var ok = new HelloOkMsg { Version = Frame.ProtocolVersion, NodeId = node.NodeId, Az = node.Az };
        var f = conn.BeginFrame(MessageType.HelloOk, id, ok.Size);
        ok.Write(ref f.Writer);
        f.Complete();
    }

    private void OnAppend(ulong id, ReadOnlySpan<byte> p)
    {
        if (!AppendHeader.TryRead(p, out var h, out var recs)) { Malformed(id, MessageType.Append); return; }
        var seg = FindOrReply(id, h.Segment);
        if (seg is null) return;
        if (node.Committer.ReadOnly)
        {
            conn.SendError(id, ErrorCode.ReadOnly, "node is read-only after an fsync failure");
            return;
        }
        if (!seg.IsMember(node.NodeId))
        {
            conn.SendError(id, ErrorCode.NotMember, $"node {node.NodeId} is not a member of {seg.Id}");
            return;
        }
        lock (seg.Sync)
        {
            var meta = seg.Meta;
            if (h.VolumeEpoch < meta.Epoch)
            {
                conn.SendError(id, ErrorCode.StaleEpoch, $"epoch {h.VolumeEpoch} is older than the segment's {meta.Epoch}", meta.Epoch);
                return;
            }
            if (h.MembershipEpoch < meta.Membership.Epoch)
            {
                conn.SendError(id, ErrorCode.StaleMembership, $"membership epoch {h.MembershipEpoch} is older than {meta.Membership.Epoch}", meta.Membership.Epoch);
                return;
            }
            if (h.DurableHint > meta.DurableHint) meta.DurableHint = h.DurableHint;
        }
        string? problem = ValidateRecords(seg, h, recs);
        if (problem is not null)
        {
            conn.SendError(id, ErrorCode.Malformed, problem);
            return;
        }
        node.RaiseMinReadPoint(h.Segment.VolumeId, h.MinReadPoint);
        var w = node.Committer.Rent(recs.Length);
        recs.CopyTo(w.Buffer);
        w.Length = recs.Length;
        w.Segment = seg;
        w.Conn = conn;
        w.RequestId = id;
        w.Header = h;
        w.FromGossip = false;
        node.Committer.Enqueue(w);
    }

    /// <summary>Every record whole, CRC-valid, of this volume, PG and page range, no newer than the batch's epoch, ascending.</summary>
    internal static string? ValidateRecords(Segment seg, in AppendHeader h, ReadOnlySpan<byte> recs)
    {
        uint count = 0;
        ulong last = 0;
        while (!recs.IsEmpty)
        {
            int n = RedoRecord.Validate(recs);
            if (n < 0) return $"record {count} is invalid: {(RecordError)n}";
            var rec = recs[..n];
            if (RedoRecord.VolumeId(rec) != seg.Id.VolumeId || RedoRecord.PgIndex(rec) != seg.Id.PgIndex)
                return $"record {count} belongs to {RedoRecord.VolumeId(rec):x}/{RedoRecord.PgIndex(rec)}, not {seg.Id}";
            if (!seg.Pages.Contains(RedoRecord.PageNo(rec))) return $"record {count} is for page {RedoRecord.PageNo(rec)}, outside the segment";
            if (RedoRecord.WriterEpoch(rec) > h.VolumeEpoch) return $"record {count} has epoch {RedoRecord.WriterEpoch(rec)} above the batch's {h.VolumeEpoch}";
            ulong lsn = RedoRecord.Lsn(rec);
            if (lsn <= last) return $"record {count} is not in ascending LSN order";
            last = lsn;
            count++;
            recs = recs[n..];
        }
        return count == h.RecordCount ? null : $"header says {h.RecordCount} records, payload holds {count}";
    }

    private void OnGetPage(ulong id, ReadOnlySpan<byte> p)
    {
        if (!GetPageMsg.TryRead(p, out var m)) { Malformed(id, MessageType.GetPage); return; }
        var seg = FindOrReply(id, m.Segment);
        if (seg is null) return;
        if (!seg.Pages.Contains(m.PageNo))
        {
            conn.SendError(id, ErrorCode.Malformed, $"page {m.PageNo} is outside segment {seg.Id}");
            return;
        }
        uint epoch;
        lock (seg.Sync) epoch = seg.Meta.Epoch;
        if (m.VolumeEpoch != 0 && m.VolumeEpoch < epoch)
        {
            conn.SendError(id, ErrorCode.StaleEpoch, $"epoch {m.VolumeEpoch} is older than the segment's {epoch}", epoch);
            return;
        }
        Reads.Queue(node, conn, id, seg, m);
    }

    private void OnListLsns(ulong id, ReadOnlySpan<byte> p)
    {
        if (!ListLsnsMsg.TryRead(p, out var m)) { Malformed(id, MessageType.ListLsns); return; }
        var seg = FindOrReply(id, m.Segment);
        if (seg is null) return;
        int max = (int)Math.Min(m.MaxCount, (uint)((Frame.MaxFrameSize - Frame.HeaderSize - 4) / 9));
        lock (seg.Sync)
        {
            var all = seg.Index.All;
            int start = seg.Index.LowerBound(m.AfterLsn == ulong.MaxValue ? ulong.MaxValue : m.AfterLsn + 1);
            if (m.AfterLsn == ulong.MaxValue) start = all.Length;
            int n = Math.Min(max, all.Length - start);
            var f = conn.BeginFrame(MessageType.LsnList, id, 4 + n * 9);
            f.Writer.U32((uint)n);
            for (int i = start; i < start + n; i++)
            {
                f.Writer.U64(all[i].Lsn);
                f.Writer.U8(all[i].Flags);
            }
            f.Complete();
        }
    }

    private async Task ScrubAsync(ulong id)
    {
        try
        {
            var report = await node.Maintenance.ScrubAsync(node.Stopping);
            var f = conn.BeginFrame(MessageType.ScrubReport, id, ScrubReportMsg.Size);
            report.Write(ref f.Writer);
            f.Complete();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            conn.SendError(id, ErrorCode.Internal, "scrub failed: " + e.Message);
        }
    }
}
