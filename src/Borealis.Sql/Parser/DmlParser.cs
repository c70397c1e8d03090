using Borealis.Sql.Ast;

namespace Borealis.Sql.Parser;

/// <summary>INSERT, UPDATE, DELETE.</summary>
public sealed partial class SqlParser
{
    private InsertStatement ParseInsert(WithClause? with)
    {
        var start = with?.Position ?? Peek.Start;
        Expect(Keyword.Insert);
        Expect(Keyword.Into);
        var table = QualifiedName();
        string? alias = null;
        if (Accept(Keyword.As))
        {
            alias = ColId();
        }

        IReadOnlyList<string> columns = [];
        if (Is(TokenKind.LParen) && !IsSelectStart(lookThroughParens: true))
        {
            columns = ParenColIdList();
        }

        string? overriding = null;
        if (Accept(Keyword.Overriding))
        {
            overriding = Accept(Keyword.System) ? "system" : Expect(Keyword.User).Value;
            Expect(Keyword.Value);
        }

        SelectStatement? source = null;
        if (Is(Keyword.Default) && IsAt(1, Keyword.Values))
        {
            _pos += 2;
        }
        else
        {
            source = ParseSelectStatement();
        }

        OnConflictClause? onConflict = null;
        if (Is(Keyword.On) && IsAt(1, Keyword.Conflict))
        {
            onConflict = ParseOnConflict();
        }

        var returning = ParseReturning();
        return new InsertStatement(with, table, alias, columns, source, onConflict, returning, overriding) { Position = start };
    }

    private IReadOnlyList<ResultTarget> ParseReturning() => Accept(Keyword.Returning) ? ParseTargetList() : NoTargets;

    private OnConflictClause ParseOnConflict()
    {
        var start = Peek.Start;
        _pos += 2;
        IReadOnlyList<IndexElem> target = [];
        Expr? targetWhere = null;
        string? constraint = null;
        if (Is(TokenKind.LParen))
        {
            target = ParseIndexElems();
            if (Accept(Keyword.Where))
            {
                targetWhere = ParseExpr();
            }
        }
        else if (Is(Keyword.On))
        {
            _pos++;
            Expect(Keyword.Constraint);
            constraint = ColId();
        }

        Expect(Keyword.Do);
        if (Accept(Keyword.Nothing))
        {
            return new OnConflictClause(target, targetWhere, constraint, false, [], null) { Position = start };
        }

        Expect(Keyword.Update);
        Expect(Keyword.Set);
        var set = ParseSetClauses();
        Expr? where = null;
        if (Accept(Keyword.Where))
        {
            where = ParseExpr();
        }

        return new OnConflictClause(target, targetWhere, constraint, true, set, where) { Position = start };
    }

    private List<SetClause> ParseSetClauses()
    {
        var list = new List<SetClause>();
        do
        {
            var start = Peek.Start;
            if (Accept(TokenKind.LParen))
            {
                var cols = ColIdList();
                Expect(TokenKind.RParen);
                Expect(TokenKind.Equals);
                var value = ParseExpr();
                list.Add(new SetClause(cols, value, true) { Position = start });
            }
            else
            {
                var col = ColId();
                Expect(TokenKind.Equals);
                var value = ParseExpr();
                list.Add(new SetClause([col], value, false) { Position = start });
            }
        }
        while (Accept(TokenKind.Comma));
        return list;
    }

    private UpdateStatement ParseUpdate(WithClause? with)
    {
        var start = with?.Position ?? Peek.Start;
        Expect(Keyword.Update);
        var only = Accept(Keyword.Only);
        var table = QualifiedName();
        Accept(TokenKind.Star);
        var alias = ParseOptAlias(excludeSet: true);
        Expect(Keyword.Set);
        var set = ParseSetClauses();
        var from = Accept(Keyword.From) ? ParseFromList() : NoTables;
        Expr? where = null;
        if (Accept(Keyword.Where))
        {
            where = ParseExpr();
        }

        var returning = ParseReturning();
        return new UpdateStatement(with, table, only, alias?.Name, set, from, where, returning) { Position = start };
    }

    private DeleteStatement ParseDelete(WithClause? with)
    {
        var start = with?.Position ?? Peek.Start;
        Expect(Keyword.Delete);
        Expect(Keyword.From);
        var only = Accept(Keyword.Only);
        var table = QualifiedName();
        Accept(TokenKind.Star);
        var alias = ParseOptAlias();
        var usingList = Accept(Keyword.Using) ? ParseFromList() : NoTables;
        Expr? where = null;
        if (Accept(Keyword.Where))
        {
            where = ParseExpr();
        }

        var returning = ParseReturning();
        return new DeleteStatement(with, table, only, alias?.Name, usingList, where, returning) { Position = start };
    }

    /// <summary>'(' index_elem, … ')'.</summary>
    private List<IndexElem> ParseIndexElems()
    {
        Expect(TokenKind.LParen);
        var list = new List<IndexElem>();
        do
        {
            var start = Peek.Start;
            string? column = null;
            Expr? expr = null;
            if (Is(TokenKind.LParen))
            {
                _pos++;
                expr = ParseExpr();
                Expect(TokenKind.RParen);
            }
            else if (IsColId(Peek) && PeekAt(1).Kind != TokenKind.LParen && PeekAt(1).Kind != TokenKind.Dot)
            {
                column = ColId();
            }
            else if ((IsColId(Peek) || IsTypeFuncName(Peek)) && PeekAt(1).Kind is TokenKind.LParen or TokenKind.Dot)
            {
                expr = ParseExpr(PrecSubscript);
            }
            else
            {
                throw SyntaxError();
            }

            IReadOnlyList<string>? collation = null;
            if (Accept(Keyword.Collate))
            {
                collation = AnyName();
            }

            IReadOnlyList<string>? opclass = null;
            if (IsColId(Peek) && !(Is(Keyword.Nulls) && (IsAt(1, Keyword.First) || IsAt(1, Keyword.Last))))
            {
                opclass = AnyName();
            }

            var dir = Accept(Keyword.Asc) ? SortDirection.Asc : Accept(Keyword.Desc) ? SortDirection.Desc : SortDirection.Default;
            var nulls = NullsOrder.Default;
            if (Is(Keyword.Nulls) && (IsAt(1, Keyword.First) || IsAt(1, Keyword.Last)))
            {
                _pos++;
                nulls = Advance().Keyword == Keyword.First ? NullsOrder.First : NullsOrder.Last;
            }

            list.Add(new IndexElem(column, expr, collation, opclass, dir, nulls) { Position = start });
        }
        while (Accept(TokenKind.Comma));
        Expect(TokenKind.RParen);
        return list;
    }
}
