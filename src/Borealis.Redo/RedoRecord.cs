using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.CompilerServices;

namespace Borealis.Redo;

/// <summary>
/// The redo record: the only thing the writer ever sends to storage. The same bytes travel
/// in Append frames, sit in a storage node's hot log, and are handed to the apply routine,
/// so a node persists what it received without re-encoding it.
/// </summary>
/// <remarks>
/// Layout (little-endian), header = 52 bytes, then the payload:
/// <code>
/// offset size field
///  0     4    crc32        System.IO.Hashing.Crc32 of bytes [4, totalLength)
///  4     4    totalLength  header + payload, HeaderSize ≤ totalLength ≤ MaxRecordSize
///  8     8    lsn          volume-wide, dense: the writer gives every record the next integer
/// 16     8    prevLsn      previous LSN of the same protection group (0 = first of the PG)
/// 24     8    volumeId
/// 32     4    pgIndex      protection group = pageNo / pagesPerPg
/// 36     4    writerEpoch  volume epoch of the writer that produced the record
/// 40     8    pageNo       page within the volume
/// 48     1    type         RedoType
/// 49     1    flags        RedoFlags (bit 0: CPL, last record of a mini-transaction)
/// 50     2    reserved     0
/// 52     …    payload      type-specific, see PageApply
/// </code>
/// LSNs are dense (1, 2, 3, …) so that recovery can tell, from the records that survive on a
/// read quorum, whether any LSN below a point is missing anywhere in the volume.
/// </remarks>
public static class RedoRecord
{
    public const int HeaderSize = 52;
    public const int MaxPayload = 64 * 1024;
    public const int MaxRecordSize = HeaderSize + MaxPayload;

    public const int OffCrc = 0;
    public const int OffLength = 4;
    public const int OffLsn = 8;
    public const int OffPrevLsn = 16;
    public const int OffVolume = 24;
    public const int OffPg = 32;
    public const int OffEpoch = 36;
    public const int OffPage = 40;
    public const int OffType = 48;
    public const int OffFlags = 49;
    public const int OffReserved = 50;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Length(ReadOnlySpan<byte> rec) => BinaryPrimitives.ReadInt32LittleEndian(rec[OffLength..]);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Lsn(ReadOnlySpan<byte> rec) => BinaryPrimitives.ReadUInt64LittleEndian(rec[OffLsn..]);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong PrevLsn(ReadOnlySpan<byte> rec) => BinaryPrimitives.ReadUInt64LittleEndian(rec[OffPrevLsn..]);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong VolumeId(ReadOnlySpan<byte> rec) => BinaryPrimitives.ReadUInt64LittleEndian(rec[OffVolume..]);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint PgIndex(ReadOnlySpan<byte> rec) => BinaryPrimitives.ReadUInt32LittleEndian(rec[OffPg..]);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint WriterEpoch(ReadOnlySpan<byte> rec) => BinaryPrimitives.ReadUInt32LittleEndian(rec[OffEpoch..]);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong PageNo(ReadOnlySpan<byte> rec) => BinaryPrimitives.ReadUInt64LittleEndian(rec[OffPage..]);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static RedoType Type(ReadOnlySpan<byte> rec) => (RedoType)rec[OffType];
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static RedoFlags Flags(ReadOnlySpan<byte> rec) => (RedoFlags)rec[OffFlags];
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsCpl(ReadOnlySpan<byte> rec) => (rec[OffFlags] & (byte)RedoFlags.Cpl) != 0;
    public static ReadOnlySpan<byte> Payload(ReadOnlySpan<byte> rec) => rec[HeaderSize..Length(rec)];

