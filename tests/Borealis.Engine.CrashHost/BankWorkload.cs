using System.Buffers.Binary;
using Borealis.Engine.BTree;
using Borealis.Engine.Catalog;
using Borealis.Engine.Heap;
using Borealis.Engine.Rows;
using Borealis.Engine.Txn;

namespace Borealis.Engine.CrashHost;

/// <summary>
/// The crash test's schema: <c>bank(id int8 primary key, balance int8)</c> and
/// <c>history(id int8 primary key, kind int2, src int8, dst int8, amount int8, pad bytea)</c> whose ids come
/// from the sequence <c>history_id</c>. Primary-key entries map the id (8 bytes big-endian) to the
/// packed tid of the row's first version; updates chain versions by ctid (as HOT chains do), so
/// an update never changes the index and a lookup walks the chain to the version its snapshot sees.
/// </summary>
public sealed class BankSchema
{
    public const long InitialBalance = 1000;
    private static readonly ColumnStorage[] BankLayout = [ColumnStorage.Int8, ColumnStorage.Int8];
    private static readonly ColumnStorage[] HistoryLayout =
        [ColumnStorage.Int8, ColumnStorage.Int2, ColumnStorage.Int8, ColumnStorage.Int8, ColumnStorage.Int8, ColumnStorage.VarLen];

    public required HeapTable Bank { get; init; }
    public required BPlusTree BankPk { get; init; }
    public required HeapTable History { get; init; }
    public required BPlusTree HistoryPk { get; init; }
    public required SequenceInfo HistoryId { get; init; }
    public required int Accounts { get; init; }

    /// <summary>Opens the schema, creating it (with <paramref name="accounts"/> accounts of 1000) in one transaction if absent.</summary>
    public static async Task<BankSchema> CreateOrOpenAsync(Database db, int accounts)
    {
        if (db.Catalog.Current.FindTable(null, "bank") is null)
        {
            var tx = db.Begin();
            var bank = await db.Catalog.CreateTableAsync(tx, null, "bank", [new("id", PgTypes.Int8), new("balance", PgTypes.Int8)],
                [new(ConstraintKind.PrimaryKey, null, ["id"])]);
            await db.Catalog.CreateTableAsync(tx, null, "history",
                [new("id", PgTypes.Int8), new("kind", PgTypes.Int2), new("src", PgTypes.Int8), new("dst", PgTypes.Int8), new("amount", PgTypes.Int8),
                 new("pad", PgTypes.Bytea)],
                [new(ConstraintKind.PrimaryKey, null, ["id"])]);
            await db.Catalog.CreateSequenceAsync(tx, null, "history_id");
            ulong xid = await db.Txns.AssignXidAsync(tx);
            var heap = db.Heap(bank);
            var pk = await db.IndexAsync(bank.PrimaryKey!);
            for (int i = 0; i < accounts; i++)
            {
                var ins = await heap.InsertAsync(xid, tx.CommandId, BankRow(i, InitialBalance));
                await pk.InsertAsync(Key(i), TidValue(ins.Tid));
            }
            await db.CommitAsync(tx);
        }
        var c = db.Catalog.Current;
        var b = c.GetTable(null, "bank");
        var h = c.GetTable(null, "history");
        return new BankSchema
        {
            Bank = db.Heap(b),
            BankPk = await db.IndexAsync(b.PrimaryKey!),
            History = db.Heap(h),
            HistoryPk = await db.IndexAsync(h.PrimaryKey!),
            HistoryId = c.GetSequence(null, "history_id"),
            Accounts = accounts,
        };
    }

    public static byte[] Key(long id)
    {
        var k = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(k, id);
        return k;
    }

    public static byte[] TidValue(Tid tid)
    {
        var v = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(v, tid.Packed);
        return v;
    }

    public static byte[] BankRow(long id, long balance)
    {
        var b = new byte[64];
        var w = new RowWriter(b, 2);
        w.WriteInt64(id);
        w.WriteInt64(balance);
        return b.AsSpan(0, w.Finish()).ToArray();
    }

    public static (long Id, long Balance) ReadBank(ReadOnlySpan<byte> row)
    {
        var r = new RowReader(row, BankLayout);
        r.MoveNext();
        long id = r.GetInt64();
        r.MoveNext();
        return (id, r.GetInt64());
    }

    /// <summary>A history row; <paramref name="pad"/> bytes of filler (rows above HeapTable.OverflowThreshold go to overflow pages).</summary>
    public static byte[] HistoryRow(long id, short kind, long src, long dst, long amount, int pad = 0)
    {
        var b = new byte[64 + pad];
        var w = new RowWriter(b, 6);
        w.WriteInt64(id);
        w.WriteInt16(kind);
        w.WriteInt64(src);
        w.WriteInt64(dst);
        w.WriteInt64(amount);
        if (pad == 0) w.WriteNull();
        else w.ReserveVarLen(pad).Fill((byte)id);
        return b.AsSpan(0, w.Finish()).ToArray();
    }

    public static (long Id, short Kind, long Src, long Dst, long Amount) ReadHistory(ReadOnlySpan<byte> row)
    {
        var r = new RowReader(row, HistoryLayout);
        r.MoveNext(); long id = r.GetInt64();
        r.MoveNext(); short kind = r.GetInt16();
        r.MoveNext(); long src = r.GetInt64();
        r.MoveNext(); long dst = r.GetInt64();
        r.MoveNext(); long amount = r.GetInt64();
        return (id, kind, src, dst, amount);
    }

