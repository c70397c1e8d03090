using Borealis.Engine.Access;
using Borealis.Engine.BTree;
using Borealis.Engine.Buffer;
using Borealis.Engine.Heap;
using Borealis.Engine.Keys;
using Borealis.Engine.Rows;
using Borealis.Engine.Space;
using Borealis.Engine.Txn;
using Borealis.Volume;

namespace Borealis.Engine.Tests.Access;

/// <summary>
/// A writer over a MemoryVolume with one table: accounts(id int4, balance int8, note int8), a unique
/// primary key on id ("accounts_pkey") and optionally a non-unique index on balance ("accounts_balance").
/// </summary>
internal sealed class AccessFixture
{
    public static readonly ColumnStorage[] Layout = [ColumnStorage.Int4, ColumnStorage.Int8, ColumnStorage.Int8];
    public static readonly KeyColumn IdKey = new(KeyType.Int4);
    public static readonly KeyColumn BalanceKey = new(KeyType.Int8);

    public required MemoryVolume Volume { get; init; }
    public required BufferPool Pool { get; init; }
    public required PageAllocator Alloc { get; init; }
    public required TxnManager Txm { get; init; }
    public required Table Table { get; init; }

    public static IndexDefinition[] Indexes(bool secondary) => secondary
        ? [new("accounts_pkey", [0], [IdKey], unique: true), new("accounts_balance", [1], [BalanceKey], unique: false)]
        : [new("accounts_pkey", [0], [IdKey], unique: true)];

    public static async Task<AccessFixture> CreateAsync(int frames = 48, bool secondary = false)
    {
        var vol = new MemoryVolume(pageCount: 1 << 18);
        var pool = new BufferPool(vol, frames);
        var alloc = new PageAllocator(pool);
        await alloc.FormatAsync();
        var txm = await TxnManager.OpenAsync(pool, alloc);
        var table = await Table.CreateAsync("accounts", pool, alloc, txm, Layout, Indexes(secondary));
        return new AccessFixture { Volume = vol, Pool = pool, Alloc = alloc, Txm = txm, Table = table };
    }

    /// <summary>A new writer over the same volume, as after a crash (the old objects are abandoned).</summary>
    public async Task<AccessFixture> RestartAsync(int frames = 48)
    {
        var pool = new BufferPool(Volume, frames);
        var alloc = new PageAllocator(pool);
        var txm = await TxnManager.OpenAsync(pool, alloc);
        var metas = new ulong[Table.Trees.Count];
        for (int i = 0; i < metas.Length; i++) metas[i] = Table.Trees[i].MetaPageNo;
        var idx = Indexes(Table.Trees.Count > 1);
        var table = await Table.OpenAsync("accounts", pool, alloc, txm, Layout, Table.Heap.MetaPage, idx, metas);
        return new AccessFixture { Volume = Volume, Pool = pool, Alloc = alloc, Txm = txm, Table = table };
    }

    public static int Seed(string envVar) => Environment.GetEnvironmentVariable(envVar) is { } s ? int.Parse(s) : Random.Shared.Next();

    public static byte[] Row(int id, long balance, long note = 0)
    {
        var buf = new byte[64];
        var w = new RowWriter(buf, 3);
        w.WriteInt32(id);
        w.WriteInt64(balance);
        w.WriteInt64(note);
        return buf.AsSpan(0, w.Finish()).ToArray();
    }

    public static (int Id, long Balance, long Note) Parse(ReadOnlySpan<byte> row)
    {
        var r = new RowReader(row, Layout);
        r.MoveNext(); int id = r.GetInt32();
        r.MoveNext(); long bal = r.GetInt64();
        r.MoveNext(); long note = r.GetInt64();
        return (id, bal, note);
    }

    public static byte[] IdKeyBytes(int id)
    {
        var buf = new byte[16];
        var e = new KeyEncoder(buf);
        e.WriteInt32(id, IdKey);
        return buf.AsSpan(0, e.Length).ToArray();
    }

    public static byte[] BalanceKeyBytes(long v)
    {
        var buf = new byte[16];
        var e = new KeyEncoder(buf);
        e.WriteInt64(v, BalanceKey);
        return buf.AsSpan(0, e.Length).ToArray();
    }

    /// <summary>The visible row with primary key <paramref name="id"/>, or null.</summary>
    public async Task<(Tid Tid, int Id, long Balance, long Note)?> GetAsync(Snapshot snap, int id)
    {
        var buf = new byte[64];
        var r = await Table.LookupAsync(0, IdKeyBytes(id), snap, buf);
        if (!r.Found) return null;
        var (i, b, n) = Parse(buf.AsSpan(0, r.Length));
        return (r.Tid, i, b, n);
    }

    /// <summary>All visible rows by sequential scan, by id.</summary>
    public async Task<SortedDictionary<int, (long Balance, long Note)>> SeqScanAsync(Snapshot snap)
    {
        var d = new SortedDictionary<int, (long, long)>();
        using var scan = Table.Scan(snap);
        while (await scan.MoveNextAsync())
        {
            var (id, b, n) = Parse(scan.Row);
            Assert.True(d.TryAdd(id, (b, n)), $"id {id} seen twice by the sequential scan (tid {scan.Tid})");
        }
        return d;
    }

    /// <summary>All visible rows by an index scan of index <paramref name="index"/>, in scan order.</summary>
    public async Task<List<(int Id, long Balance, long Note)>> IndexScanAsync(Snapshot snap, int index, ScanDirection dir, PrefixRange range = default)
    {
        var list = new List<(int, long, long)>();
        using var scan = new IndexScan(Table, index);
        scan.Reset(range, dir, snap);
        while (await scan.MoveNextAsync()) list.Add(Parse(scan.Row));
        return list;
    }
}

/// <summary>Adds a delta to the balance of the current version (re-evaluated after EvalPlanQual).</summary>
internal sealed class AddBalance(long delta, long noteDelta = 0) : IRowModifier
{
    public bool TryBuild(ReadOnlySpan<byte> current, out ReadOnlyMemory<byte> newRow)
    {
        var (id, b, n) = AccessFixture.Parse(current);
        newRow = AccessFixture.Row(id, b + delta, n + noteDelta);
        return true;
    }
}

/// <summary>Runs a transaction body, retrying 40001 / 40P01 like a client; returns the attempts made.</summary>
internal static class Client
{
    public static async Task<int> RunAsync(TxnManager txm, IsolationLevel iso, Func<Transaction, Task> body, int maxAttempts = 100_000)
    {
        for (int attempt = 1; ; attempt++)
        {
            var tx = txm.Begin(iso);
            try
            {
                await body(tx);
                await txm.CommitAsync(tx);
                return attempt;
            }
            catch (TxnException e) when (e.IsRetryable && attempt < maxAttempts)
            {
                await txm.RollbackAsync(tx);
                await Task.Delay(Random.Shared.Next(0, Math.Min(attempt, 4))); // back off like a client
            }
            catch
            {
                await txm.RollbackAsync(tx);
                throw;
            }
        }
    }
}
