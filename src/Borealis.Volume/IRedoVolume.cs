namespace Borealis.Volume;

/// <summary>
/// What the engine needs from a volume as its writer: append mini-transactions, learn when they
/// are durable, read any page as of an LSN at or below VDL. <see cref="WriterVolume"/> is the
/// real one (quorum storage); <see cref="MemoryVolume"/> keeps everything in process for unit
/// tests and tools.
/// </summary>
public interface IRedoVolume
{
    /// <summary>Number of pages addressable in the volume (page numbers 0..PageCount-1).</summary>
    ulong PageCount { get; }

    /// <summary>Volume durable LSN: every mini-transaction ending at or below it is durable and survives any crash.</summary>
    ulong Vdl { get; }

    /// <summary>
    /// Stamps the MTR's records with dense LSNs (consecutive within the MTR) and queues them.
    /// Returns the LSN of its last record (its consistency point). The MTR may be reused at once.
    /// </summary>
    ValueTask<ulong> AppendAsync(MiniTransaction mtr, CancellationToken ct = default);

    /// <summary>Completes when VDL ≥ <paramref name="lsn"/>, without blocking a thread.</summary>
    ValueTask WaitDurableAsync(ulong lsn, CancellationToken ct = default);

    /// <summary>Reads a page as of <paramref name="asOfLsn"/> (≤ VDL) into <paramref name="destination"/> (Page.Size bytes).</summary>
    ValueTask ReadPageAsync(ulong pageNo, ulong asOfLsn, Memory<byte> destination, CancellationToken ct = default);

    /// <summary>The oldest read point any reader still needs (storage may GC below it).</summary>
    void SetMinReadPoint(ulong lsn);
}
