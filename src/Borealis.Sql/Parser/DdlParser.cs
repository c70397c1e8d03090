using Borealis.Sql.Ast;

namespace Borealis.Sql.Parser;

/// <summary>CREATE / DROP / ALTER for tables, indexes, sequences, views, databases, schemas and roles.</summary>
public sealed partial class SqlParser
{
    private Statement ParseCreate()
    {
        var start = Expect(Keyword.Create).Start;
        var orReplace = Accept(Keyword.Or, Keyword.Replace);
        var persistence = Persistence.Permanent;
        if (Is(Keyword.Global) || Is(Keyword.Local))
        {
            _pos++;
            if (!Accept(Keyword.Temporary))
            {
                Expect(Keyword.Temp);
            }

            persistence = Persistence.Temporary;
        }
        else if (Accept(Keyword.Temp) || Accept(Keyword.Temporary))
        {
            persistence = Persistence.Temporary;
        }
        else if (Accept(Keyword.Unlogged))
        {
            persistence = Persistence.Unlogged;
        }

        var t = Peek;
        switch (t.Keyword)
        {
            case Keyword.Table when t.Kind == TokenKind.Identifier && !orReplace:
                return ParseCreateTable(start, persistence);
            case Keyword.Unique or Keyword.Index when t.Kind == TokenKind.Identifier && !orReplace && persistence == Persistence.Permanent:
                return ParseCreateIndex(start);
            case Keyword.Sequence when t.Kind == TokenKind.Identifier && !orReplace:
            {
                _pos++;
                var ifNotExists = ParseIfNotExists();
                var name = QualifiedName();
                return new CreateSequenceStatement(name, persistence, ifNotExists, ParseSequenceOptions()) { Position = start };
            }

            case Keyword.View or Keyword.Recursive when t.Kind == TokenKind.Identifier:
                return ParseCreateView(start, orReplace, persistence, materialized: false);
            case Keyword.Materialized when t.Kind == TokenKind.Identifier && !orReplace:
                _pos++;
                return ParseCreateView(start, false, persistence, materialized: true);
            case Keyword.Database when t.Kind == TokenKind.Identifier && !orReplace && persistence == Persistence.Permanent:
            {
                _pos++;
                var name = ColId();
                Accept(Keyword.With);
                return new CreateDatabaseStatement(name, ParseGenericOptions()) { Position = start };
            }

            case Keyword.Schema when t.Kind == TokenKind.Identifier && !orReplace && persistence == Persistence.Permanent:
            {
                _pos++;
                var ifNotExists = ParseIfNotExists();
                string? name = null;
                string? auth = null;
                if (!Is(Keyword.Authorization))
                {
                    name = ColId();
                }

                if (Accept(Keyword.Authorization))
                {
                    auth = RoleSpec();
                }

                return new CreateSchemaStatement(name, auth, ifNotExists) { Position = start };
            }

            case Keyword.Role or Keyword.User or Keyword.Group when t.Kind == TokenKind.Identifier && !orReplace && persistence == Persistence.Permanent:
            {
                _pos++;
                var kind = t.Keyword switch
                {
                    Keyword.Role => RoleKind.Role,
                    Keyword.User => RoleKind.User,
                    _ => RoleKind.Group,
                };
                var name = RoleSpec();
                Accept(Keyword.With);
                return new CreateRoleStatement(kind, name, ParseRoleOptions()) { Position = start };
            }

            default:
                throw SyntaxError();
        }
    }

    private bool ParseIfNotExists()
    {
        if (Is(Keyword.If) && IsAt(1, Keyword.Not))
        {
            _pos += 2;
            Expect(Keyword.Exists);
            return true;
        }

        return false;
    }

    private bool ParseIfExists()
    {
        if (Is(Keyword.If) && IsAt(1, Keyword.Exists))
        {
            _pos += 2;
            return true;
        }

        return false;
    }

    private string RoleSpec()
    {
        var t = Peek;
        if (t.Kind == TokenKind.Identifier && t.Keyword is Keyword.CurrentUser or Keyword.SessionUser or Keyword.CurrentRole)
        {
            _pos++;
            return t.Value!;
        }

        if (!IsUnreservedName(t) && CategoryOf(t) != KeywordCategory.ColName)
        {
            throw SyntaxError();
        }

        return Advance().Value!;
    }

