using System.Text;
using Borealis.Engine;
using Borealis.Engine.Access;
using Borealis.Engine.BTree;
using Borealis.Engine.Heap;
using Borealis.Engine.Catalog;
using Borealis.Engine.Keys;
using Borealis.Engine.Rows;
using Borealis.Engine.Txn;
using Borealis.Sql.Binding;
using Borealis.Sql.Types;

namespace Borealis.Sql.Execution;

/// <summary>What a running statement needs: transaction, snapshot, expression context, cancellation.</summary>
public sealed class ExecState
{
    public required Database Db;
    public required Transaction Tx;
    public required Snapshot Snap;
    public required EvalContext Eval;
    public CancellationToken Ct;
}

/// <summary>A table as the executor uses it: catalog entry, the engine's Table object, column types and layout.</summary>
public sealed class TableRt
{
    public required TableInfo Info;
    public required Table Table;
    public required SqlType[] Types;   // per attnum-1 (dropped included)
    public required ColumnStorage[] Layout;
    public required IndexInfo[] IndexInfos; // in Table.Indexes order
}

/// <summary>A pull-based plan operator. <see cref="Row"/> is valid until the next call (consumers that keep rows copy them).</summary>
public abstract class Op
{
    public Value[] Row = [];
    public abstract ValueTask<bool> NextAsync(ExecState st);
    public virtual void Close() { }
}

/// <summary>One empty row (SELECT without FROM).</summary>
public sealed class ResultOp : Op
{
    private bool _done;
    public override ValueTask<bool> NextAsync(ExecState st)
    {
        if (_done) return new(false);
        _done = true;
        return new(true);
    }
}

public sealed class ValuesOp(BExpr[][] rows, int width) : Op
{
    private int _i;
    public override ValueTask<bool> NextAsync(ExecState st)
    {
        if (_i >= rows.Length) return new(false);
        var r = rows[_i++];
        if (Row.Length != width) Row = new Value[width]; // reused: consumers copy values out
        var outRow = Row;
        st.Eval.Row = [];
        for (int k = 0; k < r.Length; k++) outRow[k] = r[k].Eval(st.Eval);
        return new(true);
    }
}

/// <summary>Sequential scan with a filter; exposes the current version's TID for UPDATE/DELETE.</summary>
public sealed class SeqScanOp : Op
{
    private readonly TableRt _t;
    private readonly BExpr? _filter;
    private TableScan? _scan;
    public Tid Tid;
    /// <summary>Columns the plan reads (null = all); the others are left NULL.</summary>
    public bool[]? Needed;

    public SeqScanOp(TableRt t, BExpr? filter)
    {
        _t = t;
        _filter = filter;
        Row = new Value[t.Types.Length];
    }

    public override async ValueTask<bool> NextAsync(ExecState st)
    {
        _scan ??= _t.Table.Scan(st.Snap);
        while (await _scan.MoveNextAsync(st.Ct))
        {
            RowCodec.Decode(_scan.Row, _t.Layout, _t.Types, Row, Needed);
            if (_filter is not null)
            {
                st.Eval.Row = Row;
                if (!_filter.Eval(st.Eval).IsTrue) continue;
            }
            Tid = _scan.Tid;
            return true;
        }
        return false;
    }

    public override void Close() => _scan?.Dispose();
}

/// <summary>
/// Index scan: equality on the first <see cref="EqCount"/> key columns, then an optional range on
/// the next one; the residual filter (the whole WHERE) is re-checked on each row.
/// </summary>
public sealed class IndexScanOp : Op
{
    private readonly TableRt _t;
    private readonly int _index;
    private readonly BExpr[] _eq;
    private readonly BExpr? _lo, _hi;
    private readonly bool _loIncl, _hiIncl;
    private readonly BExpr? _filter;
    private IndexScan? _scan;
    private bool _empty;
    public Tid Tid;
    /// <summary>Columns the plan reads (null = all); the others are left NULL.</summary>
    public bool[]? Needed;

