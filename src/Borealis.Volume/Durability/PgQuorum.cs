namespace Borealis.Volume.Durability;

/// <summary>
/// Durability state of one protection group as the writer sees it: the SCL each member last
/// acknowledged (monotonic max) and the PGCL derived from them.
/// PGCL = the 4th highest SCL among the members (4/6 hold every record of the PG up to it).
/// During a membership transition (seven members) PGCL = min(quorum point of the old six,
/// quorum point of the new six), so a record only counts as durable when both sets agree.
/// PGCL never moves backwards.
/// Threading: owned by the writer's state lock.
/// </summary>
public sealed class PgQuorum
{
    private uint[] _nodes = [];
    private ulong[] _scl = [];
    private bool[] _inOld = [];
    private bool[] _inNew = [];
    private bool _transition;

    public PgQuorum(PgLayout pg) => SetMembership(pg, default);

    public ulong Pgcl { get; private set; }
    public int MemberCount => _nodes.Length;
    public uint NodeAt(int i) => _nodes[i];
    public ulong SclAt(int i) => _scl[i];

    /// <summary>Replaces the membership, keeping the known SCL of members that stay. <paramref name="seed"/> gives SCLs for new members.</summary>
    public void SetMembership(PgLayout pg, ReadOnlySpan<(uint NodeId, ulong Scl)> seed)
    {
        int n = pg.Members.Length;
        var nodes = new uint[n];
        var scl = new ulong[n];
        var inOld = new bool[n];
        var inNew = new bool[n];
        for (int i = 0; i < n; i++)
        {
            uint id = pg.Members[i].NodeId;
            nodes[i] = id;
            int prev = Array.IndexOf(_nodes, id);
            scl[i] = prev >= 0 ? _scl[prev] : 0;
            foreach (var (sid, s) in seed)
                if (sid == id && s > scl[i]) scl[i] = s;
            inOld[i] = pg.InOldSet(id);
            inNew[i] = pg.InNewSet(id);
        }
        (_nodes, _scl, _inOld, _inNew, _transition) = (nodes, scl, inOld, inNew, pg.InTransition);
        Recompute();
    }

    public int IndexOf(uint nodeId)
    {
        for (int i = 0; i < _nodes.Length; i++)
            if (_nodes[i] == nodeId) return i;
        return -1;
    }

    public ulong SclOf(uint nodeId)
    {
        int i = IndexOf(nodeId);
        return i < 0 ? 0 : _scl[i];
    }

    /// <summary>Records an acknowledged SCL. Returns true when the PGCL moved.</summary>
    public bool OnScl(uint nodeId, ulong scl)
    {
        int i = IndexOf(nodeId);
        if (i < 0 || scl <= _scl[i]) return false;
        _scl[i] = scl;
        ulong before = Pgcl;
        Recompute();
        return Pgcl != before;
    }

    private void Recompute()
    {
        ulong point;
        if (!_transition)
        {
            point = QuorumPoint(_scl, null, VolumeLayout.WriteQuorum);
        }
        else
        {
            ulong oldPoint = QuorumPoint(_scl, _inOld, VolumeLayout.WriteQuorum);
            ulong newPoint = QuorumPoint(_scl, _inNew, VolumeLayout.WriteQuorum);
            point = Math.Min(oldPoint, newPoint);
        }
        if (point > Pgcl) Pgcl = point;
    }

    /// <summary>The k-th highest value among the selected entries (0 if fewer than k are selected).</summary>
    public static ulong QuorumPoint(ReadOnlySpan<ulong> values, ReadOnlySpan<bool> selected, int k)
    {
        Span<ulong> top = stackalloc ulong[k];
        int count = 0;
        for (int i = 0; i < values.Length; i++)
        {
            if (!selected.IsEmpty && !selected[i]) continue;
            ulong v = values[i];
            int pos;
            if (count < k) pos = count++;
            else if (v > top[k - 1]) pos = k - 1;
            else continue;
            // Insertion into a descending top-k list.
            while (pos > 0 && top[pos - 1] < v)
            {
                top[pos] = top[pos - 1];
                pos--;
            }
            top[pos] = v;
        }
        return count < k ? 0 : top[k - 1];
    }
}
