using Borealis.Engine.Catalog;
using Borealis.Volume;

namespace Borealis.Engine.Tests.Catalog;

public class SequenceTests
{
    private static async Task<(Database Db, SequenceInfo Seq)> CreateAsync(MemoryVolume vol, SequenceOptions? o = null)
    {
        var db = await Database.CreateOrOpenAsync(vol, new DatabaseOptions { BufferPoolPages = 256 });
        var tx = db.Begin();
        var s = await db.Catalog.CreateSequenceAsync(tx, null, "s", o);
        await db.CommitAsync(tx);
        return (db, s);
    }

    [Fact]
    public async Task NextValCurrValSetValFollowPostgres()
    {
        var (db, s) = await CreateAsync(new MemoryVolume());
        var session = new SequenceSession();
        var e = Assert.Throws<CatalogException>(() => Borealis.Engine.Catalog.Catalog.CurrVal(s, session));
        Assert.Equal("55000", e.SqlState);
        Assert.Equal(1, await db.Catalog.NextValAsync(s, session));
        Assert.Equal(2, await db.Catalog.NextValAsync(s, session));
        Assert.Equal(2, Borealis.Engine.Catalog.Catalog.CurrVal(s, session));
        Assert.Throws<CatalogException>(() => Borealis.Engine.Catalog.Catalog.CurrVal(s, new SequenceSession()));
        await db.Catalog.SetValAsync(s, 100, true, session);
        Assert.Equal(101, await db.Catalog.NextValAsync(s, session));
        await db.Catalog.SetValAsync(s, 100, false, session);
        Assert.Equal(100, await db.Catalog.NextValAsync(s, session));
        var oob = await Assert.ThrowsAsync<CatalogException>(async () => await db.Catalog.SetValAsync(s, 0, true, session));
        Assert.Equal("22003", oob.SqlState);
        Assert.Equal(100, Borealis.Engine.Catalog.Catalog.LastVal(session));
    }

    [Fact]
    public async Task NextValIsNotTransactional()
    {
        var (db, s) = await CreateAsync(new MemoryVolume());
        var session = new SequenceSession();
        var tx = db.Begin();
        await db.Txns.AssignXidAsync(tx);
        Assert.Equal(1, await db.Catalog.NextValAsync(s, session));
        await db.RollbackAsync(tx);
        Assert.Equal(2, await db.Catalog.NextValAsync(s, session));
    }

    [Fact]
    public async Task BoundsCycleAndDescending()
    {
        var (db, s) = await CreateAsync(new MemoryVolume(), new SequenceOptions { MaxValue = 3 });
        var session = new SequenceSession();
        for (int i = 1; i <= 3; i++) Assert.Equal(i, await db.Catalog.NextValAsync(s, session));
        var e = await Assert.ThrowsAsync<CatalogException>(async () => await db.Catalog.NextValAsync(s, session));
        Assert.Equal("2200H", e.SqlState);

        var tx = db.Begin();
        var c = await db.Catalog.CreateSequenceAsync(tx, null, "c", new SequenceOptions { MinValue = 1, MaxValue = 3, Cycle = true });
        var d = await db.Catalog.CreateSequenceAsync(tx, null, "d", new SequenceOptions { Increment = -2 });
        var bad = await Assert.ThrowsAsync<CatalogException>(async () => await db.Catalog.CreateSequenceAsync(tx, null, "z", new SequenceOptions { Increment = 0 }));
        Assert.Equal("22023", bad.SqlState);
        await db.CommitAsync(tx);
        var got = new List<long>();
        for (int i = 0; i < 7; i++) got.Add(await db.Catalog.NextValAsync(c, session));
        Assert.Equal([1, 2, 3, 1, 2, 3, 1], got);
        Assert.Equal(-1, await db.Catalog.NextValAsync(d, session));
        Assert.Equal(-3, await db.Catalog.NextValAsync(d, session));
    }

    [Fact]
    public async Task LogsOncePerSeqLogValsAndNeverRepeatsAfterACrash()
    {
        var vol = new MemoryVolume();
        var (db, s) = await CreateAsync(vol);
        var session = new SequenceSession();
        var handed = new HashSet<long>();
        long before = vol.RecordCount;
        for (int i = 0; i < 100; i++) Assert.True(handed.Add(await db.Catalog.NextValAsync(s, session)));
        long records = vol.RecordCount - before;
        Assert.InRange(records, 3, 4); // 100 values, one logged record per 33
        for (int round = 0; round < 3; round++)
        {
            vol.TruncateAboveVdl(); // crash
            db = await Database.CreateOrOpenAsync(vol, new DatabaseOptions { BufferPoolPages = 256 });
            s = db.Catalog.Current.GetSequence(null, "s");
            for (int i = 0; i < 10 + round * 20; i++)
            {
                long v = await db.Catalog.NextValAsync(s, session);
                Assert.True(handed.Add(v), $"value {v} handed out twice");
                Assert.True(v > handed.Where(x => x != v).Max());
            }
        }
    }
}
