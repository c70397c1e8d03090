using System.Buffers.Binary;
using Borealis.Engine.BTree;
using Borealis.Engine.Heap;
using Borealis.Engine.Txn;

namespace Borealis.Engine.CrashHost;

/// <summary>
/// Checks a <see cref="BankSchema"/> after a crash, under a snapshot at VDL: every acknowledged
/// history id is visible; visible ids are unique; each account has exactly one visible version and
/// its balance equals 1000 plus the visible transfers into it minus those out of it (so no
/// uncommitted or partial transfer is visible) and the total is intact; every visible row is
/// reachable from its primary-key entry and every index entry leads to a row with its key or to
/// nothing visible (an uncommitted insert).
/// </summary>
public static class BankVerifier
{
    public static async Task<string> VerifyAsync(Database db, BankSchema s, IReadOnlyCollection<long> acknowledged)
    {
        var snap = Snapshot.AtReadPoint(db.Txns.Store, db.Volume.Vdl);
        var errors = new List<string>();
        var expected = new long[s.Accounts];
        Array.Fill(expected, BankSchema.InitialBalance);

        // History: heap scan of visible rows.
        var visible = new Dictionary<long, Tid>();
        foreach (var (tid, row) in await VisibleRowsAsync(s.History, snap))
        {
            var h = BankSchema.ReadHistory(row);
            if (!visible.TryAdd(h.Id, tid)) errors.Add($"history id {h.Id} visible twice ({visible[h.Id]}, {tid})");
            if (h.Kind == 1) { expected[h.Src] -= h.Amount; expected[h.Dst] += h.Amount; }
        }
        foreach (long id in acknowledged)
            if (!visible.ContainsKey(id)) errors.Add($"acknowledged history id {id} is not visible");
        foreach (var (id, tid) in visible)
            if (await BankSchema.LookupAsync(s.HistoryPk, id) != tid) errors.Add($"history id {id} at {tid}: primary key does not lead to it");
        int entries = 0;
        var cursor = new BTreeCursor(s.HistoryPk);
        cursor.Reset(BTreeRange.All);
        var pending = new List<(long Id, Tid Tid)>();
        while (await cursor.MoveNextAsync())
        {
            entries++;
            pending.Add((BinaryPrimitives.ReadInt64BigEndian(cursor.Key), Tid.FromPacked(BinaryPrimitives.ReadUInt64LittleEndian(cursor.Value))));
        }
        foreach (var (id, tid) in pending)
        {
            var v = await BankSchema.FindVisibleAsync(s.History, tid, snap);
            if (v is null) continue; // an insert that never committed
            if (BankSchema.ReadHistory(v.Value.Row).Id != id) errors.Add($"history index entry {id} leads to row {BankSchema.ReadHistory(v.Value.Row).Id}");
        }
        if (entries < visible.Count) errors.Add($"history index has {entries} entries for {visible.Count} visible rows");

        // Bank: one visible version per account, reachable from the key; balances match the history.
        long total = 0;
        var seen = new HashSet<long>();
        foreach (var (_, row) in await VisibleRowsAsync(s.Bank, snap))
        {
            var (id, _) = BankSchema.ReadBank(row);
            if (!seen.Add(id)) errors.Add($"account {id} has two visible versions");
        }
        if (seen.Count != s.Accounts) errors.Add($"{seen.Count} accounts visible, expected {s.Accounts}");
        for (int i = 0; i < s.Accounts; i++)
        {
            var root = await BankSchema.LookupAsync(s.BankPk, i);
            var v = root.IsNone ? null : await BankSchema.FindVisibleAsync(s.Bank, root, snap);
            if (v is null) { errors.Add($"account {i}: no visible version from its key"); continue; }
            var (id, balance) = BankSchema.ReadBank(v.Value.Row);
            if (id != i) errors.Add($"account key {i} leads to account {id}");
            if (balance != expected[i]) errors.Add($"account {i}: balance {balance}, history says {expected[i]}");
            total += balance;
        }
        if (total != s.Accounts * BankSchema.InitialBalance) errors.Add($"bank total {total}, expected {s.Accounts * BankSchema.InitialBalance}");
        return errors.Count == 0 ? "" : string.Join("\n", errors.Take(30));
    }

    private static async Task<List<(Tid Tid, byte[] Row)>> VisibleRowsAsync(HeapTable heap, Snapshot snap)
    {
        var all = new List<(Tid, HeapTupleHeader, byte[]?)>();
        using (var scan = heap.Scan())
        {
            while (await scan.NextPageAsync())
                while (scan.TryNext(out var t)) all.Add((t.Tid, t.Header, t.HasOverflow ? null : t.Data.ToArray()));
        }
        var result = new List<(Tid, byte[])>();
        foreach (var (tid, h, row) in all)
        {
            if (!await snap.IsVisibleAsync(BankSchema.Xact(h))) continue;
            if (row is not null) { result.Add((tid, row)); continue; }
            var r = await heap.FetchAsync(tid, Memory<byte>.Empty);
            var buf = new byte[r.Length];
            r = await heap.FetchAsync(tid, buf);
            if (r.Status != FetchStatus.Ok) throw new InvalidOperationException($"large row {tid}: {r.Status}");
            result.Add((tid, buf));
        }
        return result;
    }
}
