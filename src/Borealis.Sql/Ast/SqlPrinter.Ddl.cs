namespace Borealis.Sql.Ast;

/// <summary>DDL and utility statement printing for <see cref="SqlPrinter"/>.</summary>
public sealed partial class SqlPrinter
{
    private static string Persist(Persistence p) => p switch
    {
        Persistence.Temporary => "TEMPORARY ",
        Persistence.Unlogged => "UNLOGGED ",
        _ => "",
    };

    private static string Behavior(DropBehavior b) => b switch
    {
        DropBehavior.Cascade => " CASCADE",
        DropBehavior.Restrict => " RESTRICT",
        _ => "",
    };

    private static string KindName(ObjectKind k) => k switch
    {
        ObjectKind.Table => "TABLE",
        ObjectKind.Index => "INDEX",
        ObjectKind.Sequence => "SEQUENCE",
        ObjectKind.View => "VIEW",
        ObjectKind.MaterializedView => "MATERIALIZED VIEW",
        ObjectKind.Schema => "SCHEMA",
        ObjectKind.Database => "DATABASE",
        ObjectKind.Role => "ROLE",
        ObjectKind.Column => "COLUMN",
        ObjectKind.Function => "FUNCTION",
        ObjectKind.Type => "TYPE",
        ObjectKind.Extension => "EXTENSION",
        _ => "CONSTRAINT",
    };

    private void Role(string name)
    {
        if (name is "current_user" or "session_user" or "current_role" or "public")
        {
            W(name);
        }
        else
        {
            Id(name);
        }
    }

    private void Roles(IReadOnlyList<string> names)
    {
        for (var i = 0; i < names.Count; i++)
        {
            if (i > 0)
            {
                W(", ");
            }

            Role(names[i]);
        }
    }

    private void RelOptions(IReadOnlyList<DefElem> options)
    {
        W("(");
        for (var i = 0; i < options.Count; i++)
        {
            if (i > 0)
            {
                W(", ");
            }

            W(options[i].Name);
            if (options[i].Arg is { } a)
            {
                W(" = ");
                Node(a);
            }
        }

        W(")");
    }

    private void UtilityOptions(IReadOnlyList<DefElem> options)
    {
        W("(");
        List(options);
        W(")");
    }

