using System.Buffers;
using System.Buffers.Binary;
using Borealis.Engine.BTree;
using Borealis.Engine.Buffer;
using Borealis.Engine.Heap;
using Borealis.Engine.Keys;
using Borealis.Engine.Rows;
using Borealis.Engine.Space;
using Borealis.Engine.Txn;
using Borealis.Redo.Heap;

namespace Borealis.Engine.Access;

/// <summary>
/// A table: one heap (<see cref="HeapTable"/>) and its B+tree indexes, with the MVCC operations
/// the SQL executor needs, following the transaction layer's protocol (<c>Txn/README.md</c>).
/// <para>
/// <b>HOT chains.</b> An update is heap-only (no index entries added) when the new version lands on
/// the old version's page, neither version is stored in overflow pages, and every index key is
/// unchanged. Otherwise the new version gets an entry in every index. The link from a version to
/// its successor is therefore "HOT" exactly when that rule holds, which readers recompute from the
/// two versions themselves (no flag is needed): an index entry leads to its version and then along
/// HOT links on the same page, under one shared latch, to the version the snapshot sees. Vacuum
/// keeps a dead chain root (the version index entries point to) while its chain has a live member
/// and re-points the root's ctid past the removed members (see <c>Vacuum/PagePruner.cs</c>).
/// </para>
/// <para>
/// <b>Row locks.</b> The protocol asks for TryLockTuple and the xmax write under one exclusive page
/// latch; the heap latches inside its own MTRs, so the table serialises the pair per tuple with a
/// striped in-memory lock (held only across TryLockTuple and the compare-and-set heap write, never
/// across a wait) and writes with the observed xmax as the expected one.
/// </para>
/// <para>
/// <b>Unique indexes.</b> The duplicate check (a prefix visit with "dirty" visibility: a version
/// whose insert or delete is in progress is waited for, then the check repeats) and the entry insert
/// run under a striped per-key in-memory lock, so two inserters of one key are serialised. NULL keys
/// never conflict (PostgreSQL's NULLS DISTINCT).
/// </para>
/// Thread-safe. One object per table per process (the stripes must be shared).
/// </summary>
public sealed partial class Table
{
    private const int Stripes = 128;
    private const int TidBytes = 8;

    private readonly SemaphoreSlim[] _rowStripes = NewStripes();
    private readonly SemaphoreSlim[] _keyStripes = NewStripes();
    private long _changes;

    private Table(string name, HeapTable heap, TxnManager txm, ColumnStorage[] layout, IndexDefinition[] defs, BPlusTree[] trees)
    {
        Name = name;
        Heap = heap;
        Txm = txm;
        Layout = layout;
        Indexes = defs;
        Trees = trees;
    }

    public string Name { get; }
    public HeapTable Heap { get; }
    public TxnManager Txm { get; }
    public ColumnStorage[] Layout { get; }
    public IReadOnlyList<IndexDefinition> Indexes { get; }
    /// <summary>The index B+trees, in <see cref="Indexes"/> order (their meta pages identify them).</summary>
    public IReadOnlyList<BPlusTree> Trees { get; }
    /// <summary>The relation id used for row locks and SERIALIZABLE read/write sets: the heap's meta page.</summary>
    public ulong RelationId => Heap.MetaPage;
    /// <summary>Updates and deletes since the last vacuum (what the vacuum worker looks at).</summary>
    public long ChangesSinceVacuum => Interlocked.Read(ref _changes);
    internal void ResetChanges(long seen) => Interlocked.Add(ref _changes, -seen);
    /// <summary>Called (outside any lock) when a change made the table worth vacuuming; set by the vacuum worker.</summary>
    public Action<Table>? ChangeNotifier { get; set; }
    /// <summary>Pages pruned on access because an update found its page full.</summary>
    public long OpportunisticPrunes => Interlocked.Read(ref _opportunisticPrunes);
    private long _opportunisticPrunes;

    public static async ValueTask<Table> CreateAsync(string name, BufferPool pool, PageAllocator allocator, TxnManager txm,
        ColumnStorage[] layout, IndexDefinition[] indexes, CancellationToken ct = default)
    {
        var heap = await HeapTable.CreateAsync(pool, allocator, ct).ConfigureAwait(false);
        var trees = new BPlusTree[indexes.Length];
        for (int i = 0; i < indexes.Length; i++) trees[i] = await BPlusTree.CreateAsync(pool, allocator, ct).ConfigureAwait(false);
        return new Table(name, heap, txm, layout, indexes, trees);
    }

