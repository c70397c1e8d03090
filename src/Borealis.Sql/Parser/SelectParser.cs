using Borealis.Sql.Ast;

namespace Borealis.Sql.Parser;

/// <summary>Queries: WITH, set operations (INTERSECT binds tighter than UNION/EXCEPT), SELECT
/// cores, VALUES, FROM items and joins, ORDER BY, LIMIT/OFFSET/FETCH and locking clauses.</summary>
public sealed partial class SqlParser
{
    private static readonly IReadOnlyList<Expr> NoExprs = [];
    private static readonly IReadOnlyList<SortItem> NoSort = [];
    private static readonly IReadOnlyList<LockingClause> NoLocking = [];
    private static readonly IReadOnlyList<TableRef> NoTables = [];
    private static readonly IReadOnlyList<ResultTarget> NoTargets = [];
    private static readonly IReadOnlyList<WindowDefinition> NoWindows = [];

    /// <summary>A full query; <paramref name="first"/> is an already-parsed first operand.</summary>
    private SelectStatement ParseSelectStatement(QueryExpr? first = null)
    {
        Enter();
        try
        {
            WithClause? with = null;
            if (first is null && Is(Keyword.With))
            {
                with = ParseWithClause();
            }

            return ParseSelectAfterWith(with, first);
        }
        finally
        {
            Leave();
        }
    }

    private SelectStatement ParseSelectAfterWith(WithClause? with, QueryExpr? first = null)
    {
        var start = with?.Position ?? first?.Position ?? Peek.Start;
        var body = ParseSetExpression(first);
        var order = Is(Keyword.Order) ? ParseOrderBy() : NoSort;
        Expr? limit = null;
        Expr? offset = null;
        var withTies = false;
        var locking = new List<LockingClause>();
        var sawLimit = false;
        while (true)
        {
            if (!sawLimit && (Is(Keyword.Limit) || Is(Keyword.Offset) || Is(Keyword.Fetch)))
            {
                sawLimit = true;
                ParseLimit(ref limit, ref offset, ref withTies);
            }
            else if (Is(Keyword.For) && locking.Count == 0 && !IsAt(1, Keyword.Read))
            {
                while (Is(Keyword.For))
                {
                    locking.Add(ParseLockingClause());
                }
            }
            else
            {
                break;
            }
        }

        return new SelectStatement(with, body, order, limit, offset, withTies, locking.Count == 0 ? NoLocking : locking) { Position = start };
    }

    private void ParseLimit(ref Expr? limit, ref Expr? offset, ref bool withTies)
    {
        var sawLimit = false;
        var sawOffset = false;
        while (true)
        {
            if (!sawLimit && Is(Keyword.Limit))
            {
                sawLimit = true;
                var limitToken = Advance();
                if (!Accept(Keyword.All))
                {
                    limit = ParseExpr();
                }

                if (Is(TokenKind.Comma))
                {
                    throw GrammarError("LIMIT #,# syntax is not supported", limitToken);
                }
            }
            else if (!sawLimit && Is(Keyword.Fetch))
            {
                sawLimit = true;
                _pos++;
                if (!Accept(Keyword.First))
                {
                    Expect(Keyword.Next);
                }

                if (Is(Keyword.Row) || Is(Keyword.Rows))
                {
                    limit = new IntegerLiteral(1) { Position = Peek.Start };
                }
                else
                {
                    limit = ParseExpr(PrecUnary);
                }

                if (!Accept(Keyword.Row))
                {
                    Expect(Keyword.Rows);
                }

                if (Accept(Keyword.With))
                {
                    Expect(Keyword.Ties);
                    withTies = true;
                }
                else
                {
                    Expect(Keyword.Only);
                }
            }
            else if (!sawOffset && Is(Keyword.Offset))
            {
                sawOffset = true;
                _pos++;
                offset = ParseExpr();
                if (!Accept(Keyword.Row))
                {
                    Accept(Keyword.Rows);
                }
            }
            else
            {
                return;
            }
        }
    }

    private LockingClause ParseLockingClause()
    {
        var start = Expect(Keyword.For).Start;
        LockStrength strength;
        if (Accept(Keyword.Update))
        {
            strength = LockStrength.Update;
        }
        else if (Accept(Keyword.Share))
        {
            strength = LockStrength.Share;
        }
        else if (Accept(Keyword.No))
        {
            Expect(Keyword.Key);
            Expect(Keyword.Update);
            strength = LockStrength.NoKeyUpdate;
        }
        else
        {
            Expect(Keyword.Key);
            Expect(Keyword.Share);
            strength = LockStrength.KeyShare;
        }

        IReadOnlyList<QualifiedName> of = [];
        if (Accept(Keyword.Of))
        {
            of = QualifiedNameList();
        }

        var wait = LockWaitPolicy.Block;
        if (Accept(Keyword.Nowait))
        {
            wait = LockWaitPolicy.NoWait;
        }
        else if (Accept(Keyword.Skip))
        {
            Expect(Keyword.Locked);
            wait = LockWaitPolicy.SkipLocked;
        }

        return new LockingClause(strength, of, wait) { Position = start };
    }

