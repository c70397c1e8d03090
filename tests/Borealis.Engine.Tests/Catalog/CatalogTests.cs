using Borealis.Engine.Buffer;
using Borealis.Engine.Catalog;
using Borealis.Engine.Txn;
using Borealis.Redo;
using Borealis.Volume;

namespace Borealis.Engine.Tests.Catalog;

/// <summary>A read-only view of a MemoryVolume frozen at one read point (what a reader instance at that point reads).</summary>
internal sealed class AsOfVolume(MemoryVolume inner, ulong readPoint) : IRedoVolume
{
    public ulong PageCount => inner.PageCount;
    public ulong Vdl => readPoint;
    public ValueTask<ulong> AppendAsync(MiniTransaction mtr, CancellationToken ct = default) => throw new InvalidOperationException("read-only");
    public ValueTask WaitDurableAsync(ulong lsn, CancellationToken ct = default) => default;
    public ValueTask ReadPageAsync(ulong pageNo, ulong asOfLsn, Memory<byte> destination, CancellationToken ct = default) =>
        inner.ReadPageAsync(pageNo, Math.Min(asOfLsn, readPoint), destination, ct);
    public void SetMinReadPoint(ulong lsn) { }

    /// <summary>The catalog as a reader at <paramref name="readPoint"/> loads it.</summary>
    public static async Task<CatalogSnapshot> LoadAsync(MemoryVolume vol, ulong readPoint)
    {
        var pool = new BufferPool(new AsOfVolume(vol, readPoint), 256);
        var store = await XactStore.OpenReaderAsync(pool);
        return await Borealis.Engine.Catalog.Catalog.LoadAsync(pool, Snapshot.AtReadPoint(store, readPoint));
    }
}

public class CatalogTests
{
    private static readonly ColumnDef[] Accounts =
    [
        new("id", PgTypes.Int8),
        new("owner", PgTypes.Text, NotNull: true),
        new("balance", PgTypes.Int8, Default: "0"),
    ];

    private static async Task<TableInfo> CreateAccountsAsync(Database db, string name = "accounts")
    {
        var tx = db.Begin();
        var t = await db.Catalog.CreateTableAsync(tx, null, name, Accounts,
            [new(ConstraintKind.PrimaryKey, null, ["id"]), new(ConstraintKind.Check, null, ["balance"], "balance >= 0")]);
        await db.CommitAsync(tx);
        return t;
    }

    private static async Task<CatalogException> ThrowsCatalog(string sqlState, Func<Task> f)
    {
        var e = await Assert.ThrowsAsync<CatalogException>(f);
        Assert.Equal(sqlState, e.SqlState);
        return e;
    }

    [Fact]
    public async Task ANewVolumeHasPostgresBuiltInObjects()
    {
        await using var db = await Database.CreateOrOpenAsync(new MemoryVolume(), new DatabaseOptions { BufferPoolPages = 512 });
        var c = db.Catalog.Current;
        Assert.Equal("pg_catalog", c.Namespaces[11].Name);
        Assert.Equal("public", c.Namespaces[2200].Name);
        Assert.Equal(CatalogOids.PublicNamespace, c.FindNamespace("public"));
        Assert.Contains(c.Databases, d => d is { Oid: 5, Name: "postgres" });
        Assert.Contains(c.Roles, r => r is { Oid: 10, Superuser: true });
        Assert.Empty(c.Tables);
        Assert.Equal(0ul, c.Version & 1);
    }

