using Borealis.Engine.Heap;
using Borealis.Redo.Heap;

namespace Borealis.Engine.Tests.Heap;

/// <summary>
/// A seeded random single-session workload over one heap, checked step by step against an
/// in-memory model of every version (and of Dead slots).
/// </summary>
internal sealed class HeapWorkload(HeapTable table, Random rng, int maxLargeRow = 40_000)
{
    public readonly Dictionary<Tid, ModelVersion> Model = [];
    public readonly HashSet<Tid> Dead = [];
    public ulong Xid = 100;
    public int Inserts, Updates, SetXmaxes, Conflicts, Prunes, Fetches, LargeRows, FreedOverflowPages;

    private int RowLength()
    {
        int k = rng.Next(100);
        if (k < 70) return rng.Next(0, 200);
        if (k < 92) return rng.Next(200, HeapTable.OverflowThreshold + 1);
        return rng.Next(HeapTable.OverflowThreshold + 1, maxLargeRow);
    }

    private Tid PickLive() => Model.Keys.ElementAt(rng.Next(Model.Count));

    public async Task StepAsync()
    {
        int op = rng.Next(100);
        Xid++;
        uint cid = (uint)rng.Next(0, 5);
        if (Model.Count == 0 || op < 35) { await InsertAsync(cid); return; }
        if (op < 50) { await SetXmaxAsync(cid); return; }
        if (op < 70) { await UpdateAsync(cid); return; }
        if (op < 75) { await PruneAsync(); return; }
        if (op < 80) { await HintAsync(); return; }
        await FetchAsync();
    }

    private async Task InsertAsync(uint cid)
    {
        var row = HeapTestKit.Row(rng, RowLength());
        var r = await table.InsertAsync(Xid, cid, row);
        Assert.False(Model.ContainsKey(r.Tid) || Dead.Contains(r.Tid), $"insert reused occupied slot {r.Tid}");
        bool large = row.Length > HeapTable.OverflowThreshold;
        if (large) LargeRows++;
        Model[r.Tid] = new ModelVersion(Xid, 0, cid, 0, r.Tid, large ? HeapInfomask.HasOverflow : HeapInfomask.None, row);
        Inserts++;
    }

    private async Task SetXmaxAsync(uint cid)
    {
        var tid = PickLive();
        var cur = Model[tid];
        int mode = rng.Next(3);
        ulong expected = mode switch { 0 => HeapTable.AnyXmax, 1 => cur.Xmax, _ => cur.Xmax + 1 };
        var flags = rng.Next(3) switch
        {
            0 => HeapInfomask.None,
            1 => HeapInfomask.XmaxLockOnly,
            _ => HeapInfomask.XmaxLockOnly | HeapInfomask.XmaxExclusiveLock,
        };
        var r = await table.SetXmaxAsync(tid, Xid, cid, flags, default, expected);
        Assert.Equal(cur.Xmax, r.Previous.Xmax);
        Assert.Equal(cur.Mask, r.Previous.Infomask);
        if (mode == 2)
        {
            Assert.Equal(SetXmaxStatus.Conflict, r.Status);
            Conflicts++;
            return;
        }
        Assert.Equal(SetXmaxStatus.Ok, r.Status);
        Assert.True(r.Lsn > 0);
        Model[tid] = cur with { Xmax = Xid, Cmax = cid, Ctid = tid, Mask = (cur.Mask & ~HeapInfomask.XmaxBits) | flags };
        SetXmaxes++;
    }

    private async Task UpdateAsync(uint cid)
    {
        var tid = PickLive();
        var cur = Model[tid];
        var row = HeapTestKit.Row(rng, RowLength());
        bool conflict = rng.Next(10) == 0;
        var r = await table.UpdateAsync(tid, Xid, cid, row, conflict ? cur.Xmax + 7 : rng.Next(2) == 0 ? HeapTable.AnyXmax : cur.Xmax);
        if (conflict)
        {
            Assert.Equal(SetXmaxStatus.Conflict, r.Status);
            Conflicts++;
            return;
        }
        Assert.Equal(SetXmaxStatus.Ok, r.Status);
        Assert.False(Model.ContainsKey(r.NewTid) || Dead.Contains(r.NewTid), $"update reused occupied slot {r.NewTid}");
        Model[tid] = cur with { Xmax = Xid, Cmax = cid, Ctid = r.NewTid, Mask = (cur.Mask & ~HeapInfomask.XmaxBits) | HeapInfomask.Updated };
        bool large = row.Length > HeapTable.OverflowThreshold;
        if (large) LargeRows++;
        var mask = (r.NewTid.Page == tid.Page ? HeapInfomask.HeapOnly : HeapInfomask.None) | (large ? HeapInfomask.HasOverflow : HeapInfomask.None);
        Model[r.NewTid] = new ModelVersion(Xid, 0, cid, 0, r.NewTid, mask, row);
        Updates++;
    }

