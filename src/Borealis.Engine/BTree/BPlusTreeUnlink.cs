using Borealis.Redo;
using Borealis.Redo.BTree;

namespace Borealis.Engine.BTree;

/// <summary>
/// Removal of emptied leaves. A leaf that a delete left empty is unlinked in one MTR, when it has
/// a left sibling under the same parent: the left sibling takes over its key range (right-link
/// and high key), the parent drops its entry, and the leaf is marked dead (BtMarkDead). Latches
/// are taken in the tree's lock order — left sibling, leaf, parent — after locating them through
/// a shared latch on the parent, and everything is re-checked under the exclusive latches.
/// <para>
/// A reader may still hold a link to the dead leaf (read before the unlink). The leaf stays as
/// it was, empty with its right-link and high key: scans step over it, point lookups and
/// writers that land on it start again from the root. Because such a reader can appear at any
/// time, a dead leaf is never freed or reused (its page is leaked; reclaiming it needs a
/// reader-epoch scheme). Inner nodes are never merged.
/// </para>
/// </summary>
public sealed partial class BPlusTree
{
    private long _unlinkedLeaves;

    /// <summary>Number of emptied leaves this instance unlinked from the tree.</summary>
    public long UnlinkedLeaves => Interlocked.Read(ref _unlinkedLeaves);

    /// <summary>Best effort: gives up (leaving the empty leaf in place) when anything changed meanwhile.</summary>
    private async ValueTask TryUnlinkEmptyLeafAsync(WriteOp op, ReadOnlyMemory<byte> key, CancellationToken ct)
    {
        for (int attempt = 0; attempt < 3; attempt++)
        {
            await BeginAttemptAsync(op, key, ct).ConfigureAwait(false);
            Step step;
            try
            {
                step = op.RootLevel == 0 ? Step.Exists : UnlinkLatched(op, key.Span);
            }
            catch
            {
                op.DropMtr();
                throw;
            }
            if (step is Step.Done or Step.Exists)
            {
                await op.Mtr!.CommitAsync(ct).ConfigureAwait(false);
                if (step == Step.Done) Interlocked.Increment(ref _unlinkedLeaves);
                return;
            }
            await RecoverAsync(op, step, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Returns <see cref="Step.Done"/> when logged, <see cref="Step.Exists"/> when there is nothing (more) to do.</summary>
    private Step UnlinkLatched(WriteOp op, ReadOnlySpan<byte> key)
    {
        ulong parentNo = op.Path[1];
        if (!_pool.TryPinCached(parentNo, out var ph))
        {
            op.NeedPage = parentNo;
            return Step.NeedPage;
        }
        ulong leftNo, leafNo;
        ph.LatchShared();
        try
        {
            var page = ph.Page;
            CheckNode(page, parentNo);
            if (BTreeNode.Level(page) != 1 || MustMoveRight(page, key, SearchMode.Normal)) return Step.Exists;
            int i = ChildIndex(page, key, SearchMode.Normal);
            if (i == 0) return Step.Exists;
            leftNo = BTreeNode.Child(page, i - 1);
            leafNo = BTreeNode.Child(page, i);
        }
        finally
        {
            ph.UnlatchShared();
            ph.Dispose();
        }
        if (!TryLatch(op, leftNo, out var left) || !TryLatch(op, leafNo, out var leaf) || !TryLatch(op, parentNo, out var parent))
            return Step.NeedPage;

        var pp = parent.Page;
        CheckNode(pp, parentNo);
        if (BTreeNode.Level(pp) != 1 || MustMoveRight(pp, key, SearchMode.Normal)) return Step.Exists;
        int j = ChildIndex(pp, key, SearchMode.Normal);
        if (j == 0 || BTreeNode.Child(pp, j) != leafNo || BTreeNode.Child(pp, j - 1) != leftNo) return Step.Exists;
        var lp = left.Page;
        var fp = leaf.Page;
        CheckNode(lp, leftNo);
        CheckNode(fp, leafNo);
        if (!BTreeNode.IsLeaf(fp) || BTreeNode.IsDead(fp) || BTreeNode.Count(fp) != 0 || BTreeNode.IsDead(lp) || BTreeNode.RightLink(lp) != leafNo)
            return Step.Exists;

        var mtr = op.Mtr!;
        bool hasHigh = BTreeNode.HasHighKey(fp);
        var high = BTreeNode.HighKey(fp);
        BTreeApply.WriteTruncate(mtr.Add(left, RedoType.BtTruncate, BTreeApply.TruncateLength(hasHigh, high.Length)),
            BTreeNode.Count(lp), BTreeNode.RightLink(fp), hasHigh, high);
        mtr.Apply();
        mtr.Add(leaf, RedoType.BtMarkDead, 0);
        mtr.Apply();
        BTreeApply.WriteDelete(mtr.Add(parent, RedoType.BtDelete, 2), j);
        mtr.Apply();
        return Step.Done;
    }
}
