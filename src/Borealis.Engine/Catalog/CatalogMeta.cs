using System.Buffers.Binary;
using Borealis.Engine.Buffer;
using Borealis.Engine.Mtr;
using Borealis.Redo;

namespace Borealis.Engine.Catalog;

/// <summary>
/// The catalog meta page (the page at <see cref="Space.RootSlot.Catalog"/>) and sequence pages.
/// Both change only through WriteBytes records (generic redo, no record type of their own).
/// <code>
/// catalog meta page
/// offset size field
/// 16     1    kind        PageKind.Catalog (30)
/// 17     1    subkind     1 = catalog meta
/// 18     2    format      1
/// 24     8    oidCeiling  OIDs below it may have been handed out: a restarted writer starts here
/// 32     8    version     bumped by DDL (a seqlock): odd from a DDL transaction's first change until
///                         after it ended, even otherwise. A reader instance caches the catalog it
///                         loaded at an even version V and reloads when the page (at its read point)
///                         shows another version; while it is odd it must load per read point.
/// 40     8×8  heaps       meta pages of the system heaps (SystemTables order)
///
/// sequence page
/// 16     1    kind        PageKind.Catalog (30)
/// 17     1    subkind     2 = sequence
/// 24     8    lastValue   i64 (PostgreSQL's last_value as logged: ahead of what was handed out)
/// 32     8    logCount    i64 (log_cnt: values fetchable before the next log; always 0 when logged)
/// 40     1    isCalled    1 = lastValue was handed out (nextval returns lastValue + increment)
/// </code>
/// </summary>
public static class CatalogMeta
{
    public const byte SubkindMeta = 1, SubkindSequence = 2;
    public const ushort Format = 1;
    public const int OffKind = 16, OffSubkind = 17, OffFormat = 18, OffOidCeiling = 24, OffVersion = 32, OffHeaps = 40;
    public const int OffSeqLast = 24, OffSeqLogCount = 32, OffSeqIsCalled = 40;
    /// <summary>OIDs reserved per logged ceiling raise.</summary>
    public const uint OidBatch = 64;
    /// <summary>PostgreSQL's SEQ_LOG_VALS: how many sequence values one logged change covers ahead.</summary>
    public const int SeqLogVals = 32;

    public static ulong OidCeiling(ReadOnlySpan<byte> page) => BinaryPrimitives.ReadUInt64LittleEndian(page[OffOidCeiling..]);
    public static ulong Version(ReadOnlySpan<byte> page) => BinaryPrimitives.ReadUInt64LittleEndian(page[OffVersion..]);
    public static ulong Heap(ReadOnlySpan<byte> page, int table) => BinaryPrimitives.ReadUInt64LittleEndian(page[(OffHeaps + table * 8)..]);

    public static bool IsMeta(ReadOnlySpan<byte> page) =>
        page[OffKind] == (byte)PageKind.Catalog && page[OffSubkind] == SubkindMeta;

    public static bool IsSequence(ReadOnlySpan<byte> page) =>
        page[OffKind] == (byte)PageKind.Catalog && page[OffSubkind] == SubkindSequence;

    internal static void WriteBytes(EngineMtr mtr, in PageHandle h, int offset, ReadOnlySpan<byte> data)
    {
        PageApply.WriteBytesPayload(mtr.Add(h, RedoType.WriteBytes, 2 + data.Length), (ushort)offset, data);
        mtr.Apply();
    }

    internal static void WriteU64(EngineMtr mtr, in PageHandle h, int offset, ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, value);
        WriteBytes(mtr, h, offset, b);
    }

    /// <summary>Reads the version from the meta page as the pool has it (the reader hook: compare with a cached snapshot's version).</summary>
    public static async ValueTask<ulong> ReadVersionAsync(BufferPool pool, ulong metaPage, CancellationToken ct = default)
    {
        using var h = await pool.PinAsync(metaPage, PageAccess.Normal, ct).ConfigureAwait(false);
        h.LatchShared();
        try { return Version(h.Page); }
        finally { h.UnlatchShared(); }
    }
}
