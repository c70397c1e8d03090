using Borealis.Engine.Catalog;
using Borealis.PgWire.Backend;
using Borealis.Sql.Ast;
using Borealis.Sql.Execution;
using Borealis.Sql.Types;

namespace Borealis.Sql.Binding;

/// <summary>A column visible to expressions: its table alias, name, type and index in the operator's row.</summary>
public sealed record ScopeCol(string? Table, string Name, SqlType Type, int Index);

/// <summary>A bound query: how to build its operator tree, and its output columns.</summary>
public sealed class BoundQuery
{
    public required Func<Op> Make;
    public required string[] Names;
    public required SqlType[] Types;
}

/// <summary>
/// Name resolution, typing and planning of one statement against one catalog view. Parameter types
/// are inferred from context ($1 compared with / assigned to a column takes its type; otherwise text).
/// </summary>
public sealed partial class Binder(CatalogSnapshot view, Func<TableInfo, TableRt> openTable, List<SqlType> paramTypes)
{
    public CatalogSnapshot View => view;
    public List<SqlType> ParamTypes => paramTypes;

    // Aggregate binding state (one SELECT level at a time).
    private sealed class AggCtx
    {
        public required ScopeCol[] Input;
        public required string[] GroupTexts;
        public required BExpr[] Groups;
        public List<AggSpec> Aggs = [];
    }

    private AggCtx? _agg;

    /// <summary>Scopes of the enclosing queries (innermost last), for correlated subqueries.</summary>
    private List<ScopeCol[]> _outer = [];

    /// <summary>The FOR UPDATE/SHARE clause of the SELECT being bound (applied to its single table scan).</summary>
    private LockingClause? _locking;

    /// <summary>The column mask of the last table scan BindFrom planned (all true until narrowed).</summary>
    private bool[]? _scanMask;
    private BExpr? _pushedFilter;

    public TableRt OpenTable(QualifiedName name)
    {
        var t = view.FindTable(name.Schema, name.Name) ?? throw SqlErrors.UndefinedTable(name.Name, name.Position);
        return openTable(t);
    }

    // ------------------------------------------------------------------ SELECT

