using Borealis.Sql.Binding;
using Borealis.Sql.Types;

namespace Borealis.Sql.Execution;

public enum AggKind : byte { CountStar, Count, Sum, Avg, Min, Max }

/// <summary>One aggregate call: kind, argument (null for count(*)), DISTINCT, result type.</summary>
public sealed class AggSpec
{
    public AggKind Kind;
    public BExpr? Arg;
    public bool Distinct;
    public SqlType ResultType;
}

/// <summary>Hash aggregation: output row = group values then aggregate results. No GROUP BY → exactly one row.</summary>
public sealed class AggregateOp(Op child, BExpr[] groups, AggSpec[] aggs) : Op
{
    private sealed class State
    {
        public Value[] Keys = [];
        public long[] Count = [];
        public decimal[] DSum = [];
        public double[] FSum = [];
        public Value[] Ext = [];
        public HashSet<string>?[] Seen = [];
    }

    private List<State>? _out;
    private int _i;

    public override async ValueTask<bool> NextAsync(ExecState st)
    {
        if (_out is null)
        {
            var map = new Dictionary<string, State>(StringComparer.Ordinal);
            _out = [];
            var keyBuf = new Value[groups.Length];
            while (await child.NextAsync(st))
            {
                st.Eval.Row = child.Row;
                for (int g = 0; g < groups.Length; g++) keyBuf[g] = groups[g].Eval(st.Eval);
                string key = groups.Length == 0 ? "" : DistinctOp.RowKey(keyBuf);
                if (!map.TryGetValue(key, out var s))
                {
                    s = NewState((Value[])keyBuf.Clone());
                    map.Add(key, s);
                    _out.Add(s);
                }
                for (int a = 0; a < aggs.Length; a++) Accumulate(s, a, st);
            }
            if (groups.Length == 0 && _out.Count == 0) _out.Add(NewState([]));
        }
        if (_i >= _out.Count) return false;
        var r = _out[_i++];
        var row = new Value[groups.Length + aggs.Length];
        Array.Copy(r.Keys, row, groups.Length);
        for (int a = 0; a < aggs.Length; a++) row[groups.Length + a] = Final(r, a);
        Row = row;
        return true;
    }

    private State NewState(Value[] keys) => new()
    {
        Keys = keys,
        Count = new long[aggs.Length],
        DSum = new decimal[aggs.Length],
        FSum = new double[aggs.Length],
        Ext = new Value[aggs.Length],
        Seen = new HashSet<string>?[aggs.Length],
    };

    private void Accumulate(State s, int a, ExecState st)
    {
        var spec = aggs[a];
        if (spec.Kind == AggKind.CountStar) { s.Count[a]++; return; }
        var v = spec.Arg!.Eval(st.Eval);
        if (v.IsNull) return;
        if (spec.Distinct)
        {
            s.Seen[a] ??= new HashSet<string>(StringComparer.Ordinal);
            if (!s.Seen[a]!.Add(DistinctOp.RowKey([v]))) return;
        }
        s.Count[a]++;
        switch (spec.Kind)
        {
            case AggKind.Sum or AggKind.Avg:
                if (v.Type is TypeId.Float4 or TypeId.Float8) s.FSum[a] += v.Float;
                else
                {
                    try { s.DSum[a] += Ops.ToDecimal(v); }
                    catch (OverflowException) { throw SqlErrors.OutOfRange("numeric"); }
                }
                break;
            case AggKind.Min:
                if (s.Ext[a].IsNull || Ops.Compare(v, s.Ext[a]) < 0) s.Ext[a] = v;
                break;
            case AggKind.Max:
                if (s.Ext[a].IsNull || Ops.Compare(v, s.Ext[a]) > 0) s.Ext[a] = v;
                break;
        }
    }

    private Value Final(State s, int a)
    {
        var spec = aggs[a];
        long n = s.Count[a];
        switch (spec.Kind)
        {
            case AggKind.CountStar or AggKind.Count: return Value.FromInt8(n);
            case AggKind.Min or AggKind.Max: return s.Ext[a];
        }
        if (n == 0) return Value.Null;
        var t = spec.ResultType.Id;
        if (spec.Kind == AggKind.Sum)
        {
            return t switch
            {
                TypeId.Int8 => s.DSum[a] is < long.MinValue or > long.MaxValue ? throw SqlErrors.OutOfRange("bigint") : Value.FromInt8((long)s.DSum[a]),
                TypeId.Float4 => Value.FromFloat4(s.FSum[a]),
                TypeId.Float8 => Value.FromFloat8(s.FSum[a]),
                _ => Value.FromNumeric(s.DSum[a]),
            };
        }
        if (t == TypeId.Float8) return Value.FromFloat8(s.FSum[a] / n);
        return Ops.Arith('/', Value.FromNumeric(s.DSum[a]), Value.FromNumeric(n), TypeId.Numeric);
    }

    public override void Close() => child.Close();
}
