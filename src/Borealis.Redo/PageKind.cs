namespace Borealis.Redo;

/// <summary>
/// Byte 16 of every engine page (the first body byte) says what the page is, so tools, scrub
/// and apply routines can check a record meets the kind of page it expects. The super block
/// (page 0) has its magic there instead. On-disk values: only ever added to.
/// </summary>
public enum PageKind : byte
{
    Unformatted = 0,
    Heap = 1,
    Overflow = 2,
    HeapMeta = 3,
    FreeSpace = 4,
    BTreeMeta = 10,
    BTreeInner = 11,
    BTreeLeaf = 12,
    XactMeta = 20,
    XactStatus = 21,
    Catalog = 30,
}

public static class PageKinds
{
    public const int Offset = 16;
    public static PageKind Of(ReadOnlySpan<byte> page) => (PageKind)page[Offset];
}
