using System.Buffers.Binary;
using System.Diagnostics;
using Borealis.Engine;
using Borealis.Engine.BTree;
using Borealis.Engine.Catalog;
using Borealis.Engine.Heap;
using Borealis.Engine.Rows;
using Borealis.Engine.Txn;

namespace Borealis.Bench.Engine;

/// <summary>The engine measurements: one client thread, the Database on six in-process storage nodes.</summary>
public sealed class EngineBench(Database db, CountingVolume volume, int accounts)
{
    public sealed record Op(string Name, double PerSecond, double AllocatedBytesPerOp, string Note = "");

    public sealed record Pgbench(double RedoBytesPerTxn, double RecordsPerTxn, double Tps, string Breakdown);

    private const int Tellers = 10, Branches = 1;
    // Row data offsets of the balance: u16 natts + 1 null-bitmap byte, then int4 columns.
    private const int AccBalanceOffset = 3 + 4 + 4, BranchBalanceOffset = 3 + 4;
    private HeapTable _acc = null!, _tel = null!, _br = null!, _hist = null!;
    private BPlusTree _accPk = null!;
    private Tid[] _accTid = null!, _telTid = null!, _brTid = null!;
    private readonly byte[] _filler = "                                                                                    "u8.ToArray(); // 84 blanks, as pgbench -i stores ''

    public async Task LoadAsync()
    {
        var tx = db.Begin();
        var acc = await db.Catalog.CreateTableAsync(tx, null, "pgbench_accounts", PgbenchSchema.Accounts, [new(ConstraintKind.PrimaryKey, null, ["aid"])]);
        var tel = await db.Catalog.CreateTableAsync(tx, null, "pgbench_tellers", PgbenchSchema.Tellers, [new(ConstraintKind.PrimaryKey, null, ["tid"])]);
        var br = await db.Catalog.CreateTableAsync(tx, null, "pgbench_branches", PgbenchSchema.Branches, [new(ConstraintKind.PrimaryKey, null, ["bid"])]);
        var hist = await db.Catalog.CreateTableAsync(tx, null, "pgbench_history", PgbenchSchema.History);
        await db.CommitAsync(tx);
        (_acc, _tel, _br, _hist) = (db.Heap(acc), db.Heap(tel), db.Heap(br), db.Heap(hist));
        _accPk = await db.IndexAsync(acc.PrimaryKey!);
        var telPk = await db.IndexAsync(tel.PrimaryKey!);
        var brPk = await db.IndexAsync(br.PrimaryKey!);
        _accTid = new Tid[accounts + 1];
        _telTid = new Tid[Tellers + 1];
        _brTid = new Tid[Branches + 1];
        var row = new byte[256];
        for (int b = 1; b <= Branches; b++) _brTid[b] = await InsertIndexedAsync(_br, brPk, b, row.AsMemory(0, BranchRow(row, b, 0)));
        for (int t = 1; t <= Tellers; t++) _telTid[t] = await InsertIndexedAsync(_tel, telPk, t, row.AsMemory(0, TellerRow(row, t, 0)));
        for (int a = 1; a <= accounts; a++) _accTid[a] = await InsertIndexedAsync(_acc, _accPk, a, row.AsMemory(0, AccountRow(row, a, 0)));
    }

