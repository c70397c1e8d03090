using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Borealis.Sql.Ast;

namespace Borealis.Sql.Parser;

/// <summary>
/// Recursive-descent parser for the PostgreSQL 15 dialect. Errors carry the SQLSTATE, message
/// and 1-based character position PostgreSQL reports for the same input (the error is raised at
/// the first token that cannot continue a valid statement, as bison does). Not thread-safe; a
/// parser instance parses one string, so use the static entry points.
/// </summary>
public sealed partial class SqlParser
{
    /// <summary>Nesting limit (expressions, subqueries) before 54001 statement_too_complex.</summary>
    public const int MaxDepth = 1000;

    [ThreadStatic]
    private static List<Token>? cachedTokens;

    private readonly string _sql;
    private readonly List<Token> _tokens;
    private int _pos;
    private int _depth;

    private SqlParser(string sql, List<Token> tokens)
    {
        _sql = sql;
        _tokens = tokens;
    }

    /// <summary>Parses every statement of <paramref name="sql"/> (separated by ';', empty ones
    /// skipped). Throws <see cref="ParseException"/> for any rejected input.</summary>
    public static IReadOnlyList<RawStatement> Parse(string sql)
    {
        ArgumentNullException.ThrowIfNull(sql);
        var tokens = cachedTokens ?? new List<Token>(64);
        cachedTokens = null;
        try
        {
            tokens.Clear();
            Lexer.Tokenize(sql, tokens);
            return new SqlParser(sql, tokens).ParseStatements();
        }
        catch (InsufficientExecutionStackException)
        {
            throw TooComplex();
        }
        finally
        {
            if (tokens.Capacity <= 4096)
            {
                tokens.Clear();
                cachedTokens = tokens;
            }
        }
    }

    /// <summary>Parses exactly one statement (empty statements around it allowed), as the extended
    /// protocol's Parse message requires; several statements fail as PostgreSQL fails them.
    /// An empty string is an error here; the caller answers it with EmptyQueryResponse.</summary>
    public static Statement ParseOne(string sql)
    {
        var all = Parse(sql);
        if (all.Count > 1)
        {
            throw new ParseException(new ParseError(SqlStates.SyntaxError, "cannot insert multiple commands into a prepared statement", 0));
        }

        if (all.Count == 0)
        {
            throw new ParseException(new ParseError(SqlStates.SyntaxError, "empty query", 0));
        }

        return all[0].Statement;
    }

    /// <summary>Status-returning form of <see cref="Parse(string)"/>.</summary>
    public static bool TryParse(string sql, [NotNullWhen(true)] out IReadOnlyList<RawStatement>? statements, out ParseError error)
    {
        try
        {
            statements = Parse(sql);
            error = default;
            return true;
        }
        catch (ParseException e)
        {
            statements = null;
            error = e.Error;
            return false;
        }
    }

    private static ParseException TooComplex() =>
        new(new ParseError(SqlStates.StatementTooComplex, "stack depth limit exceeded", 0));

    private List<RawStatement> ParseStatements()
    {
        var result = new List<RawStatement>();
        while (true)
        {
            while (Peek.Kind == TokenKind.Semicolon)
            {
                _pos++;
            }

            if (Peek.Kind == TokenKind.EndOfInput)
            {
                CheckLexError();
                return result;
            }

            var start = Peek.Start;
            var stmt = ParseStatement();
            var end = _tokens[_pos - 1].End;
            if (Peek.Kind != TokenKind.Semicolon && Peek.Kind != TokenKind.EndOfInput)
            {
                throw SyntaxError();
            }

            CheckLexError();
            result.Add(new RawStatement(stmt, start, end - start));
        }
    }

    // ---- token access ----

    private Token Peek
    {
        get
        {
            var t = _tokens[_pos];
            if (t.Kind == TokenKind.Error)
            {
                throw LexError(t);
            }

            return t;
        }
    }

    /// <summary>The token k positions ahead (k ≥ 1); lexical errors there are not raised. The token
    /// list ends with its only EndOfInput or Error token, so clamping to it is exact.</summary>
    private Token PeekAt(int k) => _tokens[Math.Min(_pos + k, _tokens.Count - 1)];

    private void CheckLexError() => _ = Peek;

    private Token Advance()
    {
        var t = Peek;
        if (t.Kind != TokenKind.EndOfInput)
        {
            _pos++;
        }

        return t;
    }

    private bool Is(TokenKind kind) => Peek.Kind == kind;

    private bool Is(Keyword kw) => Peek.IsKeyword(kw);

    private bool IsAt(int k, Keyword kw) => PeekAt(k).IsKeyword(kw);

    private bool Accept(TokenKind kind)
    {
        if (Peek.Kind == kind)
        {
            _pos++;
            return true;
        }

        return false;
    }

