namespace Borealis.Engine.Buffer;

/// <summary>
/// One buffer-pool frame: the bookkeeping of one cached page. The page bytes live in the pool's
/// pinned arena at <c>Index * Page.Size</c>.
/// <para>
/// Latch: a reader/writer latch that is not bound to a thread (a mini-transaction may hold its
/// exclusive latches across the await of an append under back-pressure and release them on
/// another thread). All latch state changes happen under the frame's monitor; waiting writers
/// block new readers so a writer is not starved. Latches are short: never held across a page
/// miss by the access methods.
/// </para>
/// </summary>
internal sealed class Frame(int index)
{
    public readonly int Index = index;

    // Guarded by the pool's table lock.
    public ulong PageNo = ulong.MaxValue;
    public int Pins;
    /// <summary>Clock usage count: 0 on a miss (probation), +1 per non-scan hit, capped.</summary>
    public int Usage;
    /// <summary>Set while the page is being read from the volume; pinners of the same page await it.</summary>
    public Task? Loading;
    /// <summary>True when a mini-transaction changed the page and then failed: re-read before use, once VDL ≥ <see cref="ReloadAfterLsn"/>.</summary>
    public bool NeedsReload;
    public ulong ReloadAfterLsn;

    // Latch state, guarded by this object's monitor.
    private int _state;          // > 0 shared holders, -1 exclusive
    private int _writersWaiting;

    public void EnterShared()
    {
        lock (this)
        {
            while (_state < 0 || _writersWaiting > 0) Monitor.Wait(this);
            _state++;
        }
    }

    public bool TryEnterShared()
    {
        lock (this)
        {
            if (_state < 0 || _writersWaiting > 0) return false;
            _state++;
            return true;
        }
    }

    public void ExitShared()
    {
        lock (this)
        {
            if (_state <= 0) ThrowNotHeld();
            if (--_state == 0 && _writersWaiting > 0) Monitor.PulseAll(this);
        }
    }

    public void EnterExclusive()
    {
        lock (this)
        {
            if (_state != 0)
            {
                _writersWaiting++;
                while (_state != 0) Monitor.Wait(this);
                _writersWaiting--;
            }
            _state = -1;
        }
    }

    public bool TryEnterExclusive()
    {
        lock (this)
        {
            if (_state != 0) return false;
            _state = -1;
            return true;
        }
    }

    public void ExitExclusive()
    {
        lock (this)
        {
            if (_state != -1) ThrowNotHeld();
            _state = 0;
            Monitor.PulseAll(this);
        }
    }

    public bool IsLatched { get { lock (this) return _state != 0; } }

    private static void ThrowNotHeld() => throw new InvalidOperationException("page latch released by a holder that does not hold it");
}