    public IndexScanOp(TableRt t, int index, BExpr[] eq, BExpr? lo, bool loIncl, BExpr? hi, bool hiIncl, BExpr? filter)
    {
        _t = t;
        _index = index;
        _eq = eq;
        _lo = lo;
        _hi = hi;
        _loIncl = loIncl;
        _hiIncl = hiIncl;
        _filter = filter;
        Row = new Value[t.Types.Length];
    }

    public int EqCount => _eq.Length;

    private byte[]? Key(ExecState st, BExpr? last)
    {
        var def = _t.Table.Indexes[_index];
        var buf = new byte[Borealis.Engine.BTree.BPlusTree.MaxKeyLength];
        var enc = new KeyEncoder(buf);
        int n = _eq.Length + (last is null ? 0 : 1);
        st.Eval.Row = [];
        for (int i = 0; i < n; i++)
        {
            var v = i < _eq.Length ? _eq[i].Eval(st.Eval) : last!.Eval(st.Eval);
            if (v.IsNull) return null;
            int att = def.Columns[i];
            if (!RowCodec.WriteKey(ref enc, v, _t.Types[att].Id, def.KeyColumns[i])) return null;
        }
        return enc.Written.ToArray();
    }

    public override async ValueTask<bool> NextAsync(ExecState st)
    {
        if (_empty) return false;
        if (_scan is null)
        {
            var prefix = Key(st, null);
            byte[]? lo = prefix, hi = prefix;
            bool loIncl = true, hiIncl = true;
            if (_lo is not null) { lo = Key(st, _lo); loIncl = _loIncl; if (lo is null) { _empty = true; return false; } }
            if (_hi is not null) { hi = Key(st, _hi); hiIncl = _hiIncl; if (hi is null) { _empty = true; return false; } }
            if (prefix is null) { _empty = true; return false; }
            _scan = new IndexScan(_t.Table, _index);
            var range = IndexScan.Between(lo is { Length: > 0 } ? lo : null, loIncl, hi is { Length: > 0 } ? hi : null, hiIncl);
            _scan.Reset(range, ScanDirection.Forward, st.Snap);
        }
        while (await _scan.MoveNextAsync(st.Ct))
        {
            RowCodec.Decode(_scan.Row, _t.Layout, _t.Types, Row, Needed);
            if (_filter is not null)
            {
                st.Eval.Row = Row;
                if (!_filter.Eval(st.Eval).IsTrue) continue;
            }
            Tid = _scan.Tid;
            return true;
        }
        return false;
    }

    public override void Close() => _scan?.Dispose();
}

public sealed class FilterOp(Op child, BExpr pred) : Op
{
    public override async ValueTask<bool> NextAsync(ExecState st)
    {
        while (await child.NextAsync(st))
        {
            st.Eval.Row = child.Row;
            if (pred.Eval(st.Eval).IsTrue) { Row = child.Row; return true; }
        }
        return false;
    }

    public override void Close() => child.Close();
}

public sealed class ProjectOp : Op
{
    private readonly Op _child;
    private readonly BExpr[] _exprs;

    public ProjectOp(Op child, BExpr[] exprs)
    {
        _child = child;
        _exprs = exprs;
        Row = new Value[exprs.Length];
    }

    public override async ValueTask<bool> NextAsync(ExecState st)
    {
        if (!await _child.NextAsync(st)) return false;
        st.Eval.Row = _child.Row;
        for (int i = 0; i < _exprs.Length; i++) Row[i] = _exprs[i].Eval(st.Eval);
        return true;
    }

    public override void Close() => _child.Close();
}

public readonly record struct SortKey(BExpr Expr, bool Desc, bool NullsFirst);

