using Borealis.Engine.Heap;
using Borealis.Redo;
using Borealis.Redo.Heap;
using Xunit.Abstractions;

namespace Borealis.Engine.Tests.Heap;

/// <summary>
/// HeapInsertCompact (30), HeapUpdateInPageDeltaCompact (31) and HeapSetXmaxCompact (32): format pins, varints, byte-identity
/// with the full records, apply fuzz, and HeapTable's use of them (pages match storage's).
/// </summary>
public class HeapCompactRecordTests(ITestOutputHelper output)
{
    private const ulong PageNo = 0x1234;

    private static byte[] EmptyPage()
    {
        var page = new byte[Page.Size];
        var init = new byte[HeapRecords.HeapInitSize];
        HeapRecords.HeapInit(init, 99, 0, 0);
        Assert.True(HeapApply.Apply(page, RedoType.HeapInit, init));
        return page;
    }

    private static byte[] FullInsert(ushort slot, ulong xmin, uint cmin, HeapInfomask mask, byte[] data, ulong pageNo = PageNo)
    {
        var p = new byte[HeapRecords.InsertSize(HeapTuple.HeaderSize + data.Length)];
        data.CopyTo(HeapRecords.Insert(p, slot, xmin, cmin, HeapTuple.PackCtid(pageNo, slot), mask, data.Length));
        return p;
    }

    private static byte[] CompactInsert(ushort slot, ulong xmin, uint cmin, HeapInfomask mask, byte[] data)
    {
        var p = new byte[HeapCompactRecords.InsertSize(slot, mask, xmin, cmin, data.Length)];
        data.CopyTo(HeapCompactRecords.Insert(p, slot, mask, xmin, cmin, data.Length));
        return p;
    }

    private static byte[] CompactDelta(ReadOnlySpan<byte> oldData, ReadOnlySpan<byte> newData, ushort oldSlot, ushort newSlot, ulong xid, uint cid)
    {
        var (prefix, suffix) = HeapRecords.CommonAffixes(oldData, newData);
        int changed = newData.Length - prefix - suffix;
        var p = new byte[HeapCompactRecords.UpdateInPageDeltaSize(oldSlot, newSlot, HeapInfomask.Updated, HeapInfomask.HeapOnly, cid, xid, prefix, suffix, changed)];
        newData.Slice(prefix, changed).CopyTo(HeapCompactRecords.UpdateInPageDelta(p, oldSlot, newSlot, HeapInfomask.Updated, HeapInfomask.HeapOnly,
            cid, xid, prefix, suffix, changed));
        return p;
    }

    [Fact]
    public void PinFormat()
    {
        Assert.Equal(30, (int)RedoType.HeapInsertCompact);
        Assert.Equal(31, (int)RedoType.HeapUpdateInPageDeltaCompact);
        Assert.Equal(ulong.MaxValue, HeapApply.NoPage);
        Assert.Equal(10, HeapVarint.MaxSize);
        Assert.Equal(1, HeapVarint.Size(0));
        Assert.Equal(1, HeapVarint.Size(127));
        Assert.Equal(2, HeapVarint.Size(128));
        Assert.Equal(10, HeapVarint.Size(ulong.MaxValue));
        var v = new byte[10];
        Assert.Equal("E58E26", Convert.ToHexString(v, 0, HeapVarint.Write(v, 624485)));

        // slot 300, infomask HasOverflow, xmin 70000, cmin 2, data A1 A2
        var ins = new byte[HeapCompactRecords.InsertSize(300, HeapInfomask.HasOverflow, 70000, 2, 2)];
        var d = HeapCompactRecords.Insert(ins, 300, HeapInfomask.HasOverflow, 70000, 2, 2);
        d[0] = 0xA1;
        d[1] = 0xA2;
        Assert.Equal("AC02" + "08" + "F0A204" + "02" + "A1A2", Convert.ToHexString(ins));

        // old slot 1, new slot 200, Updated, HeapOnly, cid 3, xid 70000, prefix 11, suffix 85, changed 9F
        var del = new byte[HeapCompactRecords.UpdateInPageDeltaSize(1, 200, HeapInfomask.Updated, HeapInfomask.HeapOnly, 3, 70000, 11, 85, 1)];
        HeapCompactRecords.UpdateInPageDelta(del, 1, 200, HeapInfomask.Updated, HeapInfomask.HeapOnly, 3, 70000, 11, 85, 1)[0] = 0x9F;
        Assert.Equal("01" + "C801" + "04" + "10" + "03" + "F0A204" + "0B" + "55" + "9F", Convert.ToHexString(del));

        // slot 2, Updated, cmax 0, xmax 70000, ctid (own page, 5) | ctid (page 0x80, 5)
        Assert.Equal(32, (int)RedoType.HeapSetXmaxCompact);
        var sx = new byte[HeapCompactRecords.SetXmaxSize(PageNo, 2, HeapInfomask.Updated, 0, 70000, HeapTuple.PackCtid(PageNo, 5))];
        Assert.Equal(sx.Length, HeapCompactRecords.SetXmax(sx, PageNo, 2, HeapInfomask.Updated, 0, 70000, HeapTuple.PackCtid(PageNo, 5)));
        Assert.Equal("02" + "04" + "00" + "F0A204" + "05" + "00", Convert.ToHexString(sx));
        sx = new byte[HeapCompactRecords.SetXmaxSize(PageNo, 2, HeapInfomask.Updated, 0, 70000, HeapTuple.PackCtid(0x80, 5))];
        HeapCompactRecords.SetXmax(sx, PageNo, 2, HeapInfomask.Updated, 0, 70000, HeapTuple.PackCtid(0x80, 5));
        Assert.Equal("02" + "04" + "00" + "F0A204" + "05" + "8101", Convert.ToHexString(sx));
    }

