using Borealis.Sql.Ast;

namespace Borealis.Sql.Parser;

/// <summary>Keyword-introduced expression forms: literals, CASE, CAST, ARRAY, special functions,
/// function calls with aggregates and window clauses.</summary>
public sealed partial class SqlParser
{
    private Expr ParseWordExpr(Token t)
    {
        var next = PeekAt(1);
        var paren = next.Kind == TokenKind.LParen;
        switch (t.Keyword)
        {
            case Keyword.NotAKeyword:
                return ParseNameExpr();
            case Keyword.True or Keyword.False:
                _pos++;
                return new BooleanLiteral(t.Keyword == Keyword.True) { Position = t.Start };
            case Keyword.Null:
                _pos++;
                return new NullLiteral { Position = t.Start };
            case Keyword.Default:
                _pos++;
                return new DefaultExpr { Position = t.Start };
            case Keyword.Case:
                return ParseCase();
            case Keyword.Cast:
            {
                _pos++;
                Expect(TokenKind.LParen);
                var arg = ParseExpr();
                Expect(Keyword.As);
                var type = ParseTypeName();
                Expect(TokenKind.RParen);
                return new TypeCast(arg, type) { Position = t.Start };
            }

            case Keyword.Array:
                return ParseArray();
            case Keyword.Exists:
            {
                _pos++;
                Expect(TokenKind.LParen);
                var q = ParseSelectStatement();
                Expect(TokenKind.RParen);
                return new SubLink(SubLinkKind.Exists, null, null, q) { Position = t.Start };
            }

            case Keyword.Row when paren:
            {
                _pos += 2;
                var args = Is(TokenKind.RParen) ? [] : ParseExprList();
                Expect(TokenKind.RParen);
                return new RowExpr(args, true) { Position = t.Start };
            }

            case Keyword.CurrentDate:
                _pos++;
                return new SqlValueFunction(SqlValueKind.CurrentDate, null) { Position = t.Start };
            case Keyword.CurrentTime or Keyword.CurrentTimestamp or Keyword.Localtime or Keyword.Localtimestamp:
            {
                _pos++;
                int? precision = null;
                if (Accept(TokenKind.LParen))
                {
                    var p = Expect(TokenKind.Integer);
                    precision = (int)Math.Clamp(p.Integer, int.MinValue, int.MaxValue);
                    Expect(TokenKind.RParen);
                }

                var kind = t.Keyword switch
                {
                    Keyword.CurrentTime => SqlValueKind.CurrentTime,
                    Keyword.CurrentTimestamp => SqlValueKind.CurrentTimestamp,
                    Keyword.Localtime => SqlValueKind.LocalTime,
                    _ => SqlValueKind.LocalTimestamp,
                };
                return new SqlValueFunction(kind, precision) { Position = t.Start };
            }

            case Keyword.CurrentRole or Keyword.CurrentUser or Keyword.SessionUser or Keyword.User or Keyword.CurrentCatalog:
            {
                _pos++;
                var kind = t.Keyword switch
                {
                    Keyword.CurrentRole => SqlValueKind.CurrentRole,
                    Keyword.CurrentUser => SqlValueKind.CurrentUser,
                    Keyword.SessionUser => SqlValueKind.SessionUser,
                    Keyword.User => SqlValueKind.User,
                    _ => SqlValueKind.CurrentCatalog,
                };
                return new SqlValueFunction(kind, null) { Position = t.Start };
            }

            case Keyword.CurrentSchema when !paren:
                _pos++;
                return new SqlValueFunction(SqlValueKind.CurrentSchema, null) { Position = t.Start };
            case Keyword.Coalesce or Keyword.Greatest or Keyword.Least or Keyword.Nullif when paren:
            {
                _pos += 2;
                var args = ParseExprList();
                Expect(TokenKind.RParen);
                if (t.Keyword == Keyword.Nullif && args.Count != 2)
                {
                    throw SyntaxErrorAt(_tokens[_pos - 1]);
                }

                var kind = t.Keyword switch
                {
                    Keyword.Coalesce => ConditionalKind.Coalesce,
                    Keyword.Greatest => ConditionalKind.Greatest,
                    Keyword.Least => ConditionalKind.Least,
                    _ => ConditionalKind.NullIf,
                };
                return new ConditionalExpr(kind, args) { Position = t.Start };
            }

            case Keyword.Extract when paren:
                return ParseExtract();
            case Keyword.Position when paren:
            {
                _pos += 2;
                var needle = ParseExpr(PrecLike + 1);
                Expect(Keyword.In);
                var haystack = ParseExpr(PrecLike + 1);
                Expect(TokenKind.RParen);
                return new FuncCall(["pg_catalog", "position"], [haystack, needle]) { Position = t.Start };
            }

            case Keyword.Substring when paren:
                return ParseSubstring();
            case Keyword.Trim when paren:
                return ParseTrim();
            case Keyword.Overlay when paren:
                return ParseOverlay();
        }

        if (IsTypeLiteralStart(t, next))
        {
            var type = ParseTypeName(allowArray: false);
            var lit = Expect(TokenKind.String);
            var fields = type.IntervalFields;
            if (type.Names is [_, "interval"] && fields is null)
            {
                fields = ParseIntervalFields();
                if (fields is not null)
                {
                    type = type with { IntervalFields = fields };
                }
            }

            return new TypeCast(new StringLiteral(lit.Value!) { Position = lit.Start }, type) { Position = t.Start };
        }

        var category = Keywords.Category(t.Keyword);
        if (category == KeywordCategory.Reserved)
        {
            throw SyntaxError();
        }

        return ParseNameExpr();
    }

