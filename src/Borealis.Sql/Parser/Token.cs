namespace Borealis.Sql.Parser;

/// <summary>Lexical token classes. Single-character punctuation has its own kind; every other
/// operator is <see cref="Operator"/> with its text in the source.</summary>
public enum TokenKind : byte
{
    EndOfInput,
    /// <summary>An unquoted word: an identifier or keyword (<see cref="Token.Keyword"/> tells).</summary>
    Identifier,
    QuotedIdentifier,
    String,
    /// <summary>B'0101': the value holds the bits.</summary>
    BitString,
    /// <summary>X'1F': the value holds the hex digits.</summary>
    HexString,
    Integer,
    /// <summary>A decimal, a real, or an integer too large for int8: the value holds the text.</summary>
    Numeric,
    Param,
    Operator,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Semicolon,
    Colon,
    Dot,
    DotDot,
    Typecast,
    ColonEquals,
    EqualsGreater,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Caret,
    Less,
    Greater,
    Equals,
    LessEquals,
    GreaterEquals,
    NotEquals,
    /// <summary>A lexical error; <see cref="Token.Value"/> holds the message prefix. Raised when
    /// the parser reaches the token, as PostgreSQL's on-demand scanner does.</summary>
    Error,
}

/// <summary>One token: its kind and source span [Start, End) in UTF-16 code units. Value is the
/// processed text for identifiers (case-folded), strings (escapes applied) and numbers; Integer
/// holds the value of an int8-sized integer or parameter number.</summary>
public readonly record struct Token(TokenKind Kind, int Start, int End, Keyword Keyword, string? Value, long Integer)
{
    public bool IsKeyword(Keyword kw) => Kind == TokenKind.Identifier && Keyword == kw;
}