    /// <summary>Writes a record header (and computes the CRC) around a payload already placed at dest[HeaderSize..].</summary>
    public static int Seal(Span<byte> dest, int payloadLength, ulong lsn, ulong prevLsn, ulong volumeId, uint pgIndex,
        uint writerEpoch, ulong pageNo, RedoType type, RedoFlags flags)
    {
        int total = HeaderSize + payloadLength;
        BinaryPrimitives.WriteInt32LittleEndian(dest[OffLength..], total);
        BinaryPrimitives.WriteUInt64LittleEndian(dest[OffLsn..], lsn);
        BinaryPrimitives.WriteUInt64LittleEndian(dest[OffPrevLsn..], prevLsn);
        BinaryPrimitives.WriteUInt64LittleEndian(dest[OffVolume..], volumeId);
        BinaryPrimitives.WriteUInt32LittleEndian(dest[OffPg..], pgIndex);
        BinaryPrimitives.WriteUInt32LittleEndian(dest[OffEpoch..], writerEpoch);
        BinaryPrimitives.WriteUInt64LittleEndian(dest[OffPage..], pageNo);
        dest[OffType] = (byte)type;
        dest[OffFlags] = (byte)flags;
        BinaryPrimitives.WriteUInt16LittleEndian(dest[OffReserved..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(dest, Crc32.HashToUInt32(dest[4..total]));
        return total;
    }

    /// <summary>Rewrites LSN, back-link and epoch of a sealed record in place (the volume client assigns them late) and re-seals it.</summary>
    public static void Restamp(Span<byte> rec, ulong lsn, ulong prevLsn, uint writerEpoch, RedoFlags flags)
    {
        int total = Length(rec);
        BinaryPrimitives.WriteUInt64LittleEndian(rec[OffLsn..], lsn);
        BinaryPrimitives.WriteUInt64LittleEndian(rec[OffPrevLsn..], prevLsn);
        BinaryPrimitives.WriteUInt32LittleEndian(rec[OffEpoch..], writerEpoch);
        rec[OffFlags] = (byte)flags;
        BinaryPrimitives.WriteUInt32LittleEndian(rec, Crc32.HashToUInt32(rec[4..total]));
    }

    /// <summary>
    /// Checks that <paramref name="buffer"/> starts with a whole, well-formed record whose CRC matches.
    /// Returns the record length, or a negative <see cref="RecordError"/>.
    /// </summary>
    public static int Validate(ReadOnlySpan<byte> buffer)
    {
        if (buffer.Length < HeaderSize) return (int)RecordError.Truncated;
        int total = Length(buffer);
        if (total < HeaderSize || total > MaxRecordSize) return (int)RecordError.BadLength;
        if (total > buffer.Length) return (int)RecordError.Truncated;
        uint crc = BinaryPrimitives.ReadUInt32LittleEndian(buffer);
        if (Crc32.HashToUInt32(buffer[4..total]) != crc) return (int)RecordError.BadChecksum;
        ulong lsn = Lsn(buffer);
        if (lsn == 0 || PrevLsn(buffer) >= lsn) return (int)RecordError.BadLsn;
        if (!Enum.IsDefined(Type(buffer))) return (int)RecordError.BadType;
        return total;
    }
}

public enum RecordError
{
    Truncated = -1,
    BadLength = -2,
    BadChecksum = -3,
    BadLsn = -4,
    BadType = -5,
}

/// <summary>On-disk and on-wire values: pinned by tests, only ever added to.</summary>
public enum RedoType : byte
{
    /// <summary>No page change; still occupies an LSN in its PG (e.g. a commit marker).</summary>
    Noop = 0,
    /// <summary>Payload is a whole page image (PageSize bytes); replaces the page. Used to format new pages.</summary>
    PageImage = 1,
    /// <summary>Payload = u16 offset, then bytes written at that offset of the page body.</summary>
    WriteBytes = 2,
    /// <summary>Payload = u16 offset, u16 length, u8 value: fills a range.</summary>
    Fill = 3,

    // Engine record families. Each family owns a range and one apply class; a value is never
    // reused or renumbered (FormatPinTests pin them).
    //   16..39  heap and overflow (TOAST-like) pages  → Heap/HeapApply.cs
    //   40..63  B+tree pages                          → BTree/BTreeApply.cs
    //   64..79  transaction status and xid/meta pages → Xact/XactApply.cs
    //   80..95  catalog / relation meta pages         → (reserved)

    // -- heap (16..39) --
    // Payload layouts are documented in Heap/HeapApply.cs.
    /// <summary>Formats a heap data page.</summary>
    HeapInit = 16,
    /// <summary>Inserts a tuple at a slot.</summary>
    HeapInsert = 17,
    /// <summary>Sets a tuple's xmax, cmax, xmax infomask bits and ctid (delete, update's old version, row lock).</summary>
    HeapSetXmax = 18,
    /// <summary>An update whose new version goes on the same page: HeapSetXmax + HeapInsert in one record.</summary>
    HeapUpdateInPage = 19,
    /// <summary>Vacuum: marks slots Dead / Unused, then compacts the page deterministically.</summary>
    HeapPrune = 20,
    /// <summary>ORs hint bits into a tuple's infomask.</summary>
    HeapSetHints = 21,
    /// <summary>Formats an overflow page with its chunk and next pointer.</summary>
    OverflowWrite = 22,
    /// <summary>Formats a heap meta page.</summary>
    HeapMetaInit = 23,
    /// <summary>Appends a directory page to a heap meta page.</summary>
    HeapMetaAddDir = 24,
    /// <summary>Sets the max free-space category of one directory page in the meta page.</summary>
    HeapMetaSetSummary = 25,
    /// <summary>Formats a heap directory / free-space page.</summary>
    FreeSpaceInit = 26,
    /// <summary>Appends a data page entry to a directory page.</summary>
    FreeSpaceAdd = 27,
    /// <summary>Sets the free-space category of one entry of a directory page.</summary>
    FreeSpaceSet = 28,
    /// <summary>
    /// An update whose new version goes on the same page, logged as a delta against the old
    /// version: the new tuple's header is derived and its data is the old data's prefix, the
    /// changed bytes, and the old data's suffix (PostgreSQL's prefix/suffix compression).
    /// </summary>
    HeapUpdateInPageDelta = 29,
    /// <summary>
    /// HeapInsert of a fresh version without the derivable header fields (xmax/cmax zero, ctid =
    /// the record's page and slot) and with varint integers.
    /// </summary>
    HeapInsertCompact = 30,
    /// <summary>HeapUpdateInPageDelta with varint fields; the new ctid's page is the record's page.</summary>
    HeapUpdateInPageDeltaCompact = 31,
    /// <summary>HeapSetXmax with varint fields; a ctid on the record's own page costs one byte for its page.</summary>
    HeapSetXmaxCompact = 32,

    // -- btree (40..63) --  payload layouts: BTree/BTreeApply.cs
    /// <summary>Formats a B+tree node (leaf or inner) with its level, right-link, high key and entries.</summary>
    BtInitNode = 40,
    /// <summary>Inserts one entry at a slot of a B+tree node.</summary>
    BtInsert = 41,
    /// <summary>Removes the entry at a slot of a B+tree node.</summary>
    BtDelete = 42,
    /// <summary>Keeps the first entries of a node and sets its right-link and high key (the left half of a split).</summary>
    BtTruncate = 43,
    /// <summary>Formats or updates a B+tree meta page (root page and root level).</summary>
    BtSetMeta = 44,
    /// <summary>Marks an empty leaf dead: unlinked from its parent and left sibling, kept only for readers holding stale links.</summary>
    BtMarkDead = 45,

    // -- xact (64..79) --  layouts and payloads: Xact/XactLayout.cs

    /// <summary>Formats an xact page. Payload = u8 XactPageRole, u64 base (see XactLayout); 9 bytes.</summary>
    XactFormat = 64,
    /// <summary>
    /// Commit: payload = u16 n (1..XactLayout.SlotsPerPage), n × u16 slot; every slot of the XactStatus page
    /// gets the record's own LSN. LSN-dependent (the only such type).
    /// </summary>
    XactCommit = 65,
    /// <summary>Abort: payload as <see cref="XactCommit"/>; every slot gets XactLayout.StatusAborted (1).</summary>
    XactAbort = 66,
    /// <summary>Xid ceiling: payload = u64; the counter page's ceiling becomes max(ceiling, payload).</summary>
    XactCeiling = 67,
    /// <summary>Directory entry: payload = u16 index, u64 pageNo; sets one entry of a directory page.</summary>
    XactDirSet = 68,
}

/// <summary>Which family's apply routine owns a record type (see <see cref="RedoType"/>).</summary>
public static class RedoFamilies
{
    public const byte HeapFirst = 16, HeapLast = 39;
    public const byte BTreeFirst = 40, BTreeLast = 63;
    public const byte XactFirst = 64, XactLast = 79;

    /// <summary>
    /// Record types whose effect depends on the record's own LSN (e.g. "xid X committed at this
    /// LSN"). The writer applies every record as it builds a mini-transaction, before LSNs are
    /// known, and re-applies these once the volume has stamped them; every other type must
    /// produce the same bytes whatever its LSN.
    /// </summary>
    public static bool IsLsnDependent(RedoType type) => Xact.XactApply.IsLsnDependent(type);
}

[Flags]
public enum RedoFlags : byte
{
    None = 0,
    /// <summary>Consistency point: the last record of a mini-transaction.</summary>
    Cpl = 1,
}
