using System.Buffers;
using Borealis.Engine.Buffer;
using Borealis.Redo;
using Borealis.Redo.Heap;

namespace Borealis.Engine.Heap;

/// <summary>
/// A sequential scan over every tuple version of a heap, page by page in directory order.
/// <para>
/// Per page, <see cref="NextPageAsync"/> pins the page with <see cref="PageAccess.Scan"/> (so the
/// scan does not push hot pages out), copies it under a shared latch into the cursor's own buffer
/// and lets go of it at once; <see cref="TryNext"/> then walks the copy synchronously. Nothing is
/// allocated per tuple or per page (the two 8 KiB buffers are pooled and returned on Dispose).
/// The copy is a consistent snapshot of that page; pages added while the scan runs are seen if
/// the scan has not passed their directory entry. Overflow rows appear with
/// <see cref="HeapTupleView.HasOverflow"/> set; read them with <see cref="HeapTable.FetchAsync"/>.
/// </para>
/// Not thread-safe; one consumer.
/// </summary>
public sealed class HeapScan : IDisposable
{
    private const int EntryBatch = 128;

    private readonly HeapTable _table;
    private byte[]? _page = ArrayPool<byte>.Shared.Rent(Page.Size);
    private ulong[]? _entries = ArrayPool<ulong>.Shared.Rent(EntryBatch);
    private int _dirIndex;           // directory page being walked
    private ulong _dirPage;
    private int _dirPos;             // next entry of that directory page to fetch into _entries
    private int _entryCount, _entryNext;
    private ulong _pageNo;
    private int _slot, _slotCount;
    private bool _done;

    internal HeapScan(HeapTable table) => _table = table;

    /// <summary>The page whose tuples <see cref="TryNext"/> returns.</summary>
    public ulong CurrentPage => _pageNo;

    /// <summary>Moves to the next data page; false at the end of the heap.</summary>
    public async ValueTask<bool> NextPageAsync(CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(_page is null, this);
        while (!_done)
        {
            if (_entryNext < _entryCount)
            {
                ulong pageNo = _entries![_entryNext++];
                using var h = await _table.Pool.PinAsync(pageNo, PageAccess.Scan, ct).ConfigureAwait(false);
                h.LatchShared();
                try { h.Page.CopyTo(_page); }
                finally { h.UnlatchShared(); }
                if (!_table.IsOurs(_page)) HeapSpace.ThrowCorrupt($"page {pageNo} is listed in heap {_table.MetaPage} but is not one of its heap pages");
                _pageNo = pageNo;
                _slot = 0;
                _slotCount = HeapPage.SlotCount(_page);
                return true;
            }
            if (_dirPage == 0)
            {
                var (_, dir) = await _table.Space.ReadMetaAsync(_dirIndex, ct).ConfigureAwait(false);
                if (dir == 0) { _done = true; break; }
                _dirPage = dir;
                _dirPos = 0;
            }
            int n = await _table.Space.ReadEntriesAsync(_dirPage, _dirPos, _entries.AsMemory(0, EntryBatch), ct).ConfigureAwait(false);
            _entryCount = n;
            _entryNext = 0;
            _dirPos += n;
            if (n == 0)
            {
                _dirIndex++;
                _dirPage = 0;
            }
        }
        _pageNo = 0;
        _slotCount = 0;
        return false;
    }

    /// <summary>The next tuple version (Normal slot) of the current page; false when the page is exhausted.</summary>
    public bool TryNext(out HeapTupleView tuple)
    {
        var page = _page.AsSpan();
        while (_slot < _slotCount)
        {
            int s = _slot++;
            var t = HeapPage.Tuple((ReadOnlySpan<byte>)page, s);
            if (t.IsEmpty) continue;
            tuple = new HeapTupleView(new Tid(_pageNo, (ushort)s), HeapTupleHeader.Read(t), t[HeapTuple.HeaderSize..]);
            return true;
        }
        tuple = default;
        return false;
    }

    public void Dispose()
    {
        if (_page is not null) ArrayPool<byte>.Shared.Return(_page);
        if (_entries is not null) ArrayPool<ulong>.Shared.Return(_entries);
        _page = null;
        _entries = null;
    }
}

/// <summary>One tuple version seen by a scan; <see cref="Data"/> points into the scan's page copy and is valid until the next <see cref="HeapScan.NextPageAsync"/>.</summary>
public readonly ref struct HeapTupleView(Tid tid, HeapTupleHeader header, ReadOnlySpan<byte> data)
{
    public Tid Tid { get; } = tid;
    public HeapTupleHeader Header { get; } = header;
    /// <summary>The row bytes, or the 16-byte <see cref="OverflowPointer"/> when <see cref="HasOverflow"/>.</summary>
    public ReadOnlySpan<byte> Data { get; } = data;
    public bool HasOverflow => Header.HasOverflow;
    /// <summary>The row's full length (the overflow length for a large row).</summary>
    public int RowLength => HasOverflow && Data.Length == OverflowPointer.Size ? OverflowPointer.Length(Data) : Data.Length;
}
