using Borealis.Engine.Buffer;
using Borealis.Redo;
using Borealis.Redo.BTree;

namespace Borealis.Engine.BTree;

/// <summary>Key bounds of a range scan. Bound bytes are copied by <see cref="BTreeCursor.Reset"/>.</summary>
public readonly struct BTreeRange
{
    public ReadOnlyMemory<byte> Lower { get; init; }
    public ReadOnlyMemory<byte> Upper { get; init; }
    public bool HasLower { get; init; }
    public bool HasUpper { get; init; }
    public bool LowerInclusive { get; init; }
    public bool UpperInclusive { get; init; }

    public static BTreeRange All => default;

    public static BTreeRange Between(ReadOnlyMemory<byte> lower, bool lowerInclusive, ReadOnlyMemory<byte> upper, bool upperInclusive) => new()
    {
        Lower = lower, HasLower = true, LowerInclusive = lowerInclusive,
        Upper = upper, HasUpper = true, UpperInclusive = upperInclusive,
    };

    public static BTreeRange From(ReadOnlyMemory<byte> lower, bool inclusive = true) => new() { Lower = lower, HasLower = true, LowerInclusive = inclusive };

    public static BTreeRange To(ReadOnlyMemory<byte> upper, bool inclusive = true) => new() { Upper = upper, HasUpper = true, UpperInclusive = inclusive };

    /// <summary>Keys starting with <paramref name="prefix"/>. Allocates the upper bound (once per scan).</summary>
    public static BTreeRange Prefix(ReadOnlyMemory<byte> prefix)
    {
        var span = prefix.Span;
        int n = span.Length;
        while (n > 0 && span[n - 1] == 0xFF) n--;
        if (n == 0) return From(prefix);
        var upper = span[..n].ToArray();
        upper[n - 1]++;
        return Between(prefix, true, upper, false);
    }
}

public enum ScanDirection
{
    Forward,
    Backward,
}

/// <summary>
/// A range scan over a <see cref="BPlusTree"/>, forward or backward. The cursor copies one leaf at a
/// time (under its shared latch) into its own buffer and yields entries from the copy, so it
/// holds no latch or pin between calls and nothing is allocated per entry; <see cref="Key"/> and
/// <see cref="Value"/> are valid until the next move.
/// <para>
/// Consistency: keys present for the whole scan are returned exactly once and in order; keys
/// inserted or deleted concurrently may or may not be seen (callers need MVCC above this).
/// Forward scans follow the right-link saved with the copy (a later split only moves keys the
/// copy already holds). Backward scans have no left-links: after a leaf they descend again for
/// the greatest keys below that leaf's low key (one descent per leaf).
/// </para>
/// Not thread-safe; reusable through <see cref="Reset"/>.
/// </summary>
public sealed class BTreeCursor
{
    private readonly BPlusTree _tree;
    private readonly byte[] _page = new byte[Page.Size];
    private readonly LowKeyTracker _low = new();
    private byte[] _lo = [];
    private byte[] _hi = [];
    private readonly byte[] _target = new byte[BPlusTree.MaxKeyLength];
    private int _loLen, _hiLen, _targetLen;
    private bool _hasLo, _hasHi, _loIncl, _hiIncl;
    private ScanDirection _dir;
    private bool _loaded, _done, _targetStrict, _targetUnbounded;
    private int _index, _count, _current = -1;
    private ulong _next;

    public BTreeCursor(BPlusTree tree) => _tree = tree;

    public ScanDirection Direction => _dir;

    /// <summary>The current entry's key (valid after MoveNextAsync returned true, until the next move).</summary>
    public ReadOnlySpan<byte> Key => BTreeNode.Key(_page, _current);
    public ReadOnlySpan<byte> Value => BTreeNode.Value(_page, _current);

    /// <summary>Starts a new scan.</summary>
    public void Reset(in BTreeRange range, ScanDirection direction = ScanDirection.Forward)
    {
        _dir = direction;
        _hasLo = range.HasLower;
        _hasHi = range.HasUpper;
        _loIncl = range.LowerInclusive;
        _hiIncl = range.UpperInclusive;
        _loLen = Copy(range.Lower.Span, ref _lo, _hasLo);
        _hiLen = Copy(range.Upper.Span, ref _hi, _hasHi);
        _loaded = false;
        _done = false;
        _current = -1;
        if (direction == ScanDirection.Backward)
        {
            _targetUnbounded = !_hasHi;
            _targetStrict = _hasHi && !_hiIncl;
            _targetLen = _hasHi ? Math.Min(_hiLen, _target.Length) : 0;
            if (_hasHi) _hi.AsSpan(0, _targetLen).CopyTo(_target);
            // An upper bound longer than any key: every key below it is also ≤ its MaxKeyLength prefix + more; keep it exact.
            if (_hasHi && _hiLen > _target.Length) _targetStrict = false;
        }
    }

    private static int Copy(ReadOnlySpan<byte> src, ref byte[] buf, bool has)
    {
        if (!has) return 0;
        if (buf.Length < src.Length) buf = new byte[Math.Max(src.Length, 64)];
        src.CopyTo(buf);
        return src.Length;
    }

    private ReadOnlySpan<byte> Lo => _lo.AsSpan(0, _loLen);
    private ReadOnlySpan<byte> Hi => _hi.AsSpan(0, _hiLen);