    private QueryExpr ParseSetExpression(QueryExpr? first)
    {
        var left = ParseIntersectTerm(first);
        while (Is(Keyword.Union) || Is(Keyword.Except))
        {
            var opTok = Advance();
            var all = Accept(Keyword.All);
            if (!all)
            {
                Accept(Keyword.Distinct);
            }

            var right = ParseIntersectTerm(null);
            left = new SetOperation(opTok.Keyword == Keyword.Union ? SetOperator.Union : SetOperator.Except, all, left, right) { Position = opTok.Start };
        }

        return left;
    }

    private QueryExpr ParseIntersectTerm(QueryExpr? first)
    {
        var left = first ?? ParseQueryPrimary();
        while (Is(Keyword.Intersect))
        {
            var opTok = Advance();
            var all = Accept(Keyword.All);
            if (!all)
            {
                Accept(Keyword.Distinct);
            }

            var right = ParseQueryPrimary();
            left = new SetOperation(SetOperator.Intersect, all, left, right) { Position = opTok.Start };
        }

        return left;
    }

    private QueryExpr ParseQueryPrimary()
    {
        var t = Peek;
        if (t.Kind == TokenKind.LParen)
        {
            _pos++;
            var inner = ParseSelectStatement();
            Expect(TokenKind.RParen);
            return Unwrap(inner, t.Start);
        }

        if (t.IsKeyword(Keyword.Select))
        {
            return ParseSelectCore();
        }

        if (t.IsKeyword(Keyword.Values))
        {
            return ParseValues();
        }

        if (t.IsKeyword(Keyword.Table))
        {
            _pos++;
            var only = Accept(Keyword.Only);
            var name = QualifiedName();
            var star = new ColumnRef([], true) { Position = t.Start };
            return new SelectCore(false, NoExprs, [new ResultTarget(star, null) { Position = t.Start }],
                [new TableName(name, only, null) { Position = name.Position }], null, NoExprs, false, null, NoWindows) { Position = t.Start };
        }

        throw SyntaxError();
    }

    /// <summary>A parenthesised query without outer clauses is just its body.</summary>
    private static QueryExpr Unwrap(SelectStatement inner, int pos) =>
        inner.With is null && inner.OrderBy.Count == 0 && inner.Limit is null && inner.Offset is null && inner.Locking.Count == 0
            ? inner.Body
            : new NestedQuery(inner) { Position = pos };

    private ValuesCore ParseValues()
    {
        var start = Expect(Keyword.Values).Start;
        var rows = new List<IReadOnlyList<Expr>>();
        do
        {
            Expect(TokenKind.LParen);
            var row = new List<Expr>();
            do
            {
                row.Add(ParseExpr());
            }
            while (Accept(TokenKind.Comma));
            Expect(TokenKind.RParen);
            rows.Add(row);
        }
        while (Accept(TokenKind.Comma));
        return new ValuesCore(rows) { Position = start };
    }

    private bool IsTargetListEnd()
    {
        var t = Peek;
        return t.Kind is TokenKind.EndOfInput or TokenKind.Semicolon or TokenKind.RParen ||
               (t.Kind == TokenKind.Identifier && t.Keyword is Keyword.From or Keyword.Where or Keyword.Group or Keyword.Having
                   or Keyword.Window or Keyword.Union or Keyword.Intersect or Keyword.Except or Keyword.Order or Keyword.Limit
                   or Keyword.Offset or Keyword.Fetch or Keyword.For or Keyword.Into);
    }