/// <summary>Materialising sort (stable).</summary>
public sealed class SortOp(Op child, SortKey[] keys) : Op
{
    private List<(Value[] Keys, Value[] Row)>? _rows;
    private int _i;

    public override async ValueTask<bool> NextAsync(ExecState st)
    {
        if (_rows is null)
        {
            _rows = [];
            while (await child.NextAsync(st))
            {
                st.Eval.Row = child.Row;
                var k = new Value[keys.Length];
                for (int i = 0; i < keys.Length; i++) k[i] = keys[i].Expr.Eval(st.Eval);
                _rows.Add((k, (Value[])child.Row.Clone()));
            }
            var arr = _rows.ToArray();
            var idx = Enumerable.Range(0, arr.Length).ToArray();
            Array.Sort(idx, (x, y) =>
            {
                int c = CompareKeys(arr[x].Keys, arr[y].Keys, keys);
                return c != 0 ? c : x.CompareTo(y);
            });
            _rows = idx.Select(i => arr[i]).ToList();
        }
        if (_i >= _rows.Count) return false;
        Row = _rows[_i++].Row;
        return true;
    }

    public static int CompareKeys(Value[] a, Value[] b, SortKey[] keys)
    {
        for (int i = 0; i < keys.Length; i++)
        {
            var x = a[i];
            var y = b[i];
            int c;
            if (x.IsNull || y.IsNull)
            {
                if (x.IsNull && y.IsNull) continue;
                c = x.IsNull ? 1 : -1; // NULL sorts as larger
                if (keys[i].NullsFirst != keys[i].Desc) c = -c;
                if (keys[i].Desc) c = -c;
            }
            else c = Ops.Compare(x, y);
            if (c != 0) return keys[i].Desc ? -c : c;
        }
        return 0;
    }

    public override void Close() => child.Close();
}

public sealed class LimitOp(Op child, BExpr? limit, BExpr? offset) : Op
{
    private long _left = -1, _skip = -1;

    public override async ValueTask<bool> NextAsync(ExecState st)
    {
        if (_left < 0)
        {
            st.Eval.Row = [];
            var l = limit?.Eval(st.Eval) ?? Value.Null;
            var o = offset?.Eval(st.Eval) ?? Value.Null;
            _left = l.IsNull ? long.MaxValue : l.Int;
            _skip = o.IsNull ? 0 : o.Int;
            if (_left < 0) throw SqlErrors.Make("2201W", "LIMIT must not be negative");
            if (_skip < 0) throw SqlErrors.Make("2201X", "OFFSET must not be negative");
        }
        while (_skip > 0)
        {
            if (!await child.NextAsync(st)) return false;
            _skip--;
        }
        if (_left == 0) return false;
        if (!await child.NextAsync(st)) return false;
        _left--;
        Row = child.Row;
        return true;
    }

    public override void Close() => child.Close();
}

public sealed class DistinctOp(Op child) : Op
{
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);

    public override async ValueTask<bool> NextAsync(ExecState st)
    {
        while (await child.NextAsync(st))
        {
            if (_seen.Add(RowKey(child.Row))) { Row = child.Row; return true; }
        }
        return false;
    }

    public static string RowKey(ReadOnlySpan<Value> row)
    {
        var sb = new StringBuilder();
        foreach (var v in row)
        {
            if (v.IsNull) sb.Append('\u0001');
            else sb.Append(v.Type == TypeId.Bpchar ? v.Str.TrimEnd(' ') : v.ToText());
            sb.Append('\u0000');
        }
        return sb.ToString();
    }

    public override void Close() => child.Close();
}

/// <summary>Nested-loop inner/left/cross join; the inner side is materialised once.</summary>
public sealed class NestedLoopOp : Op
{
    private readonly Op _left, _right;
    private readonly BExpr? _cond;
    private readonly bool _leftOuter;
    private readonly int _lw, _rw;
    private List<Value[]>? _inner;
    private int _j;
    private bool _haveLeft, _matched;

