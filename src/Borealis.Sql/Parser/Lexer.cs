using System.Globalization;
using System.Text;

namespace Borealis.Sql.Parser;

/// <summary>
/// PostgreSQL 15 scanner (scan.l) over a string. Tokens carry offsets into the source; only
/// identifiers that are not keywords, string constants and numbers allocate their values.
/// Lexing stops at the first error, which becomes an <see cref="TokenKind.Error"/> token so the
/// parser reports it only when it reaches that point, as PostgreSQL's on-demand scanner does.
/// </summary>
public static partial class Lexer
{
    /// <summary>PostgreSQL truncates identifiers to NAMEDATALEN-1 bytes.</summary>
    public const int MaxIdentifierBytes = 63;

    /// <summary>Appends the tokens of <paramref name="sql"/> to <paramref name="tokens"/>, ending
    /// with an EndOfInput or Error token.</summary>
    public static void Tokenize(string sql, List<Token> tokens)
    {
        var pos = 0;
        while (true)
        {
            var t = Next(sql, ref pos);
            tokens.Add(t);
            if (t.Kind is TokenKind.EndOfInput or TokenKind.Error)
            {
                return;
            }
        }
    }

    private static bool IsSpace(char c) => c is ' ' or '\t' or '\n' or '\r' or '\f' or '\v';

