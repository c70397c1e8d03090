using Borealis.Volume.Durability;
using Xunit.Abstractions;

namespace Borealis.Volume.Tests;

public class DurabilityTests(ITestOutputHelper output)
{
    private static PgLayout Pg(uint index, params uint[] ids) =>
        new(index, 1, [.. ids.Select(i => new NodeInfo(i, $"az{(i - 1) / 2 % 3 + 1}", $"h:{i}"))]);

    [Fact]
    public void QuorumPointMatchesSortReference()
    {
        int seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var rnd = new Random(seed);
        for (int iter = 0; iter < 2000; iter++)
        {
            int n = rnd.Next(0, 8);
            var values = new ulong[n];
            for (int i = 0; i < n; i++) values[i] = (ulong)rnd.Next(0, 20);
            var sel = new bool[n];
            for (int i = 0; i < n; i++) sel[i] = rnd.Next(4) != 0;
            for (int k = 1; k <= 4; k++)
            {
                var chosen = values.Where((_, i) => sel[i]).OrderByDescending(v => v).ToList();
                ulong expect = chosen.Count < k ? 0 : chosen[k - 1];
                Assert.Equal(expect, PgQuorum.QuorumPoint(values, sel, k));
                var all = values.OrderByDescending(v => v).ToList();
                Assert.Equal(all.Count < k ? 0 : all[k - 1], PgQuorum.QuorumPoint(values, default, k));
            }
        }
    }

    [Fact]
    public void PgclIsFourthHighestAndMonotonic()
    {
        var q = new PgQuorum(Pg(0, 1, 2, 3, 4, 5, 6));
        Assert.False(q.OnScl(1, 10));
        Assert.False(q.OnScl(2, 12));
        Assert.False(q.OnScl(3, 8));
        Assert.True(q.OnScl(4, 9));
        Assert.Equal(8ul, q.Pgcl);
        Assert.False(q.OnScl(3, 5)); // SCL per segment is a monotonic max
        Assert.True(q.OnScl(5, 20));
        Assert.Equal(9ul, q.Pgcl);
        Assert.False(q.OnScl(42, 100)); // not a member
    }

    /// <summary>PG 0 on nodes 1–6, in transition: node 1 leaving, node 7 joining.</summary>
    private static PgQuorum TransitionReplacing1With7()
    {
        var pg = Pg(0, 1, 2, 3, 4, 5, 6);
        var q = new PgQuorum(pg);
        q.SetMembership(pg with { Members = [.. pg.Members, new NodeInfo(7, "az1", "h:7")], LeavingNodeId = 1, JoiningNodeId = 7, MembershipEpoch = 2 }, default);
        return q;
    }

    [Fact]
    public void TransitionalPgclIsMinOfOldAndNewQuorumPoints()
    {
        var q = TransitionReplacing1With7();
        // Old set {1..6}: node 1 (leaving) is fast, 7 (joining) hydrating.
        q.OnScl(1, 100);
        q.OnScl(2, 100);
        q.OnScl(3, 100);
        q.OnScl(4, 100);
        Assert.Equal(0ul, q.Pgcl);             // new set {2..7} has only three at 100
        q.OnScl(7, 50);
        Assert.Equal(50ul, q.Pgcl);            // old set 4th = 100; new set {2..7}: 100,100,100,50,0,0 → 50
    }

    [Fact]
    public void TransitionalPgclNeedsBothSets()
    {
        var q = TransitionReplacing1With7();
        q.OnScl(1, 100);
        q.OnScl(2, 100);
        q.OnScl(3, 100);
        q.OnScl(7, 100);
        Assert.Equal(0ul, q.Pgcl);   // old set: 3 at 100; new set: 3 at 100
        q.OnScl(4, 60);
        Assert.Equal(60ul, q.Pgcl);  // old: 100,100,100,60 → 60; new: 100,100,100,60 → 60
        q.OnScl(5, 100);
        Assert.Equal(100ul, q.Pgcl); // old: 1,2,3,5 at 100; new: 2,3,5,7 at 100
    }

    [Fact]
    public void VclStopsAtGapsAndVdlAtCpl()
    {
        var pgs = new[] { new PgQuorum(Pg(0, 1, 2, 3, 4, 5, 6)), new PgQuorum(Pg(1, 1, 2, 3, 4, 5, 6)) };
        var t = new DurabilityTracker(pgs, vdl: 10, initialCapacity: 4);
        // MTR A: 11 (pg0), 12 (pg1, CPL). MTR B: 13 (pg0), 14 (pg0, CPL). MTR C: 15 (pg1, CPL).
        Assert.Equal(11ul, t.Allocate(0, false));
        Assert.Equal(12ul, t.Allocate(1, true));
        t.Allocate(0, false);
        t.Allocate(0, true);
        t.Allocate(1, true);
        foreach (uint n in new uint[] { 1, 2, 3, 4 }) pgs[0].OnScl(n, 14);
        Assert.False(t.Advance());
        Assert.Equal(11ul, t.Vcl);  // 12 (pg1) not durable: gap
        Assert.Equal(10ul, t.Vdl);
        foreach (uint n in new uint[] { 1, 2, 3, 4 }) pgs[1].OnScl(n, 12);
        Assert.True(t.Advance());
        Assert.Equal(14ul, t.Vcl);
        Assert.Equal(14ul, t.Vdl);
        foreach (uint n in new uint[] { 3, 4, 5, 6 }) pgs[1].OnScl(n, 15);
        Assert.True(t.Advance());
        Assert.Equal(15ul, t.Vdl);
    }

