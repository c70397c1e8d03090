using System.Globalization;
using Borealis.Storage.Protocol;

namespace Borealis.Storage;

/// <summary>
/// One segment (the part of a PG this node keeps): durable metadata, the in-memory record
/// index, and the page file.
/// Locking: <see cref="Sync"/> guards <see cref="Meta"/>, <see cref="Index"/> and the gossip
/// fields; hold it only for in-memory work, never across I/O. <see cref="PageMutex"/>
/// serialises the page writers (coalesce, scrub repair, hydration; async-friendly), and
/// <see cref="PageRw"/> keeps readers (snapshot of base + slot reads) apart from slot writes.
/// Metadata is mutated by the group-commit writer thread (epochs, membership) and the
/// coalescer (base); both persist through <see cref="PersistMeta"/>.
/// </summary>
internal sealed class Segment : IDisposable
{
    private readonly Lock _persistLock = new();
    private readonly Durable _durable;

    public Segment(string dir, SegmentMeta meta, Durable durable)
    {
        Dir = dir;
        Meta = meta;
        _durable = durable;
        Directory.CreateDirectory(dir);
        Pages = new PageStore(Path.Combine(dir, "pages"), meta.FirstPage, meta.PageCount, durable);
        Index.ResetBase(meta.BaseLsn);
        // A base never moves above a durable point; older metadata may not have recorded that the min read point is one.
        if (meta.MinReadPoint > meta.DurableHint) meta.DurableHint = meta.MinReadPoint;
        if (meta.BaseLsn > meta.DurableHint) meta.DurableHint = meta.BaseLsn;
        TornPossible = meta.CoalesceTarget != 0;
    }

    public static string DirName(SegmentId id) => $"{id.VolumeId:x16}-{id.PgIndex.ToString("D6", CultureInfo.InvariantCulture)}";

    public string Dir { get; }
    public SegmentId Id => Meta.Id;
    public SegmentMeta Meta { get; }
    public RecordIndex Index { get; } = new();
    public PageStore Pages { get; }
    public Lock Sync { get; } = new();
    public SemaphoreSlim PageMutex { get; } = new(1, 1);
    public ReaderWriterLockSlim PageRw { get; } = new(LockRecursionPolicy.NoRecursion);

    /// <summary>Highest SCL a peer reported in the last probe or gossip reply (guarded by <see cref="Sync"/>).</summary>
    public ulong PeerHighScl { get; set; }
    /// <summary>Gossip back-off: next time this segment may gossip while no progress is made.</summary>
    public long NextGossipTicks { get; set; }
    public int GossipFailures { get; set; }
    public bool Disposed { get; private set; }

    /// <summary>
    /// True when a coalesce was interrupted by a crash (its target was still in the metadata at
    /// load): a corrupt non-base slot may be its torn write, so reads may trust the other slot.
    /// Only set at load and cleared by the next completed coalesce or re-hydration: a slot write
    /// in this process is never seen half done (slot writers hold <see cref="PageRw"/> for writing),
    /// so a corrupt slot found while running is always real damage (guarded by <see cref="Sync"/>).
    /// </summary>
    public bool TornPossible { get; set; }

    /// <summary>
    /// How far coalescing may move the base now: the SCL, but never past the min read point nor
    /// past an LSN some writer announced as durable (caller holds <see cref="Sync"/>).
    /// </summary>
    public ulong CoalesceLimitLocked => Math.Min(Index.Scl, Math.Min(Meta.MinReadPoint, Meta.DurableHint));

    /// <summary>True when the segment knows of LSNs above its SCL it does not hold (caller holds <see cref="Sync"/>).</summary>
    public bool IsBehind => !Meta.Hydrating && (Index.MaxLsn > Index.Scl || PeerHighScl > Index.Scl);

    public bool IsMember(uint nodeId)
    {
        var members = Meta.Membership.Members;
        if (members.Length == 0) return true;
        foreach (var m in members) if (m.NodeId == nodeId) return true;
        return false;
    }

    public SegmentStateMsg State()
    {
        lock (Sync) return StateLocked();
    }

    public SegmentStateMsg StateLocked() => new()
    {
        Segment = Meta.Id, VolumeEpoch = Meta.Epoch, EpochStartLsn = Meta.EpochStart, MembershipEpoch = Meta.Membership.Epoch,
        Scl = Index.Scl, MaxLsn = Index.MaxLsn, BaseLsn = Index.Base, DurableHint = Meta.DurableHint, MinReadPoint = Meta.MinReadPoint,
    };

    /// <summary>Adopts a newer epoch (or the start of the current one) and applies the epoch rule. Caller holds <see cref="Sync"/>.</summary>
    public bool AdoptEpochLocked(uint epoch, ulong start, out int discarded)
    {
        discarded = 0;
        if (!Meta.Adopt(epoch, start)) return false;
        if (start != SegmentMeta.UnknownStart) discarded = Index.DiscardDeposed(epoch, start);
        PeerHighScl = 0;
        return true;
    }

    /// <summary>Writes the current metadata durably (atomic replace). Throws IOException on disk failure.</summary>
    public void PersistMeta()
    {
        lock (_persistLock)
        {
            byte[] bytes;
            lock (Sync) bytes = Meta.Serialize();
            _durable.ReplaceFile(Path.Combine(Dir, "meta"), bytes);
        }
    }

    public static SegmentMeta? LoadMeta(string dir)
    {
        string path = Path.Combine(dir, "meta");
        if (!File.Exists(path)) return null;
        return SegmentMeta.Deserialize(File.ReadAllBytes(path));
    }

    public void Dispose()
    {
        Disposed = true;
        Pages.Dispose();
    }
}
