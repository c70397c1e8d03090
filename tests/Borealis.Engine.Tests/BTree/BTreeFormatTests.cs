using System.Buffers.Binary;
using Borealis.Redo;
using Borealis.Redo.BTree;
using Xunit.Abstractions;

namespace Borealis.Engine.Tests.BTree;

/// <summary>Pins the B+tree record and page formats, and fuzzes the apply routine.</summary>
public class BTreeFormatTests(ITestOutputHelper output)
{
    [Fact]
    public void RecordTypesAndLayoutsArePinned()
    {
        Assert.Equal((byte)40, (byte)RedoType.BtInitNode);
        Assert.Equal((byte)41, (byte)RedoType.BtInsert);
        Assert.Equal((byte)42, (byte)RedoType.BtDelete);
        Assert.Equal((byte)43, (byte)RedoType.BtTruncate);
        Assert.Equal((byte)44, (byte)RedoType.BtSetMeta);
        Assert.Equal((byte)45, (byte)RedoType.BtMarkDead);
        Assert.Equal(14, BTreeApply.InitHeader);
        Assert.Equal(6, BTreeApply.InsertHeader);
        Assert.Equal(12, BTreeApply.TruncateHeader);
        Assert.Equal(9, BTreeApply.MetaPayload);
        Assert.Equal(0xFFFF, BTreeApply.NoHighKey);

        Assert.Equal(16, BTreeNode.OffKind);
        Assert.Equal(17, BTreeNode.OffLevel);
        Assert.Equal(18, BTreeNode.OffCount);
        Assert.Equal(20, BTreeNode.OffDataStart);
        Assert.Equal(22, BTreeNode.OffGarbage);
        Assert.Equal(24, BTreeNode.OffRightLink);
        Assert.Equal(32, BTreeNode.OffHighKey);
        Assert.Equal(34, BTreeNode.OffFlags);
        Assert.Equal(1, BTreeNode.FlagDead);
        Assert.Equal(40, BTreeNode.OffSlots);
        Assert.Equal(4, BTreeNode.CellHeader);
        Assert.Equal(16, BTreeMeta.OffKind);
        Assert.Equal(17, BTreeMeta.OffRootLevel);
        Assert.Equal(18, BTreeMeta.OffVersion);
        Assert.Equal(24, BTreeMeta.OffRoot);
        Assert.Equal((byte)10, (byte)PageKind.BTreeMeta);
        Assert.Equal((byte)11, (byte)PageKind.BTreeInner);
        Assert.Equal((byte)12, (byte)PageKind.BTreeLeaf);
    }

    private static byte[] Record(RedoType type, ReadOnlySpan<byte> payload, ulong lsn = 5)
    {
        var rec = new byte[RedoRecord.HeaderSize + payload.Length];
        payload.CopyTo(rec.AsSpan(RedoRecord.HeaderSize));
        RedoRecord.Seal(rec, payload.Length, lsn, lsn - 1, 1, 0, 1, 7, type, RedoFlags.Cpl);
        return rec;
    }

    private static byte[] InitPayload(PageKind kind, int level, ulong right, byte[]? high, params (byte[] K, byte[] V)[] entries)
    {
        var buf = new byte[8192 * 2];
        int at = BTreeApply.WriteInitHeader(buf, kind, level, right, high is not null, high, entries.Length);
        foreach (var (k, v) in entries) at += BTreeApply.WriteInitEntry(buf.AsSpan(at), k, v);
        return buf[..at];
    }