    public BoundQuery BindSelect(SelectStatement s)
    {
        if (s.With is not null) throw SqlErrors.NotSupported("WITH");
        if (s.Body is NestedQuery nq && s.OrderBy.Count == 0 && s.Limit is null && s.Offset is null) return BindSelect(nq.Query);
        if (s.Body is ValuesCore vc) return BindValues(vc, s);
        if (s.Body is SetOperation so) return BindSetOperation(so, s);
        if (s.Body is not SelectCore core) throw SqlErrors.NotSupported("this query form");

        Func<Op> make;
        ScopeCol[] scope;
        if (s.Locking.Count > 0)
        {
            if (core.From.Count != 1 || core.From[0] is not TableName || core.GroupBy.Count > 0 || core.Distinct)
                throw SqlErrors.NotSupported("FOR UPDATE/SHARE other than on a single table");
            _locking = s.Locking[0];
        }
        if (core.From.Count == 0)
        {
            make = () => new ResultOp();
            scope = [];
        }
        else
        {
            (make, scope) = BindFrom(core.From[0], core.From.Count == 1 ? core.Where : null);
            for (int i = 1; i < core.From.Count; i++)
            {
                var (rm, rs) = BindFrom(core.From[i], null);
                var lm = make;
                int lw = scope.Length, rw = rs.Length;
                make = () => new NestedLoopOp(lm(), lw, rm(), rw, null, false);
                scope = [.. scope, .. rs.Select(c => c with { Index = c.Index + lw })];
            }
        }
        // The single-table WHERE was pushed into the scan by BindFrom; otherwise filter here.
        bool wherePushed = core.From.Count == 1 && core.From[0] is TableName;
        if (core.Where is not null && !wherePushed)
        {
            var pred = BindPredicate(core.Where, scope, "WHERE");
            var inner = make;
            make = () => new FilterOp(inner(), pred);
        }

        bool hasAgg = core.GroupBy.Count > 0 || core.Having is not null || core.Targets.Any(t => ContainsAgg(t.Value))
            || s.OrderBy.Any(o => ContainsAgg(o.Expr));
        var outScope = scope;
        if (hasAgg)
        {
            var groups = core.GroupBy.Select(g => BindGroupExpr(g, core.Targets, scope)).ToArray();
            _agg = new AggCtx { Input = scope, GroupTexts = core.GroupBy.Select(g => ResolveGroupText(g, core.Targets)).ToArray(), Groups = groups };
        }

        // Targets (bound against the input scope, or against the aggregate output in agg mode).
        var targets = new List<BExpr>();
        var names = new List<string>();
        foreach (var t in core.Targets)
        {
            if (t.Value is ColumnRef { Star: true } star)
            {
                string? tbl = star.Names.Count > 0 ? star.Names[^1] : null;
                var cols = scope.Where(c => tbl is null || c.Table == tbl).ToList();
                if (tbl is not null && cols.Count == 0) throw SqlErrors.Make("42P01", $"missing FROM-clause entry for table \"{tbl}\"", star.Position);
                if (core.From.Count == 0) throw SqlErrors.Make("42601", "SELECT * with no tables specified is not valid", star.Position);
                foreach (var c in cols)
                {
                    targets.Add(_agg is null ? new ColExpr { Index = c.Index, Type = c.Type } : BindExpr(new ColumnRef([c.Name]), scope));
                    names.Add(c.Name);
                }
                continue;
            }
            var e = BindExpr(t.Value, scope);
            if (e.Type.Id == TypeId.Unknown) e = Coerce(e, SqlType.Text, false);
            targets.Add(e);
            names.Add(t.Alias ?? DefaultName(t.Value));
        }
        BExpr? having = core.Having is null ? null : BindPredicate(core.Having, scope, "HAVING");

        var sortKeys = s.OrderBy.Select(o =>
        {
            BExpr k;
            if (o.Expr is IntegerLiteral il)
            {
                if (il.Value < 1 || il.Value > targets.Count) throw SqlErrors.Make("42P10", $"ORDER BY position {il.Value} is not in select list", o.Position);
                k = targets[(int)il.Value - 1];
            }
            else if (o.Expr is ColumnRef { Names.Count: 1 } cr && names.IndexOf(cr.Names[0]) is int ix and >= 0)
                k = targets[ix]; // a bare name matches an output column first, as in PostgreSQL
            else k = BindExpr(o.Expr, scope);
            bool desc = o.Direction == SortDirection.Desc;
            bool nullsFirst = o.Nulls == NullsOrder.Default ? desc : o.Nulls == NullsOrder.First;
            return new SortKey(k, desc, nullsFirst);
        }).ToArray();

        if (core.From.Count == 1 && core.From[0] is TableName && _scanMask is { } mask && _outer.Count == 0)
        {
            // Only the columns the query reads are decoded from each row.
            var used = new HashSet<int>();
            bool all = false;
            void Use(BExpr? e) { if (e is not null && !ColumnUse.Collect(e, used)) all = true; }
            if (core.Where is not null)
            {
                if (_pushedFilter is null) all = true;
                else Use(_pushedFilter);
            }
            if (_agg is not null)
            {
                foreach (var g in _agg.Groups) Use(g);
                foreach (var ag in _agg.Aggs) Use(ag.Arg);
            }
            else
            {
                foreach (var t in targets) Use(t);
                foreach (var k in sortKeys) Use(k.Expr);
            }
            if (!all)
                for (int i = 0; i < mask.Length; i++) mask[i] = used.Contains(i);
        }
        _scanMask = null;
        _pushedFilter = null;
        if (_agg is not null)
        {
            var a = _agg;
            _agg = null;
            var inner = make;
            var groups = a.Groups;
            var aggs = a.Aggs.ToArray();
            make = () => new AggregateOp(inner(), groups, aggs);
            if (having is not null)
            {
                var agg = make;
                make = () => new FilterOp(agg(), having);
            }
        }
        if (sortKeys.Length > 0)
        {
            var inner = make;
            make = () => new SortOp(inner(), sortKeys);
        }
        {
            var inner = make;
            var exprs = targets.ToArray();
            make = () => new ProjectOp(inner(), exprs);
        }
        if (core.Distinct)
        {
            if (core.DistinctOn.Count > 0) throw SqlErrors.NotSupported("DISTINCT ON");
            var inner = make;
            make = () => new DistinctOp(inner());
        }
        if (s.Limit is not null || s.Offset is not null)
        {
            var lim = s.Limit is null || s.Limit is NullLiteral ? null : Coerce(BindExpr(s.Limit, []), SqlType.Int8, false);
            var off = s.Offset is null ? null : Coerce(BindExpr(s.Offset, []), SqlType.Int8, false);
            var inner = make;
            make = () => new LimitOp(inner(), lim, off);
        }
        return new BoundQuery { Make = make, Names = names.ToArray(), Types = targets.Select(t => t.Type).ToArray() };
    }

