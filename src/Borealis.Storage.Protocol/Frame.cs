using System.Buffers.Binary;
using System.IO.Hashing;

namespace Borealis.Storage.Protocol;

/// <summary>
/// Every message between instances and storage nodes, and between storage nodes, is one frame:
/// <code>
/// offset size field
///  0     4    length     whole frame including this header, HeaderSize ≤ length ≤ MaxFrameSize
///  4     4    crc32      System.IO.Hashing.Crc32 of bytes [8, length)
///  8     1    type       MessageType
///  9     1    version    ProtocolVersion
/// 10     2    flags      0
/// 12     8    requestId  chosen by the requester; a response echoes it; 0 = unsolicited
/// 20     …    payload    per MessageType, see docs/storage-protocol.md
/// </code>
/// Frames are pipelined: a requester may have any number outstanding on one connection, and
/// responses can come back in any order.
/// </summary>
public static class Frame
{
    public const int HeaderSize = 20;
    public const byte ProtocolVersion = 1;
    /// <summary>Largest frame accepted: enough for a batch of records or 64 pages.</summary>
    public const int MaxFrameSize = 4 * 1024 * 1024;

    public const int OffLength = 0;
    public const int OffCrc = 4;
    public const int OffType = 8;
    public const int OffVersion = 9;
    public const int OffFlags = 10;
    public const int OffRequestId = 12;

    public static int Length(ReadOnlySpan<byte> header) => BinaryPrimitives.ReadInt32LittleEndian(header);
    public static MessageType Type(ReadOnlySpan<byte> frame) => (MessageType)frame[OffType];
    public static ulong RequestId(ReadOnlySpan<byte> frame) => BinaryPrimitives.ReadUInt64LittleEndian(frame[OffRequestId..]);

    /// <summary>Fills in length and CRC of a frame whose type, version and request id are already written.</summary>
    public static void Seal(Span<byte> frame)
    {
        BinaryPrimitives.WriteInt32LittleEndian(frame, frame.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(frame[OffCrc..], Crc32.HashToUInt32(frame[8..]));
    }

    public static void WriteHeader(Span<byte> frame, MessageType type, ulong requestId)
    {
        frame[OffType] = (byte)type;
        frame[OffVersion] = ProtocolVersion;
        BinaryPrimitives.WriteUInt16LittleEndian(frame[OffFlags..], 0);
        BinaryPrimitives.WriteUInt64LittleEndian(frame[OffRequestId..], requestId);
    }

    /// <summary>Validates a complete frame (length already known to match the span).</summary>
    public static FrameError Validate(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < HeaderSize) return FrameError.Truncated;
        if (frame[OffVersion] != ProtocolVersion) return FrameError.BadVersion;
        uint crc = BinaryPrimitives.ReadUInt32LittleEndian(frame[OffCrc..]);
        if (Crc32.HashToUInt32(frame[8..]) != crc) return FrameError.BadChecksum;
        if (!Enum.IsDefined(Type(frame))) return FrameError.UnknownType;
        return FrameError.None;
    }
}

public enum FrameError
{
    None = 0,
    Truncated,
    TooLarge,
    BadVersion,
    BadChecksum,
    UnknownType,
    Malformed,
}

/// <summary>On-wire message types: pinned by tests, only ever added to.</summary>
public enum MessageType : byte
{
    Hello = 1,
    HelloOk = 2,
    Error = 3,
    Ok = 4,

    EnsureSegment = 10,
    SegmentState = 11,
    GetSegmentState = 12,
    UpdateMembership = 13,

    Append = 20,
    AppendAck = 21,

    SealEpoch = 30,
    Truncate = 31,
    ListLsns = 32,
    LsnList = 33,

    GetPage = 40,
    PageData = 41,

    ReadRecords = 50,
    Records = 51,
    FetchBase = 52,
    BasePages = 53,

    SetMinReadPoint = 60,

    NodeStatus = 70,
    NodeStatusReply = 71,
    Scrub = 72,
    ScrubReport = 73,
}

/// <summary>Error codes carried by an Error frame: pinned by tests, only ever added to.</summary>
public enum ErrorCode : ushort
{
    None = 0,
    /// <summary>The request carried an older volume epoch than the segment has; the sender is a fenced (stale) writer.</summary>
    StaleEpoch = 1,
    /// <summary>The request carried an older membership epoch than the segment has.</summary>
    StaleMembership = 2,
    UnknownVolume = 3,
    UnknownSegment = 4,
    Malformed = 5,
    TooLarge = 6,
    /// <summary>The page cannot be produced at that LSN: above the segment's SCL, or below its minimum read point.</summary>
    NotAvailable = 7,
    BadChecksum = 8,
    /// <summary>The node refuses writes (e.g. after an fsync failure) but still serves reads.</summary>
    ReadOnly = 9,
    Internal = 10,
    UnsupportedVersion = 11,
    /// <summary>The node is not (or no longer) a member of that PG.</summary>
    NotMember = 12,
}
