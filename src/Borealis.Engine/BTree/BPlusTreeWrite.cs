using System.Buffers.Binary;
using Borealis.Engine.Buffer;
using Borealis.Engine.Mtr;
using Borealis.Redo;
using Borealis.Redo.BTree;

namespace Borealis.Engine.BTree;

/// <summary>Insert and delete: see the class remarks in BPlusTree.cs for the latch protocol.</summary>
public sealed partial class BPlusTree
{
    /// <summary>
    /// Inserts a unique key. Returns <see cref="InsertStatus.DuplicateKey"/>, changing nothing,
    /// when the exact key exists. Throws <see cref="BTreeEntryTooLongException"/> for oversized entries.
    /// </summary>
    public async ValueTask<InsertStatus> InsertAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, CancellationToken ct = default)
    {
        CheckEntry(key.Length, value.Length);
        var op = RentOp();
        try
        {
            while (true)
            {
                await BeginAttemptAsync(op, key, ct).ConfigureAwait(false);
                Step step;
                try
                {
                    step = InsertLatched(op, key.Span, value.Span);
                }
                catch
                {
                    op.DropMtr();
                    throw;
                }
                switch (step)
                {
                    case Step.Done:
                        await op.Mtr!.CommitAsync(ct).ConfigureAwait(false);
                        if (op.NewRootLevel > 0) PublishRoot(op.NewRoot, op.NewRootLevel);
                        return InsertStatus.Inserted;
                    case Step.Exists:
                        await op.Mtr!.CommitAsync(ct).ConfigureAwait(false);
                        return InsertStatus.DuplicateKey;
                    default:
                        await RecoverAsync(op, step, ct).ConfigureAwait(false);
                        break;
                }
            }
        }
        finally
        {
            ReturnOp(op);
        }
    }

    /// <summary>Deletes a key; returns false when it was not there. Nodes are not merged (see class remarks).</summary>
    public async ValueTask<bool> DeleteAsync(ReadOnlyMemory<byte> key, CancellationToken ct = default)
    {
        var op = RentOp();
        try
        {
            while (true)
            {
                await BeginAttemptAsync(op, key, ct).ConfigureAwait(false);
                Step step;
                try
                {
                    step = DeleteLatched(op, key.Span);
                }
                catch
                {
                    op.DropMtr();
                    throw;
                }
                if (step is Step.Done or Step.Exists)
                {
                    await op.Mtr!.CommitAsync(ct).ConfigureAwait(false);
                    if (op.EmptiedLeaf) await TryUnlinkEmptyLeafAsync(op, key, ct).ConfigureAwait(false);
                    return step == Step.Done;
                }
                await RecoverAsync(op, step, ct).ConfigureAwait(false);
            }
        }
        finally
        {
            ReturnOp(op);
        }
    }

    private enum Step
    {
        Done,
        /// <summary>Insert: the key exists. Delete: the key is absent.</summary>
        Exists,
        NeedPage,
        NeedSpares,
        Restart,
    }

    private struct LevelPlan
    {
        public PageHandle Node;
        public PageHandle Right;
        public int Pos;
        public int M;
        public int SepLen;
        public bool Split;
    }

    /// <summary>Per-operation scratch, pooled per tree so a write allocates little.</summary>
    private sealed class WriteOp
    {
        /// <summary>Page per level from the last descent; [MaxLevels] holds the root level the descent started from.</summary>
        public readonly ulong[] Path = new ulong[MaxLevels + 1];
        public readonly LevelPlan[] Plan = new LevelPlan[MaxLevels];
        public readonly byte[][] Seps = new byte[MaxLevels][];
        public readonly byte[] Children = new byte[MaxLevels * 8];
        /// <summary>Pins held (unlatched) for the operation so that latching them later needs no I/O.</summary>
        public readonly List<PageHandle> Warm = [];
        /// <summary>Pre-allocated pages for splits, pinned as new (zeroed) frames.</summary>
        public readonly List<PageHandle> Spares = [];
        public EngineMtr? Mtr;
        public ulong NeedPage;
        public int NeedSpares;
        public ulong NewRoot;
        public int NewRootLevel;
        /// <summary>A delete emptied its leaf: try to unlink it afterwards.</summary>
        public bool EmptiedLeaf;

        public int RootLevel => (int)Path[MaxLevels];
        public byte[] Sep(int level) => Seps[level] ??= new byte[MaxKeyLength];
        public Span<byte> Child(int level) => Children.AsSpan(level * 8, 8);

        public void DropMtr()
        {
            Mtr?.Dispose();
            Mtr = null;
        }
    }

    private WriteOp RentOp()
    {
        if (!_ops.TryTake(out var op)) op = new WriteOp();
        op.NewRootLevel = 0;
        op.EmptiedLeaf = false;
        return op;
    }

    private void ReturnOp(WriteOp op)
    {
        if (op.Mtr is not null)
        {
            // Only reached with nothing logged (an exception before commit disposes the MTR).
            op.DropMtr();
        }
        foreach (var h in op.Warm) h.Dispose();
        op.Warm.Clear();
        foreach (var s in op.Spares)
        {
            _sparePages.Add(s.PageNo);
            s.Dispose();
        }
        op.Spares.Clear();
        Array.Clear(op.Plan);
        if (_ops.Count < 16) _ops.Add(op);
    }

    private async ValueTask BeginAttemptAsync(WriteOp op, ReadOnlyMemory<byte> key, CancellationToken ct)
    {
        if (op.Warm.Count > 16)
        {
            foreach (var h in op.Warm) h.Dispose();
            op.Warm.Clear();
        }
        op.Mtr ??= new EngineMtr(_pool);
        op.NewRootLevel = 0;
        var leaf = await DescendAsync(key, SearchMode.Normal, 0, op.Path, ct).ConfigureAwait(false);
        op.Warm.Add(leaf);
    }

    /// <summary>Releases every latch of a failed attempt (nothing was logged), then does the awaited work it needs.</summary>
    private async ValueTask RecoverAsync(WriteOp op, Step step, CancellationToken ct)
    {
        await op.Mtr!.CommitAsync(ct).ConfigureAwait(false); // empty: releases latches and pins only
        switch (step)
        {
            case Step.NeedPage:
                op.Warm.Add(await _pool.PinAsync(op.NeedPage, PageAccess.Normal, ct).ConfigureAwait(false));
                break;
            case Step.NeedSpares:
                while (op.Spares.Count < op.NeedSpares)
                {
                    ulong p = _sparePages.TryTake(out var spare) ? spare : await _allocator.AllocateAsync(ct).ConfigureAwait(false);
                    op.Spares.Add(await _pool.PinNewAsync(p, ct).ConfigureAwait(false));
                }
                break;
            case Step.Restart:
                await RefreshRootAsync(ct).ConfigureAwait(false);
                break;
        }
    }

    private async ValueTask RefreshRootAsync(CancellationToken ct)
    {
        using var h = await _pool.PinAsync(MetaPageNo, PageAccess.Normal, ct).ConfigureAwait(false);
        h.LatchShared();
        try
        {
            if (!BTreeMeta.IsMeta(h.Page)) ThrowCorrupt(MetaPageNo, "is not a B+tree meta page");
            PublishRoot(BTreeMeta.Root(h.Page), BTreeMeta.RootLevel(h.Page));
        }
        finally { h.UnlatchShared(); }
    }

    /// <summary>Root levels only grow; a late publisher never replaces a newer root.</summary>
    private void PublishRoot(ulong page, int level)
    {
        while (true)
        {
            var cur = _root;
            if (cur.Level >= level) return;
            if (Interlocked.CompareExchange(ref _root, new RootRef(page, level), cur) == cur) return;
        }
    }

    private bool TryLatch(WriteOp op, ulong pageNo, out PageHandle h)
    {
        if (!_pool.TryPinCached(pageNo, out h))
        {
            op.NeedPage = pageNo;
            return false;
        }
        h.LatchExclusive();
        op.Mtr!.Adopt(h);
        return true;
    }

    /// <summary>
    /// Moves right along a level, one exclusive latch at a time, until the node covers <paramref name="key"/>.
    /// Returns <see cref="Step.Done"/> when there, <see cref="Step.Restart"/> on a dead leaf (we came by a stale link).
    /// </summary>
    private Step MoveRightLatched(WriteOp op, ref PageHandle node, ReadOnlySpan<byte> key)
    {
        while (true)
        {
            CheckNode(node.Page, node.PageNo);
            if (!MustMoveRight(node.Page, key, SearchMode.Normal)) return BTreeNode.IsDead(node.Page) ? Step.Restart : Step.Done;
            ulong next = BTreeNode.RightLink(node.Page);
            op.Mtr!.Release(node.PageNo);
            if (!TryLatch(op, next, out node)) return Step.NeedPage;
        }
    }

    private Step LatchLeaf(WriteOp op, ReadOnlySpan<byte> key, out PageHandle leaf)
    {
        if (!TryLatch(op, op.Path[0], out leaf)) return Step.NeedPage;
        return MoveRightLatched(op, ref leaf, key);
    }

    private Step DeleteLatched(WriteOp op, ReadOnlySpan<byte> key)
    {
        var s = LatchLeaf(op, key, out var leaf);
        if (s != Step.Done) return s;
        int pos = BTreeNode.LowerBound(leaf.Page, key, out bool exact);
        if (!exact) return Step.Exists;
        BTreeApply.WriteDelete(op.Mtr!.Add(leaf, RedoType.BtDelete, 2), pos);
        op.Mtr.Apply();
        op.EmptiedLeaf = BTreeNode.Count(leaf.Page) == 0 && op.RootLevel > 0;
        return Step.Done;
    }

    /// <summary>
    /// The latched part of an insert: latch the leaf, then (if it must split) each parent up the
    /// tree and possibly the meta page, all in lock order and without I/O; plan every split; and
    /// only when everything needed is held, log the changes. Returns why it could not finish
    /// otherwise (nothing logged then).
    /// </summary>
    private Step InsertLatched(WriteOp op, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        var mtr = op.Mtr!;
        var ls = LatchLeaf(op, key, out var node);
        if (ls != Step.Done) return ls;
        int pos = BTreeNode.LowerBound(node.Page, key, out bool exact);
        if (exact) return Step.Exists;

        // Plan bottom-up.
        int level = 0, top, needed = 0;
        bool rootSplit = false;
        PageHandle meta = default;
        ReadOnlySpan<byte> eKey = key;
        int eValLen = value.Length;
        while (true)
        {
            ref var pl = ref op.Plan[level];
            pl.Node = node;
            pl.Pos = pos;
            pl.Split = false;
            if (BTreeNode.FreeSpace(node.Page) >= BTreeNode.EntrySize(eKey.Length, eValLen))
            {
                top = level;
                break;
            }
            pl.Split = true;
            pl.M = BTreeSplit.ChooseSplit(node.Page, pos, eKey, eValLen);
            pl.SepLen = BTreeSplit.Separator(node.Page, pos, eKey, pl.M, op.Sep(level));
            needed++;
            var sep = op.Sep(level).AsSpan(0, pl.SepLen);
            if (level + 1 > op.RootLevel)
            {
                // The node has no parent on our path: it is the root, or the tree grew since we descended.
                if (!TryLatch(op, MetaPageNo, out meta)) return Step.NeedPage;
                if (!BTreeMeta.IsMeta(meta.Page)) ThrowCorrupt(MetaPageNo, "is not a B+tree meta page");
                if (BTreeMeta.Root(meta.Page) != node.PageNo) return Step.Restart;
                if (level + 1 >= MaxLevels) throw new InvalidOperationException("B+tree is too deep");
                needed++;
                rootSplit = true;
                top = level;
                break;
            }
            if (!TryLatch(op, op.Path[level + 1], out var parent)) return Step.NeedPage;
            var ps = MoveRightLatched(op, ref parent, sep);
            if (ps != Step.Done) return ps;
            if (BTreeNode.Level(parent.Page) != level + 1) ThrowCorrupt(parent.PageNo, "is not at the level its child expects");
            pos = BTreeNode.LowerBound(parent.Page, sep, out exact);
            if (exact) ThrowCorrupt(parent.PageNo, "already holds the separator of a child being split");
            node = parent;
            eKey = sep;
            eValLen = BTreeNode.ChildSize;
            level++;
        }
        if (op.Spares.Count < needed)
        {
            op.NeedSpares = needed;
            return Step.NeedSpares;
        }
        // Latch the new pages (pinned by us, unknown to anyone else: never blocks).
        PageHandle newRoot = default;
        for (int l = 0; l <= top; l++)
        {
            if (!op.Plan[l].Split) continue;
            if (!TakeSpare(op, out op.Plan[l].Right)) return Step.NeedPage;
        }
        if (rootSplit && !TakeSpare(op, out newRoot)) return Step.NeedPage;

        // Log, bottom-up. The right node's format record is built from the node before it is truncated.
        for (int l = 0; l <= top; l++)
        {
            ref var pl = ref op.Plan[l];
            ReadOnlySpan<byte> k = l == 0 ? key : op.Sep(l - 1).AsSpan(0, op.Plan[l - 1].SepLen);
            ReadOnlySpan<byte> v = l == 0 ? value : op.Child(l - 1);
            if (!pl.Split)
            {
                LogInsert(mtr, pl.Node, pl.Pos, k, v);
                break;
            }
            BinaryPrimitives.WriteUInt64LittleEndian(op.Child(l), pl.Right.PageNo);
            var page = pl.Node.Page;
            int len = BTreeSplit.RightPayloadLength(page, pl.Pos, k, v.Length, pl.M);
            BTreeSplit.WriteRightPayload(mtr.Add(pl.Right, RedoType.BtInitNode, len), page, pl.Pos, k, v, pl.M);
            mtr.Apply();
            var sep = op.Sep(l).AsSpan(0, pl.SepLen);
            int keep = pl.Pos < pl.M ? pl.M - 1 : pl.M;
            BTreeApply.WriteTruncate(mtr.Add(pl.Node, RedoType.BtTruncate, BTreeApply.TruncateLength(true, sep.Length)), keep, pl.Right.PageNo, true, sep);
            mtr.Apply();
            if (pl.Pos < pl.M) LogInsert(mtr, pl.Node, pl.Pos, k, v);
        }
        if (rootSplit)
        {
            var sep = op.Sep(top).AsSpan(0, op.Plan[top].SepLen);
            Span<byte> leftChild = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(leftChild, op.Plan[top].Node.PageNo);
            int len = BTreeApply.InitHeader + 2 * BTreeNode.CellHeader + sep.Length + 2 * BTreeNode.ChildSize;
            var dest = mtr.Add(newRoot, RedoType.BtInitNode, len);
            int at = BTreeApply.WriteInitHeader(dest, PageKind.BTreeInner, top + 1, 0, false, default, 2);
            at += BTreeApply.WriteInitEntry(dest[at..], default, leftChild);
            BTreeApply.WriteInitEntry(dest[at..], sep, op.Child(top));
            mtr.Apply();
            BTreeApply.WriteSetMeta(mtr.Add(meta, RedoType.BtSetMeta, BTreeApply.MetaPayload), newRoot.PageNo, top + 1);
            mtr.Apply();
            op.NewRoot = newRoot.PageNo;
            op.NewRootLevel = top + 1;
        }
        return Step.Done;
    }

    private bool TakeSpare(WriteOp op, out PageHandle latched)
    {
        var spare = op.Spares[^1];
        if (!TryLatch(op, spare.PageNo, out latched)) return false;
        op.Spares.RemoveAt(op.Spares.Count - 1);
        op.Warm.Add(spare);
        return true;
    }

    private static void LogInsert(EngineMtr mtr, in PageHandle node, int pos, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        BTreeApply.WriteInsert(mtr.Add(node, RedoType.BtInsert, BTreeApply.InsertHeader + key.Length + value.Length), pos, key, value);
        mtr.Apply();
    }
}
