using Borealis.Engine.Buffer;
using Borealis.Redo;
using Borealis.Volume;

namespace Borealis.Engine.Mtr;

/// <summary>
/// A mini-transaction as the engine builds it: a set of page changes that become durable (and
/// visible to storage and readers) together, ending at one consistency point.
/// <para>
/// Protocol: <see cref="GetForWriteAsync"/> pins and exclusively latches each page the MTR
/// changes (the MTR owns those pins and latches from then on). For every change, <see cref="Add"/>
/// reserves a redo record whose payload the caller fills, and <see cref="Apply"/> applies it to
/// the cached page at once with the shared apply routine, so later steps of the MTR see it.
/// <see cref="CommitAsync"/> appends the records to the volume, which stamps dense consecutive
/// LSNs; the MTR then sets every changed page's LSN to its last record's LSN, re-applies the
/// LSN-dependent records with their real LSN, and releases latches and pins. Because the
/// latches are held from the first change until the LSNs are known, two MTRs that change the
/// same page get LSNs in the order they changed it, so storage, applying by LSN, builds the
/// same bytes.
/// </para>
/// <para>
/// While an MTR holds a changed page its LSN reads as ulong.MaxValue, so the pool cannot evict
/// it. Disposing an MTR that was not committed marks its changed pages for re-reading (their
/// cached bytes hold changes storage will never see). An append failure (the writer was fenced)
/// poisons the pool. Not thread-safe; reusable after commit.
/// </para>
/// </summary>
public sealed class EngineMtr : IDisposable
{
    private const ulong Provisional = ulong.MaxValue;

    private readonly BufferPool _pool;
    private readonly MiniTransaction _mtr = new();
    private readonly List<Held> _held = [];
    private readonly List<(int Offset, PageHandle Page)> _records = [];
    private int _pendingOffset = -1;
    private int _pendingHeld = -1;

    private struct Held
    {
        public PageHandle Handle;
        public ulong LsnBefore;
        public bool Changed;
        public bool Exclusive;
    }

    public EngineMtr(BufferPool pool) => _pool = pool;

    public BufferPool Pool => _pool;
    public int RecordCount => _mtr.Count;
    public int RedoBytes => _mtr.ByteLength;

    /// <summary>Pins and exclusively latches a page for change; returns the held handle (idempotent per page).</summary>
    public async ValueTask<PageHandle> GetForWriteAsync(ulong pageNo, CancellationToken ct = default)
    {
        int i = Find(pageNo);
        if (i >= 0) return _held[i].Handle;
        var h = await _pool.PinAsync(pageNo, PageAccess.Normal, ct).ConfigureAwait(false);
        h.LatchExclusive();
        Track(h);
        return h;
    }

    /// <summary>Pins a page that is being created (zeroed, no read) and latches it exclusively.</summary>
    public async ValueTask<PageHandle> CreatePageAsync(ulong pageNo, CancellationToken ct = default)
    {
        if (Find(pageNo) >= 0) throw new InvalidOperationException($"page {pageNo} is already held by this mini-transaction");
        var h = await _pool.PinNewAsync(pageNo, ct).ConfigureAwait(false);
        h.LatchExclusive();
        Track(h);
        return h;
    }

    /// <summary>
    /// Hands a page the caller already pinned and exclusively latched to the MTR (for latch
    /// coupling done by the caller). The MTR releases latch and pin at commit or dispose.
    /// </summary>
    public void Adopt(PageHandle latchedExclusive)
    {
        if (Find(latchedExclusive.PageNo) >= 0) throw new InvalidOperationException($"page {latchedExclusive.PageNo} is already held by this mini-transaction");
        Track(latchedExclusive);
    }

    /// <summary>Releases a page the MTR holds but has not changed (latch coupling: a parent that turned out safe).</summary>
    public void Release(ulong pageNo)
    {
        int i = Find(pageNo);
        if (i < 0) return;
        var held = _held[i];
        if (held.Changed) throw new InvalidOperationException($"page {pageNo} was changed by this mini-transaction and stays latched until commit");
        held.Handle.UnlatchExclusive();
        held.Handle.Dispose();
        _held.RemoveAt(i);
    }

    private void Track(PageHandle h) =>
        _held.Add(new Held { Handle = h, LsnBefore = Page.GetLsn(h.Page), Exclusive = true });

