using Borealis.Redo;

namespace Borealis.Storage;

internal enum SlotState : byte { Empty, Valid, Corrupt }

/// <summary>The two slots of one page as found on disk.</summary>
internal readonly record struct SlotPair(SlotState State0, ulong Lsn0, SlotState State1, ulong Lsn1)
{
    public SlotState State(int slot) => slot == 0 ? State0 : State1;
    public ulong Lsn(int slot) => slot == 0 ? Lsn0 : Lsn1;
    public bool AnyCorrupt => State0 == SlotState.Corrupt || State1 == SlotState.Corrupt;
}

internal enum PageReadStatus { Ok, Corrupt }

/// <summary>
/// A segment's page file: two 8 KiB slots per page, page <c>firstPage + i</c> at offset
/// <c>i × 16 KiB</c> (slot 0) and <c>i × 16 KiB + 8 KiB</c> (slot 1). The file is sparse and grows
/// only as far as pages were written; bytes past the end read as zeros (a never-written page).
/// A new version of a page goes into the slot that does not hold the base image, so a torn
/// write never destroys the version the base points at; the page checksum (seeded with the page
/// number) tells which slots are whole.
/// Threading: reads from any thread (pread); writes only by the segment's page writer (coalescer,
/// scrub repair, hydration) which holds the segment's page mutex.
/// </summary>
internal sealed class PageStore : IDisposable
{
    public const int SlotsSize = 2 * Page.Size;
    private readonly FileStream _fs;
    private readonly Durable _durable;

    public PageStore(string path, ulong firstPage, uint pageCount, Durable durable)
    {
        _fs = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, bufferSize: 0);
        FirstPage = firstPage;
        PageCount = pageCount;
        _durable = durable;
    }

    public ulong FirstPage { get; }
    public uint PageCount { get; }

    /// <summary>Pages past this one were never written.</summary>
    public ulong WrittenEnd => FirstPage + (ulong)((RandomAccess.GetLength(_fs.SafeFileHandle) + SlotsSize - 1) / SlotsSize);

    public bool Contains(ulong pageNo) => pageNo >= FirstPage && pageNo - FirstPage < PageCount;

    private long OffsetOf(ulong pageNo, int slot) => (long)(pageNo - FirstPage) * SlotsSize + slot * Page.Size;

    /// <summary>Reads both slots into <paramref name="both"/> (16 KiB) and classifies them.</summary>
    public SlotPair ReadSlots(ulong pageNo, Span<byte> both)
    {
        both = both[..SlotsSize];
        int n = ReadFully(OffsetOf(pageNo, 0), both);
        both[n..].Clear();
        return new SlotPair(Classify(both[..Page.Size], pageNo, out ulong l0), l0, Classify(both[Page.Size..], pageNo, out ulong l1), l1);
    }

    private static SlotState Classify(ReadOnlySpan<byte> slot, ulong pageNo, out ulong lsn)
    {
        lsn = Page.GetLsn(slot);
        if (!Page.VerifyChecksum(slot, pageNo)) return SlotState.Corrupt;
        return lsn == 0 && !slot.ContainsAnyExcept((byte)0) ? SlotState.Empty : SlotState.Valid;
    }

    /// <summary>
    /// Picks the base image: the whole slot with the highest LSN ≤ <paramref name="baseLsn"/>. When the
    /// other slot is corrupt the choice is only safe if that slot can be a torn write of a coalesce
    /// (<paramref name="tornPossible"/>); otherwise the corrupt slot may have been the newest
    /// version and the page is reported corrupt until scrub repairs it.
    /// </summary>
    public static PageReadStatus ChooseBase(in SlotPair s, ulong baseLsn, bool tornPossible, out int slot)
    {
        slot = -1;
        ulong best = 0;
        for (int i = 0; i < 2; i++)
        {
            var st = s.State(i);
            if (st == SlotState.Corrupt) continue;
            ulong lsn = st == SlotState.Empty ? 0 : s.Lsn(i);
            if (lsn > baseLsn) continue;
            if (slot < 0 || lsn > best) { slot = i; best = lsn; }
        }
        if (slot < 0) return PageReadStatus.Corrupt;
        if (s.AnyCorrupt && !tornPossible) return PageReadStatus.Corrupt;
        return PageReadStatus.Ok;
    }

    /// <summary>Reads the base image of a page into <paramref name="page"/>; <paramref name="slot"/> is the slot it came from.</summary>
    public PageReadStatus ReadBase(ulong pageNo, ulong baseLsn, bool tornPossible, Span<byte> page, Span<byte> scratch, out int slot)
    {
        var pair = ReadSlots(pageNo, scratch);
        var st = ChooseBase(pair, baseLsn, tornPossible, out slot);
        if (st == PageReadStatus.Ok) scratch.Slice(slot * Page.Size, Page.Size).CopyTo(page);
        return st;
    }

    /// <summary>Writes a sealed page image into a slot (no fsync: call <see cref="Sync"/>).</summary>
    public void WriteSlot(ulong pageNo, int slot, ReadOnlySpan<byte> page)
        => RandomAccess.Write(_fs.SafeFileHandle, page[..Page.Size], OffsetOf(pageNo, slot));

    public void Sync() => _durable.Sync(_fs);

    private int ReadFully(long offset, Span<byte> dest)
    {
        int total = 0;
        while (total < dest.Length)
        {
            int n = RandomAccess.Read(_fs.SafeFileHandle, dest[total..], offset + total);
            if (n <= 0) break;
            total += n;
        }
        return total;
    }

    public void Dispose() => _fs.Dispose();
}
