using Borealis.Sql.Types;

namespace Borealis.Sql.Binding;

/// <summary>Per-execution inputs of expression evaluation: the current row, parameter values, statement time, session random.</summary>
public sealed class EvalContext
{
    public Value[] Row = [];
    public Value[] Params = [];
    public long StatementTimestamp;
    public long TransactionTimestamp;
    public Random Random = Random.Shared;
    public Borealis.Engine.Database? Db;
    public Borealis.Sql.Execution.ExecState? Exec;
    public List<Value[]> Outer = [];
    public Borealis.Engine.Catalog.SequenceSession? Sequences;
}

/// <summary>A bound (typed, name-resolved) expression.</summary>
public abstract class BExpr
{
    public SqlType Type;
    public abstract Value Eval(EvalContext c);
}

public sealed class ConstExpr(Value v, SqlType t) : BExpr
{
    public Value V = v;
    public ConstExpr Init() { Type = t; return this; }
    public override Value Eval(EvalContext c) => V;
}

public sealed class ParamExpr : BExpr
{
    public int Index;
    public override Value Eval(EvalContext c) => c.Params[Index];
}

public sealed class ColExpr : BExpr
{
    public int Index;
    public override Value Eval(EvalContext c) => c.Row[Index];
}

public sealed class CastExpr : BExpr
{
    public required BExpr Arg;
    public bool Explicit;
    public override Value Eval(EvalContext c) => Ops.Cast(Arg.Eval(c), Type, Explicit);
}

public sealed class ArithExpr : BExpr
{
    public required BExpr L, R;
    public char Op;
    public override Value Eval(EvalContext c) => Ops.Arith(Op, L.Eval(c), R.Eval(c), Type.Id);
}

public sealed class NegExpr : BExpr
{
    public required BExpr Arg;
    public override Value Eval(EvalContext c)
    {
        var v = Arg.Eval(c);
        if (v.IsNull) return v;
        return Type.Id switch
        {
            TypeId.Numeric => Value.FromNumeric(-v.Decimal),
            TypeId.Float4 => Value.FromFloat4(-v.Float),
            TypeId.Float8 => Value.FromFloat8(-v.Float),
            _ => v.Int == long.MinValue ? throw SqlErrors.OutOfRange(Ops.IntName(Type.Id)) : Value.FromInt(Type.Id, Ops.CheckInt(-v.Int, Type.Id)),
        };
    }
}

public sealed class ConcatExpr : BExpr
{
    public required BExpr L, R;
    public override Value Eval(EvalContext c)
    {
        var a = L.Eval(c);
        var b = R.Eval(c);
        if (a.IsNull || b.IsNull) return Value.Null;
        return Value.FromText(Txt(a) + Txt(b));
    }

    internal static string Txt(in Value v) => v.Type == TypeId.Bpchar ? v.Str.TrimEnd(' ') : v.ToText();
}

public enum CmpOp : byte { Eq, Ne, Lt, Le, Gt, Ge }

public sealed class CmpExpr : BExpr
{
    public required BExpr L, R;
    public CmpOp Op;
    public CmpExpr() => Type = SqlType.Bool;

    public override Value Eval(EvalContext c)
    {
        var a = L.Eval(c);
        if (a.IsNull) return Value.Null;
        var b = R.Eval(c);
        if (b.IsNull) return Value.Null;
        return Value.FromBool(Test(Op, Ops.Compare(a, b)));
    }

    public static bool Test(CmpOp op, int r) => op switch
    {
        CmpOp.Eq => r == 0,
        CmpOp.Ne => r != 0,
        CmpOp.Lt => r < 0,
        CmpOp.Le => r <= 0,
        CmpOp.Gt => r > 0,
        _ => r >= 0,
    };
}

public sealed class AndExpr : BExpr
{
    public required BExpr[] Args;
    public AndExpr() => Type = SqlType.Bool;
    public override Value Eval(EvalContext c)
    {
        bool sawNull = false;
        foreach (var a in Args)
        {
            var v = a.Eval(c);
            if (v.IsNull) sawNull = true;
            else if (!v.Bool) return Value.FromBool(false);
        }
        return sawNull ? Value.Null : Value.FromBool(true);
    }
}

public sealed class OrExpr : BExpr
{
    public required BExpr[] Args;
    public OrExpr() => Type = SqlType.Bool;
    public override Value Eval(EvalContext c)
    {
        bool sawNull = false;
        foreach (var a in Args)
        {
            var v = a.Eval(c);
            if (v.IsNull) sawNull = true;
            else if (v.Bool) return Value.FromBool(true);
        }
        return sawNull ? Value.Null : Value.FromBool(false);
    }
}

public sealed class NotExpr : BExpr
{
    public required BExpr Arg;
    public NotExpr() => Type = SqlType.Bool;
    public override Value Eval(EvalContext c)
    {
        var v = Arg.Eval(c);
        return v.IsNull ? v : Value.FromBool(!v.Bool);
    }
}