    private static bool IsIdentStart(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or '_' or >= '\u0080';

    private static bool IsIdentCont(char c) => IsIdentStart(c) || c is (>= '0' and <= '9') or '$';

    private static bool IsDigit(char c) => c is >= '0' and <= '9';

    private static bool IsOpChar(char c) =>
        c is '~' or '!' or '@' or '#' or '^' or '&' or '|' or '`' or '?' or '+' or '-' or '*' or '/' or '%' or '<' or '>' or '=';

    private static Token Error(string message, int start) => new(TokenKind.Error, start, start, Keyword.NotAKeyword, message, 0);

    private static Token Simple(TokenKind kind, int start, int len) => new(kind, start, start + len, Keyword.NotAKeyword, null, 0);

    /// <summary>Skips whitespace and comments; returns an error token for an unterminated comment.</summary>
    private static Token? SkipTrivia(string s, ref int pos)
    {
        while (pos < s.Length)
        {
            var c = s[pos];
            if (IsSpace(c))
            {
                pos++;
            }
            else if (c == '-' && pos + 1 < s.Length && s[pos + 1] == '-')
            {
                while (pos < s.Length && s[pos] != '\n' && s[pos] != '\r')
                {
                    pos++;
                }
            }
            else if (c == '/' && pos + 1 < s.Length && s[pos + 1] == '*')
            {
                var start = pos;
                var depth = 1;
                pos += 2;
                while (depth > 0)
                {
                    if (pos + 1 >= s.Length)
                    {
                        pos = s.Length;
                        return Error("unterminated /* comment", start);
                    }

                    if (s[pos] == '*' && s[pos + 1] == '/')
                    {
                        depth--;
                        pos += 2;
                    }
                    else if (s[pos] == '/' && s[pos + 1] == '*')
                    {
                        depth++;
                        pos += 2;
                    }
                    else
                    {
                        pos++;
                    }
                }
            }
            else
            {
                break;
            }
        }

        return null;
    }

    private static Token Next(string s, ref int pos)
    {
        if (SkipTrivia(s, ref pos) is { } err)
        {
            return err;
        }

        if (pos >= s.Length)
        {
            return Simple(TokenKind.EndOfInput, s.Length, 0);
        }

        var start = pos;
        var c = s[pos];
        var next = pos + 1 < s.Length ? s[pos + 1] : '\0';
        switch (c)
        {
            case '\'':
                return LexString(s, ref pos, start, pos + 1, extended: false);
            case 'e' or 'E' when next == '\'':
                return LexString(s, ref pos, start, pos + 2, extended: true);
            case 'n' or 'N' when next == '\'':
                // National character: same as a plain string.
                return LexString(s, ref pos, start, pos + 2, extended: false);
            case 'b' or 'B' when next == '\'':
                return LexBitString(s, ref pos, start, TokenKind.BitString);
            case 'x' or 'X' when next == '\'':
                return LexBitString(s, ref pos, start, TokenKind.HexString);
            case 'u' or 'U' when next == '&' && pos + 2 < s.Length && (s[pos + 2] == '\'' || s[pos + 2] == '"'):
                return LexUnicode(s, ref pos, start);
            case '"':
                return LexQuotedIdentifier(s, ref pos, start);
            case '$':
                return LexDollar(s, ref pos, start);
            case '(':
                pos++;
                return Simple(TokenKind.LParen, start, 1);
            case ')':
                pos++;
                return Simple(TokenKind.RParen, start, 1);
            case '[':
                pos++;
                return Simple(TokenKind.LBracket, start, 1);
            case ']':
                pos++;
                return Simple(TokenKind.RBracket, start, 1);
            case ',':
                pos++;
                return Simple(TokenKind.Comma, start, 1);
            case ';':
                pos++;
                return Simple(TokenKind.Semicolon, start, 1);
            case ':':
                if (next == ':')
                {
                    pos += 2;
                    return Simple(TokenKind.Typecast, start, 2);
                }

                if (next == '=')
                {
                    pos += 2;
                    return Simple(TokenKind.ColonEquals, start, 2);
                }

                pos++;
                return Simple(TokenKind.Colon, start, 1);
            case '.':
                if (IsDigit(next))
                {
                    return LexNumber(s, ref pos, start);
                }

                if (next == '.')
                {
                    pos += 2;
                    return Simple(TokenKind.DotDot, start, 2);
                }

                pos++;
                return Simple(TokenKind.Dot, start, 1);
        }

        if (IsDigit(c))
        {
            return LexNumber(s, ref pos, start);
        }

        if (IsIdentStart(c))
        {
            return LexIdentifier(s, ref pos, start);
        }

        if (IsOpChar(c))
        {
            return LexOperator(s, ref pos, start);
        }

        // Any other character is returned as a one-character token the grammar rejects.
        pos++;
        if (char.IsHighSurrogate(c) && pos < s.Length && char.IsLowSurrogate(s[pos]))
        {
            pos++;
        }

        return new Token(TokenKind.Operator, start, pos, Keyword.NotAKeyword, null, 0);
    }

    private static Token LexIdentifier(string s, ref int pos, int start)
    {
        var end = pos + 1;
        while (end < s.Length && IsIdentCont(s[end]))
        {
            end++;
        }

        pos = end;
        var len = end - start;
        if (len <= Keywords.MaxLength)
        {
            Span<char> lower = stackalloc char[len];
            for (var i = 0; i < len; i++)
            {
                var ch = s[start + i];
                lower[i] = ch is >= 'A' and <= 'Z' ? (char)(ch + 32) : ch;
            }

            var kw = Keywords.Lookup(lower);
            if (kw != Keyword.NotAKeyword)
            {
                return new Token(TokenKind.Identifier, start, end, kw, Keywords.Text(kw), 0);
            }

            return new Token(TokenKind.Identifier, start, end, Keyword.NotAKeyword, Truncate(new string(lower)), 0);
        }

        var value = string.Create(len, (s, start), static (dst, st) =>
        {
            for (var i = 0; i < dst.Length; i++)
            {
                var ch = st.s[st.start + i];
                dst[i] = ch is >= 'A' and <= 'Z' ? (char)(ch + 32) : ch;
            }
        });
        return new Token(TokenKind.Identifier, start, end, Keyword.NotAKeyword, Truncate(value), 0);
    }

    /// <summary>Truncates to 63 UTF-8 bytes without splitting a character, as PostgreSQL does.</summary>
    internal static string Truncate(string ident)
    {
        if (ident.Length <= MaxIdentifierBytes / 3 || Encoding.UTF8.GetByteCount(ident) <= MaxIdentifierBytes)
        {
            return ident;
        }

        var bytes = 0;
        var i = 0;
        while (i < ident.Length)
        {
            var step = char.IsHighSurrogate(ident[i]) && i + 1 < ident.Length ? 2 : 1;
            var n = Encoding.UTF8.GetByteCount(ident.AsSpan(i, step));
            if (bytes + n > MaxIdentifierBytes)
            {
                break;
            }

            bytes += n;
            i += step;
        }

        return ident[..i];
    }

    private static Token LexQuotedIdentifier(string s, ref int pos, int start) => LexQuotedIdentifier(s, ref pos, start, start + 1);

    private static Token LexQuotedIdentifier(string s, ref int pos, int start, int bodyStart)
    {
        var sb = new StringBuilder();
        var i = bodyStart;
        while (true)
        {
            if (i >= s.Length)
            {
                pos = s.Length;
                return Error("unterminated quoted identifier", start);
            }

            if (s[i] == '"')
            {
                if (i + 1 < s.Length && s[i + 1] == '"')
                {
                    sb.Append('"');
                    i += 2;
                    continue;
                }

                i++;
                break;
            }

            sb.Append(s[i]);
            i++;
        }

        pos = i;
        if (sb.Length == 0)
        {
            return Error("zero-length delimited identifier", start);
        }

        return new Token(TokenKind.QuotedIdentifier, start, i, Keyword.NotAKeyword, Truncate(sb.ToString()), 0);
    }

    private static Token LexDollar(string s, ref int pos, int start)
    {
        var i = start + 1;
        if (i < s.Length && IsDigit(s[i]))
        {
            while (i < s.Length && IsDigit(s[i]))
            {
                i++;
            }

            if (i < s.Length && IsIdentCont(s[i]))
            {
                var j = i;
                while (j < s.Length && IsIdentCont(s[j]))
                {
                    j++;
                }

                pos = j;
                return new Token(TokenKind.Error, start, j, Keyword.NotAKeyword, "trailing junk after parameter", 1);
            }

            pos = i;
            var digits = s.AsSpan(start + 1, i - start - 1);
            if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                return new Token(TokenKind.Error, start, i, Keyword.NotAKeyword, "parameter number too large", 1);
            }

            return new Token(TokenKind.Param, start, i, Keyword.NotAKeyword, null, n);
        }

        // $tag$ ... $tag$ with tag = [A-Za-z_\x80-][A-Za-z_0-9\x80-]*
        var tagEnd = i;
        if (tagEnd < s.Length && IsIdentStart(s[tagEnd]))
        {
            tagEnd++;
            while (tagEnd < s.Length && IsIdentStart(s[tagEnd]) | IsDigit(s[tagEnd]))
            {
                tagEnd++;
            }
        }

        if (tagEnd >= s.Length || s[tagEnd] != '$')
        {
            // Not a dollar quote: PostgreSQL returns '$' alone, which the grammar rejects.
            pos = start + 1;
            return new Token(TokenKind.Operator, start, start + 1, Keyword.NotAKeyword, null, 0);
        }

        var delimiter = s.AsSpan(start, tagEnd + 1 - start);
        var bodyStart = tagEnd + 1;
        var close = s.AsSpan(bodyStart).IndexOf(delimiter, StringComparison.Ordinal);
        if (close < 0)
        {
            pos = s.Length;
            return Error("unterminated dollar-quoted string", start);
        }

        pos = bodyStart + close + delimiter.Length;
        return new Token(TokenKind.String, start, pos, Keyword.NotAKeyword, s.Substring(bodyStart, close), 0);
    }