    [Fact]
    public void VdlIsHighestCplBelowVcl()
    {
        var pgs = new[] { new PgQuorum(Pg(0, 1, 2, 3, 4, 5, 6)) };
        var t = new DurabilityTracker(pgs, 0);
        t.Allocate(0, false);
        t.Allocate(0, true);
        t.Allocate(0, false);
        t.Allocate(0, false);
        foreach (uint n in new uint[] { 1, 2, 3, 4 }) pgs[0].OnScl(n, 3);
        Assert.True(t.Advance());
        Assert.Equal(3ul, t.Vcl);
        Assert.Equal(2ul, t.Vdl); // 3 is not a CPL
    }

    [Fact]
    public void TrackerMatchesReferenceUnderRandomAcks()
    {
        int seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var rnd = new Random(seed);
        const int PgCount = 5;
        var pgs = new PgQuorum[PgCount];
        for (uint i = 0; i < PgCount; i++) pgs[i] = new PgQuorum(Pg(i, 1, 2, 3, 4, 5, 6));
        var t = new DurabilityTracker(pgs, 0, initialCapacity: 16);
        var pgOf = new List<uint> { 0 };
        var cpl = new List<bool> { false };
        var perPgLsns = new List<ulong>[PgCount];
        for (int i = 0; i < PgCount; i++) perPgLsns[i] = [];
        for (int step = 0; step < 3000; step++)
        {
            if (rnd.Next(3) == 0)
            {
                int n = rnd.Next(1, 6);
                for (int k = 0; k < n; k++)
                {
                    uint pg = (uint)rnd.Next(PgCount);
                    ulong lsn = t.Allocate(pg, k == n - 1);
                    Assert.Equal((ulong)pgOf.Count, lsn);
                    pgOf.Add(pg);
                    cpl.Add(k == n - 1);
                    perPgLsns[pg].Add(lsn);
                }
            }
            else
            {
                // A segment acks an SCL that is some LSN of its PG (its chain is complete up to it).
                uint pg = (uint)rnd.Next(PgCount);
                if (perPgLsns[pg].Count == 0) continue;
                ulong scl = perPgLsns[pg][rnd.Next(perPgLsns[pg].Count)];
                pgs[pg].OnScl((uint)rnd.Next(1, 7), scl);
                t.Advance();
            }
            // Reference: VCL = highest x with every LSN ≤ x at or below its PG's PGCL.
            ulong vcl = 0, vdl = 0;
            for (ulong l = 1; l < (ulong)pgOf.Count; l++)
            {
                if (pgs[pgOf[(int)l]].Pgcl < l) break;
                vcl = l;
                if (cpl[(int)l]) vdl = l;
            }
            Assert.Equal(vcl, t.Vcl);
            Assert.Equal(vdl, t.Vdl);
        }
    }

    [Fact]
    public async Task WaitersReleaseInLsnOrderAndFail()
    {
        var w = new DurableWaiters();
        var t5 = w.Add(5, default);
        var t3 = w.Add(3, default);
        var t9 = w.Add(9, default);
        using var cts = new CancellationTokenSource();
        var t7 = w.Add(7, cts.Token);
        Assert.Equal(0, w.Release(2));
        Assert.Equal(2, w.Release(5));
        await t3;
        await t5;
        Assert.False(t9.IsCompleted);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => t7);
        w.FailAll(new InvalidOperationException("x"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => t9);
        Assert.Equal(0, w.Count);
    }

    [Fact]
    public void RecoveryVclStopsBeforeFirstGap()
    {
        // base 100; PG lists: pg0 {101, 103c, 106}, pg1 {102, 104c, 105, 108c}; 107 missing everywhere.
        var union = new List<(ulong, bool)> { (101, false), (103, true), (106, false), (102, false), (104, true), (105, false), (108, true), (99, true) };
        var (vcl, vdl) = RecoveryMath.ComputeVclVdl(100, union);
        Assert.Equal(106ul, vcl);
        Assert.Equal(104ul, vdl);

        var (vcl2, vdl2) = RecoveryMath.ComputeVclVdl(100, [(102, true)]);
        Assert.Equal(100ul, vcl2); // 101 missing
        Assert.Equal(100ul, vdl2);

        Assert.Equal(103ul, RecoveryMath.PrevLsnForPg(104, [101, 103, 106], [90, 120]));
        Assert.Equal(90ul, RecoveryMath.PrevLsnForPg(100, [], [90, 120]));
    }
}
