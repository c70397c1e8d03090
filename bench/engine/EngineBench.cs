using System.Buffers.Binary;
using System.Diagnostics;
using Borealis.Engine;
using Borealis.Engine.Access;
using Borealis.Engine.BTree;
using Borealis.Engine.Catalog;
using Borealis.Engine.Keys;
using Borealis.Engine.Rows;
using Borealis.Engine.Txn;

namespace Borealis.Bench.Engine;

/// <summary>
/// The engine measurements: one client thread, the Database on six in-process storage nodes,
/// pgbench's tables driven through the MVCC table layer (<see cref="Table"/>: heap + primary-key
/// B+tree, lookups through the index, HOT updates, on-access pruning) and the transaction manager,
/// as pgbench drives PostgreSQL.
/// </summary>
public sealed class EngineBench(Database db, CountingVolume volume, int accounts)
{
    public sealed record Op(string Name, double PerSecond, double AllocatedBytesPerOp, string Note = "");

    public sealed record Pgbench(double RedoBytesPerTxn, double RecordsPerTxn, double Tps, string Breakdown, string Notes);

    private const int Tellers = 10, Branches = 1;
    // Row data offsets of the balance: u16 natts + 1 null-bitmap byte, then int4 columns.
    private const int AccBalanceOffset = 3 + 4 + 4, BranchBalanceOffset = 3 + 4;
    private static readonly KeyColumn Int4Key = new(KeyType.Int4);
    private Table _acc = null!, _tel = null!, _br = null!, _hist = null!;
    private readonly byte[] _filler = "                                                                                    "u8.ToArray(); // 84 blanks, as pgbench -i stores ''

    /// <summary>
    /// Creates the four tables in the catalog (primary keys on accounts, tellers, branches; history
    /// without) and loads them like <c>pgbench -i</c>: one transaction, rows appended in key order,
    /// pages filled to the brim (fillfactor 100), every row through the table layer (unique check
    /// and index entry included).
    /// </summary>
    public async Task LoadAsync()
    {
        var tx = db.Begin();
        var acc = await db.Catalog.CreateTableAsync(tx, null, "pgbench_accounts", PgbenchSchema.Accounts, [new(ConstraintKind.PrimaryKey, null, ["aid"])]);
        var tel = await db.Catalog.CreateTableAsync(tx, null, "pgbench_tellers", PgbenchSchema.Tellers, [new(ConstraintKind.PrimaryKey, null, ["tid"])]);
        var br = await db.Catalog.CreateTableAsync(tx, null, "pgbench_branches", PgbenchSchema.Branches, [new(ConstraintKind.PrimaryKey, null, ["bid"])]);
        var hist = await db.Catalog.CreateTableAsync(tx, null, "pgbench_history", PgbenchSchema.History);
        await db.CommitAsync(tx);
        (_acc, _tel, _br, _hist) = (await OpenAsync(acc), await OpenAsync(tel), await OpenAsync(br), await OpenAsync(hist));

        tx = db.Begin();
        var row = new byte[256];
        for (int b = 1; b <= Branches; b++) await _br.InsertAsync(tx, row.AsMemory(0, BranchRow(row, b, 0)));
        for (int t = 1; t <= Tellers; t++) await _tel.InsertAsync(tx, row.AsMemory(0, TellerRow(row, t, 0)));
        for (int a = 1; a <= accounts; a++) await _acc.InsertAsync(tx, row.AsMemory(0, AccountRow(row, a, 0)));
        await db.CommitAsync(tx);
    }

    /// <summary>The table-layer object over the catalog's heap and primary-key index (an int4 key column).</summary>
    private Task<Table> OpenAsync(TableInfo info)
    {
        var pk = info.PrimaryKey;
        IndexDefinition[] defs = pk is null ? [] : [new IndexDefinition(pk.Name, [pk.Columns[0].AttNum - 1], [Int4Key], unique: true)];
        ulong[] metas = pk is null ? [] : [pk.MetaPage];
        return Table.OpenAsync(info.Name, db.Pool, db.Allocator, db.Txns, info.RowLayout(), info.HeapMetaPage, defs, metas).AsTask();
    }

    private int AccountRow(Span<byte> dest, int aid, int balance)
    {
        var w = new RowWriter(dest, 4);
        w.WriteInt32(aid);
        w.WriteInt32((aid - 1) / 100_000 + 1);
        w.WriteInt32(balance);
        w.WriteVarLen(_filler);
        return w.Finish();
    }