    private SelectCore ParseSelectCore()
    {
        var start = Expect(Keyword.Select).Start;
        var distinct = false;
        IReadOnlyList<Expr> distinctOn = NoExprs;
        if (Accept(Keyword.Distinct))
        {
            distinct = true;
            if (Accept(Keyword.On))
            {
                Expect(TokenKind.LParen);
                distinctOn = ParseExprList();
                Expect(TokenKind.RParen);
                distinct = false;
            }
        }
        else
        {
            Accept(Keyword.All);
        }

        var targets = IsTargetListEnd() && !distinct && distinctOn.Count == 0 ? NoTargets : ParseTargetList();
        if (Is(Keyword.Into))
        {
            throw SyntaxError();
        }

        var from = NoTables;
        if (Accept(Keyword.From))
        {
            from = ParseFromList();
        }

        Expr? where = null;
        if (Accept(Keyword.Where))
        {
            where = ParseExpr();
        }

        IReadOnlyList<Expr> groupBy = NoExprs;
        var groupDistinct = false;
        if (Is(Keyword.Group))
        {
            _pos++;
            Expect(Keyword.By);
            if (Accept(Keyword.Distinct))
            {
                groupDistinct = true;
            }
            else
            {
                Accept(Keyword.All);
            }

            var list = new List<Expr>();
            do
            {
                if (Is(TokenKind.LParen) && PeekAt(1).Kind == TokenKind.RParen)
                {
                    var p = Peek.Start;
                    _pos += 2;
                    list.Add(new RowExpr([], false) { Position = p });
                }
                else
                {
                    list.Add(ParseExpr());
                }
            }
            while (Accept(TokenKind.Comma));
            groupBy = list;
        }

        Expr? having = null;
        if (Accept(Keyword.Having))
        {
            having = ParseExpr();
        }

        IReadOnlyList<WindowDefinition> windows = NoWindows;
        if (Is(Keyword.Window))
        {
            _pos++;
            var list = new List<WindowDefinition>();
            do
            {
                var p = Peek.Start;
                var name = ColId();
                Expect(Keyword.As);
                list.Add(new WindowDefinition(name, ParseWindowSpec()) { Position = p });
            }
            while (Accept(TokenKind.Comma));
            windows = list;
        }

        return new SelectCore(distinct, distinctOn, targets, from, where, groupBy, groupDistinct, having, windows) { Position = start };
    }

    private List<ResultTarget> ParseTargetList()
    {
        var list = new List<ResultTarget>();
        do
        {
            list.Add(ParseTarget());
        }
        while (Accept(TokenKind.Comma));
        return list;
    }

    private ResultTarget ParseTarget()
    {
        var t = Peek;
        if (t.Kind == TokenKind.Star)
        {
            _pos++;
            return new ResultTarget(new ColumnRef([], true) { Position = t.Start }, null) { Position = t.Start };
        }

        var value = ParseExpr();
        string? alias = null;
        if (Accept(Keyword.As))
        {
            alias = ColLabel();
        }
        else
        {
            var a = Peek;
            if (a.Kind == TokenKind.QuotedIdentifier ||
                (a.Kind == TokenKind.Identifier && (a.Keyword == Keyword.NotAKeyword || Keywords.IsBareLabel(a.Keyword))))
            {
                alias = Advance().Value;
            }
        }

        return new ResultTarget(value, alias) { Position = t.Start };
    }

    private List<TableRef> ParseFromList()
    {
        var list = new List<TableRef>();
        do
        {
            list.Add(ParseTableRef());
        }
        while (Accept(TokenKind.Comma));
        return list;
    }

    private TableRef ParseTableRef()
    {
        Enter();
        try
        {
            return ParseJoins(ParseTablePrimary());
        }
        finally
        {
            Leave();
        }
    }

    private bool IsJoinStart()
    {
        var t = Peek;
        return t.Kind == TokenKind.Identifier &&
               t.Keyword is Keyword.Join or Keyword.Cross or Keyword.Natural or Keyword.Inner or Keyword.Left or Keyword.Right or Keyword.Full;
    }

    private TableRef ParseJoins(TableRef left)
    {
        while (IsJoinStart())
        {
            var start = Peek.Start;
            if (Accept(Keyword.Cross))
            {
                Expect(Keyword.Join);
                var r = ParseTablePrimary();
                left = new JoinRef(JoinKind.Cross, left, r, false, null, null, null) { Position = start };
                continue;
            }

            var natural = Accept(Keyword.Natural);
            var kind = JoinKind.Inner;
            if (Accept(Keyword.Left))
            {
                kind = JoinKind.Left;
                Accept(Keyword.Outer);
            }
            else if (Accept(Keyword.Right))
            {
                kind = JoinKind.Right;
                Accept(Keyword.Outer);
            }
            else if (Accept(Keyword.Full))
            {
                kind = JoinKind.Full;
                Accept(Keyword.Outer);
            }
            else
            {
                Accept(Keyword.Inner);
            }

            Expect(Keyword.Join);
            var right = ParseTablePrimary();
            if (natural)
            {
                left = new JoinRef(kind, left, right, true, null, null, null) { Position = start };
                continue;
            }

            if (IsJoinStart())
            {
                Enter();
                right = ParseJoins(right);
                Leave();
            }

            if (Accept(Keyword.On))
            {
                var on = ParseExpr();
                left = new JoinRef(kind, left, right, false, on, null, null) { Position = start };
            }
            else if (Accept(Keyword.Using))
            {
                var cols = ParenColIdList();
                Alias? alias = null;
                if (Is(Keyword.As))
                {
                    var p = Advance().Start;
                    alias = new Alias(ColId(), []) { Position = p };
                }

                left = new JoinRef(kind, left, right, false, null, cols, alias) { Position = start };
            }
            else
            {
                throw SyntaxError();
            }
        }

        return left;
    }