    private static byte[] CompactSetXmax(ulong pageNo, ushort slot, HeapInfomask bits, uint cmax, ulong xmax, ulong ctid)
    {
        var p = new byte[HeapCompactRecords.SetXmaxSize(pageNo, slot, bits, cmax, xmax, ctid)];
        HeapCompactRecords.SetXmax(p, pageNo, slot, bits, cmax, xmax, ctid);
        return p;
    }

    [Fact]
    public void CompactSetXmaxBuildsTheSamePageAsTheFullRecord()
    {
        var rng = new Random(11);
        var start = EmptyPage();
        for (ushort s = 0; s < 20; s++) Assert.True(HeapApply.Apply(start, RedoType.HeapInsert, FullInsert(s, 10, 1, HeapInfomask.None, HeapTestKit.Row(rng, 40))));
        for (int i = 0; i < 2000; i++)
        {
            var a = (byte[])start.Clone();
            var b = (byte[])start.Clone();
            ushort slot = (ushort)rng.Next(0, 22);
            var bits = (HeapInfomask)rng.Next(0, 8) | (rng.Next(3) == 0 ? HeapInfomask.XmaxCommitted : HeapInfomask.None);
            uint cmax = rng.Next(2) == 0 ? 0 : (uint)rng.Next();
            ulong xmax = rng.Next(3) == 0 ? (ulong)rng.NextInt64() : (ulong)rng.Next(0, 100_000);
            ulong ctidPage = rng.Next(3) switch { 0 => PageNo, 1 => HeapTuple.MaxPage, _ => (ulong)rng.NextInt64(0, 1L << 40) };
            ulong ctid = HeapTuple.PackCtid(ctidPage, (ushort)rng.Next(0, 70_000));
            var full = new byte[HeapRecords.SetXmaxSize];
            HeapRecords.SetXmax(full, slot, bits, cmax, xmax, ctid);
            bool okA = HeapApply.Apply(a, RedoType.HeapSetXmax, full, PageNo);
            bool okB = HeapApply.Apply(b, RedoType.HeapSetXmaxCompact, CompactSetXmax(PageNo, slot, bits, cmax, xmax, ctid), PageNo);
            Assert.Equal(okA, okB);
            Assert.True(a.AsSpan().SequenceEqual(b), $"case {i}: pages differ");
        }
    }

