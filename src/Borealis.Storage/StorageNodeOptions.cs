namespace Borealis.Storage;

/// <summary>Configuration of one storage node. Defaults are the production values.</summary>
public sealed class StorageNodeOptions
{
    /// <summary>This node's id (unique in the cluster, never 0).</summary>
    public uint NodeId { get; set; }

    /// <summary>The availability zone the node runs in.</summary>
    public string Az { get; set; } = "az1";

    /// <summary>Directory holding the hot log, segment metadata and page files. Created if missing.</summary>
    public string DataDir { get; set; } = "";

    /// <summary>host:port to listen on; port 0 picks a free port (see <see cref="StorageNode.LocalEndPoint"/>).</summary>
    public string Listen { get; set; } = "127.0.0.1:0";

    /// <summary>How often a segment that is behind asks its peers for records.</summary>
    public TimeSpan GossipInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How often every segment asks its peers for their state, to notice it is behind without any write arriving.</summary>
    public TimeSpan PeerProbeInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often page slots and log records are verified in the background.</summary>
    public TimeSpan ScrubInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Delay between noticing coalescing work and doing it (batches work; idle nodes never wake).</summary>
    public TimeSpan CoalesceDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Coalescing is lazy: a segment's records are folded into page versions once they add up to
    /// this many bytes, or once the oldest has waited <see cref="CoalesceMaxAge"/>. Reads follow a
    /// per-page chain, so a long log costs them nothing; coalescing early would only rewrite
    /// whole 8 KiB pages for a few small records each (write amplification on the shared disk).
    /// </summary>
    public long CoalesceMinBytes { get; set; } = 32L * 1024 * 1024;

    /// <summary>Longest a record waits above the base before its segment is coalesced (bounds log disk use and restart scans).</summary>
    public TimeSpan CoalesceMaxAge { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>A hot log file is rolled when the next group write would make it larger than this.</summary>
    public long LogFileSize { get; set; } = 64L * 1024 * 1024;

    /// <summary>Largest number of bytes one group commit writes (one write + one fsync).</summary>
    public int MaxGroupBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>Timeout of one request to a peer (gossip, probe, hydration, repair).</summary>
    public TimeSpan PeerRequestTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// fsync after every group write, page write and metadata replace. Only unit tests that do
    /// not test durability may turn it off for speed; the node is not crash-safe without it.
    /// </summary>
    public bool SyncWrites { get; set; } = true;

    /// <summary>Run scrub, coalescing and the peer probe from timers. Tests turn the timers off and drive them by hand.</summary>
    public bool BackgroundWork { get; set; } = true;
}
