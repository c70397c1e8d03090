using System.Buffers;
using Borealis.Redo;
using Borealis.Storage.Protocol;

namespace Borealis.Storage;

/// <summary>
/// The read requests (GetPage, ReadRecords, FetchBase), run on the thread pool so the
/// receive loop never waits for the disk. Each takes the segment's page read lock for the
/// snapshot of base + records and the slot reads, so a coalesce cannot overwrite the slot it
/// is reading from (see <see cref="Segment"/>).
/// </summary>
internal static class Reads
{
    private sealed class Request(StorageNode node, FrameConnection conn, ulong id, Segment seg) : IThreadPoolWorkItem
    {
        public GetPageMsg Page;
        public ReadRecordsMsg Records;
        public FetchBaseMsg Base;
        public MessageType Type;

        public void Execute()
        {
            try
            {
                switch (Type)
                {
                    case MessageType.GetPage: ServeGetPage(node, conn, id, seg, Page); break;
                    case MessageType.ReadRecords: ServeReadRecords(node, conn, id, seg, Records); break;
                    default: ServeFetchBase(conn, id, seg, Base); break;
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                NodeLog.RequestFailed(node.Logger, Type.ToString(), e);
                conn.SendError(id, ErrorCode.Internal, e.Message);
            }
        }
    }

    public static void Queue(StorageNode node, FrameConnection conn, ulong id, Segment seg, GetPageMsg m)
        => ThreadPool.UnsafeQueueUserWorkItem(new Request(node, conn, id, seg) { Type = MessageType.GetPage, Page = m }, preferLocal: false);

    public static void Queue(StorageNode node, FrameConnection conn, ulong id, Segment seg, ReadRecordsMsg m)
    {
        uint epoch;
        ulong start;
        lock (seg.Sync)
        {
            epoch = seg.Meta.Epoch;
            start = seg.Meta.EpochStart;
        }
        if (m.SenderEpoch < epoch)
        {
            conn.SendError(id, ErrorCode.StaleEpoch, $"epoch {m.SenderEpoch} is older than the segment's {epoch}", epoch);
            return;
        }
        if (m.SenderEpoch > epoch || (m.SenderEpoch == epoch && start == SegmentMeta.UnknownStart && m.SenderEpochStart != SegmentMeta.UnknownStart))
            _ = ControlOps.LearnEpochAsync(node, seg, m.SenderEpoch, m.SenderEpochStart);
        ThreadPool.UnsafeQueueUserWorkItem(new Request(node, conn, id, seg) { Type = MessageType.ReadRecords, Records = m }, preferLocal: false);
    }

    public static void Queue(StorageNode node, FrameConnection conn, ulong id, Segment seg, FetchBaseMsg m)
        => ThreadPool.UnsafeQueueUserWorkItem(new Request(node, conn, id, seg) { Type = MessageType.FetchBase, Base = m }, preferLocal: false);

    /// <summary>Builds page <paramref name="pageNo"/> as of <paramref name="asOf"/> into <paramref name="page"/>; None or the error to send.</summary>
    public static ErrorCode BuildPage(StorageNode node, Segment seg, ulong pageNo, ulong asOf, Span<byte> page, out string message)
    {
        message = "";
        RecordEntry[]? entries = null;
        byte[] scratch = ArrayPool<byte>.Shared.Rent(PageStore.SlotsSize);
        byte[] rec = ArrayPool<byte>.Shared.Rent(RedoRecord.MaxRecordSize);
        seg.PageRw.EnterReadLock();
        try
        {
            ulong baseLsn;
            bool torn;
            int n = 0;
            lock (seg.Sync)
            {
                baseLsn = seg.Index.Base;
                ulong scl = seg.Index.Scl;
                if (asOf < baseLsn || asOf > scl)
                {
                    message = $"page {pageNo} as of {asOf} is outside [{baseLsn}, {scl}] on node {node.NodeId}";
                    return ErrorCode.NotAvailable;
                }
                torn = seg.TornPossible;
                var lsns = seg.Index.PageLsnsOf(pageNo);
                foreach (ulong lsn in lsns)
                {
                    if (lsn > asOf) break;
                    if (!seg.Index.TryGet(lsn, out var e)) continue;
                    entries ??= ArrayPool<RecordEntry>.Shared.Rent(Math.Max(16, lsns.Length));
                    entries[n++] = e;
                }
            }
            if (seg.Pages.ReadBase(pageNo, baseLsn, torn, page, scratch, out _) != PageReadStatus.Ok)
            {
                message = $"page {pageNo} has a corrupt slot on node {node.NodeId}; waiting for scrub to repair it";
                node.Maintenance.RequestScrub();
                return ErrorCode.NotAvailable;
            }
            for (int i = 0; i < n; i++)
            {
                ref var e = ref entries![i];
                var span = rec.AsSpan(0, e.Length);
                if (!node.Log.Read(e.FileNo, e.Offset, span) || RedoRecord.Validate(span) != e.Length || RedoRecord.Lsn(span) != e.Lsn)
                {
                    DropCorrupt(node, seg, e.Lsn);
                    message = $"record {e.Lsn} is unreadable on node {node.NodeId}";
                    return ErrorCode.NotAvailable;
                }
                PageApply.Apply(page, span);
            }
            Page.SealChecksum(page, pageNo);
            return ErrorCode.None;
        }
        finally
        {
            seg.PageRw.ExitReadLock();
            if (entries is not null) ArrayPool<RecordEntry>.Shared.Return(entries);
            ArrayPool<byte>.Shared.Return(scratch);
            ArrayPool<byte>.Shared.Return(rec);
        }
    }

