using Borealis.Sql.Ast;
using Borealis.Sql.Binding;
using Borealis.Sql.Parser;
using Borealis.Sql.Types;

namespace Borealis.Sql.Execution;

public sealed partial class SqlSession
{
    private static StatementPlan PlanStatement(Binder b, Statement s)
    {
        switch (s)
        {
            case SelectStatement sel:
            {
                var q = b.BindSelect(sel);
                return new SelectPlan { Query = q, Columns = Cols(q.Names, q.Types) };
            }
            case InsertStatement ins: return PlanInsert(b, ins);
            case UpdateStatement upd:
            {
                if (upd.From.Count > 0 || upd.With is not null) throw SqlErrors.NotSupported("UPDATE … FROM / WITH");
                var t = b.OpenTable(upd.Table);
                var scope = Binder.TableScope(t, upd.Alias ?? upd.Table.Name);
                var where = upd.Where is null ? null : b.BindPredicate(upd.Where, scope, "WHERE");
                var sets = new List<(int, BExpr)>();
                foreach (var sc in upd.Set)
                {
                    if (sc.Multi || sc.Columns.Count != 1) throw SqlErrors.NotSupported("multi-column SET");
                    var col = t.Info.FindColumn(sc.Columns[0])
                        ?? throw SqlErrors.Make("42703", $"column \"{sc.Columns[0]}\" of relation \"{t.Info.Name}\" does not exist", sc.Position);
                    int att = col.AttNum - 1;
                    BExpr v = sc.Value is DefaultExpr ? DefaultOf(b, t, att) ?? new ConstExpr(Value.Null, t.Types[att]).Init() : b.BindExpr(sc.Value, scope);
                    sets.Add((att, b.Coerce(v, t.Types[att], false)));
                }
                var ret = BindReturning(b, upd.Returning, scope, out var rn, out var rt);
                return new UpdatePlan { Table = t, Scan = b.PlanScan(t, where, FilterMask(t, where)), Where = where, Sets = sets.ToArray(), Returning = ret, Columns = ret is null ? null : Cols(rn!, rt!) };
            }
            case DeleteStatement del:
            {
                if (del.Using.Count > 0 || del.With is not null) throw SqlErrors.NotSupported("DELETE … USING / WITH");
                var t = b.OpenTable(del.Table);
                var scope = Binder.TableScope(t, del.Alias ?? del.Table.Name);
                var where = del.Where is null ? null : b.BindPredicate(del.Where, scope, "WHERE");
                var ret = BindReturning(b, del.Returning, scope, out var rn, out var rt);
                return new DeletePlan { Table = t, Scan = b.PlanScan(t, where, ret is null ? FilterMask(t, where) : null), Where = where, Returning = ret, Columns = ret is null ? null : Cols(rn!, rt!) };
            }
            default: throw SqlErrors.NotSupported(s.GetType().Name);
        }
    }

    /// <summary>The columns a scan must decode to evaluate <paramref name="where"/> (null = all).</summary>
    private static bool[]? FilterMask(TableRt t, BExpr? where)
    {
        var used = new HashSet<int>();
        if (where is not null && !ColumnUse.Collect(where, used)) return null;
        return Enumerable.Range(0, t.Types.Length).Select(used.Contains).ToArray();
    }

    private static Borealis.PgWire.Backend.PgColumn[] Cols(string[] names, SqlType[] types) =>
        names.Select((n, i) => new Borealis.PgWire.Backend.PgColumn(n, types[i].Oid, Types.Types.WireTypmod(types[i]))).ToArray();

    private static BExpr[]? BindReturning(Binder b, IReadOnlyList<ResultTarget> returning, ScopeCol[] scope, out string[]? names, out SqlType[]? types)
    {
        names = null;
        types = null;
        if (returning.Count == 0) return null;
        var exprs = new List<BExpr>();
        var n = new List<string>();
        foreach (var r in returning)
        {
            if (r.Value is ColumnRef { Star: true })
            {
                foreach (var c in scope) { exprs.Add(new ColExpr { Index = c.Index, Type = c.Type }); n.Add(c.Name); }
                continue;
            }
            var e = b.BindExpr(r.Value, scope);
            if (e.Type.Id == TypeId.Unknown) e = b.Coerce(e, SqlType.Text, false);
            exprs.Add(e);
            n.Add(r.Alias ?? (r.Value is ColumnRef cr ? cr.Names[^1] : "?column?"));
        }
        names = n.ToArray();
        types = exprs.Select(e => e.Type).ToArray();
        return exprs.ToArray();
    }

