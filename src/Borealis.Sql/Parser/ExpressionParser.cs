using Borealis.Sql.Ast;

namespace Borealis.Sql.Parser;

/// <summary>Expressions: precedence climbing with PostgreSQL 15's precedence table (gram.y).</summary>
public sealed partial class SqlParser
{
    // Binding power, lowest first. Comparison, IS and LIKE/IN/BETWEEN levels are non-associative.
    private const int PrecOr = 1;
    private const int PrecAnd = 2;
    private const int PrecNot = 3;
    private const int PrecIs = 4;
    private const int PrecCompare = 5;
    private const int PrecLike = 6;
    private const int PrecOp = 8;
    private const int PrecAdd = 9;
    private const int PrecMul = 10;
    private const int PrecExp = 11;
    private const int PrecAt = 12;
    private const int PrecCollate = 13;
    private const int PrecUnary = 14;
    private const int PrecSubscript = 15;
    private const int PrecCast = 16;

    private Expr ParseExpr() => ParseExpr(0);

    private List<Expr> ParseExprList()
    {
        var list = new List<Expr> { ParseExpr() };
        while (Accept(TokenKind.Comma))
        {
            list.Add(ParseExpr());
        }

        return list;
    }

    private Expr ParseExpr(int minPrec)
    {
        Enter();
        try
        {
            var left = ParsePrefix();
            var lastNonAssoc = -1;
            while (true)
            {
                var t = Peek;
                var prec = BinaryPrecedence(t);
                if (prec < 0 || prec < minPrec)
                {
                    return left;
                }

                if (prec == lastNonAssoc)
                {
                    throw SyntaxError();
                }

                left = ParseInfix(left, t, prec);

                // Non-associative levels reject a second operator of the same level only after an
                // infix form that ended in an operand (bison's %nonassoc conflict); postfix forms
                // such as IS NULL or IN (…) are complete and may be followed by anything.
                lastNonAssoc = left switch
                {
                    OperatorExpr { Left: not null } when prec == PrecCompare => prec,
                    DistinctFromExpr or LikeExpr or BetweenExpr => prec,
                    _ => -1,
                };
            }
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>Binding power of t as an infix/postfix operator, or -1.</summary>
    private int BinaryPrecedence(Token t)
    {
        switch (t.Kind)
        {
            case TokenKind.Plus or TokenKind.Minus:
                return PrecAdd;
            case TokenKind.Star or TokenKind.Slash or TokenKind.Percent:
                return PrecMul;
            case TokenKind.Caret:
                return PrecExp;
            case TokenKind.Less or TokenKind.Greater or TokenKind.Equals or TokenKind.LessEquals or TokenKind.GreaterEquals or TokenKind.NotEquals:
                return PrecCompare;
            case TokenKind.Operator:
                return _sql[t.Start] == '$' || (t.End - t.Start == 1 && !IsOperatorChar(_sql[t.Start])) ? -1 : PrecOp;
            case TokenKind.Typecast:
                return PrecCast;
            case TokenKind.Identifier:
                switch (t.Keyword)
                {
                    case Keyword.Or:
                        return PrecOr;
                    case Keyword.And:
                        return PrecAnd;
                    case Keyword.Isnull or Keyword.Notnull:
                        return PrecIs;
                    case Keyword.Is:
                    {
                        // "SELECT c IS FROM t": IS not followed by a test is a bare column label.
                        var n = PeekAt(1);
                        return n.Kind == TokenKind.Identifier &&
                               n.Keyword is Keyword.Not or Keyword.Null or Keyword.True or Keyword.False or Keyword.Unknown or Keyword.Distinct
                                   or Keyword.Document or Keyword.Normalized or Keyword.Nfc or Keyword.Nfd or Keyword.Nfkc or Keyword.Nfkd
                            ? PrecIs
                            : -1;
                    }
                    case Keyword.Between or Keyword.In or Keyword.Like or Keyword.Ilike or Keyword.Similar:
                        return PrecLike;
                    case Keyword.Not:
                    {
                        var n = PeekAt(1);
                        return n.Kind == TokenKind.Identifier && n.Keyword is Keyword.Between or Keyword.In or Keyword.Like or Keyword.Ilike or Keyword.Similar
                            ? PrecLike
                            : -1;
                    }

                    case Keyword.At:
                        return IsAt(1, Keyword.Time) ? PrecAt : -1;
                    case Keyword.Collate:
                        return PrecCollate;
                    case Keyword.Operator:
                        return PeekAt(1).Kind == TokenKind.LParen ? PrecOp : -1;
                }

                return -1;
            default:
                return -1;
        }
    }

    private static bool IsOperatorChar(char c) =>
        c is '~' or '!' or '@' or '#' or '^' or '&' or '|' or '`' or '?' or '+' or '-' or '*' or '/' or '%' or '<' or '>' or '=';

    /// <summary>The operator's text; common operators map to constants without allocating.</summary>
    private string OperatorText(Token t) => t.Kind == TokenKind.NotEquals
        ? "<>"
        : _sql.AsSpan(t.Start, t.End - t.Start) switch
        {
            "+" => "+",
            "-" => "-",
            "*" => "*",
            "/" => "/",
            "%" => "%",
            "^" => "^",
            "<" => "<",
            ">" => ">",
            "=" => "=",
            "<=" => "<=",
            ">=" => ">=",
            "||" => "||",
            "->" => "->",
            "->>" => "->>",
            "#>" => "#>",
            "#>>" => "#>>",
            "@>" => "@>",
            "<@" => "<@",
            "~" => "~",
            "!~" => "!~",
            "~*" => "~*",
            "!~*" => "!~*",
            "~~" => "~~",
            "&&" => "&&",
            var other => other.ToString(),
        };

    private Expr ParseInfix(Expr left, Token t, int prec)
    {
        switch (t.Kind)
        {
            case TokenKind.Typecast:
            {
                _pos++;
                var type = ParseTypeName();
                return new TypeCast(left, type) { Position = t.Start };
            }
        }

        if (t.Kind == TokenKind.Identifier)
        {
            switch (t.Keyword)
            {
                case Keyword.Or or Keyword.And:
                {
                    _pos++;
                    var right = ParseExpr(prec + 1);
                    var op = t.Keyword == Keyword.Or ? BoolOp.Or : BoolOp.And;
                    if (left is BoolExpr b && b.Op == op)
                    {
                        var args = new List<Expr>(b.Args) { right };
                        return b with { Args = args };
                    }

                    return new BoolExpr(op, [left, right]) { Position = t.Start };
                }

                case Keyword.Isnull:
                    _pos++;
                    return new NullTestExpr(left, false) { Position = t.Start };
                case Keyword.Notnull:
                    _pos++;
                    return new NullTestExpr(left, true) { Position = t.Start };
                case Keyword.Is:
                    return ParseIs(left);
                case Keyword.Not or Keyword.Between or Keyword.In or Keyword.Like or Keyword.Ilike or Keyword.Similar:
                    return ParseLikeLevel(left);
                case Keyword.At:
                {
                    _pos++;
                    Expect(Keyword.Time);
                    Expect(Keyword.Zone);
                    var zone = ParseExpr(PrecAt + 1);
                    return new FuncCall(["pg_catalog", "timezone"], [zone, left]) { Position = t.Start };
                }

                case Keyword.Collate:
                {
                    _pos++;
                    var name = AnyName();
                    return new CollateExpr(left, name) { Position = t.Start };
                }

                case Keyword.Operator:
                {
                    var (schema, op) = ParseQualifiedOperator();
                    var right = ParseExpr(PrecOp + 1);
                    return new OperatorExpr(op, left, right, schema) { Position = t.Start };
                }
            }
        }

        // Arithmetic, comparison and other operators.
        _pos++;
        var text = OperatorText(t);
        if ((Is(Keyword.Any) || Is(Keyword.Some) || Is(Keyword.All)) && PeekAt(1).Kind == TokenKind.LParen)
        {
            return ParseAnyAll(left, text, t);
        }

        var rhs = ParseExpr(prec + 1);
        return new OperatorExpr(text, left, rhs) { Position = t.Start };
    }

    /// <summary>OPERATOR(schema.op): returns (schema, op).</summary>
    private (string? Schema, string Op) ParseQualifiedOperator()
    {
        Expect(Keyword.Operator);
        Expect(TokenKind.LParen);
        string? schema = null;
        if (IsColId(Peek))
        {
            schema = ColId();
            Expect(TokenKind.Dot);
        }

        var t = Advance();
        if (t.Kind is not (TokenKind.Operator or TokenKind.Plus or TokenKind.Minus or TokenKind.Star or TokenKind.Slash or TokenKind.Percent
            or TokenKind.Caret or TokenKind.Less or TokenKind.Greater or TokenKind.Equals or TokenKind.LessEquals or TokenKind.GreaterEquals or TokenKind.NotEquals))
        {
            throw SyntaxErrorAt(t);
        }

        var op = OperatorText(t);
        Expect(TokenKind.RParen);
        return (schema, op);
    }

    private Expr ParseAnyAll(Expr left, string op, Token opToken)
    {
        var all = Advance().Keyword == Keyword.All;
        Expect(TokenKind.LParen);
        if (IsSelectStart())
        {
            var q = ParseSelectStatement();
            Expect(TokenKind.RParen);
            return new SubLink(all ? SubLinkKind.All : SubLinkKind.Any, left, op, q) { Position = opToken.Start };
        }

        var arr = ParseExpr();
        Expect(TokenKind.RParen);
        return new AnyAllExpr(op, left, all, arr) { Position = opToken.Start };
    }

    private Expr ParseIs(Expr left)
    {
        var isTok = Advance();
        var not = Accept(Keyword.Not);
        var t = Peek;
        if (t.Kind == TokenKind.Identifier)
        {
            switch (t.Keyword)
            {
                case Keyword.Null:
                    _pos++;
                    return new NullTestExpr(left, not) { Position = isTok.Start };
                case Keyword.True:
                    _pos++;
                    return new BoolTestExpr(left, BoolTestKind.True, not) { Position = isTok.Start };
                case Keyword.False:
                    _pos++;
                    return new BoolTestExpr(left, BoolTestKind.False, not) { Position = isTok.Start };
                case Keyword.Unknown:
                    _pos++;
                    return new BoolTestExpr(left, BoolTestKind.Unknown, not) { Position = isTok.Start };
                case Keyword.Distinct:
                {
                    _pos++;
                    Expect(Keyword.From);
                    var right = ParseExpr(PrecIs + 1);
                    return new DistinctFromExpr(left, right, not) { Position = isTok.Start };
                }
            }
        }

        throw SyntaxError();
    }

    /// <summary>[NOT] BETWEEN / IN / LIKE / ILIKE / SIMILAR TO.</summary>
    private Expr ParseLikeLevel(Expr left)
    {
        var start = Peek.Start;
        var not = Accept(Keyword.Not);
        var t = Advance();
        switch (t.Keyword)
        {
            case Keyword.Between:
            {
                var symmetric = Accept(Keyword.Symmetric);
                if (!symmetric)
                {
                    Accept(Keyword.Asymmetric);
                }

                var low = ParseExpr(PrecOp);
                Expect(Keyword.And);
                var high = ParseExpr(PrecLike + 1);
                return new BetweenExpr(left, low, high, not, symmetric) { Position = start };
            }

            case Keyword.In:
            {
                Expect(TokenKind.LParen);
                if (IsSelectStart())
                {
                    var q = ParseSelectStatement();
                    Expect(TokenKind.RParen);
                    Expr sub = new SubLink(SubLinkKind.Any, left, "=", q) { Position = start };
                    return not ? new BoolExpr(BoolOp.Not, [sub]) { Position = start } : sub;
                }

                var list = ParseExprList();
                Expect(TokenKind.RParen);
                return new InListExpr(left, list, not) { Position = start };
            }

            case Keyword.Like or Keyword.Ilike or Keyword.Similar:
            {
                var kind = t.Keyword switch
                {
                    Keyword.Like => LikeKind.Like,
                    Keyword.Ilike => LikeKind.ILike,
                    _ => LikeKind.SimilarTo,
                };
                if (kind == LikeKind.SimilarTo)
                {
                    Expect(Keyword.To);
                }
                else if ((Is(Keyword.Any) || Is(Keyword.Some) || Is(Keyword.All)) && PeekAt(1).Kind == TokenKind.LParen)
                {
                    var baseOp = kind == LikeKind.Like ? "~~" : "~~*";
                    var op = not ? "!" + baseOp : baseOp;
                    return ParseAnyAll(left, op, t);
                }

                var pattern = ParseExpr(PrecLike + 1);
                Expr? escape = null;
                if (Accept(Keyword.Escape))
                {
                    escape = ParseExpr(PrecLike + 1);
                }

                return new LikeExpr(kind, left, pattern, escape, not) { Position = start };
            }

            default:
                throw SyntaxErrorAt(t);
        }
    }

    private Expr ParsePrefix()
    {
        var t = Peek;
        switch (t.Kind)
        {
            case TokenKind.Minus:
            {
                _pos++;
                var operand = ParseExpr(PrecSubscript);
                return Negate(operand, t.Start);
            }

            case TokenKind.Plus:
            {
                _pos++;
                var operand = ParseExpr(PrecSubscript);
                return new OperatorExpr("+", null, operand) { Position = t.Start };
            }

            case TokenKind.Operator when BinaryPrecedence(t) == PrecOp:
            {
                _pos++;
                var operand = ParseExpr(PrecOp + 1);
                return new OperatorExpr(OperatorText(t), null, operand) { Position = t.Start };
            }

            case TokenKind.Identifier when t.Keyword == Keyword.Not:
            {
                _pos++;
                var operand = ParseExpr(PrecNot);
                return new BoolExpr(BoolOp.Not, [operand]) { Position = t.Start };
            }

            case TokenKind.Identifier when t.Keyword == Keyword.Operator && PeekAt(1).Kind == TokenKind.LParen:
            {
                var (schema, op) = ParseQualifiedOperator();
                var operand = ParseExpr(PrecOp + 1);
                return new OperatorExpr(op, null, operand, schema) { Position = t.Start };
            }
        }

        return ParsePrimary();
    }

    /// <summary>Unary minus folds into numeric constants, as PostgreSQL's doNegate does.</summary>
    private static Expr Negate(Expr operand, int pos)
    {
        switch (operand)
        {
            case IntegerLiteral i when i.Value != long.MinValue:
                return new IntegerLiteral(-i.Value) { Position = pos };
            case NumericLiteral n:
            {
                var text = n.Text.StartsWith('-') ? n.Text[1..] : "-" + n.Text;
                if (long.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var v) && !text.Contains('.', StringComparison.Ordinal))
                {
                    return new IntegerLiteral(v) { Position = pos };
                }

                return new NumericLiteral(text) { Position = pos };
            }

            default:
                return new OperatorExpr("-", null, operand) { Position = pos };
        }
    }

    /// <summary>True when a query starts here. With lookThroughParens, "((SELECT" counts too
    /// (FROM items, EXPLAIN); in expressions a leading parenthesis starts a nested expression.</summary>
    private bool IsSelectStart(bool lookThroughParens = false)
    {
        var t = Peek;
        if (t.Kind == TokenKind.LParen && lookThroughParens)
        {
            // Look through nested parentheses for a query keyword.
            var k = 1;
            while (PeekAt(k).Kind == TokenKind.LParen)
            {
                if (++k > MaxDepth)
                {
                    throw TooComplex();
                }
            }

            var n = PeekAt(k);
            return n.Kind == TokenKind.Identifier && n.Keyword is Keyword.Select or Keyword.Values or Keyword.With or Keyword.Table;
        }

        return t.Kind == TokenKind.Identifier && t.Keyword is Keyword.Select or Keyword.Values or Keyword.With or Keyword.Table;
    }

    private Expr ParsePrimary()
    {
        var t = Peek;
        switch (t.Kind)
        {
            case TokenKind.Integer:
                _pos++;
                return new IntegerLiteral(t.Integer) { Position = t.Start };
            case TokenKind.Numeric:
                _pos++;
                return new NumericLiteral(t.Value!) { Position = t.Start };
            case TokenKind.String:
                _pos++;
                return new StringLiteral(t.Value!) { Position = t.Start };
            case TokenKind.BitString:
                _pos++;
                return new BitStringLiteral(t.Value!, false) { Position = t.Start };
            case TokenKind.HexString:
                _pos++;
                return new BitStringLiteral(t.Value!, true) { Position = t.Start };
            case TokenKind.Param:
            {
                _pos++;
                Expr p = new ParamRef((int)t.Integer) { Position = t.Start };
                return Is(TokenKind.LBracket) || Is(TokenKind.Dot) ? WithIndirection(p) : p;
            }

            case TokenKind.LParen:
                return ParseParenthesized();
            case TokenKind.QuotedIdentifier:
                return ParseNameExpr();
            case TokenKind.Identifier:
                return ParseWordExpr(t);
            default:
                throw SyntaxError();
        }
    }

    private Expr ParseParenthesized()
    {
        var open = Advance();
        if (IsSelectStart())
        {
            var q = ParseSelectStatement();
            Expect(TokenKind.RParen);
            Expr sub = new SubLink(SubLinkKind.Scalar, null, null, q) { Position = open.Start };
            return Is(TokenKind.LBracket) || Is(TokenKind.Dot) ? WithIndirection(sub) : sub;
        }

        var first = ParseExpr();
        if (Is(TokenKind.Comma))
        {
            var args = new List<Expr> { first };
            while (Accept(TokenKind.Comma))
            {
                args.Add(ParseExpr());
            }

            Expect(TokenKind.RParen);
            Expr row = new RowExpr(args, false) { Position = open.Start };
            return Is(TokenKind.Dot) || Is(TokenKind.LBracket) ? WithIndirection(row) : row;
        }

        if (first is SubLink { Kind: SubLinkKind.Scalar } s && IsQueryContinuation())
        {
            // ((SELECT …) UNION …): the inner subquery was the first operand of a query.
            var q = ParseSelectStatement(new NestedQuery(s.Query) { Position = s.Position });
            Expect(TokenKind.RParen);
            return new SubLink(SubLinkKind.Scalar, null, null, q) { Position = open.Start };
        }

        Expect(TokenKind.RParen);
        return Is(TokenKind.Dot) || Is(TokenKind.LBracket) ? WithIndirection(first) : first;
    }

    private bool IsQueryContinuation() =>
        Peek.Kind == TokenKind.Identifier &&
        Peek.Keyword is Keyword.Union or Keyword.Intersect or Keyword.Except or Keyword.Order or Keyword.Limit or Keyword.Offset or Keyword.Fetch or Keyword.For;

    /// <summary>Applies [subscript] and .field selections to an expression.</summary>
    private Expr WithIndirection(Expr arg)
    {
        var path = new List<Indirection>();
        ParseIndirection(path);
        if (path.Count == 0)
        {
            return arg;
        }

        if (arg is IndirectionExpr ie)
        {
            var all = new List<Indirection>(ie.Path);
            all.AddRange(path);
            return ie with { Path = all };
        }

        return new IndirectionExpr(arg, path) { Position = arg.Position };
    }

    private void ParseIndirection(List<Indirection> path)
    {
        while (true)
        {
            var t = Peek;
            if (t.Kind == TokenKind.Dot)
            {
                _pos++;
                if (Accept(TokenKind.Star))
                {
                    path.Add(new FieldSelection(null) { Position = t.Start });
                    continue;
                }

                path.Add(new FieldSelection(ColLabel()) { Position = t.Start });
            }
            else if (t.Kind == TokenKind.LBracket)
            {
                _pos++;
                Expr? lower = null;
                Expr? upper = null;
                var slice = false;
                if (!Is(TokenKind.Colon))
                {
                    lower = ParseExpr();
                }

                if (Accept(TokenKind.Colon))
                {
                    slice = true;
                    if (!Is(TokenKind.RBracket))
                    {
                        upper = ParseExpr();
                    }
                }

                Expect(TokenKind.RBracket);
                path.Add(new Subscript(lower, upper, slice) { Position = t.Start });
            }
            else
            {
                return;
            }
        }
    }

    /// <summary>A column reference, function call or typed literal that starts with a name.</summary>
    private Expr ParseNameExpr()
    {
        var first = Peek;
        var names = new List<string> { Advance().Value! };
        var star = false;
        while (Is(TokenKind.Dot))
        {
            var after = PeekAt(1);
            if (after.Kind == TokenKind.Star)
            {
                _pos += 2;
                star = true;
                break;
            }

            if (!IsColLabel(after))
            {
                _pos++;
                throw SyntaxError();
            }

            _pos += 2;
            names.Add(after.Value!);
        }

        if (!star && Is(TokenKind.LParen))
        {
            if (names.Count == 1 && !IsTypeFuncName(first))
            {
                throw SyntaxError();
            }

            return ParseFunctionCall(names, first.Start);
        }

        if (!star && Is(TokenKind.String))
        {
            // func_name Sconst: a typed literal such as date '2020-01-01'.
            if (names.Count == 1 && !IsTypeFuncName(first))
            {
                throw SyntaxError();
            }

            var lit = Advance();
            var type = new TypeName(names, [], []) { Position = first.Start };
            return new TypeCast(new StringLiteral(lit.Value!) { Position = lit.Start }, type) { Position = first.Start };
        }

        if (!IsColId(first))
        {
            throw SyntaxError();
        }

        Expr col = new ColumnRef(names, star) { Position = first.Start };
        return !star && Is(TokenKind.LBracket) ? WithIndirection(col) : col;
    }
}
