using Borealis.Redo;
using Borealis.Redo.BTree;

namespace Borealis.Engine.BTree;

/// <summary>
/// Split arithmetic on one node plus the entry being inserted into it, seen together as the
/// "combined" sequence of Count + 1 entries (the new entry at <c>pos</c>). The left node keeps
/// combined [0, m), the new right node gets combined [m, Count]. Pure functions over page bytes.
/// </summary>
internal static class BTreeSplit
{
    public static ReadOnlySpan<byte> Key(ReadOnlySpan<byte> page, int pos, ReadOnlySpan<byte> newKey, int i)
        => i < pos ? BTreeNode.Key(page, i) : i == pos ? newKey : BTreeNode.Key(page, i - 1);

    public static ReadOnlySpan<byte> Value(ReadOnlySpan<byte> page, int pos, ReadOnlySpan<byte> newValue, int i)
        => i < pos ? BTreeNode.Value(page, i) : i == pos ? newValue : BTreeNode.Value(page, i - 1);

    private static int Size(ReadOnlySpan<byte> page, int pos, int newSize, int i)
        => i == pos ? newSize : BTreeNode.SlotSize + BTreeNode.CellSize(page, BTreeNode.CellOffset(page, i < pos ? i : i - 1));

    /// <summary>
    /// Chooses the split index m (1 ≤ m ≤ Count): both halves must fit with their high keys (the
    /// left gets the separator, at most combined key m long; the right keeps the old high key),
    /// and among those the most balanced by bytes, except that an append at the end of the
    /// rightmost leaf leaves the left node full (sequential inserts then fill pages).
    /// Throws when no split fits, which the entry size limits of <see cref="BPlusTree"/> rule out.
    /// </summary>
    public static int ChooseSplit(ReadOnlySpan<byte> page, int pos, ReadOnlySpan<byte> newKey, int newValueLength)
    {
        int n = BTreeNode.Count(page) + 1;
        int newSize = BTreeNode.EntrySize(newKey.Length, newValueLength);
        int total = 0;
        for (int i = 0; i < n; i++) total += Size(page, pos, newSize, i);
        int oldHigh = BTreeNode.HasHighKey(page) ? BTreeNode.CellHeader + BTreeNode.HighKey(page).Length : 0;
        bool leaf = BTreeNode.IsLeaf(page);
        if (leaf && pos == n - 1 && !BTreeNode.HasHighKey(page) && Fits(total - newSize, newKey.Length, newSize, 0))
            return n - 1;
        int best = -1, bestDiff = int.MaxValue, left = 0;
        for (int m = 1; m < n; m++)
        {
            left += Size(page, pos, newSize, m - 1);
            int right = total - left;
            if (!Fits(left, Key(page, pos, newKey, m).Length, right, oldHigh)) continue;
            int diff = Math.Abs(left - right);
            if (diff < bestDiff) { bestDiff = diff; best = m; }
        }
        if (best < 0) throw new InvalidOperationException("B+tree node cannot be split so that both halves fit (entry size limits violated)");
        return best;
    }

    private static bool Fits(int left, int separatorBound, int right, int oldHighCell)
        => left + BTreeNode.CellHeader + separatorBound <= BTreeNode.Capacity && right + oldHighCell <= BTreeNode.Capacity;

    /// <summary>
    /// The separator posted to the parent for a split at m: for a leaf the shortest prefix of
    /// combined key m that is greater than combined key m-1 (suffix truncation); for an inner
    /// node combined key m itself (it becomes the right node's low key). Returns its length in
    /// <paramref name="dest"/>.
    /// </summary>
    public static int Separator(ReadOnlySpan<byte> page, int pos, ReadOnlySpan<byte> newKey, int m, Span<byte> dest)
    {
        var right = Key(page, pos, newKey, m);
        int len = right.Length;
        if (BTreeNode.IsLeaf(page))
        {
            var left = Key(page, pos, newKey, m - 1);
            len = left.CommonPrefixLength(right) + 1;
        }
        right[..len].CopyTo(dest);
        return len;
    }

    /// <summary>Bytes of the BtInitNode payload for the right node: combined [m, Count] and the old high key.</summary>
    public static int RightPayloadLength(ReadOnlySpan<byte> page, int pos, ReadOnlySpan<byte> newKey, int newValueLength, int m)
    {
        int n = BTreeNode.Count(page) + 1;
        int len = BTreeApply.InitHeader + (BTreeNode.HasHighKey(page) ? BTreeNode.HighKey(page).Length : 0);
        int newSize = BTreeNode.EntrySize(newKey.Length, newValueLength);
        for (int i = m; i < n; i++) len += Size(page, pos, newSize, i) - BTreeNode.SlotSize;
        return len;
    }

    /// <summary>Writes the right node's BtInitNode payload (same kind and level, inherits right-link and high key).</summary>
    public static void WriteRightPayload(Span<byte> dest, ReadOnlySpan<byte> page, int pos, ReadOnlySpan<byte> newKey, ReadOnlySpan<byte> newValue, int m)
    {
        int n = BTreeNode.Count(page) + 1;
        bool hasHigh = BTreeNode.HasHighKey(page);
        int at = BTreeApply.WriteInitHeader(dest, BTreeNode.Kind(page), BTreeNode.Level(page), BTreeNode.RightLink(page),
            hasHigh, BTreeNode.HighKey(page), n - m);
        for (int i = m; i < n; i++)
            at += BTreeApply.WriteInitEntry(dest[at..], Key(page, pos, newKey, i), Value(page, pos, newValue, i));
    }

    /// <summary>Node kind byte for a level.</summary>
    public static PageKind KindOf(int level) => level == 0 ? PageKind.BTreeLeaf : PageKind.BTreeInner;
}
