using System.Buffers.Binary;
using System.Collections.Concurrent;
using Borealis.Redo;
using Borealis.Volume;

namespace Borealis.Cluster.Tests;

/// <summary>
/// A workload whose every write lands in a slot of its own (page, slot index) and is never
/// overwritten, so the checker can tell exactly which writes a page shows:
/// <list type="bullet">
/// <item>every acknowledged (durable) write is present, byte for byte;</item>
/// <item>every write at or below a recovered VDL is present (it became durable), every write of
///   an older epoch above it is absent forever (the ragged edge was truncated);</item>
/// <item>a page read as of LSN X shows no write above X, and its page LSN ≤ X.</item>
/// </list>
/// Slot layout (24 bytes): u64 writeId, u64 pageNo, u64 check = writeId * 0x9E3779B97F4A7C15 ^ pageNo.
/// </summary>
public sealed class SlotModel(VolumeLayout layout)
{
    public const int SlotSize = 24;
    public const int SlotsPerPage = (Page.Size - Page.HeaderSize) / SlotSize;

    public enum WriteState { Pending, Durable, Truncated }

    public sealed class Write
    {
        public long Id;
        public ulong Page;
        public int Slot;
        public uint Epoch;
        public ulong Lsn;
        public volatile WriteState State;
    }

    private readonly ConcurrentDictionary<long, Write> _writes = new();
    private readonly int[] _nextSlot = new int[layout.PageCount];
    private long _nextId;

    public int AckedCount => _writes.Values.Count(w => w.State == WriteState.Durable);
    public IEnumerable<Write> Writes => _writes.Values;

    /// <summary>Picks a free slot; false when the volume is full.</summary>
    public bool TryReserve(Random rng, out Write w)
    {
        w = null!;
        for (int tries = 0; tries < 16; tries++)
        {
            ulong page = (ulong)rng.NextInt64((long)layout.PageCount);
            int slot = Interlocked.Increment(ref _nextSlot[page]) - 1;
            if (slot >= SlotsPerPage) continue;
            w = new Write { Id = Interlocked.Increment(ref _nextId), Page = page, Slot = slot };
            return true;
        }
        return false;
    }

    public static void Fill(Span<byte> slot, long id, ulong page)
    {
        BinaryPrimitives.WriteInt64LittleEndian(slot, id);
        BinaryPrimitives.WriteUInt64LittleEndian(slot[8..], page);
        BinaryPrimitives.WriteUInt64LittleEndian(slot[16..], unchecked((ulong)id * 0x9E3779B97F4A7C15UL) ^ page);
    }

    /// <summary>Appends the write as a one-record MTR and waits until it is durable.</summary>
    public async Task WriteAsync(WriterVolume vol, Write w, MiniTransaction mtr)
    {
        Span<byte> data = stackalloc byte[SlotSize];
        Fill(data, w.Id, w.Page);
        mtr.Clear();
        mtr.AddWriteBytes(w.Page, (ushort)(Page.HeaderSize + w.Slot * SlotSize), data);
        w.Epoch = vol.Epoch;
        w.Lsn = await vol.AppendAsync(mtr);
        _writes[w.Id] = w;
        await vol.WaitDurableAsync(w.Lsn);
        w.State = WriteState.Durable;
    }

    /// <summary>After a new writer recovered to <paramref name="recoveredVdl"/> in <paramref name="newEpoch"/>: settle every pending write of older epochs.</summary>
    public void OnRecovered(uint newEpoch, ulong recoveredVdl)
    {
        foreach (var w in _writes.Values)
        {
            if (w.Epoch >= newEpoch) continue;
            if (w.State == WriteState.Durable)
            {
                if (w.Lsn > recoveredVdl) throw new InvalidOperationException($"acknowledged write {w.Id} (LSN {w.Lsn}, epoch {w.Epoch}) is above the recovered VDL {recoveredVdl}: an acked commit was lost");
            }
            else if (w.State == WriteState.Pending)
            {
                w.State = w.Lsn <= recoveredVdl ? WriteState.Durable : WriteState.Truncated;
            }
        }
    }