    public NestedLoopOp(Op left, int leftWidth, Op right, int rightWidth, BExpr? cond, bool leftOuter)
    {
        _left = left;
        _right = right;
        _cond = cond;
        _leftOuter = leftOuter;
        _lw = leftWidth;
        _rw = rightWidth;
        Row = new Value[leftWidth + rightWidth];
    }

    public override async ValueTask<bool> NextAsync(ExecState st)
    {
        if (_inner is null)
        {
            _inner = [];
            while (await _right.NextAsync(st)) _inner.Add((Value[])_right.Row.Clone());
        }
        while (true)
        {
            if (!_haveLeft)
            {
                if (!await _left.NextAsync(st)) return false;
                Array.Copy(_left.Row, Row, _lw);
                _haveLeft = true;
                _matched = false;
                _j = 0;
            }
            while (_j < _inner.Count)
            {
                Array.Copy(_inner[_j++], 0, Row, _lw, _rw);
                st.Eval.Row = Row;
                if (_cond is null || _cond.Eval(st.Eval).IsTrue) { _matched = true; return true; }
            }
            _haveLeft = false;
            if (_leftOuter && !_matched)
            {
                for (int k = 0; k < _rw; k++) Row[_lw + k] = Value.Null;
                return true;
            }
        }
    }

    public override void Close()
    {
        _left.Close();
        _right.Close();
    }
}

public sealed class GenerateSeriesOp(BExpr start, BExpr stop, BExpr? step) : Op
{
    private long _cur, _end, _step;
    private bool _init;
    private TypeId _t;

    public override ValueTask<bool> NextAsync(ExecState st)
    {
        if (!_init)
        {
            _init = true;
            st.Eval.Row = [];
            var a = start.Eval(st.Eval);
            var b = stop.Eval(st.Eval);
            var s = step?.Eval(st.Eval) ?? Value.FromInt4(1);
            if (a.IsNull || b.IsNull || s.IsNull) { _step = 0; return new(false); }
            _t = start.Type.Id;
            _cur = a.Int;
            _end = b.Int;
            _step = s.Int;
            if (_step == 0) throw SqlErrors.Make("22023", "step size cannot equal zero");
        }
        if (_step == 0 || (_step > 0 ? _cur > _end : _cur < _end)) return new(false);
        Row = [Value.FromInt(_t, _cur)];
        _cur += _step;
        return new(true);
    }
}

/// <summary>
/// SELECT … FOR UPDATE/SHARE: locks each row its scan returns (waits, 40P01/55P03/40001 per the
/// transaction layer); rows deleted or no longer matching after a concurrent update are skipped.
/// Under READ COMMITTED the row returned is the version the scan saw (not re-read after EvalPlanQual).
/// </summary>
public sealed class LockRowsOp(Op scan, TableRt t, RowLockStrength strength, bool nowait) : Op
{
    public override async ValueTask<bool> NextAsync(ExecState st)
    {
        while (await scan.NextAsync(st))
        {
            var tid = scan is SeqScanOp s ? s.Tid : ((IndexScanOp)scan).Tid;
            var r = await t.Table.LockRowAsync(st.Tx, tid, strength, nowait, null, st.Ct);
            if (r.Status != ModifyStatus.Done) continue;
            Row = scan.Row;
            return true;
        }
        return false;
    }

    public override void Close() => scan.Close();
}

/// <summary>UNION ALL: the left input's rows, then the right's.</summary>
public sealed class AppendOp(Op left, Op right) : Op
{
    private bool _right;

    public override async ValueTask<bool> NextAsync(ExecState st)
    {
        if (!_right)
        {
            if (await left.NextAsync(st)) { Row = left.Row; return true; }
            _right = true;
        }
        if (!await right.NextAsync(st)) return false;
        Row = right.Row;
        return true;
    }

    public override void Close()
    {
        left.Close();
        right.Close();
    }
}