    [Fact]
    public async Task CreateTableRecordsColumnsConstraintsAndThePrimaryKeyIndex()
    {
        await using var db = await Database.CreateOrOpenAsync(new MemoryVolume(), new DatabaseOptions { BufferPoolPages = 512 });
        var t = await CreateAccountsAsync(db);
        Assert.True(t.Oid >= CatalogOids.FirstNormal);
        var c = db.Catalog.Current;
        Assert.Same(c.GetTable(null, "accounts"), c.GetTable("public", "accounts"));
        Assert.Equal(t.Oid, c.GetTable(t.Oid).Oid);
        Assert.Equal(["id", "owner", "balance"], c.GetTable(t.Oid).Columns.Select(x => x.Name));
        var id = t.GetColumn("id");
        Assert.Equal((short)1, id.AttNum);
        Assert.True(id.NotNull); // primary key columns are NOT NULL
        Assert.True(t.GetColumn("owner").NotNull);
        Assert.Equal("0", t.GetColumn("balance").Default);
        var pk = Assert.Single(t.Indexes);
        Assert.Equal("accounts_pkey", pk.Name);
        Assert.True(pk.Primary && pk.Unique);
        Assert.Equal([new IndexKeyColumn(1, false, false)], pk.Columns.ToArray());
        Assert.NotEqual(0ul, pk.MetaPage);
        Assert.Same(pk, t.PrimaryKey);
        Assert.Equal(2, t.Constraints.Length);
        Assert.Contains(t.Constraints, k => k is { Kind: ConstraintKind.PrimaryKey, Name: "accounts_pkey" } && k.IndexOid == pk.Oid);
        Assert.Contains(t.Constraints, k => k is { Kind: ConstraintKind.Check, Name: "accounts_balance_check", CheckExpression: "balance >= 0" });
        var tree = await db.IndexAsync(pk);
        Assert.Equal(pk.MetaPage, tree.MetaPageNo);
    }

    [Fact]
    public async Task ErrorsCarryPostgresSqlStates()
    {
        await using var db = await Database.CreateOrOpenAsync(new MemoryVolume(), new DatabaseOptions { BufferPoolPages = 512 });
        var t = await CreateAccountsAsync(db);
        var tx = db.Begin();
        await ThrowsCatalog("42P07", async () => await db.Catalog.CreateTableAsync(tx, null, "accounts", Accounts));
        await ThrowsCatalog("42P07", async () => await db.Catalog.CreateTableAsync(tx, "public", "accounts_pkey", Accounts));
        await ThrowsCatalog("42P01", async () => await db.Catalog.DropTableAsync(tx, null, "nope"));
        await ThrowsCatalog("3F000", async () => await db.Catalog.CreateTableAsync(tx, "nope", "x", Accounts));
        await ThrowsCatalog("42701", async () => await db.Catalog.CreateTableAsync(tx, null, "x", [new("a", PgTypes.Int4), new("a", PgTypes.Int4)]));
        await ThrowsCatalog("42704", async () => await db.Catalog.CreateTableAsync(tx, null, "x", [new("a", 999_999)]));
        await ThrowsCatalog("42703", async () => await db.Catalog.CreateTableAsync(tx, null, "x", [new("a", PgTypes.Int4)], [new(ConstraintKind.PrimaryKey, null, ["b"])]));
        await ThrowsCatalog("42703", async () => await db.Catalog.DropColumnAsync(tx, t.Oid, "nope"));
        await ThrowsCatalog("42701", async () => await db.Catalog.AddColumnAsync(tx, t.Oid, new("owner", PgTypes.Text)));
        await ThrowsCatalog("2BP01", async () => await db.Catalog.DropIndexAsync(tx, null, "accounts_pkey"));
        await ThrowsCatalog("42P16", async () => await db.Catalog.CreateTableAsync(tx, null, "x", [new("a", PgTypes.Int4)],
            [new(ConstraintKind.PrimaryKey, null, ["a"]), new(ConstraintKind.PrimaryKey, null, ["a"])]));
        await db.RollbackAsync(tx);
        Assert.Single(db.Catalog.Current.Tables);
    }

