using Borealis.Engine.Buffer;
using Borealis.Engine.Heap;
using Borealis.Engine.Mtr;
using Borealis.Engine.Space;
using Borealis.Engine.Txn;
using Borealis.Redo;

namespace Borealis.Engine.Catalog;

/// <summary>
/// The catalog stored in the volume: rows of system heap tables (<see cref="SystemTables"/>)
/// found from the catalog meta page (<see cref="CatalogMeta"/>) at <see cref="RootSlot.Catalog"/>.
/// <para>
/// DDL is transactional: every change is a row version written with the DDL transaction's xid,
/// so it is visible to the transaction itself after each DDL call, to others once the commit is
/// durable, and a reader at read point R sees the catalog as of R (<see cref="LoadAsync"/>).
/// One DDL transaction at a time: its first DDL call takes the catalog's DDL lock (waiting for
/// another DDL transaction to end) and bumps the meta page's version to odd; ending it
/// (<see cref="EndTransactionAsync"/>, called by <see cref="Database"/> after commit or rollback)
/// bumps it to even, refreshes <see cref="Current"/> and releases the lock.
/// </para>
/// <para>
/// OIDs come from a logged ceiling (<see cref="CatalogMeta.OidBatch"/> at a time) so none is
/// reused after a crash. Sequences: <c>CatalogSequences.cs</c>.
/// </para>
/// Threading: lookups through snapshots are lock-free; DDL is serialised by the DDL lock.
/// </summary>
public sealed partial class Catalog
{
    private readonly BufferPool _pool;
    private readonly PageAllocator _alloc;
    private readonly TxnManager _txm;
    private readonly ulong _metaPage;
    private readonly HeapTable[] _heaps;
    private readonly SemaphoreSlim _ddlGate = new(1, 1);
    private readonly SemaphoreSlim _oidGate = new(1, 1);
    private Transaction? _ddlOwner;
    private CatalogSnapshot? _ownerView;
    private CatalogSnapshot _current = null!;
    private ulong _nextOid, _oidCeiling;

    private Catalog(BufferPool pool, PageAllocator alloc, TxnManager txm, ulong metaPage, ulong[] heapPages, ulong oidCeiling)
    {
        _pool = pool;
        _alloc = alloc;
        _txm = txm;
        _metaPage = metaPage;
        _heaps = heapPages.Select(p => HeapTable.Open(pool, alloc, p)).ToArray();
        _nextOid = _oidCeiling = oidCeiling;
    }

    /// <summary>The committed catalog as of the last DDL commit (or open).</summary>
    public CatalogSnapshot Current => Volatile.Read(ref _current);
    public ulong MetaPage => _metaPage;

    /// <summary>Opens the catalog of a formatted volume as the writer, creating it (with the built-in objects) on a new volume.</summary>
    public static async ValueTask<Catalog> OpenAsync(BufferPool pool, PageAllocator alloc, TxnManager txm, CancellationToken ct = default)
    {
        ulong meta = await alloc.GetRootAsync(RootSlot.Catalog, ct).ConfigureAwait(false);
        if (meta == 0) meta = await CreateAsync(pool, alloc, ct).ConfigureAwait(false);
        ulong[] heaps = new ulong[SystemTables.Count];
        ulong ceiling, version;
        using (var h = await pool.PinAsync(meta, PageAccess.Normal, ct).ConfigureAwait(false))
        {
            h.LatchShared();
            try
            {
                if (!CatalogMeta.IsMeta(h.Page)) throw new HeapCorruptedException($"page {meta} is not the catalog meta page");
                for (int i = 0; i < heaps.Length; i++) heaps[i] = CatalogMeta.Heap(h.Page, i);
                ceiling = CatalogMeta.OidCeiling(h.Page);
                version = CatalogMeta.Version(h.Page);
            }
            finally { h.UnlatchShared(); }
        }
        var cat = new Catalog(pool, alloc, txm, meta, heaps, ceiling);
        // A DDL transaction of a crashed writer left the version odd: it ended (aborted) with the crash.
        if ((version & 1) != 0) await cat.BumpVersionAsync(ct).ConfigureAwait(false);
        await cat.RefreshAsync(ct).ConfigureAwait(false);
        return cat;
    }

