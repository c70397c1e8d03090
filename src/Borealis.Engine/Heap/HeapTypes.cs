using System.Runtime.CompilerServices;
using Borealis.Redo.Heap;

namespace Borealis.Engine.Heap;

/// <summary>A tuple's address: heap data page and line-pointer slot. The default value means "none".</summary>
public readonly record struct Tid(ulong Page, ushort Slot)
{
    public bool IsNone => Page == 0;

    /// <summary>The 64-bit ctid form stored in tuple headers: page (48 bits) &lt;&lt; 16 | slot.</summary>
    public ulong Packed => HeapTuple.PackCtid(Page, Slot);

    public static Tid FromPacked(ulong ctid) => new(HeapTuple.CtidPage(ctid), HeapTuple.CtidSlot(ctid));

    public override string ToString() => $"({Page},{Slot})";
}

/// <summary>A copy of a tuple header's values (see <see cref="HeapTuple"/> for the stored layout).</summary>
public readonly struct HeapTupleHeader
{
    public ulong Xmin { get; init; }
    public ulong Xmax { get; init; }
    public uint Cmin { get; init; }
    public uint Cmax { get; init; }
    /// <summary>The newer version after an update, else the tuple's own address.</summary>
    public Tid Ctid { get; init; }
    public HeapInfomask Infomask { get; init; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static HeapTupleHeader Read(ReadOnlySpan<byte> tuple) => new()
    {
        Xmin = HeapTuple.Xmin(tuple),
        Xmax = HeapTuple.Xmax(tuple),
        Cmin = HeapTuple.Cmin(tuple),
        Cmax = HeapTuple.Cmax(tuple),
        Ctid = Tid.FromPacked(HeapTuple.Ctid(tuple)),
        Infomask = HeapTuple.Infomask(tuple),
    };

    public bool HasOverflow => (Infomask & HeapInfomask.HasOverflow) != 0;
}

public enum FetchStatus : byte
{
    Ok = 0,
    /// <summary>The slot does not hold a tuple (out of range, Unused, or Dead), or the page is not a page of this heap.</summary>
    NotFound = 1,
    /// <summary>The row did not fit the caller's buffer; <see cref="FetchResult.Length"/> says how much is needed. Header is set.</summary>
    BufferTooSmall = 2,
    /// <summary>The overflow chain is broken or does not match its checksum (freed under the reader, or damaged).</summary>
    Corrupt = 3,
}

/// <summary>Outcome of a fetch: the header and the row length (the row itself is in the caller's buffer).</summary>
public readonly record struct FetchResult(FetchStatus Status, HeapTupleHeader Header, int Length);

public enum SetXmaxStatus : byte
{
    Ok = 0,
    /// <summary>The slot holds no tuple.</summary>
    NotFound = 1,
    /// <summary>The tuple's xmax was not the expected one; nothing changed. The result carries the current header.</summary>
    Conflict = 2,
}

/// <summary>
/// Outcome of <see cref="HeapTable.SetXmaxAsync"/> / <see cref="HeapTable.UpdateAsync"/>: the header
/// as it was before the change (or as it is, on Conflict), the new version's address for an update,
/// and the LSN of the MTR that made the change (0 when nothing changed).
/// </summary>
public readonly record struct SetXmaxResult(SetXmaxStatus Status, HeapTupleHeader Previous, Tid NewTid, ulong Lsn);

/// <summary>Outcome of an insert: the new version's address and the LSN of its MTR.</summary>
public readonly record struct InsertResult(Tid Tid, ulong Lsn);

/// <summary>What vacuum does with one line pointer.</summary>
public enum PruneAction : byte
{
    Keep = 0,
    /// <summary>Drop the tuple's storage but keep the line pointer (indexes may still point to it).</summary>
    Dead = 1,
    /// <summary>Free the line pointer too (no index entry points to it any more).</summary>
    Unused = 2,
}

/// <summary>
/// Vacuum's decision per slot, called under the page's exclusive latch (must not block or do I/O).
/// For a Dead slot <paramref name="header"/> is default and <paramref name="data"/> empty; returning
/// Dead for it keeps it as is.
/// </summary>
public interface IHeapPrunePredicate
{
    PruneAction Decide(Tid tid, SlotState state, in HeapTupleHeader header, ReadOnlySpan<byte> data);
}

/// <summary>Outcome of a prune: slots changed and overflow pages returned to the allocator.</summary>
public readonly record struct PruneResult(int Dead, int Unused, int OverflowPagesFreed, int FreeBytes, ulong Lsn);

/// <summary>A heap page or chain is not what the heap wrote there: an invariant is broken (SQLSTATE XX001, data_corrupted).</summary>
public sealed class HeapCorruptedException(string message) : Exception(message)
{
    public string SqlState => "XX001";
}

/// <summary>A heap reached a format limit (SQLSTATE 54000, program_limit_exceeded).</summary>
public sealed class HeapLimitException(string message) : Exception(message)
{
    public string SqlState => "54000";
}
