using Borealis.Redo;

namespace Borealis.Engine.Buffer;

/// <summary>
/// A pin on one cached page. While pinned the page stays in its frame; its bytes may be read
/// under a shared latch and changed only through an <see cref="Mtr.EngineMtr"/> under an exclusive
/// latch. Dispose unpins (it does not release latches). A default handle is empty.
/// </summary>
public readonly struct PageHandle : IDisposable, IEquatable<PageHandle>
{
    private readonly BufferPool? _pool;
    internal readonly Frame? Frame;

    internal PageHandle(BufferPool pool, Frame frame, ulong pageNo)
    {
        _pool = pool;
        Frame = frame;
        PageNo = pageNo;
    }

    public ulong PageNo { get; }
    public bool IsEmpty => Frame is null;

    /// <summary>The page's 8 KiB (header included). Read under a latch; write only through an MTR.</summary>
    public Span<byte> Page => _pool!.FrameBytes(Frame!.Index);

    /// <summary>The LSN of the last record applied to the page (ulong.MaxValue while an MTR is changing it).</summary>
    public ulong Lsn => Redo.Page.GetLsn(Page);

    public void LatchShared() => Frame!.EnterShared();
    public bool TryLatchShared() => Frame!.TryEnterShared();
    public void UnlatchShared() => Frame!.ExitShared();
    public void LatchExclusive() => Frame!.EnterExclusive();
    public bool TryLatchExclusive() => Frame!.TryEnterExclusive();
    public void UnlatchExclusive() => Frame!.ExitExclusive();

    public void Dispose()
    {
        if (Frame is not null) _pool!.Unpin(Frame);
    }

    public bool Equals(PageHandle other) => ReferenceEquals(Frame, other.Frame) && PageNo == other.PageNo;
    public override bool Equals(object? obj) => obj is PageHandle h && Equals(h);
    public override int GetHashCode() => PageNo.GetHashCode();
    public static bool operator ==(PageHandle a, PageHandle b) => a.Equals(b);
    public static bool operator !=(PageHandle a, PageHandle b) => !a.Equals(b);
}

/// <summary>How a pin should count for replacement.</summary>
public enum PageAccess
{
    /// <summary>A normal access: a hit raises the page's usage count.</summary>
    Normal,
    /// <summary>A sequential scan: touching the page does not make it look hot (scan resistance).</summary>
    Scan,
}
