using Borealis.Sql.Parser;

namespace Borealis.Sql.Tests;

/// <summary>Scanner rules (PostgreSQL 15 scan.l) and the keyword table.</summary>
public sealed class LexerTests
{
    private static List<Token> Lex(string sql)
    {
        var tokens = new List<Token>();
        Lexer.Tokenize(sql, tokens);
        return tokens;
    }

    private static Token Single(string sql)
    {
        var t = Lex(sql);
        Assert.Equal(2, t.Count);
        Assert.Equal(TokenKind.EndOfInput, t[1].Kind);
        return t[0];
    }

    [Fact]
    public void IdentifiersFoldToLowerCaseUnlessQuoted()
    {
        Assert.Equal("mytable", Single("MyTable").Value);
        Assert.Equal("MyTable", Single("\"MyTable\"").Value);
        Assert.Equal("a\"b", Single("\"a\"\"b\"").Value);
        Assert.Equal("x$1", Single("x$1").Value);
        Assert.Equal(TokenKind.QuotedIdentifier, Single("\"select\"").Kind);
        Assert.Equal(Keyword.NotAKeyword, Single("\"select\"").Keyword);
        Assert.Equal(Keyword.Select, Single("SeLeCt").Keyword);
        Assert.Equal("dat", Single("U&\"d\\0061t\"").Value);
    }

    [Fact]
    public void LongIdentifiersAreTruncatedTo63Bytes()
    {
        Assert.Equal(new string('a', 63), Single(new string('A', 100)).Value);
        Assert.Equal(31, Single(new string('é', 40)).Value!.Length);
    }

    [Fact]
    public void StringConstants()
    {
        Assert.Equal("it's", Single("'it''s'").Value);
        Assert.Equal("a\\nb", Single("'a\\nb'").Value);
        Assert.Equal("a\nb\t\u0001A\u00e9x'", Single("E'a\\nb\\t\\001\\x41\\u00e9\\x\\''").Value);
        Assert.Equal("ab", Single("'a'\n  'b'").Value);
        Assert.Equal(2, Lex("'a' 'b'").Count - 1);
        Assert.Equal("x 'y' ", Single("$$x 'y' $$").Value);
        Assert.Equal("body $$ inner", Single("$fn$body $$ inner$fn$").Value);
        Assert.Equal("dat", Single("U&'d\\0061t'").Value);
        Assert.Equal("dat", Single("U&'d!0061t' UESCAPE '!'").Value);
        Assert.Equal(("1010", TokenKind.BitString), (Single("B'1010'").Value, Single("b'1010'").Kind));
        Assert.Equal(("1F", TokenKind.HexString), (Single("X'1F'").Value, Single("x'1F'").Kind));
        Assert.Equal("nat", Single("N'nat'").Value);
    }

    [Fact]
    public void Numbers()
    {
        Assert.Equal((TokenKind.Integer, 42L), (Single("42").Kind, Single("42").Integer));
        Assert.Equal(long.MaxValue, Single("9223372036854775807").Integer);
        Assert.Equal((TokenKind.Numeric, "9223372036854775808"), (Single("9223372036854775808").Kind, Single("9223372036854775808").Value));
        Assert.Equal("1.5", Single("1.5").Value);
        Assert.Equal(".5", Single(".5").Value);
        Assert.Equal("1.", Single("1.").Value);
        Assert.Equal("1e10", Single("1e10").Value);
        Assert.Equal("2.5E-3", Single("2.5E-3").Value);
        var range = Lex("1..2");
        Assert.Equal([TokenKind.Integer, TokenKind.DotDot, TokenKind.Integer, TokenKind.EndOfInput], range.Select(t => t.Kind));
        Assert.Equal(TokenKind.Error, Lex("123abc")[0].Kind);
        Assert.Equal(TokenKind.Error, Lex("1e+")[0].Kind);
    }

    [Fact]
    public void Parameters()
    {
        Assert.Equal((TokenKind.Param, 12L), (Single("$12").Kind, Single("$12").Integer));
        Assert.Equal(TokenKind.Error, Lex("$1a")[0].Kind);
    }

