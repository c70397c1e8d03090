using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Borealis.Engine.Buffer;
using Borealis.Engine.Mtr;
using Borealis.Engine.Space;
using Borealis.Redo;
using Borealis.Redo.BTree;

namespace Borealis.Engine.BTree;

/// <summary>
/// A B+tree of unique byte-string keys (compared with memcmp) mapping to small byte values:
/// the index structure of the engine. Non-unique indexes make keys unique by appending the heap
/// TID; keys are built with <see cref="Keys.KeyEncoder"/> so byte order is SQL order.
/// <para>
/// Structure: a B-link tree (Lehman–Yao). Every node has a right-link and a high key (see
/// <see cref="BTreeNode"/>); a meta page (<see cref="BTreeMeta"/>) names the root. A split moves
/// the upper part of a node to a new right sibling and posts the separator into the parent in
/// the same mini-transaction, cascading up to a root split that installs a new root and updates
/// the meta page — all one MTR, so the tree is never seen half-split, by readers or by storage.
/// </para>
/// <para>
/// Concurrency and latch order. Readers hold at most one shared latch at a time and never while
/// they await: they pin a page (possibly reading it from storage, unlatched), latch it, decide
/// (move right when the key is ≥ the high key: a concurrent split moved it there; else go down),
/// and unlatch before pinning the next page. Writers descend the same way, then take exclusive
/// latches in one global order: bottom-up by level, left to right within a level (a writer
/// moving right releases the left node first), the meta page after all nodes, and last the
/// freshly allocated pages of a split (nobody else can reach those). Every exclusive latch is
/// taken through <see cref="BufferPool.TryPinCached"/>: if the page is not cached, the writer
/// drops every latch (nothing is logged before all latches are held), reads the page unlatched
/// (keeping it pinned) and starts again. Page numbers for splits are allocated the same way,
/// outside any latch (the allocator latches page 0 alone). Since a latch holder only ever waits
/// for pages later in the order, no cycle can form; and no latch is held across an await that
/// may block on I/O — only across the MTR's append, which the design allows.
/// </para>
/// <para>
/// Deletion removes the entry; a leaf it empties is then unlinked (see BPlusTreeUnlink.cs) and
/// left dead — never freed, since a reader may still hold a stale link to it. Inner nodes are
/// never merged. Pages allocated for a split that lost a race are kept for later splits.
/// </para>
/// </summary>
public sealed partial class BPlusTree
{
    /// <summary>Longest key accepted. With <see cref="MaxEntryLength"/> this guarantees every split fits.</summary>
    public const int MaxKeyLength = 1600;
    /// <summary>Longest key + value accepted.</summary>
    public const int MaxEntryLength = 1800;
    internal const int MaxLevels = 32;

    private readonly BufferPool _pool;
    private readonly PageAllocator _allocator;
    private readonly ConcurrentBag<ulong> _sparePages = [];
    private readonly ConcurrentBag<WriteOp> _ops = [];
    private volatile RootRef _root;

    private sealed record RootRef(ulong Page, int Level);

    private BPlusTree(BufferPool pool, PageAllocator allocator, ulong metaPageNo, RootRef root)
    {
        _pool = pool;
        _allocator = allocator;
        MetaPageNo = metaPageNo;
        _root = root;
    }

    /// <summary>The tree's meta page: what a catalog records to open the tree again.</summary>
    public ulong MetaPageNo { get; }

    public BufferPool Pool => _pool;

    /// <summary>Number of levels as this instance last saw the root (1 = the root is a leaf).</summary>
    public int Height => _root.Level + 1;

    /// <summary>Creates an empty tree: a meta page and an empty root leaf, in one MTR.</summary>
    public static async ValueTask<BPlusTree> CreateAsync(BufferPool pool, PageAllocator allocator, CancellationToken ct = default)
    {
        ulong meta = await allocator.AllocateAsync(ct).ConfigureAwait(false);
        ulong root = await allocator.AllocateAsync(ct).ConfigureAwait(false);
        using var mtr = new EngineMtr(pool);
        var rh = await mtr.CreatePageAsync(root, ct).ConfigureAwait(false);
        var mh = await mtr.CreatePageAsync(meta, ct).ConfigureAwait(false);
        BTreeApply.WriteInitHeader(mtr.Add(rh, RedoType.BtInitNode, BTreeApply.InitHeader), PageKind.BTreeLeaf, 0, 0, false, default, 0);
        mtr.Apply();
        BTreeApply.WriteSetMeta(mtr.Add(mh, RedoType.BtSetMeta, BTreeApply.MetaPayload), root, 0);
        mtr.Apply();
        await mtr.CommitAsync(ct).ConfigureAwait(false);
        return new BPlusTree(pool, allocator, meta, new RootRef(root, 0));
    }