    private Statement ParseCreateTable(int start, Persistence persistence)
    {
        Expect(Keyword.Table);
        var ifNotExists = ParseIfNotExists();
        var name = QualifiedName();
        if (!Is(TokenKind.LParen) || (IsColId(PeekAt(1)) && PeekAt(2).Kind is TokenKind.Comma or TokenKind.RParen))
        {
            IReadOnlyList<string> cols = Is(TokenKind.LParen) ? ParenColIdList() : [];
            if (Accept(Keyword.With))
            {
                ParseRelOptions();
            }

            if (Is(Keyword.On) && IsAt(1, Keyword.Commit))
            {
                _pos += 2;
                if (!Accept(Keyword.Drop))
                {
                    if (!Accept(Keyword.Delete))
                    {
                        Expect(Keyword.Preserve);
                    }

                    Expect(Keyword.Rows);
                }
            }

            if (Accept(Keyword.Tablespace))
            {
                ColId();
            }

            Expect(Keyword.As);
            var query = ParseSelectStatement();
            var withData = true;
            if (Is(Keyword.With) && (IsAt(1, Keyword.Data) || (IsAt(1, Keyword.No) && IsAt(2, Keyword.Data))))
            {
                _pos++;
                withData = !Accept(Keyword.No);
                Expect(Keyword.Data);
            }

            return new CreateTableAsStatement(name, persistence, ifNotExists, cols, query, withData) { Position = start };
        }

        Expect(TokenKind.LParen);
        var columns = new List<ColumnDef>();
        var constraints = new List<Constraint>();
        if (!Is(TokenKind.RParen))
        {
            do
            {
                if (IsTableConstraintStart())
                {
                    constraints.Add(ParseTableConstraint());
                }
                else
                {
                    columns.Add(ParseColumnDef());
                }
            }
            while (Accept(TokenKind.Comma));
        }

        Expect(TokenKind.RParen);
        if (Is(Keyword.Inherits))
        {
            throw SyntaxError();
        }

        IReadOnlyList<DefElem> options = [];
        if (Accept(Keyword.With))
        {
            options = ParseRelOptions();
        }
        else if (Is(Keyword.Without) && IsAt(1, Keyword.Oids))
        {
            _pos += 2;
        }

        string? onCommit = null;
        if (Is(Keyword.On) && IsAt(1, Keyword.Commit))
        {
            _pos += 2;
            if (Accept(Keyword.Drop))
            {
                onCommit = "drop";
            }
            else if (Accept(Keyword.Delete))
            {
                Expect(Keyword.Rows);
                onCommit = "delete rows";
            }
            else
            {
                Expect(Keyword.Preserve);
                Expect(Keyword.Rows);
                onCommit = "preserve rows";
            }
        }

        if (Accept(Keyword.Tablespace))
        {
            ColId();
        }

        return new CreateTableStatement(name, persistence, ifNotExists, columns, constraints, options, onCommit) { Position = start };
    }

    /// <summary>'(' name [= value], … ')' storage parameters.</summary>
    private List<DefElem> ParseRelOptions()
    {
        Expect(TokenKind.LParen);
        var list = new List<DefElem>();
        do
        {
            var start = Peek.Start;
            var name = ColLabel();
            while (Accept(TokenKind.Dot))
            {
                name += "." + ColLabel();
            }

            Node? arg = null;
            if (Accept(TokenKind.Equals))
            {
                arg = ParseOptionValue(allowReserved: true);
            }

            list.Add(new DefElem(name, arg) { Position = start });
        }
        while (Accept(TokenKind.Comma));
        Expect(TokenKind.RParen);
        return list;
    }