    private bool Accept(Keyword kw)
    {
        if (Peek.IsKeyword(kw))
        {
            _pos++;
            return true;
        }

        return false;
    }

    private bool Accept(Keyword a, Keyword b)
    {
        if (Peek.IsKeyword(a) && PeekAt(1).IsKeyword(b))
        {
            _pos += 2;
            return true;
        }

        return false;
    }

    private Token Expect(TokenKind kind)
    {
        if (Peek.Kind != kind)
        {
            throw SyntaxError();
        }

        return Advance();
    }

    private Token Expect(Keyword kw)
    {
        if (!Peek.IsKeyword(kw))
        {
            throw SyntaxError();
        }

        return Advance();
    }

    private void Enter()
    {
        if (++_depth > MaxDepth || !RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            throw TooComplex();
        }
    }

    private void Leave() => _depth--;

    // ---- errors ----

    private ParseException SyntaxError() => SyntaxErrorAt(_tokens[_pos]);

    private ParseException SyntaxErrorAt(Token t)
    {
        if (t.Kind == TokenKind.Error)
        {
            return LexError(t);
        }

        if (t.Kind == TokenKind.EndOfInput)
        {
            return new ParseException(new ParseError(SqlStates.SyntaxError, "syntax error at end of input", ParseException.CharPosition(_sql, t.Start)));
        }

        var text = _sql[t.Start..t.End];
        return new ParseException(new ParseError(SqlStates.SyntaxError, $"syntax error at or near \"{text}\"", ParseException.CharPosition(_sql, t.Start)));
    }

    private ParseException LexError(Token t)
    {
        // Like scanner_yyerror: the text from the token's start to where scanning stopped.
        var text = t.End > t.Start ? _sql[t.Start..t.End] : _sql[t.Start..];
        return new ParseException(new ParseError(SqlStates.SyntaxError, $"{t.Value} at or near \"{text}\"", ParseException.CharPosition(_sql, t.Start)));
    }

    /// <summary>A non-syntax error PostgreSQL's grammar raises itself (e.g. "LIMIT #,# syntax is not supported").</summary>
    private ParseException GrammarError(string message, Token at, string state = SqlStates.SyntaxError) =>
        new(new ParseError(state, message, ParseException.CharPosition(_sql, at.Start)));

    // ---- names ----

    private static KeywordCategory? CategoryOf(Token t) =>
        t.Kind == TokenKind.Identifier && t.Keyword != Keyword.NotAKeyword ? Keywords.Category(t.Keyword) : null;

    /// <summary>ColId: identifier, unreserved or column-name keyword.</summary>
    private static bool IsColId(Token t) =>
        t.Kind == TokenKind.QuotedIdentifier ||
        (t.Kind == TokenKind.Identifier && (t.Keyword == Keyword.NotAKeyword || CategoryOf(t) is KeywordCategory.Unreserved or KeywordCategory.ColName));

    /// <summary>type_function_name: identifier, unreserved or type/function-name keyword.</summary>
    private static bool IsTypeFuncName(Token t) =>
        t.Kind == TokenKind.QuotedIdentifier ||
        (t.Kind == TokenKind.Identifier && (t.Keyword == Keyword.NotAKeyword || CategoryOf(t) is KeywordCategory.Unreserved or KeywordCategory.TypeFuncName));

    /// <summary>ColLabel: any identifier or keyword.</summary>
    private static bool IsColLabel(Token t) => t.Kind is TokenKind.Identifier or TokenKind.QuotedIdentifier;

    /// <summary>NonReservedWord / BareColLabel-ish: identifier or unreserved keyword.</summary>
    private static bool IsUnreservedName(Token t) =>
        t.Kind == TokenKind.QuotedIdentifier ||
        (t.Kind == TokenKind.Identifier && (t.Keyword == Keyword.NotAKeyword || CategoryOf(t) == KeywordCategory.Unreserved));

    private string ColId()
    {
        if (!IsColId(Peek))
        {
            throw SyntaxError();
        }

        return Advance().Value!;
    }

    private string ColLabel()
    {
        if (!IsColLabel(Peek))
        {
            throw SyntaxError();
        }

        return Advance().Value!;
    }

    /// <summary>A qualified object name: ColId { '.' ColLabel } with at most three parts.</summary>
    private QualifiedName QualifiedName()
    {
        var pos = Peek.Start;
        var first = ColId();
        if (!Is(TokenKind.Dot))
        {
            return new QualifiedName(null, null, first) { Position = pos };
        }

        _pos++;
        var second = ColLabel();
        if (!Is(TokenKind.Dot))
        {
            return new QualifiedName(null, first, second) { Position = pos };
        }

        _pos++;
        var third = ColLabel();
        if (Is(TokenKind.Dot))
        {
            throw GrammarError("improper qualified name (too many dotted names): " + first + "." + second + "." + third, _tokens[_pos]);
        }

        return new QualifiedName(first, second, third) { Position = pos };
    }

