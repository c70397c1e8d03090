using System.Buffers.Binary;

namespace Borealis.Redo.Xact;

/// <summary>
/// Apply routine of the transaction-status family (<see cref="RedoFamilies.XactFirst"/>..<see cref="RedoFamilies.XactLast"/>).
/// Page and payload layouts: <see cref="XactLayout"/>. Every record validates its whole payload
/// and the page it meets before writing a byte, so a malformed or misdirected record changes
/// nothing and returns false.
/// </summary>
public static class XactApply
{
    /// <summary>
    /// Applies one record's payload to a page body; <paramref name="lsn"/> is the record's own
    /// LSN (a commit's status is its commit LSN). Returns false, leaving the page untouched,
    /// when the payload is malformed.
    /// </summary>
    public static bool Apply(Span<byte> page, RedoType type, ReadOnlySpan<byte> payload, ulong lsn) => type switch
    {
        RedoType.XactFormat => Format(page, payload),
        RedoType.XactCommit => SetSlots(page, payload, lsn),
        RedoType.XactAbort => SetSlots(page, payload, XactLayout.StatusAborted),
        RedoType.XactCeiling => Ceiling(page, payload),
        RedoType.XactDirSet => DirSet(page, payload),
        _ => false,
    };

    /// <summary>Types of this family whose result depends on the record's LSN.</summary>
    public static bool IsLsnDependent(RedoType type) => type == RedoType.XactCommit;

    private static bool Format(Span<byte> page, ReadOnlySpan<byte> payload)
    {
        if (payload.Length != XactLayout.FormatPayloadSize) return false;
        var role = (XactPageRole)payload[0];
        if (role is < XactPageRole.Counter or > XactPageRole.Status) return false;
        ulong b = BinaryPrimitives.ReadUInt64LittleEndian(payload[1..]);
        if (b % XactLayout.SlotsPerPage != 0) return false;
        if ((role is XactPageRole.Counter or XactPageRole.DirRoot) && b != 0) return false;
        page[Page.HeaderSize..].Clear();
        page[XactLayout.OffKind] = (byte)XactLayout.KindOf(role);
        page[XactLayout.OffRole] = (byte)role;
        BinaryPrimitives.WriteUInt64LittleEndian(page[XactLayout.OffBase..], b);
        return true;
    }

    private static bool SetSlots(Span<byte> page, ReadOnlySpan<byte> payload, ulong value)
    {
        if (!XactLayout.Is(page, XactPageRole.Status)) return false;
        if (payload.Length < 2) return false;
        int n = BinaryPrimitives.ReadUInt16LittleEndian(payload);
        if (n == 0 || n > XactLayout.SlotsPerPage || payload.Length != XactLayout.SlotsPayloadSize(n)) return false;
        for (int i = 0; i < n; i++)
            if (BinaryPrimitives.ReadUInt16LittleEndian(payload[(2 + 2 * i)..]) >= XactLayout.SlotsPerPage) return false;
        for (int i = 0; i < n; i++)
        {
            int slot = BinaryPrimitives.ReadUInt16LittleEndian(payload[(2 + 2 * i)..]);
            BinaryPrimitives.WriteUInt64LittleEndian(page[(XactLayout.OffSlots + slot * 8)..], value);
        }
        return true;
    }

    private static bool Ceiling(Span<byte> page, ReadOnlySpan<byte> payload)
    {
        if (!XactLayout.Is(page, XactPageRole.Counter) || payload.Length != XactLayout.CeilingPayloadSize) return false;
        ulong v = BinaryPrimitives.ReadUInt64LittleEndian(payload);
        if (v > XactLayout.Ceiling(page))
            BinaryPrimitives.WriteUInt64LittleEndian(page[XactLayout.OffCeiling..], v);
        return true;
    }

    private static bool DirSet(Span<byte> page, ReadOnlySpan<byte> payload)
    {
        if (payload.Length != XactLayout.DirSetPayloadSize) return false;
        if (!XactLayout.Is(page, XactPageRole.DirRoot) && !XactLayout.Is(page, XactPageRole.DirLeaf)) return false;
        int index = BinaryPrimitives.ReadUInt16LittleEndian(payload);
        if (index >= XactLayout.SlotsPerPage) return false;
        payload[2..].CopyTo(page[(XactLayout.OffSlots + index * 8)..]);
        return true;
    }
}