    /// <summary>def_arg: a number (signed), a string, a word (as a string), or a boolean keyword.
    /// Reserved words are allowed only in storage parameters (allowReserved).</summary>
    private Expr ParseOptionValue(bool allowReserved = false)
    {
        var t = Peek;
        switch (t.Kind)
        {
            case TokenKind.Integer or TokenKind.Numeric:
                return ParsePrimary();
            case TokenKind.Minus or TokenKind.Plus:
            {
                _pos++;
                var n = Peek;
                if (n.Kind is not (TokenKind.Integer or TokenKind.Numeric))
                {
                    throw SyntaxError();
                }

                var lit = ParsePrimary();
                return t.Kind == TokenKind.Minus ? Negate(lit, t.Start) : lit;
            }

            case TokenKind.String:
                _pos++;
                return new StringLiteral(t.Value!) { Position = t.Start };
            case TokenKind.Identifier or TokenKind.QuotedIdentifier:
                if (!allowReserved && CategoryOf(t) == KeywordCategory.Reserved && t.Keyword is not (Keyword.True or Keyword.False or Keyword.On))
                {
                    throw SyntaxError();
                }

                _pos++;
                return new StringLiteral(t.Value!) { Position = t.Start };
            default:
                throw SyntaxError();
        }
    }

    private bool IsTableConstraintStart()
    {
        var t = Peek;
        return t.Kind == TokenKind.Identifier &&
               t.Keyword is Keyword.Constraint or Keyword.Check or Keyword.Unique or Keyword.Primary or Keyword.Foreign or Keyword.Exclude;
    }

    private ColumnDef ParseColumnDef()
    {
        var start = Peek.Start;
        var name = ColId();
        var type = ParseTypeName();
        IReadOnlyList<string>? collation = null;
        var constraints = new List<Constraint>();
        while (true)
        {
            if (Accept(Keyword.Collate))
            {
                collation = AnyName();
                continue;
            }

            var c = TryParseColumnConstraint();
            if (c is null)
            {
                break;
            }

            constraints.Add(c);
        }

        return new ColumnDef(name, type, constraints, collation) { Position = start };
    }

    private Constraint? TryParseColumnConstraint()
    {
        var start = Peek.Start;
        string? name = null;
        if (Accept(Keyword.Constraint))
        {
            name = ColId();
        }

        var t = Peek;
        Constraint c;
        switch (t.Kind == TokenKind.Identifier ? t.Keyword : Keyword.NotAKeyword)
        {
            case Keyword.Not when IsAt(1, Keyword.Null):
                _pos += 2;
                c = new Constraint(ConstraintKind.NotNull, name);
                break;
            case Keyword.Null:
                _pos++;
                c = new Constraint(ConstraintKind.Null, name);
                break;
            case Keyword.Default:
                _pos++;
                if (Is(Keyword.Not))
                {
                    throw SyntaxError();
                }

                c = new Constraint(ConstraintKind.Default, name, Expr: ParseExpr(PrecCompare));
                break;
            case Keyword.Check:
            {
                _pos++;
                Expect(TokenKind.LParen);
                var e = ParseExpr();
                Expect(TokenKind.RParen);
                var noInherit = Accept(Keyword.No, Keyword.Inherit);
                c = new Constraint(ConstraintKind.Check, name, Expr: e, NoInherit: noInherit);
                break;
            }

            case Keyword.Unique:
            {
                _pos++;
                var nnd = ParseNullsDistinct();
                var opts = ParseIndexParameters();
                c = new Constraint(ConstraintKind.Unique, name, Options: opts, NullsNotDistinct: nnd);
                break;
            }

            case Keyword.Primary:
            {
                _pos++;
                Expect(Keyword.Key);
                var opts = ParseIndexParameters();
                c = new Constraint(ConstraintKind.PrimaryKey, name, Options: opts);
                break;
            }

            case Keyword.References:
                c = ParseReferences(name, null);
                break;
            case Keyword.Generated:
            {
                _pos++;
                var always = Accept(Keyword.Always);
                if (!always)
                {
                    Expect(Keyword.By);
                    Expect(Keyword.Default);
                }

                Expect(Keyword.As);
                if (Accept(Keyword.Identity))
                {
                    IReadOnlyList<DefElem> opts = [];
                    if (Is(TokenKind.LParen))
                    {
                        _pos++;
                        opts = ParseSequenceOptions();
                        Expect(TokenKind.RParen);
                    }

                    c = new Constraint(ConstraintKind.Identity, name, IdentityAlways: always, Options: opts);
                    break;
                }

                Expect(TokenKind.LParen);
                var e = ParseExpr();
                Expect(TokenKind.RParen);
                Expect(Keyword.Stored);
                c = new Constraint(ConstraintKind.Generated, name, Expr: e, IdentityAlways: true);
                break;
            }

            default:
                if (name is not null)
                {
                    throw SyntaxError();
                }

                return null;
        }

        c = ParseConstraintAttributes(c);
        return c with { Position = start };
    }

