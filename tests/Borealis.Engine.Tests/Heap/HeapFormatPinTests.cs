using Borealis.Redo;
using Borealis.Redo.Heap;

namespace Borealis.Engine.Tests.Heap;

/// <summary>Pins every on-disk value of the heap family so a format can only change deliberately.</summary>
public class HeapFormatPinTests
{
    [Fact]
    public void RecordTypeValuesArePinned()
    {
        Assert.Equal(16, (int)RedoType.HeapInit);
        Assert.Equal(17, (int)RedoType.HeapInsert);
        Assert.Equal(18, (int)RedoType.HeapSetXmax);
        Assert.Equal(19, (int)RedoType.HeapUpdateInPage);
        Assert.Equal(20, (int)RedoType.HeapPrune);
        Assert.Equal(21, (int)RedoType.HeapSetHints);
        Assert.Equal(22, (int)RedoType.OverflowWrite);
        Assert.Equal(23, (int)RedoType.HeapMetaInit);
        Assert.Equal(24, (int)RedoType.HeapMetaAddDir);
        Assert.Equal(25, (int)RedoType.HeapMetaSetSummary);
        Assert.Equal(26, (int)RedoType.FreeSpaceInit);
        Assert.Equal(27, (int)RedoType.FreeSpaceAdd);
        Assert.Equal(28, (int)RedoType.FreeSpaceSet);
        foreach (var t in Enum.GetValues<RedoType>())
        {
            if (t.ToString().StartsWith("Heap", StringComparison.Ordinal) || t.ToString().StartsWith("Overflow", StringComparison.Ordinal)
                || t.ToString().StartsWith("FreeSpace", StringComparison.Ordinal))
                Assert.InRange((byte)t, RedoFamilies.HeapFirst, RedoFamilies.HeapLast);
        }
        Assert.False(RedoFamilies.IsLsnDependent(RedoType.HeapInsert));
    }

    [Fact]
    public void TupleHeaderLayoutIsPinned()
    {
        Assert.Equal(0, HeapTuple.OffXmin);
        Assert.Equal(8, HeapTuple.OffXmax);
        Assert.Equal(16, HeapTuple.OffCmin);
        Assert.Equal(20, HeapTuple.OffCmax);
        Assert.Equal(24, HeapTuple.OffCtid);
        Assert.Equal(32, HeapTuple.OffInfomask);
        Assert.Equal(34, HeapTuple.HeaderSize);
        Assert.Equal(16, OverflowPointer.Size);
        Assert.Equal((5UL << 16) | 7, HeapTuple.PackCtid(5, 7));

        Assert.Equal(0x0001, (int)HeapInfomask.XmaxLockOnly);
        Assert.Equal(0x0002, (int)HeapInfomask.XmaxExclusiveLock);
        Assert.Equal(0x0004, (int)HeapInfomask.Updated);
        Assert.Equal(0x0008, (int)HeapInfomask.HasOverflow);
        Assert.Equal(0x0010, (int)HeapInfomask.HeapOnly);
        Assert.Equal(0x0100, (int)HeapInfomask.XminCommitted);
        Assert.Equal(0x0200, (int)HeapInfomask.XminInvalid);
        Assert.Equal(0x0400, (int)HeapInfomask.XmaxCommitted);
        Assert.Equal(0x0800, (int)HeapInfomask.XmaxInvalid);

        Span<byte> t = stackalloc byte[HeapTuple.HeaderSize];
        HeapTuple.WriteHeader(t, 0x0102030405060708, 0x1112131415161718, 0x21222324, 0x31323334, 0x4142434445464748, (HeapInfomask)0x5152);
        Assert.Equal(
            "08070605040302011817161514131211242322213433323148474645444342415251",
            Convert.ToHexString(t).ToLowerInvariant());
    }

    [Fact]
    public void PageLayoutsArePinned()
    {
        Assert.Equal(1, (int)PageKind.Heap);
        Assert.Equal(2, (int)PageKind.Overflow);
        Assert.Equal(3, (int)PageKind.HeapMeta);
        Assert.Equal(4, (int)PageKind.FreeSpace);

        Assert.Equal(16, HeapPage.OffKind);
        Assert.Equal(18, HeapPage.OffSlotCount);
        Assert.Equal(20, HeapPage.OffLower);
        Assert.Equal(22, HeapPage.OffUpper);
        Assert.Equal(24, HeapPage.OffOwner);
        Assert.Equal(32, HeapPage.OffDirIndex);
        Assert.Equal(34, HeapPage.OffDirEntry);
        Assert.Equal(40, HeapPage.HeaderEnd);
        Assert.Equal(4, HeapPage.LinePointerSize);
        Assert.Equal(8148, HeapPage.MaxTupleSize);
        Assert.Equal(214, HeapPage.MaxSlots);

        Assert.Equal(17, HeapMetaPage.OffVersion);
        Assert.Equal(20, HeapMetaPage.OffDirCount);
        Assert.Equal(32, HeapMetaPage.OffDirPages);
        Assert.Equal(906, HeapMetaPage.MaxDirs);
        Assert.Equal(7280, HeapMetaPage.OffSummary);

        Assert.Equal(18, FreeSpacePage.OffCount);
        Assert.Equal(24, FreeSpacePage.OffOwner);
        Assert.Equal(32, FreeSpacePage.OffEntries);
        Assert.Equal(1020, FreeSpacePage.Capacity);
        Assert.Equal(5, FreeSpacePage.CategoryShift);

        Assert.Equal(18, OverflowPage.OffLength);
        Assert.Equal(24, OverflowPage.OffNext);
        Assert.Equal(32, OverflowPage.OffChunk);
        Assert.Equal(8160, OverflowPage.MaxChunk);
    }

    [Fact]
    public void PayloadSizesArePinned()
    {
        Assert.Equal(12, HeapRecords.HeapInitSize);
        Assert.Equal(8, HeapRecords.InitSize);
        Assert.Equal(24, HeapRecords.SetXmaxSize);
        Assert.Equal(4, HeapRecords.SetHintsSize);
        Assert.Equal(12, HeapRecords.MetaAddDirSize);
        Assert.Equal(5, HeapRecords.MetaSetSummarySize);
        Assert.Equal(12, HeapRecords.FreeSpaceAddSize);
        Assert.Equal(3, HeapRecords.FreeSpaceSetSize);
        Assert.Equal(2 + 40, HeapRecords.InsertSize(40));
        Assert.Equal(26 + 40, HeapRecords.UpdateInPageSize(40));
        Assert.Equal(4 + 6, HeapRecords.PruneSize(3));
        Assert.Equal(8 + 100, HeapRecords.OverflowWriteSize(100));
        Assert.Equal(2032, Borealis.Engine.Heap.HeapTable.OverflowThreshold);
    }
}
