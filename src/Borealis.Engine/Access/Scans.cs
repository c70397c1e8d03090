using System.Buffers;
using Borealis.Engine.BTree;
using Borealis.Engine.Heap;
using Borealis.Engine.Txn;

namespace Borealis.Engine.Access;

/// <summary>
/// A sequential scan of the versions a snapshot sees (<see cref="Table.Scan"/>). Each visible row
/// is copied into the scan's own buffer (<see cref="Row"/>, valid until the next move); nothing is
/// allocated per row or per page (the buffer grows only for longer rows). One consumer.
/// </summary>
public sealed class TableScan : IDisposable
{
    private readonly Table _table;
    private readonly Snapshot _snapshot;
    private HeapScan? _scan;
    private byte[] _row = ArrayPool<byte>.Shared.Rent(1024);
    private int _len;
    private bool _onPage;

    internal TableScan(Table table, Snapshot snapshot)
    {
        _table = table;
        _snapshot = snapshot;
        _scan = table.Heap.Scan();
    }

    public Tid Tid { get; private set; }
    public ReadOnlySpan<byte> Row => _row.AsSpan(0, _len);

    public async ValueTask<bool> MoveNextAsync(CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(_scan is null, this);
        while (true)
        {
            if (!_onPage)
            {
                if (!await _scan.NextPageAsync(ct).ConfigureAwait(false)) return false;
                _onPage = true;
            }
            var step = Step(out ulong pending, out var header, out bool overflow);
            if (step == Table.StepEnd)
            {
                _onPage = false;
                continue;
            }
            if (step == Table.StepPending)
            {
                // Row (or its overflow pointer) and header were copied: load the status and decide again.
                do
                {
                    await _snapshot.LoadStatusAsync(pending, ct).ConfigureAwait(false);
                } while (_snapshot.Check(Table.Xact(header), out pending) == Visibility.NeedStatus);
                if (_snapshot.Check(Table.Xact(header), out _) != Visibility.Visible) continue;
                step = Table.StepVisible;
            }
            if (overflow)
            {
                while (true)
                {
                    var f = await _table.Heap.FetchAsync(Tid, _row, ct).ConfigureAwait(false);
                    if (f.Status == FetchStatus.BufferTooSmall) { Grow(f.Length); continue; }
                    if (f.Status != FetchStatus.Ok) throw new HeapCorruptedException($"visible version {Tid} of {_table.Name} cannot be read ({f.Status})");
                    _len = f.Length;
                    break;
                }
            }
            return true;
        }
    }

    private int Step(out ulong pending, out HeapTupleHeader header, out bool overflow)
    {
        pending = 0;
        while (_scan!.TryNext(out var t))
        {
            header = t.Header;
            overflow = t.HasOverflow;
            var v = _snapshot.Check(Table.Xact(header), out pending);
            if (v == Visibility.Invisible) continue;
            Tid = t.Tid;
            if (!overflow)
            {
                if (t.Data.Length > _row.Length) Grow(t.Data.Length);
                t.Data.CopyTo(_row);
                _len = t.Data.Length;
            }
            return v == Visibility.Visible ? Table.StepVisible : Table.StepPending;
        }
        header = default;
        overflow = false;
        return Table.StepEnd;
    }

    private void Grow(int len)
    {
        ArrayPool<byte>.Shared.Return(_row);
        _row = ArrayPool<byte>.Shared.Rent(len);
    }

    public void Dispose()
    {
        _scan?.Dispose();
        _scan = null;
        if (_row.Length > 0) ArrayPool<byte>.Shared.Return(_row);
        _row = [];
    }
}

