namespace Borealis.Sql.Parser;

/// <summary>SQLSTATE codes the parser reports.</summary>
public static class SqlStates
{
    public const string SyntaxError = "42601";
    public const string StatementTooComplex = "54001";
    public const string FeatureNotSupported = "0A000";
    public const string InvalidParameterValue = "22023";
}

/// <summary>A client-visible parse error: SQLSTATE, PostgreSQL's message text, and the 1-based
/// character position in the query string (the ErrorResponse 'P' field; 0 when none).</summary>
public readonly record struct ParseError(string SqlState, string Message, int Position);

/// <summary>Thrown by <see cref="SqlParser.Parse(string)"/> for any input it rejects.</summary>
public sealed class ParseException : Exception
{
    public ParseException(ParseError error)
        : base(error.Message)
        => Error = error;

    public ParseException()
        : this(new ParseError(SqlStates.SyntaxError, "syntax error", 0))
    {
    }

    public ParseException(string message)
        : this(new ParseError(SqlStates.SyntaxError, message, 0))
    {
    }

    public ParseException(string message, Exception inner)
        : base(message, inner)
        => Error = new ParseError(SqlStates.SyntaxError, message, 0);

    public ParseError Error { get; }

    public string SqlState => Error.SqlState;

    public int Position => Error.Position;

    /// <summary>The ErrorResponse position (1-based, in characters as PostgreSQL counts them, i.e.
    /// code points) of the 0-based UTF-16 <paramref name="offset"/> a node's Position holds; for
    /// errors the binder raises at a node.</summary>
    public static int CharPosition(string sql, int offset)
    {
        offset = Math.Clamp(offset, 0, sql.Length);
        var surrogates = 0;
        for (var i = 0; i < offset; i++)
        {
            if (char.IsLowSurrogate(sql[i]) && i > 0 && char.IsHighSurrogate(sql[i - 1]))
            {
                surrogates++;
            }
        }

        return offset - surrogates + 1;
    }
}