    private bool ParseNullsDistinct()
    {
        if (Is(Keyword.Nulls) && (IsAt(1, Keyword.Distinct) || (IsAt(1, Keyword.Not) && IsAt(2, Keyword.Distinct))))
        {
            _pos++;
            var not = Accept(Keyword.Not);
            Expect(Keyword.Distinct);
            return not;
        }

        return false;
    }

    /// <summary>[WITH (…)] [USING INDEX TABLESPACE name] after UNIQUE/PRIMARY KEY.</summary>
    private IReadOnlyList<DefElem>? ParseIndexParameters()
    {
        IReadOnlyList<DefElem>? opts = null;
        if (Accept(Keyword.With))
        {
            opts = ParseRelOptions();
        }

        if (Is(Keyword.Using) && IsAt(1, Keyword.Index))
        {
            _pos += 2;
            Expect(Keyword.Tablespace);
            ColId();
        }

        return opts;
    }

    private Constraint ParseConstraintAttributes(Constraint c)
    {
        while (true)
        {
            if (Accept(Keyword.Deferrable))
            {
                c = c with { Deferrable = true };
            }
            else if (Is(Keyword.Not) && IsAt(1, Keyword.Deferrable))
            {
                _pos += 2;
                c = c with { Deferrable = false };
            }
            else if (Accept(Keyword.Initially))
            {
                if (Accept(Keyword.Deferred))
                {
                    c = c with { InitiallyDeferred = true };
                }
                else
                {
                    Expect(Keyword.Immediate);
                    c = c with { InitiallyDeferred = false };
                }
            }
            else if (Is(Keyword.Not) && IsAt(1, Keyword.Valid))
            {
                _pos += 2;
                c = c with { NotValid = true };
            }
            else
            {
                return c;
            }
        }
    }

    private Constraint ParseReferences(string? name, IReadOnlyList<string>? columns)
    {
        Expect(Keyword.References);
        var table = QualifiedName();
        IReadOnlyList<string>? refCols = Is(TokenKind.LParen) ? ParenColIdList() : null;
        string? match = null;
        if (Accept(Keyword.Match))
        {
            match = Accept(Keyword.Full) ? "full" : Accept(Keyword.Partial) ? "partial" : Expect(Keyword.Simple).Value;
        }

        var onDelete = ForeignKeyAction.NoAction;
        var onUpdate = ForeignKeyAction.NoAction;
        while (Is(Keyword.On) && (IsAt(1, Keyword.Delete) || IsAt(1, Keyword.Update)))
        {
            _pos++;
            var isDelete = Advance().Keyword == Keyword.Delete;
            ForeignKeyAction action;
            if (Accept(Keyword.Cascade))
            {
                action = ForeignKeyAction.Cascade;
            }
            else if (Accept(Keyword.Restrict))
            {
                action = ForeignKeyAction.Restrict;
            }
            else if (Accept(Keyword.No))
            {
                Expect(Keyword.Action);
                action = ForeignKeyAction.NoAction;
            }
            else
            {
                Expect(Keyword.Set);
                action = Accept(Keyword.Null) ? ForeignKeyAction.SetNull : Expect(Keyword.Default).Keyword == Keyword.Default ? ForeignKeyAction.SetDefault : ForeignKeyAction.SetNull;
            }

            if (isDelete)
            {
                onDelete = action;
            }
            else
            {
                onUpdate = action;
            }
        }

        return new Constraint(ConstraintKind.ForeignKey, name, Columns: columns, RefTable: table, RefColumns: refCols, OnDelete: onDelete, OnUpdate: onUpdate, Match: match);
    }