    /// <summary>Opens a table by its heap meta page and its indexes' meta pages (in definition order).</summary>
    public static async ValueTask<Table> OpenAsync(string name, BufferPool pool, PageAllocator allocator, TxnManager txm,
        ColumnStorage[] layout, ulong heapMeta, IndexDefinition[] indexes, ulong[] indexMetas, CancellationToken ct = default)
    {
        var trees = new BPlusTree[indexes.Length];
        for (int i = 0; i < indexes.Length; i++) trees[i] = await BPlusTree.OpenAsync(pool, allocator, indexMetas[i], ct).ConfigureAwait(false);
        return new Table(name, HeapTable.Open(pool, allocator, heapMeta), txm, layout, indexes, trees);
    }

    private static SemaphoreSlim[] NewStripes()
    {
        var s = new SemaphoreSlim[Stripes];
        for (int i = 0; i < s.Length; i++) s[i] = new SemaphoreSlim(1, 1);
        return s;
    }

    private SemaphoreSlim RowStripe(Tid tid) => _rowStripes[(int)((tid.Packed * 0x9E3779B97F4A7C15UL) >> 57) & (Stripes - 1)];

    private SemaphoreSlim KeyStripe(int index, ReadOnlySpan<byte> prefix)
    {
        var h = new HashCode();
        h.Add(index);
        h.AddBytes(prefix);
        return _keyStripes[h.ToHashCode() & (Stripes - 1)];
    }

    // ---------------------------------------------------------------- keys

    /// <summary>
    /// Encodes index <paramref name="index"/>'s key columns of <paramref name="row"/> into
    /// <paramref name="dest"/>; returns the length, or -1 when it does not fit or the row is malformed.
    /// </summary>
    public int EncodeKey(int index, ReadOnlySpan<byte> row, Span<byte> dest, out bool hasNull)
    {
        hasNull = false;
        var def = Indexes[index];
        var enc = new KeyEncoder(dest);
        var rr = new RowReader(row, Layout);
        if (!rr.IsValid) return -1;
        for (int i = 0; i < def.Columns.Length; i++)
        {
            int att = def.Columns[i];
            ref readonly var kc = ref def.KeyColumns[i];
            if (att >= rr.StoredAttributes || rr.IsNull(att))
            {
                hasNull = true;
                enc.WriteNull(kc);
                continue;
            }
            if (!rr.Seek(att)) return -1;
            switch (kc.Type)
            {
                case KeyType.Bool: enc.WriteBool(rr.GetBool(), kc); break;
                case KeyType.Int2: enc.WriteInt16(rr.GetInt16(), kc); break;
                case KeyType.Int4: enc.WriteInt32(rr.GetInt32(), kc); break;
                case KeyType.Int8: enc.WriteInt64(rr.GetInt64(), kc); break;
                case KeyType.Timestamp: enc.WriteTimestamp(rr.GetInt64(), kc); break;
                case KeyType.Float4: enc.WriteFloat32(rr.GetFloat32(), kc); break;
                case KeyType.Float8: enc.WriteFloat64(rr.GetFloat64(), kc); break;
                default: enc.WriteBytes(rr.CurrentBytes, kc); break;
            }
        }
        return enc.Overflowed ? -1 : enc.Length;
    }

    internal static Tid EntryTid(ReadOnlySpan<byte> entryKey) =>
        entryKey.Length < TidBytes ? default : Tid.FromPacked(BinaryPrimitives.ReadUInt64BigEndian(entryKey[^TidBytes..]));

    /// <summary>True when <paramref name="a"/> → <paramref name="b"/> is a HOT link: both inline and every index key equal.</summary>
    internal bool SameKeys(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        if (Indexes.Count == 0) return true;
        Span<byte> ka = stackalloc byte[BPlusTree.MaxKeyLength];
        Span<byte> kb = stackalloc byte[BPlusTree.MaxKeyLength];
        for (int i = 0; i < Indexes.Count; i++)
        {
            int la = EncodeKey(i, a, ka, out _), lb = EncodeKey(i, b, kb, out _);
            if (la < 0 || lb < 0 || !ka[..la].SequenceEqual(kb[..lb])) return false;
        }
        return true;
    }