    [Fact]
    public async Task DdlIsTransactional()
    {
        var vol = new MemoryVolume();
        await using var db = await Database.CreateOrOpenAsync(vol, new DatabaseOptions { BufferPoolPages = 512 });
        var tx = db.Begin();
        var t = await db.Catalog.CreateTableAsync(tx, null, "t", [new("a", PgTypes.Int4)]);
        Assert.NotNull(db.Catalog.View(tx).FindTable(null, "t"));      // its own DDL
        Assert.Null(db.Catalog.Current.FindTable(null, "t"));          // nobody else's
        Assert.Null(db.Catalog.View(db.Begin()).FindTable(null, "t"));
        Assert.Equal(1ul, db.Catalog.View(tx).Version & 1);            // odd while DDL is open
        await db.RollbackAsync(tx);
        Assert.Null(db.Catalog.Current.FindTable(null, "t"));
        Assert.Equal(0ul, db.Catalog.Current.Version & 1);

        tx = db.Begin();
        t = await db.Catalog.CreateTableAsync(tx, null, "t", [new("a", PgTypes.Int4)]);
        await db.CommitAsync(tx);
        Assert.Equal(t.Oid, db.Catalog.Current.GetTable(null, "t").Oid);

        // DROP rolled back: still there; committed: gone.
        tx = db.Begin();
        await db.Catalog.DropTableAsync(tx, null, "t");
        Assert.Null(db.Catalog.View(tx).FindTable(null, "t"));
        Assert.NotNull(db.Catalog.Current.FindTable(null, "t"));
        await db.RollbackAsync(tx);
        Assert.NotNull(db.Catalog.Current.FindTable(null, "t"));
        tx = db.Begin();
        await db.Catalog.DropTableAsync(tx, null, "t");
        await db.CommitAsync(tx);
        Assert.Null(db.Catalog.Current.FindTable(null, "t"));
    }

    [Fact]
    public async Task AlterTableAndIndexesPersistAcrossReopen()
    {
        var vol = new MemoryVolume();
        uint oid;
        await using (var db = await Database.CreateOrOpenAsync(vol, new DatabaseOptions { BufferPoolPages = 512 }))
        {
            var t = await CreateAccountsAsync(db);
            oid = t.Oid;
            var tx = db.Begin();
            t = await db.Catalog.AddColumnAsync(tx, oid, new("note", PgTypes.VarChar, 104));
            t = await db.Catalog.RenameColumnAsync(tx, oid, "owner", "holder");
            t = await db.Catalog.DropColumnAsync(tx, oid, "balance"); // its check constraint goes too
            t = await db.Catalog.RenameTableAsync(tx, oid, "acct");
            var ix = await db.Catalog.CreateIndexAsync(tx, oid, "acct_holder_idx", [new("holder", Descending: true)], unique: true);
            Assert.Equal([new IndexKeyColumn(2, true, true)], ix.Columns.ToArray());
            await db.CommitAsync(tx);
            tx = db.Begin();
            await db.Catalog.CreateIndexAsync(tx, oid, "acct_note_idx", [new("note")]);
            await db.Catalog.DropIndexAsync(tx, null, "acct_note_idx");
            await db.CommitAsync(tx);
        }
        await using (var db = await Database.CreateOrOpenAsync(vol, new DatabaseOptions { BufferPoolPages = 512 }))
        {
            var t = db.Catalog.Current.GetTable(null, "acct");
            Assert.Equal(oid, t.Oid);
            Assert.Null(db.Catalog.Current.FindTable(null, "accounts"));
            Assert.Equal(["id", "holder", "note"], t.Columns.Select(c => c.Name));
            Assert.Equal(4, t.AllColumns.Length);
            Assert.True(t.AllColumns[2].Dropped);
            Assert.Equal(4, t.RowLayout().Length);
            Assert.Equal(104, t.GetColumn("note").Typmod);
            Assert.Equal(["accounts_pkey", "acct_holder_idx"], t.Indexes.Select(i => i.Name).OrderBy(n => n, StringComparer.Ordinal));
            Assert.Equal([ConstraintKind.PrimaryKey], t.Constraints.Select(c => c.Kind));
            Assert.Equal(oid, db.Catalog.Current.GetIndex(null, "acct_holder_idx").TableOid);
            await ThrowsCatalog("42P01", () => Task.FromResult(db.Catalog.Current.GetIndex(null, "acct_note_idx")));
        }
    }