    [Theory]
    [InlineData("a::int", new[] { "a", "::", "int" })]
    [InlineData("a->>'k'", new[] { "a", "->>", "'k'" })]
    [InlineData("a->'k'", new[] { "a", "->", "'k'" })]
    [InlineData("a@>b", new[] { "a", "@>", "b" })]
    [InlineData("a||b", new[] { "a", "||", "b" })]
    [InlineData("a!=b", new[] { "a", "!=", "b" })]
    [InlineData("a<>b", new[] { "a", "<>", "b" })]
    [InlineData("a=-1", new[] { "a", "=", "-", "1" })]
    [InlineData("a<-1", new[] { "a", "<", "-", "1" })]
    [InlineData("a@-1", new[] { "a", "@-", "1" })]
    [InlineData("a*-1", new[] { "a", "*", "-", "1" })]
    [InlineData("a+-/*c*/1", new[] { "a", "+", "-", "1" })]
    [InlineData("a--c\n+1", new[] { "a", "+", "1" })]
    [InlineData("x=>1", new[] { "x", "=>", "1" })]
    [InlineData("x:=1", new[] { "x", ":=", "1" })]
    [InlineData("a/* /* nested */ still */b", new[] { "a", "b" })]
    public void OperatorsAndComments(string sql, string[] expected)
    {
        var tokens = Lex(sql);
        Assert.Equal(TokenKind.EndOfInput, tokens[^1].Kind);
        Assert.Equal(expected, tokens.SkipLast(1).Select(t => sql[t.Start..t.End]));
    }

    [Fact]
    public void OperatorKinds()
    {
        Assert.Equal(TokenKind.NotEquals, Lex("a != b")[1].Kind);
        Assert.Equal(TokenKind.NotEquals, Lex("a <> b")[1].Kind);
        Assert.Equal(TokenKind.Typecast, Lex("a::b")[1].Kind);
        Assert.Equal(TokenKind.Operator, Lex("a ->> b")[1].Kind);
    }

    [Fact]
    public void UnterminatedInputBecomesAnErrorToken()
    {
        Assert.Equal("unterminated quoted string", Lex("SELECT 'abc")[1].Value);
        Assert.Equal("unterminated quoted identifier", Lex("SELECT \"abc")[1].Value);
        Assert.Equal("unterminated dollar-quoted string", Lex("SELECT $x$abc")[1].Value);
        Assert.Equal("unterminated /* comment", Lex("SELECT /* /* */")[1].Value);
        Assert.Equal("unterminated bit string literal", Lex("SELECT B'01")[1].Value);
        Assert.Equal(7, Lex("SELECT 'abc")[1].Start);
    }

    [Fact]
    public void KeywordTableIsPostgres15s()
    {
        // Pinned: PostgreSQL 15 has 460 keywords (77 reserved, 51 column-name, 23 type/function-name).
        var all = Enumerable.Range(1, 460).Select(i => (Keyword)i).ToList();
        Assert.Equal(461, Enum.GetValues<Keyword>().Length);
        Assert.Equal(77, all.Count(k => Keywords.Category(k) == KeywordCategory.Reserved));
        Assert.Equal(51, all.Count(k => Keywords.Category(k) == KeywordCategory.ColName));
        Assert.Equal(23, all.Count(k => Keywords.Category(k) == KeywordCategory.TypeFuncName));
        Assert.Equal(KeywordCategory.Unreserved, Keywords.Category(Keyword.Name));
        Assert.Equal(KeywordCategory.Unreserved, Keywords.Category(Keyword.Key));
        Assert.Equal(KeywordCategory.Unreserved, Keywords.Category(Keyword.Value));
        Assert.Equal(KeywordCategory.ColName, Keywords.Category(Keyword.Position));
        Assert.Equal(KeywordCategory.TypeFuncName, Keywords.Category(Keyword.Left));
        Assert.Equal(KeywordCategory.Reserved, Keywords.Category(Keyword.Select));
        Assert.False(Keywords.IsBareLabel(Keyword.Year));
        Assert.True(Keywords.IsBareLabel(Keyword.Name));
        foreach (var k in all)
        {
            Assert.Equal(k, Keywords.Lookup(Keywords.Text(k)));
        }
    }

    [Fact]
    public void PositionsAreSourceOffsets()
    {
        var t = Lex("SELECT  abc ,'x'");
        Assert.Equal([(0, 6), (8, 11), (12, 13), (13, 16), (16, 16)], t.Select(x => (x.Start, x.End)));
    }
}