    internal static TupleXact Xact(in HeapTupleHeader h) => new(h.Xmin, h.Xmax, h.Cmin, h.Cmax,
        (h.Infomask & HeapInfomask.XmaxLockOnly) != 0 ? TupleXactFlags.XmaxLockOnly : TupleXactFlags.None);

    // ---------------------------------------------------------------- insert

    /// <summary>
    /// INSERT one row: a new heap version, then its index entries (unique indexes checked, see the
    /// class remarks). Raises 23505 on a duplicate key, 54000 when a key is too long; the heap
    /// version stays behind as the failed statement's (it dies with the rollback the caller does).
    /// </summary>
    public async ValueTask<Tid> InsertAsync(Transaction tx, ReadOnlyMemory<byte> row, CancellationToken ct = default)
    {
        await Txm.AssignXidAsync(tx, ct).ConfigureAwait(false);
        CheckKeys(row.Span);
        var ins = await Heap.InsertAsync(tx.CurrentXid, tx.CommandId, row, ct).ConfigureAwait(false);
        tx.RecordWrite(RelationId, ins.Tid.Page);
        await InsertEntriesAsync(tx, row, ins.Tid, ct).ConfigureAwait(false);
        return ins.Tid;
    }

    private void CheckKeys(ReadOnlySpan<byte> row)
    {
        Span<byte> k = stackalloc byte[BPlusTree.MaxKeyLength];
        for (int i = 0; i < Indexes.Count; i++)
            if (EncodeKey(i, row, k[..(BPlusTree.MaxKeyLength - TidBytes)], out _) < 0)
                throw new AccessException(AccessException.ProgramLimitExceeded, $"index row size exceeds maximum for index \"{Indexes[i].Name}\"");
    }

    private async ValueTask InsertEntriesAsync(Transaction tx, ReadOnlyMemory<byte> row, Tid tid, CancellationToken ct)
    {
        var buf = ArrayPool<byte>.Shared.Rent(BPlusTree.MaxKeyLength);
        try
        {
            for (int i = 0; i < Indexes.Count; i++)
            {
                int len = EncodeKey(i, row.Span, buf.AsSpan(0, BPlusTree.MaxKeyLength - TidBytes), out bool hasNull);
                BinaryPrimitives.WriteUInt64BigEndian(buf.AsSpan(len), tid.Packed);
                var key = buf.AsMemory(0, len + TidBytes);
                if (!Indexes[i].Unique || hasNull) await Trees[i].InsertAsync(key, ReadOnlyMemory<byte>.Empty, ct).ConfigureAwait(false);
                else await InsertUniqueAsync(tx, i, key, len, tid, ct).ConfigureAwait(false);
            }
        }
        finally { ArrayPool<byte>.Shared.Return(buf); }
    }

