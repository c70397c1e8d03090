using System.Buffers.Binary;
using Borealis.Engine.Catalog;
using Borealis.Engine.Heap;
using Borealis.Engine.Txn;
using Borealis.Volume;

namespace Borealis.Engine.Tests.DatabaseFacade;

public class DatabaseTests
{
    [Fact]
    public async Task OpeningIsInstantAndFindsEverythingCommitted()
    {
        var vol = new MemoryVolume();
        Tid last = default;
        await using (var db = await Database.CreateOrOpenAsync(vol, new DatabaseOptions { BufferPoolPages = 1024 }))
        {
            var tx = db.Begin();
            var t = await db.Catalog.CreateTableAsync(tx, null, "kv", [new("k", PgTypes.Int8), new("v", PgTypes.Text)],
                [new(ConstraintKind.PrimaryKey, null, ["k"])]);
            await db.CommitAsync(tx);
            var heap = db.Heap(t);
            var tree = await db.IndexAsync(t.PrimaryKey!);
            var key = new byte[8];
            var val = new byte[8];
            for (int i = 0; i < 3000; i++)
            {
                tx = db.Begin();
                ulong xid = await db.Txns.AssignXidAsync(tx);
                var row = new byte[100];
                var ins = await heap.InsertAsync(xid, tx.CommandId, row);
                BinaryPrimitives.WriteInt64BigEndian(key, i);
                BinaryPrimitives.WriteUInt64LittleEndian(val, ins.Tid.Packed);
                await tree.InsertAsync(key, val);
                await db.CommitAsync(tx);
                last = ins.Tid;
            }
        }
        int readsBefore = vol.PageReads;
        await using (var db = await Database.CreateOrOpenAsync(vol, new DatabaseOptions { BufferPoolPages = 1024 }))
        {
            int openReads = vol.PageReads - readsBefore;
            Assert.InRange(openReads, 1, 60); // super block, xact pages, catalog: not the 3000 rows' pages
            var t = db.Catalog.Current.GetTable(null, "kv");
            var tree = await db.IndexAsync(t.PrimaryKey!);
            var key = new byte[8];
            BinaryPrimitives.WriteInt64BigEndian(key, 2999);
            var val = new byte[8];
            Assert.Equal(8, await tree.TryGetAsync(key, val));
            Assert.Equal(last, Tid.FromPacked(BinaryPrimitives.ReadUInt64LittleEndian(val)));
            var f = await db.Heap(t).FetchAsync(last, new byte[200]);
            Assert.Equal(FetchStatus.Ok, f.Status);
            var snap = Snapshot.AtReadPoint(db.Txns.Store, vol.Vdl);
            Assert.True(await snap.IsVisibleAsync(new TupleXact(f.Header.Xmin, f.Header.Xmax, f.Header.Cmin, f.Header.Cmax)));
        }
    }

    [Fact]
    public async Task UncommittedWorkOfACrashedWriterIsInvisible()
    {
        var vol = new MemoryVolume();
        Tid tid;
        var db = await Database.CreateOrOpenAsync(vol, new DatabaseOptions { BufferPoolPages = 256 });
        var tx = db.Begin();
        var t = await db.Catalog.CreateTableAsync(tx, null, "t", [new("a", PgTypes.Int4)]);
        await db.CommitAsync(tx);
        tx = db.Begin();
        ulong xid = await db.Txns.AssignXidAsync(tx);
        tid = (await db.Heap(t).InsertAsync(xid, 0, new byte[10])).Tid;
        await vol.WaitDurableAsync((await db.Heap(t).InsertAsync(xid, 0, new byte[10])).Lsn);
        // crash without commit
        db = await Database.CreateOrOpenAsync(vol, new DatabaseOptions { BufferPoolPages = 256 });
        var f = await db.Heap(db.Catalog.Current.GetTable(null, "t")).FetchAsync(tid, new byte[64]);
        Assert.Equal(FetchStatus.Ok, f.Status);
        var snap = Snapshot.AtReadPoint(db.Txns.Store, vol.Vdl);
        Assert.False(await snap.IsVisibleAsync(new TupleXact(f.Header.Xmin, f.Header.Xmax, f.Header.Cmin, f.Header.Cmax)));
    }
}