    public static TupleXact Xact(in HeapTupleHeader h) =>
        new(h.Xmin, h.Xmax, h.Cmin, h.Cmax, (h.Infomask & Redo.Heap.HeapInfomask.XmaxLockOnly) != 0 ? TupleXactFlags.XmaxLockOnly : TupleXactFlags.None);

    /// <summary>The root tid the primary key maps <paramref name="id"/> to, or none.</summary>
    public static async ValueTask<Tid> LookupAsync(BPlusTree pk, long id)
    {
        var v = new byte[8];
        int n = await pk.TryGetAsync(Key(id), v);
        return n == 8 ? Tid.FromPacked(BinaryPrimitives.ReadUInt64LittleEndian(v)) : default;
    }

    /// <summary>Walks the version chain from <paramref name="root"/> to the version <paramref name="snap"/> sees.</summary>
    public static async ValueTask<(Tid Tid, HeapTupleHeader Header, byte[] Row)?> FindVisibleAsync(HeapTable heap, Tid root, Snapshot snap)
    {
        var buf = new byte[256];
        var tid = root;
        for (int hop = 0; hop < 1_000_000; hop++)
        {
            var r = await heap.FetchAsync(tid, buf);
            if (r.Status == FetchStatus.BufferTooSmall)
            {
                buf = new byte[r.Length];
                r = await heap.FetchAsync(tid, buf);
            }
            if (r.Status != FetchStatus.Ok) return null;
            if (await snap.IsVisibleAsync(Xact(r.Header))) return (tid, r.Header, buf.AsSpan(0, r.Length).ToArray());
            if (r.Header.Ctid == tid || r.Header.Ctid.IsNone) return null;
            tid = r.Header.Ctid;
        }
        throw new InvalidOperationException($"version chain from {root} does not end");
    }
}

/// <summary>
/// Concurrent transactions on <see cref="BankSchema"/>: transfers (two balance updates plus a
/// history row, like pgbench) and plain history inserts. Writers of one account are serialised
/// by in-process locks taken in id order (the test exercises durability and recovery, not the
/// row-lock protocol), so the version a transfer updates is always the newest committed one.
/// </summary>
public sealed class BankWorkload(Database db, BankSchema s, int pad = 0)
{
    private readonly SemaphoreSlim[] _locks = Enumerable.Range(0, s.Accounts).Select(_ => new SemaphoreSlim(1, 1)).ToArray();

    /// <summary>One transfer; returns its history id once the commit is acknowledged (durable).</summary>
    public async Task<long> TransferAsync(Random rng)
    {
        int a = rng.Next(s.Accounts), b = rng.Next(s.Accounts - 1);
        if (b >= a) b++;
        long amount = rng.Next(1, 50);
        var (lo, hi) = a < b ? (a, b) : (b, a);
        await _locks[lo].WaitAsync();
        await _locks[hi].WaitAsync();
        try
        {
            var tx = db.Begin();
            ulong xid = await db.Txns.AssignXidAsync(tx);
            var snap = db.Txns.StatementSnapshot(tx);
            await AddAsync(tx, xid, snap, a, -amount);
            await AddAsync(tx, xid, snap, b, amount);
            long id = await NextIdAsync();
            var ins = await s.History.InsertAsync(xid, tx.CommandId, BankSchema.HistoryRow(id, 1, a, b, amount, pad));
            if (await s.HistoryPk.InsertAsync(BankSchema.Key(id), BankSchema.TidValue(ins.Tid)) != InsertStatus.Inserted)
                throw new InvalidOperationException($"history id {id} is already in the index");
            await db.CommitAsync(tx);
            return id;
        }
        finally
        {
            _locks[hi].Release();
            _locks[lo].Release();
        }
    }

    /// <summary>One insert of a uniquely numbered history row; returns its id once acknowledged.</summary>
    public async Task<long> InsertAsync()
    {
        var tx = db.Begin();
        ulong xid = await db.Txns.AssignXidAsync(tx);
        long id = await NextIdAsync();
        var ins = await s.History.InsertAsync(xid, tx.CommandId, BankSchema.HistoryRow(id, 0, 0, 0, 0, pad));
        if (await s.HistoryPk.InsertAsync(BankSchema.Key(id), BankSchema.TidValue(ins.Tid)) != InsertStatus.Inserted)
            throw new InvalidOperationException($"history id {id} is already in the index");
        await db.CommitAsync(tx);
        return id;
    }

    // A session per call: SequenceSession is one client's state, not thread-safe.
    private async Task<long> NextIdAsync() => await db.Catalog.NextValAsync(s.HistoryId, new SequenceSession());

    private async Task AddAsync(Transaction tx, ulong xid, Snapshot snap, long account, long delta)
    {
        var root = await BankSchema.LookupAsync(s.BankPk, account);
        var cur = await BankSchema.FindVisibleAsync(s.Bank, root, snap) ?? throw new InvalidOperationException($"account {account} has no visible version");
        var (id, balance) = BankSchema.ReadBank(cur.Row);
        var r = await s.Bank.UpdateAsync(cur.Tid, xid, tx.CommandId, BankSchema.BankRow(id, balance + delta), expectedXmax: cur.Header.Xmax);
        if (r.Status != SetXmaxStatus.Ok) throw new InvalidOperationException($"update of account {account} at {cur.Tid}: {r.Status}");
    }
}