    private BoundQuery BindValues(ValuesCore vc, SelectStatement s)
    {
        if (s.OrderBy.Count > 0 || s.Limit is not null) throw SqlErrors.NotSupported("ORDER BY/LIMIT on VALUES");
        var rows = vc.Rows.Select(r => r.Select(e => BindExpr(e, [])).ToArray()).ToArray();
        int width = rows[0].Length;
        var types = new SqlType[width];
        for (int c = 0; c < width; c++)
        {
            var t = rows.Select(r => r[c].Type).FirstOrDefault(t => t.Id != TypeId.Unknown, SqlType.Text);
            types[c] = t;
            foreach (var r in rows) r[c] = Coerce(r[c], t, false);
        }
        return new BoundQuery { Make = () => new ValuesOp(rows, width), Names = Enumerable.Range(1, width).Select(i => $"column{i}").ToArray(), Types = types };
    }

    /// <summary>UNION [ALL] (INTERSECT/EXCEPT not yet): both sides coerced to common column types; ORDER BY/LIMIT over the result's columns.</summary>
    private BoundQuery BindSetOperation(SetOperation so, SelectStatement s)
    {
        if (so.Op != SetOperator.Union) throw SqlErrors.NotSupported(so.Op.ToString().ToUpperInvariant());
        var l = BindSelect(new SelectStatement(null, so.Left, [], null, null, false, []));
        var r = BindSelect(new SelectStatement(null, so.Right, [], null, null, false, []));
        if (l.Types.Length != r.Types.Length) throw SqlErrors.Syntax("each UNION query must have the same number of columns", so.Position);
        var types = new SqlType[l.Types.Length];
        for (int i = 0; i < types.Length; i++)
        {
            var cols = new BExpr[] { new ColExpr { Index = i, Type = l.Types[i] }, new ColExpr { Index = i, Type = r.Types[i] } };
            types[i] = CommonType(cols, "UNION", so.Position);
        }
        Func<Op> Side(BoundQuery q)
        {
            var exprs = q.Types.Select((t, i) => Coerce(new ColExpr { Index = i, Type = t }, types[i], false)).ToArray();
            return () => new ProjectOp(q.Make(), exprs);
        }
        var lm = Side(l);
        var rm = Side(r);
        Func<Op> make = () => new AppendOp(lm(), rm());
        if (!so.All)
        {
            var inner = make;
            make = () => new DistinctOp(inner());
        }
        var scope = l.Names.Select((n, i) => new ScopeCol(null, n, types[i], i)).ToArray();
        if (s.OrderBy.Count > 0)
        {
            var keys = s.OrderBy.Select(o =>
            {
                var k = o.Expr is IntegerLiteral il && il.Value >= 1 && il.Value <= scope.Length ? new ColExpr { Index = (int)il.Value - 1, Type = types[il.Value - 1] } : BindExpr(o.Expr, scope);
                bool desc = o.Direction == SortDirection.Desc;
                return new SortKey(k, desc, o.Nulls == NullsOrder.Default ? desc : o.Nulls == NullsOrder.First);
            }).ToArray();
            var inner = make;
            make = () => new SortOp(inner(), keys);
        }
        if (s.Limit is not null || s.Offset is not null)
        {
            var lim = s.Limit is null || s.Limit is NullLiteral ? null : Coerce(BindExpr(s.Limit, []), SqlType.Int8, false);
            var off = s.Offset is null ? null : Coerce(BindExpr(s.Offset, []), SqlType.Int8, false);
            var inner = make;
            make = () => new LimitOp(inner(), lim, off);
        }
        return new BoundQuery { Make = make, Names = l.Names, Types = types };
    }