    /// <summary>Opens an existing tree by its meta page.</summary>
    public static async ValueTask<BPlusTree> OpenAsync(BufferPool pool, PageAllocator allocator, ulong metaPageNo, CancellationToken ct = default)
    {
        using var h = await pool.PinAsync(metaPageNo, PageAccess.Normal, ct).ConfigureAwait(false);
        h.LatchShared();
        try
        {
            if (!BTreeMeta.IsMeta(h.Page)) ThrowCorrupt(metaPageNo, "is not a B+tree meta page");
            return new BPlusTree(pool, allocator, metaPageNo, new RootRef(BTreeMeta.Root(h.Page), BTreeMeta.RootLevel(h.Page)));
        }
        finally { h.UnlatchShared(); }
    }

    // ------------------------------------------------------------------ point lookup

    /// <summary>
    /// Looks a key up using cached pages only, without allocating and without I/O. Copies the value
    /// (as much as fits) into <paramref name="value"/> and returns its full length in
    /// <paramref name="valueLength"/>.
    /// </summary>
    public LookupStatus TryGetCached(ReadOnlySpan<byte> key, Span<byte> value, out int valueLength)
    {
        valueLength = 0;
        ulong pageNo = _root.Page;
        while (true)
        {
            if (!_pool.TryPinCached(pageNo, out var h)) return LookupStatus.NotCached;
            h.LatchShared();
            try
            {
                var page = h.Page;
                CheckNode(page, pageNo);
                if (BTreeNode.IsBeyondHighKey(page, key)) { pageNo = BTreeNode.RightLink(page); continue; }
                if (BTreeNode.IsDead(page)) { pageNo = _root.Page; continue; } // reached by a stale link: start again
                if (!BTreeNode.IsLeaf(page)) { pageNo = BTreeNode.Child(page, ChildIndex(page, key, SearchMode.Normal)); continue; }
                int i = BTreeNode.LowerBound(page, key, out bool exact);
                if (!exact) return LookupStatus.NotFound;
                var v = BTreeNode.Value(page, i);
                valueLength = v.Length;
                v[..Math.Min(v.Length, value.Length)].CopyTo(value);
                return LookupStatus.Found;
            }
            finally
            {
                h.UnlatchShared();
                h.Dispose();
            }
        }
    }

    /// <summary>
    /// Looks a key up; returns the value's length (copying as much as fits into <paramref name="value"/>)
    /// or -1 when the key is absent. Completes synchronously without allocating when the path is cached.
    /// </summary>
    public ValueTask<int> TryGetAsync(ReadOnlyMemory<byte> key, Memory<byte> value, CancellationToken ct = default)
    {
        var s = TryGetCached(key.Span, value.Span, out int len);
        if (s == LookupStatus.Found) return new ValueTask<int>(len);
        if (s == LookupStatus.NotFound) return new ValueTask<int>(-1);
        return TryGetSlowAsync(key, value, ct);
    }

    private async ValueTask<int> TryGetSlowAsync(ReadOnlyMemory<byte> key, Memory<byte> value, CancellationToken ct)
    {
        var h = await DescendAsync(key, SearchMode.Normal, 0, null, ct).ConfigureAwait(false);
        while (true)
        {
            h.LatchShared();
            var page = h.Page;
            CheckNode(page, h.PageNo);
            if (BTreeNode.IsBeyondHighKey(page, key.Span))
            {
                ulong next = BTreeNode.RightLink(page);
                h.UnlatchShared();
                h.Dispose();
                h = await _pool.PinAsync(next, PageAccess.Normal, ct).ConfigureAwait(false);
                continue;
            }
            if (BTreeNode.IsDead(page))
            {
                h.UnlatchShared();
                h.Dispose();
                h = await DescendAsync(key, SearchMode.Normal, 0, null, ct).ConfigureAwait(false);
                continue;
            }
            try
            {
                int i = BTreeNode.LowerBound(page, key.Span, out bool exact);
                if (!exact) return -1;
                var v = BTreeNode.Value(page, i);
                v[..Math.Min(v.Length, value.Length)].CopyTo(value.Span);
                return v.Length;
            }
            finally
            {
                h.UnlatchShared();
                h.Dispose();
            }
        }
    }