    [Fact]
    public void ANodeIsLaidOutAsDocumented()
    {
        var page = new byte[Page.Size];
        Assert.True(PageApply.Apply(page, Record(RedoType.BtInitNode, InitPayload(PageKind.BTreeLeaf, 0, 99, "m"u8.ToArray(), ("a"u8.ToArray(), [1]), ("c"u8.ToArray(), [3])))));
        Assert.Equal(5ul, Page.GetLsn(page));
        Assert.Equal((byte)PageKind.BTreeLeaf, page[16]);
        Assert.Equal(2, BinaryPrimitives.ReadUInt16LittleEndian(page.AsSpan(18)));
        Assert.Equal(99ul, BinaryPrimitives.ReadUInt64LittleEndian(page.AsSpan(24)));
        // Cells from the page end: high key "m" (5 bytes) at 8187, then "a"→1 at 8181, "c"→3 at 8175.
        Assert.Equal(8187, BinaryPrimitives.ReadUInt16LittleEndian(page.AsSpan(32)));
        Assert.Equal(8181, BinaryPrimitives.ReadUInt16LittleEndian(page.AsSpan(40)));
        Assert.Equal(8175, BinaryPrimitives.ReadUInt16LittleEndian(page.AsSpan(42)));
        Assert.Equal(8175, BinaryPrimitives.ReadUInt16LittleEndian(page.AsSpan(20)));
        Assert.Equal("01000100" + "61" + "01", Convert.ToHexString(page.AsSpan(8181, 6)));

        var ins = new byte[64];
        int n = BTreeApply.WriteInsert(ins, 1, "b"u8, [2]);
        Assert.True(PageApply.Apply(page, Record(RedoType.BtInsert, ins.AsSpan(0, n), 6)));
        Assert.Equal("b"u8.ToArray(), BTreeNode.Key(page, 1).ToArray());
        // Out of order: "b" again at slot 0 is refused and the page is untouched.
        var before = page.ToArray();
        n = BTreeApply.WriteInsert(ins, 0, "b"u8, [2]);
        Assert.False(PageApply.Apply(page, Record(RedoType.BtInsert, ins.AsSpan(0, n), 7)));
        Assert.Equal(before, page);

        var del = new byte[2];
        BTreeApply.WriteDelete(del, 0);
        Assert.True(PageApply.Apply(page, Record(RedoType.BtDelete, del, 8)));
        Assert.Equal(2, BTreeNode.Count(page));
        Assert.Equal(6, BTreeNode.Garbage(page));

        var tr = new byte[64];
        n = BTreeApply.WriteTruncate(tr, 1, 123, true, "bb"u8);
        Assert.True(PageApply.Apply(page, Record(RedoType.BtTruncate, tr.AsSpan(0, n), 9)));
        Assert.Equal(1, BTreeNode.Count(page));
        Assert.Equal(123ul, BTreeNode.RightLink(page));
        Assert.Equal("bb"u8.ToArray(), BTreeNode.HighKey(page).ToArray());
        Assert.Equal(0, BTreeNode.Garbage(page));
        Assert.True(BTreeNode.IsWellFormed(page));

        // Only an empty leaf can die; a dead leaf takes no more entries.
        Assert.False(PageApply.Apply(page, Record(RedoType.BtMarkDead, [], 10)));
        BTreeApply.WriteDelete(del, 0);
        Assert.True(PageApply.Apply(page, Record(RedoType.BtDelete, del, 10)));
        Assert.True(PageApply.Apply(page, Record(RedoType.BtMarkDead, [], 11)));
        Assert.True(BTreeNode.IsDead(page));
        Assert.Equal(1, page[34]);
        n = BTreeApply.WriteInsert(ins, 0, "b"u8, [2]);
        Assert.False(PageApply.Apply(page, Record(RedoType.BtInsert, ins.AsSpan(0, n), 12)));

        var meta = new byte[Page.Size];
        var mp = new byte[9];
        BTreeApply.WriteSetMeta(mp, 4242, 3);
        Assert.True(PageApply.Apply(meta, Record(RedoType.BtSetMeta, mp)));
        Assert.Equal(4242ul, BTreeMeta.Root(meta));
        Assert.Equal(3, BTreeMeta.RootLevel(meta));
        Assert.Equal((byte)PageKind.BTreeMeta, meta[16]);
    }

    [Fact]
    public void InsertsCompactAFragmentedNodeDeterministically()
    {
        var page = new byte[Page.Size];
        Assert.True(PageApply.Apply(page, Record(RedoType.BtInitNode, InitPayload(PageKind.BTreeLeaf, 0, 0, null))));
        var buf = new byte[2048];
        // Fill with 1000-byte values, delete every other one, then insert one that only fits after compaction.
        int count = 0;
        for (int i = 0; ; i++)
        {
            int n = BTreeApply.WriteInsert(buf, count, [(byte)i], new byte[1000]);
            if (!PageApply.Apply(page, Record(RedoType.BtInsert, buf.AsSpan(0, n)))) break;
            count++;
        }
        Assert.Equal(8, count);
        var del = new byte[2];
        for (int s = count - 1; s >= 0; s -= 2) { BTreeApply.WriteDelete(del, s); Assert.True(PageApply.Apply(page, Record(RedoType.BtDelete, del))); }
        int m = BTreeApply.WriteInsert(buf, 4, [0x7F], new byte[1500]);
        Assert.True(PageApply.Apply(page, Record(RedoType.BtInsert, buf.AsSpan(0, m))));
        Assert.Equal(0, BTreeNode.Garbage(page));
        Assert.True(BTreeNode.IsWellFormed(page));
        Assert.Equal([0, 2, 4, 6, 0x7F], Enumerable.Range(0, 5).Select(i => (int)BTreeNode.Key(page, i)[0]).ToArray());
    }

