using Borealis.Storage.Protocol;

namespace Borealis.Volume.Writer;

/// <summary>Outcome of one control request to one segment: a SegmentState, or why not.</summary>
internal readonly record struct SegmentReply(uint NodeId, SegmentStateMsg State, bool Ok, ErrorCode Code, uint CurrentEpoch, string? Error);

/// <summary>Control-path requests (recovery, replacement, health): allocation is fine here, errors become values.</summary>
internal static class ControlRequests
{
    public static async Task<SegmentReply> SegmentAsync(NodeLink link, MessageType type, byte[] payload, TimeSpan timeout, CancellationToken ct)
    {
        var client = link.Client;
        if (client is null || client.IsClosed)
            return new SegmentReply(link.NodeId, default, false, ErrorCode.None, 0, link.LastError ?? "not connected");
        try
        {
            var resp = await client.RequestAsync(type, payload, timeout, ct);
            if (resp.Type == MessageType.SegmentState && SegmentStateMsg.TryRead(resp.Payload, out var st))
                return new SegmentReply(link.NodeId, st, true, ErrorCode.None, 0, null);
            return new SegmentReply(link.NodeId, default, false, ErrorCode.Malformed, 0, $"unexpected reply {resp.Type} to {type}");
        }
        catch (StorageException e)
        {
            return new SegmentReply(link.NodeId, default, false, e.Code, e.CurrentEpoch, e.Message);
        }
        catch (Exception e) when (e is IOException or TimeoutException)
        {
            return new SegmentReply(link.NodeId, default, false, ErrorCode.None, 0, e.Message);
        }
    }

    public static byte[] SegmentOnly(ulong volumeId, uint pg) =>
        Encode.ToArray(SegmentOnlyMsg.Size, (ref WireWriter w) => new SegmentOnlyMsg { Segment = new SegmentId(volumeId, pg) }.Write(ref w));

    public static byte[] Epoch(ulong volumeId, uint pg, uint epoch, uint membershipEpoch, ulong lsn) =>
        Encode.ToArray(EpochMsg.Size, (ref WireWriter w) => new EpochMsg
        {
            Segment = new SegmentId(volumeId, pg), Epoch = epoch, MembershipEpoch = membershipEpoch, Lsn = lsn,
        }.Write(ref w));

    public static byte[] EnsureSegment(VolumeLayout layout, PgLayout pg)
    {
        var msg = new EnsureSegmentMsg
        {
            Segment = new SegmentId(layout.VolumeId, pg.PgIndex),
            FirstPage = layout.FirstPageOf(pg.PgIndex),
            PageCount = layout.PagesPerPg,
            Membership = ToMembership(pg),
        };
        return Encode.ToArray(msg.Size, (ref WireWriter w) => msg.Write(ref w));
    }

    public static Membership ToMembership(PgLayout pg)
    {
        var members = new Member[pg.Members.Length];
        for (int i = 0; i < members.Length; i++) members[i] = new Member(pg.Members[i].NodeId, pg.Members[i].Az, pg.Members[i].Endpoint);
        return new Membership(pg.MembershipEpoch, members);
    }

    /// <summary>All LSNs (with CPL flag) the segment holds above <paramref name="after"/>, paging through LsnList replies.</summary>
    public static async Task<List<(ulong Lsn, bool Cpl)>?> ListLsnsAsync(NodeLink link, ulong volumeId, uint pg, ulong after, TimeSpan timeout, CancellationToken ct)
    {
        const uint PageSize = 65536;
        var result = new List<(ulong, bool)>();
        while (true)
        {
            var client = link.Client;
            if (client is null || client.IsClosed) return null;
            ulong from = after;
            var payload = Encode.ToArray(ListLsnsMsg.Size, (ref WireWriter w) => new ListLsnsMsg
            {
                Segment = new SegmentId(volumeId, pg), AfterLsn = from, MaxCount = PageSize,
            }.Write(ref w));
            Response resp;
            try
            {
                resp = await client.RequestAsync(MessageType.ListLsns, payload, timeout, ct);
            }
            catch (Exception e) when (e is StorageException or IOException or TimeoutException)
            {
                link.NoteError($"ListLsns PG {pg}: {e.Message}");
                return null;
            }
            if (resp.Type != MessageType.LsnList) return null;
            var r = new WireReader(resp.Payload);
            uint count = r.U32();
            for (uint i = 0; i < count; i++)
            {
                ulong lsn = r.U64();
                byte flags = r.U8();
                if (!r.Ok) return null;
                result.Add((lsn, (flags & (byte)Borealis.Redo.RedoFlags.Cpl) != 0));
                after = lsn;
            }
            if (!r.Ok) return null;
            if (count < PageSize) return result;
        }
    }
}