    private static int TellerRow(Span<byte> dest, int tid, int balance)
    {
        var w = new RowWriter(dest, 4);
        w.WriteInt32(tid);
        w.WriteInt32((tid - 1) / 10 + 1);
        w.WriteInt32(balance);
        w.WriteNull();
        return w.Finish();
    }

    private static int BranchRow(Span<byte> dest, int bid, int balance)
    {
        var w = new RowWriter(dest, 3);
        w.WriteInt32(bid);
        w.WriteInt32(balance);
        w.WriteNull();
        return w.Finish();
    }

    private static int HistoryRow(Span<byte> dest, int tid, int bid, int aid, int delta, long mtime)
    {
        var w = new RowWriter(dest, 6);
        w.WriteInt32(tid);
        w.WriteInt32(bid);
        w.WriteInt32(aid);
        w.WriteInt32(delta);
        w.WriteInt64(mtime);
        w.WriteNull();
        return w.Finish();
    }

    /// <summary>Writes the encoded int4 primary key of <paramref name="id"/> into <paramref name="dest"/>; returns its length.</summary>
    private static int Key(Span<byte> dest, int id)
    {
        var e = new KeyEncoder(dest);
        e.WriteInt32(id, Int4Key);
        return e.Length;
    }

    // ------------------------------------------------------------ point lookups

    /// <summary>Primary key → heap → visibility (Table.LookupAsync) on cached pages; zero allocations expected.</summary>
    public async Task<Op> PointLookupsAsync(int n)
    {
        var snap = Snapshot.AtReadPoint(db.Txns.Store, volume.Vdl);
        var key = new byte[16];
        var row = new byte[256];
        int klen = Key(key, 1);
        // Warm: every page and commit status cached.
        for (int a = 1; a <= accounts; a++)
        {
            Key(key, a);
            await _acc.LookupAsync(0, key.AsMemory(0, klen), snap, row);
        }
        PointLookupLoop(snap, 1000, key, klen, row);
        long alloc0 = GC.GetAllocatedBytesForCurrentThread();
        var sw = Stopwatch.StartNew();
        var (found, slow) = PointLookupLoop(snap, n, key, klen, row);
        sw.Stop();
        long alloc = GC.GetAllocatedBytesForCurrentThread() - alloc0;
        return new Op("point lookup (pk → heap → visibility)", n / sw.Elapsed.TotalSeconds, (double)alloc / n,
            $"{found} visible, {slow} not on the cached path");
    }

    private (int Found, int Slow) PointLookupLoop(Snapshot snap, int n, byte[] key, int klen, byte[] row)
    {
        int found = 0, slow = 0;
        uint x = 12345;
        var k = key.AsMemory(0, klen);
        for (int i = 0; i < n; i++)
        {
            x = x * 1664525 + 1013904223;
            Key(key, (int)(x % (uint)accounts) + 1);
            var vt = _acc.LookupAsync(0, k, snap, row);
            if (!vt.IsCompletedSuccessfully) { slow++; if (vt.AsTask().GetAwaiter().GetResult().Found) found++; continue; }
            if (vt.Result.Found) found++;
        }
        return (found, slow);
    }

    // ------------------------------------------------------------ range scans

    public async Task<Op> RangeScansAsync(int n, int rows)
    {
        var snap = Snapshot.AtReadPoint(db.Txns.Store, volume.Vdl);
        using var scan = new IndexScan(_acc, 0);
        var lo = new byte[16];
        var hi = new byte[16];
        await RangeLoopAsync(snap, scan, lo, hi, 100, rows);
        long alloc0 = GC.GetAllocatedBytesForCurrentThread();
        var sw = Stopwatch.StartNew();
        long visible = await RangeLoopAsync(snap, scan, lo, hi, n, rows);
        sw.Stop();
        long alloc = GC.GetAllocatedBytesForCurrentThread() - alloc0;
        return new Op($"range scan ({rows} rows: pk range → heap)", n / sw.Elapsed.TotalSeconds, (double)alloc / n,
            $"{visible / (double)n:F0} rows per scan, {visible / sw.Elapsed.TotalSeconds:F0} rows/s");
    }