    /// <summary>
    /// Loads the catalog as <paramref name="snap"/> sees it — e.g. a reader instance at its read
    /// point (with <see cref="Snapshot.AtReadPoint"/>) over a pool whose volume reads at that point.
    /// </summary>
    public static async ValueTask<CatalogSnapshot> LoadAsync(BufferPool pool, Snapshot snap, CancellationToken ct = default)
    {
        ulong meta;
        using (var h = await pool.PinAsync(SuperBlock.PageNo, PageAccess.Normal, ct).ConfigureAwait(false))
        {
            h.LatchShared();
            try { meta = SuperBlock.Root(h.Page, RootSlot.Catalog); }
            finally { h.UnlatchShared(); }
        }
        if (meta == 0) throw new InvalidOperationException("the volume has no catalog");
        var heaps = new HeapTable[SystemTables.Count];
        ulong version;
        using (var h = await pool.PinAsync(meta, PageAccess.Normal, ct).ConfigureAwait(false))
        {
            h.LatchShared();
            try
            {
                version = CatalogMeta.Version(h.Page);
                for (int i = 0; i < heaps.Length; i++) heaps[i] = HeapTable.Open(pool, new PageAllocator(pool), CatalogMeta.Heap(h.Page, i));
            }
            finally { h.UnlatchShared(); }
        }
        return await CatalogSnapshot.LoadAsync(heaps, version, snap, ct).ConfigureAwait(false);
    }

    private static async ValueTask<ulong> CreateAsync(BufferPool pool, PageAllocator alloc, CancellationToken ct)
    {
        var heaps = new HeapTable[SystemTables.Count];
        for (int i = 0; i < heaps.Length; i++) heaps[i] = await HeapTable.CreateAsync(pool, alloc, ct).ConfigureAwait(false);
        ulong meta = await alloc.AllocateAsync(ct).ConfigureAwait(false);
        using (var mtr = new EngineMtr(pool))
        {
            var h = await mtr.CreatePageAsync(meta, ct).ConfigureAwait(false);
            var body = new byte[CatalogMeta.OffHeaps + SystemTables.Count * 8 - CatalogMeta.OffKind];
            body[0] = (byte)PageKind.Catalog;
            body[1] = CatalogMeta.SubkindMeta;
            BitConverter.TryWriteBytes(body.AsSpan(CatalogMeta.OffFormat - 16), CatalogMeta.Format);
            BitConverter.TryWriteBytes(body.AsSpan(CatalogMeta.OffOidCeiling - 16), (ulong)CatalogOids.FirstNormal);
            for (int i = 0; i < heaps.Length; i++) BitConverter.TryWriteBytes(body.AsSpan(CatalogMeta.OffHeaps - 16 + i * 8), heaps[i].MetaPage);
            CatalogMeta.WriteBytes(mtr, h, CatalogMeta.OffKind, body);
            await mtr.CommitAsync(ct).ConfigureAwait(false);
        }
        // Built-in objects, inserted frozen (visible to every snapshot).
        async ValueTask Put(int table, params object?[] v) =>
            await heaps[table].InsertAsync(Xids.Frozen, 0, SystemTables.Encode(table, v), ct).ConfigureAwait(false);
        await Put(SystemTables.Namespace, (long)CatalogOids.PgCatalogNamespace, "pg_catalog").ConfigureAwait(false);
        await Put(SystemTables.Namespace, (long)CatalogOids.PgToastNamespace, "pg_toast").ConfigureAwait(false);
        await Put(SystemTables.Namespace, (long)CatalogOids.PublicNamespace, "public").ConfigureAwait(false);
        await Put(SystemTables.Database, (long)CatalogOids.PostgresDatabase, "postgres").ConfigureAwait(false);
        await Put(SystemTables.AuthId, (long)CatalogOids.SuperuserRole, "postgres", true).ConfigureAwait(false);
        // Linked last: a crash before this leaves only unreachable pages and the next open starts over.
        using (var mtr = new EngineMtr(pool))
        {
            await PageAllocator.SetRootAsync(mtr, RootSlot.Catalog, meta, ct).ConfigureAwait(false);
            await mtr.CommitAsync(ct).ConfigureAwait(false);
        }
        return meta;
    }

    // ---------------------------------------------------------------- views

    /// <summary>
    /// The catalog as <paramref name="tx"/> sees it: its own DDL so far if it is the DDL
    /// transaction, else <see cref="Current"/> (the latest committed catalog, as PostgreSQL's
    /// catalog snapshots are).
    /// </summary>
    public CatalogSnapshot View(Transaction? tx) =>
        tx is not null && ReferenceEquals(tx, _ddlOwner) && _ownerView is not null ? _ownerView : Current;

    private async ValueTask RefreshAsync(CancellationToken ct)
    {
        var snap = Snapshot.AtReadPoint(_txm.Store, _pool.Volume.Vdl);
        var v = await CatalogSnapshot.LoadAsync(_heaps, await CatalogMeta.ReadVersionAsync(_pool, _metaPage, ct).ConfigureAwait(false), snap, ct)
            .ConfigureAwait(false);
        Volatile.Write(ref _current, v);
    }