    /// <summary>ConstTypename Sconst: a SQL-standard type keyword followed by a literal.</summary>
    private static bool IsTypeLiteralStart(Token t, Token next)
    {
        switch (t.Keyword)
        {
            case Keyword.Int or Keyword.Integer or Keyword.Smallint or Keyword.Bigint or Keyword.Real or Keyword.Boolean
                or Keyword.Dec or Keyword.Decimal or Keyword.Numeric or Keyword.Float or Keyword.Char or Keyword.Character
                or Keyword.Varchar or Keyword.Nchar or Keyword.Bit or Keyword.Time or Keyword.Timestamp or Keyword.Interval:
                return next.Kind is TokenKind.String or TokenKind.LParen ||
                       next.IsKeyword(Keyword.Varying) || next.IsKeyword(Keyword.With) || next.IsKeyword(Keyword.Without);
            case Keyword.Double:
                return next.IsKeyword(Keyword.Precision);
            case Keyword.National:
                return next.IsKeyword(Keyword.Character) || next.IsKeyword(Keyword.Char);
            default:
                return false;
        }
    }

    private Expr ParseCase()
    {
        var start = Advance().Start;
        Expr? arg = null;
        if (!Is(Keyword.When))
        {
            arg = ParseExpr();
        }

        var whens = new List<CaseWhen>();
        while (Is(Keyword.When))
        {
            var w = Advance().Start;
            var cond = ParseExpr();
            Expect(Keyword.Then);
            var result = ParseExpr();
            whens.Add(new CaseWhen(cond, result) { Position = w });
        }

        if (whens.Count == 0)
        {
            throw SyntaxError();
        }

        Expr? elseExpr = null;
        if (Accept(Keyword.Else))
        {
            elseExpr = ParseExpr();
        }

        Expect(Keyword.End);
        return new CaseExpr(arg, whens, elseExpr) { Position = start };
    }

    private Expr ParseArray()
    {
        var start = Advance().Start;
        if (Is(TokenKind.LParen))
        {
            _pos++;
            var q = ParseSelectStatement();
            Expect(TokenKind.RParen);
            return new SubLink(SubLinkKind.Array, null, null, q) { Position = start };
        }

        var arr = ParseArrayBrackets(start);
        return Is(TokenKind.LBracket) || Is(TokenKind.Dot) ? WithIndirection(arr) : arr;
    }

    private ArrayExpr ParseArrayBrackets(int start)
    {
        Expect(TokenKind.LBracket);
        var elems = new List<Expr>();
        if (!Is(TokenKind.RBracket))
        {
            do
            {
                if (Is(TokenKind.LBracket))
                {
                    Enter();
                    elems.Add(ParseArrayBrackets(Peek.Start));
                    Leave();
                }
                else
                {
                    elems.Add(ParseExpr());
                }
            }
            while (Accept(TokenKind.Comma));
        }

        Expect(TokenKind.RBracket);
        return new ArrayExpr(elems) { Position = start };
    }

