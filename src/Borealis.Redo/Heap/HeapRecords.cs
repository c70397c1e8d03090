using System.Buffers.Binary;

namespace Borealis.Redo.Heap;

/// <summary>
/// Writers of heap-family payloads (layouts in <see cref="HeapApply"/>). Each returns the number
/// of bytes written; the <c>…Size</c> constants give fixed sizes so callers can reserve exactly.
/// </summary>
public static class HeapRecords
{
    public const int HeapInitSize = 12;
    public const int InitSize = 8;
    public const int SetXmaxSize = 24;
    public const int SetHintsSize = 4;
    public const int MetaAddDirSize = 12;
    public const int MetaSetSummarySize = 5;
    public const int FreeSpaceAddSize = 12;
    public const int FreeSpaceSetSize = 3;

    public static int InsertSize(int tupleLength) => 2 + tupleLength;
    public static int UpdateInPageSize(int tupleLength) => SetXmaxSize + 2 + tupleLength;
    public const int UpdateInPageDeltaFixedSize = 24;
    public static int UpdateInPageDeltaSize(int changedBytes) => UpdateInPageDeltaFixedSize + changedBytes;
    public static int PruneSize(int slots) => 4 + 2 * slots;
    public static int OverflowWriteSize(int chunkLength) => 8 + chunkLength;

    public static int HeapInit(Span<byte> dest, ulong owner, int dirIndex, int dirEntry)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(dest, owner);
        BinaryPrimitives.WriteUInt16LittleEndian(dest[8..], (ushort)dirIndex);
        BinaryPrimitives.WriteUInt16LittleEndian(dest[10..], (ushort)dirEntry);
        return HeapInitSize;
    }

    /// <summary>FreeSpaceInit's payload.</summary>
    public static int Init(Span<byte> dest, ulong owner)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(dest, owner);
        return InitSize;
    }

    /// <summary>Writes the insert's slot and tuple header; the caller copies the row data to the returned span.</summary>
    public static Span<byte> Insert(Span<byte> dest, ushort slot, ulong xmin, uint cmin, ulong selfCtid, HeapInfomask infomask, int dataLength)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(dest, slot);
        HeapTuple.WriteHeader(dest[2..], xmin, 0, cmin, 0, selfCtid, infomask);
        return dest.Slice(2 + HeapTuple.HeaderSize, dataLength);
    }

    public static int SetXmax(Span<byte> dest, ushort slot, HeapInfomask xmaxBits, uint cmax, ulong xmax, ulong ctid)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(dest, slot);
        BinaryPrimitives.WriteUInt16LittleEndian(dest[2..], (ushort)xmaxBits);
        BinaryPrimitives.WriteUInt32LittleEndian(dest[4..], cmax);
        BinaryPrimitives.WriteUInt64LittleEndian(dest[8..], xmax);
        BinaryPrimitives.WriteUInt64LittleEndian(dest[16..], ctid);
        return SetXmaxSize;
    }

    /// <summary>Writes an in-page update; the caller copies the new row data to the returned span.</summary>
    public static Span<byte> UpdateInPage(Span<byte> dest, ushort oldSlot, HeapInfomask xmaxBits, uint cid, ulong xid, ulong newCtid,
        ushort newSlot, HeapInfomask newInfomask, int dataLength)
    {
        SetXmax(dest, oldSlot, xmaxBits, cid, xid, newCtid);
        return Insert(dest[SetXmaxSize..], newSlot, xid, cid, newCtid, newInfomask, dataLength);
    }

    /// <summary>
    /// Writes an in-page delta update (layout in <see cref="HeapApply"/>); the caller copies the
    /// changed middle bytes of the new data to the returned span.
    /// </summary>
    public static Span<byte> UpdateInPageDelta(Span<byte> dest, ushort oldSlot, ushort newSlot, HeapInfomask xmaxBits, HeapInfomask newInfomask,
        uint cid, ulong xid, int prefixLength, int suffixLength, int changedLength)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(dest, oldSlot);
        BinaryPrimitives.WriteUInt16LittleEndian(dest[2..], newSlot);
        BinaryPrimitives.WriteUInt16LittleEndian(dest[4..], (ushort)xmaxBits);
        BinaryPrimitives.WriteUInt16LittleEndian(dest[6..], (ushort)newInfomask);
        BinaryPrimitives.WriteUInt32LittleEndian(dest[8..], cid);
        BinaryPrimitives.WriteUInt64LittleEndian(dest[12..], xid);
        BinaryPrimitives.WriteUInt16LittleEndian(dest[20..], (ushort)prefixLength);
        BinaryPrimitives.WriteUInt16LittleEndian(dest[22..], (ushort)suffixLength);
        return dest.Slice(UpdateInPageDeltaFixedSize, changedLength);
    }

    /// <summary>
    /// Lengths of the common prefix and suffix of <paramref name="oldData"/> and
    /// <paramref name="newData"/> (not overlapping within either), for <see cref="UpdateInPageDelta"/>.
    /// </summary>
    public static (int Prefix, int Suffix) CommonAffixes(ReadOnlySpan<byte> oldData, ReadOnlySpan<byte> newData)
    {
        int max = Math.Min(Math.Min(oldData.Length, newData.Length), ushort.MaxValue);
        int prefix = oldData[..max].CommonPrefixLength(newData[..max]);
        int suffix = 0;
        int maxSuffix = max - prefix;
        while (suffix < maxSuffix && oldData[oldData.Length - 1 - suffix] == newData[newData.Length - 1 - suffix]) suffix++;
        return (prefix, suffix);
    }

    public static int Prune(Span<byte> dest, ReadOnlySpan<ushort> dead, ReadOnlySpan<ushort> unused)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(dest, (ushort)dead.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(dest[2..], (ushort)unused.Length);
        int o = 4;
        foreach (var s in dead) { BinaryPrimitives.WriteUInt16LittleEndian(dest[o..], s); o += 2; }
        foreach (var s in unused) { BinaryPrimitives.WriteUInt16LittleEndian(dest[o..], s); o += 2; }
        return o;
    }

    public static int SetHints(Span<byte> dest, ushort slot, HeapInfomask bits)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(dest, slot);
        BinaryPrimitives.WriteUInt16LittleEndian(dest[2..], (ushort)bits);
        return SetHintsSize;
    }

    public static int OverflowWrite(Span<byte> dest, ulong next, ReadOnlySpan<byte> chunk)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(dest, next);
        chunk.CopyTo(dest[8..]);
        return 8 + chunk.Length;
    }

    public static int MetaAddDir(Span<byte> dest, int index, ulong dirPage)
    {
        BinaryPrimitives.WriteInt32LittleEndian(dest, index);
        BinaryPrimitives.WriteUInt64LittleEndian(dest[4..], dirPage);
        return MetaAddDirSize;
    }

    public static int MetaSetSummary(Span<byte> dest, int index, byte category)
    {
        BinaryPrimitives.WriteInt32LittleEndian(dest, index);
        dest[4] = category;
        return MetaSetSummarySize;
    }

    public static int FreeSpaceAdd(Span<byte> dest, int index, byte category, ulong page)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(dest, (ushort)index);
        dest[2] = category;
        dest[3] = 0;
        BinaryPrimitives.WriteUInt64LittleEndian(dest[4..], page);
        return FreeSpaceAddSize;
    }

    public static int FreeSpaceSet(Span<byte> dest, int index, byte category)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(dest, (ushort)index);
        dest[2] = category;
        return FreeSpaceSetSize;
    }
}