    /// <summary>Random and mutated payloads of every B+tree type, on empty, leaf, inner and meta pages: never throws, a refusal leaves the page untouched, an accepted record leaves a well-formed node.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void ApplyFuzzNeverThrowsOrCorrupts(int seedArg)
    {
        int seed = BTreeTestKit.Seed(seedArg);
        output.WriteLine($"seed {seed} (replay with BOREALIS_SEED={seed})");
        var rnd = new Random(seed);
        var valid = new List<(RedoType, byte[])>
        {
            (RedoType.BtInitNode, InitPayload(PageKind.BTreeLeaf, 0, 9, "q"u8.ToArray(), ("b"u8.ToArray(), [1, 2]), ("d"u8.ToArray(), []))),
            (RedoType.BtInitNode, InitPayload(PageKind.BTreeInner, 2, 0, null, ([], new byte[8]), ("k"u8.ToArray(), new byte[8]))),
        };
        var ins = new byte[32];
        valid.Add((RedoType.BtInsert, ins[..BTreeApply.WriteInsert(ins, 1, "c"u8, new byte[8])]));
        valid.Add((RedoType.BtDelete, [1, 0]));
        var tr = new byte[32];
        valid.Add((RedoType.BtTruncate, tr[..BTreeApply.WriteTruncate(tr, 1, 5, true, "c"u8)]));
        var mp = new byte[9];
        BTreeApply.WriteSetMeta(mp, 3, 1);
        valid.Add((RedoType.BtSetMeta, mp));
        valid.Add((RedoType.BtMarkDead, []));
        valid.Add((RedoType.BtInitNode, InitPayload(PageKind.BTreeLeaf, 0, 4, "z"u8.ToArray())));

        var bases = new List<byte[]> { new byte[Page.Size] };
        foreach (var (t, p) in valid.Take(2))
        {
            var pg = new byte[Page.Size];
            Assert.True(PageApply.Apply(pg, Record(t, p)));
            bases.Add(pg);
        }
        var metaPage = new byte[Page.Size];
        Assert.True(PageApply.Apply(metaPage, Record(RedoType.BtSetMeta, mp)));
        bases.Add(metaPage);

        int accepted = 0;
        for (int i = 0; i < 60_000; i++)
        {
            var page = bases[rnd.Next(bases.Count)].ToArray();
            // Evolve pages sometimes, so fuzzing also meets fuller and fragmented nodes.
            if (rnd.Next(4) == 0) bases[rnd.Next(1, bases.Count)] = page;
            byte type = (byte)rnd.Next(RedoFamilies.BTreeFirst, RedoFamilies.BTreeFirst + 8);
            byte[] payload;
            if (rnd.Next(2) == 0)
            {
                var (vt, vp) = valid[rnd.Next(valid.Count)];
                payload = vp.ToArray();
                type = rnd.Next(4) == 0 ? type : (byte)vt;
                int flips = rnd.Next(0, 4);
                for (int f = 0; f < flips && payload.Length > 0; f++) payload[rnd.Next(payload.Length)] = (byte)rnd.Next(256);
                if (rnd.Next(5) == 0) payload = payload[..rnd.Next(payload.Length + 1)];
                if (rnd.Next(5) == 0) payload = [.. payload, .. new byte[rnd.Next(1, 20)]];
            }
            else
            {
                payload = new byte[rnd.Next(0, 40)];
                rnd.NextBytes(payload);
            }
            var before = page.ToArray();
            bool ok;
            try
            {
                ok = BTreeApply.Apply(page, (RedoType)type, payload);
            }
            catch (Exception ex)
            {
                Assert.Fail($"seed {seed} iteration {i}: {(RedoType)type} with payload {Convert.ToHexString(payload)} threw {ex.GetType().Name}: {ex.Message}");
                return;
            }
            if (!ok) Assert.True(before.AsSpan().SequenceEqual(page), $"seed {seed} iteration {i}: refused record changed the page");
            else
            {
                accepted++;
                if ((RedoType)type != RedoType.BtSetMeta)
                    Assert.True(BTreeNode.IsWellFormed(page), $"seed {seed} iteration {i}: accepted {(RedoType)type} left a malformed node");
            }
        }
        output.WriteLine($"{accepted} of 60000 records accepted");
        Assert.True(accepted > 1000);
    }
}