    /// <summary>Reads every page as of <paramref name="asOf"/> and checks it against the model. Returns the number of writes seen.</summary>
    public async Task<int> VerifyAsync(Func<ulong, ulong, Task<byte[]>> readPage, ulong asOf, bool requirePendingBelowAsOfPresent = false)
    {
        var byPage = _writes.Values.GroupBy(w => w.Page).ToDictionary(g => g.Key, g => g.ToList());
        int seen = 0;
        var errors = new List<string>();
        var expect = new byte[SlotSize];
        for (ulong p = 0; p < layout.PageCount; p++)
        {
            var page = await readPage(p, asOf);
            ulong pageLsn = Page.GetLsn(page);
            if (pageLsn > asOf) errors.Add($"page {p}: page LSN {pageLsn} > read point {asOf}");
            if (!Page.VerifyChecksum(page, p)) errors.Add($"page {p}: bad checksum");
            var present = new HashSet<long>();
            for (int s = 0; s < SlotsPerPage; s++)
            {
                var slot = page.AsSpan(Page.HeaderSize + s * SlotSize, SlotSize);
                if (!slot.ContainsAnyExcept((byte)0)) continue;
                long id = BinaryPrimitives.ReadInt64LittleEndian(slot);
                Fill(expect, id, p);
                if (!slot.SequenceEqual(expect)) { errors.Add($"page {p} slot {s}: garbage {Convert.ToHexString(slot)}"); continue; }
                if (!_writes.TryGetValue(id, out var w)) { errors.Add($"page {p} slot {s}: write {id} was never appended"); continue; }
                if (w.Slot != s) errors.Add($"page {p} slot {s}: write {id} belongs in slot {w.Slot}");
                if (w.State == WriteState.Truncated) errors.Add($"page {p}: write {id} (LSN {w.Lsn}, epoch {w.Epoch}) was truncated by recovery but is visible");
                if (w.Lsn > asOf && w.State != WriteState.Truncated) errors.Add($"page {p}: write {id} LSN {w.Lsn} visible at read point {asOf}");
                present.Add(id);
                seen++;
            }
            if (byPage.TryGetValue(p, out var list))
            {
                foreach (var w in list)
                {
                    bool must = w.Lsn <= asOf && (w.State == WriteState.Durable || (requirePendingBelowAsOfPresent && w.State == WriteState.Pending));
                    if (must && !present.Contains(w.Id)) errors.Add($"page {p}: durable write {w.Id} (LSN {w.Lsn}, epoch {w.Epoch}) is missing at read point {asOf}");
                }
            }
            if (errors.Count > 20) break;
        }
        if (errors.Count > 0) throw new Xunit.Sdk.XunitException($"{errors.Count} inconsistencies at read point {asOf}:\n" + string.Join('\n', errors.Take(20)));
        return seen;
    }
}

/// <summary>Closed-loop writers that run until stopped and count what they got acknowledged.</summary>
public sealed class Load
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _tasks;
    private long _acked;
    private long _failed;

    private readonly Func<WriterVolume> _volume;

    public Load(SlotModel model, Func<WriterVolume> volume, int writers, int seed)
    {
        _volume = volume;
        _tasks = Enumerable.Range(0, writers).Select(i => Task.Run(async () =>
        {
            var rng = new Random(seed * 1000 + i);
            using var mtr = new MiniTransaction(256);
            while (!_stop.IsCancellationRequested)
            {
                if (!model.TryReserve(rng, out var w)) return;
                try
                {
                    await model.WriteAsync(volume(), w, mtr).WaitAsync(_stop.Token);
                    Interlocked.Increment(ref _acked);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    Interlocked.Increment(ref _failed);
                    LastError = e;
                    if (!_stop.IsCancellationRequested) await Task.Delay(20);
                }
            }
        })).ToArray();
    }

    public long Acked => Interlocked.Read(ref _acked);
    public long Failed => Interlocked.Read(ref _failed);
    public Exception? LastError { get; private set; }

    public async Task StopAsync()
    {
        _stop.Cancel();
        await Task.WhenAll(_tasks);
        // Appends already sent still become durable after their writers stopped waiting, moving the
        // VDL — and the min read point that follows it, below which nodes drop page versions. Let
        // them settle so a VDL a test takes next is final and stays readable. A fenced or stalled
        // writer never settles: give up after a while.
        var vol = _volume();
        try
        {
            await vol.WaitDurableAsync(vol.NextLsn - 1).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is not OutOfMemoryException) { }
    }
}
