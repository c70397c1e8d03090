using Borealis.Sql.Ast;

namespace Borealis.Sql.Parser;

/// <summary>DROP, ALTER, TRUNCATE, COMMENT ON, GRANT/REVOKE.</summary>
public sealed partial class SqlParser
{
    private Statement ParseDrop()
    {
        var start = Expect(Keyword.Drop).Start;
        var t = Advance();
        ObjectKind kind;
        switch (t.Kind == TokenKind.Identifier ? t.Keyword : Keyword.NotAKeyword)
        {
            case Keyword.Table:
                kind = ObjectKind.Table;
                break;
            case Keyword.Index:
                kind = ObjectKind.Index;
                break;
            case Keyword.Sequence:
                kind = ObjectKind.Sequence;
                break;
            case Keyword.View:
                kind = ObjectKind.View;
                break;
            case Keyword.Materialized:
                Expect(Keyword.View);
                kind = ObjectKind.MaterializedView;
                break;
            case Keyword.Schema:
                kind = ObjectKind.Schema;
                break;
            case Keyword.Database:
                kind = ObjectKind.Database;
                break;
            case Keyword.Role or Keyword.User or Keyword.Group:
                kind = ObjectKind.Role;
                break;
            case Keyword.Extension:
                kind = ObjectKind.Extension;
                break;
            case Keyword.Type:
                kind = ObjectKind.Type;
                break;
            default:
                throw SyntaxErrorAt(t);
        }

        var concurrently = kind == ObjectKind.Index && Accept(Keyword.Concurrently);
        var ifExists = ParseIfExists();
        List<QualifiedName> names;
        if (kind is ObjectKind.Database or ObjectKind.Role)
        {
            names = [];
            do
            {
                var p = Peek.Start;
                names.Add(new QualifiedName(null, null, kind == ObjectKind.Role ? RoleSpec() : ColId()) { Position = p });
            }
            while (kind == ObjectKind.Role && Accept(TokenKind.Comma));
            if (kind == ObjectKind.Database && Is(TokenKind.LParen) || (kind == ObjectKind.Database && Is(Keyword.With)))
            {
                Accept(Keyword.With);
                Expect(TokenKind.LParen);
                Expect(Keyword.Force);
                Expect(TokenKind.RParen);
            }

            return new DropStatement(kind, names, ifExists, DropBehavior.Default) { Position = start };
        }

        names = QualifiedNameList();
        return new DropStatement(kind, names, ifExists, OptDropBehavior(), concurrently) { Position = start };
    }

    private Statement ParseAlter()
    {
        var start = Expect(Keyword.Alter).Start;
        var t = Advance();
        switch (t.Kind == TokenKind.Identifier ? t.Keyword : Keyword.NotAKeyword)
        {
            case Keyword.Table:
                return ParseAlterTable(start);
            case Keyword.Index or Keyword.View:
            {
                var kind = t.Keyword == Keyword.Index ? ObjectKind.Index : ObjectKind.View;
                var ifExists = ParseIfExists();
                var name = QualifiedName();
                Expect(Keyword.Rename);
                Expect(Keyword.To);
                return new RenameStatement(kind, name, ifExists, null, null, ColId()) { Position = start };
            }

            case Keyword.Sequence:
            {
                var ifExists = ParseIfExists();
                var name = QualifiedName();
                if (Accept(Keyword.Rename))
                {
                    Expect(Keyword.To);
                    return new RenameStatement(ObjectKind.Sequence, name, ifExists, null, null, ColId()) { Position = start };
                }

                var options = ParseSequenceOptions();
                if (options.Count == 0)
                {
                    throw SyntaxError();
                }

                return new AlterSequenceStatement(name, ifExists, options) { Position = start };
            }

            case Keyword.Role or Keyword.User:
            {
                var name = RoleSpec();
                Accept(Keyword.With);
                return new AlterRoleStatement(name, ParseRoleOptions()) { Position = start };
            }

            default:
                throw SyntaxErrorAt(t);
        }
    }

