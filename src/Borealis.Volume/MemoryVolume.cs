using System.Buffers.Binary;
using Borealis.Redo;

namespace Borealis.Volume;

/// <summary>
/// A volume held in process memory, for engine unit tests and tools. It stamps records exactly
/// like <see cref="WriterVolume"/> (dense LSNs, CPL on the last record of an MTR, CRC) and
/// materialises pages with <see cref="PageApply"/> from the records it keeps, as a storage node
/// does, so tests can compare a writer's cached page with the page "storage" builds.
/// Durability is immediate unless <see cref="HoldDurability"/> is set, in which case VDL only
/// moves on <see cref="MakeDurable"/> (to test rules such as "evict only at or below VDL").
/// Thread-safe (one lock); not fast, not durable across processes.
/// </summary>
public sealed class MemoryVolume : IRedoVolume
{
    private readonly Lock _lock = new();
    private readonly Dictionary<ulong, List<byte[]>> _recordsByPage = [];
    private readonly List<(ulong Lsn, TaskCompletionSource Tcs)> _waiters = [];
    private ulong _next = 1;
    private ulong _appendedCpl;
    private ulong _vdl;
    private bool _hold;

    public MemoryVolume(ulong pageCount = 1 << 20) => PageCount = pageCount;

    public ulong PageCount { get; }
    public ulong Vdl { get { lock (_lock) return _vdl; } }
    public ulong MinReadPoint { get; private set; }
    public long RecordCount { get; private set; }
    public long RedoBytes { get; private set; }
    public int PageReads { get; private set; }

    /// <summary>While set, appended MTRs stay above VDL until <see cref="MakeDurable"/>.</summary>
    public bool HoldDurability
    {
        get { lock (_lock) return _hold; }
        set { if (!value) MakeDurable(ulong.MaxValue); lock (_lock) _hold = value; }
    }

    public ValueTask<ulong> AppendAsync(MiniTransaction mtr, CancellationToken ct = default)
    {
        if (mtr.IsEmpty) throw new ArgumentException("empty mini-transaction", nameof(mtr));
        List<TaskCompletionSource>? release = null;
        ulong last;
        lock (_lock)
        {
            var span = mtr.Records;
            int n = mtr.Count, i = 0;
            ulong lsn = 0;
            for (int off = 0; off < span.Length;)
            {
                int len = RedoRecord.Length(span[off..]);
                var rec = span.Slice(off, len).ToArray();
                ulong page = RedoRecord.PageNo(rec);
                if (page >= PageCount) throw new ArgumentOutOfRangeException(nameof(mtr), $"page {page} is outside the volume ({PageCount} pages)");
                lsn = _next++;
                BinaryPrimitives.WriteUInt64LittleEndian(rec.AsSpan(RedoRecord.OffVolume), 1);
                RedoRecord.Restamp(rec, lsn, lsn - 1, 1, ++i == n ? RedoFlags.Cpl : RedoFlags.None);
                if (!_recordsByPage.TryGetValue(page, out var list)) _recordsByPage[page] = list = [];
                list.Add(rec);
                RecordCount++;
                RedoBytes += len;
                off += len;
            }
            last = lsn;
            _appendedCpl = lsn;
            if (!_hold) release = AdvanceLocked(lsn);
        }
        Release(release);
        return new ValueTask<ulong>(last);
    }

    /// <summary>Moves VDL up to <paramref name="lsn"/> (capped at the last appended consistency point).</summary>
    public void MakeDurable(ulong lsn)
    {
        List<TaskCompletionSource>? release;
        lock (_lock) release = AdvanceLocked(Math.Min(lsn, _appendedCpl));
        Release(release);
    }

    private List<TaskCompletionSource>? AdvanceLocked(ulong vdl)
    {
        if (vdl <= _vdl) return null;
        _vdl = vdl;
        List<TaskCompletionSource>? done = null;
        for (int i = _waiters.Count - 1; i >= 0; i--)
        {
            if (_waiters[i].Lsn > vdl) continue;
            (done ??= []).Add(_waiters[i].Tcs);
            _waiters.RemoveAt(i);
        }
        return done;
    }

    private static void Release(List<TaskCompletionSource>? done)
    {
        if (done is null) return;
        foreach (var t in done) t.TrySetResult();
    }

    public ValueTask WaitDurableAsync(ulong lsn, CancellationToken ct = default)
    {
        lock (_lock)
        {
            if (lsn <= _vdl) return default;
            var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((lsn, tcs));
            return new ValueTask(tcs.Task.WaitAsync(ct));
        }
    }

    public ValueTask ReadPageAsync(ulong pageNo, ulong asOfLsn, Memory<byte> destination, CancellationToken ct = default)
    {
        lock (_lock)
        {
            if (asOfLsn > _vdl) throw new ArgumentOutOfRangeException(nameof(asOfLsn), $"read point {asOfLsn} is above VDL {_vdl}");
            PageReads++;
            MaterialiseLocked(pageNo, asOfLsn, destination.Span[..Page.Size]);
        }
        return default;
    }

    /// <summary>The page as storage would build it as of <paramref name="asOfLsn"/> (any LSN, even above VDL).</summary>
    public byte[] Materialise(ulong pageNo, ulong asOfLsn = ulong.MaxValue)
    {
        var page = new byte[Page.Size];
        lock (_lock) MaterialiseLocked(pageNo, asOfLsn, page);
        return page;
    }

    private void MaterialiseLocked(ulong pageNo, ulong asOfLsn, Span<byte> page)
    {
        page.Clear();
        if (_recordsByPage.TryGetValue(pageNo, out var list))
        {
            foreach (var rec in list)
            {
                if (RedoRecord.Lsn(rec) > asOfLsn) break;
                if (!PageApply.Apply(page, rec))
                    throw new InvalidOperationException($"record {RedoRecord.Lsn(rec)} ({RedoRecord.Type(rec)}) does not apply to page {pageNo}");
            }
        }
        if (Page.GetLsn(page) != 0) Page.SealChecksum(page, pageNo);
    }

    /// <summary>Forgets every record above VDL, as a new writer's recovery truncates them.</summary>
    public void TruncateAboveVdl()
    {
        lock (_lock)
        {
            foreach (var list in _recordsByPage.Values)
                list.RemoveAll(r => RedoRecord.Lsn(r) > _vdl);
            _next = _vdl + 1;
            _appendedCpl = _vdl;
        }
    }

    public void SetMinReadPoint(ulong lsn) { lock (_lock) MinReadPoint = lsn; }
}
