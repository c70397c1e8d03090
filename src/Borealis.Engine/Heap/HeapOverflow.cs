using System.IO.Hashing;
using Borealis.Engine.Buffer;
using Borealis.Engine.Mtr;
using Borealis.Engine.Space;
using Borealis.Redo;
using Borealis.Redo.Heap;

namespace Borealis.Engine.Heap;

/// <summary>Where a large row lives: the head of its overflow chain, its length and CRC. Default = the row is inline.</summary>
internal readonly struct OverflowRef(ulong firstPage, int length, uint crc)
{
    public ulong FirstPage { get; } = firstPage;
    public int Length { get; } = length;
    public uint Crc { get; } = crc;
    public bool IsSet => FirstPage != 0;

    /// <summary>Fills a tuple's data: the overflow pointer when set, else the row itself.</summary>
    public void WriteOrCopy(Span<byte> data, ReadOnlySpan<byte> row)
    {
        if (IsSet) OverflowPointer.Write(data, FirstPage, Length, Crc);
        else row.CopyTo(data);
    }
}

/// <summary>
/// Large rows (TOAST-like): a row above <see cref="HeapTable.OverflowThreshold"/> is stored whole
/// in a chain of <see cref="PageKind.Overflow"/> pages, each written once by one OverflowWrite record
/// carrying its chunk; the tuple holds an <see cref="OverflowPointer"/>.
/// <para>
/// Lifetime: the chain is written (and committed, a few pages per MTR) before the tuple that
/// points to it, so a durable pointer never points to a missing chain; a crash in between leaks
/// unreachable pages. Deleting a row (SetXmax) leaves its chain alone — older snapshots may still
/// read it; vacuum frees it when it prunes the tuple (<see cref="HeapTable.PruneAsync"/>), by
/// returning every page to the page allocator (pages beyond the allocator's free-list capacity leak).
/// </para>
/// </summary>
internal static class HeapOverflow
{
    public static async ValueTask<OverflowRef> WriteAsync(BufferPool pool, PageAllocator allocator, ReadOnlyMemory<byte> row, CancellationToken ct)
    {
        if (row.Length > HeapTable.MaxRowLength)
            throw new HeapLimitException($"a row of {row.Length} bytes exceeds the heap's limit of {HeapTable.MaxRowLength}");
        uint crc = Crc32.HashToUInt32(row.Span);
        int total = row.Length;
        int chunks = (total + OverflowPage.MaxChunk - 1) / OverflowPage.MaxChunk;
        // A few pages per MTR; each is pinned until its MTR commits, so stay a small share of the pool.
        int perMtr = Math.Clamp(pool.FrameCount / 64, 1, 8);
        ulong first = await allocator.AllocateAsync(ct).ConfigureAwait(false);
        ulong cur = first;
        using var mtr = new EngineMtr(pool);
        for (int i = 0, off = 0; i < chunks; i++)
        {
            int len = Math.Min(OverflowPage.MaxChunk, total - off);
            // Allocation runs its own MTR on page 0; the pages this MTR holds are unreachable, so no cycle.
            ulong next = i + 1 < chunks ? await allocator.AllocateAsync(ct).ConfigureAwait(false) : 0;
            var h = await mtr.CreatePageAsync(cur, ct).ConfigureAwait(false);
            HeapRecords.OverflowWrite(mtr.Add(h, RedoType.OverflowWrite, HeapRecords.OverflowWriteSize(len)), next, row.Span.Slice(off, len));
            mtr.Apply();
            if ((i + 1) % perMtr == 0 || i + 1 == chunks) await mtr.CommitAsync(ct).ConfigureAwait(false);
            off += len;
            cur = next;
        }
        return new OverflowRef(first, total, crc);
    }

    /// <summary>Reassembles a chain into dest (which holds at least ovf.Length bytes) and checks its CRC.</summary>
    public static async ValueTask<FetchStatus> ReadAsync(BufferPool pool, OverflowRef ovf, Memory<byte> dest, CancellationToken ct)
    {
        int copied = 0;
        ulong page = ovf.FirstPage;
        while (copied < ovf.Length)
        {
            if (page == 0 || page >= pool.Volume.PageCount) return FetchStatus.Corrupt;
            using var h = await pool.PinAsync(page, PageAccess.Scan, ct).ConfigureAwait(false);
            h.LatchShared();
            try
            {
                var chunk = OverflowPage.Chunk(h.Page);
                if (chunk.IsEmpty || chunk.Length > ovf.Length - copied) return FetchStatus.Corrupt;
                chunk.CopyTo(dest.Span[copied..]);
                copied += chunk.Length;
                page = OverflowPage.Next(h.Page);
            }
            finally { h.UnlatchShared(); }
        }
        return Crc32.HashToUInt32(dest.Span[..ovf.Length]) == ovf.Crc ? FetchStatus.Ok : FetchStatus.Corrupt;
    }

    /// <summary>Returns every page of a chain to the allocator; stops at the first page that is not an overflow page. Returns the count.</summary>
    public static async ValueTask<int> FreeChainAsync(BufferPool pool, PageAllocator allocator, ulong first, CancellationToken ct)
    {
        int freed = 0;
        ulong page = first;
        while (page != 0 && page < pool.Volume.PageCount)
        {
            ulong next;
            using (var h = await pool.PinAsync(page, PageAccess.Scan, ct).ConfigureAwait(false))
            {
                h.LatchShared();
                try
                {
                    if (!OverflowPage.IsOverflow(h.Page)) break;
                    next = OverflowPage.Next(h.Page);
                }
                finally { h.UnlatchShared(); }
            }
            await allocator.FreeAsync(page, ct).ConfigureAwait(false);
            freed++;
            page = next;
        }
        return freed;
    }
}
