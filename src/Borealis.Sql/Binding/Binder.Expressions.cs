using System.Globalization;
using Borealis.PgWire.Types;
using Borealis.Sql.Ast;
using Borealis.Sql.Execution;
using Borealis.Sql.Types;

namespace Borealis.Sql.Binding;

public sealed partial class Binder
{
    public BExpr BindExpr(Expr e, ScopeCol[] scope)
    {
        if (_agg is not null)
        {
            string text = e.ToString();
            int gi = Array.IndexOf(_agg.GroupTexts, text);
            if (gi >= 0) return new ColExpr { Index = gi, Type = _agg.Groups[gi].Type };
            if (e is FuncCall f && AggNames.Contains(f.Name[^1].ToLowerInvariant()) && f.Over is null) return BindAggregate(f);
            if (e is ColumnRef cr)
            {
                var col = Resolve(cr, _agg.Input);
                throw SqlErrors.Make("42803", $"column \"{(col.Table is null ? "" : col.Table + ".")}{col.Name}\" must appear in the GROUP BY clause or be used in an aggregate function", cr.Position);
            }
        }
        switch (e)
        {
            case IntegerLiteral i:
                return i.Value is >= int.MinValue and <= int.MaxValue ? Const(Value.FromInt4(i.Value), SqlType.Int4) : Const(Value.FromInt8(i.Value), SqlType.Int8);
            case NumericLiteral n:
                return decimal.TryParse(n.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
                    ? Const(Value.FromNumeric(d), SqlType.Numeric)
                    : Const(Value.FromFloat8(double.Parse(n.Text, CultureInfo.InvariantCulture)), SqlType.Float8);
            case StringLiteral s: return Const(Value.FromUnknown(s.Value), SqlType.Unknown);
            case BooleanLiteral b: return Const(Value.FromBool(b.Value), SqlType.Bool);
            case NullLiteral: return Const(Value.Null, SqlType.Unknown);
            case ParamRef p:
            {
                if (p.Number < 1 || p.Number > 65535) throw SqlErrors.Make("42P02", $"there is no parameter ${p.Number}", p.Position);
                while (paramTypes.Count < p.Number) paramTypes.Add(SqlType.Unknown);
                return new ParamExpr { Index = p.Number - 1, Type = paramTypes[p.Number - 1] };
            }
            case ColumnRef c:
            {
                if (_outer.Count > 0 && !Has(c, scope))
                    for (int lvl = _outer.Count - 1; lvl >= 0; lvl--)
                        if (Has(c, _outer[lvl]))
                        {
                            var oc = Resolve(c, _outer[lvl]);
                            return new OuterColExpr { Index = oc.Index, Depth = _outer.Count - lvl, Type = oc.Type };
                        }
                var col = Resolve(c, scope);
                return new ColExpr { Index = col.Index, Type = col.Type };
            }
            case SubLink { Kind: SubLinkKind.Any, Test: not null } inq when inq.Op is null or "=":
            {
                var test = BindExpr(inq.Test, scope);
                var saveAgg = _agg;
                _agg = null;
                _outer.Add(scope);
                try
                {
                    var q = BindSelect(inq.Query);
                    if (q.Types.Length != 1) throw SqlErrors.Syntax("subquery has too many columns", inq.Position);
                    if (test.Type.Id == TypeId.Unknown) test = Coerce(test, q.Types[0], false);
                    Unify(test, new ColExpr { Type = q.Types[0] }, "=", inq.Position);
                    return new InSubqueryExpr { Test = test, Make = q.Make, Type = SqlType.Bool };
                }
                finally
                {
                    _outer.RemoveAt(_outer.Count - 1);
                    _agg = saveAgg;
                }
            }
            case SubLink { Kind: SubLinkKind.Scalar or SubLinkKind.Exists } sl:
            {
                var saveAgg = _agg;
                _agg = null;
                _outer.Add(scope);
                try
                {
                    var q = BindSelect(sl.Query);
                    if (sl.Kind == SubLinkKind.Scalar && q.Types.Length != 1) throw SqlErrors.Syntax("subquery must return only one column", sl.Position);
                    return new ScalarSubqueryExpr { Make = q.Make, Exists = sl.Kind == SubLinkKind.Exists, Type = sl.Kind == SubLinkKind.Exists ? SqlType.Bool : q.Types[0] };
                }
                finally
                {
                    _outer.RemoveAt(_outer.Count - 1);
                    _agg = saveAgg;
                }
            }
            case TypeCast tc:
            {
                if (tc.Arg is StringLiteral sl && tc.Type.Names[^1] == "regclass") return Const(Value.FromText(sl.Value), SqlType.Text);
                var target = Types.Types.Resolve(tc.Type);
                return Coerce(BindExpr(tc.Arg, scope), target, true);
            }
            case OperatorExpr o: return BindOperator(o, scope);
            case BoolExpr b:
            {
                var args = b.Args.Select(a => BindPredicate(a, scope, b.Op.ToString().ToUpperInvariant())).ToArray();
                return b.Op switch
                {
                    BoolOp.And => new AndExpr { Args = args },
                    BoolOp.Or => new OrExpr { Args = args },
                    _ => new NotExpr { Arg = args[0] },
                };
            }
            case NullTestExpr n: return new IsNullExpr { Arg = BindExpr(n.Arg, scope), Not = n.Not };
            case BoolTestExpr bt: return new BoolTestBExpr { Arg = Coerce(BindExpr(bt.Arg, scope), SqlType.Bool, false), Kind = bt.Kind, Not = bt.Not };
            case DistinctFromExpr df:
            {
                var (l, r) = Unify(BindExpr(df.Left, scope), BindExpr(df.Right, scope), "IS DISTINCT FROM", df.Position);
                return new DistinctExpr { L = l, R = r, Not = df.Not };
            }
            case BetweenExpr be:
            {
                var arg = BindExpr(be.Arg, scope);
                var lo = Compare(CmpOp.Ge, arg, BindExpr(be.Low, scope), be.Position);
                var hi = Compare(CmpOp.Le, BindExpr(be.Arg, scope), BindExpr(be.High, scope), be.Position);
                BExpr r = new AndExpr { Args = [lo, hi] };
                if (be.Symmetric)
                {
                    var lo2 = Compare(CmpOp.Ge, BindExpr(be.Arg, scope), BindExpr(be.High, scope), be.Position);
                    var hi2 = Compare(CmpOp.Le, BindExpr(be.Arg, scope), BindExpr(be.Low, scope), be.Position);
                    r = new OrExpr { Args = [r, new AndExpr { Args = [lo2, hi2] }] };
                }
                return be.Not ? new NotExpr { Arg = r } : r;
            }
            case InListExpr il:
            {
                var arg = BindExpr(il.Arg, scope);
                var items = il.List.Select(x => BindExpr(x, scope)).ToArray();
                if (arg.Type.Id == TypeId.Unknown)
                    arg = Coerce(arg, items.Select(x => x.Type).FirstOrDefault(t => t.Id != TypeId.Unknown, SqlType.Text), false);
                for (int k = 0; k < items.Length; k++) items[k] = Unify(arg, items[k], "=", il.Position).Item2;
                return new InExpr { Arg = arg, List = items, Not = il.Not };
            }
            case LikeExpr le:
            {
                if (le.Kind == LikeKind.SimilarTo || le.Escape is not null) throw SqlErrors.NotSupported("SIMILAR TO / ESCAPE");
                return new LikeBExpr
                {
                    Arg = Coerce(BindExpr(le.Arg, scope), SqlType.Text, false),
                    Pattern = Coerce(BindExpr(le.Pattern, scope), SqlType.Text, false),
                    Not = le.Not,
                    CaseInsensitive = le.Kind == LikeKind.ILike,
                };
            }
            case CaseExpr ce: return BindCase(ce, scope);
            case ConditionalExpr ce:
            {
                var args = ce.Args.Select(a => BindExpr(a, scope)).ToArray();
                var t = CommonType(args, ce.Kind.ToString().ToUpperInvariant(), ce.Position);
                for (int k = 0; k < args.Length; k++) args[k] = Coerce(args[k], t, false);
                Func<EvalContext, Value[], Value> fn = ce.Kind switch
                {
                    ConditionalKind.Coalesce => (_, v) => v.FirstOrDefault(x => !x.IsNull, Value.Null),
                    ConditionalKind.NullIf => (_, v) => !v[0].IsNull && !v[1].IsNull && Ops.Compare(v[0], v[1]) == 0 ? Value.Null : v[0],
                    ConditionalKind.Greatest => (_, v) => v.Where(x => !x.IsNull).Aggregate(Value.Null, (m, x) => m.IsNull || Ops.Compare(x, m) > 0 ? x : m),
                    _ => (_, v) => v.Where(x => !x.IsNull).Aggregate(Value.Null, (m, x) => m.IsNull || Ops.Compare(x, m) < 0 ? x : m),
                };
                return new FuncExpr { Name = ce.Kind.ToString(), Args = args, Fn = fn, Strict = false, Type = t };
            }
            case SqlValueFunction sv: return BindSqlValue(sv);
            case FuncCall f: return BindFunction(f, scope);
            case DefaultExpr: throw SqlErrors.Syntax("DEFAULT is not allowed in this context", e.Position);
            default: throw SqlErrors.NotSupported($"expression {e.GetType().Name}");
        }
    }

    private static ConstExpr Const(Value v, SqlType t) => new ConstExpr(v, t).Init();

    private static bool Has(ColumnRef c, ScopeCol[] scope)
    {
        string name = c.Names[^1];
        string? table = c.Names.Count >= 2 ? c.Names[^2] : null;
        return scope.Any(s => s.Name == name && (table is null || s.Table == table));
    }

    private static ScopeCol Resolve(ColumnRef c, ScopeCol[] scope)
    {
        string name = c.Names[^1];
        string? table = c.Names.Count >= 2 ? c.Names[^2] : null;
        ScopeCol? found = null;
        foreach (var s in scope)
        {
            if (s.Name != name || (table is not null && s.Table != table)) continue;
            if (found is not null) throw SqlErrors.Make("42702", $"column reference \"{name}\" is ambiguous", c.Position);
            found = s;
        }
        if (found is null)
        {
            if (table is not null && !scope.Any(s => s.Table == table))
                throw SqlErrors.Make("42P01", $"missing FROM-clause entry for table \"{table}\"", c.Position);
            throw SqlErrors.UndefinedColumn(table is null ? name : $"{table}.{name}", c.Position);
        }
        return found;
    }

    private BExpr BindAggregate(FuncCall f)
    {
        var a = _agg!;
        string name = f.Name[^1].ToLowerInvariant();
        _agg = null;
        try
        {
            var spec = new AggSpec { Distinct = f.Distinct };
            if (f.Star)
            {
                if (name != "count") throw SqlErrors.Syntax($"{name}(*) is not allowed", f.Position);
                spec.Kind = AggKind.CountStar;
                spec.ResultType = SqlType.Int8;
            }
            else
            {
                if (f.Args.Count != 1) throw SqlErrors.UndefinedFunction($"{name}()", f.Position);
                var arg = BindExpr(f.Args[0], a.Input);
                if (arg.Type.Id == TypeId.Unknown) arg = Coerce(arg, SqlType.Text, false);
                spec.Arg = arg;
                var t = arg.Type.Id;
                (spec.Kind, spec.ResultType) = name switch
                {
                    "count" => (AggKind.Count, SqlType.Int8),
                    "sum" => (AggKind.Sum, t switch
                    {
                        TypeId.Int2 or TypeId.Int4 => SqlType.Int8,
                        TypeId.Int8 or TypeId.Numeric => SqlType.Numeric,
                        TypeId.Float4 => new SqlType(TypeId.Float4),
                        TypeId.Float8 => SqlType.Float8,
                        _ => throw SqlErrors.UndefinedFunction($"sum({arg.Type.Name})", f.Position),
                    }),
                    "avg" => (AggKind.Avg, t switch
                    {
                        TypeId.Int2 or TypeId.Int4 or TypeId.Int8 or TypeId.Numeric => SqlType.Numeric,
                        TypeId.Float4 or TypeId.Float8 => SqlType.Float8,
                        _ => throw SqlErrors.UndefinedFunction($"avg({arg.Type.Name})", f.Position),
                    }),
                    "min" => (AggKind.Min, arg.Type),
                    _ => (AggKind.Max, arg.Type),
                };
            }
            a.Aggs.Add(spec);
            return new ColExpr { Index = a.Groups.Length + a.Aggs.Count - 1, Type = spec.ResultType };
        }
        finally { _agg = a; }
    }

    private BExpr BindCase(CaseExpr ce, ScopeCol[] scope)
    {
        BExpr? arg = ce.Arg is null ? null : BindExpr(ce.Arg, scope);
        var whens = ce.Whens.Select(w => (arg is null ? BindPredicate(w.Condition, scope, "CASE/WHEN") : Unify(arg, BindExpr(w.Condition, scope), "=", w.Position).Item2, BindExpr(w.Result, scope))).ToArray();
        var els = ce.Else is null ? null : BindExpr(ce.Else, scope);
        var results = whens.Select(w => w.Item2).Concat(els is null ? [] : [els]).ToArray();
        var t = CommonType(results, "CASE", ce.Position);
        for (int k = 0; k < whens.Length; k++) whens[k].Item2 = Coerce(whens[k].Item2, t, false);
        return new CaseBExpr { Arg = arg, Whens = whens, Else = els is null ? null : Coerce(els, t, false), Type = t };
    }

    private static SqlType CommonType(BExpr[] args, string construct, int position)
    {
        SqlType t = SqlType.Unknown;
        foreach (var a in args)
        {
            if (a.Type.Id == TypeId.Unknown) continue;
            if (t.Id == TypeId.Unknown) { t = a.Type; continue; }
            if (Ops.NumRank(t.Id) >= 0 && Ops.NumRank(a.Type.Id) >= 0) t = new SqlType(Ops.CommonNumeric(t.Id, a.Type.Id));
            else if (t.IsString && a.Type.IsString) t = SqlType.Text;
            else if (t.Id != a.Type.Id)
                throw SqlErrors.Make("42804", $"{construct} types {t.Name} and {a.Type.Name} cannot be matched", position);
        }
        return t.Id == TypeId.Unknown ? SqlType.Text : t;
    }

    /// <summary>Converts an expression to a type: fixes an unknown parameter's type, parses an unknown literal, or adds a cast.</summary>
    public BExpr Coerce(BExpr e, SqlType target, bool explicitCast)
    {
        if (target.Id == TypeId.Unknown) return e;
        if (e is ParamExpr p && p.Type.Id == TypeId.Unknown)
        {
            paramTypes[p.Index] = new SqlType(target.Id);
            p.Type = new SqlType(target.Id);
            return target.Typmod >= 0 ? new CastExpr { Arg = p, Type = target, Explicit = explicitCast } : p;
        }
        if (e is ConstExpr c && (c.Type.Id == TypeId.Unknown || c.V.IsNull))
            return Const(c.V.IsNull ? Value.Null : Ops.Cast(c.V, target, explicitCast), target);
        if (e.Type == target) return e;
        if (e.Type.Id == target.Id && target.Typmod < 0) return e;
        if (!explicitCast && !Ops.CanImplicit(e.Type.Id, target.Id))
            throw SqlErrors.DatatypeMismatch($"column is of type {target.Name} but expression is of type {e.Type.Name}");
        if (e is ConstExpr k) return Const(Ops.Cast(k.V, target, explicitCast), target);
        return new CastExpr { Arg = e, Type = target, Explicit = explicitCast };
    }

    private (BExpr, BExpr) Unify(BExpr l, BExpr r, string op, int position)
    {
        bool lu = l.Type.Id == TypeId.Unknown, ru = r.Type.Id == TypeId.Unknown;
        if (lu && ru) return (Coerce(l, SqlType.Text, false), Coerce(r, SqlType.Text, false));
        if (lu) return (Coerce(l, new SqlType(r.Type.Id == TypeId.Bpchar ? TypeId.Bpchar : r.Type.Id), false), r);
        if (ru) return (l, Coerce(r, new SqlType(l.Type.Id == TypeId.Bpchar ? TypeId.Bpchar : l.Type.Id), false));
        var a = l.Type.Id;
        var b = r.Type.Id;
        bool ok = a == b || (Ops.NumRank(a) >= 0 && Ops.NumRank(b) >= 0) || (l.Type.IsString && r.Type.IsString)
            || (a == TypeId.Oid && r.Type.IsInteger) || (b == TypeId.Oid && l.Type.IsInteger)
            || (a is TypeId.Date or TypeId.Timestamp or TypeId.TimestampTz && b is TypeId.Date or TypeId.Timestamp or TypeId.TimestampTz);
        if (!ok) throw SqlErrors.OperatorDoesNotExist(op, l.Type, r.Type, position);
        return (l, r);
    }

    private CmpExpr Compare(CmpOp op, BExpr l, BExpr r, int position)
    {
        var (a, b) = Unify(l, r, op.ToString(), position);
        return new CmpExpr { L = a, R = b, Op = op };
    }

    private BExpr BindOperator(OperatorExpr o, ScopeCol[] scope)
    {
        if (o.Left is null)
        {
            var arg = BindExpr(o.Right, scope);
            if (o.Op == "+") return arg;
            if (o.Op == "-")
            {
                if (arg is ConstExpr { V.IsNull: false } c && Ops.NumRank(c.Type.Id) >= 0)
                {
                    if (c.Type.Id == TypeId.Int8 && c.V.Int == -(long)int.MinValue) return Const(Value.FromInt4(int.MinValue), SqlType.Int4);
                    return Const(new NegExpr { Arg = c, Type = c.Type }.Eval(new EvalContext()), c.Type);
                }
                if (arg.Type.Id == TypeId.Unknown) arg = Coerce(arg, SqlType.Numeric, false);
                if (Ops.NumRank(arg.Type.Id) < 0) throw SqlErrors.Make("42883", $"operator does not exist: - {arg.Type.Name}", o.Position);
                return new NegExpr { Arg = arg, Type = arg.Type };
            }
            throw SqlErrors.Make("42883", $"operator does not exist: {o.Op} {arg.Type.Name}", o.Position);
        }
        var l = BindExpr(o.Left, scope);
        var r = BindExpr(o.Right, scope);
        switch (o.Op)
        {
            case "=": return Compare(CmpOp.Eq, l, r, o.Position);
            case "<>" or "!=": return Compare(CmpOp.Ne, l, r, o.Position);
            case "<": return Compare(CmpOp.Lt, l, r, o.Position);
            case "<=": return Compare(CmpOp.Le, l, r, o.Position);
            case ">": return Compare(CmpOp.Gt, l, r, o.Position);
            case ">=": return Compare(CmpOp.Ge, l, r, o.Position);
            case "||":
                return new ConcatExpr { L = Coerce(l, l.Type.Id == TypeId.Unknown ? SqlType.Text : l.Type, false), R = Coerce(r, r.Type.Id == TypeId.Unknown ? SqlType.Text : r.Type, false), Type = SqlType.Text };
            case "+" or "-" or "*" or "/" or "%":
            {
                if (l.Type.Id == TypeId.Unknown && r.Type.Id != TypeId.Unknown) l = Coerce(l, r.Type, false);
                if (r.Type.Id == TypeId.Unknown && l.Type.Id != TypeId.Unknown) r = Coerce(r, l.Type, false);
                if (l.Type.Id == TypeId.Unknown && r.Type.Id == TypeId.Unknown) { l = Coerce(l, SqlType.Numeric, false); r = Coerce(r, SqlType.Numeric, false); }
                if (l.Type.Id == TypeId.Date && r.Type.IsInteger && o.Op is "+" or "-")
                    return new FuncExpr { Name = "date" + o.Op, Args = [l, r], Type = new SqlType(TypeId.Date), Fn = (_, v) => Value.FromDate((int)(o.Op == "+" ? v[0].Int + v[1].Int : v[0].Int - v[1].Int)) };
                if (l.Type.Id == TypeId.Date && r.Type.Id == TypeId.Date && o.Op == "-")
                    return new FuncExpr { Name = "date-", Args = [l, r], Type = SqlType.Int4, Fn = (_, v) => Value.FromInt4(v[0].Int - v[1].Int) };
                if (Ops.NumRank(l.Type.Id) < 0 || Ops.NumRank(r.Type.Id) < 0) throw SqlErrors.OperatorDoesNotExist(o.Op, l.Type, r.Type, o.Position);
                var t = Ops.CommonNumeric(l.Type.Id, r.Type.Id);
                if (t == TypeId.Float4 && (l.Type.Id == TypeId.Numeric || r.Type.Id == TypeId.Numeric)) t = TypeId.Float8;
                var st = new SqlType(t);
                var res = new ArithExpr { L = Coerce(l, st, false), R = Coerce(r, st, false), Op = o.Op[0], Type = st };
                return IsRowIndependent(res) && res.L is ConstExpr && res.R is ConstExpr ? Const(res.Eval(new EvalContext()), st) : res;
            }
            default:
                throw SqlErrors.OperatorDoesNotExist(o.Op, l.Type, r.Type, o.Position);
        }
    }

    private static BExpr BindSqlValue(SqlValueFunction sv) => sv.Kind switch
    {
        SqlValueKind.CurrentTimestamp => new FuncExpr { Name = "now", Args = [], Type = SqlType.TimestampTz, Fn = (c, _) => Value.FromTimestamp(TypeId.TimestampTz, c.TransactionTimestamp) },
        SqlValueKind.LocalTimestamp => new FuncExpr { Name = "localtimestamp", Args = [], Type = new SqlType(TypeId.Timestamp), Fn = (c, _) => Value.FromTimestamp(TypeId.Timestamp, c.TransactionTimestamp) },
        SqlValueKind.CurrentDate => new FuncExpr { Name = "current_date", Args = [], Type = new SqlType(TypeId.Date), Fn = (c, _) => Value.FromDate((int)(c.TransactionTimestamp / 86_400_000_000L)) },
        SqlValueKind.CurrentUser or SqlValueKind.SessionUser or SqlValueKind.User or SqlValueKind.CurrentRole => Const(Value.FromText("postgres"), SqlType.Text),
        SqlValueKind.CurrentCatalog => Const(Value.FromText("postgres"), SqlType.Text),
        SqlValueKind.CurrentSchema => Const(Value.FromText("public"), SqlType.Text),
        _ => throw SqlErrors.NotSupported(sv.Kind.ToString()),
    };

    private BExpr BindFunction(FuncCall f, ScopeCol[] scope)
    {
        string name = f.Name[^1].ToLowerInvariant();
        if (AggNames.Contains(name) && f.Over is null)
            throw SqlErrors.Make("42803", "aggregate functions are not allowed in this context", f.Position);
        if (f.Over is not null) throw SqlErrors.NotSupported("window functions");
        var args = f.Args.Select(a => BindExpr(a, scope)).ToArray();
        FuncExpr Fn(SqlType t, Func<EvalContext, Value[], Value> fn, bool strict = true) => new() { Name = name, Args = args, Type = t, Fn = fn, Strict = strict };
        string Sig() => $"{name}({string.Join(", ", args.Select(a => a.Type.Name))})";
        void Arity(int n) { if (args.Length != n) throw SqlErrors.UndefinedFunction(Sig(), f.Position); }
        switch (name)
        {
            case "now" or "transaction_timestamp" or "statement_timestamp" or "clock_timestamp":
                Arity(0);
                return name switch
                {
                    "now" or "transaction_timestamp" => Fn(SqlType.TimestampTz, (c, _) => Value.FromTimestamp(TypeId.TimestampTz, c.TransactionTimestamp)),
                    "statement_timestamp" => Fn(SqlType.TimestampTz, (c, _) => Value.FromTimestamp(TypeId.TimestampTz, c.StatementTimestamp)),
                    _ => Fn(SqlType.TimestampTz, (_, _) => Value.FromTimestamp(TypeId.TimestampTz, PgCodec.ToPgTimestamp(DateTime.UtcNow))),
                };
            case "random":
                Arity(0);
                return Fn(SqlType.Float8, (c, _) => Value.FromFloat8(c.Random.NextDouble()));
            case "abs":
            {
                Arity(1);
                if (args[0].Type.Id == TypeId.Unknown) args[0] = Coerce(args[0], SqlType.Float8, false);
                var t = args[0].Type;
                if (Ops.NumRank(t.Id) < 0) throw SqlErrors.UndefinedFunction(Sig(), f.Position);
                return Fn(t, (_, v) => v[0].Type switch
                {
                    TypeId.Numeric => Value.FromNumeric(Math.Abs(v[0].Decimal)),
                    TypeId.Float4 => Value.FromFloat4(Math.Abs(v[0].Float)),
                    TypeId.Float8 => Value.FromFloat8(Math.Abs(v[0].Float)),
                    _ => v[0].Int == long.MinValue ? throw SqlErrors.OutOfRange(Ops.IntName(t.Id)) : Value.FromInt(t.Id, Ops.CheckInt(Math.Abs(v[0].Int), t.Id)),
                });
            }
            case "length" or "char_length" or "character_length" or "octet_length":
                Arity(1);
                if (args[0].Type.Id == TypeId.Bytea) return Fn(SqlType.Int4, (_, v) => Value.FromInt4(v[0].Bytes.Length));
                args[0] = Coerce(args[0], args[0].Type.Id == TypeId.Bpchar ? args[0].Type : SqlType.Text, false);
                return name == "octet_length"
                    ? Fn(SqlType.Int4, (_, v) => Value.FromInt4(System.Text.Encoding.UTF8.GetByteCount(ConcatExpr.Txt(v[0]))))
                    : Fn(SqlType.Int4, (_, v) => Value.FromInt4(ConcatExpr.Txt(v[0]).Length));
            case "lower" or "upper":
                Arity(1);
                args[0] = Coerce(args[0], SqlType.Text, false);
                return name == "lower" ? Fn(SqlType.Text, (_, v) => Value.FromText(v[0].Str.ToLowerInvariant())) : Fn(SqlType.Text, (_, v) => Value.FromText(v[0].Str.ToUpperInvariant()));
            case "substr" or "substring":
                if (args.Length is < 2 or > 3) throw SqlErrors.UndefinedFunction(Sig(), f.Position);
                args[0] = Coerce(args[0], SqlType.Text, false);
                for (int k = 1; k < args.Length; k++) args[k] = Coerce(args[k], SqlType.Int4, false);
                return Fn(SqlType.Text, (_, v) =>
                {
                    string s = v[0].Str;
                    long start = v[1].Int, len = v.Length > 2 ? v[2].Int : long.MaxValue / 4;
                    if (len < 0) throw SqlErrors.Make("22011", "negative substring length not allowed");
                    long from = Math.Max(start, 1), to = Math.Min(start + len, s.Length + 1L);
                    return Value.FromText(to <= from ? "" : s.Substring((int)from - 1, (int)(to - from)));
                });
            case "concat":
                for (int k = 0; k < args.Length; k++) if (args[k].Type.Id == TypeId.Unknown) args[k] = Coerce(args[k], SqlType.Text, false);
                return Fn(SqlType.Text, (_, v) => Value.FromText(string.Concat(v.Where(x => !x.IsNull).Select(x => ConcatExpr.Txt(x)))), strict: false);
            case "round" or "floor" or "ceil" or "ceiling" or "trunc":
            {
                if (args.Length is < 1 or > 2) throw SqlErrors.UndefinedFunction(Sig(), f.Position);
                if (args[0].Type.Id is TypeId.Unknown or TypeId.Int2 or TypeId.Int4 or TypeId.Int8) args[0] = Coerce(args[0], SqlType.Numeric, false);
                if (args.Length == 2) args[1] = Coerce(args[1], SqlType.Int4, false);
                var t = args[0].Type;
                if (Ops.NumRank(t.Id) < 0) throw SqlErrors.UndefinedFunction(Sig(), f.Position);
                return Fn(t, (_, v) =>
                {
                    int sc = v.Length > 1 ? (int)v[1].Int : 0;
                    if (v[0].Type == TypeId.Numeric)
                    {
                        decimal d = v[0].Decimal;
                        decimal r = name switch
                        {
                            "round" => Math.Round(d, Math.Clamp(sc, 0, 28), MidpointRounding.AwayFromZero),
                            "floor" => Math.Floor(d),
                            "trunc" => Math.Round(d, Math.Clamp(sc, 0, 28), MidpointRounding.ToZero),
                            _ => Math.Ceiling(d),
                        };
                        return Value.FromNumeric(r);
                    }
                    double x = v[0].Float;
                    double y = name switch { "round" => Math.Round(x, MidpointRounding.ToEven), "floor" => Math.Floor(x), "trunc" => Math.Truncate(x), _ => Math.Ceiling(x) };
                    return Value.FromFloat8(y);
                });
            }
            case "version":
                return Fn(SqlType.Text, (_, _) => Value.FromText("PostgreSQL 15.0 (Borealis)"));
            case "current_database":
                return Fn(SqlType.Text, (_, _) => Value.FromText("postgres"));
            case "current_schema":
                return Fn(SqlType.Text, (_, _) => Value.FromText("public"));
            case "pg_backend_pid":
                return Fn(SqlType.Int4, (_, _) => Value.FromInt4(Environment.ProcessId));
            case "nextval" or "currval" or "setval":
                return BindSequenceFunction(name, args, f);
            default:
                throw SqlErrors.UndefinedFunction(Sig(), f.Position);
        }
    }
}