    private Expr ParseExtract()
    {
        var start = Advance().Start;
        Expect(TokenKind.LParen);
        var f = Peek;
        string field;
        if (f.Kind == TokenKind.String)
        {
            field = f.Value!;
        }
        else if (f.Kind == TokenKind.Identifier &&
                 (f.Keyword is Keyword.NotAKeyword or Keyword.Year or Keyword.Month or Keyword.Day or Keyword.Hour or Keyword.Minute or Keyword.Second))
        {
            field = f.Value!;
        }
        else
        {
            throw SyntaxError();
        }

        _pos++;
        Expect(Keyword.From);
        var source = ParseExpr();
        Expect(TokenKind.RParen);
        return new FuncCall(["pg_catalog", "extract"], [new StringLiteral(field) { Position = f.Start }, source]) { Position = start };
    }

    private Expr ParseSubstring()
    {
        var start = Advance().Start;
        Expect(TokenKind.LParen);
        var str = ParseExpr();
        if (Is(TokenKind.Comma) || Is(TokenKind.RParen))
        {
            var args = new List<Expr> { str };
            while (Accept(TokenKind.Comma))
            {
                args.Add(ParseExpr());
            }

            Expect(TokenKind.RParen);
            return new FuncCall(["substring"], args) { Position = start };
        }

        Expr? from = null;
        Expr? @for = null;
        if (Accept(Keyword.From))
        {
            from = ParseExpr();
            if (Accept(Keyword.For))
            {
                @for = ParseExpr();
            }
        }
        else if (Accept(Keyword.For))
        {
            @for = ParseExpr();
            if (Accept(Keyword.From))
            {
                from = ParseExpr();
            }
        }
        else
        {
            throw SyntaxError();
        }

        Expect(TokenKind.RParen);
        List<Expr> list = [str, from ?? new IntegerLiteral(1) { Position = -1 }];
        if (@for is not null)
        {
            list.Add(@for);
        }

        return new FuncCall(["pg_catalog", "substring"], list) { Position = start };
    }

    private Expr ParseTrim()
    {
        var start = Advance().Start;
        Expect(TokenKind.LParen);
        var fn = "btrim";
        if (Accept(Keyword.Leading))
        {
            fn = "ltrim";
        }
        else if (Accept(Keyword.Trailing))
        {
            fn = "rtrim";
        }
        else
        {
            Accept(Keyword.Both);
        }

        List<Expr> args;
        if (Accept(Keyword.From))
        {
            args = ParseExprList();
        }
        else
        {
            var first = ParseExpr();
            if (Accept(Keyword.From))
            {
                args = ParseExprList();
                args.Add(first);
            }
            else
            {
                args = [first];
                while (Accept(TokenKind.Comma))
                {
                    args.Add(ParseExpr());
                }
            }
        }

        Expect(TokenKind.RParen);
        return new FuncCall(["pg_catalog", fn], args) { Position = start };
    }

    private Expr ParseOverlay()
    {
        var start = Advance().Start;
        Expect(TokenKind.LParen);
        var str = ParseExpr();
        if (!Accept(Keyword.Placing))
        {
            var args = new List<Expr> { str };
            while (Accept(TokenKind.Comma))
            {
                args.Add(ParseExpr());
            }

            Expect(TokenKind.RParen);
            return new FuncCall(["overlay"], args) { Position = start };
        }

        var placing = ParseExpr();
        Expect(Keyword.From);
        var from = ParseExpr();
        List<Expr> list = [str, placing, from];
        if (Accept(Keyword.For))
        {
            list.Add(ParseExpr());
        }

        Expect(TokenKind.RParen);
        return new FuncCall(["pg_catalog", "overlay"], list) { Position = start };
    }

    /// <summary>name(…) [WITHIN GROUP (…)] [FILTER (WHERE …)] [OVER …].</summary>
    private Expr ParseFunctionCall(List<string> name, int start)
    {
        Expect(TokenKind.LParen);
        var args = new List<Expr>();
        var star = false;
        var distinct = false;
        var variadic = false;
        List<SortItem>? orderBy = null;
        if (Accept(TokenKind.Star))
        {
            star = true;
        }
        else if (!Is(TokenKind.RParen))
        {
            if (Accept(Keyword.Distinct))
            {
                distinct = true;
            }
            else
            {
                Accept(Keyword.All);
            }

            while (true)
            {
                if (Accept(Keyword.Variadic))
                {
                    variadic = true;
                }

                args.Add(ParseFunctionArg());
                if (variadic || !Accept(TokenKind.Comma))
                {
                    break;
                }
            }

            if (Is(Keyword.Order))
            {
                orderBy = ParseOrderBy();
            }
        }

        Expect(TokenKind.RParen);
        var withinGroup = false;
        if (Is(Keyword.Within))
        {
            _pos++;
            Expect(Keyword.Group);
            Expect(TokenKind.LParen);
            orderBy = ParseOrderBy();
            Expect(TokenKind.RParen);
            withinGroup = true;
        }

        Expr? filter = null;
        if (Is(Keyword.Filter) && PeekAt(1).Kind == TokenKind.LParen)
        {
            _pos += 2;
            Expect(Keyword.Where);
            filter = ParseExpr();
            Expect(TokenKind.RParen);
        }

        WindowSpec? over = null;
        if (Is(Keyword.Over))
        {
            _pos++;
            if (Is(TokenKind.LParen))
            {
                over = ParseWindowSpec();
            }
            else
            {
                var at = Peek.Start;
                over = new WindowSpec(ColId(), [], [], FrameMode.None, null, null, IsReference: true) { Position = at };
            }
        }

        return new FuncCall(name, args, star, distinct, variadic, orderBy, withinGroup, filter, over) { Position = start };
    }