    /// <summary>Dotted name list for functions, collations, types: ColId { '.' ColLabel }.</summary>
    private List<string> AnyName()
    {
        var names = new List<string> { ColId() };
        while (Is(TokenKind.Dot))
        {
            _pos++;
            names.Add(ColLabel());
        }

        return names;
    }

    private List<string> ColIdList()
    {
        var list = new List<string> { ColId() };
        while (Accept(TokenKind.Comma))
        {
            list.Add(ColId());
        }

        return list;
    }

    private List<string> ParenColIdList()
    {
        Expect(TokenKind.LParen);
        var list = ColIdList();
        Expect(TokenKind.RParen);
        return list;
    }

    private List<QualifiedName> QualifiedNameList()
    {
        var list = new List<QualifiedName> { QualifiedName() };
        while (Accept(TokenKind.Comma))
        {
            list.Add(QualifiedName());
        }

        return list;
    }

    private string StringConstant()
    {
        if (!Is(TokenKind.String))
        {
            throw SyntaxError();
        }

        return Advance().Value!;
    }

    private DropBehavior OptDropBehavior() =>
        Accept(Keyword.Cascade) ? DropBehavior.Cascade : Accept(Keyword.Restrict) ? DropBehavior.Restrict : DropBehavior.Default;

    // ---- statements ----

    private Statement ParseStatement()
    {
        Enter();
        try
        {
            return ParseStatementCore();
        }
        finally
        {
            Leave();
        }
    }

    private Statement ParseStatementCore()
    {
        var t = Peek;
        if (t.Kind == TokenKind.LParen)
        {
            return ParseSelectStatement();
        }

        if (t.Kind != TokenKind.Identifier)
        {
            throw SyntaxError();
        }

        switch (t.Keyword)
        {
            case Keyword.Select or Keyword.Values or Keyword.Table:
                return ParseSelectStatement();
            case Keyword.With:
                return ParseWithStatement();
            case Keyword.Insert:
                return ParseInsert(null);
            case Keyword.Update:
                return ParseUpdate(null);
            case Keyword.Delete:
                return ParseDelete(null);
            case Keyword.Create:
                return ParseCreate();
            case Keyword.Drop:
                return ParseDrop();
            case Keyword.Alter:
                return ParseAlter();
            case Keyword.Truncate:
                return ParseTruncate();
            case Keyword.Begin or Keyword.Start or Keyword.Commit or Keyword.End or Keyword.Rollback or Keyword.Abort
                or Keyword.Savepoint or Keyword.Release:
                return ParseTransaction();
            case Keyword.Prepare:
                return IsAt(1, Keyword.Transaction) ? ParseTransaction() : ParsePrepare();
            case Keyword.Set:
                return ParseSet();
            case Keyword.Reset:
                return ParseReset();
            case Keyword.Show:
                return ParseShow();
            case Keyword.Discard:
                return ParseDiscard();
            case Keyword.Vacuum or Keyword.Analyze or Keyword.Analyse:
                return ParseVacuum();
            case Keyword.Copy:
                return ParseCopy();
            case Keyword.Explain:
                return ParseExplain();
            case Keyword.Execute:
                return ParseExecute();
            case Keyword.Deallocate:
                return ParseDeallocate();
            case Keyword.Lock:
                return ParseLock();
            case Keyword.Grant or Keyword.Revoke:
                return ParseGrant();
            case Keyword.Comment:
                return ParseComment();
            case Keyword.Do:
                return ParseDo();
            case Keyword.Listen or Keyword.Notify or Keyword.Unlisten:
                return ParseNotify();
            case Keyword.Declare:
                return ParseDeclareCursor();
            case Keyword.Fetch or Keyword.Move:
                return ParseFetch();
            case Keyword.Checkpoint:
                _pos++;
                return new SimpleCommandStatement("CHECKPOINT", null) { Position = t.Start };
            case Keyword.Close:
            {
                _pos++;
                var name = Accept(Keyword.All) ? null : ColId();
                return new SimpleCommandStatement("CLOSE", name) { Position = t.Start };
            }

            default:
                throw SyntaxError();
        }
    }

    /// <summary>WITH … followed by SELECT, INSERT, UPDATE or DELETE.</summary>
    private Statement ParseWithStatement()
    {
        var with = ParseWithClause();
        if (Is(Keyword.Insert))
        {
            return ParseInsert(with);
        }

        if (Is(Keyword.Update))
        {
            return ParseUpdate(with);
        }

        if (Is(Keyword.Delete))
        {
            return ParseDelete(with);
        }

        return ParseSelectAfterWith(with);
    }
}