    private static Token LexNumber(string s, ref int pos, int start)
    {
        var i = start;
        var isInteger = true;
        while (i < s.Length && IsDigit(s[i]))
        {
            i++;
        }

        if (i < s.Length && s[i] == '.')
        {
            if (i + 1 < s.Length && s[i + 1] == '.')
            {
                // "1..": the integer, then DOT_DOT.
            }
            else
            {
                isInteger = false;
                i++;
                while (i < s.Length && IsDigit(s[i]))
                {
                    i++;
                }
            }
        }

        if (i < s.Length && (s[i] == 'e' || s[i] == 'E'))
        {
            var j = i + 1;
            if (j < s.Length && (s[j] == '+' || s[j] == '-'))
            {
                j++;
                if (j >= s.Length || !IsDigit(s[j]))
                {
                    pos = j;
                    return new Token(TokenKind.Error, start, j, Keyword.NotAKeyword, "trailing junk after numeric literal", 1);
                }
            }

            if (j < s.Length && IsDigit(s[j]))
            {
                isInteger = false;
                i = j;
                while (i < s.Length && IsDigit(s[i]))
                {
                    i++;
                }
            }
        }

        if (i < s.Length && IsIdentStart(s[i]))
        {
            var j = i;
            while (j < s.Length && IsIdentCont(s[j]))
            {
                j++;
            }

            pos = j;
            return new Token(TokenKind.Error, start, j, Keyword.NotAKeyword, "trailing junk after numeric literal", 1);
        }

        pos = i;
        var text = s.AsSpan(start, i - start);
        if (isInteger && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v))
        {
            return new Token(TokenKind.Integer, start, i, Keyword.NotAKeyword, null, v);
        }