    private Expr ParseFunctionArg()
    {
        var t = Peek;
        var n = PeekAt(1);
        if (n.Kind is TokenKind.EqualsGreater or TokenKind.ColonEquals && IsTypeFuncName(t))
        {
            _pos += 2;
            return new NamedArgExpr(t.Value!, ParseExpr()) { Position = t.Start };
        }

        return ParseExpr();
    }

    /// <summary>'(' [existing] [PARTITION BY …] [ORDER BY …] [frame] ')'.</summary>
    private WindowSpec ParseWindowSpec()
    {
        var start = Expect(TokenKind.LParen).Start;
        string? refName = null;
        if (IsColId(Peek) && !(Peek.Keyword is Keyword.Partition or Keyword.Range or Keyword.Rows or Keyword.Groups))
        {
            refName = ColId();
        }

        var partition = new List<Expr>();
        if (Is(Keyword.Partition))
        {
            _pos++;
            Expect(Keyword.By);
            partition = ParseExprList();
        }

        var order = Is(Keyword.Order) ? ParseOrderBy() : [];
        var mode = FrameMode.None;
        FrameBound? lo = null;
        FrameBound? hi = null;
        if (Is(Keyword.Rows) || Is(Keyword.Range) || Is(Keyword.Groups))
        {
            mode = Advance().Keyword switch
            {
                Keyword.Rows => FrameMode.Rows,
                Keyword.Range => FrameMode.Range,
                _ => FrameMode.Groups,
            };
            if (Accept(Keyword.Between))
            {
                lo = ParseFrameBound();
                Expect(Keyword.And);
                hi = ParseFrameBound();
            }
            else
            {
                lo = ParseFrameBound();
            }
        }

        Expect(TokenKind.RParen);
        return new WindowSpec(refName, partition, order, mode, lo, hi) { Position = start };
    }

    private FrameBound ParseFrameBound()
    {
        var start = Peek.Start;
        if (Accept(Keyword.Unbounded))
        {
            if (Accept(Keyword.Preceding))
            {
                return new FrameBound(FrameBoundKind.UnboundedPreceding, null) { Position = start };
            }

            Expect(Keyword.Following);
            return new FrameBound(FrameBoundKind.UnboundedFollowing, null) { Position = start };
        }

        if (Accept(Keyword.Current))
        {
            Expect(Keyword.Row);
            return new FrameBound(FrameBoundKind.CurrentRow, null) { Position = start };
        }

        var offset = ParseExpr();
        if (Accept(Keyword.Preceding))
        {
            return new FrameBound(FrameBoundKind.Preceding, offset) { Position = start };
        }

        Expect(Keyword.Following);
        return new FrameBound(FrameBoundKind.Following, offset) { Position = start };
    }

    private List<SortItem> ParseOrderBy()
    {
        Expect(Keyword.Order);
        Expect(Keyword.By);
        var list = new List<SortItem>();
        do
        {
            var start = Peek.Start;
            var e = ParseExpr();
            var dir = Accept(Keyword.Asc) ? SortDirection.Asc : Accept(Keyword.Desc) ? SortDirection.Desc : SortDirection.Default;
            var nulls = NullsOrder.Default;
            if (Is(Keyword.Nulls) && (IsAt(1, Keyword.First) || IsAt(1, Keyword.Last)))
            {
                _pos++;
                nulls = Advance().Keyword == Keyword.First ? NullsOrder.First : NullsOrder.Last;
            }

            list.Add(new SortItem(e, dir, nulls) { Position = start });
        }
        while (Accept(TokenKind.Comma));
        return list;
    }
}
