using System.Globalization;

namespace Borealis.Sql.Ast;

/// <summary>Statement printing for <see cref="SqlPrinter"/>.</summary>
public sealed partial class SqlPrinter
{
    private void Statement(Statement s)
    {
        switch (s)
        {
            case SelectStatement q:
                Select(q);
                break;
            case InsertStatement i:
                Insert(i);
                break;
            case UpdateStatement u:
                Update(u);
                break;
            case DeleteStatement d:
                Delete(d);
                break;
            default:
                if (!DdlStatement(s) && !UtilityStatement(s))
                {
                    _sb.Append("/* ").Append(s.GetType().Name).Append(" */");
                }

                break;
        }
    }

    private void With(WithClause w)
    {
        W(w.Recursive ? "WITH RECURSIVE " : "WITH ");
        for (var i = 0; i < w.Ctes.Count; i++)
        {
            var c = w.Ctes[i];
            if (i > 0)
            {
                W(", ");
            }

            Id(c.Name);
            if (c.Columns.Count > 0)
            {
                W("(");
                IdList(c.Columns);
                W(")");
            }

            W(" AS ");
            if (c.Materialized != CteMaterialize.Default)
            {
                W(c.Materialized == CteMaterialize.Always ? "MATERIALIZED " : "NOT MATERIALIZED ");
            }

            W("(");
            Statement(c.Query);
            W(")");
        }

        W(" ");
    }

    private void Select(SelectStatement s)
    {
        if (s.With is not null)
        {
            With(s.With);
        }

        Query(s.Body, false);
        if (s.OrderBy.Count > 0)
        {
            W(" ORDER BY ");
            List(s.OrderBy);
        }

        if (s.WithTies)
        {
            if (s.Offset is not null)
            {
                W(" OFFSET ");
                Expr(s.Offset);
            }

            W(" FETCH FIRST ");
            if (s.Limit is not null)
            {
                W("(");
                Expr(s.Limit);
                W(")");
            }

            W(" ROWS WITH TIES");
        }
        else
        {
            if (s.Limit is not null)
            {
                W(" LIMIT ");
                Expr(s.Limit);
            }

            if (s.Offset is not null)
            {
                W(" OFFSET ");
                Expr(s.Offset);
            }
        }

        foreach (var l in s.Locking)
        {
            W(l.Strength switch
            {
                LockStrength.Update => " FOR UPDATE",
                LockStrength.NoKeyUpdate => " FOR NO KEY UPDATE",
                LockStrength.Share => " FOR SHARE",
                _ => " FOR KEY SHARE",
            });
            if (l.Of.Count > 0)
            {
                W(" OF ");
                List(l.Of);
            }

            if (l.Wait != LockWaitPolicy.Block)
            {
                W(l.Wait == LockWaitPolicy.NoWait ? " NOWAIT" : " SKIP LOCKED");
            }
        }
    }

    private void Query(QueryExpr q, bool nested)
    {
        switch (q)
        {
            case SelectCore c:
                if (nested)
                {
                    W("(");
                }

                Core(c);
                if (nested)
                {
                    W(")");
                }

                break;
            case ValuesCore v:
                W("VALUES ");
                for (var i = 0; i < v.Rows.Count; i++)
                {
                    if (i > 0)
                    {
                        W(", ");
                    }

                    W("(");
                    List(v.Rows[i]);
                    W(")");
                }

                break;
            case SetOperation s:
                if (nested)
                {
                    W("(");
                }

                Query(s.Left, s.Left is SetOperation);
                W(s.Op switch
                {
                    SetOperator.Union => " UNION ",
                    SetOperator.Intersect => " INTERSECT ",
                    _ => " EXCEPT ",
                });
                if (s.All)
                {
                    W("ALL ");
                }

                Query(s.Right, s.Right is SetOperation);
                if (nested)
                {
                    W(")");
                }

                break;
            case NestedQuery n:
                W("(");
                Select(n.Query);
                W(")");
                break;
        }
    }

    private void Core(SelectCore c)
    {
        W("SELECT");
        if (c.Distinct)
        {
            W(" DISTINCT");
        }
        else if (c.DistinctOn.Count > 0)
        {
            W(" DISTINCT ON (");
            List(c.DistinctOn);
            W(")");
        }

        if (c.Targets.Count > 0)
        {
            W(" ");
            List(c.Targets);
        }

        if (c.From.Count > 0)
        {
            W(" FROM ");
            List(c.From);
        }

        if (c.Where is not null)
        {
            W(" WHERE ");
            Expr(c.Where);
        }

        if (c.GroupBy.Count > 0)
        {
            W(c.GroupByDistinct ? " GROUP BY DISTINCT " : " GROUP BY ");
            for (var i = 0; i < c.GroupBy.Count; i++)
            {
                if (i > 0)
                {
                    W(", ");
                }

                if (c.GroupBy[i] is RowExpr { Args.Count: 0, Explicit: false })
                {
                    W("()");
                }
                else
                {
                    Expr(c.GroupBy[i]);
                }
            }
        }

        if (c.Having is not null)
        {
            W(" HAVING ");
            Expr(c.Having);
        }

        if (c.Windows.Count > 0)
        {
            W(" WINDOW ");
            for (var i = 0; i < c.Windows.Count; i++)
            {
                if (i > 0)
                {
                    W(", ");
                }

                Id(c.Windows[i].Name).W(" AS ");
                Window(c.Windows[i].Spec);
            }
        }
    }

    private void Target(ResultTarget r)
    {
        Expr(r.Value);
        if (r.Alias is not null)
        {
            W(" AS ").Id(r.Alias);
        }
    }

