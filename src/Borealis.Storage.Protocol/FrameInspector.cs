using Borealis.Redo;

namespace Borealis.Storage.Protocol;

/// <summary>
/// Walks a byte stream as a sequence of frames and decodes every payload with the same
/// decoders the node and the client use. The fuzz target and the bad-input tests drive it:
/// whatever the bytes, it must return a verdict and never throw.
/// </summary>
public static class FrameInspector
{
    public readonly record struct Verdict(int Frames, int Records, FrameError FirstError);

    public static Verdict InspectStream(ReadOnlySpan<byte> stream)
    {
        int frames = 0, records = 0;
        while (stream.Length >= Frame.HeaderSize)
        {
            int len = Frame.Length(stream);
            if (len < Frame.HeaderSize) return new(frames, records, FrameError.Malformed);
            if (len > Frame.MaxFrameSize) return new(frames, records, FrameError.TooLarge);
            if (len > stream.Length) return new(frames, records, FrameError.Truncated);
            var frame = stream[..len];
            var err = Frame.Validate(frame);
            if (err != FrameError.None) return new(frames, records, err);
            if (!TryDecodePayload(Frame.Type(frame), frame[Frame.HeaderSize..], out int recs)) return new(frames, records, FrameError.Malformed);
            records += recs;
            frames++;
            stream = stream[len..];
        }
        return new(frames, records, stream.IsEmpty ? FrameError.None : FrameError.Truncated);
    }

    /// <summary>Decodes one payload by type; for record-carrying messages, validates every record.</summary>
    public static bool TryDecodePayload(MessageType type, ReadOnlySpan<byte> p, out int records)
    {
        records = 0;
        switch (type)
        {
            case MessageType.Hello: return HelloMsg.TryRead(p, out _);
            case MessageType.HelloOk: return HelloOkMsg.TryRead(p, out _);
            case MessageType.Error: return ErrorMsg.TryRead(p, out _);
            case MessageType.Ok:
            case MessageType.Scrub:
            case MessageType.NodeStatus:
            case MessageType.NodeStatusReply:
                return true;
            case MessageType.EnsureSegment:
            case MessageType.UpdateMembership:
                return EnsureSegmentMsg.TryRead(p, out _);
            case MessageType.GetSegmentState: return SegmentOnlyMsg.TryRead(p, out _);
            case MessageType.SegmentState: return SegmentStateMsg.TryRead(p, out _);
            case MessageType.Append:
                return AppendHeader.TryRead(p, out var ah, out var recs) && TryWalkRecords(recs, ah.RecordCount, out records);
            case MessageType.AppendAck: return AppendAckMsg.TryRead(p, out _);
            case MessageType.SealEpoch:
            case MessageType.Truncate:
                return EpochMsg.TryRead(p, out _);
            case MessageType.ListLsns: return ListLsnsMsg.TryRead(p, out _);
            case MessageType.LsnList:
            {
                var r = new WireReader(p);
                uint n = r.U32();
                if (!r.Ok || (ulong)n * 9 != (ulong)r.Remaining) return false;
                return true;
            }
            case MessageType.GetPage: return GetPageMsg.TryRead(p, out _);
            case MessageType.PageData: return p.Length == 16 + Page.Size;
            case MessageType.ReadRecords: return ReadRecordsMsg.TryRead(p, out _);
            case MessageType.Records:
                return RecordsHeader.TryRead(p, out var rh, out var rr) && TryWalkRecords(rr, rh.Count, out records);
            case MessageType.FetchBase: return FetchBaseMsg.TryRead(p, out _);
            case MessageType.BasePages:
                return BasePagesHeader.TryRead(p, out var bh, out var pages) && (ulong)pages.Length == (ulong)bh.Count * (8 + Page.Size);
            case MessageType.SetMinReadPoint: return MinReadPointMsg.TryRead(p, out _);
            case MessageType.ScrubReport: return ScrubReportMsg.TryRead(p, out _);
            default: return false;
        }
    }

    /// <summary>Checks that exactly <paramref name="count"/> valid records, ascending by LSN, fill the span.</summary>
    public static bool TryWalkRecords(ReadOnlySpan<byte> recs, uint count, out int walked)
    {
        walked = 0;
        ulong last = 0;
        while (!recs.IsEmpty)
        {
            int n = RedoRecord.Validate(recs);
            if (n < 0) return false;
            ulong lsn = RedoRecord.Lsn(recs);
            if (lsn <= last) return false;
            last = lsn;
            walked++;
            recs = recs[n..];
        }
        return walked == count;
    }
}