    [Fact]
    public void VarintsRoundTripAndRefuseMalformedInput()
    {
        var rng = new Random(3);
        var buf = new byte[HeapVarint.MaxSize];
        foreach (ulong x in new ulong[] { 0, 1, 127, 128, 16383, 16384, uint.MaxValue, ulong.MaxValue - 1, ulong.MaxValue })
            RoundTrip(x);
        for (int i = 0; i < 10_000; i++) RoundTrip((ulong)rng.NextInt64() >> rng.Next(64));

        void RoundTrip(ulong x)
        {
            int n = HeapVarint.Write(buf, x);
            Assert.Equal(HeapVarint.Size(x), n);
            int pos = 0;
            Assert.True(HeapVarint.TryRead(buf.AsSpan(0, n), ref pos, out ulong y));
            Assert.Equal((x, n), (y, pos));
            pos = 0;
            Assert.False(HeapVarint.TryRead(buf.AsSpan(0, n - 1), ref pos, out _)); // truncated
        }

        int p = 0;
        Assert.False(HeapVarint.TryRead([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02], ref p, out _)); // past 64 bits
        p = 0;
        Assert.False(HeapVarint.TryRead([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00], ref p, out _)); // 11 bytes
        p = 0;
        Assert.False(HeapVarint.TryRead([], ref p, out _));
    }

    [Fact]
    public void CompactInsertBuildsTheSamePageAsTheFullRecord()
    {
        var rng = new Random(7);
        for (int c = 0; c < 200; c++)
        {
            var a = EmptyPage();
            var b = EmptyPage();
            ulong pageNo = c % 3 == 0 ? HeapTuple.MaxPage : (ulong)rng.NextInt64(1, 1L << 40);
            for (ushort slot = 0; ; slot++)
            {
                var data = HeapTestKit.Row(rng, rng.Next(0, 300));
                ulong xmin = rng.Next(3) == 0 ? (ulong)rng.NextInt64() : (ulong)rng.Next(1, 100_000);
                uint cmin = rng.Next(2) == 0 ? 0 : (uint)rng.Next();
                var mask = rng.Next(4) == 0 ? HeapInfomask.XminCommitted : HeapInfomask.None;
                var full = FullInsert(slot, xmin, cmin, mask, data, pageNo);
                var compact = CompactInsert(slot, xmin, cmin, mask, data);
                bool okA = HeapApply.Apply(a, RedoType.HeapInsert, full, pageNo);
                bool okB = HeapApply.Apply(b, RedoType.HeapInsertCompact, compact, pageNo);
                Assert.Equal(okA, okB);
                Assert.True(a.AsSpan().SequenceEqual(b), $"case {c} slot {slot}: pages differ");
                if (!okA) break;
                Assert.True(compact.Length < full.Length);
            }
        }
    }

    [Fact]
    public void CompactDeltaBuildsTheSamePageAsTheFullRecord()
    {
        var rng = new Random(5);
        for (int i = 0; i < 500; i++)
        {
            var oldRow = HeapTestKit.Row(rng, rng.Next(0, 200));
            var newRow = (byte[])oldRow.Clone();
            if (rng.Next(4) == 0) newRow = HeapTestKit.Row(rng, rng.Next(0, 200));
            else
            {
                if (newRow.Length > 0) for (int k = rng.Next(0, 4); k > 0; k--) newRow[rng.Next(newRow.Length)] ^= 0x5A;
                if (rng.Next(3) == 0) newRow = [.. newRow, .. HeapTestKit.Row(rng, rng.Next(1, 9))];
                if (rng.Next(3) == 0 && newRow.Length > 4) newRow = newRow[..^rng.Next(1, 4)];
            }
            var a = EmptyPage();
            // The old version's ctid names another page (a re-pointed or moved version): the compact record still derives this page.
            Assert.True(HeapApply.Apply(a, RedoType.HeapInsert, FullInsert(0, 10, 1, HeapInfomask.None, HeapTestKit.Row(rng, 30))));
            Assert.True(HeapApply.Apply(a, RedoType.HeapInsert, FullInsert(1, 10, 1, HeapInfomask.None, oldRow, i % 2 == 0 ? PageNo : PageNo + 1)));
            var b = (byte[])a.Clone();
            ulong xid = (ulong)rng.Next(1, 1 << 30);
            uint cid = (uint)rng.Next(0, 300);
            var full = new byte[HeapRecords.UpdateInPageSize(HeapTuple.HeaderSize + newRow.Length)];
            newRow.CopyTo(HeapRecords.UpdateInPage(full, 1, HeapInfomask.Updated, cid, xid, HeapTuple.PackCtid(PageNo, 2), 2, HeapInfomask.HeapOnly, newRow.Length));
            Assert.True(HeapApply.Apply(a, RedoType.HeapUpdateInPage, full, PageNo));
            var delta = CompactDelta(oldRow, newRow, 1, 2, xid, cid);
            Assert.True(HeapApply.Apply(b, RedoType.HeapUpdateInPageDeltaCompact, delta, PageNo));
            Assert.True(a.AsSpan().SequenceEqual(b), $"case {i}: pages differ");
        }
    }

