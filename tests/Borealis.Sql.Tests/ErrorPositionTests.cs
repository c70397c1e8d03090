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

    /// <summary>Single-token mutations of valid statements (deleted, inserted or replaced tokens),
    /// with the error PostgreSQL 15 reported for each.</summary>
    [Theory]
    [InlineData("INSERT DEFAULT s.t AS x (a) SELECT a FROM u", "syntax error at or near \"DEFAULT\"", 8)]
    [InlineData("SET  FROM CURRENT", "syntax error at or near \"FROM\"", 6)]
    [InlineData("SET NULL search_path = 'a', b", "syntax error at or near \"NULL\"", 5)]
    [InlineData("SELECT * FROM unnest(ARRAY[1, 2]WHERE u", "syntax error at or near \"WHERE\"", 33)]
    [InlineData("ALTER TABLE t ALTER COLUMN a  bigint, ALTER COLUMN b SET DATA TYPE text COLLATE \"C\" USING b::text", "syntax error at or near \"bigint\"", 31)]
    [InlineData("SHOW TRANSACTION ISOLATION ", "syntax error at end of input", 28)]
    [InlineData("REVOKE , OPTION FOR SELECT ON t FROM bob", "syntax error at or near \",\"", 8)]
    [InlineData("DISCARD ALL TEMP", "syntax error at or near \"TEMP\"", 13)]
    [InlineData("NULL SET SESSION AUTHORIZATION DEFAULT", "syntax error at or near \"NULL\"", 1)]
    [InlineData("SELECT 1 EXCEPT ALL SELECT 2  ALL SELECT 3", "syntax error at or near \"SELECT\"", 35)]
    [InlineData("SHOW DEFAULT ISOLATION LEVEL", "syntax error at or near \"DEFAULT\"", 6)]
    [InlineData("SELECT name, key, value, filter, position, type, data, text year, first, last, action FROM t", "syntax error at or near \"year\"", 61)]
    [InlineData("UPDATE pgbench_tellers SET tbalance = tbalance IN $1 WHERE tid = $2", "syntax error at or near \"$1\"", 51)]
    [InlineData("REVOKE ALL ON t FROM bob ON", "syntax error at or near \"ON\"", 26)]
    [InlineData("UPDATE t SET  = 1", "syntax error at or near \"=\"", 15)]
    [InlineData("SET x. = 1.5", "syntax error at or near \"=\"", 8)]
    [InlineData("INSERT INTO t (a, b VALUES (1, DEFAULT), (DEFAULT, 2)", "syntax error at or near \"VALUES\"", 21)]
    [InlineData("SELECT $1, $2::text, 3[1]", "syntax error at or near \"[\"", 23)]
    [InlineData("LOCK ", "syntax error at end of input", 6)]
    [InlineData("REVOKE ALL ON t FROM bob BY CASCADE", "syntax error at or near \"BY\"", 26)]
    [InlineData("SET search_path VALUES TO public, \"$user\"", "syntax error at or near \"VALUES\"", 17)]
    [InlineData("UPDATE pgbench_tellers SET tbalance = tbalance + = $1 WHERE tid = $2", "syntax error at or near \"=\"", 50)]
    [InlineData("SET LOCAL work_mem SET '64MB'", "syntax error at or near \"SET\"", 20)]
    [InlineData("GRANT admin  bob", "syntax error at or near \"bob\"", 14)]
    [InlineData("CREATE TEMP SEQUENCE s INCREMENT -1 NO MINVALUE NO MAXVALUE NO GROUP START 1", "syntax error at or near \"GROUP\"", 64)]
    [InlineData("IN ANALYZE VERBOSE t", "syntax error at or near \"IN\"", 1)]
    [InlineData("DELETE  sbtest1 WHERE id=$1", "syntax error at or near \"sbtest1\"", 9)]
    [InlineData("SELECT a BETWEEN 1 ; AND 2, a NOT BETWEEN SYMMETRIC 2 AND 1, a BETWEEN b + 1 AND c * 2", "syntax error at or near \";\"", 20)]
    [InlineData("INSERT INTO t VALUES (1, 'a'::", "syntax error at end of input", 31)]
    [InlineData("VACUUM (PARALLEL 4, INDEX_CLEANUP off t", "syntax error at or near \"t\"", 39)]
    [InlineData("SELECT a BETWEEN 1 AND 2, a NOT BETWEEN SYMMETRIC 2 AND 1, a  b + 1 AND c * 2", "syntax error at or near \"+\"", 65)]
    [InlineData("SELECT c FROM sbtest1 WHERE id BETWEEN WHERE AND 5111 ORDER BY c", "syntax error at or near \"WHERE\"", 40)]
    [InlineData("LIMIT RELEASE sp1", "syntax error at or near \"LIMIT\"", 1)]
    [InlineData("NOT SEQUENCE s RENAME TO t", "syntax error at or near \"NOT\"", 1)]
    [InlineData("SELECT 1;  2;;", "syntax error at or near \"2\"", 12)]
    [InlineData("SELECT DISTINCT a FROM ", "syntax error at end of input", 24)]
    [InlineData("COPY (SELECT * FROM t WHERE a > 1) TO STDOUT WITH (FORMAT AS, FORCE_QUOTE (a, b))", "syntax error at or near \"AS\"", 59)]
    [InlineData("insert into pgbench_accounts(aid,bid,abalance,filler) select aid, (aid - 1) / 100000 + 1, , '' from generate_series(1, 100000) as aid", "syntax error at or near \",\"", 91)]
    [InlineData(" 1 EXCEPT ALL SELECT 2 INTERSECT ALL SELECT 3", "syntax error at or near \"1\"", 2)]
    [InlineData("SELECT EXISTS (CASE SELECT 1), NOT EXISTS (SELECT 1 FROM t WHERE t.a = u.a)", "syntax error at or near \"CASE\"", 16)]
    [InlineData("truncate table pgbench_accounts, ORDER pgbench_branches, pgbench_history, pgbench_tellers", "syntax error at or near \"ORDER\"", 34)]
    [InlineData("SET SESSION CHARACTERISTICS AS TRANSACTION  LEVEL READ COMMITTED", "syntax error at or near \"LEVEL\"", 45)]
    [InlineData(" a FROM t FOR UPDATE OF t NOWAIT", "syntax error at or near \"a\"", 2)]
    [InlineData("CREATE TABLE t (a  COLLATE \"C\" NOT NULL)", "syntax error at or near \"COLLATE\"", 20)]
    [InlineData("vacuum ) analyze pgbench_branches", "syntax error at or near \")\"", 8)]
    [InlineData(" a FROM t OFFSET 5 ROWS FETCH FIRST 3 ROWS ONLY", "syntax error at or near \"a\"", 2)]
    [InlineData(" pgbench_tellers SET tbalance = tbalance + -4112 WHERE tid = 5;", "syntax error at or near \"pgbench_tellers\"", 2)]
    [InlineData("INSERT INTO sbtest1 (id, k, , pad) VALUES ($1, $2, $3, $4)", "syntax error at or near \",\"", 29)]
    [InlineData("DELETE ALL FROM t", "syntax error at or near \"ALL\"", 8)]
    [InlineData("REVOKE GRANT OPTION FOR SELECT ON t AS bob", "syntax error at or near \"AS\"", 37)]
    [InlineData("SHOW END search_path", "syntax error at or near \"END\"", 6)]
    [InlineData("NULL LOCK t", "syntax error at or near \"NULL\"", 1)]
    [InlineData("DROP TABLE a IF EXISTS sbtest1", "syntax error at or near \"IF\"", 14)]
    [InlineData("ALTER ALL v RENAME TO w", "syntax error at or near \"ALL\"", 7)]
    [InlineData("TRUNCATE  CONTINUE IDENTITY RESTRICT", "syntax error at or near \"IDENTITY\"", 20)]
    [InlineData("alter table pgbench_branches add primary key (bid", "syntax error at end of input", 50)]
    [InlineData("CREATE TABLE SCHEMA IF NOT EXISTS s AUTHORIZATION bob", "syntax error at or near \"IF\"", 21)]
    [InlineData("CREATE ] s", "syntax error at or near \"]\"", 8)]
    [InlineData("BY LISTEN ch", "syntax error at or near \"BY\"", 1)]
    [InlineData("alter table pgbench_accounts add  pgbench_accounts_bid_fkey foreign key (bid) references pgbench_branches", "syntax error at or near \"foreign\"", 61)]
    [InlineData("SET SCHEMA VALUES 'public'", "syntax error at or near \"VALUES\"", 12)]
    [InlineData(" ROLE r WITH NOSUPERUSER", "syntax error at or near \"ROLE\"", 2)]
    [InlineData("SELECT * FROM pg_catalog.SELECT pg_class c LEFT JOIN LATERAL pg_catalog.unnest(c.relacl) a ON true", "syntax error at or near \"c\"", 42)]
    [InlineData("ALTER TABLE t  CONSTRAINT c, DROP CONSTRAINT IF EXISTS d CASCADE", "syntax error at or near \"CONSTRAINT\"", 16)]
    [InlineData("SELECT * FROM a JOIN b ON a. = b.id", "syntax error at or near \"=\"", 30)]
    [InlineData("SELECT a FROM  ORDER BY a FETCH FIRST 2 ROWS WITH TIES", "syntax error at or near \"ORDER\"", 16)]
    [InlineData("SELECT NULL * FROM a JOIN b USING (id) AS j", "syntax error at or near \"FROM\"", 15)]
    [InlineData("NULL START TRANSACTION READ ONLY", "syntax error at or near \"NULL\"", 1)]
    [InlineData("SELECT  = NOT b", "syntax error at or near \"=\"", 9)]
    [InlineData("INSERT INTO t (a) (SELECT 1", "syntax error at end of input", 28)]
    [InlineData("COPY t FROM STDIN WHERE  > 0", "syntax error at or near \">\"", 26)]
    [InlineData("CREATE ROLE r WITH LOGIN SUPERUSER NOCREATEDB PASSWORD 'secret' CONNECTION LIMIT 3 VALID UNTIL '2030-01-01' IN ROLE ", "syntax error at end of input", 117)]
    [InlineData(", commit", "syntax error at or near \",\"", 1)]
    [InlineData("AS VACUUM", "syntax error at or near \"AS\"", 1)]
    [InlineData("SELECT DISTINCT c FROM sbtest1 WHERE id BETWEEN $1 AND $2 ORDER [ BY c", "syntax error at or near \"[\"", 65)]
    [InlineData("CREATE DATABASE ", "syntax error at end of input", 17)]
    [InlineData("COMMIT AND JOIN", "syntax error at or near \"JOIN\"", 12)]
    [InlineData("SELECT abalance FROM pgbench_accounts WHERE aid = $IS 1", "syntax error at or near \"$\"", 51)]
    [InlineData("ALTER INDEX i RENAME AND TO j", "syntax error at or near \"AND\"", 22)]
    [InlineData("AS SET NAMES 'UTF8'", "syntax error at or near \"AS\"", 1)]
    public void MutatedStatementsMatchPostgres(string sql, string message, int position) => MatchesPostgres(sql, message, position);

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
