using Borealis.Engine.Txn;
using Borealis.Redo;
using Borealis.Redo.Xact;

namespace Borealis.Engine.Tests.Txn;

/// <summary>Pins the xact record types, page layouts and special values: formats only grow deliberately.</summary>
public class XactFormatPinTests
{
    [Fact]
    public void RecordTypesArePinned()
    {
        Assert.Equal(64, (byte)RedoType.XactFormat);
        Assert.Equal(65, (byte)RedoType.XactCommit);
        Assert.Equal(66, (byte)RedoType.XactAbort);
        Assert.Equal(67, (byte)RedoType.XactCeiling);
        Assert.Equal(68, (byte)RedoType.XactDirSet);
        foreach (var t in Enum.GetValues<RedoType>())
        {
            bool xact = (byte)t is >= RedoFamilies.XactFirst and <= RedoFamilies.XactLast;
            Assert.Equal(t == RedoType.XactCommit, RedoFamilies.IsLsnDependent(t));
            if (t.ToString().StartsWith("Xact", StringComparison.Ordinal)) Assert.True(xact, t.ToString());
        }
    }

    [Fact]
    public void PageLayoutIsPinned()
    {
        Assert.Equal(16, XactLayout.OffKind);
        Assert.Equal(17, XactLayout.OffRole);
        Assert.Equal(24, XactLayout.OffBase);
        Assert.Equal(32, XactLayout.OffSlots);
        Assert.Equal(32, XactLayout.OffCeiling);
        Assert.Equal(1020, XactLayout.SlotsPerPage);
        Assert.Equal(XactLayout.OffSlots + 8 * XactLayout.SlotsPerPage, Page.Size);
        Assert.Equal(1020UL * 1020 * 1020, XactLayout.MaxXid);
        Assert.Equal(9, XactLayout.FormatPayloadSize);
        Assert.Equal(10, XactLayout.DirSetPayloadSize);
        Assert.Equal(8, XactLayout.CeilingPayloadSize);
        Assert.Equal(2 + 2 * 3, XactLayout.SlotsPayloadSize(3));
        Assert.Equal(0UL, XactLayout.StatusInProgress);
        Assert.Equal(1UL, XactLayout.StatusAborted);
        Assert.Equal(0, (byte)XactPageRole.None);
        Assert.Equal(1, (byte)XactPageRole.Counter);
        Assert.Equal(2, (byte)XactPageRole.DirRoot);
        Assert.Equal(3, (byte)XactPageRole.DirLeaf);
        Assert.Equal(4, (byte)XactPageRole.Status);
        Assert.Equal(PageKind.XactMeta, XactLayout.KindOf(XactPageRole.Counter));
        Assert.Equal(PageKind.XactMeta, XactLayout.KindOf(XactPageRole.DirRoot));
        Assert.Equal(PageKind.XactMeta, XactLayout.KindOf(XactPageRole.DirLeaf));
        Assert.Equal(PageKind.XactStatus, XactLayout.KindOf(XactPageRole.Status));
    }

    [Fact]
    public void SpecialXidsAndSqlStatesArePinned()
    {
        Assert.Equal(0UL, Xids.Invalid);
        Assert.Equal(1UL, Xids.Frozen);
        Assert.Equal(2UL, Xids.FirstNormal);
        Assert.Equal(2UL, Xids.FrozenStatus);
        Assert.Equal("40001", SqlStates.SerializationFailure);
        Assert.Equal("40P01", SqlStates.DeadlockDetected);
        Assert.Equal("55P03", SqlStates.LockNotAvailable);
        Assert.Equal(1, (byte)TupleXactFlags.XmaxLockOnly);
        Assert.Equal(2, (byte)TupleXactFlags.XminFrozen);
    }

    [Fact]
    public void PayloadWritersProduceTheDocumentedBytes()
    {
        var b = new byte[16];
        Assert.Equal(9, XactLayout.WriteFormat(b, XactPageRole.Status, 2040));
        Assert.Equal(new byte[] { 4, 0xF8, 0x07, 0, 0, 0, 0, 0, 0 }, b[..9]);
        Array.Clear(b);
        Assert.Equal(6, XactLayout.WriteSlots(b, [3, 0x102]));
        Assert.Equal(new byte[] { 2, 0, 3, 0, 2, 1 }, b[..6]);
        Array.Clear(b);
        Assert.Equal(10, XactLayout.WriteDirSet(b, 5, 0x0102030405));
        Assert.Equal(new byte[] { 5, 0, 5, 4, 3, 2, 1, 0, 0, 0 }, b[..10]);
    }
}
