using Borealis.Redo;
using Borealis.Storage.Protocol;

namespace Borealis.Storage.Tests;

/// <summary>Pins every on-disk and on-wire constant: a format can only change deliberately.</summary>
public class FormatPinTests
{
    [Fact]
    public void RedoRecordLayoutIsPinned()
    {
        Assert.Equal(52, RedoRecord.HeaderSize);
        Assert.Equal(0, RedoRecord.OffCrc);
        Assert.Equal(4, RedoRecord.OffLength);
        Assert.Equal(8, RedoRecord.OffLsn);
        Assert.Equal(16, RedoRecord.OffPrevLsn);
        Assert.Equal(24, RedoRecord.OffVolume);
        Assert.Equal(32, RedoRecord.OffPg);
        Assert.Equal(36, RedoRecord.OffEpoch);
        Assert.Equal(40, RedoRecord.OffPage);
        Assert.Equal(48, RedoRecord.OffType);
        Assert.Equal(49, RedoRecord.OffFlags);
        Assert.Equal((byte)0, (byte)RedoType.Noop);
        Assert.Equal((byte)1, (byte)RedoType.PageImage);
        Assert.Equal((byte)2, (byte)RedoType.WriteBytes);
        Assert.Equal((byte)3, (byte)RedoType.Fill);
        Assert.Equal((byte)1, (byte)RedoFlags.Cpl);
    }

    [Fact]
    public void PageLayoutIsPinned()
    {
        Assert.Equal(8192, Page.Size);
        Assert.Equal(16, Page.HeaderSize);
        Assert.Equal(0, Page.OffLsn);
        Assert.Equal(8, Page.OffChecksum);
    }

    [Fact]
    public void FrameLayoutAndMessageTypesArePinned()
    {
        Assert.Equal(20, Frame.HeaderSize);
        Assert.Equal(1, Frame.ProtocolVersion);
        var expected = new Dictionary<MessageType, byte>
        {
            [MessageType.Hello] = 1, [MessageType.HelloOk] = 2, [MessageType.Error] = 3, [MessageType.Ok] = 4,
            [MessageType.EnsureSegment] = 10, [MessageType.SegmentState] = 11, [MessageType.GetSegmentState] = 12,
            [MessageType.UpdateMembership] = 13, [MessageType.Append] = 20, [MessageType.AppendAck] = 21,
            [MessageType.SealEpoch] = 30, [MessageType.Truncate] = 31, [MessageType.ListLsns] = 32, [MessageType.LsnList] = 33,
            [MessageType.GetPage] = 40, [MessageType.PageData] = 41, [MessageType.ReadRecords] = 50, [MessageType.Records] = 51,
            [MessageType.FetchBase] = 52, [MessageType.BasePages] = 53, [MessageType.SetMinReadPoint] = 60,
            [MessageType.NodeStatus] = 70, [MessageType.NodeStatusReply] = 71, [MessageType.Scrub] = 72, [MessageType.ScrubReport] = 73,
        };
        Assert.Equal(Enum.GetValues<MessageType>().Length, expected.Count);
        foreach (var (k, v) in expected) Assert.Equal(v, (byte)k);
        Assert.Equal(12, (ushort)ErrorCode.NotMember);
        Assert.Equal(1, (ushort)ErrorCode.StaleEpoch);
        Assert.Equal(2, (ushort)ErrorCode.StaleMembership);
        Assert.Equal(48, AppendHeader.Size);
        Assert.Equal(68, SegmentStateMsg.Size);
    }

    [Fact]
    public void RecordSealValidateRoundTrip()
    {
        var buf = new byte[RedoRecord.HeaderSize + 10];
        int n = PageApply.WriteBytesPayload(buf.AsSpan(RedoRecord.HeaderSize), 100, [1, 2, 3, 4, 5, 6, 7, 8]);
        int total = RedoRecord.Seal(buf, n, lsn: 7, prevLsn: 3, volumeId: 9, pgIndex: 2, writerEpoch: 1, pageNo: 130, RedoType.WriteBytes, RedoFlags.Cpl);
        Assert.Equal(buf.Length, total);
        Assert.Equal(total, RedoRecord.Validate(buf));
        buf[60] ^= 0x10;
        Assert.Equal((int)RecordError.BadChecksum, RedoRecord.Validate(buf));
        buf[60] ^= 0x10;
        Assert.Equal((int)RecordError.Truncated, RedoRecord.Validate(buf.AsSpan(0, total - 1)));

        var page = new byte[Page.Size];
        Assert.True(PageApply.Apply(page, buf));
        Assert.Equal(7UL, Page.GetLsn(page));
        Assert.Equal(5, page[104]);
        Page.SealChecksum(page, 130);
        Assert.True(Page.VerifyChecksum(page, 130));
        Assert.False(Page.VerifyChecksum(page, 131));
    }
}
