using Borealis.Engine.Buffer;
using Borealis.Engine.Heap;
using Borealis.Engine.Space;
using Borealis.Volume;
using Xunit.Abstractions;

namespace Borealis.Engine.Tests.Heap;

/// <summary>
/// Crash consistency: the volume cut at any consistency point (what a new writer's recovery
/// keeps) opens instantly as a consistent heap — every version of the operations that finished
/// before the cut, nothing of those after it, and an operation in flight either wholly there or
/// wholly absent, with no broken overflow chain and no scan failure.
/// </summary>
public class HeapCrashTests(ITestOutputHelper output)
{
    [Fact]
    public async Task EveryConsistencyPointOpensAsAConsistentHeap()
    {
        int seed = HeapTestKit.Seed("HEAP_SEED");
        output.WriteLine($"seed {seed} (replay with HEAP_SEED={seed})");
        var mem = new MemoryVolume();
        var vol = new RecordingVolume(mem);
        var pool = new BufferPool(vol, 16);
        var alloc = new PageAllocator(pool);
        await alloc.FormatAsync();
        var table = await HeapTable.CreateAsync(pool, alloc);
        var w = new HeapWorkload(table, new Random(seed), maxLargeRow: 30_000);
        var ends = new List<ulong>();                  // ends[k] = last LSN once step k finished
        var snapshots = new List<Dictionary<Tid, ModelVersion>>();
        ends.Add(mem.Vdl);
        snapshots.Add([]);
        for (int k = 1; k <= 500; k++)
        {
            await w.StepAsync();
            ends.Add(mem.Vdl);
            snapshots.Add(new Dictionary<Tid, ModelVersion>(w.Model));
        }
        var rng = new Random(seed);
        var cpls = vol.Cpls.Where(c => c > ends[0]).ToList();
        int mid = 0;
        for (int i = 0; i < 40; i++)
        {
            ulong cut = cpls[rng.Next(cpls.Count)];
            int k = ends.FindIndex(e => e >= cut);          // the step in flight (or just finished) at the cut
            var cutVol = new AsOfVolume(mem, cut);
            var p = new BufferPool(cutVol, 16);
            var t = HeapTable.Open(p, new PageAllocator(p), table.MetaPage);
            var state = await HeapTestKit.ScanAllAsync(t);
            bool atEnd = ends[k] == cut;
            if (!atEnd) mid++;
            if (Same(snapshots[k], state)) continue;
            Assert.False(atEnd, $"seed {seed}: cut at {cut} (end of step {k}) differs from the model");
            HeapTestKit.AssertSame(snapshots[k - 1], state, $"seed {seed}: cut at {cut} inside step {k}");
        }
        output.WriteLine($"{cpls.Count} consistency points, 40 cuts checked ({mid} inside an operation); {w}");
    }

    private static bool Same(Dictionary<Tid, ModelVersion> a, Dictionary<Tid, ModelVersion> b)
    {
        if (a.Count != b.Count) return false;
        foreach (var (tid, v) in a)
        {
            if (!b.TryGetValue(tid, out var o)) return false;
            if (v.Xmin != o.Xmin || v.Xmax != o.Xmax || v.Cmin != o.Cmin || v.Cmax != o.Cmax || v.Ctid != o.Ctid || v.Mask != o.Mask
                || !v.Row.AsSpan().SequenceEqual(o.Row)) return false;
        }
        return true;
    }

    /// <summary>Remembers every consistency point (the last LSN of each appended MTR).</summary>
    private sealed class RecordingVolume(MemoryVolume inner) : IRedoVolume
    {
        public readonly List<ulong> Cpls = [];
        public ulong PageCount => inner.PageCount;
        public ulong Vdl => inner.Vdl;
        public async ValueTask<ulong> AppendAsync(MiniTransaction mtr, CancellationToken ct = default)
        {
            ulong cpl = await inner.AppendAsync(mtr, ct);
            lock (Cpls) Cpls.Add(cpl);
            return cpl;
        }
        public ValueTask WaitDurableAsync(ulong lsn, CancellationToken ct = default) => inner.WaitDurableAsync(lsn, ct);
        public ValueTask ReadPageAsync(ulong pageNo, ulong asOfLsn, Memory<byte> destination, CancellationToken ct = default)
            => inner.ReadPageAsync(pageNo, asOfLsn, destination, ct);
        public void SetMinReadPoint(ulong lsn) => inner.SetMinReadPoint(lsn);
    }

    /// <summary>The volume as a new writer would find it after losing everything above <paramref name="vdl"/> (read-only).</summary>
    private sealed class AsOfVolume(MemoryVolume inner, ulong vdl) : IRedoVolume
    {
        public ulong PageCount => inner.PageCount;
        public ulong Vdl => vdl;
        public ValueTask<ulong> AppendAsync(MiniTransaction mtr, CancellationToken ct = default) => throw new InvalidOperationException("read-only");
        public ValueTask WaitDurableAsync(ulong lsn, CancellationToken ct = default) => default;
        public ValueTask ReadPageAsync(ulong pageNo, ulong asOfLsn, Memory<byte> destination, CancellationToken ct = default)
            => inner.ReadPageAsync(pageNo, Math.Min(asOfLsn, vdl), destination, ct);
        public void SetMinReadPoint(ulong lsn) { }
    }
}
