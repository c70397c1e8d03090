using System.Globalization;
using System.Text;
using Borealis.Sql.Parser;

namespace Borealis.Sql.Ast;

/// <summary>
/// Prints a syntax tree as SQL that parses back to an equal tree (ignoring positions).
/// Compound expressions are always parenthesised; identifiers are quoted unless they are plain
/// lower-case words that are not keywords. Statement-specific printing is in SqlPrinter.Statements.cs.
/// </summary>
public sealed partial class SqlPrinter
{
    private readonly StringBuilder _sb = new();

    private SqlPrinter()
    {
    }

    public static string Print(Node node)
    {
        var p = new SqlPrinter();
        p.Node(node);
        return p._sb.ToString();
    }

    /// <summary>Quotes an identifier when needed.</summary>
    public static string QuoteIdentifier(string name)
    {
        var plain = name.Length > 0 && (name[0] is (>= 'a' and <= 'z') or '_');
        for (var i = 0; plain && i < name.Length; i++)
        {
            plain = name[i] is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '$';
        }

        if (plain && Keywords.Lookup(name) == Keyword.NotAKeyword)
        {
            return name;
        }

        return "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    public static string QuoteString(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    private SqlPrinter W(string s)
    {
        _sb.Append(s);
        return this;
    }

    private SqlPrinter Id(string name)
    {
        _sb.Append(QuoteIdentifier(name));
        return this;
    }

    private void Names(IReadOnlyList<string> names)
    {
        for (var i = 0; i < names.Count; i++)
        {
            if (i > 0)
            {
                _sb.Append('.');
            }

            Id(names[i]);
        }
    }

    private void IdList(IReadOnlyList<string> names)
    {
        for (var i = 0; i < names.Count; i++)
        {
            if (i > 0)
            {
                _sb.Append(", ");
            }

            Id(names[i]);
        }
    }

    private void List<T>(IReadOnlyList<T> items, string sep = ", ")
        where T : Node
    {
        for (var i = 0; i < items.Count; i++)
        {
            if (i > 0)
            {
                _sb.Append(sep);
            }

            Node(items[i]);
        }
    }

    private void Node(Node node)
    {
        switch (node)
        {
            case Expr e:
                Expr(e);
                break;
            case Statement s:
                Statement(s);
                break;
            case TypeName t:
                Type(t);
                break;
            case QualifiedName q:
                Qualified(q);
                break;
            case NameList n:
                Names(n.Names);
                break;
            case DefElem d:
                DefElem(d);
                break;
            case SortItem s:
                Sort(s);
                break;
            case ResultTarget r:
                Target(r);
                break;
            case TableRef t:
                TableRef(t);
                break;
            case QueryExpr q:
                Query(q, false);
                break;
            case WindowSpec w:
                Window(w);
                break;
            case ColumnDef c:
                ColumnDef(c);
                break;
            case Constraint c:
                Constraint(c, table: c.Columns is not null);
                break;
            case IndexElem i:
                IndexElem(i);
                break;
            case SetClause s:
                SetClause(s);
                break;
            case WithClause w:
                With(w);
                break;
            case Alias a:
                Alias(a);
                break;
            case AlterTableCommand c:
                AlterCommand(c);
                break;
            default:
                _sb.Append("/* ").Append(node.GetType().Name).Append(" */");
                break;
        }
    }

    private void Qualified(QualifiedName q)
    {
        if (q.Catalog is not null)
        {
            Id(q.Catalog).W(".");
        }

        if (q.Schema is not null)
        {
            Id(q.Schema).W(".");
        }

        Id(q.Name);
    }

    private void DefElem(DefElem d)
    {
        _sb.Append(d.Name);
        if (d.Arg is not null)
        {
            _sb.Append(' ');
            if (d.Arg is NameList n)
            {
                W("(");
                IdList(n.Names);
                W(")");
            }
            else
            {
                Node(d.Arg);
            }
        }
    }

    private void Type(TypeName t)
    {
        if (t.Setof)
        {
            W("SETOF ");
        }

        if (t.Names is ["pg_catalog", "interval"] && (t.IntervalFields is not null || t.Modifiers.Count > 0))
        {
            W("interval");
            if (t.IntervalFields is not null)
            {
                W(" ").W(t.IntervalFields);
            }
            else
            {
                W("(");
                List(t.Modifiers);
                W(")");
            }
        }
        else
        {
            Names(t.Names);
            if (t.Modifiers.Count > 0)
            {
                W("(");
                List(t.Modifiers);
                W(")");
            }
        }

        foreach (var b in t.ArrayBounds)
        {
            _sb.Append(b < 0 ? "[]" : "[" + b.ToString(CultureInfo.InvariantCulture) + "]");
        }
    }

    private void Expr(Expr e)
    {
        switch (e)
        {
            case ColumnRef c:
                Names(c.Names);
                if (c.Star)
                {
                    W(c.Names.Count > 0 ? ".*" : "*");
                }

                break;
            case ParamRef p:
                _sb.Append('$').Append(p.Number.ToString(CultureInfo.InvariantCulture));
                break;
            case IntegerLiteral i:
                _sb.Append(i.Value.ToString(CultureInfo.InvariantCulture));
                break;
            case NumericLiteral n:
                _sb.Append(n.Text);
                break;
            case StringLiteral s:
                _sb.Append(QuoteString(s.Value));
                break;
            case BitStringLiteral b:
                _sb.Append(b.Hex ? 'X' : 'B').Append(QuoteString(b.Value));
                break;
            case BooleanLiteral b:
                W(b.Value ? "TRUE" : "FALSE");
                break;
            case NullLiteral:
                W("NULL");
                break;
            case DefaultExpr:
                W("DEFAULT");
                break;
            case OperatorExpr o:
                W("(");
                if (o.Left is not null)
                {
                    Expr(o.Left);
                    W(" ");
                }

                if (o.Schema is not null)
                {
                    W("OPERATOR(").Id(o.Schema).W(".").W(o.Op).W(")");
                }
                else
                {
                    W(o.Op);
                }

                W(" ");
                Expr(o.Right);
                W(")");
                break;
            case BoolExpr b:
                W("(");
                if (b.Op == BoolOp.Not)
                {
                    W("NOT ");
                    Expr(b.Args[0]);
                }
                else
                {
                    List(b.Args, b.Op == BoolOp.And ? " AND " : " OR ");
                }

                W(")");
                break;
            case NullTestExpr n:
                W("(");
                Expr(n.Arg);
                W(n.Not ? " IS NOT NULL)" : " IS NULL)");
                break;
            case BoolTestExpr b:
                W("(");
                Expr(b.Arg);
                W(b.Not ? " IS NOT " : " IS ").W(b.Kind switch
                {
                    BoolTestKind.True => "TRUE",
                    BoolTestKind.False => "FALSE",
                    _ => "UNKNOWN",
                }).W(")");
                break;
            case DistinctFromExpr d:
                W("(");
                Expr(d.Left);
                W(d.Not ? " IS NOT DISTINCT FROM " : " IS DISTINCT FROM ");
                Expr(d.Right);
                W(")");
                break;
            case BetweenExpr b:
                W("(");
                Expr(b.Arg);
                W(b.Not ? " NOT BETWEEN " : " BETWEEN ");
                if (b.Symmetric)
                {
                    W("SYMMETRIC ");
                }

                Expr(b.Low);
                W(" AND ");
                Expr(b.High);
                W(")");
                break;
            case InListExpr i:
                W("(");
                Expr(i.Arg);
                W(i.Not ? " NOT IN (" : " IN (");
                List(i.List);
                W("))");
                break;
            case LikeExpr l:
                W("(");
                Expr(l.Arg);
                W(l.Not ? " NOT " : " ").W(l.Kind switch
                {
                    LikeKind.Like => "LIKE ",
                    LikeKind.ILike => "ILIKE ",
                    _ => "SIMILAR TO ",
                });
                Expr(l.Pattern);
                if (l.Escape is not null)
                {
                    W(" ESCAPE ");
                    Expr(l.Escape);
                }

                W(")");
                break;
            case AnyAllExpr a:
                W("(");
                Expr(a.Left);
                W(" ").W(a.Op).W(a.All ? " ALL (" : " ANY (");
                Expr(a.Right);
                W("))");
                break;
            case SubLink s:
                SubLink(s);
                break;
            case CaseExpr c:
                W("CASE");
                if (c.Arg is not null)
                {
                    W(" ");
                    Expr(c.Arg);
                }

                foreach (var w in c.Whens)
                {
                    W(" WHEN ");
                    Expr(w.Condition);
                    W(" THEN ");
                    Expr(w.Result);
                }

                if (c.Else is not null)
                {
                    W(" ELSE ");
                    Expr(c.Else);
                }

                W(" END");
                break;
            case ConditionalExpr c:
                W(c.Kind switch
                {
                    ConditionalKind.Coalesce => "COALESCE(",
                    ConditionalKind.NullIf => "NULLIF(",
                    ConditionalKind.Greatest => "GREATEST(",
                    _ => "LEAST(",
                });
                List(c.Args);
                W(")");
                break;
            case TypeCast t:
                W("CAST(");
                Expr(t.Arg);
                W(" AS ");
                Type(t.Type);
                W(")");
                break;
            case CollateExpr c:
                W("(");
                Expr(c.Arg);
                W(" COLLATE ");
                Names(c.Collation);
                W(")");
                break;
            case ArrayExpr a:
                W("ARRAY[");
                List(a.Elements);
                W("]");
                break;
            case RowExpr r:
                if (r.Explicit)
                {
                    W("ROW(");
                    List(r.Args);
                    W(")");
                }
                else
                {
                    W("(");
                    List(r.Args);
                    W(")");
                }

                break;
            case IndirectionExpr i:
                W("(");
                Expr(i.Arg);
                W(")");
                foreach (var p in i.Path)
                {
                    Indirection(p);
                }

                break;
            case SqlValueFunction f:
                W(f.Kind switch
                {
                    SqlValueKind.CurrentDate => "CURRENT_DATE",
                    SqlValueKind.CurrentTime => "CURRENT_TIME",
                    SqlValueKind.CurrentTimestamp => "CURRENT_TIMESTAMP",
                    SqlValueKind.LocalTime => "LOCALTIME",
                    SqlValueKind.LocalTimestamp => "LOCALTIMESTAMP",
                    SqlValueKind.CurrentRole => "CURRENT_ROLE",
                    SqlValueKind.CurrentUser => "CURRENT_USER",
                    SqlValueKind.SessionUser => "SESSION_USER",
                    SqlValueKind.User => "USER",
                    SqlValueKind.CurrentCatalog => "CURRENT_CATALOG",
                    _ => "CURRENT_SCHEMA",
                });
                if (f.Precision is { } p2)
                {
                    _sb.Append('(').Append(p2.ToString(CultureInfo.InvariantCulture)).Append(')');
                }

                break;
            case NamedArgExpr n:
                Id(n.Name).W(" => ");
                Expr(n.Value);
                break;
            case FuncCall f:
                Func(f);
                break;
            default:
                _sb.Append("/* ").Append(e.GetType().Name).Append(" */");
                break;
        }
    }

    private void Indirection(Indirection p)
    {
        switch (p)
        {
            case FieldSelection f:
                if (f.Name is null)
                {
                    W(".*");
                }
                else
                {
                    W(".").Id(f.Name);
                }

                break;
            case Subscript s:
                W("[");
                if (s.Lower is not null)
                {
                    Expr(s.Lower);
                }

                if (s.Slice)
                {
                    W(":");
                    if (s.Upper is not null)
                    {
                        Expr(s.Upper);
                    }
                }

                W("]");
                break;
        }
    }

    private void SubLink(SubLink s)
    {
        switch (s.Kind)
        {
            case SubLinkKind.Exists:
                W("EXISTS (");
                Select(s.Query);
                W(")");
                break;
            case SubLinkKind.Array:
                W("ARRAY(");
                Select(s.Query);
                W(")");
                break;
            case SubLinkKind.Any or SubLinkKind.All:
                W("(");
                Expr(s.Test!);
                W(" ").W(s.Op!).W(s.Kind == SubLinkKind.All ? " ALL (" : " ANY (");
                Select(s.Query);
                W("))");
                break;
            default:
                W("(");
                Select(s.Query);
                W(")");
                break;
        }
    }

    private void Func(FuncCall f)
    {
        Names(f.Name);
        W("(");
        if (f.Star)
        {
            W("*");
        }
        else
        {
            if (f.Distinct)
            {
                W("DISTINCT ");
            }

            for (var i = 0; i < f.Args.Count; i++)
            {
                if (i > 0)
                {
                    W(", ");
                }

                if (f.Variadic && i == f.Args.Count - 1)
                {
                    W("VARIADIC ");
                }

                Expr(f.Args[i]);
            }

            if (f.OrderBy is { Count: > 0 } && !f.WithinGroup)
            {
                W(" ORDER BY ");
                List(f.OrderBy);
            }
        }

        W(")");
        if (f.WithinGroup && f.OrderBy is not null)
        {
            W(" WITHIN GROUP (ORDER BY ");
            List(f.OrderBy);
            W(")");
        }

        if (f.Filter is not null)
        {
            W(" FILTER (WHERE ");
            Expr(f.Filter);
            W(")");
        }

        if (f.Over is not null)
        {
            W(" OVER ");
            Window(f.Over);
        }
    }

    private void Window(WindowSpec w)
    {
        if (w.IsReference)
        {
            Id(w.RefName!);
            return;
        }

        W("(");
        var sep = "";
        if (w.RefName is not null)
        {
            Id(w.RefName);
            sep = " ";
        }

        if (w.PartitionBy.Count > 0)
        {
            W(sep).W("PARTITION BY ");
            List(w.PartitionBy);
            sep = " ";
        }

        if (w.OrderBy.Count > 0)
        {
            W(sep).W("ORDER BY ");
            List(w.OrderBy);
            sep = " ";
        }

        if (w.Mode != FrameMode.None)
        {
            W(sep).W(w.Mode switch
            {
                FrameMode.Rows => "ROWS ",
                FrameMode.Range => "RANGE ",
                _ => "GROUPS ",
            });
            if (w.End is not null)
            {
                W("BETWEEN ");
                Bound(w.Start!);
                W(" AND ");
                Bound(w.End);
            }
            else
            {
                Bound(w.Start!);
            }
        }

        W(")");
    }

    private void Bound(FrameBound b)
    {
        switch (b.Kind)
        {
            case FrameBoundKind.UnboundedPreceding:
                W("UNBOUNDED PRECEDING");
                break;
            case FrameBoundKind.UnboundedFollowing:
                W("UNBOUNDED FOLLOWING");
                break;
            case FrameBoundKind.CurrentRow:
                W("CURRENT ROW");
                break;
            default:
                Expr(b.Offset!);
                W(b.Kind == FrameBoundKind.Preceding ? " PRECEDING" : " FOLLOWING");
                break;
        }
    }

    private void Sort(SortItem s)
    {
        Expr(s.Expr);
        if (s.Direction != SortDirection.Default)
        {
            W(s.Direction == SortDirection.Asc ? " ASC" : " DESC");
        }

        if (s.Nulls != NullsOrder.Default)
        {
            W(s.Nulls == NullsOrder.First ? " NULLS FIRST" : " NULLS LAST");
        }
    }
}