    private static string DefaultName(Expr e) => e switch
    {
        ColumnRef c => c.Names[^1],
        FuncCall f => f.Name[^1],
        TypeCast tc => tc.Arg is ColumnRef or FuncCall ? DefaultName(tc.Arg) : tc.Type.Names[^1] switch { "int4" => "int4", var n => n },
        SqlValueFunction sv => sv.Kind switch
        {
            SqlValueKind.CurrentTimestamp => "current_timestamp",
            SqlValueKind.CurrentDate => "current_date",
            SqlValueKind.CurrentUser => "current_user",
            SqlValueKind.CurrentSchema => "current_schema",
            _ => "?column?",
        },
        ConditionalExpr ce => ce.Kind.ToString().ToLowerInvariant(),
        CaseExpr => "case",
        _ => "?column?",
    };

    private (Func<Op>, ScopeCol[]) BindFrom(TableRef r, Expr? where)
    {
        switch (r)
        {
            case TableName tn when view.FindTable(tn.Name.Schema, tn.Name.Name) is null
                && SystemViews.TryGet(view, tn.Name.Schema, tn.Name.Name, out var sysCols, out var sysRows):
            {
                string alias = tn.Alias?.Name ?? tn.Name.Name;
                var scope = sysCols.Select((c, i) => new ScopeCol(alias, c.Name, c.Type, i)).ToArray();
                var pred = where is null ? null : BindPredicate(where, scope, "WHERE");
                return (() => new RowsOp(sysRows, pred), scope);
            }
            case TableName tn:
            {
                var t = OpenTable(tn.Name);
                string alias = tn.Alias?.Name ?? tn.Name.Name;
                var scope = TableScope(t, alias);
                var pred = where is null ? null : BindPredicate(where, scope, "WHERE");
                var needed = Enumerable.Repeat(true, t.Types.Length).ToArray();
                _pushedFilter = pred;
                _scanMask = needed;
                var scan = PlanScan(t, pred, needed);
                if (_locking is { } lk)
                {
                    _locking = null;
                    var strength = lk.Strength is LockStrength.Update or LockStrength.NoKeyUpdate ? Engine.Access.RowLockStrength.ForUpdate : Engine.Access.RowLockStrength.ForShare;
                    bool nowait = lk.Wait == LockWaitPolicy.NoWait;
                    return (() => new LockRowsOp(scan(), t, strength, nowait), scope);
                }
                return (scan, scope);
            }
            case JoinRef j:
            {
                if (j.Kind is JoinKind.Right or JoinKind.Full) throw SqlErrors.NotSupported($"{j.Kind.ToString().ToUpperInvariant()} JOIN");
                if (j.Natural || j.Using is not null) throw SqlErrors.NotSupported("NATURAL/USING joins");
                var (lm, ls) = BindFrom(j.Left, null);
                var (rm, rs) = BindFrom(j.Right, null);
                int lw = ls.Length, rw = rs.Length;
                ScopeCol[] scope = [.. ls, .. rs.Select(c => c with { Index = c.Index + lw })];
                var cond = j.On is null ? null : BindPredicate(j.On, scope, "JOIN/ON");
                bool outer = j.Kind == JoinKind.Left;
                return (() => new NestedLoopOp(lm(), lw, rm(), rw, cond, outer), scope);
            }
            case SubqueryRef sq:
            {
                var q = BindSelect(sq.Query);
                string? alias = sq.Alias?.Name;
                var scope = q.Names.Select((n, i) => new ScopeCol(alias, sq.Alias?.Columns.Count > i ? sq.Alias.Columns[i] : n, q.Types[i], i)).ToArray();
                return (q.Make, scope);
            }
            case FunctionRef { Function: FuncCall f } fr when f.Name[^1] == "generate_series":
            {
                if (f.Args.Count is < 2 or > 3) throw SqlErrors.UndefinedFunction("generate_series", f.Position);
                var a = BindExpr(f.Args[0], []);
                var b = BindExpr(f.Args[1], []);
                var t = a.Type.Id == TypeId.Int8 || b.Type.Id == TypeId.Int8 ? SqlType.Int8 : SqlType.Int4;
                a = Coerce(a, t, false);
                b = Coerce(b, t, false);
                var step = f.Args.Count == 3 ? Coerce(BindExpr(f.Args[2], []), t, false) : null;
                string alias = fr.Alias?.Name ?? "generate_series";
                string col = fr.Alias?.Columns.Count > 0 ? fr.Alias.Columns[0] : alias;
                return (() => new GenerateSeriesOp(a, b, step), [new ScopeCol(alias, col, t, 0)]);
            }
            default:
                throw SqlErrors.NotSupported("this kind of FROM item");
        }
    }

