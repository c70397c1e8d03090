using Borealis.Redo;
using Borealis.Redo.Heap;
using Xunit.Abstractions;

namespace Borealis.Engine.Tests.Heap;

public class HeapApplyTests(ITestOutputHelper output)
{
    private static byte[] NewHeapPage()
    {
        var page = new byte[Page.Size];
        Span<byte> p = stackalloc byte[HeapRecords.HeapInitSize];
        HeapRecords.HeapInit(p, 99, 0, 3);
        Assert.True(HeapApply.Apply(page, RedoType.HeapInit, p));
        return page;
    }

    private static byte[] InsertPayload(int slot, ulong xmin, int dataLen, byte fill)
    {
        var p = new byte[HeapRecords.InsertSize(HeapTuple.HeaderSize + dataLen)];
        HeapRecords.Insert(p, (ushort)slot, xmin, 1, HeapTuple.PackCtid(7, (ushort)slot), HeapInfomask.None, dataLen).Fill(fill);
        return p;
    }

    [Fact]
    public void InsertSetXmaxUpdateAndPruneDoWhatTheySay()
    {
        var page = NewHeapPage();
        Assert.Equal(99ul, HeapPage.Owner(page));
        Assert.Equal(3, HeapPage.DirEntry(page));
        Assert.Equal(Page.Size - HeapPage.HeaderEnd, HeapPage.FreeSpace(page));
        for (int i = 0; i < 3; i++) Assert.True(HeapApply.Apply(page, RedoType.HeapInsert, InsertPayload(i, 10 + (ulong)i, 20, (byte)i)));
        Assert.Equal(3, HeapPage.SlotCount(page));
        Assert.False(HeapApply.Apply(page, RedoType.HeapInsert, InsertPayload(1, 1, 5, 0))); // slot 1 is in use
        Assert.False(HeapApply.Apply(page, RedoType.HeapInsert, InsertPayload(5, 1, 5, 0))); // slot past the end + 1

        var x = new byte[HeapRecords.SetXmaxSize];
        HeapRecords.SetXmax(x, 1, HeapInfomask.XmaxLockOnly | HeapInfomask.XmaxExclusiveLock, 4, 77, HeapTuple.PackCtid(7, 1));
        Assert.True(HeapApply.Apply(page, RedoType.HeapSetXmax, x));
        var t = HeapPage.Tuple((ReadOnlySpan<byte>)page, 1);
        Assert.Equal(77ul, HeapTuple.Xmax(t));
        Assert.Equal(4u, HeapTuple.Cmax(t));
        Assert.Equal(HeapInfomask.XmaxLockOnly | HeapInfomask.XmaxExclusiveLock, HeapTuple.Infomask(t));
        HeapRecords.SetXmax(x, 1, HeapInfomask.HasOverflow, 4, 77, 0);
        Assert.False(HeapApply.Apply(page, RedoType.HeapSetXmax, x)); // not an xmax bit

        var u = new byte[HeapRecords.UpdateInPageSize(HeapTuple.HeaderSize + 8)];
        HeapRecords.UpdateInPage(u, 0, HeapInfomask.Updated, 2, 50, HeapTuple.PackCtid(7, 3), 3, HeapInfomask.HeapOnly, 8).Fill(0xEE);
        Assert.True(HeapApply.Apply(page, RedoType.HeapUpdateInPage, u));
        Assert.Equal(HeapTuple.PackCtid(7, 3), HeapTuple.Ctid(HeapPage.Tuple((ReadOnlySpan<byte>)page, 0)));
        Assert.Equal(50ul, HeapTuple.Xmin(HeapPage.Tuple((ReadOnlySpan<byte>)page, 3)));

        int freeBefore = HeapPage.FreeSpace(page);
        var pr = new byte[HeapRecords.PruneSize(2)];
        HeapRecords.Prune(pr, [0], [3]);
        Assert.True(HeapApply.Apply(page, RedoType.HeapPrune, pr));
        Assert.Equal(SlotState.Dead, HeapPage.State(page, 0));
        Assert.Equal(3, HeapPage.SlotCount(page)); // trailing Unused slot 3 dropped
        Assert.Equal(freeBefore + (HeapTuple.HeaderSize + 20) + (HeapTuple.HeaderSize + 8) + HeapPage.LinePointerSize, HeapPage.FreeSpace(page));
        Assert.Equal((byte)2, HeapPage.Tuple((ReadOnlySpan<byte>)page, 2)[HeapTuple.HeaderSize]);
        Assert.True(page.AsSpan(HeapPage.Lower(page), HeapPage.FreeSpace(page)).IndexOfAnyExcept((byte)0) < 0);
        Assert.Equal(3, HeapPage.ChooseSlot(page)); // a Dead slot is not reusable
    }

    [Fact]
    public void PageFillsUpAndRefusesAnInsertThatDoesNotFit()
    {
        var page = NewHeapPage();
        int n = 0;
        while (true)
        {
            int slot = HeapPage.ChooseSlot(page);
            var p = InsertPayload(slot, 1, 100, 1);
            bool fits = HeapPage.Fits(page, slot, p.Length - 2);
            Assert.Equal(fits, HeapApply.Apply(page, RedoType.HeapInsert, p));
            if (!fits) break;
            n++;
        }
        Assert.Equal((Page.Size - HeapPage.HeaderEnd) / (HeapTuple.HeaderSize + 100 + 4), n);
    }