        return new Token(TokenKind.Numeric, start, i, Keyword.NotAKeyword, text.ToString(), 0);
    }

    private static Token LexOperator(string s, ref int pos, int start)
    {
        var end = start;
        while (end < s.Length && IsOpChar(s[end]))
        {
            end++;
        }

        var n = end - start;
        // A comment start inside the run ends the operator.
        for (var k = start + 1; k < end - 1; k++)
        {
            if ((s[k] == '/' && s[k + 1] == '*') || (s[k] == '-' && s[k + 1] == '-'))
            {
                n = k - start;
                break;
            }
        }

        // A multi-character operator may end in + or - only if it contains a non-SQL-standard
        // operator character (so "a=-1" lexes as "=" then "-").
        if (n > 1 && (s[start + n - 1] == '+' || s[start + n - 1] == '-'))
        {
            var special = false;
            for (var k = start + n - 2; k >= start; k--)
            {
                if (s[k] is '~' or '!' or '@' or '#' or '^' or '&' or '|' or '`' or '?' or '%')
                {
                    special = true;
                    break;
                }
            }

            if (!special)
            {
                do
                {
                    n--;
                }
                while (n > 1 && (s[start + n - 1] == '+' || s[start + n - 1] == '-'));
            }
        }

        pos = start + n;
        if (n == 1)
        {
            var kind = s[start] switch
            {
                '+' => TokenKind.Plus,
                '-' => TokenKind.Minus,
                '*' => TokenKind.Star,
                '/' => TokenKind.Slash,
                '%' => TokenKind.Percent,
                '^' => TokenKind.Caret,
                '<' => TokenKind.Less,
                '>' => TokenKind.Greater,
                '=' => TokenKind.Equals,
                _ => TokenKind.Operator,
            };
            return Simple(kind, start, 1);
        }

        if (n == 2)
        {
            var a = s[start];
            var b = s[start + 1];
            var kind = (a, b) switch
            {
                ('=', '>') => TokenKind.EqualsGreater,
                ('>', '=') => TokenKind.GreaterEquals,
                ('<', '=') => TokenKind.LessEquals,
                ('<', '>') => TokenKind.NotEquals,
                ('!', '=') => TokenKind.NotEquals,
                _ => TokenKind.Operator,
            };
            if (kind != TokenKind.Operator)
            {
                return Simple(kind, start, 2);
            }
        }

        if (n >= 64)
        {
            return Error("operator too long", start);
        }

        return Simple(TokenKind.Operator, start, n);
    }
}
