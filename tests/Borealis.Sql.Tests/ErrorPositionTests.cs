using Borealis.Sql.Parser;

namespace Borealis.Sql.Tests;

/// <summary>Error messages, SQLSTATEs and 1-based character positions exactly as PostgreSQL 15
/// reports them for the same input (expected values captured from a PostgreSQL 15 server).</summary>
public sealed class ErrorPositionTests
{
    [Theory]
    [InlineData("select 1 +", "syntax error at end of input", 11)]
    [InlineData("select from where", "syntax error at or near \"where\"", 13)]
    [InlineData("SELECT * FROM t WHERE", "syntax error at end of input", 22)]
    [InlineData("SELECT a, FROM t", "syntax error at or near \"FROM\"", 11)]
    [InlineData("SELECT (1 + 2", "syntax error at end of input", 14)]
    [InlineData("SELECT 1)", "syntax error at or near \")\"", 9)]
    [InlineData("selec 1", "syntax error at or near \"selec\"", 1)]
    [InlineData("SELECT * FROM t WHERE a = = 1", "syntax error at or near \"=\"", 27)]
    [InlineData("SELECT a = b = c", "syntax error at or near \"=\"", 14)]
    [InlineData("INSERT INTO t VALUES (1,", "syntax error at end of input", 25)]
    [InlineData("INSERT INTO t (a b) VALUES (1)", "syntax error at or near \"b\"", 18)]
    [InlineData("UPDATE t SET WHERE a = 1", "syntax error at or near \"WHERE\"", 14)]
    [InlineData("DELETE t WHERE a = 1", "syntax error at or near \"t\"", 8)]
    [InlineData("CREATE TABLE t (a int,)", "syntax error at or near \")\"", 23)]
    [InlineData("CREATE TABLE t (a int b int)", "syntax error at or near \"b\"", 23)]
    [InlineData("CREATE TABLE (a int)", "syntax error at or near \"(\"", 14)]
    [InlineData("DROP TABLE", "syntax error at end of input", 11)]
    [InlineData("SELECT * FROM t ORDER BY", "syntax error at end of input", 25)]
    [InlineData("SELECT * FROM t LIMIT", "syntax error at end of input", 22)]
    [InlineData("SELECT 'abc", "unterminated quoted string at or near \"'abc\"", 8)]
    [InlineData("SELECT \"abc", "unterminated quoted identifier at or near \"\"abc\"", 8)]
    [InlineData("SELECT $$abc", "unterminated dollar-quoted string at or near \"$$abc\"", 8)]
    [InlineData("SELECT /* abc", "unterminated /* comment at or near \"/* abc\"", 8)]
    [InlineData("SELECT 123abc", "trailing junk after numeric literal at or near \"123abc\"", 8)]
    [InlineData("SELECT 1.5e", "trailing junk after numeric literal at or near \"1.5e\"", 8)]
    [InlineData("SELECT $1x", "trailing junk after parameter at or near \"$1x\"", 8)]
    [InlineData("SELECT * FROM (SELECT 1)", "subquery in FROM must have an alias", 15)]
    [InlineData("SELECT CASE WHEN 1 THEN 2", "syntax error at end of input", 26)]
    [InlineData("SELECT CAST(1 AS)", "syntax error at or near \")\"", 17)]
    [InlineData("SELECT count(*", "syntax error at end of input", 15)]
    [InlineData("SELECT 1; SELECT 2 +", "syntax error at end of input", 21)]
    [InlineData("SELECT 1 2", "syntax error at or near \"2\"", 10)]
    [InlineData("SELECT * FROM t JOIN u", "syntax error at end of input", 23)]
    [InlineData("SELECT * FROM t GROUP a", "syntax error at or near \"a\"", 23)]
    [InlineData("SELECT 1 UNION", "syntax error at end of input", 15)]
    [InlineData("SELECT select", "syntax error at or near \"select\"", 8)]
    [InlineData("SELECT 1 FROM t WHERE a IN ()", "syntax error at or near \")\"", 29)]
    [InlineData("SELECT 1 FROM t WHERE a BETWEEN 1", "syntax error at end of input", 34)]
    [InlineData("CREATE INDEX ON", "syntax error at end of input", 16)]
    [InlineData("BEGIN ISOLATION LEVEL foo", "syntax error at or near \"foo\"", 23)]
    [InlineData("SET x TO", "syntax error at end of input", 9)]
    [InlineData("SHOW", "syntax error at end of input", 5)]
    [InlineData("COPY t FROM", "syntax error at end of input", 12)]
    [InlineData("EXPLAIN", "syntax error at end of input", 8)]
    [InlineData("SELECT ARRAY[1,2", "syntax error at end of input", 17)]
    [InlineData("SELECT 1::", "syntax error at end of input", 11)]
    [InlineData("SELECT * FROM t WHERE a NOT", "syntax error at or near \"NOT\"", 25)]
    [InlineData("SELECT é FROM", "syntax error at end of input", 14)]
    [InlineData("SELECT 'é' ||| ", "syntax error at end of input", 16)]
    [InlineData("SELECT * FROM t t2 t3", "syntax error at or near \"t3\"", 20)]
    [InlineData("SELECT 1 AS", "syntax error at end of input", 12)]
    [InlineData("VALUES (1), ", "syntax error at end of input", 13)]
    [InlineData("SELECT (SELECT 1 FROM) ", "syntax error at or near \")\"", 22)]
    [InlineData("SELECT 1 FROM t WHERE x = ANY(", "syntax error at end of input", 31)]
    [InlineData("SELECT 1 LIMIT 1, 2", "LIMIT #,# syntax is not supported", 10)]
    [InlineData("WITH a AS (SELECT 1) ", "syntax error at end of input", 22)]
    [InlineData("SELECT * FROM t FOR UPDATE OF", "syntax error at end of input", 30)]
    [InlineData("ALTER TABLE t ADD", "syntax error at end of input", 18)]
    [InlineData("SELECT 1 FROM t AS", "syntax error at end of input", 19)]
    public void MatchesPostgres(string sql, string message, int position)
    {
        var e = TestSql.Error(sql);
        Assert.Equal((SqlStates.SyntaxError, message, position), (e.SqlState, e.Message, e.Position));
    }