    private async ValueTask InsertUniqueAsync(Transaction tx, int index, ReadOnlyMemory<byte> key, int prefixLen, Tid own, CancellationToken ct)
    {
        var prefix = key[..prefixLen];
        var stripe = KeyStripe(index, prefix.Span);
        var tids = new List<ulong>();
        while (true)
        {
            ulong wait = 0;
            bool duplicate = false;
            await stripe.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                tids.Clear();
                await Trees[index].VisitPrefixAsync(prefix, new TidCollector(tids, prefixLen + TidBytes), ct).ConfigureAwait(false);
                foreach (ulong t in tids)
                {
                    var tid = Tid.FromPacked(t);
                    if (tid == own) continue;
                    (duplicate, wait) = await CheckLiveDuplicateAsync(tx, index, tid, own, prefix, ct).ConfigureAwait(false);
                    if (duplicate || wait != 0) break;
                }
                if (!duplicate && wait == 0)
                {
                    await Trees[index].InsertAsync(key, ReadOnlyMemory<byte>.Empty, ct).ConfigureAwait(false);
                    return;
                }
            }
            finally { stripe.Release(); }
            if (duplicate)
                throw new AccessException(AccessException.UniqueViolation, $"duplicate key value violates unique constraint \"{Indexes[index].Name}\"");
            await Txm.WaitForXidAsync(tx, wait, ct).ConfigureAwait(false);
        }
    }

    private readonly struct TidCollector(List<ulong> tids, int keyLength) : IBTreeVisitor
    {
        public bool Visit(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
        {
            // Only entries of exactly this key (a longer key with the same prefix is another value).
            if (key.Length == keyLength) tids.Add(BinaryPrimitives.ReadUInt64BigEndian(key[^TidBytes..]));
            return true;
        }
    }

    /// <summary>
    /// Whether the chain reached from <paramref name="tid"/> holds a version with key
    /// <paramref name="prefix"/> that is live or may become live ("dirty" visibility), or an xid to
    /// wait for first. The chain's headers are read under one shared latch (links on a page are
    /// consistent under its latch), their statuses afterwards.
    /// </summary>
    private async ValueTask<(bool Duplicate, ulong Wait)> CheckLiveDuplicateAsync(Transaction tx, int index, Tid tid, Tid own,
        ReadOnlyMemory<byte> prefix, CancellationToken ct)
    {
        var found = new List<(ulong Xmin, ulong Xmax, bool LockOnly)>();
        using (var h = await Heap.Pool.PinAsync(tid.Page, PageAccess.Normal, ct).ConfigureAwait(false))
        {
            h.LatchShared();
            try { CollectKeyVersions(h.Page, tid, own, index, prefix.Span, found); }
            finally { h.UnlatchShared(); }
        }
        foreach (var (xmin, xmax, lockOnly) in found)
        {
            if (!tx.IsOwnLive(xmin) && xmin != Xids.Frozen)
            {
                var (s, _) = await Txm.GetXidStateAsync(xmin, ct).ConfigureAwait(false);
                if (s == XidState.InProgress) return (false, xmin);
                if (s == XidState.Aborted) continue;
            }
            if (xmax == 0 || lockOnly) return (true, 0);
            if (tx.IsOwnLive(xmax)) continue;
            var (d, _) = await Txm.GetXidStateAsync(xmax, ct).ConfigureAwait(false);
            if (d == XidState.InProgress) return (false, xmax);
            if (d == XidState.Aborted) return (true, 0);
        }
        return (false, 0);
    }

    private void CollectKeyVersions(ReadOnlySpan<byte> page, Tid tid, Tid own, int index, ReadOnlySpan<byte> prefix, List<(ulong, ulong, bool)> found)
    {
        if (!HeapPage.IsHeap(page) || HeapPage.Owner(page) != Heap.MetaPage) return;
        Span<byte> k = stackalloc byte[BPlusTree.MaxKeyLength];
        int slot = tid.Slot;
        ulong prevXmax = 0;
        for (int steps = 0; steps < HeapPage.MaxSlots; steps++)
        {
            var t = HeapPage.Tuple(page, slot);
            if (t.IsEmpty) return;
            var hdr = HeapTupleHeader.Read(t);
            if (steps > 0 && hdr.Xmin != prevXmax) return; // the slot was reused: the chain ended
            prevXmax = hdr.Xmax;
            if (new Tid(tid.Page, (ushort)slot) != own && !hdr.HasOverflow)
            {
                int len = EncodeKey(index, t[HeapTuple.HeaderSize..], k, out _);
                if (len == prefix.Length && k[..len].SequenceEqual(prefix))
                    found.Add((hdr.Xmin, hdr.Xmax, (hdr.Infomask & HeapInfomask.XmaxLockOnly) != 0));
            }
            else if (hdr.HasOverflow && slot == tid.Slot) found.Add((hdr.Xmin, hdr.Xmax, (hdr.Infomask & HeapInfomask.XmaxLockOnly) != 0)); // the entry's own version: its key matched when the entry was made
            if ((hdr.Infomask & HeapInfomask.Updated) == 0 || hdr.Ctid.Page != tid.Page || hdr.Ctid.Slot == slot) return;
            slot = hdr.Ctid.Slot;
        }
    }

    internal void NoteChange()
    {
        Interlocked.Increment(ref _changes);
        ChangeNotifier?.Invoke(this);
    }
}