    private Alias? ParseOptAlias(bool excludeSet = false)
    {
        var start = Peek.Start;
        if (Accept(Keyword.As))
        {
            var name = ColId();
            var cols = Is(TokenKind.LParen) ? ParenColIdList() : [];
            return new Alias(name, cols) { Position = start };
        }

        if (IsColId(Peek) && !(excludeSet && Is(Keyword.Set)))
        {
            var name = ColId();
            var cols = Is(TokenKind.LParen) ? ParenColIdList() : [];
            return new Alias(name, cols) { Position = start };
        }

        return null;
    }

    private TableRef ParseTablePrimary()
    {
        var t = Peek;
        var lateral = Accept(Keyword.Lateral);
        if (Is(TokenKind.LParen))
        {
            if (IsSelectStart(lookThroughParens: true))
            {
                var open = Advance();
                var q = ParseSelectStatement();
                Expect(TokenKind.RParen);
                var alias = ParseOptAlias();
                if (alias is null)
                {
                    throw GrammarError("subquery in FROM must have an alias", open);
                }

                return new SubqueryRef(lateral, q, alias) { Position = t.Start };
            }

            if (lateral)
            {
                throw SyntaxError();
            }

            _pos++;
            var inner = ParseTableRef();
            if (inner is not JoinRef join)
            {
                throw SyntaxError();
            }

            Expect(TokenKind.RParen);
            var a = ParseOptAlias();
            return a is null ? join : join with { Alias = a };
        }

        if (!lateral && Accept(Keyword.Only))
        {
            var paren = Accept(TokenKind.LParen);
            var n = QualifiedName();
            if (paren)
            {
                Expect(TokenKind.RParen);
            }

            return new TableName(n, true, ParseOptAlias()) { Position = t.Start };
        }

        // A function in FROM: name '(' … or a special function form.
        if (IsFunctionInFrom())
        {
            var fn = ParseExpr(PrecSubscript);
            var ordinality = false;
            if (Is(Keyword.With) && IsAt(1, Keyword.Ordinality))
            {
                _pos += 2;
                ordinality = true;
            }

            return new FunctionRef(lateral, fn, ordinality, ParseOptAlias()) { Position = t.Start };
        }

        if (lateral)
        {
            throw SyntaxError();
        }

        var name = QualifiedName();
        Accept(TokenKind.Star);
        return new TableName(name, false, ParseOptAlias()) { Position = t.Start };
    }

    private bool IsFunctionInFrom()
    {
        var k = 0;
        var t = PeekAt(0);
        if (t.Kind == TokenKind.Identifier && t.Keyword is Keyword.CurrentDate or Keyword.CurrentTimestamp or Keyword.CurrentUser
            or Keyword.SessionUser or Keyword.Localtimestamp or Keyword.CurrentSchema)
        {
            return true;
        }

        if (!IsColId(t) && !IsTypeFuncName(t))
        {
            return false;
        }

        k++;
        while (PeekAt(k).Kind == TokenKind.Dot && IsColLabel(PeekAt(k + 1)))
        {
            k += 2;
        }

        return PeekAt(k).Kind == TokenKind.LParen;
    }

    private WithClause ParseWithClause()
    {
        var start = Expect(Keyword.With).Start;
        var recursive = Accept(Keyword.Recursive);
        var ctes = new List<CommonTableExpr>();
        do
        {
            var p = Peek.Start;
            var name = ColId();
            var cols = Is(TokenKind.LParen) ? ParenColIdList() : [];
            Expect(Keyword.As);
            var mat = CteMaterialize.Default;
            if (Accept(Keyword.Materialized))
            {
                mat = CteMaterialize.Always;
            }
            else if (Is(Keyword.Not) && IsAt(1, Keyword.Materialized))
            {
                _pos += 2;
                mat = CteMaterialize.Never;
            }

            Expect(TokenKind.LParen);
            Statement q = Peek.Keyword switch
            {
                Keyword.Insert when Peek.Kind == TokenKind.Identifier => ParseInsert(null),
                Keyword.Update when Peek.Kind == TokenKind.Identifier => ParseUpdate(null),
                Keyword.Delete when Peek.Kind == TokenKind.Identifier => ParseDelete(null),
                _ => ParseSelectStatement(),
            };
            Expect(TokenKind.RParen);
            ctes.Add(new CommonTableExpr(name, cols, mat, q) { Position = p });
        }
        while (Accept(TokenKind.Comma));
        return new WithClause(recursive, ctes) { Position = start };
    }
}