    /// <summary>A held record's bytes turned out bad: forget it so gossip fetches a good copy.</summary>
    internal static void DropCorrupt(StorageNode node, Segment seg, ulong lsn)
    {
        lock (seg.Sync) seg.Index.Remove(lsn);
        node.Gossip.Signal();
    }

    private static void ServeGetPage(StorageNode node, FrameConnection conn, ulong id, Segment seg, GetPageMsg m)
    {
        byte[] page = ArrayPool<byte>.Shared.Rent(Page.Size);
        try
        {
            var span = page.AsSpan(0, Page.Size);
            var err = BuildPage(node, seg, m.PageNo, m.AsOfLsn, span, out string message);
            if (err != ErrorCode.None)
            {
                conn.SendError(id, err, message);
                return;
            }
            var f = conn.BeginFrame(MessageType.PageData, id, 16 + Page.Size);
            f.Writer.U64(m.PageNo);
            f.Writer.U64(m.AsOfLsn);
            f.Writer.Bytes(span);
            f.Complete();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(page);
        }
    }

    private static void ServeReadRecords(StorageNode node, FrameConnection conn, ulong id, Segment seg, ReadRecordsMsg m)
    {
        const int MaxBody = Frame.MaxFrameSize - Frame.HeaderSize - RecordsHeader.Size;
        long budget = Math.Clamp(m.MaxBytes == 0 ? 1024 * 1024 : m.MaxBytes, RedoRecord.MaxRecordSize, MaxBody);
        RecordEntry[] entries;
        int n = 0;
        RecordsHeader header;
        lock (seg.Sync)
        {
            header = new RecordsHeader
            {
                Segment = seg.Id, VolumeEpoch = seg.Meta.Epoch, EpochStartLsn = seg.Meta.EpochStart, Scl = seg.Index.Scl,
            };
            var all = seg.Index.All;
            int start = m.AfterLsn == ulong.MaxValue ? all.Length : seg.Index.LowerBound(m.AfterLsn + 1);
            long bytes = 0;
            int end = start;
            while (end < all.Length && bytes + all[end].Length <= budget)
            {
                bytes += all[end].Length;
                end++;
            }
            entries = ArrayPool<RecordEntry>.Shared.Rent(Math.Max(1, end - start));
            all[start..end].CopyTo(entries);
            n = end - start;
        }
        long total = 0;
        for (int i = 0; i < n; i++) total += entries[i].Length;
        byte[] body = ArrayPool<byte>.Shared.Rent((int)Math.Max(total, 1));
        try
        {
            int len = 0, count = 0;
            for (int i = 0; i < n; i++)
            {
                ref var e = ref entries[i];
                var span = body.AsSpan(len, e.Length);
                if (!node.Log.Read(e.FileNo, e.Offset, span) || RedoRecord.Validate(span) != e.Length || RedoRecord.Lsn(span) != e.Lsn)
                {
                    DropCorrupt(node, seg, e.Lsn);
                    continue;
                }
                len += e.Length;
                count++;
            }
            header.Count = (uint)count;
            var f = conn.BeginFrame(MessageType.Records, id, RecordsHeader.Size + len);
            header.Write(ref f.Writer);
            f.Writer.Bytes(body.AsSpan(0, len));
            f.Complete();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(body);
            ArrayPool<RecordEntry>.Shared.Return(entries);
        }
    }

    private static void ServeFetchBase(FrameConnection conn, ulong id, Segment seg, FetchBaseMsg m)
    {
        const int MaxPagesPerReply = (Frame.MaxFrameSize - Frame.HeaderSize - BasePagesHeader.Size) / (8 + Page.Size);
        const int MaxScanned = 4096;
        int maxPages = (int)Math.Clamp(m.MaxPages == 0 ? 64u : m.MaxPages, 1u, (uint)MaxPagesPerReply);
        byte[] body = ArrayPool<byte>.Shared.Rent(maxPages * (8 + Page.Size));
        byte[] scratch = ArrayPool<byte>.Shared.Rent(PageStore.SlotsSize);
        seg.PageRw.EnterReadLock();
        try
        {
            ulong baseLsn;
            bool torn;
            lock (seg.Sync)
            {
                baseLsn = seg.Index.Base;
                torn = seg.TornPossible;
            }
            ulong end = Math.Min(seg.Pages.FirstPage + seg.Pages.PageCount, seg.Pages.WrittenEnd);
            ulong page = Math.Max(m.StartPage, seg.Pages.FirstPage);
            int count = 0, len = 0, scanned = 0;
            for (; page < end && count < maxPages && scanned < MaxScanned; page++, scanned++)
            {
                var pair = seg.Pages.ReadSlots(page, scratch);
                if (PageStore.ChooseBase(pair, baseLsn, torn, out int slot) != PageReadStatus.Ok)
                {
                    conn.SendError(id, ErrorCode.NotAvailable, $"page {page} has a corrupt slot");
                    return;
                }
                if (pair.State(slot) == SlotState.Empty) continue;
                System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(body.AsSpan(len), page);
                scratch.AsSpan(slot * Page.Size, Page.Size).CopyTo(body.AsSpan(len + 8));
                len += 8 + Page.Size;
                count++;
            }
            var h = new BasePagesHeader { Segment = seg.Id, BaseLsn = baseLsn, NextPage = page < end ? page : 0, Count = (uint)count };
            var f = conn.BeginFrame(MessageType.BasePages, id, BasePagesHeader.Size + len);
            h.Write(ref f.Writer);
            f.Writer.Bytes(body.AsSpan(0, len));
            f.Complete();
        }
        finally
        {
            seg.PageRw.ExitReadLock();
            ArrayPool<byte>.Shared.Return(body);
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }
}