    // ------------------------------------------------------------------ prefix visit

    /// <summary>
    /// Calls <paramref name="visitor"/> for every entry whose key starts with <paramref name="prefix"/>,
    /// in key order, until it returns false; returns the visitor (a struct, so its state comes back).
    /// Used by unique indexes to find live duplicates of a key (all TIDs under the key prefix). The
    /// visitor runs under a page's shared latch: it must be short and must not touch the tree or
    /// block. Allocates nothing on cached pages.
    /// </summary>
    public async ValueTask<TVisitor> VisitPrefixAsync<TVisitor>(ReadOnlyMemory<byte> prefix, TVisitor visitor, CancellationToken ct = default)
        where TVisitor : struct, IBTreeVisitor
    {
        var h = await DescendAsync(prefix, SearchMode.Normal, 0, null, ct).ConfigureAwait(false);
        bool first = true;
        while (true)
        {
            ulong next;
            bool stop = false, again = false;
            h.LatchShared();
            try
            {
                var page = h.Page;
                CheckNode(page, h.PageNo);
                next = BTreeNode.RightLink(page);
                if (first && !BTreeNode.IsBeyondHighKey(page, prefix.Span) && BTreeNode.IsDead(page)) again = true;
                else if (!first || !BTreeNode.IsBeyondHighKey(page, prefix.Span))
                {
                    int count = BTreeNode.Count(page);
                    for (int i = first ? BTreeNode.LowerBound(page, prefix.Span, out _) : 0; i < count && !stop; i++)
                    {
                        var k = BTreeNode.Key(page, i);
                        stop = !k.StartsWith(prefix.Span) || !visitor.Visit(k, BTreeNode.Value(page, i));
                    }
                    first = false;
                    // Keys with the prefix continue to the right only if the high key still has it.
                    if (!BTreeNode.HasHighKey(page) || !BTreeNode.HighKey(page).StartsWith(prefix.Span)) stop = true;
                }
            }
            finally
            {
                h.UnlatchShared();
                h.Dispose();
            }
            if (again)
            {
                h = await DescendAsync(prefix, SearchMode.Normal, 0, null, ct).ConfigureAwait(false);
                continue;
            }
            if (stop || next == 0) return visitor;
            h = await _pool.PinAsync(next, PageAccess.Normal, ct).ConfigureAwait(false);
        }
    }

    // ------------------------------------------------------------------ descent

    /// <summary>How a descent picks children and when it moves right.</summary>
    internal enum SearchMode
    {
        /// <summary>The node whose range holds the key (move right when key ≥ high key; child: last key ≤ key).</summary>
        Normal,
        /// <summary>The node holding the greatest keys below the key (move right when key &gt; high key; child: last key &lt; key).</summary>
        Before,
        /// <summary>The rightmost node (always move right; last child).</summary>
        Rightmost,
    }

    internal static bool MustMoveRight(ReadOnlySpan<byte> page, ReadOnlySpan<byte> key, SearchMode mode)
    {
        if (BTreeNode.RightLink(page) == 0 || !BTreeNode.HasHighKey(page)) return false;
        return mode switch
        {
            SearchMode.Normal => key.SequenceCompareTo(BTreeNode.HighKey(page)) >= 0,
            SearchMode.Before => key.SequenceCompareTo(BTreeNode.HighKey(page)) > 0,
            _ => true,
        };
    }

    internal static int ChildIndex(ReadOnlySpan<byte> page, ReadOnlySpan<byte> key, SearchMode mode)
    {
        int i = mode switch
        {
            SearchMode.Normal => BTreeNode.UpperBound(page, key) - 1,
            SearchMode.Before => BTreeNode.LowerBound(page, key, out _) - 1,
            _ => BTreeNode.Count(page) - 1,
        };
        return i < 0 ? 0 : i;
    }

