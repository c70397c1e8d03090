namespace Borealis.Volume.Durability;

/// <summary>
/// Commit waiters: a min-heap keyed by LSN. Whoever advances VDL calls <see cref="Release"/>,
/// which completes every waiter at or below it; no thread is parked per waiter. Completions run
/// continuations asynchronously, so releasing under the writer's lock is safe.
/// A cancelled waiter stays in the heap (completed) until VDL passes it or the heap is failed.
/// Threading: all members must be called under the owner's lock.
/// </summary>
public sealed class DurableWaiters
{
    private readonly PriorityQueue<TaskCompletionSource, ulong> _heap = new();

    public int Count => _heap.Count;

    public Task Add(ulong lsn, CancellationToken ct)
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _heap.Enqueue(tcs, lsn);
        if (ct.CanBeCanceled)
            ct.UnsafeRegister(static (s, token) => ((TaskCompletionSource)s!).TrySetCanceled(token), tcs);
        return tcs.Task;
    }

    /// <summary>Completes all waiters with LSN ≤ <paramref name="vdl"/>; returns how many.</summary>
    public int Release(ulong vdl)
    {
        int n = 0;
        while (_heap.TryPeek(out var tcs, out ulong lsn) && lsn <= vdl)
        {
            _heap.Dequeue();
            tcs.TrySetResult();
            n++;
        }
        return n;
    }

    public void FailAll(Exception error)
    {
        while (_heap.TryDequeue(out var tcs, out _)) tcs.TrySetException(error);
    }
}