    [Fact]
    public async Task AReaderSeesTheCatalogAsOfItsReadPointAndNoticesChangesByVersion()
    {
        var vol = new MemoryVolume();
        await using var db = await Database.CreateOrOpenAsync(vol, new DatabaseOptions { BufferPoolPages = 512 });
        await CreateAccountsAsync(db, "a");
        ulong r1 = vol.Vdl;
        var tx = db.Begin();
        await db.Catalog.CreateTableAsync(tx, null, "b", [new("x", PgTypes.Int4)]);
        ulong rOpen = vol.Vdl; // DDL running, not committed
        await db.CommitAsync(tx);
        ulong r2 = vol.Vdl;

        var at1 = await AsOfVolume.LoadAsync(vol, r1);
        var atOpen = await AsOfVolume.LoadAsync(vol, rOpen);
        var at2 = await AsOfVolume.LoadAsync(vol, r2);
        Assert.Equal(["a"], at1.Tables.Values.Select(t => t.Name));
        Assert.Equal(["a"], atOpen.Tables.Values.Select(t => t.Name));
        Assert.Equal(["a", "b"], at2.Tables.Values.Select(t => t.Name).Order(StringComparer.Ordinal));
        // The hook: a reader caching at1 (even version) reloads when the version differs; odd means "load per read point".
        Assert.Equal(0ul, at1.Version & 1);
        Assert.Equal(1ul, atOpen.Version & 1);
        Assert.NotEqual(at1.Version, at2.Version);
        Assert.Equal(0ul, at2.Version & 1);
        Assert.Equal(db.Catalog.Current.Version, at2.Version);
    }

    [Fact]
    public async Task OidsAreNeverReusedAfterACrash()
    {
        var vol = new MemoryVolume();
        var seen = new HashSet<uint>();
        for (int round = 0; round < 3; round++)
        {
            var db = await Database.CreateOrOpenAsync(vol, new DatabaseOptions { BufferPoolPages = 512 });
            for (int i = 0; i < 40; i++) Assert.True(seen.Add(await db.Catalog.AllocateOidAsync()));
            var tx = db.Begin();
            var t = await db.Catalog.CreateTableAsync(tx, null, $"t{round}", [new("a", PgTypes.Int4)]);
            Assert.True(seen.Add(t.Oid));
            // crash: drop the writer without ending anything; storage keeps what is durable
            vol.TruncateAboveVdl();
        }
        var db2 = await Database.CreateOrOpenAsync(vol, new DatabaseOptions { BufferPoolPages = 512 });
        Assert.Empty(db2.Catalog.Current.Tables); // none of the DDL committed
        Assert.Equal(0ul, db2.Catalog.Current.Version & 1);
        Assert.True(seen.Add(await db2.Catalog.AllocateOidAsync()));
    }

    [Fact]
    public async Task CatalogPagesAreByteIdenticalToWhatStorageBuilds()
    {
        var vol = new MemoryVolume();
        await using var db = await Database.CreateOrOpenAsync(vol, new DatabaseOptions { BufferPoolPages = 512 });
        await CreateAccountsAsync(db);
        var tx = db.Begin();
        var s = await db.Catalog.CreateSequenceAsync(tx, null, "s");
        await db.CommitAsync(tx);
        await db.Catalog.NextValAsync(s, new SequenceSession());
        ulong top = vol.Vdl;
        int compared = 0;
        for (ulong p = 0; p < 200; p++)
        {
            if (!db.Pool.TryPinCached(p, out var h)) continue;
            using (h)
            {
                var built = vol.Materialise(p, top);
                Assert.True(built.AsSpan(Page.HeaderSize).SequenceEqual(h.Page[Page.HeaderSize..]), $"page {p} differs");
                Assert.Equal(Page.GetLsn(built), h.Lsn);
                compared++;
            }
        }
        Assert.True(compared > 20, $"{compared} pages compared");
    }

    [Fact]
    public async Task PinCatalogMetaLayout()
    {
        Assert.Equal(24, CatalogMeta.OffOidCeiling);
        Assert.Equal(32, CatalogMeta.OffVersion);
        Assert.Equal(40, CatalogMeta.OffHeaps);
        Assert.Equal(24, CatalogMeta.OffSeqLast);
        Assert.Equal(32, CatalogMeta.OffSeqLogCount);
        Assert.Equal(40, CatalogMeta.OffSeqIsCalled);
        Assert.Equal(32, CatalogMeta.SeqLogVals);
        Assert.Equal(30, (int)PageKind.Catalog);
        Assert.Equal((byte)'r', (byte)RelKind.Table);
        Assert.Equal((byte)'p', (byte)ConstraintKind.PrimaryKey);
        await Task.CompletedTask;
    }
}