    private async ValueTask<CatalogSnapshot> ReloadOwnerViewAsync(Transaction tx, CancellationToken ct)
    {
        tx.CommandCounterIncrement();
        var snap = new Snapshot(_txm.Store, _pool.Volume.Vdl, tx, tx.CommandId);
        var v = await CatalogSnapshot.LoadAsync(_heaps, await CatalogMeta.ReadVersionAsync(_pool, _metaPage, ct).ConfigureAwait(false), snap, ct)
            .ConfigureAwait(false);
        _ownerView = v;
        return v;
    }

    // ---------------------------------------------------------------- DDL protocol

    /// <summary>Makes <paramref name="tx"/> the DDL transaction (waiting for another to end) and returns its xid.</summary>
    private async ValueTask<(ulong Xid, CatalogSnapshot View)> BeginDdlAsync(Transaction tx, CancellationToken ct)
    {
        if (!ReferenceEquals(_ddlOwner, tx))
        {
            await _ddlGate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                await BumpVersionAsync(ct).ConfigureAwait(false); // → odd
                _ddlOwner = tx;
                _ownerView = Current;
            }
            catch
            {
                _ddlGate.Release();
                throw;
            }
        }
        ulong xid = await _txm.AssignXidAsync(tx, ct).ConfigureAwait(false);
        return (xid, _ownerView!);
    }

    /// <summary>
    /// Call after <paramref name="tx"/> committed or rolled back (the <see cref="Database"/> does):
    /// if it changed the catalog, bumps the version, refreshes <see cref="Current"/> and lets the
    /// next DDL transaction in.
    /// </summary>
    public async ValueTask EndTransactionAsync(Transaction tx, CancellationToken ct = default)
    {
        if (!ReferenceEquals(_ddlOwner, tx)) return;
        try
        {
            await BumpVersionAsync(CancellationToken.None).ConfigureAwait(false); // → even
            await RefreshAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _ddlOwner = null;
            _ownerView = null;
            _ddlGate.Release();
        }
    }

    private async ValueTask BumpVersionAsync(CancellationToken ct)
    {
        using var mtr = new EngineMtr(_pool);
        var h = await mtr.GetForWriteAsync(_metaPage, ct).ConfigureAwait(false);
        CatalogMeta.WriteU64(mtr, h, CatalogMeta.OffVersion, CatalogMeta.Version(h.Page) + 1);
        ulong lsn = await mtr.CommitAsync(ct).ConfigureAwait(false);
        await _pool.Volume.WaitDurableAsync(lsn, ct).ConfigureAwait(false);
    }

    /// <summary>A new OID (≥ 16384), never handed out before, even across crashes.</summary>
    public async ValueTask<uint> AllocateOidAsync(CancellationToken ct = default)
    {
        await _oidGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_nextOid >= _oidCeiling)
            {
                ulong ceiling = _oidCeiling + CatalogMeta.OidBatch;
                if (ceiling > uint.MaxValue) throw new CatalogException("54000", "OID space exhausted");
                using var mtr = new EngineMtr(_pool);
                var h = await mtr.GetForWriteAsync(_metaPage, ct).ConfigureAwait(false);
                CatalogMeta.WriteU64(mtr, h, CatalogMeta.OffOidCeiling, ceiling);
                // Its LSN precedes every record that uses one of these OIDs: no durability wait needed.
                await mtr.CommitAsync(ct).ConfigureAwait(false);
                _oidCeiling = ceiling;
            }
            return (uint)_nextOid++;
        }
        finally { _oidGate.Release(); }
    }

    private async ValueTask InsertRowAsync(int table, ulong xid, uint cid, CancellationToken ct, params object?[] values) =>
        await _heaps[table].InsertAsync(xid, cid, SystemTables.Encode(table, values), ct).ConfigureAwait(false);

    private async ValueTask UpdateRowAsync(int table, Tid tid, ulong xid, uint cid, CancellationToken ct, params object?[] values)
    {
        var r = await _heaps[table].UpdateAsync(tid, xid, cid, SystemTables.Encode(table, values), ct: ct).ConfigureAwait(false);
        if (r.Status != SetXmaxStatus.Ok) throw new HeapCorruptedException($"catalog row {tid} of system table {table} could not be updated ({r.Status})");
    }

    private async ValueTask DeleteRowAsync(int table, Tid tid, ulong xid, uint cid, CancellationToken ct)
    {
        var r = await _heaps[table].SetXmaxAsync(tid, xid, cid, Redo.Heap.HeapInfomask.None, ct: ct).ConfigureAwait(false);
        if (r.Status != SetXmaxStatus.Ok) throw new HeapCorruptedException($"catalog row {tid} of system table {table} could not be deleted ({r.Status})");
    }
}