    private int Find(ulong pageNo)
    {
        for (int i = 0; i < _held.Count; i++)
            if (_held[i].Handle.PageNo == pageNo) return i;
        return -1;
    }

    /// <summary>
    /// Reserves a redo record for a page this MTR holds and returns its payload to fill. Call
    /// <see cref="Apply"/> once the payload is written.
    /// </summary>
    public Span<byte> Add(in PageHandle page, RedoType type, int payloadLength)
    {
        if (_pendingOffset >= 0) throw new InvalidOperationException("the previous record was not applied");
        int i = Find(page.PageNo);
        if (i < 0) throw new InvalidOperationException($"page {page.PageNo} is not held exclusively by this mini-transaction");
        _pendingOffset = _mtr.ByteLength;
        _pendingHeld = i;
        return _mtr.AddRecord(page.PageNo, type, payloadLength);
    }

    /// <summary>Applies the record reserved by the last <see cref="Add"/> to its cached page.</summary>
    public void Apply()
    {
        if (_pendingOffset < 0) throw new InvalidOperationException("no record to apply");
        var held = _held[_pendingHeld];
        var rec = _mtr.Records[_pendingOffset..];
        if (!PageApply.Apply(held.Handle.Page, rec, Provisional))
            ThrowApplyFailed(held.Handle.PageNo, RedoRecord.Type(rec));
        held.Changed = true;
        _held[_pendingHeld] = held;
        _records.Add((_pendingOffset, held.Handle));
        _pendingOffset = -1;
        _pendingHeld = -1;
    }

    /// <summary>Adds a record with the given payload and applies it.</summary>
    public void Log(in PageHandle page, RedoType type, ReadOnlySpan<byte> payload)
    {
        payload.CopyTo(Add(page, type, payload.Length));
        Apply();
    }

    /// <summary>
    /// Appends the MTR's records to the volume and returns the LSN of its consistency point (the
    /// commit point if this MTR commits a transaction). An MTR that changed nothing returns 0.
    /// Latches and pins are released either way; the MTR can be reused.
    /// </summary>
    public async ValueTask<ulong> CommitAsync(CancellationToken ct = default)
    {
        if (_pendingOffset >= 0) throw new InvalidOperationException("a record was added but not applied");
        if (_mtr.IsEmpty)
        {
            ReleaseAll();
            return 0;
        }
        ulong cpl;
        try
        {
            cpl = await _pool.Volume.AppendAsync(_mtr, ct).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            if (ex is VolumeFencedException or ObjectDisposedException) _pool.Poison(ex);
            Abandon();
            throw;
        }
        ulong first = cpl - (ulong)_mtr.Count + 1;
        var all = _mtr.Records;
        for (int r = 0; r < _records.Count; r++)
        {
            var (off, handle) = _records[r];
            var rec = all[off..];
            ulong lsn = first + (ulong)r;
            var page = handle.Page;
            if (RedoFamilies.IsLsnDependent(RedoRecord.Type(rec)))
            {
                if (!PageApply.Apply(page, rec, lsn)) ThrowApplyFailed(handle.PageNo, RedoRecord.Type(rec));
            }
            else
            {
                Page.SetLsn(page, lsn);
            }
        }
        ReleaseAll();
        return cpl;
    }

    private void ReleaseAll()
    {
        for (int i = _held.Count - 1; i >= 0; i--)
        {
            var h = _held[i].Handle;
            h.UnlatchExclusive();
            h.Dispose();
        }
        _held.Clear();
        _records.Clear();
        _mtr.Clear();
        _pendingOffset = -1;
        _pendingHeld = -1;
    }

    /// <summary>Drops the MTR's changes: the changed cached pages are re-read before their next use.</summary>
    private void Abandon()
    {
        foreach (var h in _held)
            if (h.Changed) _pool.MarkForReload(h.Handle.Frame!, h.LsnBefore);
        ReleaseAll();
    }

    public void Dispose()
    {
        if (_held.Count > 0 || !_mtr.IsEmpty) Abandon();
        _mtr.Dispose();
    }

    private static void ThrowApplyFailed(ulong pageNo, RedoType type) =>
        throw new InvalidOperationException($"redo record {type} does not apply to page {pageNo}: the access method built a record its own page cannot take");
}
