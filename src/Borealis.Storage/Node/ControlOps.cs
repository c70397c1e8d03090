using Borealis.Storage.Protocol;

namespace Borealis.Storage;

/// <summary>
/// Segment creation, membership and epoch changes. Each runs on the group-commit writer thread
/// (ordered with the appends around it, and the only place epoch state changes), persists the
/// segment metadata before replying, and replies with SegmentState or an Error.
/// </summary>
internal static class ControlOps
{
    public static void ReplyState(FrameConnection conn, ulong id, SegmentStateMsg st)
    {
        var f = conn.BeginFrame(MessageType.SegmentState, id, SegmentStateMsg.Size);
        st.Write(ref f.Writer);
        f.Complete();
    }

    public static void Ensure(StorageNode node, FrameConnection conn, ulong id, EnsureSegmentMsg msg, bool update)
    {
        if (msg.PageCount == 0 || msg.FirstPage + msg.PageCount < msg.FirstPage)
        {
            conn.SendError(id, ErrorCode.Malformed, "segment page range is empty or overflows");
            return;
        }
        node.Committer.Enqueue(new ControlWork(() => EnsureOnWriter(node, conn, id, msg, update)));
    }

    private static void EnsureOnWriter(StorageNode node, FrameConnection conn, ulong id, EnsureSegmentMsg msg, bool update)
    {
        var seg = node.Find(msg.Segment);
        if (seg is null)
        {
            if (update)
            {
                conn.SendError(id, ErrorCode.UnknownSegment, $"no segment {msg.Segment} on node {node.NodeId}");
                return;
            }
            ulong minRead = node.VolumeMinReadPoint(msg.Segment.VolumeId);
            var meta = new SegmentMeta
            {
                Id = msg.Segment, FirstPage = msg.FirstPage, PageCount = msg.PageCount, Membership = msg.Membership,
                MinReadPoint = minRead, DurableHint = minRead,
            };
            bool hasPeers = false;
            bool member = msg.Membership.Members.Length == 0;
            foreach (var m in msg.Membership.Members)
            {
                if (m.NodeId == node.NodeId) member = true; else hasPeers = true;
            }
            if (!member)
            {
                conn.SendError(id, ErrorCode.NotMember, $"node {node.NodeId} is not in the membership of {msg.Segment}");
                return;
            }
            meta.Hydrating = hasPeers;
            seg = new Segment(node.SegmentDir(msg.Segment), meta, node.Durable);
            if (!Persist(node, conn, id, seg))
            {
                seg.Dispose();
                return;
            }
            node.Register(seg);
            NodeLog.SegmentCreated(node.Logger, seg.Id.ToString(), meta.FirstPage, meta.PageCount, meta.Membership.Epoch);
            ReplyState(conn, id, seg.State());
            if (hasPeers) node.Gossip.Signal();
            return;
        }
        bool changed;
        lock (seg.Sync)
        {
            var meta = seg.Meta;
            if (meta.FirstPage != msg.FirstPage || meta.PageCount != msg.PageCount)
            {
                conn.SendError(id, ErrorCode.Malformed, $"segment {seg.Id} covers pages {meta.FirstPage}+{meta.PageCount}, not {msg.FirstPage}+{msg.PageCount}");
                return;
            }
            if (msg.Membership.Epoch < meta.Membership.Epoch)
            {
                conn.SendError(id, ErrorCode.StaleMembership, $"membership epoch {msg.Membership.Epoch} is older than {meta.Membership.Epoch}", meta.Membership.Epoch);
                return;
            }
            changed = msg.Membership.Epoch > meta.Membership.Epoch;
            if (changed) meta.Membership = msg.Membership;
        }
        if (changed)
        {
            if (!Persist(node, conn, id, seg)) return;
            NodeLog.MembershipAdopted(node.Logger, seg.Id.ToString(), msg.Membership.Epoch, msg.Membership.Members.Length);
        }
        ReplyState(conn, id, seg.State());
    }

    public static void Seal(StorageNode node, FrameConnection conn, ulong id, Segment seg, EpochMsg msg)
        => node.Committer.Enqueue(new ControlWork(() => EpochOnWriter(node, conn, id, seg, msg, truncate: false)));

    public static void Truncate(StorageNode node, FrameConnection conn, ulong id, Segment seg, EpochMsg msg)
        => node.Committer.Enqueue(new ControlWork(() => EpochOnWriter(node, conn, id, seg, msg, truncate: true)));

    private static void EpochOnWriter(StorageNode node, FrameConnection conn, ulong id, Segment seg, EpochMsg msg, bool truncate)
    {
        int dropped = 0;
        bool changed;
        lock (seg.Sync)
        {
            var meta = seg.Meta;
            if (msg.MembershipEpoch < meta.Membership.Epoch)
            {
                conn.SendError(id, ErrorCode.StaleMembership, $"membership epoch {msg.MembershipEpoch} is older than {meta.Membership.Epoch}", meta.Membership.Epoch);
                return;
            }
            if (msg.Epoch < meta.Epoch)
            {
                conn.SendError(id, ErrorCode.StaleEpoch, $"epoch {msg.Epoch} is older than the segment's {meta.Epoch}", meta.Epoch);
                return;
            }
            if (!truncate)
            {
                changed = seg.AdoptEpochLocked(msg.Epoch, SegmentMeta.UnknownStart, out _);
            }
            else
            {
                changed = seg.AdoptEpochLocked(msg.Epoch, msg.Lsn, out dropped);
                if (!changed && meta.EpochStart != msg.Lsn)
                {
                    // The writer of this epoch is authoritative for where it starts.
                    meta.EpochStart = msg.Lsn;
                    int i = meta.History.FindIndex(h => h.Epoch == msg.Epoch);
                    if (i >= 0) meta.History[i] = (msg.Epoch, msg.Lsn); else meta.History.Add((msg.Epoch, msg.Lsn));
                    dropped = seg.Index.DiscardDeposed(msg.Epoch, msg.Lsn);
                    changed = true;
                }
            }
        }
        if (changed && !Persist(node, conn, id, seg)) return;
        if (truncate && changed) NodeLog.Truncated(node.Logger, seg.Id.ToString(), msg.Lsn, msg.Epoch, dropped);
        ReplyState(conn, id, seg.State());
    }

    /// <summary>Learns a newer epoch (and its start) from a peer; runs on the writer thread.</summary>
    public static Task LearnEpochAsync(StorageNode node, Segment seg, uint epoch, ulong start)
        => node.Committer.RunAsync(() =>
        {
            bool changed;
            int dropped;
            lock (seg.Sync) changed = seg.AdoptEpochLocked(epoch, start, out dropped);
            if (changed)
            {
                seg.PersistMeta();
                NodeLog.EpochAdopted(node.Logger, seg.Id.ToString(), epoch, start, dropped);
            }
            return changed;
        });

    private static bool Persist(StorageNode node, FrameConnection conn, ulong id, Segment seg)
    {
        try
        {
            seg.PersistMeta();
            return true;
        }
        catch (IOException e)
        {
            node.Committer.MarkReadOnly();
            NodeLog.FsyncFailed(node.Logger, e);
            conn.SendError(id, ErrorCode.ReadOnly, "could not persist segment metadata: " + e.Message);
            return false;
        }
    }
}