    private async Task<long> RangeLoopAsync(Snapshot snap, IndexScan scan, byte[] lo, byte[] hi, int n, int rows)
    {
        long visible = 0;
        uint x = 777;
        for (int i = 0; i < n; i++)
        {
            x = x * 1664525 + 1013904223;
            int start = (int)(x % (uint)Math.Max(1, accounts - rows)) + 1;
            int ll = Key(lo, start), hl = Key(hi, start + rows);
            scan.Reset(IndexScan.Between(lo.AsMemory(0, ll), true, hi.AsMemory(0, hl), false), ScanDirection.Forward, snap);
            while (await scan.MoveNextAsync()) visible++;
        }
        return visible;
    }

    // ------------------------------------------------------------ inserts and updates

    public async Task<Op> InsertsAsync(int n, int perTxn)
    {
        var row = new byte[128];
        long alloc0 = GC.GetTotalAllocatedBytes(true);
        var sw = Stopwatch.StartNew();
        for (int done = 0; done < n;)
        {
            var tx = db.Begin();
            for (int k = 0; k < perTxn && done < n; k++, done++)
            {
                int len = HistoryRow(row, done % Tellers + 1, 1, done % accounts + 1, done % 5000, 0);
                await _hist.InsertAsync(tx, row.AsMemory(0, len));
                tx.CommandCounterIncrement();
            }
            await db.CommitAsync(tx);
        }
        sw.Stop();
        long alloc = GC.GetTotalAllocatedBytes(true) - alloc0;
        return new Op($"insert (table, no index, {perTxn} per transaction)", n / sw.Elapsed.TotalSeconds, (double)alloc / n, "allocations: whole process, storage nodes included");
    }

    public async Task<Op> UpdatesAsync(int n, int perTxn)
    {
        var key = new byte[16];
        var row = new byte[256];
        var add = new AddInt4(AccBalanceOffset);
        long alloc0 = GC.GetTotalAllocatedBytes(true);
        var sw = Stopwatch.StartNew();
        uint x = 99;
        for (int done = 0; done < n;)
        {
            var tx = db.Begin();
            for (int k = 0; k < perTxn && done < n; k++, done++)
            {
                x = x * 1664525 + 1013904223;
                add.Delta = 3;
                await UpdateByKeyAsync(tx, _acc, (int)(x % (uint)accounts) + 1, add, key, row);
                tx.CommandCounterIncrement();
            }
            await db.CommitAsync(tx);
        }
        sw.Stop();
        long alloc = GC.GetTotalAllocatedBytes(true) - alloc0;
        return new Op($"update (table: pk lookup, balance += delta, {perTxn} per transaction)", n / sw.Elapsed.TotalSeconds, (double)alloc / n,
            "allocations: whole process, storage nodes included");
    }

    /// <summary>
    /// <c>UPDATE t SET balance = balance + delta WHERE pk = id</c>: a statement snapshot, the
    /// primary-key lookup, then the table's update (row lock, HOT or not, pruning a full page first).
    /// </summary>
    private async ValueTask UpdateByKeyAsync(Transaction tx, Table t, int id, AddInt4 modifier, byte[] key, byte[] row)
    {
        var snap = db.Txns.StatementSnapshot(tx);
        int klen = Key(key, id);
        var r = await t.LookupAsync(0, key.AsMemory(0, klen), snap, row);
        if (!r.Found) throw new InvalidOperationException($"{t.Name}: key {id} not found");
        var m = await t.UpdateAsync(tx, r.Tid, modifier);
        if (m.Status != ModifyStatus.Done) throw new InvalidOperationException($"{t.Name}: update of key {id} skipped");
        if (t == _acc)
        {
            if (m.Tid.Page == r.Tid.Page) _accSamePage++;
            else _accMoved++;
        }
    }

    private long _accSamePage, _accMoved;

    /// <summary>Adds <see cref="Delta"/> to the int4 at a fixed offset of the row data (reuses one buffer).</summary>
    private sealed class AddInt4(int offset) : IRowModifier
    {
        private readonly byte[] _buf = new byte[512];
        public int Delta { get; set; }

        public bool TryBuild(ReadOnlySpan<byte> current, out ReadOnlyMemory<byte> newRow)
        {
            current.CopyTo(_buf);
            BinaryPrimitives.WriteInt32LittleEndian(_buf.AsSpan(offset), BinaryPrimitives.ReadInt32LittleEndian(current[offset..]) + Delta);
            newRow = _buf.AsMemory(0, current.Length);
            return true;
        }
    }

