using Borealis.Engine.Buffer;
using Borealis.Engine.Txn;

namespace Borealis.Engine.Tests.Txn;

public class VisibilityTests
{
    [Fact]
    public async Task TruthTable()
    {
        // A crashed writer leaves xid X in progress forever.
        var first = await TxnFixture.CreateAsync();
        var crashedTx = first.Txm.Begin();
        ulong X = await first.Txm.AssignXidAsync(crashedTx);
        var f = await first.RestartAsync();
        var m = f.Txm;
        Assert.True(X < m.StartXid);

        async Task<ulong> Committed()
        {
            var t = m.Begin();
            ulong x = await m.AssignXidAsync(t);
            await m.CommitAsync(t);
            return x;
        }
        async Task<ulong> Aborted()
        {
            var t = m.Begin();
            ulong x = await m.AssignXidAsync(t);
            await m.RollbackAsync(t);
            return x;
        }
        ulong C = await Committed();
        ulong A = await Aborted();
        var inProgress = m.Begin();
        ulong P = await m.AssignXidAsync(inProgress);

        // Our transaction: top xid O at command 0 .. ; a savepoint S rolled back; a savepoint K kept.
        var me = m.Begin(IsolationLevel.RepeatableRead);
        var snap0 = m.StatementSnapshot(me);
        ulong O = await m.AssignXidAsync(me);
        int d = TxnManager.Savepoint(me);
        ulong S = await m.AssignXidAsync(me);
        await m.RollbackToSavepointAsync(me, d);
        ulong K = await m.AssignXidAsync(me); // fresh level after ROLLBACK TO
        Assert.True(K > S && S > O);

        ulong Later = await Committed(); // commits after our snapshot
        me.CommandCounterIncrement();
        me.CommandCounterIncrement();
        var snap2 = m.StatementSnapshot(me); // command 2, same read LSN (RR)
        Assert.Equal(snap0.ReadLsn, snap2.ReadLsn);
        var reader = Snapshot.AtReadPoint(m.Store, f.Volume.Vdl); // sees Later

        const TupleXactFlags Lock = TupleXactFlags.XmaxLockOnly;
        var cases = new (string Name, TupleXact T, bool Snap2, bool Reader)[]
        {
            ("committed insert", new(C, 0, 0, 0), true, true),
            ("frozen insert", new(Xids.Frozen, 0, 0, 0), true, true),
            ("frozen flag", new(X, 0, 0, 0, TupleXactFlags.XminFrozen), true, true),
            ("aborted insert", new(A, 0, 0, 0), false, false),
            ("in-progress insert", new(P, 0, 0, 0), false, false),
            ("crashed writer's insert", new(X, 0, 0, 0), false, false),
            ("insert committed after the snapshot", new(Later, 0, 0, 0), false, true),
            ("committed delete", new(C, C, 0, 0), false, false),
            ("aborted delete", new(C, A, 0, 0), true, true),
            ("in-progress delete", new(C, P, 0, 0), true, true),
            ("crashed writer's delete", new(C, X, 0, 0), true, true),
            ("delete committed after the snapshot", new(C, Later, 0, 0), true, false),
            ("lock-only xmax", new(C, Later, 0, 0, Lock), true, true),
            ("own insert, earlier command", new(O, 0, 1, 0), true, false),
            ("own insert, current command", new(O, 0, 2, 0), false, false),
            ("own insert by kept savepoint", new(K, 0, 0, 0), true, false),
            ("own insert by rolled-back savepoint", new(S, 0, 0, 0), false, false),
            ("own insert deleted by an earlier command", new(O, O, 0, 1), false, false),
            ("own insert deleted by the current command", new(O, K, 0, 2), true, false),
            ("own insert deleted by a rolled-back savepoint", new(O, S, 0, 1), true, false),
            ("committed row deleted by us earlier", new(C, O, 0, 1), false, true),
            ("committed row deleted by us now", new(C, O, 0, 2), true, true),
            ("committed row deleted by a rolled-back savepoint", new(C, S, 0, 0), true, true),
        };
        foreach (var (name, t, expect2, expectReader) in cases)
        {
            Assert.True(expect2 == await snap2.IsVisibleAsync(t), $"{name}: snapshot at command 2");
            Assert.True(expectReader == await reader.IsVisibleAsync(t), $"{name}: reader snapshot");
        }
        // Command 0 does not see its own insert by command 0 yet.
        Assert.False(await snap0.IsVisibleAsync(new(O, 0, 0, 0)));

        // A reader instance with its own (cold) pool decides alike.
        var coldPool = new BufferPool(f.Volume, 8);
        var coldStore = await XactStore.OpenReaderAsync(coldPool);
        var cold = Snapshot.AtReadPoint(coldStore, reader.ReadLsn);
        foreach (var (name, t, _, expectReader) in cases)
        {
            var v = cold.Check(t, out ulong pending);
            if (v == Visibility.NeedStatus) { Assert.NotEqual(0UL, pending); await cold.LoadStatusAsync(pending); }
            Assert.True(expectReader == await cold.IsVisibleAsync(t), $"{name}: cold reader");
        }
        Assert.Equal(XidState.Aborted, (await m.GetXidStateAsync(X)).State);
        Assert.Equal(XidState.Aborted, (await m.GetXidStateAsync(S)).State);
        Assert.Equal(XidState.InProgress, (await m.GetXidStateAsync(P)).State);
        Assert.Equal(XidState.InProgress, (await m.GetXidStateAsync(K)).State);
    }

    [Fact]
    public async Task VisibilityChecksDoNotAllocate()
    {
        var f = await TxnFixture.CreateAsync();
        var t = f.Txm.Begin();
        ulong c = await f.Txm.AssignXidAsync(t);
        await f.Txm.CommitAsync(t);
        var me = f.Txm.Begin();
        await f.Txm.AssignXidAsync(me);
        var snap = f.Txm.StatementSnapshot(me);
        var h = new TupleXact(c, 0, 0, 0);
        Assert.Equal(Visibility.Visible, snap.Check(h, out _));
        long before = GC.GetAllocatedBytesForCurrentThread();
        int visible = 0;
        for (int i = 0; i < 10_000; i++)
            if (snap.Check(h, out _) == Visibility.Visible) visible++;
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(10_000, visible);
    }
}
