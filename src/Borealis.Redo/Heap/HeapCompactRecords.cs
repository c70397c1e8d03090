namespace Borealis.Redo.Heap;

/// <summary>
/// Unsigned LEB128 varints for the compact heap records: 7 bits per byte, least significant group
/// first, high bit set on every byte but the last; at most 10 bytes for a u64. Readers take the
/// first encoding that ends (overlong encodings decode to the same value, so apply stays
/// deterministic) and refuse one that runs past the payload, past 10 bytes or past 64 bits.
/// </summary>
public static class HeapVarint
{
    public const int MaxSize = 10;

    public static int Size(ulong v)
    {
        int n = 1;
        while (v >= 0x80) { v >>= 7; n++; }
        return n;
    }

    public static int Write(Span<byte> dest, ulong v)
    {
        int i = 0;
        while (v >= 0x80)
        {
            dest[i++] = (byte)(v | 0x80);
            v >>= 7;
        }
        dest[i++] = (byte)v;
        return i;
    }

    /// <summary>Reads one varint at <paramref name="pos"/> and advances it; false when malformed or truncated.</summary>
    public static bool TryRead(ReadOnlySpan<byte> src, ref int pos, out ulong value)
    {
        value = 0;
        for (int shift = 0, i = 0; i < MaxSize; i++, shift += 7)
        {
            if (pos >= src.Length) return false;
            byte b = src[pos++];
            ulong part = (ulong)(b & 0x7F);
            if (shift == 63 && part > 1) return false; // past 64 bits
            value |= part << shift;
            if (b < 0x80) return true;
        }
        return false;
    }
}

/// <summary>
/// Writers of the compact heap records (<see cref="RedoType.HeapInsertCompact"/>,
/// <see cref="RedoType.HeapUpdateInPageDeltaCompact"/>, <see cref="RedoType.HeapSetXmaxCompact"/>; layouts and semantics in <see cref="HeapApply"/>).
/// They carry only what a fresh version's header cannot derive: zero xmax/cmax are omitted, the
/// self ctid comes from the record's page number, integers are <see cref="HeapVarint"/>s.
/// </summary>
public static class HeapCompactRecords
{
    /// <summary>Payload size of a <see cref="RedoType.HeapInsertCompact"/> record.</summary>
    public static int InsertSize(ushort slot, HeapInfomask infomask, ulong xmin, uint cmin, int dataLength) =>
        HeapVarint.Size(slot) + HeapVarint.Size((ushort)infomask) + HeapVarint.Size(xmin) + HeapVarint.Size(cmin) + dataLength;

    /// <summary>Writes the insert's fields; the caller copies the row data to the returned span.</summary>
    public static Span<byte> Insert(Span<byte> dest, ushort slot, HeapInfomask infomask, ulong xmin, uint cmin, int dataLength)
    {
        int o = HeapVarint.Write(dest, slot);
        o += HeapVarint.Write(dest[o..], (ushort)infomask);
        o += HeapVarint.Write(dest[o..], xmin);
        o += HeapVarint.Write(dest[o..], cmin);
        return dest.Slice(o, dataLength);
    }

    /// <summary>Payload size of a <see cref="RedoType.HeapSetXmaxCompact"/> record on page <paramref name="pageNo"/>.</summary>
    public static int SetXmaxSize(ulong pageNo, ushort slot, HeapInfomask xmaxBits, uint cmax, ulong xmax, ulong ctid) =>
        HeapVarint.Size(slot) + HeapVarint.Size((ushort)xmaxBits) + HeapVarint.Size(cmax) + HeapVarint.Size(xmax)
        + HeapVarint.Size(HeapTuple.CtidSlot(ctid)) + HeapVarint.Size(CtidPageCode(pageNo, ctid));

    /// <summary>Writes a <see cref="RedoType.HeapSetXmaxCompact"/> payload for page <paramref name="pageNo"/>; returns its length.</summary>
    public static int SetXmax(Span<byte> dest, ulong pageNo, ushort slot, HeapInfomask xmaxBits, uint cmax, ulong xmax, ulong ctid)
    {
        int o = HeapVarint.Write(dest, slot);
        o += HeapVarint.Write(dest[o..], (ushort)xmaxBits);
        o += HeapVarint.Write(dest[o..], cmax);
        o += HeapVarint.Write(dest[o..], xmax);
        o += HeapVarint.Write(dest[o..], HeapTuple.CtidSlot(ctid));
        o += HeapVarint.Write(dest[o..], CtidPageCode(pageNo, ctid));
        return o;
    }

    /// <summary>The ctid's page as HeapSetXmaxCompact codes it: 0 = the record's own page, else page + 1.</summary>
    private static ulong CtidPageCode(ulong pageNo, ulong ctid) => HeapTuple.CtidPage(ctid) == pageNo ? 0 : HeapTuple.CtidPage(ctid) + 1;

    /// <summary>Payload size of a <see cref="RedoType.HeapUpdateInPageDeltaCompact"/> record.</summary>
    public static int UpdateInPageDeltaSize(ushort oldSlot, ushort newSlot, HeapInfomask xmaxBits, HeapInfomask newInfomask, uint cid, ulong xid,
        int prefixLength, int suffixLength, int changedLength) =>
        HeapVarint.Size(oldSlot) + HeapVarint.Size(newSlot) + HeapVarint.Size((ushort)xmaxBits) + HeapVarint.Size((ushort)newInfomask)
        + HeapVarint.Size(cid) + HeapVarint.Size(xid) + HeapVarint.Size((ulong)prefixLength) + HeapVarint.Size((ulong)suffixLength) + changedLength;

    /// <summary>Writes a compact in-page delta update; the caller copies the changed middle bytes of the new data to the returned span.</summary>
    public static Span<byte> UpdateInPageDelta(Span<byte> dest, ushort oldSlot, ushort newSlot, HeapInfomask xmaxBits, HeapInfomask newInfomask,
        uint cid, ulong xid, int prefixLength, int suffixLength, int changedLength)
    {
        int o = HeapVarint.Write(dest, oldSlot);
        o += HeapVarint.Write(dest[o..], newSlot);
        o += HeapVarint.Write(dest[o..], (ushort)xmaxBits);
        o += HeapVarint.Write(dest[o..], (ushort)newInfomask);
        o += HeapVarint.Write(dest[o..], cid);
        o += HeapVarint.Write(dest[o..], xid);
        o += HeapVarint.Write(dest[o..], (ulong)prefixLength);
        o += HeapVarint.Write(dest[o..], (ulong)suffixLength);
        return dest.Slice(o, changedLength);
    }
}