    // ------------------------------------------------------------ pgbench-like transactions

    /// <summary>
    /// pgbench's TPC-B-like transaction, statement by statement as pgbench sends it to PostgreSQL:
    /// UPDATE pgbench_accounts, SELECT abalance, UPDATE pgbench_tellers, UPDATE pgbench_branches,
    /// INSERT INTO pgbench_history, COMMIT — each statement with its own READ COMMITTED snapshot,
    /// every row found through its primary key. Redo bytes are everything the engine appends to the
    /// volume during the measured transactions (records with their 52-byte headers: heap, B+tree,
    /// pruning, free-space map, xid batches, commits).
    /// </summary>
    public async Task<Pgbench> PgbenchAsync(int n)
    {
        await PgbenchLoopAsync(Math.Max(100, n / 2), 1); // warm up, as the PostgreSQL reference does (n/2 transactions)
        long bytes0 = volume.Bytes, records0 = volume.Records;
        long prunes0 = OpportunisticPrunes, same0 = _accSamePage, moved0 = _accMoved;
        var (b0, c0) = volume.ByType();
        var sw = Stopwatch.StartNew();
        await PgbenchLoopAsync(n, 2);
        sw.Stop();
        var (b1, c1) = volume.ByType();
        var parts = Enumerable.Range(0, 256).Where(t => b1[t] > b0[t]).OrderByDescending(t => b1[t] - b0[t])
            .Select(t => $"{(Borealis.Redo.RedoType)t} {(double)(b1[t] - b0[t]) / n:F0} B ({(double)(c1[t] - c0[t]) / n:F2}×)");
        long same = _accSamePage - same0, moved = _accMoved - moved0;
        string notes = $"account updates: {100.0 * same / Math.Max(1, same + moved):F0} % on the row's page (HOT), {100.0 * moved / Math.Max(1, same + moved):F0} % moved to another page" +
            $" (new index entry); on-access prunes {(double)(OpportunisticPrunes - prunes0) / n:F2} per transaction; no VACUUM ran, no snapshot outlives its statement";
        return new Pgbench((double)(volume.Bytes - bytes0) / n, (double)(volume.Records - records0) / n, n / sw.Elapsed.TotalSeconds,
            string.Join(", ", parts), notes);
    }

    private long OpportunisticPrunes => _acc.OpportunisticPrunes + _tel.OpportunisticPrunes + _br.OpportunisticPrunes + _hist.OpportunisticPrunes;

    private async Task PgbenchLoopAsync(int n, uint seed)
    {
        var key = new byte[16];
        var row = new byte[256];
        var accAdd = new AddInt4(AccBalanceOffset);
        var telAdd = new AddInt4(AccBalanceOffset);
        var brAdd = new AddInt4(BranchBalanceOffset);
        var rng = new Random((int)seed);
        long mtime = DateTime.UtcNow.Ticks;
        for (int i = 0; i < n; i++)
        {
            int aid = rng.Next(1, accounts + 1), tid = rng.Next(1, Tellers + 1), bid = rng.Next(1, Branches + 1), delta = rng.Next(-5000, 5001);
            accAdd.Delta = telAdd.Delta = brAdd.Delta = delta;
            var tx = db.Begin();
            try
            {
                await UpdateByKeyAsync(tx, _acc, aid, accAdd, key, row);
                tx.CommandCounterIncrement();
                var snap = db.Txns.StatementSnapshot(tx);
                var r = await _acc.LookupAsync(0, key.AsMemory(0, Key(key, aid)), snap, row);
                if (!r.Found) throw new InvalidOperationException("own update not visible");
                tx.CommandCounterIncrement();
                await UpdateByKeyAsync(tx, _tel, tid, telAdd, key, row);
                tx.CommandCounterIncrement();
                await UpdateByKeyAsync(tx, _br, bid, brAdd, key, row);
                tx.CommandCounterIncrement();
                db.Txns.StatementSnapshot(tx);
                await _hist.InsertAsync(tx, row.AsMemory(0, HistoryRow(row, tid, bid, aid, delta, mtime + i)));
                await db.CommitAsync(tx);
            }
            catch
            {
                await db.RollbackAsync(tx);
                throw;
            }
        }
    }
}