    /// <summary>
    /// Descends from the root to the node at <paramref name="targetLevel"/> for a key and returns
    /// it pinned (not latched; the caller latches it and moves right if a split happened since).
    /// Records the page visited at each level in <paramref name="path"/> when given. Holds one
    /// shared latch at a time, never across an await.
    /// </summary>
    internal async ValueTask<PageHandle> DescendAsync(ReadOnlyMemory<byte> key, SearchMode mode, int targetLevel, ulong[]? path, CancellationToken ct,
        LowKeyTracker? low = null)
    {
        var root = _root;
        ulong pageNo = root.Page;
        if (path is not null) path[MaxLevels] = (ulong)root.Level;
        low?.Reset();
        while (true)
        {
            var h = await _pool.PinAsync(pageNo, PageAccess.Normal, ct).ConfigureAwait(false);
            h.LatchShared();
            bool keep = false;
            try
            {
                var page = h.Page;
                CheckNode(page, pageNo);
                if (MustMoveRight(page, key.Span, mode))
                {
                    low?.Set(BTreeNode.HighKey(page));
                    pageNo = BTreeNode.RightLink(page);
                    continue;
                }
                int level = BTreeNode.Level(page);
                if (path is not null) path[level] = pageNo;
                if (level <= targetLevel)
                {
                    keep = true;
                    return h;
                }
                int i = ChildIndex(page, key.Span, mode);
                low?.Set(BTreeNode.Key(page, i));
                pageNo = BTreeNode.Child(page, i);
            }
            finally
            {
                h.UnlatchShared();
                if (!keep) h.Dispose();
            }
        }
    }

    internal static void CheckNode(ReadOnlySpan<byte> page, ulong pageNo)
    {
        if (!BTreeNode.IsNode(page)) ThrowCorrupt(pageNo, $"is not a B+tree node (kind {BTreeNode.Kind(page)})");
    }

    [DoesNotReturn]
    internal static void ThrowCorrupt(ulong pageNo, string what) =>
        throw new InvalidOperationException($"B+tree page {pageNo} {what}: the tree is corrupt or the page number is wrong");

    internal static void CheckEntry(int keyLength, int valueLength)
    {
        if (keyLength > MaxKeyLength || keyLength + valueLength > MaxEntryLength)
            throw new BTreeEntryTooLongException(keyLength, valueLength);
    }

    internal static ulong ReadChild(ReadOnlySpan<byte> value) => BinaryPrimitives.ReadUInt64LittleEndian(value);
}

/// <summary>Outcome of a cached-only lookup.</summary>
public enum LookupStatus
{
    Found,
    NotFound,
    /// <summary>A page on the path is not cached: use the async lookup.</summary>
    NotCached,
}

/// <summary>Outcome of an insert.</summary>
public enum InsertStatus
{
    Inserted,
    /// <summary>The exact key is already in the tree; nothing changed.</summary>
    DuplicateKey,
}

/// <summary>Receives entries from <see cref="BPlusTree.VisitPrefixAsync"/>; return false to stop.</summary>
public interface IBTreeVisitor
{
    bool Visit(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);
}

/// <summary>
/// An index entry is larger than a B+tree page can hold in every split case (SQLSTATE 54000,
/// program_limit_exceeded, as PostgreSQL's "index row size exceeds maximum").
/// </summary>
public sealed class BTreeEntryTooLongException(int keyLength, int valueLength)
    : ArgumentException($"index row size {keyLength + valueLength} (key {keyLength} bytes) exceeds maximum: key ≤ {BPlusTree.MaxKeyLength} bytes, key + value ≤ {BPlusTree.MaxEntryLength} bytes")
{
    public string SqlState => "54000";
}

/// <summary>Tracks the low key of the node a descent ends in (for backward scans); owned by one cursor.</summary>
internal sealed class LowKeyTracker
{
    private readonly byte[] _buf = new byte[BPlusTree.MaxKeyLength];
    public int Length { get; private set; }
    public ReadOnlySpan<byte> Key => _buf.AsSpan(0, Length);
    public void Reset() => Length = 0;
    public void Set(ReadOnlySpan<byte> key)
    {
        key.CopyTo(_buf);
        Length = key.Length;
    }
}
