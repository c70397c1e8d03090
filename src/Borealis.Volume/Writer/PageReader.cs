using System.Diagnostics;
using Borealis.Redo;
using Borealis.Storage.Protocol;

namespace Borealis.Volume.Writer;

/// <summary>
/// Steady-state page reads: one segment known complete at the read point (known SCL ≥ asOf),
/// lowest latency EWMA first; if it has not answered after the hedge delay (3× its EWMA, clamped
/// to [MinReadHedgeDelay, ReadHedgeDelay]) the next candidate is asked too, and the first valid
/// page wins. A refusal (NotAvailable, bad checksum, lost connection) moves on to the next
/// candidate at once. No quorum reads: those are for recovery only.
/// </summary>
internal sealed class PageReader(WriterVolume volume, VolumeClientOptions options)
{
    public async ValueTask ReadAsync(ulong pageNo, ulong asOf, Memory<byte> dest, CancellationToken ct)
    {
        var candidates = new List<(NodeLink Link, ulong AsOf)>(7);
        volume.GetReadCandidates(pageNo, asOf, candidates);
        if (candidates.Count == 0)
            throw new VolumeUnavailableException($"page {pageNo} as of {asOf}: no connected segment is known to be complete at that LSN");

        var op = new ReadOp(pageNo, dest);
        var msg = new GetPageMsg { Segment = new SegmentId(volume.VolumeId, volume.Layout.PgOf(pageNo)), PageNo = pageNo, VolumeEpoch = volume.Epoch };
        int next = 0;
        long deadline = Stopwatch.GetTimestamp() + (long)(options.RequestTimeout.TotalSeconds * Stopwatch.Frequency);
        try
        {
            Start(op, candidates[next++], msg);
            while (true)
            {
                var changed = op.Changed;
                if (op.Succeeded) return;
                if (op.StaleEpoch != 0) volume.OnStaleEpochFromRead(op.StaleEpochNode, op.StaleEpoch);
                if (volume.IsFenced) throw new VolumeFencedException(volume.Epoch, op.StaleEpoch, $"volume {volume.VolumeId:x}: writer fenced");
                if (op.Active == 0)
                {
                    if (next >= candidates.Count)
                        throw new VolumeUnavailableException($"page {pageNo} as of {asOf}: every candidate segment failed: {op.LastError}");
                    Start(op, candidates[next++], msg);
                    continue;
                }
                var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
                if (remaining <= TimeSpan.Zero)
                    throw new TimeoutException($"page {pageNo} as of {asOf}: no answer within {options.RequestTimeout.TotalMilliseconds:F0} ms");
                var wait = remaining;
                if (next < candidates.Count)
                {
                    var hedge = TimeSpan.FromMilliseconds(3 * candidates[next - 1].Link.LatencyEwmaMs);
                    if (hedge < options.MinReadHedgeDelay) hedge = options.MinReadHedgeDelay;
                    if (hedge > options.ReadHedgeDelay) hedge = options.ReadHedgeDelay;
                    if (hedge < wait) wait = hedge;
                }
                var done = await Task.WhenAny(changed, Task.Delay(wait, ct));
                ct.ThrowIfCancellationRequested();
                if (done != changed && !op.Succeeded && next < candidates.Count) Start(op, candidates[next++], msg);
            }
        }
        finally
        {
            op.Abandon();
        }
    }

    private static void Start(ReadOp op, (NodeLink Link, ulong AsOf) candidate, GetPageMsg msg)
    {
        var link = candidate.Link;
        msg.AsOfLsn = candidate.AsOf;
        var client = link.Client;
        if (client is null || client.IsClosed)
        {
            op.LastError = $"node {link.NodeId}: not connected";
            return;
        }
        var attempt = new Attempt(op, link);
        op.AttemptStarted();
        var f = client.BeginRequest(MessageType.GetPage, GetPageMsg.Size, attempt, out ulong id);
        msg.Write(ref f.Writer);
        f.Complete();
        attempt.Bind(client, id);
    }

    /// <summary>One read; the first valid page is copied into the destination, later ones are ignored.</summary>
    private sealed class ReadOp(ulong pageNo, Memory<byte> dest)
    {
        private readonly Lock _lock = new();
        private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private bool _abandoned;
        public List<Attempt> Attempts { get; } = [];
        public int Active;
        public bool Succeeded;
        public string? LastError;
        public uint StaleEpoch;
        public uint StaleEpochNode;

        public Task Changed { get { lock (_lock) return _changed.Task; } }

        public void AttemptStarted() { lock (_lock) Active++; }

        public void Complete(NodeLink link, MessageType type, ReadOnlySpan<byte> payload)
        {
            lock (_lock)
            {
                Active--;
                if (_abandoned || Succeeded) return;
                if (type == MessageType.PageData && payload.Length == 16 + Page.Size)
                {
                    var page = payload[16..];
                    if (Page.VerifyChecksum(page, pageNo))
                    {
                        page.CopyTo(dest.Span);
                        Succeeded = true;
                        Pulse();
                        return;
                    }
                    else
                    {
                        LastError = $"node {link.NodeId}: page checksum mismatch";
                    }
                }
                else if (type == MessageType.Error && ErrorMsg.TryRead(payload, out var err))
                {
                    LastError = $"node {link.NodeId}: {err.Code}: {err.Message}";
                    if (err.Code == ErrorCode.StaleEpoch) { StaleEpoch = err.CurrentEpoch; StaleEpochNode = link.NodeId; }
                }
                else
                {
                    LastError = $"node {link.NodeId}: unexpected reply {type}";
                }
                Pulse();
            }
        }

        public void Fail(NodeLink link, string error)
        {
            lock (_lock)
            {
                Active--;
                LastError = $"node {link.NodeId}: {error}";
                Pulse();
            }
        }

        private void Pulse()
        {
            var c = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            c.TrySetResult();
        }

        public void Abandon()
        {
            lock (_lock) _abandoned = true;
            lock (Attempts)
                foreach (var a in Attempts) a.Abandon();
        }
    }

    private sealed class Attempt(ReadOp op, NodeLink link) : IResponseSink
    {
        private readonly long _start = Stopwatch.GetTimestamp();
        private NodeClient? _client;
        private ulong _id;

        public void Bind(NodeClient client, ulong id)
        {
            _client = client;
            _id = id;
            lock (op.Attempts) op.Attempts.Add(this);
        }

        public void Abandon() => _client?.Abandon(_id);

        public void OnResponse(MessageType type, ReadOnlySpan<byte> payload)
        {
            link.ObserveLatency(Stopwatch.GetElapsedTime(_start).TotalMilliseconds);
            op.Complete(link, type, payload);
        }

        public void OnFailed(Exception error) => op.Fail(link, error.Message);
    }
}
