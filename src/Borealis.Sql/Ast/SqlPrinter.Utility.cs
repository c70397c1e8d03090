namespace Borealis.Sql.Ast;

/// <summary>Utility statement printing for <see cref="SqlPrinter"/>.</summary>
public sealed partial class SqlPrinter
{
    private void TransactionModes(IReadOnlyList<DefElem> modes)
    {
        for (var i = 0; i < modes.Count; i++)
        {
            W(i > 0 ? ", " : " ");
            var m = modes[i];
            switch (m.Name)
            {
                case "transaction_isolation":
                    W("ISOLATION LEVEL ").W(((StringLiteral)m.Arg!).Value.ToUpperInvariant());
                    break;
                case "transaction_read_only":
                    W(((BooleanLiteral)m.Arg!).Value ? "READ ONLY" : "READ WRITE");
                    break;
                default:
                    W(((BooleanLiteral)m.Arg!).Value ? "DEFERRABLE" : "NOT DEFERRABLE");
                    break;
            }
        }
    }

    private void VarName(string name)
    {
        var parts = name.Split('.');
        for (var i = 0; i < parts.Length; i++)
        {
            W(i > 0 ? "." : "").Id(parts[i]);
        }
    }

    private bool UtilityStatement(Statement s)
    {
        switch (s)
        {
            case TransactionStatement t:
                switch (t.Kind)
                {
                    case TransactionKind.Begin:
                        W("BEGIN");
                        TransactionModes(t.Options);
                        break;
                    case TransactionKind.Start:
                        W("START TRANSACTION");
                        TransactionModes(t.Options);
                        break;
                    case TransactionKind.Commit:
                        W(t.Chain ? "COMMIT AND CHAIN" : "COMMIT");
                        break;
                    case TransactionKind.Rollback:
                        W(t.Chain ? "ROLLBACK AND CHAIN" : "ROLLBACK");
                        break;
                    case TransactionKind.Savepoint:
                        W("SAVEPOINT ").Id(t.Name!);
                        break;
                    case TransactionKind.Release:
                        W("RELEASE SAVEPOINT ").Id(t.Name!);
                        break;
                    case TransactionKind.RollbackTo:
                        W("ROLLBACK TO SAVEPOINT ").Id(t.Name!);
                        break;
                    case TransactionKind.PrepareTransaction:
                        W("PREPARE TRANSACTION ").W(QuoteString(t.Name!));
                        break;
                    case TransactionKind.CommitPrepared:
                        W("COMMIT PREPARED ").W(QuoteString(t.Name!));
                        break;
                    case TransactionKind.RollbackPrepared:
                        W("ROLLBACK PREPARED ").W(QuoteString(t.Name!));
                        break;
                }

                return true;
            case SetStatement v:
                switch (v.Kind)
                {
                    case SetKind.Reset:
                        W("RESET ");
                        VarName(v.Name!);
                        break;
                    case SetKind.ResetAll:
                        W("RESET ALL");
                        break;
                    case SetKind.Transaction:
                        W(v.Local ? "SET LOCAL TRANSACTION" : "SET TRANSACTION");
                        TransactionModes(v.Options);
                        break;
                    case SetKind.SessionCharacteristics:
                        W("SET SESSION CHARACTERISTICS AS TRANSACTION");
                        TransactionModes(v.Options);
                        break;
                    default:
                        W(v.Local ? "SET LOCAL " : "SET ");
                        VarName(v.Name!);
                        if (v.Kind == SetKind.Default)
                        {
                            W(" TO DEFAULT");
                        }
                        else if (v.Kind == SetKind.FromCurrent)
                        {
                            W(" FROM CURRENT");
                        }
                        else
                        {
                            W(" TO ");
                            List(v.Values);
                        }

                        break;
                }

                return true;
            case ShowStatement sh:
                W("SHOW ");
                if (sh.Name == "all")
                {
                    W("ALL");
                }
                else
                {
                    VarName(sh.Name);
                }

                return true;
            case DiscardStatement d:
                W(d.Target switch
                {
                    DiscardTarget.All => "DISCARD ALL",
                    DiscardTarget.Plans => "DISCARD PLANS",
                    DiscardTarget.Sequences => "DISCARD SEQUENCES",
                    _ => "DISCARD TEMP",
                });
                return true;
            case VacuumStatement v:
                W(v.IsVacuum ? "VACUUM" : "ANALYZE");
                if (v.Options.Count > 0)
                {
                    W(" ");
                    UtilityOptions(v.Options);
                }

                for (var i = 0; i < v.Relations.Count; i++)
                {
                    W(i > 0 ? ", " : " ");
                    Qualified(v.Relations[i].Name);
                    if (v.Relations[i].Columns.Count > 0)
                    {
                        W(" (");
                        IdList(v.Relations[i].Columns);
                        W(")");
                    }
                }

                return true;
            case CopyStatement c:
                W("COPY ");
                if (c.Query is not null)
                {
                    W("(");
                    Statement(c.Query);
                    W(")");
                }
                else
                {
                    Qualified(c.Table!);
                    if (c.Columns.Count > 0)
                    {
                        W(" (");
                        IdList(c.Columns);
                        W(")");
                    }
                }

                W(c.IsFrom ? " FROM " : " TO ");
                if (c.IsProgram)
                {
                    W("PROGRAM ");
                }

                W(c.FileName is null ? (c.IsFrom ? "STDIN" : "STDOUT") : QuoteString(c.FileName));
                if (c.Options.Count > 0)
                {
                    W(" ");
                    UtilityOptions(c.Options);
                }

                if (c.Where is not null)
                {
                    W(" WHERE ");
                    Expr(c.Where);
                }

                return true;
            case ExplainStatement e:
                W("EXPLAIN ");
                if (e.Options.Count > 0)
                {
                    UtilityOptions(e.Options);
                    W(" ");
                }

                Statement(e.Statement);
                return true;
            case PrepareStatement p:
                W("PREPARE ").Id(p.Name);
                if (p.ParameterTypes.Count > 0)
                {
                    W(" (");
                    List(p.ParameterTypes);
                    W(")");
                }

                W(" AS ");
                Statement(p.Statement);
                return true;
            case ExecuteStatement e:
                W("EXECUTE ").Id(e.Name);
                if (e.Args.Count > 0)
                {
                    W(" (");
                    List(e.Args);
                    W(")");
                }

                return true;
            case DeallocateStatement d:
                W("DEALLOCATE ");
                if (d.Name is null)
                {
                    W("ALL");
                }
                else
                {
                    Id(d.Name);
                }

                return true;
            case TruncateStatement t:
                W("TRUNCATE TABLE ");
                List(t.Tables);
                W(t.RestartIdentity ? " RESTART IDENTITY" : "").W(Behavior(t.Behavior));
                return true;
            case LockStatement l:
                W("LOCK TABLE ");
                List(l.Tables);
                W(" IN ").W(l.Mode).W(" MODE").W(l.NoWait ? " NOWAIT" : "");
                return true;
            case DoStatement d:
                W("DO ");
                if (d.Language is not null)
                {
                    W("LANGUAGE ").Id(d.Language).W(" ");
                }

                W(QuoteString(d.Code));
                return true;
            case NotifyStatement n:
                W(n.Verb).W(" ");
                if (n.Channel is null)
                {
                    W("*");
                }
                else
                {
                    Id(n.Channel);
                }

                if (n.Payload is not null)
                {
                    W(", ").W(QuoteString(n.Payload));
                }

                return true;
            case DeclareCursorStatement d:
                W("DECLARE ").Id(d.Name).W(d.Binary ? " BINARY" : "").W(d.Insensitive ? " INSENSITIVE" : "");
                W(d.Scroll switch
                {
                    true => " SCROLL",
                    false => " NO SCROLL",
                    _ => "",
                });
                W(d.Hold ? " CURSOR WITH HOLD FOR " : " CURSOR FOR ");
                Select(d.Query);
                return true;
            case FetchStatement f:
                W(f.Move ? "MOVE " : "FETCH ").W(f.Direction switch
                {
                    FetchDirection.Forward => "FORWARD ",
                    FetchDirection.Backward => "BACKWARD ",
                    FetchDirection.Absolute => "ABSOLUTE ",
                    _ => "RELATIVE ",
                });
                W(f.Count == FetchStatement.All ? "ALL" : f.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)).W(" FROM ").Id(f.Cursor);
                return true;
            case SimpleCommandStatement c:
                W(c.Command);
                if (c.Command == "CLOSE")
                {
                    W(" ");
                    if (c.Name is null)
                    {
                        W("ALL");
                    }
                    else
                    {
                        Id(c.Name);
                    }
                }

                return true;
            default:
                return false;
        }
    }
}
