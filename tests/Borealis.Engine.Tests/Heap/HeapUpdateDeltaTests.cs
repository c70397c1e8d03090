using Borealis.Engine.Heap;
using Borealis.Redo;
using Borealis.Redo.Heap;
using Xunit.Abstractions;

namespace Borealis.Engine.Tests.Heap;

/// <summary>HeapUpdateInPageDelta (29): format pins, apply equivalence with HeapUpdateInPage, apply fuzz, and HeapTable's use of it.</summary>
public class HeapUpdateDeltaTests(ITestOutputHelper output)
{
    private static byte[] PageWith(params byte[][] rows)
    {
        var page = new byte[Page.Size];
        var init = new byte[HeapRecords.HeapInitSize];
        HeapRecords.HeapInit(init, 99, 0, 0);
        Assert.True(HeapApply.Apply(page, RedoType.HeapInit, init));
        for (int i = 0; i < rows.Length; i++)
        {
            var p = new byte[HeapRecords.InsertSize(HeapTuple.HeaderSize + rows[i].Length)];
            rows[i].CopyTo(HeapRecords.Insert(p, (ushort)i, 10, 1, HeapTuple.PackCtid(7, (ushort)i), HeapInfomask.None, rows[i].Length));
            Assert.True(HeapApply.Apply(page, RedoType.HeapInsert, p));
        }
        return page;
    }

    private static byte[] Delta(ReadOnlySpan<byte> oldData, ReadOnlySpan<byte> newData, ushort oldSlot, ushort newSlot, ulong xid, uint cid)
    {
        var (prefix, suffix) = HeapRecords.CommonAffixes(oldData, newData);
        int changed = newData.Length - prefix - suffix;
        var p = new byte[HeapRecords.UpdateInPageDeltaSize(changed)];
        newData.Slice(prefix, changed).CopyTo(HeapRecords.UpdateInPageDelta(p, oldSlot, newSlot, HeapInfomask.Updated, HeapInfomask.HeapOnly, cid, xid, prefix, suffix, changed));
        return p;
    }

    [Fact]
    public void PinFormat()
    {
        Assert.Equal(29, (int)RedoType.HeapUpdateInPageDelta);
        Assert.Equal(24, HeapRecords.UpdateInPageDeltaFixedSize);
        Assert.Equal(24 + 5, HeapRecords.UpdateInPageDeltaSize(5));
        var p = new byte[HeapRecords.UpdateInPageDeltaSize(2)];
        var d = HeapRecords.UpdateInPageDelta(p, 0x0102, 0x0304, HeapInfomask.Updated, HeapInfomask.HeapOnly, 0x05060708, 0x1112131415161718, 0x2122, 0x3132, 2);
        d[0] = 0xA1;
        d[1] = 0xA2;
        Assert.Equal(
            "0201" + "0403" + "0400" + "1000" + "08070605" + "1817161514131211" + "2221" + "3231" + "A1A2",
            Convert.ToHexString(p));
        Assert.Equal((3, 2), HeapRecords.CommonAffixes([1, 2, 3, 4, 5, 6], [1, 2, 3, 9, 5, 6]));
        Assert.Equal((2, 0), HeapRecords.CommonAffixes([1, 1], [1, 1, 1]));          // no overlap of prefix and suffix
        Assert.Equal((0, 0), HeapRecords.CommonAffixes([], [1]));
    }