    private Statement ParseAlterTable(int start)
    {
        var ifExists = ParseIfExists();
        var only = Accept(Keyword.Only);
        var table = QualifiedName();
        Accept(TokenKind.Star);
        if (Accept(Keyword.Rename))
        {
            if (Accept(Keyword.To))
            {
                return new RenameStatement(ObjectKind.Table, table, ifExists, null, null, ColId()) { Position = start };
            }

            if (Accept(Keyword.Constraint))
            {
                var old = ColId();
                Expect(Keyword.To);
                return new RenameStatement(ObjectKind.Table, table, ifExists, ObjectKind.Constraint, old, ColId()) { Position = start };
            }

            Accept(Keyword.Column);
            var oldCol = ColId();
            Expect(Keyword.To);
            return new RenameStatement(ObjectKind.Table, table, ifExists, ObjectKind.Column, oldCol, ColId()) { Position = start };
        }

        var commands = new List<AlterTableCommand>();
        do
        {
            commands.Add(ParseAlterTableCommand());
        }
        while (Accept(TokenKind.Comma));
        return new AlterTableStatement(table, ifExists, only, commands) { Position = start };
    }

    private AlterTableCommand ParseAlterTableCommand()
    {
        var t = Peek;
        var start = t.Start;
        if (Accept(Keyword.Add))
        {
            if (IsTableConstraintStart())
            {
                return new AddConstraintCommand(ParseTableConstraint()) { Position = start };
            }

            Accept(Keyword.Column);
            var ifNotExists = ParseIfNotExists();
            return new AddColumnCommand(ParseColumnDef(), ifNotExists) { Position = start };
        }

        if (Accept(Keyword.Drop))
        {
            if (Accept(Keyword.Constraint))
            {
                var ifExists = ParseIfExists();
                var name = ColId();
                return new DropConstraintCommand(name, ifExists, OptDropBehavior()) { Position = start };
            }

            Accept(Keyword.Column);
            var colIfExists = ParseIfExists();
            var col = ColId();
            return new DropColumnCommand(col, colIfExists, OptDropBehavior()) { Position = start };
        }

        if (Accept(Keyword.Alter))
        {
            Accept(Keyword.Column);
            var col = ColId();
            if (Accept(Keyword.Set))
            {
                if (Accept(Keyword.Default))
                {
                    return new AlterColumnDefaultCommand(col, ParseExpr()) { Position = start };
                }

                if (Accept(Keyword.Not))
                {
                    Expect(Keyword.Null);
                    return new AlterColumnNotNullCommand(col, true) { Position = start };
                }

                Expect(Keyword.Data);
                Expect(Keyword.Type);
                return ParseAlterColumnType(col, start);
            }

            if (Accept(Keyword.Drop))
            {
                if (Accept(Keyword.Default))
                {
                    return new AlterColumnDefaultCommand(col, null) { Position = start };
                }

                Expect(Keyword.Not);
                Expect(Keyword.Null);
                return new AlterColumnNotNullCommand(col, false) { Position = start };
            }

            Expect(Keyword.Type);
            return ParseAlterColumnType(col, start);
        }

        if (Accept(Keyword.Owner))
        {
            Expect(Keyword.To);
            return new OwnerToCommand(RoleSpec()) { Position = start };
        }

        throw SyntaxError();
    }

    private AlterColumnTypeCommand ParseAlterColumnType(string col, int start)
    {
        var type = ParseTypeName();
        IReadOnlyList<string>? collation = null;
        if (Accept(Keyword.Collate))
        {
            collation = AnyName();
        }

        Expr? usingExpr = null;
        if (Accept(Keyword.Using))
        {
            usingExpr = ParseExpr();
        }

        return new AlterColumnTypeCommand(col, type, collation, usingExpr) { Position = start };
    }

    private Statement ParseTruncate()
    {
        var start = Expect(Keyword.Truncate).Start;
        Accept(Keyword.Table);
        var tables = new List<TableName>();
        do
        {
            var p = Peek.Start;
            var only = Accept(Keyword.Only);
            var name = QualifiedName();
            Accept(TokenKind.Star);
            tables.Add(new TableName(name, only, null) { Position = p });
        }
        while (Accept(TokenKind.Comma));
        var restart = false;
        if (Accept(Keyword.Restart))
        {
            Expect(Keyword.Identity);
            restart = true;
        }
        else if (Accept(Keyword.Continue))
        {
            Expect(Keyword.Identity);
        }

        return new TruncateStatement(tables, restart, OptDropBehavior()) { Position = start };
    }

