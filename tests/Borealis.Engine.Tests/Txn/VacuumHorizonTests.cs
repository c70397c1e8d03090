using Borealis.Engine.Txn;

namespace Borealis.Engine.Tests.Txn;

public class VacuumHorizonTests
{
    [Fact]
    public async Task TheHorizonIsTheOldestSnapshotOrReaderPointAndDecidesWhatIsDead()
    {
        var f = await TxnFixture.CreateAsync();
        var m = f.Txm;
        var inserter = m.Begin();
        ulong ins = await m.AssignXidAsync(inserter);
        await m.CommitAsync(inserter);

        var oldReader = m.Begin(IsolationLevel.RepeatableRead);
        var old = m.StatementSnapshot(oldReader);
        var deleter = m.Begin();
        ulong del = await m.AssignXidAsync(deleter);
        await m.CommitAsync(deleter);
        var aborter = m.Begin();
        ulong ab = await m.AssignXidAsync(aborter);
        await m.RollbackAsync(aborter);
        var running = m.Begin();
        ulong run = await m.AssignXidAsync(running);

        Assert.Equal(old.ReadLsn, m.ComputeMinReadPoint());
        Assert.Equal(old.ReadLsn, f.Volume.MinReadPoint);
        var h = m.GetVacuumHorizon();
        Assert.Equal(TupleFate.RecentlyDead, await h.ClassifyAsync(new TupleXact(ins, del, 0, 0)));
        Assert.Equal(TupleFate.Live, await h.ClassifyAsync(new TupleXact(ins, 0, 0, 0)));
        Assert.Equal(TupleFate.Live, await h.ClassifyAsync(new TupleXact(ins, ab, 0, 0)));
        Assert.Equal(TupleFate.Live, await h.ClassifyAsync(new TupleXact(ins, run, 0, 0, TupleXactFlags.XmaxLockOnly)));
        Assert.Equal(TupleFate.Dead, await h.ClassifyAsync(new TupleXact(ab, 0, 0, 0)));
        Assert.Equal(TupleFate.InsertInProgress, await h.ClassifyAsync(new TupleXact(run, 0, 0, 0)));
        Assert.Equal(TupleFate.DeleteInProgress, await h.ClassifyAsync(new TupleXact(ins, run, 0, 0)));
        Assert.Equal(XidFate.CommittedVisibleToAll, await h.FateAsync(ins));
        Assert.Equal(XidFate.CommittedRecently, await h.FateAsync(del));
        Assert.False(await h.IsSettledForEveryoneAsync(del));
        Assert.True(await h.IsSettledForEveryoneAsync(ab));

        // A reader instance announcing an old read point holds the horizon back too.
        m.AnnounceReaderReadPoint(1, old.ReadLsn);
        await m.CommitAsync(oldReader);
        Assert.Equal(old.ReadLsn, m.ComputeMinReadPoint());
        m.AnnounceReaderReadPoint(1, f.Volume.Vdl);
        h = m.GetVacuumHorizon();
        Assert.Equal(f.Volume.Vdl, h.Horizon);
        Assert.Equal(h.Horizon, f.Volume.MinReadPoint);
        Assert.Equal(TupleFate.Dead, await h.ClassifyAsync(new TupleXact(ins, del, 0, 0)));
        m.ForgetReader(1);
        await m.CommitAsync(running);
        Assert.Equal(0, m.Validator.LoggedTransactions);
    }
}