    private void Alias(Alias a)
    {
        W(" AS ").Id(a.Name);
        if (a.Columns.Count > 0)
        {
            W("(");
            IdList(a.Columns);
            W(")");
        }
    }

    private void TableRef(TableRef t)
    {
        switch (t)
        {
            case TableName n:
                if (n.Only)
                {
                    W("ONLY ");
                }

                Qualified(n.Name);
                if (n.Alias is not null)
                {
                    Alias(n.Alias);
                }

                break;
            case SubqueryRef s:
                if (s.Lateral)
                {
                    W("LATERAL ");
                }

                W("(");
                Select(s.Query);
                W(")");
                if (s.Alias is not null)
                {
                    Alias(s.Alias);
                }

                break;
            case FunctionRef f:
                if (f.Lateral)
                {
                    W("LATERAL ");
                }

                Expr(f.Function);
                if (f.WithOrdinality)
                {
                    W(" WITH ORDINALITY");
                }

                if (f.Alias is not null)
                {
                    Alias(f.Alias);
                }

                break;
            case JoinRef j:
                if (j.Alias is not null)
                {
                    W("(");
                }

                TableRef(j.Left);
                W(" ");
                if (j.Natural)
                {
                    W("NATURAL ");
                }

                W(j.Kind switch
                {
                    JoinKind.Inner => "JOIN ",
                    JoinKind.Left => "LEFT JOIN ",
                    JoinKind.Right => "RIGHT JOIN ",
                    JoinKind.Full => "FULL JOIN ",
                    _ => "CROSS JOIN ",
                });
                TableRef(j.Right);
                if (j.On is not null)
                {
                    W(" ON ");
                    Expr(j.On);
                }
                else if (j.Using is not null)
                {
                    W(" USING (");
                    IdList(j.Using);
                    W(")");
                }

                if (j.Alias is not null)
                {
                    W(")");
                    Alias(j.Alias);
                }

                break;
        }
    }

    private void Returning(IReadOnlyList<ResultTarget> r)
    {
        if (r.Count > 0)
        {
            W(" RETURNING ");
            List(r);
        }
    }

    private void Insert(InsertStatement i)
    {
        if (i.With is not null)
        {
            With(i.With);
        }

        W("INSERT INTO ");
        Qualified(i.Table);
        if (i.Alias is not null)
        {
            W(" AS ").Id(i.Alias);
        }

        if (i.Columns.Count > 0)
        {
            W(" (");
            IdList(i.Columns);
            W(")");
        }

        if (i.Overriding is not null)
        {
            W(" OVERRIDING ").W(i.Overriding == "system" ? "SYSTEM" : "USER").W(" VALUE");
        }

        if (i.Source is null)
        {
            W(" DEFAULT VALUES");
        }
        else
        {
            W(" ");
            Select(i.Source);
        }

        if (i.OnConflict is { } oc)
        {
            W(" ON CONFLICT");
            if (oc.Target.Count > 0)
            {
                W(" (");
                List(oc.Target);
                W(")");
                if (oc.TargetWhere is not null)
                {
                    W(" WHERE ");
                    Expr(oc.TargetWhere);
                }
            }
            else if (oc.Constraint is not null)
            {
                W(" ON CONSTRAINT ").Id(oc.Constraint);
            }

            if (!oc.DoUpdate)
            {
                W(" DO NOTHING");
            }
            else
            {
                W(" DO UPDATE SET ");
                List(oc.Set);
                if (oc.Where is not null)
                {
                    W(" WHERE ");
                    Expr(oc.Where);
                }
            }
        }

        Returning(i.Returning);
    }

    private void SetClause(SetClause s)
    {
        if (s.Multi)
        {
            W("(");
            IdList(s.Columns);
            W(")");
        }
        else
        {
            Id(s.Columns[0]);
        }

        W(" = ");
        Expr(s.Value);
    }

    private void Update(UpdateStatement u)
    {
        if (u.With is not null)
        {
            With(u.With);
        }

        W(u.Only ? "UPDATE ONLY " : "UPDATE ");
        Qualified(u.Table);
        if (u.Alias is not null)
        {
            W(" AS ").Id(u.Alias);
        }

        W(" SET ");
        List(u.Set);
        if (u.From.Count > 0)
        {
            W(" FROM ");
            List(u.From);
        }

        if (u.Where is not null)
        {
            W(" WHERE ");
            Expr(u.Where);
        }

        Returning(u.Returning);
    }

    private void Delete(DeleteStatement d)
    {
        if (d.With is not null)
        {
            With(d.With);
        }

        W(d.Only ? "DELETE FROM ONLY " : "DELETE FROM ");
        Qualified(d.Table);
        if (d.Alias is not null)
        {
            W(" AS ").Id(d.Alias);
        }

        if (d.Using.Count > 0)
        {
            W(" USING ");
            List(d.Using);
        }

        if (d.Where is not null)
        {
            W(" WHERE ");
            Expr(d.Where);
        }

        Returning(d.Returning);
    }

    private void IndexElem(IndexElem i)
    {
        if (i.Column is not null)
        {
            Id(i.Column);
        }
        else
        {
            W("(");
            Expr(i.Expr!);
            W(")");
        }

        if (i.Collation is not null)
        {
            W(" COLLATE ");
            Names(i.Collation);
        }

        if (i.OpClass is not null)
        {
            W(" ");
            Names(i.OpClass);
        }

        if (i.Direction != SortDirection.Default)
        {
            W(i.Direction == SortDirection.Asc ? " ASC" : " DESC");
        }

        if (i.Nulls != NullsOrder.Default)
        {
            W(i.Nulls == NullsOrder.First ? " NULLS FIRST" : " NULLS LAST");
        }
    }

    private static string Num(long v) => v.ToString(CultureInfo.InvariantCulture);
}