    private Statement ParseComment()
    {
        var start = Expect(Keyword.Comment).Start;
        Expect(Keyword.On);
        var t = Advance();
        ObjectKind kind = (t.Kind == TokenKind.Identifier ? t.Keyword : Keyword.NotAKeyword) switch
        {
            Keyword.Table => ObjectKind.Table,
            Keyword.Column => ObjectKind.Column,
            Keyword.Index => ObjectKind.Index,
            Keyword.Sequence => ObjectKind.Sequence,
            Keyword.View => ObjectKind.View,
            Keyword.Schema => ObjectKind.Schema,
            Keyword.Database => ObjectKind.Database,
            Keyword.Role => ObjectKind.Role,
            Keyword.Extension => ObjectKind.Extension,
            Keyword.Type => ObjectKind.Type,
            _ => throw SyntaxErrorAt(t),
        };
        var name = AnyName();
        Expect(Keyword.Is);
        string? text = Accept(Keyword.Null) ? null : StringConstant();
        return new CommentStatement(kind, name, text) { Position = start };
    }

    private Statement ParseGrant()
    {
        var first = Advance();
        var start = first.Start;
        var isGrant = first.Keyword == Keyword.Grant;
        var grantOptionFor = false;
        if (!isGrant && Is(Keyword.Grant) && IsAt(1, Keyword.Option))
        {
            _pos += 2;
            Expect(Keyword.For);
            grantOptionFor = true;
        }

        var privileges = new List<string>();
        if (Accept(Keyword.All))
        {
            Accept(Keyword.Privileges);
        }
        else
        {
            do
            {
                var p = Peek;
                if (!IsColId(p) && !(p.Kind == TokenKind.Identifier && p.Keyword is Keyword.Select or Keyword.References or Keyword.Create))
                {
                    throw SyntaxError();
                }

                _pos++;
                privileges.Add(p.Value!);
                if (Is(TokenKind.LParen))
                {
                    ParenColIdList();
                }
            }
            while (Accept(TokenKind.Comma));
        }

        if (!Is(Keyword.On))
        {
            // GRANT role TO role / REVOKE role FROM role.
            if (isGrant)
            {
                Expect(Keyword.To);
            }
            else
            {
                Expect(Keyword.From);
            }

            var grantees = RoleList();
            var admin = false;
            if (isGrant && Accept(Keyword.With))
            {
                Expect(Keyword.Admin);
                Expect(Keyword.Option);
                admin = true;
            }

            if (Is(Keyword.Granted))
            {
                _pos++;
                Expect(Keyword.By);
                RoleSpec();
            }

            if (!isGrant)
            {
                OptDropBehavior();
            }

            return new GrantRoleStatement(isGrant, privileges, grantees, admin) { Position = start };
        }

        Expect(Keyword.On);
        var kind = ObjectKind.Table;
        var allInSchema = false;
        var k = Peek;
        if (Is(Keyword.All) && (IsAt(1, Keyword.Tables) || IsAt(1, Keyword.Sequences) || IsAt(1, Keyword.Functions)))
        {
            _pos++;
            var what = Advance().Keyword;
            Expect(Keyword.In);
            Expect(Keyword.Schema);
            kind = what switch
            {
                Keyword.Tables => ObjectKind.Table,
                Keyword.Sequences => ObjectKind.Sequence,
                _ => ObjectKind.Function,
            };
            allInSchema = true;
        }
        else if (k.Kind == TokenKind.Identifier && k.Keyword is Keyword.Table or Keyword.Sequence or Keyword.Schema or Keyword.Database or Keyword.Function)
        {
            _pos++;
            kind = k.Keyword switch
            {
                Keyword.Table => ObjectKind.Table,
                Keyword.Sequence => ObjectKind.Sequence,
                Keyword.Schema => ObjectKind.Schema,
                Keyword.Database => ObjectKind.Database,
                _ => ObjectKind.Function,
            };
        }

        var objects = QualifiedNameList();
        if (isGrant)
        {
            Expect(Keyword.To);
        }
        else
        {
            Expect(Keyword.From);
        }

        var roles = new List<string>();
        do
        {
            Accept(Keyword.Group);
            roles.Add(RoleSpec());
        }
        while (Accept(TokenKind.Comma));
        var withGrant = grantOptionFor;
        if (isGrant && Accept(Keyword.With))
        {
            Expect(Keyword.Grant);
            Expect(Keyword.Option);
            withGrant = true;
        }

        var behavior = isGrant ? DropBehavior.Default : OptDropBehavior();
        return new GrantStatement(isGrant, privileges, kind, allInSchema, objects, roles, withGrant, behavior) { Position = start };
    }
}
