using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Borealis.Storage;

/// <summary>Where one held record lives in the hot log, plus the header fields the node decides on.</summary>
[StructLayout(LayoutKind.Auto)]
internal struct RecordEntry
{
    public ulong Lsn;
    public ulong PrevLsn;
    public ulong PageNo;
    public long Offset;
    public int FileNo;
    public int Length;
    public uint Epoch;
    public byte Flags;
}

internal enum InsertResult { Inserted, Replaced, Ignored }

/// <summary>
/// The records a segment holds above its base, as one array of structs sorted by LSN (no object
/// per record). Records usually arrive in LSN order, so an insert is an append; an out-of-order
/// record (gossip, resend) is placed by binary search and a shift.
/// SCL follows the back-links from <see cref="Base"/>: the successor of SCL in the PG's chain,
/// if held, is the next entry above SCL, so advancing is a forward walk.
/// A second, per-page index (page → its held LSNs, ascending; one small array per page, none
/// per record) lets GetPage touch only the records of its page, so coalescing can be lazy.
/// Not thread-safe: the owning <see cref="Segment"/> guards it with its lock.
/// </summary>
internal sealed class RecordIndex
{
    private RecordEntry[] _items = new RecordEntry[64];
    private int _count;
    private readonly Dictionary<ulong, PageLsns> _byPage = [];

    private sealed class PageLsns
    {
        public ulong[] Lsns = new ulong[4];
        public int Count;

        public void Add(ulong lsn)
        {
            if (Count == Lsns.Length) Array.Resize(ref Lsns, Lsns.Length * 2);
            int i = Count;
            while (i > 0 && Lsns[i - 1] > lsn) i--; // almost always appends
            if (i < Count) Array.Copy(Lsns, i, Lsns, i + 1, Count - i);
            Lsns[i] = lsn;
            Count++;
        }

        public void RemoveUpTo(ulong lsn)
        {
            int n = 0;
            while (n < Count && Lsns[n] <= lsn) n++;
            if (n == 0) return;
            Array.Copy(Lsns, n, Lsns, 0, Count - n);
            Count -= n;
        }

        public void Remove(ulong lsn)
        {
            int i = Array.IndexOf(Lsns, lsn, 0, Count);
            if (i < 0) return;
            Array.Copy(Lsns, i + 1, Lsns, i, Count - i - 1);
            Count--;
        }
    }

    /// <summary>Bytes of the held records (what coalescing would fold into pages).</summary>
    public long Bytes { get; private set; }

    /// <summary>Stopwatch timestamp since when the index has held records above its base (0 = none held).</summary>
    public long HeldSinceTicks { get; private set; }

    /// <summary>The held LSNs of one page, ascending (empty if none).</summary>
    public ReadOnlySpan<ulong> PageLsnsOf(ulong pageNo)
        => _byPage.TryGetValue(pageNo, out var l) ? l.Lsns.AsSpan(0, l.Count) : default;

    public ulong Base { get; private set; }
    public ulong Scl { get; private set; }
    public int Count => _count;

    /// <summary>Highest LSN held (possibly above a gap); never below SCL.</summary>
    public ulong MaxLsn => _count == 0 ? Scl : Math.Max(Scl, _items[_count - 1].Lsn);

    public ReadOnlySpan<RecordEntry> All => _items.AsSpan(0, _count);

    /// <summary>Sets the base (e.g. after hydration or at load) and drops everything at or below it.</summary>
    public void ResetBase(ulong baseLsn)
    {
        Base = baseLsn;
        DropUpTo(baseLsn);
        RecomputeScl();
    }

