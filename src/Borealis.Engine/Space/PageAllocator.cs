using System.Buffers.Binary;
using Borealis.Engine.Buffer;
using Borealis.Engine.Mtr;
using Borealis.Redo;

namespace Borealis.Engine.Space;

/// <summary>
/// Hands out page numbers from the super block (page 0): the top of the free list if any, else
/// the high-water mark. Each allocation is its own small mini-transaction, committed before the
/// caller uses the page, so no caller ever holds page 0's latch together with other latches
/// (page 0 is always latched alone: no lock-order deadlocks). The price: a crash between the
/// allocation and the MTR that links the page in leaks that page, which is harmless (it is
/// never referenced). Freed pages go back on the free list the same way; a page must only be
/// freed once no reader can still reach it.
/// <para>
/// The allocation's CPL is below the LSN of any MTR that then uses the page, so the use can
/// never be durable without the allocation.
/// </para>
/// </summary>
public sealed class PageAllocator(BufferPool pool)
{
    /// <summary>Writes the super block of a new volume (idempotent: a formatted volume is left alone).</summary>
    public async ValueTask FormatAsync(CancellationToken ct = default)
    {
        using var mtr = new EngineMtr(pool);
        var h = await mtr.GetForWriteAsync(SuperBlock.PageNo, ct).ConfigureAwait(false);
        if (SuperBlock.IsFormatted(h.Page))
        {
            await mtr.CommitAsync(ct).ConfigureAwait(false);
            return;
        }
        Span<byte> hdr = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(hdr, SuperBlock.Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(hdr[4..], SuperBlock.Version);
        BinaryPrimitives.WriteUInt64LittleEndian(hdr[8..], 1); // next page: 1
        WriteBytes(mtr, h, SuperBlock.OffMagic, hdr);
        await mtr.CommitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Allocates one page. The caller then creates it with <see cref="EngineMtr.CreatePageAsync"/>.</summary>
    public async ValueTask<ulong> AllocateAsync(CancellationToken ct = default)
    {
        using var mtr = new EngineMtr(pool);
        var h = await mtr.GetForWriteAsync(SuperBlock.PageNo, ct).ConfigureAwait(false);
        var page = h.Page;
        if (!SuperBlock.IsFormatted(page)) throw new InvalidOperationException("the volume has no super block (not formatted)");
        ulong result;
        int free = SuperBlock.FreeCount(page);
        Span<byte> v = stackalloc byte[8];
        if (free > 0)
        {
            result = SuperBlock.FreeEntry(page, free - 1);
            BinaryPrimitives.WriteInt32LittleEndian(v, free - 1);
            WriteBytes(mtr, h, SuperBlock.OffFreeCount, v[..4]);
        }
        else
        {
            result = SuperBlock.NextPage(page);
            if (result >= pool.Volume.PageCount)
                throw new VolumeFullException($"the volume is full: all {pool.Volume.PageCount} pages are allocated");
            BinaryPrimitives.WriteUInt64LittleEndian(v, result + 1);
            WriteBytes(mtr, h, SuperBlock.OffNextPage, v);
        }
        await mtr.CommitAsync(ct).ConfigureAwait(false);
        return result;
    }

    /// <summary>Returns a page to the free list (leaked if the list is full). Only free pages no reader can reach.</summary>
    public async ValueTask FreeAsync(ulong pageNo, CancellationToken ct = default)
    {
        if (pageNo == SuperBlock.PageNo) throw new ArgumentOutOfRangeException(nameof(pageNo), "page 0 is the super block");
        using var mtr = new EngineMtr(pool);
        var h = await mtr.GetForWriteAsync(SuperBlock.PageNo, ct).ConfigureAwait(false);
        int free = SuperBlock.FreeCount(h.Page);
        if (free < SuperBlock.FreeListCapacity)
        {
            Span<byte> v = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(v, pageNo);
            WriteBytes(mtr, h, SuperBlock.OffFreeList + free * 8, v);
            BinaryPrimitives.WriteInt32LittleEndian(v, free + 1);
            WriteBytes(mtr, h, SuperBlock.OffFreeCount, v[..4]);
        }
        await mtr.CommitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Reads a well-known root page number (0 = not set).</summary>
    public async ValueTask<ulong> GetRootAsync(RootSlot slot, CancellationToken ct = default)
    {
        using var h = await pool.PinAsync(SuperBlock.PageNo, PageAccess.Normal, ct).ConfigureAwait(false);
        h.LatchShared();
        try { return SuperBlock.Root(h.Page, slot); }
        finally { h.UnlatchShared(); }
    }

    /// <summary>Records a well-known root page number, in the caller's MTR (latch page 0 last, see class remarks).</summary>
    public static async ValueTask SetRootAsync(EngineMtr mtr, RootSlot slot, ulong pageNo, CancellationToken ct = default)
    {
        var h = await mtr.GetForWriteAsync(SuperBlock.PageNo, ct).ConfigureAwait(false);
        Span<byte> v = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(v, pageNo);
        WriteBytes(mtr, h, SuperBlock.OffRoots + (int)slot * 8, v);
    }

    private static void WriteBytes(EngineMtr mtr, in PageHandle h, int offset, ReadOnlySpan<byte> data)
    {
        PageApply.WriteBytesPayload(mtr.Add(h, RedoType.WriteBytes, 2 + data.Length), (ushort)offset, data);
        mtr.Apply();
    }
}

/// <summary>The volume has no page left to allocate (SQLSTATE 53100, disk_full).</summary>
public sealed class VolumeFullException(string message) : Exception(message)
{
    public string SqlState => "53100";
}
