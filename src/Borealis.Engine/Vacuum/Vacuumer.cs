using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Borealis.Engine.Access;
using Borealis.Engine.BTree;
using Borealis.Engine.Heap;
using Borealis.Engine.Txn;

namespace Borealis.Engine.Vacuum;

/// <summary>Outcome of vacuuming one table: heap pages visited, versions whose storage was freed, index entries deleted, chain roots re-pointed.</summary>
public readonly record struct VacuumResult(long PagesScanned, long VersionsRemoved, long IndexEntriesRemoved, long ChainsRepointed);

/// <summary>
/// VACUUM: reclaims dead versions of tables and their index entries, never one that an open
/// snapshot on the writer or a reader instance's announced read point may still need (it works
/// against <see cref="TxnManager.GetVacuumHorizon"/>). Three passes per table, as PostgreSQL's lazy
/// vacuum: prune every heap page (<see cref="PagePruner"/>: dead HOT members Unused, dead chain
/// roots Dead), delete the index entries pointing at Dead slots (B+tree deletes), then make those
/// slots Unused. Every change is redo-logged by the heap and the B+tree. Progress counters are
/// cumulative over the object's life. Thread-safe; one vacuum per table at a time.
/// </summary>
public sealed class Vacuumer(TxnManager txm)
{
    private readonly ConditionalWeakTable<Table, SemaphoreSlim> _gates = new();
    private long _pages, _versions, _entries, _runs;

    public long PagesScanned => Interlocked.Read(ref _pages);
    public long VersionsRemoved => Interlocked.Read(ref _versions);
    public long IndexEntriesRemoved => Interlocked.Read(ref _entries);
    public long TablesVacuumed => Interlocked.Read(ref _runs);

    /// <summary>VACUUM one table now.</summary>
    public async ValueTask<VacuumResult> VacuumTableAsync(Table table, CancellationToken ct = default)
    {
        var gate = _gates.GetValue(table, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            long changes = table.ChangesSinceVacuum;
            txm.RefreshMinReadPoint(); // feeds the volume's min read point as a side effect
            var horizon = txm.GetVacuumHorizon();
            var dead = new HashSet<ulong>();
            var pages = new List<ulong>();
            using (var scan = table.Heap.Scan())
                while (await scan.NextPageAsync(ct).ConfigureAwait(false)) pages.Add(scan.CurrentPage);

            long removed = 0, repointed = 0;
            foreach (ulong p in pages)
            {
                var s = await PagePruner.PruneAsync(table, p, horizon, dead, ct).ConfigureAwait(false);
                removed += s.Unused + s.MarkedDead;
                repointed += s.Repointed;
                Interlocked.Increment(ref _pages);
            }

            long entries = 0;
            if (dead.Count > 0)
            {
                var keys = new List<byte[]>();
                for (int i = 0; i < table.Trees.Count; i++)
                {
                    keys.Clear();
                    var cursor = new BTreeCursor(table.Trees[i]);
                    cursor.Reset(BTreeRange.All);
                    while (await cursor.MoveNextAsync(ct).ConfigureAwait(false))
                        if (dead.Contains(Table.EntryTid(cursor.Key).Packed)) keys.Add(cursor.Key.ToArray());
                    foreach (var k in keys)
                        if (await table.Trees[i].DeleteAsync(k, ct).ConfigureAwait(false)) entries++;
                }
                var byPage = new SortedSet<ulong>();
                foreach (ulong t in dead) byPage.Add(Tid.FromPacked(t).Page);
                foreach (ulong p in byPage)
                {
                    await table.Heap.PruneAsync(p, new PagePruner.ReleaseDead(dead), ct).ConfigureAwait(false);
                }
            }
            table.ResetChanges(changes);
            Interlocked.Add(ref _versions, removed);
            Interlocked.Add(ref _entries, entries);
            Interlocked.Increment(ref _runs);
            return new VacuumResult(pages.Count, removed, entries, repointed);
        }
        finally { gate.Release(); }
    }
}

/// <summary>
/// The background vacuum worker (autovacuum): tables registered with it report updates and
/// deletes; when a table's count reaches the threshold it is queued and the worker wakes, vacuums
/// it and refreshes the min read point fed to the volume. It sleeps on the queue otherwise: no
/// timer wakes it without work. <see cref="NotifyReadPointsChanged"/> asks it to refresh the min
/// read point alone (e.g. after long transactions end).
/// </summary>
public sealed class VacuumWorker : IAsyncDisposable
{
    private readonly TxnManager _txm;
    private readonly Vacuumer _vacuumer;
    private readonly long _threshold;
    private readonly Channel<Table?> _queue = Channel.CreateUnbounded<Table?>(new UnboundedChannelOptions { SingleReader = true });
    private readonly HashSet<Table> _queued = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _wakeups;

    public VacuumWorker(TxnManager txm, Vacuumer vacuumer, long threshold = 500)
    {
        _txm = txm;
        _vacuumer = vacuumer;
        _threshold = Math.Max(1, threshold);
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>How many times the worker woke up (each time with work).</summary>
    public long Wakeups => Interlocked.Read(ref _wakeups);
    /// <summary>The last error of a background vacuum (the worker keeps going).</summary>
    public Exception? LastError { get; private set; }

    public void Register(Table table) => table.ChangeNotifier = OnChange;

    public void NotifyReadPointsChanged() => _queue.Writer.TryWrite(null);

    private void OnChange(Table t)
    {
        if (t.ChangesSinceVacuum < _threshold) return;
        lock (_queued)
            if (!_queued.Add(t)) return;
        _queue.Writer.TryWrite(t);
    }

    private async Task LoopAsync()
    {
        try
        {
            await foreach (var t in _queue.Reader.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                Interlocked.Increment(ref _wakeups);
                if (t is not null)
                {
                    try { await _vacuumer.VacuumTableAsync(t, _stop.Token).ConfigureAwait(false); }
                    catch (OperationCanceledException) when (_stop.IsCancellationRequested) { return; }
#pragma warning disable CA1031 // a background worker reports and goes on
                    catch (Exception e) { LastError = e; }
#pragma warning restore CA1031
                    finally { lock (_queued) _queued.Remove(t); }
                }
                _txm.RefreshMinReadPoint();
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested) { }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}