public sealed class IsNullExpr : BExpr
{
    public required BExpr Arg;
    public bool Not;
    public IsNullExpr() => Type = SqlType.Bool;
    public override Value Eval(EvalContext c) => Value.FromBool(Arg.Eval(c).IsNull != Not);
}

public sealed class BoolTestBExpr : BExpr
{
    public required BExpr Arg;
    public Ast.BoolTestKind Kind;
    public bool Not;
    public BoolTestBExpr() => Type = SqlType.Bool;
    public override Value Eval(EvalContext c)
    {
        var v = Arg.Eval(c);
        bool r = Kind switch
        {
            Ast.BoolTestKind.True => !v.IsNull && v.Bool,
            Ast.BoolTestKind.False => !v.IsNull && !v.Bool,
            _ => v.IsNull,
        };
        return Value.FromBool(r != Not);
    }
}

public sealed class DistinctExpr : BExpr
{
    public required BExpr L, R;
    public bool Not;
    public DistinctExpr() => Type = SqlType.Bool;
    public override Value Eval(EvalContext c)
    {
        var a = L.Eval(c);
        var b = R.Eval(c);
        bool distinct = a.IsNull != b.IsNull || (!a.IsNull && Ops.Compare(a, b) != 0);
        return Value.FromBool(distinct != Not);
    }
}

public sealed class InExpr : BExpr
{
    public required BExpr Arg;
    public required BExpr[] List;
    public bool Not;
    public InExpr() => Type = SqlType.Bool;
    public override Value Eval(EvalContext c)
    {
        var a = Arg.Eval(c);
        if (a.IsNull) return Value.Null;
        bool sawNull = false;
        foreach (var e in List)
        {
            var v = e.Eval(c);
            if (v.IsNull) { sawNull = true; continue; }
            if (Ops.Compare(a, v) == 0) return Value.FromBool(!Not);
        }
        return sawNull ? Value.Null : Value.FromBool(Not);
    }
}

public sealed class LikeBExpr : BExpr
{
    public required BExpr Arg, Pattern;
    public bool Not, CaseInsensitive;
    public LikeBExpr() => Type = SqlType.Bool;
    public override Value Eval(EvalContext c)
    {
        var a = Arg.Eval(c);
        var p = Pattern.Eval(c);
        if (a.IsNull || p.IsNull) return Value.Null;
        string s = ConcatExpr.Txt(a), pat = ConcatExpr.Txt(p);
        if (CaseInsensitive) { s = s.ToLowerInvariant(); pat = pat.ToLowerInvariant(); }
        return Value.FromBool(Match(s, 0, pat, 0) != Not);
    }

    private static bool Match(string s, int si, string p, int pi)
    {
        while (pi < p.Length)
        {
            char pc = p[pi];
            if (pc == '%')
            {
                while (pi < p.Length && p[pi] == '%') pi++;
                if (pi == p.Length) return true;
                for (int k = si; k <= s.Length; k++) if (Match(s, k, p, pi)) return true;
                return false;
            }
            if (si >= s.Length) return false;
            if (pc == '\\' && pi + 1 < p.Length) { pi++; pc = p[pi]; if (s[si] != pc) return false; }
            else if (pc != '_' && s[si] != pc) return false;
            si++;
            pi++;
        }
        return si == s.Length;
    }
}

public sealed class CaseBExpr : BExpr
{
    public BExpr? Arg;
    public required (BExpr When, BExpr Then)[] Whens;
    public BExpr? Else;
    public override Value Eval(EvalContext c)
    {
        if (Arg is not null)
        {
            var a = Arg.Eval(c);
            foreach (var (w, t) in Whens)
            {
                var v = w.Eval(c);
                if (!a.IsNull && !v.IsNull && Ops.Compare(a, v) == 0) return t.Eval(c);
            }
        }
        else
        {
            foreach (var (w, t) in Whens) if (w.Eval(c).IsTrue) return t.Eval(c);
        }
        return Else is null ? Value.Null : Else.Eval(c);
    }
}

/// <summary>A scalar function: evaluated by a delegate over its argument values.</summary>
public sealed class FuncExpr : BExpr
{
    public required string Name;
    public required BExpr[] Args;
    public required Func<EvalContext, Value[], Value> Fn;
    public bool Strict = true;
    private Value[]? _buf;

    public override Value Eval(EvalContext c)
    {
        // One argument buffer per call site (a plan runs on one session at a time; Fn does not keep it).
        var vals = _buf ??= new Value[Args.Length];
        for (int i = 0; i < vals.Length; i++)
        {
            vals[i] = Args[i].Eval(c);
            if (Strict && vals[i].IsNull) return Value.Null;
        }
        return Fn(c, vals);
    }
}