    [Fact]
    public void TheDeltaBuildsTheSamePageAsTheFullRecord()
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
            var a = PageWith(HeapTestKit.Row(rng, 30), oldRow);
            var b = (byte[])a.Clone();
            ulong newCtid = HeapTuple.PackCtid(7, 2);
            var full = new byte[HeapRecords.UpdateInPageSize(HeapTuple.HeaderSize + newRow.Length)];
            newRow.CopyTo(HeapRecords.UpdateInPage(full, 1, HeapInfomask.Updated, 3, 77, newCtid, 2, HeapInfomask.HeapOnly, newRow.Length));
            Assert.True(HeapApply.Apply(a, RedoType.HeapUpdateInPage, full));
            var delta = Delta(oldRow, newRow, 1, 2, 77, 3);
            Assert.True(HeapApply.Apply(b, RedoType.HeapUpdateInPageDelta, delta));
            Assert.True(a.AsSpan().SequenceEqual(b), $"case {i}: pages differ");
            Assert.True(delta.Length < full.Length);
        }
    }

    [Fact]
    public void MalformedDeltasAreRefusedWithoutChangingThePage()
    {
        int seed = HeapTestKit.Seed("BOREALIS_HEAP_DELTA_SEED");
        output.WriteLine($"seed {seed} (BOREALIS_HEAP_DELTA_SEED)");
        var rng = new Random(seed);
        var pages = new List<byte[]> { PageWith(HeapTestKit.Row(rng, 40), HeapTestKit.Row(rng, 3), HeapTestKit.Row(rng, 300)), new byte[Page.Size] };
        var garbage = new byte[Page.Size];
        rng.NextBytes(garbage);
        garbage[PageKinds.Offset] = (byte)PageKind.Heap;
        pages.Add(garbage);
        int applied = 0;
        for (int iter = 0; iter < 100_000; iter++)
        {
            var basePage = pages[rng.Next(pages.Count)];
            var page = (byte[])basePage.Clone();
            byte[] payload;
            if (rng.Next(3) == 0)
            {
                payload = new byte[rng.Next(0, 48)];
                rng.NextBytes(payload);
            }
            else
            {
                int changed = rng.Next(0, 40);
                payload = new byte[HeapRecords.UpdateInPageDeltaSize(changed)];
                HeapRecords.UpdateInPageDelta(payload, (ushort)rng.Next(0, 5), (ushort)rng.Next(0, 6), (HeapInfomask)rng.Next(0, 8),
                    (HeapInfomask)rng.Next(0, 32), 1, 2, rng.Next(0, 60), rng.Next(0, 60), changed).Fill(3);
                if (rng.Next(2) == 0) payload[rng.Next(payload.Length)] ^= (byte)(1 << rng.Next(8));
            }
            bool ok;
            try { ok = HeapApply.Apply(page, RedoType.HeapUpdateInPageDelta, payload); }
            catch (Exception ex) { throw new InvalidOperationException($"seed {seed} iter {iter} threw", ex); }
            if (!ok) Assert.True(page.AsSpan().SequenceEqual(basePage), $"seed {seed} iter {iter}: refused but changed the page");
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
    public async Task SmallChangesLogSmallRecordsAndPagesMatchStorage()
    {
        int seed = HeapTestKit.Seed("BOREALIS_HEAP_DELTA_SEED");
        output.WriteLine($"seed {seed} (BOREALIS_HEAP_DELTA_SEED)");
        var rng = new Random(seed);
        var (vol, pool, _, table) = await HeapTestKit.NewAsync(256);
        var rows = new List<(Tid Tid, byte[] Row)>();
        for (int i = 0; i < 200; i++)
        {
            var r = HeapTestKit.Row(rng, rng.Next(20, 150));
            rows.Add(((await table.InsertAsync(10, 0, r)).Tid, r));
        }
        ulong xid = 11;
        long deltaRecords = 0, bytesBefore = vol.RedoBytes, records = vol.RecordCount;
        for (int i = 0; i < 2000; i++)
        {
            int k = rng.Next(rows.Count);
            var (tid, row) = rows[k];
            var next = (byte[])row.Clone();
            next[rng.Next(next.Length)] ^= 0xFF; // a balance-like change in the middle
            var res = await table.UpdateAsync(tid, xid++, 0, next);
            Assert.Equal(SetXmaxStatus.Ok, res.Status);
            if (res.NewTid.Page == tid.Page) deltaRecords++;
            rows[k] = (res.NewTid, next);
            if (i % 200 == 0)
            {
                // vacuum-like: prune everything but the newest versions so pages keep room
                await new HeapWorkloadPruner(table, rows.Select(r => r.Tid).ToHashSet()).RunAsync();
            }
        }
        long perUpdate = (vol.RedoBytes - bytesBefore) / (vol.RecordCount - records);
        output.WriteLine($"{deltaRecords} same-page updates; {perUpdate} redo bytes per record on average");
        foreach (var (tid, row) in rows)
        {
            var buf = new byte[row.Length];
            var f = await table.FetchAsync(tid, buf);
            Assert.Equal(FetchStatus.Ok, f.Status);
            Assert.Equal(row, buf);
        }
        Assert.True(await HeapTestKit.AssertCachedPagesMatchStorageAsync(vol, pool) > 0);
        Assert.True(deltaRecords > 1000);
    }

    /// <summary>Prunes every page so only the listed versions stay (Dead for the rest).</summary>
    private sealed class HeapWorkloadPruner(HeapTable table, HashSet<Tid> keep)
    {
        public async Task RunAsync()
        {
            var pages = keep.Select(t => t.Page).ToHashSet();
            foreach (ulong p in pages) await table.PruneAsync(p, new Keep(keep));
        }

        private readonly struct Keep(HashSet<Tid> keep) : IHeapPrunePredicate
        {
            public PruneAction Decide(Tid tid, Redo.Heap.SlotState state, in HeapTupleHeader header, ReadOnlySpan<byte> data) =>
                keep.Contains(tid) ? PruneAction.Keep : PruneAction.Unused;
        }
    }
}