    private static BExpr? DefaultOf(Binder b, TableRt t, int att)
    {
        string? text = t.Info.AllColumns[att].Default;
        if (text is null) return null;
        var sel = (SelectStatement)SqlParser.ParseOne("SELECT " + text);
        var e = b.BindExpr(((SelectCore)sel.Body).Targets[0].Value, []);
        return b.Coerce(e, t.Types[att], false);
    }

    private static InsertPlan PlanInsert(Binder b, InsertStatement ins)
    {
        if (ins.With is not null) throw SqlErrors.NotSupported("WITH");
        if (ins.OnConflict is { DoUpdate: true }) throw SqlErrors.NotSupported("ON CONFLICT DO UPDATE");
        var t = b.OpenTable(ins.Table);
        var live = t.Info.Columns.ToList();
        var target = new List<int>();
        if (ins.Columns.Count == 0) target.AddRange(live.Select(c => c.AttNum - 1));
        else
            foreach (var name in ins.Columns)
            {
                var c = t.Info.FindColumn(name) ?? throw SqlErrors.Make("42703", $"column \"{name}\" of relation \"{t.Info.Name}\" does not exist");
                if (target.Contains(c.AttNum - 1)) throw SqlErrors.Make("42701", $"column \"{name}\" specified more than once");
                target.Add(c.AttNum - 1);
            }
        var sourceIndex = Enumerable.Repeat(-1, t.Types.Length).ToArray();
        BoundQuery source;
        bool[][]? marks = null;
        if (ins.Source is null)
        {
            source = new BoundQuery { Make = () => new ResultOp(), Names = [], Types = [] };
            target.Clear();
        }
        else if (ins.Source.Body is ValuesCore vc && ins.Source.OrderBy.Count == 0 && ins.Source.Limit is null)
        {
            marks = new bool[vc.Rows.Count][];
            var rows = new BExpr[vc.Rows.Count][];
            for (int r = 0; r < vc.Rows.Count; r++)
            {
                var items = vc.Rows[r];
                if (items.Count > target.Count) throw SqlErrors.Syntax("INSERT has more expressions than target columns", items[target.Count].Position);
                if (items.Count < target.Count) throw SqlErrors.Syntax("INSERT has more target columns than expressions", ins.Position);
                marks[r] = new bool[items.Count];
                rows[r] = new BExpr[items.Count];
                for (int k = 0; k < items.Count; k++)
                {
                    if (items[k] is DefaultExpr) { marks[r][k] = true; rows[r][k] = new ConstExpr(Value.Null, t.Types[target[k]]).Init(); continue; }
                    rows[r][k] = b.Coerce(b.BindExpr(items[k], []), t.Types[target[k]], false);
                }
            }
            int width = target.Count;
            source = new BoundQuery { Make = () => new ValuesOp(rows, width), Names = [], Types = target.Select(a => t.Types[a]).ToArray() };
        }
        else
        {
            source = b.BindSelect(ins.Source);
            if (source.Types.Length > target.Count) throw SqlErrors.Syntax("INSERT has more expressions than target columns");
            if (source.Types.Length < target.Count) throw SqlErrors.Syntax("INSERT has more target columns than expressions");
            for (int k = 0; k < target.Count; k++)
                if (!Ops.CanImplicit(source.Types[k].Id, t.Types[target[k]].Id))
                    throw SqlErrors.DatatypeMismatch($"column \"{t.Info.AllColumns[target[k]].Name}\" is of type {t.Types[target[k]].Name} but expression is of type {source.Types[k].Name}");
        }
        for (int k = 0; k < target.Count; k++) sourceIndex[target[k]] = k;
        var defaults = new BExpr?[t.Types.Length];
        for (int i = 0; i < defaults.Length; i++)
            if (!t.Info.AllColumns[i].Dropped && (sourceIndex[i] < 0 || marks is not null)) defaults[i] = DefaultOf(b, t, i);
        var scope = Binder.TableScope(t, ins.Alias ?? ins.Table.Name);
        var ret = BindReturning(b, ins.Returning, scope, out var rn, out var rt);
        return new InsertPlan
        {
            Table = t,
            Source = source,
            SourceIndex = sourceIndex,
            Defaults = defaults,
            DefaultMarks = marks,
            OnConflictDoNothing = ins.OnConflict is not null,
            Returning = ret,
            Columns = ret is null ? null : Cols(rn!, rt!),
        };
    }
}
