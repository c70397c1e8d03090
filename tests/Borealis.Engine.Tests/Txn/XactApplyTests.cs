using System.Buffers.Binary;
using Borealis.Redo;
using Borealis.Redo.Xact;

namespace Borealis.Engine.Tests.Txn;

public class XactApplyTests
{
    private static byte[] Record(RedoType type, ReadOnlySpan<byte> payload, ulong lsn, ulong pageNo = 7)
    {
        var rec = new byte[RedoRecord.HeaderSize + payload.Length];
        payload.CopyTo(rec.AsSpan(RedoRecord.HeaderSize));
        RedoRecord.Seal(rec, payload.Length, lsn, lsn - 1, 1, 0, 1, pageNo, type, RedoFlags.Cpl);
        return rec;
    }

    private static byte[] Format(XactPageRole role, ulong b)
    {
        var p = new byte[XactLayout.FormatPayloadSize];
        XactLayout.WriteFormat(p, role, b);
        return p;
    }

    private static byte[] Slots(params ushort[] slots)
    {
        var p = new byte[XactLayout.SlotsPayloadSize(slots.Length)];
        XactLayout.WriteSlots(p, slots);
        return p;
    }

    [Fact]
    public void CommitWritesTheRecordsOwnLsnAndAbortWritesOne()
    {
        var page = new byte[Page.Size];
        Assert.True(PageApply.Apply(page, Record(RedoType.XactFormat, Format(XactPageRole.Status, 2040), 5)));
        Assert.True(XactLayout.Is(page, XactPageRole.Status));
        Assert.Equal(2040UL, XactLayout.Base(page));
        Assert.Equal(PageKind.XactStatus, PageKinds.Of(page));

        Assert.True(PageApply.Apply(page, Record(RedoType.XactCommit, Slots(3, 1019), 42)));
        Assert.Equal(42UL, XactLayout.Slot(page, 3));
        Assert.Equal(42UL, XactLayout.Slot(page, 1019));
        Assert.Equal(42UL, Page.GetLsn(page));
        // The writer applies with a provisional LSN first and again with the stamped one.
        Assert.True(PageApply.Apply(page, Record(RedoType.XactCommit, Slots(4), 43), ulong.MaxValue));
        Assert.Equal(ulong.MaxValue, XactLayout.Slot(page, 4));
        Assert.True(PageApply.Apply(page, Record(RedoType.XactCommit, Slots(4), 43)));
        Assert.Equal(43UL, XactLayout.Slot(page, 4));

        Assert.True(PageApply.Apply(page, Record(RedoType.XactAbort, Slots(5, 6), 50)));
        Assert.Equal(1UL, XactLayout.Slot(page, 5));
        Assert.Equal(1UL, XactLayout.Slot(page, 6));
        Assert.Equal(0UL, XactLayout.Slot(page, 7));
    }

    [Fact]
    public void CeilingOnlyRisesAndDirectoryEntriesLand()
    {
        var meta = new byte[Page.Size];
        Assert.True(PageApply.Apply(meta, Record(RedoType.XactFormat, Format(XactPageRole.Counter, 0), 2)));
        var c = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(c, 2040);
        Assert.True(PageApply.Apply(meta, Record(RedoType.XactCeiling, c, 3)));
        BinaryPrimitives.WriteUInt64LittleEndian(c, 1020);
        Assert.True(PageApply.Apply(meta, Record(RedoType.XactCeiling, c, 4)));
        Assert.Equal(2040UL, XactLayout.Ceiling(meta));

        var dir = new byte[Page.Size];
        Assert.True(PageApply.Apply(dir, Record(RedoType.XactFormat, Format(XactPageRole.DirLeaf, 1020), 5)));
        var d = new byte[10];
        XactLayout.WriteDirSet(d, 17, 99);
        Assert.True(PageApply.Apply(dir, Record(RedoType.XactDirSet, d, 6)));
        Assert.Equal(99UL, XactLayout.Slot(dir, 17));
        // Wrong page kinds refuse.
        Assert.False(PageApply.Apply(dir, Record(RedoType.XactCeiling, c, 7)));
        Assert.False(PageApply.Apply(meta, Record(RedoType.XactDirSet, d, 7)));
        Assert.False(PageApply.Apply(dir, Record(RedoType.XactCommit, Slots(1), 7)));
        Assert.False(PageApply.Apply(dir, Record(RedoType.XactFormat, Format(XactPageRole.DirLeaf, 5), 7))); // unaligned base
        Assert.False(PageApply.Apply(dir, Record(RedoType.XactFormat, Format(XactPageRole.Counter, 1020), 7)));
    }

    [Fact]
    public void FuzzMalformedRecordsNeverThrowAndLeaveThePageUntouched()
    {
        int seed = Environment.TickCount;
        Console.WriteLine($"XactApply fuzz seed {seed}");
        var rnd = new Random(seed);
        var roles = new[] { XactPageRole.Counter, XactPageRole.DirRoot, XactPageRole.DirLeaf, XactPageRole.Status };
        var types = new[] { RedoType.XactFormat, RedoType.XactCommit, RedoType.XactAbort, RedoType.XactCeiling, RedoType.XactDirSet, (RedoType)69, (RedoType)79 };
        int applied = 0;
        for (int iter = 0; iter < 20_000; iter++)
        {
            var page = new byte[Page.Size];
            switch (rnd.Next(3))
            {
                case 0: rnd.NextBytes(page); break;
                case 1:
                    var role = roles[rnd.Next(roles.Length)];
                    XactApply.Apply(page, RedoType.XactFormat, Format(role, role is XactPageRole.Status or XactPageRole.DirLeaf ? (ulong)rnd.Next(100) * 1020 : 0), 1);
                    break;
            }
            var type = types[rnd.Next(types.Length)];
            byte[] payload = rnd.Next(4) switch
            {
                0 => RandomBytes(rnd, rnd.Next(0, 24)),
                1 => Slots(RandomSlots(rnd)),
                2 => Format(roles[rnd.Next(roles.Length)], (ulong)rnd.Next(3) * 1020 + (ulong)rnd.Next(2)),
                _ => Mutate(rnd, Slots(RandomSlots(rnd))),
            };
            var before = (byte[])page.Clone();
            bool ok = XactApply.Apply(page, type, payload, (ulong)rnd.NextInt64(2, long.MaxValue));
            if (!ok) Assert.Equal(before, page);
            else applied++;
        }
        Assert.True(applied > 100, $"only {applied} records applied (seed {seed})");
    }

    private static ushort[] RandomSlots(Random rnd)
    {
        var s = new ushort[rnd.Next(1, 6)];
        for (int i = 0; i < s.Length; i++) s[i] = (ushort)(rnd.Next(4) == 0 ? rnd.Next(ushort.MaxValue) : rnd.Next(1020));
        return s;
    }

    private static byte[] RandomBytes(Random rnd, int n)
    {
        var b = new byte[n];
        rnd.NextBytes(b);
        return b;
    }

    private static byte[] Mutate(Random rnd, byte[] p)
    {
        if (p.Length == 0 || rnd.Next(2) == 0) return p[..Math.Max(0, p.Length - rnd.Next(1, 3))];
        p[rnd.Next(p.Length)] = (byte)rnd.Next(256);
        return p;
    }
}