    [Fact]
    public void CompactRecordsAreRefusedWithoutAPageNumber()
    {
        var page = EmptyPage();
        var before = (byte[])page.Clone();
        Assert.False(HeapApply.Apply(page, RedoType.HeapInsertCompact, CompactInsert(0, 5, 0, HeapInfomask.None, [1, 2, 3])));
        Assert.False(HeapApply.Apply(page, RedoType.HeapInsertCompact, CompactInsert(0, 5, 0, HeapInfomask.None, [1, 2, 3]), HeapTuple.MaxPage + 1));
        Assert.Equal(before, page);
        Assert.True(HeapApply.Apply(page, RedoType.HeapInsertCompact, CompactInsert(0, 5, 0, HeapInfomask.None, [1, 2, 3]), PageNo));
        before = (byte[])page.Clone();
        Assert.False(HeapApply.Apply(page, RedoType.HeapUpdateInPageDeltaCompact, CompactDelta([1, 2, 3], [1, 9, 3], 0, 1, 6, 0)));
        Assert.Equal(before, page);
        Assert.False(HeapApply.Apply(page, RedoType.HeapSetXmaxCompact, CompactSetXmax(PageNo, 0, HeapInfomask.None, 0, 6, HeapTuple.PackCtid(PageNo, 0))));
        Assert.Equal(before, page);
    }

    [Fact]
    public void MalformedCompactRecordsAreRefusedWithoutChangingThePage()
    {
        int seed = HeapTestKit.Seed("BOREALIS_HEAP_COMPACT_SEED");
        output.WriteLine($"seed {seed} (BOREALIS_HEAP_COMPACT_SEED)");
        var rng = new Random(seed);
        var first = EmptyPage();
        for (ushort s = 0; s < 3; s++) Assert.True(HeapApply.Apply(first, RedoType.HeapInsert, FullInsert(s, 10, 1, HeapInfomask.None, HeapTestKit.Row(rng, 20 + 100 * s))));
        var pages = new List<byte[]> { first, EmptyPage(), new byte[Page.Size] };
        var garbage = new byte[Page.Size];
        rng.NextBytes(garbage);
        garbage[PageKinds.Offset] = (byte)PageKind.Heap;
        pages.Add(garbage);
        int applied = 0;
        for (int iter = 0; iter < 100_000; iter++)
        {
            var basePage = pages[rng.Next(pages.Count)];
            var page = (byte[])basePage.Clone();
            int kind = rng.Next(3);
            bool insert = kind == 0;
            var type = kind switch { 0 => RedoType.HeapInsertCompact, 1 => RedoType.HeapUpdateInPageDeltaCompact, _ => RedoType.HeapSetXmaxCompact };
            byte[] payload;
            if (rng.Next(3) == 0)
            {
                payload = new byte[rng.Next(0, 48)];
                rng.NextBytes(payload);
            }
            else if (kind == 2) payload = CompactSetXmax(PageNo, (ushort)rng.Next(0, 5), (HeapInfomask)rng.Next(0, 16), 1, (ulong)rng.Next(0, 1000),
                HeapTuple.PackCtid(rng.Next(2) == 0 ? PageNo : (ulong)rng.Next(), (ushort)rng.Next(0, 5)));
            else if (insert) payload = CompactInsert((ushort)rng.Next(0, 8), (ulong)rng.Next(1, 1 << 20), (uint)rng.Next(0, 200), (HeapInfomask)rng.Next(0, 0x1000),
                HeapTestKit.Row(rng, rng.Next(0, 400)));
            else
            {
                int changed = rng.Next(0, 40);
                payload = new byte[HeapCompactRecords.UpdateInPageDeltaSize(7, 7, (HeapInfomask)7, (HeapInfomask)31, 1, 2, 59, 59, changed)];
                HeapCompactRecords.UpdateInPageDelta(payload, (ushort)rng.Next(0, 5), (ushort)rng.Next(0, 6), (HeapInfomask)rng.Next(0, 8),
                    (HeapInfomask)rng.Next(0, 32), 1, 2, rng.Next(0, 60), rng.Next(0, 60), changed).Fill(3);
            }
            if (payload.Length > 0 && rng.Next(2) == 0) payload[rng.Next(payload.Length)] ^= (byte)(1 << rng.Next(8));
            if (payload.Length > 0 && rng.Next(8) == 0) payload = payload[..rng.Next(payload.Length)];
            ulong pageNo = rng.Next(10) == 0 ? (ulong)rng.NextInt64() << rng.Next(2) : PageNo;
            bool ok;
            try { ok = HeapApply.Apply(page, type, payload, pageNo); }
            catch (Exception ex) { throw new InvalidOperationException($"seed {seed} iter {iter}: {type} threw", ex); }
            if (!ok) Assert.True(page.AsSpan().SequenceEqual(basePage), $"seed {seed} iter {iter}: {type} refused but changed the page");
            else
            {
                applied++;
                if (rng.Next(8) == 0 && pages.Count < 32) pages.Add(page);
            }
        }
        output.WriteLine($"applied {applied}");
        Assert.True(applied > 100);
    }