    [Fact]
    public void ApplyNeverThrowsOnRandomPayloadsAndLeavesThePageUntouchedWhenItRefuses()
    {
        int seed = Environment.GetEnvironmentVariable("HEAP_FUZZ_SEED") is { } s ? int.Parse(s) : Random.Shared.Next();
        output.WriteLine($"seed {seed} (replay with HEAP_FUZZ_SEED={seed})");
        var rng = new Random(seed);
        var types = Enumerable.Range(RedoFamilies.HeapFirst, RedoFamilies.HeapLast - RedoFamilies.HeapFirst + 1).Select(t => (RedoType)t).ToArray();
        var pages = new List<byte[]> { new byte[Page.Size], NewHeapPage() };
        // A populated heap page, a meta page, a directory page and an overflow page.
        var full = NewHeapPage();
        for (int i = 0; i < 40; i++) HeapApply.Apply(full, RedoType.HeapInsert, InsertPayload(i, 1, rng.Next(0, 150), 3));
        pages.Add(full);
        var meta = new byte[Page.Size];
        Assert.True(HeapApply.Apply(meta, RedoType.HeapMetaInit, []));
        var dir = new byte[Page.Size];
        Assert.True(HeapApply.Apply(dir, RedoType.FreeSpaceInit, new byte[8]));
        pages.Add(meta);
        pages.Add(dir);
        var garbage = new byte[Page.Size];
        rng.NextBytes(garbage);
        garbage[PageKinds.Offset] = (byte)PageKind.Heap;
        pages.Add(garbage);

        int applied = 0;
        for (int iter = 0; iter < 200_000; iter++)
        {
            var basePage = pages[rng.Next(pages.Count)];
            var page = (byte[])basePage.Clone();
            var type = types[rng.Next(types.Length)];
            byte[] payload;
            if (rng.Next(3) == 0)
            {
                payload = new byte[rng.Next(0, 64)];
                rng.NextBytes(payload);
            }
            else
            {
                payload = ValidLooking(type, rng);
                if (payload.Length > 0 && rng.Next(2) == 0) payload[rng.Next(payload.Length)] ^= (byte)(1 << rng.Next(8));
            }
            bool ok;
            try { ok = HeapApply.Apply(page, type, payload); }
            catch (Exception ex) { throw new InvalidOperationException($"seed {seed} iter {iter}: {type} threw", ex); }
            if (!ok) Assert.True(page.AsSpan().SequenceEqual(basePage), $"seed {seed} iter {iter}: {type} refused but changed the page");
            else
            {
                applied++;
                if (rng.Next(8) == 0 && pages.Count < 64) pages.Add(page); // evolve
            }
        }
        output.WriteLine($"applied {applied}");
        Assert.True(applied > 1000);
    }

    private static byte[] ValidLooking(RedoType type, Random rng)
    {
        switch (type)
        {
            case RedoType.HeapInsert: return InsertPayload(rng.Next(0, 45), 1, rng.Next(0, 300), 1);
            case RedoType.HeapSetXmax:
            {
                var x = new byte[HeapRecords.SetXmaxSize];
                HeapRecords.SetXmax(x, (ushort)rng.Next(0, 45), (HeapInfomask)(rng.Next(0, 8)), 1, 5, 6);
                return x;
            }
            case RedoType.HeapUpdateInPage:
            {
                var u = new byte[HeapRecords.UpdateInPageSize(HeapTuple.HeaderSize + 10)];
                HeapRecords.UpdateInPage(u, (ushort)rng.Next(0, 45), HeapInfomask.Updated, 1, 2, 3, (ushort)rng.Next(0, 45), HeapInfomask.None, 10);
                return u;
            }
            case RedoType.HeapPrune:
            {
                var dead = Enumerable.Range(0, rng.Next(0, 5)).Select(_ => (ushort)rng.Next(0, 45)).ToArray();
                var unused = Enumerable.Range(0, rng.Next(0, 5)).Select(_ => (ushort)rng.Next(0, 45)).ToArray();
                var p = new byte[HeapRecords.PruneSize(dead.Length + unused.Length)];
                HeapRecords.Prune(p, dead, unused);
                return p;
            }
            case RedoType.HeapSetHints:
            {
                var h = new byte[HeapRecords.SetHintsSize];
                HeapRecords.SetHints(h, (ushort)rng.Next(0, 45), HeapInfomask.XminCommitted);
                return h;
            }
            case RedoType.OverflowWrite:
            {
                var o = new byte[HeapRecords.OverflowWriteSize(rng.Next(0, OverflowPage.MaxChunk + 2))];
                return o;
            }
            case RedoType.HeapMetaAddDir:
            {
                var m = new byte[HeapRecords.MetaAddDirSize];
                HeapRecords.MetaAddDir(m, rng.Next(0, 3), 5);
                return m;
            }
            case RedoType.HeapMetaSetSummary:
            {
                var m = new byte[HeapRecords.MetaSetSummarySize];
                HeapRecords.MetaSetSummary(m, rng.Next(0, 3), 9);
                return m;
            }
            case RedoType.FreeSpaceAdd:
            {
                var f = new byte[HeapRecords.FreeSpaceAddSize];
                HeapRecords.FreeSpaceAdd(f, rng.Next(0, 3), 7, (ulong)rng.Next(1, 1000));
                return f;
            }
            case RedoType.FreeSpaceSet:
            {
                var f = new byte[HeapRecords.FreeSpaceSetSize];
                HeapRecords.FreeSpaceSet(f, rng.Next(0, 3), 7);
                return f;
            }
            case RedoType.HeapInit: return new byte[HeapRecords.HeapInitSize];
            case RedoType.FreeSpaceInit: return new byte[HeapRecords.InitSize];
            default: return [];
        }
    }
}