    /// <summary>Moves to the next entry in scan order; false at the end. Synchronous and allocation-free within a leaf.</summary>
    public ValueTask<bool> MoveNextAsync(CancellationToken ct = default)
    {
        if (_done) return new ValueTask<bool>(false);
        if (_loaded)
        {
            var r = _dir == ScanDirection.Forward ? StepForward() : StepBackward();
            if (r == StepResult.Yield) return new ValueTask<bool>(true);
            if (r == StepResult.End)
            {
                _done = true;
                return new ValueTask<bool>(false);
            }
        }
        return MoveSlowAsync(ct);
    }

    private enum StepResult { Yield, End, NextPage }

    private StepResult StepForward()
    {
        if (_index < _count)
        {
            var key = BTreeNode.Key(_page, _index);
            if (_hasHi)
            {
                int c = key.SequenceCompareTo(Hi);
                if (c > 0 || (c == 0 && !_hiIncl)) return StepResult.End;
            }
            _current = _index++;
            return StepResult.Yield;
        }
        if (_next == 0) return StepResult.End;
        if (_hasHi && BTreeNode.HasHighKey(_page))
        {
            int c = BTreeNode.HighKey(_page).SequenceCompareTo(Hi);
            if (c > 0 || (c == 0 && !_hiIncl)) return StepResult.End; // everything to the right is beyond the bound
        }
        return StepResult.NextPage;
    }

    private StepResult StepBackward()
    {
        if (_index >= 0)
        {
            var key = BTreeNode.Key(_page, _index);
            if (_hasLo)
            {
                int c = key.SequenceCompareTo(Lo);
                if (c < 0 || (c == 0 && !_loIncl)) return StepResult.End;
            }
            _current = _index--;
            return StepResult.Yield;
        }
        // The leaf is done; keys further left are below its low key.
        var low = _low.Key;
        if (low.Length == 0) return StepResult.End; // leftmost leaf
        if (_hasLo && low.SequenceCompareTo(Lo) <= 0) return StepResult.End;
        low.CopyTo(_target);
        _targetLen = low.Length;
        _targetStrict = true;
        _targetUnbounded = false;
        return StepResult.NextPage;
    }

    private async ValueTask<bool> MoveSlowAsync(CancellationToken ct)
    {
        while (true)
        {
            await LoadAsync(ct).ConfigureAwait(false);
            var r = _dir == ScanDirection.Forward ? StepForward() : StepBackward();
            if (r == StepResult.Yield) return true;
            if (r == StepResult.End)
            {
                _done = true;
                return false;
            }
        }
    }

    /// <summary>Copies the next leaf to visit into the cursor and positions in it.</summary>
    private async ValueTask LoadAsync(CancellationToken ct)
    {
        var pool = _tree.Pool;
        PageHandle h;
        BPlusTree.SearchMode mode;
        ReadOnlyMemory<byte> key;
        bool first = !_loaded;
        if (_dir == ScanDirection.Forward)
        {
            mode = BPlusTree.SearchMode.Normal;
            key = _hasLo ? _lo.AsMemory(0, _loLen) : ReadOnlyMemory<byte>.Empty;
            h = first
                ? await _tree.DescendAsync(key, mode, 0, null, ct).ConfigureAwait(false)
                : await pool.PinAsync(_next, PageAccess.Normal, ct).ConfigureAwait(false);
        }
        else
        {
            mode = _targetUnbounded ? BPlusTree.SearchMode.Rightmost : _targetStrict ? BPlusTree.SearchMode.Before : BPlusTree.SearchMode.Normal;
            key = _target.AsMemory(0, _targetLen);
            h = await _tree.DescendAsync(key, mode, 0, null, ct, _low).ConfigureAwait(false);
        }
        bool checkRight = _dir == ScanDirection.Backward || first;
        while (true)
        {
            ulong next = 0;
            bool again = false;
            h.LatchShared();
            try
            {
                var page = h.Page;
                BPlusTree.CheckNode(page, h.PageNo);
                if (!BTreeNode.IsLeaf(page)) BPlusTree.ThrowCorrupt(h.PageNo, "is not a leaf where a leaf was expected");
                if (checkRight && BPlusTree.MustMoveRight(page, key.Span, mode))
                {
                    if (_dir == ScanDirection.Backward) _low.Set(BTreeNode.HighKey(page));
                    next = BTreeNode.RightLink(page);
                }
                // A dead leaf reached by a stale link while positioning: its range now belongs to its
                // left sibling, so position again from the root. (Stepping right onto one is fine: it is empty.)
                else if (checkRight && BTreeNode.IsDead(page)) again = true;
                else page.CopyTo(_page);
            }
            finally
            {
                h.UnlatchShared();
                h.Dispose();
            }
            if (again)
            {
                h = await _tree.DescendAsync(key, mode, 0, null, ct, _dir == ScanDirection.Backward ? _low : null).ConfigureAwait(false);
                continue;
            }
            if (next == 0) break;
            h = await pool.PinAsync(next, PageAccess.Normal, ct).ConfigureAwait(false);
        }
        _loaded = true;
        _count = BTreeNode.Count(_page);
        _next = BTreeNode.RightLink(_page);
        if (_dir == ScanDirection.Forward)
            _index = !first || !_hasLo ? 0 : _loIncl ? BTreeNode.LowerBound(_page, Lo, out _) : BTreeNode.UpperBound(_page, Lo);
        else
            _index = (_targetUnbounded ? _count : _targetStrict ? BTreeNode.LowerBound(_page, _target.AsSpan(0, _targetLen), out _) : BTreeNode.UpperBound(_page, _target.AsSpan(0, _targetLen))) - 1;
    }
}