    public static ScopeCol[] TableScope(TableRt t, string alias) =>
        t.Info.AllColumns.Select((c, i) => (c, i)).Where(x => !x.c.Dropped).Select(x => new ScopeCol(alias, x.c.Name, t.Types[x.i], x.i)).ToArray();

    /// <summary>Chooses an index scan when WHERE has equality (then optionally a range) on an index's leading columns, else a sequential scan.</summary>
    public Func<Op> PlanScan(TableRt t, BExpr? pred, bool[]? needed = null)
    {
        var conj = new List<BExpr>();
        Flatten(pred, conj);
        int best = -1, bestScore = 0;
        BExpr[] bestEq = [];
        (BExpr? lo, bool li, BExpr? hi, bool hi2) bestRange = default;
        for (int ix = 0; ix < t.Table.Indexes.Count; ix++)
        {
            var def = t.Table.Indexes[ix];
            var eq = new List<BExpr>();
            int k = 0;
            for (; k < def.Columns.Length; k++)
            {
                var e = FindBound(conj, def.Columns[k], t.Types[def.Columns[k]], CmpOp.Eq);
                if (e is null) break;
                eq.Add(e);
            }
            (BExpr?, bool, BExpr?, bool) range = default;
            int score = eq.Count * 10;
            if (k < def.Columns.Length && RowCodec.KeyOrdered(t.Types[def.Columns[k]].Id) && !def.KeyColumns[k].Descending)
            {
                int col = def.Columns[k];
                var ty = t.Types[col];
                var lo = FindBound(conj, col, ty, CmpOp.Ge) ?? FindBound(conj, col, ty, CmpOp.Gt);
                bool loIncl = lo is not null && FindBound(conj, col, ty, CmpOp.Ge) is not null;
                var hi = FindBound(conj, col, ty, CmpOp.Le) ?? FindBound(conj, col, ty, CmpOp.Lt);
                bool hiIncl = hi is not null && FindBound(conj, col, ty, CmpOp.Le) is not null;
                if (lo is not null || hi is not null) { range = (lo, loIncl, hi, hiIncl); score += 5; }
            }
            if (eq.Count == def.Columns.Length && t.IndexInfos[ix].Unique) score += 3;
            if (score > bestScore) { best = ix; bestScore = score; bestEq = eq.ToArray(); bestRange = range; }
        }
        if (best < 0) return () => new SeqScanOp(t, pred) { Needed = needed };
        int bi = best;
        var beq = bestEq;
        var br = bestRange;
        return () => new IndexScanOp(t, bi, beq, br.lo, br.li, br.hi, br.hi2, pred) { Needed = needed };
    }

    private static void Flatten(BExpr? e, List<BExpr> into)
    {
        if (e is null) return;
        if (e is AndExpr a) foreach (var x in a.Args) Flatten(x, into);
        else into.Add(e);
    }