    private bool DdlStatement(Statement s)
    {
        switch (s)
        {
            case CreateTableStatement c:
                W("CREATE ").W(Persist(c.Persistence)).W("TABLE ").W(c.IfNotExists ? "IF NOT EXISTS " : "");
                Qualified(c.Name);
                W(" (");
                var first = true;
                foreach (var col in c.Columns)
                {
                    W(first ? "" : ", ");
                    first = false;
                    ColumnDef(col);
                }

                foreach (var con in c.Constraints)
                {
                    W(first ? "" : ", ");
                    first = false;
                    Constraint(con, table: true);
                }

                W(")");
                if (c.Options.Count > 0)
                {
                    W(" WITH ");
                    RelOptions(c.Options);
                }

                if (c.OnCommit is not null)
                {
                    W(" ON COMMIT ").W(c.OnCommit.ToUpperInvariant());
                }

                return true;
            case CreateTableAsStatement c:
                W("CREATE ").W(Persist(c.Persistence)).W("TABLE ").W(c.IfNotExists ? "IF NOT EXISTS " : "");
                Qualified(c.Name);
                if (c.Columns.Count > 0)
                {
                    W(" (");
                    IdList(c.Columns);
                    W(")");
                }

                W(" AS ");
                Select(c.Query);
                if (!c.WithData)
                {
                    W(" WITH NO DATA");
                }

                return true;
            case DropStatement d:
                W("DROP ").W(KindName(d.Kind)).W(d.Concurrently ? " CONCURRENTLY" : "").W(d.IfExists ? " IF EXISTS " : " ");
                if (d.Kind == ObjectKind.Role)
                {
                    for (var i = 0; i < d.Names.Count; i++)
                    {
                        W(i > 0 ? ", " : "");
                        Role(d.Names[i].Name);
                    }
                }
                else
                {
                    List(d.Names);
                }

                W(Behavior(d.Behavior));
                return true;
            case CreateIndexStatement c:
                W(c.Unique ? "CREATE UNIQUE INDEX " : "CREATE INDEX ").W(c.Concurrently ? "CONCURRENTLY " : "").W(c.IfNotExists ? "IF NOT EXISTS " : "");
                if (c.Name is not null)
                {
                    Id(c.Name).W(" ");
                }

                W(c.Only ? "ON ONLY " : "ON ");
                Qualified(c.Table);
                if (c.Method is not null)
                {
                    W(" USING ").Id(c.Method);
                }

                W(" (");
                List(c.Elements);
                W(")");
                if (c.Include.Count > 0)
                {
                    W(" INCLUDE (");
                    IdList(c.Include);
                    W(")");
                }

                if (c.NullsNotDistinct)
                {
                    W(" NULLS NOT DISTINCT");
                }

                if (c.Options.Count > 0)
                {
                    W(" WITH ");
                    RelOptions(c.Options);
                }

                if (c.Where is not null)
                {
                    W(" WHERE ");
                    Expr(c.Where);
                }

                return true;
            case AlterTableStatement a:
                W("ALTER TABLE ").W(a.IfExists ? "IF EXISTS " : "").W(a.Only ? "ONLY " : "");
                Qualified(a.Table);
                W(" ");
                List(a.Commands);
                return true;
            case RenameStatement r:
                W("ALTER ").W(KindName(r.Kind)).W(r.IfExists ? " IF EXISTS " : " ");
                Qualified(r.Target);
                W(" RENAME ");
                if (r.SubName is not null)
                {
                    W(r.SubKind == ObjectKind.Constraint ? "CONSTRAINT " : "COLUMN ").Id(r.SubName).W(" ");
                }

                W("TO ").Id(r.NewName);
                return true;
            case CreateSequenceStatement c:
                W("CREATE ").W(Persist(c.Persistence)).W("SEQUENCE ").W(c.IfNotExists ? "IF NOT EXISTS " : "");
                Qualified(c.Name);
                SequenceOptions(c.Options);
                return true;
            case AlterSequenceStatement a:
                W("ALTER SEQUENCE ").W(a.IfExists ? "IF EXISTS " : "");
                Qualified(a.Name);
                SequenceOptions(a.Options);
                return true;
            case CreateViewStatement v:
                W("CREATE ").W(v.OrReplace ? "OR REPLACE " : "").W(Persist(v.Persistence)).W(v.Materialized ? "MATERIALIZED VIEW " : "VIEW ");
                Qualified(v.Name);
                if (v.Columns.Count > 0)
                {
                    W(" (");
                    IdList(v.Columns);
                    W(")");
                }

                if (v.Options.Count > 0)
                {
                    W(" WITH ");
                    RelOptions(v.Options);
                }

                W(" AS ");
                Select(v.Query);
                if (v.CheckOption is not null)
                {
                    W(" WITH ").W(v.CheckOption.ToUpperInvariant()).W(" CHECK OPTION");
                }

                return true;
            case CreateDatabaseStatement d:
                W("CREATE DATABASE ").Id(d.Name);
                foreach (var o in d.Options)
                {
                    W(" ").W(o.Name).W(" = ");
                    if (o.Arg is null)
                    {
                        W("DEFAULT");
                    }
                    else
                    {
                        Node(o.Arg);
                    }
                }

                return true;
            case CreateSchemaStatement c:
                W("CREATE SCHEMA ").W(c.IfNotExists ? "IF NOT EXISTS " : "");
                if (c.Name is not null)
                {
                    Id(c.Name);
                }

                if (c.Authorization is not null)
                {
                    W(c.Name is null ? "AUTHORIZATION " : " AUTHORIZATION ");
                    Role(c.Authorization);
                }

                return true;
            case CreateRoleStatement r:
                W(r.Kind switch
                {
                    RoleKind.User => "CREATE USER ",
                    RoleKind.Group => "CREATE GROUP ",
                    _ => "CREATE ROLE ",
                });
                Role(r.Name);
                RoleOptions(r.Options);
                return true;
            case AlterRoleStatement r:
                W("ALTER ROLE ");
                Role(r.Name);
                RoleOptions(r.Options);
                return true;
            case CommentStatement c:
                W("COMMENT ON ").W(KindName(c.Kind)).W(" ");
                Names(c.Name);
                W(" IS ").W(c.Comment is null ? "NULL" : QuoteString(c.Comment));
                return true;
            case GrantStatement g:
                W(g.IsGrant ? "GRANT " : "REVOKE ");
                if (!g.IsGrant && g.GrantOption)
                {
                    W("GRANT OPTION FOR ");
                }

                if (g.Privileges.Count == 0)
                {
                    W("ALL");
                }
                else
                {
                    W(string.Join(", ", g.Privileges));
                }

                W(" ON ");
                if (g.AllInSchema)
                {
                    W(g.ObjectKind switch
                    {
                        ObjectKind.Sequence => "ALL SEQUENCES IN SCHEMA ",
                        ObjectKind.Function => "ALL FUNCTIONS IN SCHEMA ",
                        _ => "ALL TABLES IN SCHEMA ",
                    });
                }
                else
                {
                    W(KindName(g.ObjectKind)).W(" ");
                }

                List(g.Objects);
                W(g.IsGrant ? " TO " : " FROM ");
                Roles(g.Grantees);
                if (g.IsGrant && g.GrantOption)
                {
                    W(" WITH GRANT OPTION");
                }

                W(Behavior(g.Behavior));
                return true;
            case GrantRoleStatement g:
                W(g.IsGrant ? "GRANT " : "REVOKE ");
                Roles(g.Roles);
                W(g.IsGrant ? " TO " : " FROM ");
                Roles(g.Grantees);
                if (g.AdminOption)
                {
                    W(" WITH ADMIN OPTION");
                }

                return true;
            default:
                return false;
        }
    }

