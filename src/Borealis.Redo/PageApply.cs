using System.Buffers.Binary;

namespace Borealis.Redo;

/// <summary>
/// The one apply routine. Storage nodes use it to materialise page versions and DB instances
/// use it to keep cached pages current, so a page rebuilt by storage is byte-identical to the
/// writer's. The engine adds its physiological record types here, never elsewhere.
/// </summary>
public static class PageApply
{
    /// <summary>
    /// Applies one record to a page image (body only; the page LSN is set to the record's LSN,
    /// the checksum is left for whoever stores or sends the page). Returns false, leaving the
    /// page untouched, when the payload is malformed for its type.
    /// </summary>
    public static bool Apply(Span<byte> page, ReadOnlySpan<byte> record) => Apply(page, record, RedoRecord.Lsn(record));

    /// <summary>
    /// Applies a record as if it carried <paramref name="lsn"/>: the writer applies records while it
    /// builds a mini-transaction, before the volume has stamped them, and re-applies the
    /// LSN-dependent ones (<see cref="RedoFamilies.IsLsnDependent"/>) with their real LSN.
    /// </summary>
    public static bool Apply(Span<byte> page, ReadOnlySpan<byte> record, ulong lsn)
    {
        var payload = RedoRecord.Payload(record);
        switch (RedoRecord.Type(record))
        {
            case RedoType.Noop:
                break;
            case RedoType.PageImage:
                if (payload.Length != Page.Size) return false;
                payload[Page.HeaderSize..].CopyTo(page[Page.HeaderSize..]);
                break;
            case RedoType.WriteBytes:
            {
                if (payload.Length < 2) return false;
                int offset = BinaryPrimitives.ReadUInt16LittleEndian(payload);
                var data = payload[2..];
                if (offset < Page.HeaderSize || offset + data.Length > Page.Size) return false;
                data.CopyTo(page[offset..]);
                break;
            }
            case RedoType.Fill:
            {
                if (payload.Length != 5) return false;
                int offset = BinaryPrimitives.ReadUInt16LittleEndian(payload);
                int length = BinaryPrimitives.ReadUInt16LittleEndian(payload[2..]);
                if (offset < Page.HeaderSize || offset + length > Page.Size) return false;
                page.Slice(offset, length).Fill(payload[4]);
                break;
            }
            default:
            {
                byte t = (byte)RedoRecord.Type(record);
                bool ok = t switch
                {
                    >= RedoFamilies.HeapFirst and <= RedoFamilies.HeapLast => Heap.HeapApply.Apply(page, RedoRecord.Type(record), payload, RedoRecord.PageNo(record)),
                    >= RedoFamilies.BTreeFirst and <= RedoFamilies.BTreeLast => BTree.BTreeApply.Apply(page, RedoRecord.Type(record), payload),
                    >= RedoFamilies.XactFirst and <= RedoFamilies.XactLast => Xact.XactApply.Apply(page, RedoRecord.Type(record), payload, lsn),
                    _ => false,
                };
                if (!ok) return false;
                break;
            }
        }
        Page.SetLsn(page, lsn);
        return true;
    }

    /// <summary>Payload for a WriteBytes record; returns its length.</summary>
    public static int WriteBytesPayload(Span<byte> dest, ushort offset, ReadOnlySpan<byte> data)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(dest, offset);
        data.CopyTo(dest[2..]);
        return 2 + data.Length;
    }
}
