namespace Borealis.Volume;

/// <summary>Tuning knobs of the volume client. Defaults suit production; tests shrink the timers.</summary>
public sealed class VolumeClientOptions
{
    /// <summary>LSN allocation limit: the writer never allocates an LSN above VDL + Lal (back-pressure).</summary>
    public ulong Lal { get; set; } = 1_000_000;

    /// <summary>Upper bound of the read hedge delay; the actual delay adapts to the chosen node's latency (EWMA).</summary>
    public TimeSpan ReadHedgeDelay { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Lower bound of the adaptive read hedge delay.</summary>
    public TimeSpan MinReadHedgeDelay { get; set; } = TimeSpan.FromMilliseconds(2);

    /// <summary>Timeout of control requests (connect, Hello, SealEpoch, Truncate, ListLsns, GetSegmentState) and of a page read as a whole.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A connected node that has appends outstanding and acks nothing for this long is disconnected (and reconnected, with a resend).</summary>
    public TimeSpan AppendStallTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>First reconnect delay; doubles per failed attempt up to <see cref="MaxReconnectDelay"/>.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Largest records section of one Append frame (one PG's batch).</summary>
    public int MaxBatchBytes { get; set; } = 1 << 20;

    /// <summary>How often the maintenance loop runs while there is work (stall checks, min read point announcements).</summary>
    public TimeSpan MaintenanceInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How often a replacement polls the joining segment's SCL.</summary>
    public TimeSpan HydrationPollInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long OpenAsync waits for write quorums before giving up.</summary>
    public TimeSpan OpenTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
