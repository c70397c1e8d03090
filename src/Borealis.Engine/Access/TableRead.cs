using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Borealis.Engine.BTree;
using Borealis.Engine.Buffer;
using Borealis.Engine.Heap;
using Borealis.Engine.Txn;
using Borealis.Redo.Heap;

namespace Borealis.Engine.Access;

public sealed partial class Table
{
    private const int WalkNone = 0, WalkFound = 1, WalkNeedStatus = 2;
    internal const int StepEnd = 0, StepVisible = 1, StepPending = 2;

    /// <summary>
    /// Point lookup through index <paramref name="index"/>: the version of the row with key
    /// <paramref name="keyPrefix"/> (the encoded key columns, as <see cref="EncodeKey"/> writes them)
    /// that <paramref name="snapshot"/> sees, copied into <paramref name="dest"/>. When the row is
    /// longer than <paramref name="dest"/>, Found is true, nothing is copied and Length says how much
    /// is needed. For a unique index this is the row; for a non-unique one the first visible match.
    /// Records the SERIALIZABLE read (the row's page, or the whole relation when nothing matched).
    /// Completes synchronously and allocates nothing when the index and heap pages are cached.
    /// </summary>
    public async ValueTask<LookupResult> LookupAsync(int index, ReadOnlyMemory<byte> keyPrefix, Snapshot snapshot, Memory<byte> dest,
        CancellationToken ct = default)
    {
        var tids = await Trees[index].VisitPrefixAsync(keyPrefix, new TidBuffer(keyPrefix.Length + TidBytes), ct).ConfigureAwait(false);
        int n = Math.Min(tids.Count, TidBuffer.Capacity);
        for (int i = 0; i < n; i++)
        {
            var r = await FetchVisibleAsync(Tid.FromPacked(tids[i]), index, keyPrefix, snapshot, dest, ct).ConfigureAwait(false);
            if (r.Found)
            {
                snapshot.Owner?.RecordRead(RelationId, r.Tid.Page);
                return r;
            }
        }
        if (tids.Count > TidBuffer.Capacity)
        {
            // Many versions of one key: take the rest the slow way.
            using var scan = new IndexScan(this, index);
            scan.Reset(IndexScan.Equal(keyPrefix), ScanDirection.Forward, snapshot);
            while (await scan.MoveNextAsync(ct).ConfigureAwait(false))
            {
                if (scan.Row.Length <= dest.Length) scan.Row.CopyTo(dest.Span);
                return new LookupResult(true, scan.Tid, scan.Row.Length);
            }
        }
        snapshot.Owner?.RecordRelationRead(RelationId);
        return default;
    }

    /// <summary>
    /// The version the snapshot sees among the one at <paramref name="tid"/> and its HOT successors,
    /// copied into <paramref name="dest"/> (nothing copied when too small; Length says the size).
    /// With <paramref name="index"/> ≥ 0 the first version must carry key <paramref name="keyPrefix"/>
    /// (an entry whose slot was reused leads nowhere).
    /// </summary>
    internal async ValueTask<LookupResult> FetchVisibleAsync(Tid tid, int index, ReadOnlyMemory<byte> keyPrefix, Snapshot snapshot,
        Memory<byte> dest, CancellationToken ct)
    {
        if (tid.Page == 0 || tid.Page >= Heap.Pool.Volume.PageCount) return default;
        while (true)
        {
            if (!Heap.Pool.TryPinCached(tid.Page, out var h)) h = await Heap.Pool.PinAsync(tid.Page, PageAccess.Normal, ct).ConfigureAwait(false);
            int res, slot, len = 0;
            ulong pending;
            bool overflow = false;
            using (h)
            {
                h.LatchShared();
                try
                {
                    var page = (ReadOnlySpan<byte>)h.Page;
                    res = WalkLatched(page, tid.Page, tid.Slot, index, keyPrefix.Span, snapshot, out slot, out pending);
                    if (res == WalkFound)
                    {
                        var t = HeapPage.Tuple(page, slot);
                        var data = t[HeapTuple.HeaderSize..];
                        overflow = (HeapTuple.Infomask(t) & HeapInfomask.HasOverflow) != 0;
                        if (!overflow)
                        {
                            len = data.Length;
                            if (len <= dest.Length) data.CopyTo(dest.Span);
                        }
                    }
                }
                finally { h.UnlatchShared(); }
            }
            if (res == WalkNeedStatus)
            {
                await snapshot.LoadStatusAsync(pending, ct).ConfigureAwait(false);
                continue;
            }
            if (res == WalkNone) return default;
            var found = new Tid(tid.Page, (ushort)slot);
            if (overflow)
            {
                // A visible version is not pruned while our snapshot lives: its chain is stable.
                var f = await Heap.FetchAsync(found, dest, ct).ConfigureAwait(false);
                if (f.Status == FetchStatus.NotFound) return default;
                if (f.Status == FetchStatus.Corrupt) HeapCorrupt(found);
                len = f.Length;
            }
            return new LookupResult(true, found, len);
        }
    }

