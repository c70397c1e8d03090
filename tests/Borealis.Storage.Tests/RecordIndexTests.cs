namespace Borealis.Storage.Tests;

/// <summary>The per-page index must always agree with the LSN-ordered array it shadows.</summary>
public class RecordIndexTests
{
    [Fact]
    public void PageChainsMatchABruteForceScanUnderRandomOperations()
    {
        int seed = Environment.GetEnvironmentVariable("BOREALIS_SEED") is { } s ? int.Parse(s) : Random.Shared.Next();
        var rng = new Random(seed);
        var index = new RecordIndex();
        ulong next = 1;
        for (int step = 0; step < 20_000; step++)
        {
            int op = rng.Next(100);
            if (op < 70)
            {
                // Mostly in order, sometimes a late (gossiped) record below the top.
                ulong lsn = rng.Next(10) == 0 && next > 50 ? next - (ulong)rng.Next(1, 40) : next++;
                index.Insert(new RecordEntry { Lsn = lsn, PrevLsn = lsn - 1, PageNo = (ulong)rng.Next(20), Length = 100 + rng.Next(50), Epoch = 1 });
            }
            else if (op < 75)
            {
                // A newer epoch reuses an LSN, possibly for another page.
                var all = index.All;
                if (all.Length > 0)
                {
                    var e = all[rng.Next(all.Length)];
                    index.Insert(new RecordEntry { Lsn = e.Lsn, PrevLsn = e.PrevLsn, PageNo = (ulong)rng.Next(20), Length = 120, Epoch = e.Epoch + 1 });
                }
            }
            else if (op < 80 && index.Count > 0)
            {
                index.Remove(index.All[rng.Next(index.Count)].Lsn);
            }
            else if (op < 83 && index.Count > 0)
            {
                index.AdvanceBase(index.All[rng.Next(index.Count)].Lsn);
            }
            else if (op < 84)
            {
                index.DiscardDeposed(epoch: 3, start: next > 100 ? next - 100 : 0);
            }
            if (step % 97 == 0) Check(index, seed, step);
        }
        Check(index, seed, -1);
    }

    private static void Check(RecordIndex index, int seed, int step)
    {
        long bytes = 0;
        foreach (var e in index.All) bytes += e.Length;
        Assert.True(bytes == index.Bytes, $"seed {seed} step {step}: bytes {index.Bytes}, expected {bytes}");
        for (ulong page = 0; page < 20; page++)
        {
            var expected = new List<ulong>();
            foreach (var e in index.All) if (e.PageNo == page) expected.Add(e.Lsn);
            var actual = index.PageLsnsOf(page).ToArray();
            Assert.True(expected.SequenceEqual(actual), $"seed {seed} step {step} page {page}: chain [{string.Join(",", actual)}], expected [{string.Join(",", expected)}]");
        }
        Assert.Equal(index.Count == 0, index.HeldSinceTicks == 0);
    }
}
