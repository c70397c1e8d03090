using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Borealis.Redo.Heap;

/// <summary>
/// A heap tuple: one MVCC version of a row, stored contiguously on a heap page (the line
/// pointer gives its offset and total length). The header is raw material for the transaction
/// layer, which decides visibility; the heap only stores and returns it.
/// <code>
/// offset size field
///  0     8    xmin      transaction that created this version (64-bit xids never wrap)
///  8     8    xmax      transaction that deleted/updated/locked it (0 = none)
/// 16     4    cmin      command id of the insert inside xmin
/// 20     4    cmax      command id of the delete/update/lock inside xmax
/// 24     8    ctid      page (48 bits) &lt;&lt; 16 | slot (16 bits): the newer version after an
///                       update, else this version's own address
/// 32     2    infomask  <see cref="HeapInfomask"/>
/// 34     …    data      the row bytes (opaque; the SQL layer encodes them), or a 16-byte
///                       <see cref="OverflowPointer"/> when infomask has HasOverflow
/// </code>
/// All integers little-endian; tuples are not aligned (every field is read with BinaryPrimitives).
/// </summary>
public static class HeapTuple
{
    public const int OffXmin = 0;
    public const int OffXmax = 8;
    public const int OffCmin = 16;
    public const int OffCmax = 20;
    public const int OffCtid = 24;
    public const int OffInfomask = 32;
    public const int HeaderSize = 34;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Xmin(ReadOnlySpan<byte> t) => BinaryPrimitives.ReadUInt64LittleEndian(t[OffXmin..]);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Xmax(ReadOnlySpan<byte> t) => BinaryPrimitives.ReadUInt64LittleEndian(t[OffXmax..]);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Cmin(ReadOnlySpan<byte> t) => BinaryPrimitives.ReadUInt32LittleEndian(t[OffCmin..]);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Cmax(ReadOnlySpan<byte> t) => BinaryPrimitives.ReadUInt32LittleEndian(t[OffCmax..]);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Ctid(ReadOnlySpan<byte> t) => BinaryPrimitives.ReadUInt64LittleEndian(t[OffCtid..]);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static HeapInfomask Infomask(ReadOnlySpan<byte> t) => (HeapInfomask)BinaryPrimitives.ReadUInt16LittleEndian(t[OffInfomask..]);

    /// <summary>Writes a tuple header at the start of <paramref name="dest"/>.</summary>
    public static void WriteHeader(Span<byte> dest, ulong xmin, ulong xmax, uint cmin, uint cmax, ulong ctid, HeapInfomask infomask)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(dest[OffXmin..], xmin);
        BinaryPrimitives.WriteUInt64LittleEndian(dest[OffXmax..], xmax);
        BinaryPrimitives.WriteUInt32LittleEndian(dest[OffCmin..], cmin);
        BinaryPrimitives.WriteUInt32LittleEndian(dest[OffCmax..], cmax);
        BinaryPrimitives.WriteUInt64LittleEndian(dest[OffCtid..], ctid);
        BinaryPrimitives.WriteUInt16LittleEndian(dest[OffInfomask..], (ushort)infomask);
    }

    /// <summary>Packs a tuple address into the 64-bit ctid form: page (48 bits) &lt;&lt; 16 | slot.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong PackCtid(ulong page, ushort slot) => (page << 16) | slot;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong CtidPage(ulong ctid) => ctid >> 16;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort CtidSlot(ulong ctid) => (ushort)ctid;

    /// <summary>Largest page number a ctid can hold.</summary>
    public const ulong MaxPage = (1UL << 48) - 1;
}

/// <summary>Tuple infomask bits. On-disk values: only ever added to.</summary>
[Flags]
public enum HeapInfomask : ushort
{
    None = 0,
    /// <summary>xmax only locks the row (SELECT … FOR SHARE/UPDATE); the version is not deleted.</summary>
    XmaxLockOnly = 0x0001,
    /// <summary>With XmaxLockOnly: the lock is exclusive (FOR UPDATE) rather than shared.</summary>
    XmaxExclusiveLock = 0x0002,
    /// <summary>xmax updated the row (ctid points to the newer version) rather than deleting it.</summary>
    Updated = 0x0004,
    /// <summary>The data is an <see cref="OverflowPointer"/>: the row lives in a chain of overflow pages.</summary>
    HasOverflow = 0x0008,
    /// <summary>This version was created by an update that put it on the same page as the old one.</summary>
    HeapOnly = 0x0010,

    // Hint bits, set by the transaction layer with HeapSetHints once a status is known for good.
    XminCommitted = 0x0100,
    XminInvalid = 0x0200,
    XmaxCommitted = 0x0400,
    XmaxInvalid = 0x0800,

    /// <summary>Bits HeapSetXmax replaces (xmax's own flags and hints).</summary>
    XmaxBits = XmaxLockOnly | XmaxExclusiveLock | Updated | XmaxCommitted | XmaxInvalid,
    /// <summary>Bits HeapSetHints may OR in.</summary>
    HintBits = XminCommitted | XminInvalid | XmaxCommitted | XmaxInvalid,
    /// <summary>Every defined bit.</summary>
    All = XmaxLockOnly | XmaxExclusiveLock | Updated | HasOverflow | HeapOnly | HintBits,
}

/// <summary>
/// The data of a tuple whose row lives in overflow pages (infomask HasOverflow).
/// <code>
/// offset size field
///  0     8    firstPage  first overflow page of the chain
///  8     4    length     total row length in bytes
/// 12     4    crc32      System.IO.Hashing.Crc32 of the whole row (detects a chain freed and reused under a reader)
/// </code>
/// </summary>
public static class OverflowPointer
{
    public const int Size = 16;
    public static ulong FirstPage(ReadOnlySpan<byte> p) => BinaryPrimitives.ReadUInt64LittleEndian(p);
    public static int Length(ReadOnlySpan<byte> p) => BinaryPrimitives.ReadInt32LittleEndian(p[8..]);
    public static uint Crc(ReadOnlySpan<byte> p) => BinaryPrimitives.ReadUInt32LittleEndian(p[12..]);

    public static void Write(Span<byte> dest, ulong firstPage, int length, uint crc)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(dest, firstPage);
        BinaryPrimitives.WriteInt32LittleEndian(dest[8..], length);
        BinaryPrimitives.WriteUInt32LittleEndian(dest[12..], crc);
    }
}