    /// <summary>First index whose LSN is ≥ <paramref name="lsn"/>.</summary>
    public int LowerBound(ulong lsn)
    {
        int lo = 0, hi = _count;
        if (hi > 0 && _items[hi - 1].Lsn < lsn) return hi;
        while (lo < hi)
        {
            int mid = (int)((uint)(lo + hi) >> 1);
            if (_items[mid].Lsn < lsn) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    public bool TryGet(ulong lsn, out RecordEntry entry)
    {
        int i = LowerBound(lsn);
        if (i < _count && _items[i].Lsn == lsn)
        {
            entry = _items[i];
            return true;
        }
        entry = default;
        return false;
    }

    /// <summary>True when a record at this LSN with at least this epoch is held (so a copy would be redundant).</summary>
    public bool Holds(ulong lsn, uint epoch)
    {
        if (lsn <= Base) return true;
        int i = LowerBound(lsn);
        return i < _count && _items[i].Lsn == lsn && _items[i].Epoch >= epoch;
    }

    /// <summary>
    /// Inserts a durable record. A record at or below the base, or an LSN already held with the
    /// same or newer epoch, is ignored (idempotent). A newer-epoch record at a held LSN replaces
    /// the old one: the new writer reassigned that LSN after a recovery.
    /// Call <see cref="AdvanceScl"/> (or <see cref="RecomputeScl"/> after a replace) afterwards.
    /// </summary>
    public InsertResult Insert(in RecordEntry e)
    {
        if (e.Lsn <= Base) return InsertResult.Ignored;
        int i = LowerBound(e.Lsn);
        if (i < _count && _items[i].Lsn == e.Lsn)
        {
            if (_items[i].Epoch >= e.Epoch) return InsertResult.Ignored;
            ref var old = ref _items[i];
            Bytes += e.Length - old.Length;
            if (old.PageNo != e.PageNo)
            {
                RemoveFromPage(old.PageNo, old.Lsn);
                AddToPage(e.PageNo, e.Lsn);
            }
            old = e;
            return InsertResult.Replaced;
        }
        if (_count == _items.Length) Array.Resize(ref _items, _items.Length * 2);
        if (i < _count) Array.Copy(_items, i, _items, i + 1, _count - i);
        _items[i] = e;
        if (_count == 0) HeldSinceTicks = Stopwatch.GetTimestamp();
        _count++;
        Bytes += e.Length;
        AddToPage(e.PageNo, e.Lsn);
        return InsertResult.Inserted;
    }

    public void AdvanceScl()
    {
        ulong scl = Scl;
        int i = LowerBound(scl + 1);
        while (i < _count && _items[i].PrevLsn == scl)
        {
            scl = _items[i].Lsn;
            i++;
        }
        Scl = scl;
    }

    public void RecomputeScl()
    {
        Scl = Base;
        AdvanceScl();
    }

    /// <summary>Drops the records of older epochs above <paramref name="start"/> (the epoch rule); returns how many.</summary>
    public int DiscardDeposed(uint epoch, ulong start)
    {
        int w = 0;
        for (int r = 0; r < _count; r++)
        {
            ref var it = ref _items[r];
            if (it.Epoch < epoch && it.Lsn > start) continue;
            if (w != r) _items[w] = it;
            w++;
        }
        int dropped = _count - w;
        _count = w;
        if (dropped > 0)
        {
            RebuildPages();
            RecomputeScl();
        }
        return dropped;
    }

    /// <summary>Removes one entry (e.g. its bytes in the log turned out corrupt); SCL is recomputed.</summary>
    public bool Remove(ulong lsn)
    {
        int i = LowerBound(lsn);
        if (i >= _count || _items[i].Lsn != lsn) return false;
        Bytes -= _items[i].Length;
        RemoveFromPage(_items[i].PageNo, lsn);
        Array.Copy(_items, i + 1, _items, i, _count - i - 1);
        _count--;
        if (_count == 0) HeldSinceTicks = 0;
        RecomputeScl();
        return true;
    }

    /// <summary>Moves the base forward after coalescing; records at or below it leave memory.</summary>
    public void AdvanceBase(ulong newBase)
    {
        if (newBase <= Base) return;
        Base = newBase;
        DropUpTo(newBase);
        if (Scl < newBase) RecomputeScl();
    }

    private void DropUpTo(ulong lsn)
    {
        int n = LowerBound(lsn + 1);
        if (n == 0) return;
        for (int i = 0; i < n; i++)
        {
            ref var e = ref _items[i];
            Bytes -= e.Length;
            if (_byPage.TryGetValue(e.PageNo, out var l) && l.Count > 0 && l.Lsns[0] <= lsn)
            {
                l.RemoveUpTo(lsn);
                if (l.Count == 0) _byPage.Remove(e.PageNo);
            }
        }
        Array.Copy(_items, n, _items, 0, _count - n);
        _count -= n;
        // What is left has waited since (at most) now: age restarts with each base move.
        HeldSinceTicks = _count == 0 ? 0 : Stopwatch.GetTimestamp();
        if (_items.Length > 1024 && _count < _items.Length / 4) Array.Resize(ref _items, Math.Max(64, _count * 2));
    }

    private void AddToPage(ulong pageNo, ulong lsn)
    {
        if (!_byPage.TryGetValue(pageNo, out var l)) _byPage[pageNo] = l = new PageLsns();
        l.Add(lsn);
    }

    private void RemoveFromPage(ulong pageNo, ulong lsn)
    {
        if (!_byPage.TryGetValue(pageNo, out var l)) return;
        l.Remove(lsn);
        if (l.Count == 0) _byPage.Remove(pageNo);
    }

    private void RebuildPages()
    {
        _byPage.Clear();
        Bytes = 0;
        for (int i = 0; i < _count; i++)
        {
            Bytes += _items[i].Length;
            AddToPage(_items[i].PageNo, _items[i].Lsn);
        }
        if (_count == 0) HeldSinceTicks = 0;
    }
}