/// <summary>
/// An index scan: entries of one index in key order (either direction) within a range of key
/// prefixes, each resolved to the version the snapshot sees (<see cref="Row"/>, copied into the
/// scan's buffer, valid until the next move). A range scan records a relation-level SERIALIZABLE
/// read. Reusable through <see cref="Reset"/>; nothing is allocated per row. One consumer.
/// </summary>
public sealed class IndexScan : IDisposable
{
    private static readonly byte[] AllTids = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];

    private readonly Table _table;
    private readonly int _index;
    private readonly BTreeCursor _cursor;
    private readonly byte[] _prefix = new byte[BPlusTree.MaxKeyLength];
    private byte[] _row = ArrayPool<byte>.Shared.Rent(1024);
    private Snapshot _snapshot;
    private int _len;

    public IndexScan(Table table, int index)
    {
        _table = table;
        _index = index;
        _cursor = new BTreeCursor(table.Trees[index]);
    }

    public Tid Tid { get; private set; }
    public ReadOnlySpan<byte> Row => _row.AsSpan(0, _len);
    /// <summary>The current entry's key columns (without the TID suffix).</summary>
    public ReadOnlySpan<byte> KeyPrefix => _prefix.AsSpan(0, _prefixLen);
    private int _prefixLen;

    /// <summary>Entries whose key columns equal <paramref name="prefix"/> (or start with it, for a leading-column prefix).</summary>
    public static PrefixRange Equal(ReadOnlyMemory<byte> prefix) => new(prefix, true, true, prefix, true, true);

    /// <summary>A range over encoded key prefixes; a missing bound is open.</summary>
    public static PrefixRange Between(ReadOnlyMemory<byte>? lower, bool lowerInclusive, ReadOnlyMemory<byte>? upper, bool upperInclusive)
        => new(lower ?? default, lower.HasValue, lowerInclusive, upper ?? default, upper.HasValue, upperInclusive);

    public void Reset(in PrefixRange range, ScanDirection direction, Snapshot snapshot)
    {
        _snapshot = snapshot;
        snapshot.Owner?.RecordRelationRead(_table.RelationId);
        // Entry keys are prefix + TID (and, for a leading-column prefix, further columns whose tag byte is ≤ 2):
        // "≤ prefix" becomes "≤ prefix + FF…", "> prefix" becomes "> prefix + FF…".
        var r = new BTreeRange
        {
            HasLower = range.HasLower,
            Lower = range.HasLower && !range.LowerInclusive ? Concat(range.Lower) : range.Lower,
            LowerInclusive = range.LowerInclusive,
            HasUpper = range.HasUpper,
            Upper = range.HasUpper && range.UpperInclusive ? Concat(range.Upper) : range.Upper,
            UpperInclusive = range.UpperInclusive,
        };
        _cursor.Reset(r, direction);
    }

    private static byte[] Concat(ReadOnlyMemory<byte> prefix)
    {
        var b = new byte[prefix.Length + AllTids.Length];
        prefix.Span.CopyTo(b);
        AllTids.CopyTo(b, prefix.Length);
        return b;
    }

    public async ValueTask<bool> MoveNextAsync(CancellationToken ct = default)
    {
        while (await _cursor.MoveNextAsync(ct).ConfigureAwait(false))
        {
            var key = _cursor.Key;
            if (key.Length < 8) continue;
            var tid = Table.EntryTid(key);
            _prefixLen = key.Length - 8;
            key[.._prefixLen].CopyTo(_prefix);
            while (true)
            {
                var r = await _table.FetchVisibleAsync(tid, _index, _prefix.AsMemory(0, _prefixLen), _snapshot, _row, ct).ConfigureAwait(false);
                if (!r.Found) break;
                if (r.Length > _row.Length)
                {
                    ArrayPool<byte>.Shared.Return(_row);
                    _row = ArrayPool<byte>.Shared.Rent(r.Length);
                    continue;
                }
                Tid = r.Tid;
                _len = r.Length;
                return true;
            }
        }
        return false;
    }

    public void Dispose()
    {
        if (_row.Length > 0) ArrayPool<byte>.Shared.Return(_row);
        _row = [];
    }
}

/// <summary>A range of encoded key prefixes for <see cref="IndexScan"/>.</summary>
public readonly record struct PrefixRange(ReadOnlyMemory<byte> Lower, bool HasLower, bool LowerInclusive,
    ReadOnlyMemory<byte> Upper, bool HasUpper, bool UpperInclusive);