    [Fact]
    public async Task HeapTableLogsCompactRecordsAndPagesMatchStorage()
    {
        int seed = HeapTestKit.Seed("BOREALIS_HEAP_COMPACT_SEED");
        output.WriteLine($"seed {seed} (BOREALIS_HEAP_COMPACT_SEED)");
        var rng = new Random(seed);
        var (vol, pool, _, table) = await HeapTestKit.NewAsync(256);
        var rows = new List<(Tid Tid, byte[] Row)>();
        ulong xid = 1000;
        for (int i = 0; i < 300; i++)
        {
            var r = HeapTestKit.Row(rng, rng.Next(0, 150));
            long bytes = vol.RedoBytes, recs = vol.RecordCount;
            var ins = await table.InsertAsync(xid, (uint)i, r);
            if (vol.RecordCount == recs + 1) // no extension or free-space bookkeeping in this insert: exactly the compact record
                Assert.Equal(RedoRecord.HeaderSize + HeapCompactRecords.InsertSize(ins.Tid.Slot, HeapInfomask.None, xid, (uint)i, r.Length), vol.RedoBytes - bytes);
            rows.Add((ins.Tid, r));
        }
        int samePage = 0;
        for (int i = 0; i < 3000; i++)
        {
            int k = rng.Next(rows.Count);
            var (tid, row) = rows[k];
            var next = (byte[])row.Clone();
            if (next.Length > 0) next[rng.Next(next.Length)] ^= 0xFF;
            if (rng.Next(10) == 0) next = HeapTestKit.Row(rng, rng.Next(0, 300));
            long bytes = vol.RedoBytes, recs = vol.RecordCount;
            var res = await table.UpdateAsync(tid, ++xid, (uint)rng.Next(0, 3), next);
            Assert.Equal(SetXmaxStatus.Ok, res.Status);
            if (res.NewTid.Page == tid.Page)
            {
                samePage++;
                Assert.Equal(1, vol.RecordCount - recs);
                Assert.True(vol.RedoBytes - bytes <= RedoRecord.HeaderSize + HeapRecords.UpdateInPageSize(HeapTuple.HeaderSize + next.Length));
            }
            rows[k] = (res.NewTid, next);
            if (i % 300 == 0) await PruneAllButAsync(table, rows.Select(r => r.Tid).ToHashSet());
        }
        output.WriteLine($"{samePage} same-page updates");
        foreach (var (tid, row) in rows)
        {
            var buf = new byte[Math.Max(1, row.Length)];
            var f = await table.FetchAsync(tid, buf);
            Assert.Equal(FetchStatus.Ok, f.Status);
            Assert.Equal(tid, f.Header.Ctid);
            Assert.Equal(row, buf.AsSpan(0, f.Length).ToArray());
        }
        Assert.True(await HeapTestKit.AssertCachedPagesMatchStorageAsync(vol, pool) > 0);
        Assert.True(samePage > 500);
    }

    private static async Task PruneAllButAsync(HeapTable table, HashSet<Tid> keep)
    {
        foreach (ulong p in keep.Select(t => t.Page).ToHashSet()) await table.PruneAsync(p, new Keep(keep));
    }

    private readonly struct Keep(HashSet<Tid> keep) : IHeapPrunePredicate
    {
        public PruneAction Decide(Tid tid, SlotState state, in HeapTupleHeader header, ReadOnlySpan<byte> data) =>
            keep.Contains(tid) ? PruneAction.Keep : PruneAction.Unused;
    }
}
