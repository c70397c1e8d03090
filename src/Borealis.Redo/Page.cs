using System.Buffers.Binary;
using System.IO.Hashing;

namespace Borealis.Redo;

/// <summary>
/// The 8 KiB page as storage sees it. Only the first 16 bytes belong to storage; the rest is
/// the engine's.
/// <code>
/// offset size field
///  0     8    lsn       LSN of the last redo record applied to the page (0 = never written)
///  8     4    checksum  XxHash32 of bytes [12, PageSize) seeded with the page number
/// 12     4    reserved  0 (kept inside the checksum)
/// 16     …    body      engine-defined
/// </code>
/// A page that was never written is all zeros with checksum 0 and is valid.
/// </summary>
public static class Page
{
    public const int Size = 8192;
    public const int HeaderSize = 16;
    public const int OffLsn = 0;
    public const int OffChecksum = 8;

    public static ulong GetLsn(ReadOnlySpan<byte> page) => BinaryPrimitives.ReadUInt64LittleEndian(page);
    public static void SetLsn(Span<byte> page, ulong lsn) => BinaryPrimitives.WriteUInt64LittleEndian(page, lsn);

    public static uint ComputeChecksum(ReadOnlySpan<byte> page, ulong pageNo)
        => XxHash32.HashToUInt32(page[12..Size], unchecked((int)(pageNo ^ (pageNo >> 32))));

    public static void SealChecksum(Span<byte> page, ulong pageNo)
        => BinaryPrimitives.WriteUInt32LittleEndian(page[OffChecksum..], ComputeChecksum(page, pageNo));

    /// <summary>True when the stored checksum matches (an all-zero, never-written page is valid).</summary>
    public static bool VerifyChecksum(ReadOnlySpan<byte> page, ulong pageNo)
    {
        if (page.Length != Size) return false;
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(page[OffChecksum..]);
        if (stored == 0 && GetLsn(page) == 0 && !page.ContainsAnyExcept((byte)0)) return true;
        return stored == ComputeChecksum(page, pageNo);
    }
}