    public async Task PruneAsync(ulong? pageNo = null, bool everything = false)
    {
        ulong page = pageNo ?? PickLive().Page;
        var decisions = new Dictionary<Tid, PruneAction>();
        int dead = 0, unused = 0, chainPages = 0;
        foreach (var (tid, v) in Model)
        {
            if (tid.Page != page) continue;
            bool deleted = v.Xmax != 0 && (v.Mask & HeapInfomask.XmaxLockOnly) == 0;
            if (!everything && (!deleted || rng.Next(10) < 4)) continue;
            var a = rng.Next(2) == 0 ? PruneAction.Dead : PruneAction.Unused;
            decisions[tid] = a;
            if (a == PruneAction.Dead) dead++; else unused++;
            if ((v.Mask & HeapInfomask.HasOverflow) != 0) chainPages += (v.Row.Length + OverflowPage.MaxChunk - 1) / OverflowPage.MaxChunk;
        }
        foreach (var tid in Dead)
        {
            if (tid.Page != page || (!everything && rng.Next(2) == 0)) continue;
            decisions[tid] = PruneAction.Unused;
            unused++;
        }
        var r = await table.PruneAsync(page, new HeapTestKit.Decisions(decisions));
        Assert.Equal(dead, r.Dead);
        Assert.Equal(unused, r.Unused);
        Assert.Equal(chainPages, r.OverflowPagesFreed);
        FreedOverflowPages += chainPages;
        foreach (var (tid, a) in decisions)
        {
            Model.Remove(tid);
            if (a == PruneAction.Dead) Dead.Add(tid); else Dead.Remove(tid);
        }
        Prunes++;
    }

    private async Task HintAsync()
    {
        var tid = PickLive();
        Assert.True(await table.SetHintsAsync(tid, HeapInfomask.XminCommitted));
        Model[tid] = Model[tid] with { Mask = Model[tid].Mask | HeapInfomask.XminCommitted };
    }

    private async Task FetchAsync()
    {
        if (Dead.Count > 0 && rng.Next(4) == 0)
        {
            var d = Dead.ElementAt(rng.Next(Dead.Count));
            Assert.Equal(FetchStatus.NotFound, (await table.FetchAsync(d, new byte[16])).Status);
        }
        var tid = PickLive();
        var v = Model[tid];
        if (v.Row.Length > 0)
        {
            var small = await table.FetchAsync(tid, new byte[v.Row.Length - 1]);
            Assert.Equal(FetchStatus.BufferTooSmall, small.Status);
            Assert.Equal(v.Row.Length, small.Length);
        }
        await CheckFetchAsync(tid, v);
        Fetches++;
    }

    public async Task CheckFetchAsync(Tid tid, ModelVersion v)
    {
        var buf = new byte[v.Row.Length + 10];
        var r = await table.FetchAsync(tid, buf);
        Assert.Equal(FetchStatus.Ok, r.Status);
        Assert.Equal(v.Row.Length, r.Length);
        var h = r.Header;
        HeapTestKit.AssertSameVersion(v, new ModelVersion(h.Xmin, h.Xmax, h.Cmin, h.Cmax, h.Ctid, h.Infomask, buf[..r.Length]), $"fetch {tid}");
    }

    public async Task CheckAllAsync(string context)
    {
        HeapTestKit.AssertSame(Model, await HeapTestKit.ScanAllAsync(table), context);
        foreach (var (tid, v) in Model) await CheckFetchAsync(tid, v);
        foreach (var tid in Dead) Assert.Equal(FetchStatus.NotFound, (await table.FetchAsync(tid, new byte[8])).Status);
    }

    public override string ToString() =>
        $"inserts {Inserts} updates {Updates} setxmax {SetXmaxes} conflicts {Conflicts} prunes {Prunes} fetches {Fetches} large {LargeRows} freed overflow pages {FreedOverflowPages}, {Model.Count} versions, {Dead.Count} dead slots";
}
