using Microsoft.Extensions.Logging;

namespace Borealis.Storage;

/// <summary>Every log line the node writes (source-generated, no allocation when the level is off).</summary>
internal static partial class NodeLog
{
    [LoggerMessage(1, LogLevel.Information, "storage node {NodeId} (az {Az}) recovered {Segments} segments, {Records} records from {Files} log files ({Corrupt} corrupt records skipped, {Torn} torn bytes truncated)")]
    public static partial void Recovered(ILogger logger, uint nodeId, string az, int segments, long records, int files, int corrupt, long torn);

    [LoggerMessage(2, LogLevel.Information, "listening on {Endpoint}")]
    public static partial void Listening(ILogger logger, string endpoint);

    [LoggerMessage(3, LogLevel.Critical, "fsync failed: the node refuses writes from now on and keeps serving reads")]
    public static partial void FsyncFailed(ILogger logger, Exception error);

    [LoggerMessage(4, LogLevel.Error, "control operation failed")]
    public static partial void ControlFailed(ILogger logger, Exception error);

    [LoggerMessage(5, LogLevel.Information, "segment {Segment} adopted epoch {Epoch} (start {Start}); {Dropped} records of deposed writers dropped")]
    public static partial void EpochAdopted(ILogger logger, string segment, uint epoch, ulong start, int dropped);

    [LoggerMessage(6, LogLevel.Information, "segment {Segment} created (pages {FirstPage}+{PageCount}, membership epoch {MembershipEpoch})")]
    public static partial void SegmentCreated(ILogger logger, string segment, ulong firstPage, uint pageCount, uint membershipEpoch);

    [LoggerMessage(7, LogLevel.Warning, "segment {Segment}: metadata in {Dir} is missing or corrupt; segment skipped")]
    public static partial void BadMeta(ILogger logger, string segment, string dir);

    [LoggerMessage(8, LogLevel.Debug, "segment {Segment} coalesced to {Base} ({Records} records, {Pages} pages)")]
    public static partial void Coalesced(ILogger logger, string segment, ulong @base, int records, int pages);

    [LoggerMessage(9, LogLevel.Warning, "segment {Segment}: coalesce stopped: {Reason}")]
    public static partial void CoalesceProblem(ILogger logger, string segment, string reason);

    [LoggerMessage(10, LogLevel.Information, "deleted log file {Path}")]
    public static partial void LogFileDeleted(ILogger logger, string path);

    [LoggerMessage(11, LogLevel.Debug, "peer {Endpoint} unreachable: {Reason}")]
    public static partial void PeerUnreachable(ILogger logger, string endpoint, string reason);

    [LoggerMessage(12, LogLevel.Information, "segment {Segment} filled {Records} records from peer {Endpoint} (scl {Scl})")]
    public static partial void GossipFilled(ILogger logger, string segment, int records, string endpoint, ulong scl);

    [LoggerMessage(13, LogLevel.Information, "segment {Segment} hydrated from {Endpoint}: {Pages} pages at base {Base}")]
    public static partial void Hydrated(ILogger logger, string segment, string endpoint, int pages, ulong @base);

    [LoggerMessage(14, LogLevel.Warning, "scrub: segment {Segment} page {PageNo} slot {Slot} is corrupt (repaired: {Repaired})")]
    public static partial void CorruptSlot(ILogger logger, string segment, ulong pageNo, int slot, bool repaired);

    [LoggerMessage(15, LogLevel.Warning, "scrub: corrupt log record in {Path} at offset {Offset}")]
    public static partial void CorruptLogRecord(ILogger logger, string path, long offset);

    [LoggerMessage(16, LogLevel.Information, "scrub finished: {Pages} pages, {Records} log records checked, {Corrupt} corrupt, {Repaired} repaired")]
    public static partial void ScrubDone(ILogger logger, uint pages, uint records, uint corrupt, uint repaired);

    [LoggerMessage(17, LogLevel.Error, "request {Type} failed")]
    public static partial void RequestFailed(ILogger logger, string type, Exception error);

    [LoggerMessage(18, LogLevel.Warning, "background task {Task} failed")]
    public static partial void BackgroundFailed(ILogger logger, string task, Exception error);

    [LoggerMessage(19, LogLevel.Information, "segment {Segment} adopted membership epoch {Epoch} ({Members} members)")]
    public static partial void MembershipAdopted(ILogger logger, string segment, uint epoch, int members);

    [LoggerMessage(20, LogLevel.Information, "segment {Segment} truncated above {Lsn} for epoch {Epoch}: {Dropped} records dropped")]
    public static partial void Truncated(ILogger logger, string segment, ulong lsn, uint epoch, int dropped);

    [LoggerMessage(21, LogLevel.Information, "segment {Segment} re-hydrated from {Endpoint}: its peers had collected past our SCL or could not repair a page at our base; {Pages} pages at base {Base}")]
    public static partial void Rehydrated(ILogger logger, string segment, string endpoint, int pages, ulong @base);
}