    private void RoleOptions(IReadOnlyList<DefElem> options)
    {
        foreach (var o in options)
        {
            W(" ");
            switch (o.Name)
            {
                case "password":
                    W("PASSWORD ");
                    if (o.Arg is null)
                    {
                        W("NULL");
                    }
                    else
                    {
                        Node(o.Arg);
                    }

                    break;
                case "connectionlimit":
                    W("CONNECTION LIMIT ");
                    Node(o.Arg!);
                    break;
                case "validuntil":
                    W("VALID UNTIL ");
                    Node(o.Arg!);
                    break;
                case "addroleto":
                    W("IN ROLE ");
                    Roles(((NameList)o.Arg!).Names);
                    break;
                case "rolemembers":
                    W("ROLE ");
                    Roles(((NameList)o.Arg!).Names);
                    break;
                case "adminmembers":
                    W("ADMIN ");
                    Roles(((NameList)o.Arg!).Names);
                    break;
                case "sysid":
                    W("SYSID ");
                    Node(o.Arg!);
                    break;
                default:
                    W(o.Arg is BooleanLiteral { Value: false } ? "NO" + o.Name.ToUpperInvariant() : o.Name.ToUpperInvariant());
                    break;
            }
        }
    }

    private void SequenceOptions(IReadOnlyList<DefElem> options)
    {
        foreach (var o in options)
        {
            W(" ");
            switch (o.Name)
            {
                case "cycle":
                    W(o.Arg is BooleanLiteral { Value: false } ? "NO CYCLE" : "CYCLE");
                    break;
                case "minvalue" or "maxvalue" when o.Arg is null:
                    W("NO ").W(o.Name.ToUpperInvariant());
                    break;
                case "owned_by":
                    W("OWNED BY ");
                    var names = ((NameList)o.Arg!).Names;
                    if (names is ["none"])
                    {
                        W("NONE");
                    }
                    else
                    {
                        Names(names);
                    }

                    break;
                case "sequence_name":
                    W("SEQUENCE NAME ");
                    Names(((NameList)o.Arg!).Names);
                    break;
                case "restart" when o.Arg is null:
                    W("RESTART");
                    break;
                case "restart":
                    W("RESTART WITH ");
                    Node(o.Arg!);
                    break;
                default:
                    W(o.Name.ToUpperInvariant()).W(" ");
                    Node(o.Arg!);
                    break;
            }
        }
    }

    private void ColumnDef(ColumnDef c)
    {
        Id(c.Name).W(" ");
        Type(c.Type);
        if (c.Collation is not null)
        {
            W(" COLLATE ");
            Names(c.Collation);
        }

        foreach (var con in c.Constraints)
        {
            W(" ");
            Constraint(con, table: false);
        }
    }

    private static string FkAction(ForeignKeyAction a) => a switch
    {
        ForeignKeyAction.Cascade => "CASCADE",
        ForeignKeyAction.Restrict => "RESTRICT",
        ForeignKeyAction.SetNull => "SET NULL",
        ForeignKeyAction.SetDefault => "SET DEFAULT",
        _ => "NO ACTION",
    };

