using System.Globalization;
using System.Text;

namespace Borealis.Sql.Parser;

/// <summary>Quoted literals: standard and E'' strings with continuation lines, bit strings,
/// Unicode-escaped strings and identifiers (U&amp;'…' [UESCAPE 'c']).</summary>
public static partial class Lexer
{
    /// <summary>After a closing quote: whitespace containing a newline followed by a quote continues
    /// the literal (SQL standard). Returns the index of the continuing quote or -1.</summary>
    private static int Continuation(string s, int i)
    {
        var sawNewline = false;
        while (i < s.Length)
        {
            var c = s[i];
            if (c is '\n' or '\r')
            {
                sawNewline = true;
                i++;
            }
            else if (IsSpace(c))
            {
                i++;
            }
            else if (c == '-' && i + 1 < s.Length && s[i + 1] == '-')
            {
                while (i < s.Length && s[i] != '\n' && s[i] != '\r')
                {
                    i++;
                }
            }
            else
            {
                break;
            }
        }

        return sawNewline && i < s.Length && s[i] == '\'' ? i : -1;
    }

    private static Token LexString(string s, ref int pos, int start, int bodyStart, bool extended)
    {
        var sb = new StringBuilder();
        var i = bodyStart;
        while (true)
        {
            if (i >= s.Length)
            {
                pos = s.Length;
                return Error("unterminated quoted string", start);
            }

            var c = s[i];
            if (c == '\'')
            {
                if (i + 1 < s.Length && s[i + 1] == '\'')
                {
                    sb.Append('\'');
                    i += 2;
                    continue;
                }

                var cont = Continuation(s, i + 1);
                if (cont >= 0)
                {
                    i = cont + 1;
                    continue;
                }

                i++;
                break;
            }

            if (extended && c == '\\' && i + 1 < s.Length)
            {
                i = Escape(s, i + 1, sb, out var bad);
                if (bad is not null)
                {
                    pos = s.Length;
                    return Error(bad, start);
                }

                continue;
            }

            sb.Append(c);
            i++;
        }

        pos = i;
        return new Token(TokenKind.String, start, i, Keyword.NotAKeyword, sb.ToString(), 0);
    }

    /// <summary>Processes one backslash escape of an E'' string; i is just past the backslash.</summary>
    private static int Escape(string s, int i, StringBuilder sb, out string? error)
    {
        error = null;
        var c = s[i];
        switch (c)
        {
            case 'b':
                sb.Append('\b');
                return i + 1;
            case 'f':
                sb.Append('\f');
                return i + 1;
            case 'n':
                sb.Append('\n');
                return i + 1;
            case 'r':
                sb.Append('\r');
                return i + 1;
            case 't':
                sb.Append('\t');
                return i + 1;
            case >= '0' and <= '7':
            {
                var v = 0;
                var n = 0;
                while (n < 3 && i < s.Length && s[i] is >= '0' and <= '7')
                {
                    v = (v * 8) + (s[i] - '0');
                    i++;
                    n++;
                }

                sb.Append((char)(v & 0xFF));
                return i;
            }

            case 'x' when i + 1 < s.Length && char.IsAsciiHexDigit(s[i + 1]):
            {
                i++;
                var v = 0;
                var n = 0;
                while (n < 2 && i < s.Length && char.IsAsciiHexDigit(s[i]))
                {
                    v = (v * 16) + HexValue(s[i]);
                    i++;
                    n++;
                }

                sb.Append((char)v);
                return i;
            }

            case 'u' or 'U':
            {
                var digits = c == 'u' ? 4 : 8;
                var v = 0;
                for (var k = 1; k <= digits; k++)
                {
                    if (i + k >= s.Length || !char.IsAsciiHexDigit(s[i + k]))
                    {
                        error = "invalid Unicode escape";
                        return i;
                    }

                    v = (v * 16) + HexValue(s[i + k]);
                }

                if (!AppendCodePoint(sb, v))
                {
                    error = "invalid Unicode escape value";
                    return i;
                }

                return i + digits + 1;
            }

            default:
                sb.Append(c);
                return i + 1;
        }
    }

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

    private static bool AppendCodePoint(StringBuilder sb, int v)
    {
        if (v is <= 0 or > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        {
            return false;
        }

        sb.Append(char.ConvertFromUtf32(v));
        return true;
    }

    private static Token LexBitString(string s, ref int pos, int start, TokenKind kind)
    {
        var i = start + 2;
        var sb = new StringBuilder();
        while (true)
        {
            if (i >= s.Length)
            {
                pos = s.Length;
                return Error(kind == TokenKind.BitString ? "unterminated bit string literal" : "unterminated hexadecimal string literal", start);
            }

            if (s[i] == '\'')
            {
                var cont = Continuation(s, i + 1);
                if (cont >= 0)
                {
                    i = cont + 1;
                    continue;
                }

                i++;
                break;
            }

            sb.Append(s[i]);
            i++;
        }

        pos = i;
        return new Token(kind, start, i, Keyword.NotAKeyword, sb.ToString(), 0);
    }

    private static Token LexUnicode(string s, ref int pos, int start)
    {
        var quote = s[start + 2];
        Token raw;
        var p = start + 2;
        if (quote == '"')
        {
            raw = LexQuotedIdentifier(s, ref p, start, start + 3);
        }
        else
        {
            raw = LexString(s, ref p, start, start + 3, extended: false);
        }

        if (raw.Kind == TokenKind.Error)
        {
            pos = p;
            return raw;
        }

        // Optional UESCAPE 'c' (a keyword lookahead, as PostgreSQL's filter does).
        var escape = '\\';
        var after = p;
        var probe = p;
        if (SkipTrivia(s, ref probe) is null && probe + 7 <= s.Length &&
            s.AsSpan(probe, 7).Equals("uescape", StringComparison.OrdinalIgnoreCase) &&
            (probe + 7 == s.Length || !IsIdentCont(s[probe + 7])))
        {
            var q = probe + 7;
            if (SkipTrivia(s, ref q) is null && q + 2 < s.Length && s[q] == '\'' && s[q + 2] == '\'')
            {
                escape = s[q + 1];
                after = q + 3;
            }
            else
            {
                pos = s.Length;
                return Error("UESCAPE must be followed by a simple string literal", probe);
            }
        }

        var sb = new StringBuilder();
        var v = raw.Value!;
        for (var i = 0; i < v.Length; i++)
        {
            if (v[i] != escape)
            {
                sb.Append(v[i]);
                continue;
            }

            if (i + 1 < v.Length && v[i + 1] == escape)
            {
                sb.Append(escape);
                i++;
                continue;
            }

            var digits = i + 1 < v.Length && v[i + 1] == '+' ? 6 : 4;
            var first = digits == 6 ? i + 2 : i + 1;
            if (first + digits > v.Length ||
                !int.TryParse(v.AsSpan(first, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var cp) ||
                !AppendCodePoint(sb, cp))
            {
                pos = s.Length;
                return Error("invalid Unicode escape", start);
            }

            i = first + digits - 1;
        }

        pos = after;
        return raw with { End = after, Value = sb.ToString() };
    }
}