    private async Task<Tid> InsertIndexedAsync(HeapTable heap, BPlusTree pk, int id, ReadOnlyMemory<byte> row)
    {
        // Loaded frozen, as after VACUUM FREEZE: visible to every snapshot, no status lookups.
        var ins = await heap.InsertAsync(Xids.Frozen, 0, row);
        var key = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(key, id);
        var val = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(val, ins.Tid.Packed);
        await pk.InsertAsync(key, val);
        return ins.Tid;
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

    private static TupleXact Xact(in HeapTupleHeader h) =>
        new(h.Xmin, h.Xmax, h.Cmin, h.Cmax, (h.Infomask & Borealis.Redo.Heap.HeapInfomask.XmaxLockOnly) != 0 ? TupleXactFlags.XmaxLockOnly : TupleXactFlags.None);

    // ------------------------------------------------------------ point lookups

    /// <summary>Primary key → heap fetch → visibility under a snapshot, on cached pages; zero allocations expected.</summary>
    public async Task<Op> PointLookupsAsync(int n)
    {
        var snap = Snapshot.AtReadPoint(db.Txns.Store, volume.Vdl);
        var key = new byte[4];
        var val = new byte[8];
        var row = new byte[256];
        // Warm: every page and commit status cached.
        for (int a = 1; a <= accounts; a++)
        {
            BinaryPrimitives.WriteInt32BigEndian(key, a);
            await _accPk.TryGetAsync(key, val);
            var f = await _acc.FetchAsync(Tid.FromPacked(BinaryPrimitives.ReadUInt64LittleEndian(val)), row);
            await snap.IsVisibleAsync(Xact(f.Header));
        }
        PointLookupLoop(snap, 1000, key, val, row);
        long alloc0 = GC.GetAllocatedBytesForCurrentThread();
        var sw = Stopwatch.StartNew();
        var (found, slow) = PointLookupLoop(snap, n, key, val, row);
        sw.Stop();
        long alloc = GC.GetAllocatedBytesForCurrentThread() - alloc0;
        return new Op("point lookup (pk → heap → visibility)", n / sw.Elapsed.TotalSeconds, (double)alloc / n,
            $"{found} visible, {slow} not on the cached path");
    }

    private (int Found, int Slow) PointLookupLoop(Snapshot snap, int n, byte[] key, byte[] val, byte[] row)
    {
        int found = 0, slow = 0;
        uint x = 12345;
        for (int i = 0; i < n; i++)
        {
            x = x * 1664525 + 1013904223;
            int aid = (int)(x % (uint)accounts) + 1;
            BinaryPrimitives.WriteInt32BigEndian(key, aid);
            if (_accPk.TryGetCached(key, val, out _) != LookupStatus.Found) { slow++; continue; }
            var vt = _acc.FetchAsync(Tid.FromPacked(BinaryPrimitives.ReadUInt64LittleEndian(val)), row);
            if (!vt.IsCompletedSuccessfully) { slow++; _ = vt.AsTask().GetAwaiter().GetResult(); continue; }
            var f = vt.Result;
            if (snap.Check(Xact(f.Header), out _) == Visibility.Visible) found++;
        }
        return (found, slow);
    }

    // ------------------------------------------------------------ range scans

    public async Task<Op> RangeScansAsync(int n, int rows)
    {
        var snap = Snapshot.AtReadPoint(db.Txns.Store, volume.Vdl);
        var cursor = new BTreeCursor(_accPk);
        var lo = new byte[4];
        var hi = new byte[4];
        var row = new byte[256];
        long visible = 0;
        await RangeLoopAsync(snap, cursor, lo, hi, row, 100, rows);
        long alloc0 = GC.GetAllocatedBytesForCurrentThread();
        var sw = Stopwatch.StartNew();
        visible = await RangeLoopAsync(snap, cursor, lo, hi, row, n, rows);
        sw.Stop();
        long alloc = GC.GetAllocatedBytesForCurrentThread() - alloc0;
        return new Op($"range scan ({rows} rows: pk range → heap)", n / sw.Elapsed.TotalSeconds, (double)alloc / n,
            $"{visible / (double)n:F0} rows per scan, {visible / sw.Elapsed.TotalSeconds:F0} rows/s");
    }

    private async Task<long> RangeLoopAsync(Snapshot snap, BTreeCursor cursor, byte[] lo, byte[] hi, byte[] row, int n, int rows)
    {
        long visible = 0;
        uint x = 777;
        for (int i = 0; i < n; i++)
        {
            x = x * 1664525 + 1013904223;
            int start = (int)(x % (uint)Math.Max(1, accounts - rows)) + 1;
            BinaryPrimitives.WriteInt32BigEndian(lo, start);
            BinaryPrimitives.WriteInt32BigEndian(hi, start + rows);
            cursor.Reset(BTreeRange.Between(lo, true, hi, false));
            while (await cursor.MoveNextAsync())
            {
                var tid = Tid.FromPacked(BinaryPrimitives.ReadUInt64LittleEndian(cursor.Value));
                var f = await _acc.FetchAsync(tid, row);
                if (snap.Check(Xact(f.Header), out _) == Visibility.Visible) visible++;
            }
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
            ulong xid = await db.Txns.AssignXidAsync(tx);
            for (int k = 0; k < perTxn && done < n; k++, done++)
            {
                int len = HistoryRow(row, done % Tellers + 1, 1, done % accounts + 1, done % 5000, 0);
                await _hist.InsertAsync(xid, tx.CommandId, row.AsMemory(0, len));
            }
            await db.CommitAsync(tx);
        }
        sw.Stop();
        long alloc = GC.GetTotalAllocatedBytes(true) - alloc0;
        return new Op($"insert (heap, {perTxn} per transaction)", n / sw.Elapsed.TotalSeconds, (double)alloc / n, "allocations: whole process, storage nodes included");
    }

    public async Task<Op> UpdatesAsync(int n, int perTxn)
    {
        var row = new byte[256];
        long alloc0 = GC.GetAllocatedBytesForCurrentThread();
        var sw = Stopwatch.StartNew();
        uint x = 99;
        for (int done = 0; done < n;)
        {
            var tx = db.Begin();
            ulong xid = await db.Txns.AssignXidAsync(tx);
            for (int k = 0; k < perTxn && done < n; k++, done++)
            {
                x = x * 1664525 + 1013904223;
                int aid = (int)(x % (uint)accounts) + 1;
                _accTid[aid] = await AddBalanceAsync(_acc, _accTid[aid], xid, tx.CommandId, 3, AccBalanceOffset, row);
            }
            await db.CommitAsync(tx);
        }
        sw.Stop();
        long alloc = GC.GetTotalAllocatedBytes(true) - alloc0;
        return new Op($"update (heap, balance += delta, {perTxn} per transaction)", n / sw.Elapsed.TotalSeconds, (double)alloc / n, "allocations: whole process, storage nodes included");
    }

    /// <summary>Reads the row at <paramref name="tid"/>, adds <paramref name="delta"/> to the int4 at <paramref name="offset"/> of its data, writes the new version.</summary>
    private static async ValueTask<Tid> AddBalanceAsync(HeapTable heap, Tid tid, ulong xid, uint cid, int delta, int offset, byte[] row)
    {
        var f = await heap.FetchAsync(tid, row);
        if (f.Status != FetchStatus.Ok) throw new InvalidOperationException($"row {tid}: {f.Status}");
        var data = row.AsMemory(0, f.Length);
        BinaryPrimitives.WriteInt32LittleEndian(data.Span[offset..], BinaryPrimitives.ReadInt32LittleEndian(data.Span[offset..]) + delta);
        var r = await heap.UpdateAsync(tid, xid, cid, data, f.Header.Xmax);
        if (r.Status != SetXmaxStatus.Ok) throw new InvalidOperationException($"update of {tid}: {r.Status}");
        return r.NewTid;
    }

    // ------------------------------------------------------------ pgbench-like transactions

    /// <summary>
    /// pgbench's TPC-B-like transaction: UPDATE accounts, SELECT abalance, UPDATE tellers, UPDATE
    /// branches, INSERT INTO history, COMMIT. Redo bytes are everything the engine appends in the
    /// measured run (records with their headers: heap, free-space map, xid batches, commits).
    /// </summary>
    public async Task<Pgbench> PgbenchAsync(int n)
    {
        await PgbenchLoopAsync(Math.Max(100, n / 4), 1); // warm: the pages every transaction touches
        long bytes0 = volume.Bytes, records0 = volume.Records;
        var (b0, c0) = volume.ByType();
        var sw = Stopwatch.StartNew();
        await PgbenchLoopAsync(n, 2);
        sw.Stop();
        var (b1, c1) = volume.ByType();
        var parts = Enumerable.Range(0, 256).Where(t => b1[t] > b0[t]).OrderByDescending(t => b1[t] - b0[t])
            .Select(t => $"{(Borealis.Redo.RedoType)t} {(double)(b1[t] - b0[t]) / n:F0} B ({(double)(c1[t] - c0[t]) / n:F2}×)");
        return new Pgbench((double)(volume.Bytes - bytes0) / n, (double)(volume.Records - records0) / n, n / sw.Elapsed.TotalSeconds,
            string.Join(", ", parts));
    }

    private async Task PgbenchLoopAsync(int n, uint seed)
    {
        var row = new byte[256];
        var rng = new Random((int)seed);
        long mtime = DateTime.UtcNow.Ticks;
        for (int i = 0; i < n; i++)
        {
            int aid = rng.Next(1, accounts + 1), tid = rng.Next(1, Tellers + 1), bid = rng.Next(1, Branches + 1), delta = rng.Next(-5000, 5001);
            var tx = db.Begin();
            ulong xid = await db.Txns.AssignXidAsync(tx);
            _accTid[aid] = await AddBalanceAsync(_acc, _accTid[aid], xid, tx.CommandId, delta, AccBalanceOffset, row);
            tx.CommandCounterIncrement();
            var snap = db.Txns.StatementSnapshot(tx);
            var f = await _acc.FetchAsync(_accTid[aid], row);
            if (!await snap.IsVisibleAsync(Xact(f.Header))) throw new InvalidOperationException("own update not visible");
            _telTid[tid] = await AddBalanceAsync(_tel, _telTid[tid], xid, tx.CommandId, delta, AccBalanceOffset, row);
            _brTid[bid] = await AddBalanceAsync(_br, _brTid[bid], xid, tx.CommandId, delta, BranchBalanceOffset, row);
            int len = HistoryRow(row, tid, bid, aid, delta, mtime + i);
            await _hist.InsertAsync(xid, tx.CommandId, row.AsMemory(0, len));
            await db.CommitAsync(tx);
        }
    }
}