    private static void HeapCorrupt(Tid tid) => throw new HeapCorruptedException($"overflow chain of visible version {tid} is broken");

    /// <summary>Walks from <paramref name="firstSlot"/> along HOT links under the page's latch; see <see cref="FetchVisibleAsync"/>.</summary>
    private int WalkLatched(ReadOnlySpan<byte> page, ulong pageNo, int firstSlot, int index, ReadOnlySpan<byte> keyPrefix, in Snapshot snapshot,
        out int foundSlot, out ulong pending)
    {
        foundSlot = 0;
        pending = 0;
        if (!Heap.IsOurs(page)) return WalkNone;
        int slot = firstSlot;
        ReadOnlySpan<byte> prev = default;
        ulong prevXmax = 0;
        bool prevOverflow = false;
        for (int steps = 0; steps < HeapPage.MaxSlots; steps++)
        {
            var t = HeapPage.Tuple(page, slot);
            if (t.IsEmpty) return WalkNone;
            var hdr = HeapTupleHeader.Read(t);
            var data = t[HeapTuple.HeaderSize..];
            if (steps == 0)
            {
                if (index >= 0 && !hdr.HasOverflow && !KeyIs(index, data, keyPrefix)) return WalkNone;
            }
            else if (hdr.Xmin != prevXmax || prevOverflow || hdr.HasOverflow || !SameKeys(prev, data)) return WalkNone;
            var v = snapshot.Check(Xact(hdr), out pending);
            if (v == Visibility.NeedStatus) return WalkNeedStatus;
            if (v == Visibility.Visible)
            {
                foundSlot = slot;
                return WalkFound;
            }
            if ((hdr.Infomask & HeapInfomask.Updated) == 0 || hdr.Ctid.Page != pageNo || hdr.Ctid.Slot == slot) return WalkNone;
            prev = data;
            prevXmax = hdr.Xmax;
            prevOverflow = hdr.HasOverflow;
            slot = hdr.Ctid.Slot;
        }
        return WalkNone;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool KeyIs(int index, ReadOnlySpan<byte> row, ReadOnlySpan<byte> key)
    {
        Span<byte> k = stackalloc byte[BPlusTree.MaxKeyLength];
        int len = EncodeKey(index, row, k, out _);
        return len == key.Length && k[..len].SequenceEqual(key);
    }

    /// <summary>Starts a sequential scan of the versions <paramref name="snapshot"/> sees (records a relation read for SERIALIZABLE).</summary>
    public TableScan Scan(Snapshot snapshot)
    {
        snapshot.Owner?.RecordRelationRead(RelationId);
        return new TableScan(this, snapshot);
    }

    /// <summary>Collects up to <see cref="Capacity"/> TIDs of entries of one exact key length, inline.</summary>
    internal struct TidBuffer(int keyLength) : IBTreeVisitor
    {
        public const int Capacity = 8;
        private TidArray _tids;
        public int Count { get; private set; }
        public readonly ulong this[int i] => _tids[i];

        public bool Visit(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
        {
            if (key.Length != keyLength) return true;
            if (Count < Capacity) _tids[Count] = BinaryPrimitives.ReadUInt64BigEndian(key[^TidBytes..]);
            Count++;
            return Count <= Capacity;
        }
    }

    [InlineArray(TidBuffer.Capacity)]
    internal struct TidArray
    {
        private ulong _first;
    }
}