    private Constraint ParseTableConstraint()
    {
        var start = Peek.Start;
        string? name = null;
        if (Accept(Keyword.Constraint))
        {
            name = ColId();
        }

        var t = Peek;
        Constraint c;
        switch (t.Kind == TokenKind.Identifier ? t.Keyword : Keyword.NotAKeyword)
        {
            case Keyword.Check:
            {
                _pos++;
                Expect(TokenKind.LParen);
                var e = ParseExpr();
                Expect(TokenKind.RParen);
                c = new Constraint(ConstraintKind.Check, name, Expr: e, NoInherit: Accept(Keyword.No, Keyword.Inherit));
                break;
            }

            case Keyword.Unique or Keyword.Primary:
            {
                _pos++;
                var isPk = t.Keyword == Keyword.Primary;
                if (isPk)
                {
                    Expect(Keyword.Key);
                }

                var nnd = !isPk && ParseNullsDistinct();
                var cols = ParenColIdList();
                IReadOnlyList<string>? include = null;
                if (Accept(Keyword.Include))
                {
                    include = ParenColIdList();
                }

                var opts = ParseIndexParameters();
                c = new Constraint(isPk ? ConstraintKind.PrimaryKey : ConstraintKind.Unique, name, Columns: cols, Include: include, Options: opts, NullsNotDistinct: nnd);
                break;
            }

            case Keyword.Foreign:
            {
                _pos++;
                Expect(Keyword.Key);
                var cols = ParenColIdList();
                c = ParseReferences(name, cols);
                break;
            }

            default:
                throw SyntaxError();
        }

        return ParseConstraintAttributes(c) with { Position = start };
    }

    private Statement ParseCreateIndex(int start)
    {
        var unique = Accept(Keyword.Unique);
        Expect(Keyword.Index);
        var concurrently = Accept(Keyword.Concurrently);
        var ifNotExists = ParseIfNotExists();
        string? name = null;
        if (!Is(Keyword.On))
        {
            name = ColId();
        }
        else if (ifNotExists)
        {
            throw SyntaxError();
        }

        Expect(Keyword.On);
        var only = Accept(Keyword.Only);
        var table = QualifiedName();
        Accept(TokenKind.Star);
        string? method = null;
        if (Accept(Keyword.Using))
        {
            method = ColId();
        }

        var elems = ParseIndexElems();
        IReadOnlyList<string> include = [];
        if (Accept(Keyword.Include))
        {
            include = ParenColIdList();
        }

        var nnd = ParseNullsDistinct();
        IReadOnlyList<DefElem> options = [];
        if (Accept(Keyword.With))
        {
            options = ParseRelOptions();
        }

        if (Accept(Keyword.Tablespace))
        {
            ColId();
        }

        Expr? where = null;
        if (Accept(Keyword.Where))
        {
            where = ParseExpr();
        }

        return new CreateIndexStatement(name, table, only, unique, concurrently, ifNotExists, method, elems, include, options, where, nnd) { Position = start };
    }

    private Statement ParseCreateView(int start, bool orReplace, Persistence persistence, bool materialized)
    {
        var recursive = !materialized && Accept(Keyword.Recursive);
        Expect(Keyword.View);
        var ifNotExists = materialized && ParseIfNotExists();
        _ = ifNotExists;
        var name = QualifiedName();
        IReadOnlyList<string> cols = Is(TokenKind.LParen) ? ParenColIdList() : [];
        IReadOnlyList<DefElem> options = [];
        if (Accept(Keyword.With))
        {
            options = ParseRelOptions();
        }

        Expect(Keyword.As);
        var query = ParseSelectStatement();
        string? check = null;
        if (!materialized && Accept(Keyword.With))
        {
            check = Accept(Keyword.Local) ? "local" : "cascaded";
            Accept(Keyword.Cascaded);
            Expect(Keyword.Check);
            Expect(Keyword.Option);
        }
        else if (materialized && Accept(Keyword.With))
        {
            Accept(Keyword.No);
            Expect(Keyword.Data);
        }

        _ = recursive;
        return new CreateViewStatement(name, orReplace, persistence, cols, query, options, check, materialized) { Position = start };
    }
}
