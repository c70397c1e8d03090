using System.Collections.Concurrent;
using Borealis.Engine.BTree;
using Borealis.Engine.Buffer;
using Borealis.Engine.Catalog;
using Borealis.Engine.Heap;
using Borealis.Engine.Space;
using Borealis.Engine.Txn;
using Borealis.Volume;

namespace Borealis.Engine;

/// <summary>Options of <see cref="Database.CreateOrOpenAsync"/>.</summary>
public sealed class DatabaseOptions
{
    /// <summary>Buffer pool size in 8 KiB pages (default 16384 = 128 MiB).</summary>
    public int BufferPoolPages { get; init; } = 16384;
    public TxnOptions Txn { get; init; } = new();
    /// <summary>Dispose the volume with the database.</summary>
    public bool OwnsVolume { get; init; }
}

/// <summary>
/// The engine on one volume, as its writer: owns the buffer pool, page allocator, transaction
/// manager and catalog. Opening is instant — no redo replay, no undo, no scan proportional to the
/// data: it reads the super block, the xid counter page and the catalog (whose size is the
/// schema's, not the data's); transactions of a crashed writer read as aborted.
/// <para>
/// Use <see cref="CommitAsync"/> / <see cref="RollbackAsync"/> (not the TxnManager's directly)
/// for transactions that may have run DDL: they let the catalog publish or drop the changes.
/// </para>
/// </summary>
public sealed class Database : IAsyncDisposable
{
    private readonly ConcurrentDictionary<ulong, HeapTable> _heaps = new();
    private readonly ConcurrentDictionary<ulong, Task<BPlusTree>> _trees = new();
    private readonly DatabaseOptions _options;

    private Database(IRedoVolume volume, BufferPool pool, PageAllocator alloc, TxnManager txm, Catalog.Catalog catalog, DatabaseOptions options)
    {
        Volume = volume;
        Pool = pool;
        Allocator = alloc;
        Txns = txm;
        Catalog = catalog;
        _options = options;
    }

    public IRedoVolume Volume { get; }
    public BufferPool Pool { get; }
    public PageAllocator Allocator { get; }
    public TxnManager Txns { get; }
    public Catalog.Catalog Catalog { get; }

    /// <summary>
    /// Formats a new volume (super block, transaction pages, catalog with the built-in objects)
    /// or opens an existing one. Each step of formatting is idempotent or linked in last, so a
    /// crash while formatting leaves a volume this opens (and finishes) again.
    /// </summary>
    public static async Task<Database> CreateOrOpenAsync(IRedoVolume volume, DatabaseOptions? options = null, CancellationToken ct = default)
    {
        options ??= new DatabaseOptions();
        var pool = new BufferPool(volume, options.BufferPoolPages);
        var alloc = new PageAllocator(pool);
        await alloc.FormatAsync(ct).ConfigureAwait(false);
        var txm = await TxnManager.OpenAsync(pool, alloc, options.Txn, ct).ConfigureAwait(false);
        var catalog = await Borealis.Engine.Catalog.Catalog.OpenAsync(pool, alloc, txm, ct).ConfigureAwait(false);
        return new Database(volume, pool, alloc, txm, catalog, options);
    }

    public Transaction Begin(IsolationLevel isolation = IsolationLevel.ReadCommitted) => Txns.Begin(isolation);

    /// <summary>Commits (durable when it returns) and publishes the transaction's DDL, if any.</summary>
    public async ValueTask CommitAsync(Transaction tx, CancellationToken ct = default)
    {
        try { await Txns.CommitAsync(tx, ct).ConfigureAwait(false); }
        finally { await Catalog.EndTransactionAsync(tx, CancellationToken.None).ConfigureAwait(false); }
    }

    public async ValueTask RollbackAsync(Transaction tx, CancellationToken ct = default)
    {
        try { await Txns.RollbackAsync(tx, ct).ConfigureAwait(false); }
        finally { await Catalog.EndTransactionAsync(tx, CancellationToken.None).ConfigureAwait(false); }
    }

    /// <summary>The one heap object of a table (one per heap per process: see <see cref="HeapTable"/>).</summary>
    public HeapTable Heap(TableInfo table) => Heap(table.HeapMetaPage);

    public HeapTable Heap(ulong metaPage) => _heaps.GetOrAdd(metaPage, p => HeapTable.Open(Pool, Allocator, p));

    /// <summary>The one B+tree object of an index.</summary>
    public ValueTask<BPlusTree> IndexAsync(IndexInfo index, CancellationToken ct = default) => IndexAsync(index.MetaPage, ct);

    public ValueTask<BPlusTree> IndexAsync(ulong metaPage, CancellationToken ct = default)
    {
        var t = _trees.GetOrAdd(metaPage, p => BPlusTree.OpenAsync(Pool, Allocator, p, CancellationToken.None).AsTask());
        if (t.IsFaulted) _trees.TryRemove(new KeyValuePair<ulong, Task<BPlusTree>>(metaPage, t));
        return new ValueTask<BPlusTree>(t.WaitAsync(ct));
    }

    public async ValueTask DisposeAsync()
    {
        if (_options.OwnsVolume && Volume is IAsyncDisposable d) await d.DisposeAsync().ConfigureAwait(false);
    }
}