    /// <summary>A row-independent expression bounding column <paramref name="col"/> with <paramref name="op"/> (normalised to "col op expr").</summary>
    private static BExpr? FindBound(List<BExpr> conj, int col, SqlType colType, CmpOp op)
    {
        foreach (var c in conj)
        {
            if (c is not CmpExpr cmp) continue;
            if (IsCol(cmp.L, col) && IsRowIndependent(cmp.R) && cmp.Op == op && KeyCompatible(colType, cmp.R.Type)) return cmp.R;
            if (IsCol(cmp.R, col) && IsRowIndependent(cmp.L) && Flip(cmp.Op) == op && KeyCompatible(colType, cmp.L.Type)) return cmp.L;
        }
        return null;
    }

    private static bool KeyCompatible(SqlType col, SqlType v) =>
        col.Id == v.Id || (col.IsInteger && v.IsInteger)
        || (col.Id is TypeId.Text or TypeId.Varchar && v.Id is TypeId.Text or TypeId.Varchar);

    private static bool IsCol(BExpr e, int col) => e is ColExpr c && c.Index == col;

    private static bool IsRowIndependent(BExpr e) => e switch
    {
        ConstExpr or ParamExpr => true,
        CastExpr c => IsRowIndependent(c.Arg),
        NegExpr n => IsRowIndependent(n.Arg),
        ArithExpr a => IsRowIndependent(a.L) && IsRowIndependent(a.R),
        _ => false,
    };

    private static CmpOp Flip(CmpOp op) => op switch
    {
        CmpOp.Lt => CmpOp.Gt,
        CmpOp.Le => CmpOp.Ge,
        CmpOp.Gt => CmpOp.Lt,
        CmpOp.Ge => CmpOp.Le,
        _ => op,
    };

    public BExpr BindPredicate(Expr e, ScopeCol[] scope, string clause)
    {
        var b = BindExpr(e, scope);
        if (b.Type.Id == TypeId.Unknown) b = Coerce(b, SqlType.Bool, false);
        if (b.Type.Id != TypeId.Bool)
            throw SqlErrors.DatatypeMismatch($"argument of {clause} must be type boolean, not type {b.Type.Name}", e.Position);
        return b;
    }

    // ------------------------------------------------------------------ aggregates

    private static readonly HashSet<string> AggNames = ["count", "sum", "avg", "min", "max"];

    private static bool ContainsAgg(Expr e) => e switch
    {
        FuncCall f when AggNames.Contains(f.Name[^1].ToLowerInvariant()) && f.Over is null => true,
        FuncCall f => f.Args.Any(ContainsAgg),
        OperatorExpr o => (o.Left is not null && ContainsAgg(o.Left)) || ContainsAgg(o.Right),
        BoolExpr b => b.Args.Any(ContainsAgg),
        TypeCast t => ContainsAgg(t.Arg),
        ConditionalExpr c => c.Args.Any(ContainsAgg),
        CaseExpr c => c.Whens.Any(w => ContainsAgg(w.Condition) || ContainsAgg(w.Result)) || (c.Else is not null && ContainsAgg(c.Else)),
        NullTestExpr n => ContainsAgg(n.Arg),
        _ => false,
    };

    private static string ResolveGroupText(Expr g, IReadOnlyList<ResultTarget> targets) =>
        g is IntegerLiteral il && il.Value >= 1 && il.Value <= targets.Count ? targets[(int)il.Value - 1].Value.ToString()
        : g is ColumnRef { Names.Count: 1 } cr && targets.FirstOrDefault(t => t.Alias == cr.Names[0]) is { } t ? t.Value.ToString()
        : g.ToString();

    private BExpr BindGroupExpr(Expr g, IReadOnlyList<ResultTarget> targets, ScopeCol[] scope)
    {
        if (g is IntegerLiteral il)
        {
            if (il.Value < 1 || il.Value > targets.Count) throw SqlErrors.Make("42P10", $"GROUP BY position {il.Value} is not in select list", g.Position);
            return BindExpr(targets[(int)il.Value - 1].Value, scope);
        }
        if (g is ColumnRef { Names.Count: 1 } cr && !scope.Any(c => c.Name == cr.Names[0]) && targets.FirstOrDefault(t => t.Alias == cr.Names[0]) is { } t)
            return BindExpr(t.Value, scope);
        return BindExpr(g, scope);
    }
}