    [Fact]
    public void ParseThrowsParseExceptionWithTheSameError()
    {
        var ex = Assert.Throws<ParseException>(() => SqlParser.Parse("SELECT 1 +"));
        Assert.Equal("42601", ex.SqlState);
        Assert.Equal(11, ex.Position);
        Assert.Equal("syntax error at end of input", ex.Message);
    }

    [Fact]
    public void PositionsCountCharactersNotUtf16Units()
    {
        // U+1F600 is two UTF-16 units but one character for PostgreSQL.
        var e = TestSql.Error("SELECT '\U0001F600' FROM WHERE");
        Assert.Equal(17, e.Position);
    }

    [Fact]
    public void DeepNestingIsStatementTooComplex()
    {
        var sql = "SELECT " + new string('(', 100_000) + "1" + new string(')', 100_000);
        var e = TestSql.Error(sql);
        Assert.Equal(SqlStates.StatementTooComplex, e.SqlState);

        var subqueries = "SELECT " + string.Concat(Enumerable.Repeat("(SELECT ", 20_000)) + "1" + new string(')', 20_000);
        Assert.Equal(SqlStates.StatementTooComplex, TestSql.Error(subqueries).SqlState);

        var minus = "SELECT " + string.Concat(Enumerable.Repeat("- ", 100_000)) + "1";
        Assert.Equal(SqlStates.StatementTooComplex, TestSql.Error(minus).SqlState);
    }

    [Fact]
    public void ModerateNestingParses()
    {
        var sql = "SELECT " + new string('(', 200) + "1" + new string(')', 200);
        Assert.Single(SqlParser.Parse(sql));
    }
}