    private void Constraint(Constraint c, bool table)
    {
        if (c.Name is not null)
        {
            W("CONSTRAINT ").Id(c.Name).W(" ");
        }

        switch (c.Kind)
        {
            case ConstraintKind.NotNull:
                W("NOT NULL");
                break;
            case ConstraintKind.Null:
                W("NULL");
                break;
            case ConstraintKind.Default:
                W("DEFAULT ");
                Expr(c.Expr!);
                break;
            case ConstraintKind.Check:
                W("CHECK (");
                Expr(c.Expr!);
                W(c.NoInherit ? ") NO INHERIT" : ")");
                break;
            case ConstraintKind.PrimaryKey or ConstraintKind.Unique:
                W(c.Kind == ConstraintKind.PrimaryKey ? "PRIMARY KEY" : "UNIQUE");
                if (c.NullsNotDistinct)
                {
                    W(" NULLS NOT DISTINCT");
                }

                if (table && c.Columns is not null)
                {
                    W(" (");
                    IdList(c.Columns);
                    W(")");
                }

                if (c.Include is not null)
                {
                    W(" INCLUDE (");
                    IdList(c.Include);
                    W(")");
                }

                if (c.Options is { Count: > 0 })
                {
                    W(" WITH ");
                    RelOptions(c.Options);
                }

                break;
            case ConstraintKind.ForeignKey:
                if (table && c.Columns is not null)
                {
                    W("FOREIGN KEY (");
                    IdList(c.Columns);
                    W(") ");
                }

                W("REFERENCES ");
                Qualified(c.RefTable!);
                if (c.RefColumns is not null)
                {
                    W(" (");
                    IdList(c.RefColumns);
                    W(")");
                }

                if (c.Match is not null)
                {
                    W(" MATCH ").W(c.Match.ToUpperInvariant());
                }

                if (c.OnDelete != ForeignKeyAction.NoAction)
                {
                    W(" ON DELETE ").W(FkAction(c.OnDelete));
                }

                if (c.OnUpdate != ForeignKeyAction.NoAction)
                {
                    W(" ON UPDATE ").W(FkAction(c.OnUpdate));
                }

                break;
            case ConstraintKind.Identity:
                W(c.IdentityAlways ? "GENERATED ALWAYS AS IDENTITY" : "GENERATED BY DEFAULT AS IDENTITY");
                if (c.Options is { Count: > 0 })
                {
                    W(" (");
                    SequenceOptions(c.Options);
                    W(")");
                }

                break;
            case ConstraintKind.Generated:
                W("GENERATED ALWAYS AS (");
                Expr(c.Expr!);
                W(") STORED");
                break;
        }

        if (c.Deferrable)
        {
            W(" DEFERRABLE");
        }

        if (c.InitiallyDeferred)
        {
            W(" INITIALLY DEFERRED");
        }

        if (c.NotValid)
        {
            W(" NOT VALID");
        }
    }

    private void AlterCommand(AlterTableCommand c)
    {
        switch (c)
        {
            case AddColumnCommand a:
                W("ADD COLUMN ").W(a.IfNotExists ? "IF NOT EXISTS " : "");
                ColumnDef(a.Column);
                break;
            case DropColumnCommand d:
                W("DROP COLUMN ").W(d.IfExists ? "IF EXISTS " : "").Id(d.Column).W(Behavior(d.Behavior));
                break;
            case AddConstraintCommand a:
                W("ADD ");
                Constraint(a.Constraint, table: true);
                break;
            case DropConstraintCommand d:
                W("DROP CONSTRAINT ").W(d.IfExists ? "IF EXISTS " : "").Id(d.Name).W(Behavior(d.Behavior));
                break;
            case AlterColumnDefaultCommand d:
                W("ALTER COLUMN ").Id(d.Column);
                if (d.Default is null)
                {
                    W(" DROP DEFAULT");
                }
                else
                {
                    W(" SET DEFAULT ");
                    Expr(d.Default);
                }

                break;
            case AlterColumnNotNullCommand n:
                W("ALTER COLUMN ").Id(n.Column).W(n.NotNull ? " SET NOT NULL" : " DROP NOT NULL");
                break;
            case AlterColumnTypeCommand t:
                W("ALTER COLUMN ").Id(t.Column).W(" TYPE ");
                Type(t.Type);
                if (t.Collation is not null)
                {
                    W(" COLLATE ");
                    Names(t.Collation);
                }

                if (t.Using is not null)
                {
                    W(" USING ");
                    Expr(t.Using);
                }

                break;
            case OwnerToCommand o:
                W("OWNER TO ");
                Role(o.Owner);
                break;
        }
    }
}
