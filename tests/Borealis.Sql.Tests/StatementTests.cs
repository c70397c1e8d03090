using Borealis.Sql.Ast;
using Borealis.Sql.Parser;

namespace Borealis.Sql.Tests;

/// <summary>Statement shapes for each statement family.</summary>
public sealed class StatementTests
{
    [Fact]
    public void SelectClauses()
    {
        var s = TestSql.One<SelectStatement>(
            "SELECT DISTINCT ON (a) a, b AS x FROM t JOIN u USING (id) LEFT JOIN v ON v.id = t.id WHERE a > 1 GROUP BY 1, b HAVING count(*) > 1 ORDER BY a DESC LIMIT 5 OFFSET 2 FOR UPDATE SKIP LOCKED");
        var core = Assert.IsType<SelectCore>(s.Body);
        Assert.Single(core.DistinctOn);
        Assert.Equal("x", core.Targets[1].Alias);
        var left = Assert.IsType<JoinRef>(Assert.Single(core.From));
        Assert.Equal(JoinKind.Left, left.Kind);
        var inner = Assert.IsType<JoinRef>(left.Left);
        Assert.Equal(["id"], inner.Using!);
        Assert.Equal(2, core.GroupBy.Count);
        Assert.Equal(1, Assert.IsType<IntegerLiteral>(core.GroupBy[0]).Value);
        Assert.NotNull(core.Having);
        Assert.Equal(SortDirection.Desc, Assert.Single(s.OrderBy).Direction);
        Assert.Equal(5, Assert.IsType<IntegerLiteral>(s.Limit).Value);
        Assert.Equal(2, Assert.IsType<IntegerLiteral>(s.Offset).Value);
        Assert.Equal(LockWaitPolicy.SkipLocked, Assert.Single(s.Locking).Wait);
    }

    [Fact]
    public void FetchFirstIsALimit()
    {
        var s = TestSql.One<SelectStatement>("SELECT a FROM t FETCH FIRST 3 ROWS ONLY");
        Assert.Equal(3, Assert.IsType<IntegerLiteral>(s.Limit).Value);
        Assert.Equal(1, Assert.IsType<IntegerLiteral>(TestSql.One<SelectStatement>("SELECT a FROM t FETCH FIRST ROW ONLY").Limit).Value);
    }

    [Fact]
    public void SetOperationPrecedence()
    {
        var s = TestSql.One<SelectStatement>("SELECT 1 UNION SELECT 2 INTERSECT SELECT 3 EXCEPT ALL SELECT 4");
        var except = Assert.IsType<SetOperation>(s.Body);
        Assert.Equal(SetOperator.Except, except.Op);
        Assert.True(except.All);
        var union = Assert.IsType<SetOperation>(except.Left);
        Assert.Equal(SetOperator.Union, union.Op);
        Assert.Equal(SetOperator.Intersect, Assert.IsType<SetOperation>(union.Right).Op);

        var paren = TestSql.One<SelectStatement>("(SELECT 1 LIMIT 1) UNION SELECT 2 ORDER BY 1");
        var op = Assert.IsType<SetOperation>(paren.Body);
        Assert.IsType<NestedQuery>(op.Left);
        Assert.Single(paren.OrderBy);
    }

    [Fact]
    public void FromItems()
    {
        var s = TestSql.One<SelectStatement>(
            "SELECT * FROM ONLY s.t AS a(x), (SELECT 1) AS q, LATERAL generate_series(1, a.x) WITH ORDINALITY AS g(v, n), (VALUES (1)) AS v(c)");
        var from = ((SelectCore)s.Body).From;
        var t = Assert.IsType<TableName>(from[0]);
        Assert.True(t.Only);
        Assert.Equal("s", t.Name.Schema);
        Assert.Equal(["x"], t.Alias!.Columns);
        Assert.IsType<SubqueryRef>(from[1]);
        var f = Assert.IsType<FunctionRef>(from[2]);
        Assert.True(f.Lateral);
        Assert.True(f.WithOrdinality);
        Assert.Equal(["v", "n"], f.Alias!.Columns);
        Assert.IsType<ValuesCore>(Assert.IsType<SubqueryRef>(from[3]).Query.Body);
    }

    [Fact]
    public void SubqueryInFromNeedsAnAliasInPostgres15()
    {
        var e = TestSql.Error("SELECT * FROM (SELECT 1)");
        Assert.Equal(("subquery in FROM must have an alias", 15), (e.Message, e.Position));
    }

    [Fact]
    public void WithClause()
    {
        var s = TestSql.One<SelectStatement>("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT n FROM r");
        Assert.True(s.With!.Recursive);
        var cte = Assert.Single(s.With.Ctes);
        Assert.Equal("r", cte.Name);
        Assert.Equal(["n"], cte.Columns);
        Assert.IsType<SelectStatement>(cte.Query);
        var ins = TestSql.One<InsertStatement>("WITH d AS (DELETE FROM t RETURNING *) INSERT INTO u SELECT * FROM d");
        Assert.IsType<DeleteStatement>(Assert.Single(ins.With!.Ctes).Query);
    }

    [Fact]
    public void Insert()
    {
        var i = TestSql.One<InsertStatement>(
            "INSERT INTO s.t AS x (a, b) VALUES (1, DEFAULT), ($1, $2) ON CONFLICT (a) WHERE b > 0 DO UPDATE SET b = excluded.b WHERE x.b IS NULL RETURNING a, b AS bb");
        Assert.Equal("t", i.Table.Name);
        Assert.Equal("x", i.Alias);
        Assert.Equal(["a", "b"], i.Columns);
        var values = Assert.IsType<ValuesCore>(i.Source!.Body);
        Assert.IsType<DefaultExpr>(values.Rows[0][1]);
        Assert.IsType<ParamRef>(values.Rows[1][0]);
        var oc = i.OnConflict!;
        Assert.Equal("a", Assert.Single(oc.Target).Column);
        Assert.NotNull(oc.TargetWhere);
        Assert.True(oc.DoUpdate);
        Assert.Equal(["b"], Assert.Single(oc.Set).Columns);
        Assert.NotNull(oc.Where);
        Assert.Equal("bb", i.Returning[1].Alias);
        Assert.Null(TestSql.One<InsertStatement>("INSERT INTO t DEFAULT VALUES").Source);
        Assert.False(TestSql.One<InsertStatement>("INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING").OnConflict!.DoUpdate);
        Assert.IsType<SelectCore>(TestSql.One<InsertStatement>("INSERT INTO t SELECT * FROM u").Source!.Body);
    }

    [Fact]
    public void DefaultIsAnExpressionTheBinderRejectsOutsideValuesAndSet()
    {
        // PostgreSQL's grammar accepts DEFAULT anywhere; parse analysis reports
        // "DEFAULT is not allowed in this context" (42601) at its position.
        Assert.IsType<DefaultExpr>(TestSql.Expr("DEFAULT"));
        Assert.Equal(7, TestSql.Expr("DEFAULT").Position);
    }

    [Fact]
    public void Update()
    {
        var u = TestSql.One<UpdateStatement>("UPDATE t AS x SET a = a + 1, (b, c) = (1, 2), d = DEFAULT FROM u WHERE x.id = u.id RETURNING *");
        Assert.Equal("x", u.Alias);
        Assert.Equal(3, u.Set.Count);
        Assert.True(u.Set[1].Multi);
        Assert.Equal(["b", "c"], u.Set[1].Columns);
        Assert.IsType<DefaultExpr>(u.Set[2].Value);
        Assert.Single(u.From);
        Assert.NotNull(u.Where);
        Assert.True(Assert.IsType<ColumnRef>(Assert.Single(u.Returning).Value).Star);
        Assert.Null(TestSql.One<UpdateStatement>("UPDATE t SET a = 1").Alias);
    }

    [Fact]
    public void Delete()
    {
        var d = TestSql.One<DeleteStatement>("DELETE FROM t x USING u WHERE x.a = u.a RETURNING x.a");
        Assert.Equal("x", d.Alias);
        Assert.Single(d.Using);
        Assert.Single(d.Returning);
    }

    [Fact]
    public void CreateTableTypesAreNormalised()
    {
        var c = TestSql.One<CreateTableStatement>(
            "CREATE TEMP TABLE IF NOT EXISTS t (a int, b integer, c int4, d bigint, e smallint, f serial, g numeric(10, 2), h decimal, i real, j double precision, k float(8), l boolean, m text, n varchar(5), o character varying(6), p char(3), q character, r bytea, s date, u time, v timestamp, w timestamp with time zone, x timestamptz, y interval, z uuid, aa json, ab jsonb, ac int[], ad text[3][])");
        Assert.Equal(Persistence.Temporary, c.Persistence);
        Assert.True(c.IfNotExists);
        string Name(int i) => string.Join('.', c.Columns[i].Type.Names);
        Assert.Equal(
            ["pg_catalog.int4", "pg_catalog.int4", "int4", "pg_catalog.int8", "pg_catalog.int2", "serial", "pg_catalog.numeric", "pg_catalog.numeric",
             "pg_catalog.float4", "pg_catalog.float8", "pg_catalog.float4", "pg_catalog.bool", "text", "pg_catalog.varchar", "pg_catalog.varchar",
             "pg_catalog.bpchar", "pg_catalog.bpchar", "bytea", "date", "pg_catalog.time", "pg_catalog.timestamp", "pg_catalog.timestamptz",
             "timestamptz", "pg_catalog.interval", "uuid", "json", "jsonb", "pg_catalog.int4", "text"],
            Enumerable.Range(0, c.Columns.Count).Select(Name));
        Assert.Equal(2, c.Columns[6].Type.Modifiers.Count);
        Assert.Equal(1, Assert.IsType<IntegerLiteral>(Assert.Single(c.Columns[16].Type.Modifiers)).Value);
        Assert.Equal([-1], c.Columns[27].Type.ArrayBounds);
        Assert.Equal([3, -1], c.Columns[28].Type.ArrayBounds);
    }

    [Fact]
    public void CreateTableConstraints()
    {
        var c = TestSql.One<CreateTableStatement>(
            "CREATE TABLE t (id bigint PRIMARY KEY, e text NOT NULL UNIQUE, p int REFERENCES parent (id) ON DELETE CASCADE, n int CHECK (n > 0) DEFAULT 1, CONSTRAINT fk FOREIGN KEY (p, n) REFERENCES other (a, b) ON UPDATE SET NULL DEFERRABLE INITIALLY DEFERRED, UNIQUE (e, n)) WITH (fillfactor = 80)");
        Assert.Equal(ConstraintKind.PrimaryKey, c.Columns[0].Constraints[0].Kind);
        Assert.Equal([ConstraintKind.NotNull, ConstraintKind.Unique], c.Columns[1].Constraints.Select(k => k.Kind));
        var fk = c.Columns[2].Constraints[0];
        Assert.Equal(ForeignKeyAction.Cascade, fk.OnDelete);
        Assert.Equal("parent", fk.RefTable!.Name);
        Assert.Equal([ConstraintKind.Check, ConstraintKind.Default], c.Columns[3].Constraints.Select(k => k.Kind));
        var tfk = c.Constraints[0];
        Assert.Equal("fk", tfk.Name);
        Assert.Equal(["p", "n"], tfk.Columns!);
        Assert.Equal(ForeignKeyAction.SetNull, tfk.OnUpdate);
        Assert.True(tfk.Deferrable);
        Assert.True(tfk.InitiallyDeferred);
        Assert.Equal(["e", "n"], c.Constraints[1].Columns!);
        var opt = Assert.Single(c.Options);
        Assert.Equal("fillfactor", opt.Name);
        Assert.Equal(80, Assert.IsType<IntegerLiteral>(opt.Arg).Value);
    }

    [Fact]
    public void CreateIndex()
    {
        var i = TestSql.One<CreateIndexStatement>("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ix ON t USING btree (a DESC NULLS FIRST, (lower(b))) INCLUDE (c) WHERE d IS NOT NULL");
        Assert.True(i.Unique && i.Concurrently && i.IfNotExists);
        Assert.Equal("ix", i.Name);
        Assert.Equal("btree", i.Method);
        Assert.Equal(SortDirection.Desc, i.Elements[0].Direction);
        Assert.Equal(NullsOrder.First, i.Elements[0].Nulls);
        Assert.IsType<FuncCall>(i.Elements[1].Expr);
        Assert.Equal(["c"], i.Include);
        Assert.NotNull(i.Where);
        Assert.Null(TestSql.One<CreateIndexStatement>("CREATE INDEX ON t (a)").Name);
    }

    [Fact]
    public void DropAndTruncate()
    {
        var d = TestSql.One<DropStatement>("DROP TABLE IF EXISTS a, s.b CASCADE");
        Assert.Equal(ObjectKind.Table, d.Kind);
        Assert.True(d.IfExists);
        Assert.Equal(2, d.Names.Count);
        Assert.Equal(DropBehavior.Cascade, d.Behavior);
        Assert.Equal(ObjectKind.Index, TestSql.One<DropStatement>("DROP INDEX i").Kind);
        var t = TestSql.One<TruncateStatement>("TRUNCATE TABLE a, b RESTART IDENTITY CASCADE");
        Assert.Equal(2, t.Tables.Count);
        Assert.True(t.RestartIdentity);
        Assert.Equal(DropBehavior.Cascade, t.Behavior);
    }

    [Fact]
    public void AlterTable()
    {
        var a = TestSql.One<AlterTableStatement>(
            "ALTER TABLE t ADD COLUMN c int NOT NULL, DROP COLUMN d, ADD CONSTRAINT pk PRIMARY KEY (a), ALTER COLUMN e SET DEFAULT 0, ALTER e DROP NOT NULL, ALTER COLUMN f TYPE bigint USING f::bigint");
        Assert.IsType<AddColumnCommand>(a.Commands[0]);
        Assert.Equal("d", Assert.IsType<DropColumnCommand>(a.Commands[1]).Column);
        Assert.Equal(ConstraintKind.PrimaryKey, Assert.IsType<AddConstraintCommand>(a.Commands[2]).Constraint.Kind);
        Assert.NotNull(Assert.IsType<AlterColumnDefaultCommand>(a.Commands[3]).Default);
        Assert.False(Assert.IsType<AlterColumnNotNullCommand>(a.Commands[4]).NotNull);
        Assert.NotNull(Assert.IsType<AlterColumnTypeCommand>(a.Commands[5]).Using);
        var r = TestSql.One<RenameStatement>("ALTER TABLE t RENAME COLUMN a TO b");
        Assert.Equal(("a", "b", ObjectKind.Column), (r.SubName, r.NewName, r.SubKind!.Value));
    }

    [Fact]
    public void Sequences()
    {
        var c = TestSql.One<CreateSequenceStatement>("CREATE SEQUENCE s INCREMENT BY -2 MINVALUE -100 NO MAXVALUE START WITH 5 CACHE 10 NO CYCLE OWNED BY t.id");
        Assert.Equal(["increment", "minvalue", "maxvalue", "start", "cache", "cycle", "owned_by"], c.Options.Select(o => o.Name));
        Assert.Equal(-2, Assert.IsType<IntegerLiteral>(c.Options[0].Arg).Value);
        Assert.Null(c.Options[2].Arg);
        Assert.False(Assert.IsType<BooleanLiteral>(c.Options[5].Arg).Value);
        Assert.Equal(["t", "id"], Assert.IsType<NameList>(c.Options[6].Arg).Names);
        var a = TestSql.One<AlterSequenceStatement>("ALTER SEQUENCE s RESTART WITH 7");
        Assert.Equal(7, Assert.IsType<IntegerLiteral>(Assert.Single(a.Options).Arg).Value);
    }

    [Fact]
    public void Transactions()
    {
        var b = TestSql.One<TransactionStatement>("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY, NOT DEFERRABLE");
        Assert.Equal(TransactionKind.Begin, b.Kind);
        Assert.Equal("repeatable read", Assert.IsType<StringLiteral>(b.Options[0].Arg).Value);
        Assert.True(Assert.IsType<BooleanLiteral>(b.Options[1].Arg).Value);
        Assert.False(Assert.IsType<BooleanLiteral>(b.Options[2].Arg).Value);
        Assert.Equal(TransactionKind.Commit, TestSql.One<TransactionStatement>("END").Kind);
        Assert.Equal(TransactionKind.Rollback, TestSql.One<TransactionStatement>("ABORT").Kind);
        var rt = TestSql.One<TransactionStatement>("ROLLBACK TO SAVEPOINT sp");
        Assert.Equal((TransactionKind.RollbackTo, "sp"), (rt.Kind, rt.Name));
        Assert.Equal(TransactionKind.Release, TestSql.One<TransactionStatement>("RELEASE sp").Kind);
    }

    [Fact]
    public void SetShowReset()
    {
        var s = TestSql.One<SetStatement>("SET LOCAL search_path TO public, \"$user\"");
        Assert.True(s.Local);
        Assert.Equal("search_path", s.Name);
        Assert.Equal(["public", "$user"], s.Values.Select(v => ((StringLiteral)v).Value));
        Assert.Equal("timezone", TestSql.One<SetStatement>("SET TIME ZONE 'UTC'").Name);
        Assert.Equal(SetKind.Transaction, TestSql.One<SetStatement>("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE").Kind);
        Assert.Equal(SetKind.SessionCharacteristics, TestSql.One<SetStatement>("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY").Kind);
        Assert.Equal(SetKind.Default, TestSql.One<SetStatement>("SET x = DEFAULT").Kind);
        Assert.Equal("transaction_isolation", TestSql.One<ShowStatement>("SHOW TRANSACTION ISOLATION LEVEL").Name);
        Assert.Equal("all", TestSql.One<ShowStatement>("SHOW ALL").Name);
        Assert.Equal(SetKind.ResetAll, TestSql.One<SetStatement>("RESET ALL").Kind);
        Assert.Equal(DiscardTarget.All, TestSql.One<DiscardStatement>("DISCARD ALL").Target);
    }

    [Fact]
    public void CopyBothSyntaxes()
    {
        var c = TestSql.One<CopyStatement>("COPY t (a, b) FROM STDIN WITH (FORMAT csv, HEADER true, DELIMITER ';')");
        Assert.True(c.IsFrom);
        Assert.Null(c.FileName);
        Assert.Equal(["a", "b"], c.Columns);
        Assert.Equal(["format", "header", "delimiter"], c.Options.Select(o => o.Name));
        var old = TestSql.One<CopyStatement>("COPY t TO STDOUT WITH CSV HEADER");
        Assert.False(old.IsFrom);
        Assert.Equal("csv", Assert.IsType<StringLiteral>(old.Options[0].Arg).Value);
        Assert.Equal("header", old.Options[1].Name);
        var q = TestSql.One<CopyStatement>("COPY (SELECT 1) TO STDOUT");
        Assert.IsType<SelectStatement>(q.Query);
    }

    [Fact]
    public void ExplainPrepareExecute()
    {
        var e = TestSql.One<ExplainStatement>("EXPLAIN (ANALYZE, FORMAT json) SELECT 1");
        Assert.Equal(["analyze", "format"], e.Options.Select(o => o.Name));
        Assert.IsType<SelectStatement>(e.Statement);
        Assert.Single(TestSql.One<ExplainStatement>("EXPLAIN ANALYZE DELETE FROM t").Options);
        var p = TestSql.One<PrepareStatement>("PREPARE q (int, text) AS SELECT $1, $2");
        Assert.Equal(2, p.ParameterTypes.Count);
        Assert.Equal(2, TestSql.One<ExecuteStatement>("EXECUTE q (1, 'x')").Args.Count);
        Assert.Null(TestSql.One<DeallocateStatement>("DEALLOCATE ALL").Name);
    }

    [Fact]
    public void OtherUtilities()
    {
        var v = TestSql.One<VacuumStatement>("VACUUM FULL ANALYZE t (a), u");
        Assert.True(v.IsVacuum);
        Assert.Equal(["full", "analyze"], v.Options.Select(o => o.Name));
        Assert.Equal(2, v.Relations.Count);
        Assert.False(TestSql.One<VacuumStatement>("ANALYZE t").IsVacuum);
        Assert.Equal("SHARE", TestSql.One<LockStatement>("LOCK TABLE t IN SHARE MODE").Mode);
        Assert.Equal("BEGIN NULL; END", TestSql.One<DoStatement>("DO $$BEGIN NULL; END$$").Code);
        Assert.Equal("s", TestSql.One<CreateSchemaStatement>("CREATE SCHEMA s").Name);
        Assert.Equal("d", TestSql.One<CreateDatabaseStatement>("CREATE DATABASE d").Name);
        Assert.Equal(RoleKind.User, TestSql.One<CreateRoleStatement>("CREATE USER u WITH PASSWORD 'p'").Kind);
        Assert.Equal("t", TestSql.One<CommentStatement>("COMMENT ON TABLE t IS 'x'").Name[0]);
        Assert.Equal(["select", "insert"], TestSql.One<GrantStatement>("GRANT SELECT, INSERT ON t TO u").Privileges);
    }

    [Fact]
    public void Cursors()
    {
        var d = TestSql.One<DeclareCursorStatement>("DECLARE c NO SCROLL CURSOR WITH HOLD FOR SELECT 1");
        Assert.Equal(("c", false, true), (d.Name, d.Scroll!.Value, d.Hold));
        var f = TestSql.One<FetchStatement>("FETCH FORWARD 100 FROM c");
        Assert.Equal((false, FetchDirection.Forward, 100L, "c"), (f.Move, f.Direction, f.Count, f.Cursor));
        var last = TestSql.One<FetchStatement>("MOVE LAST IN c");
        Assert.Equal((true, FetchDirection.Absolute, -1L), (last.Move, last.Direction, last.Count));
        Assert.Equal(FetchStatement.All, TestSql.One<FetchStatement>("FETCH ALL FROM c").Count);
    }

    [Fact]
    public void MultipleStatementsWithEmptyOnes()
    {
        const string sql = ";SELECT 1;; INSERT INTO t VALUES (1) ;";
        var all = SqlParser.Parse(sql);
        Assert.Equal(2, all.Count);
        Assert.Equal("SELECT 1", sql.Substring(all[0].Location, all[0].Length));
        Assert.Equal("INSERT INTO t VALUES (1)", sql.Substring(all[1].Location, all[1].Length));
        Assert.Empty(SqlParser.Parse(" ;; -- nothing\n"));
        var e = Assert.Throws<ParseException>(() => SqlParser.ParseOne("SELECT 1; SELECT 2"));
        Assert.Equal(("42601", "cannot insert multiple commands into a prepared statement"), (e.SqlState, e.Message));
    }

    [Fact]
    public void NonReservedKeywordsAreColumnNames()
    {
        var s = TestSql.One<SelectStatement>("SELECT name, key, value, filter, position, type, data, action, year FROM t WHERE name = 'x' AND key > 1 ORDER BY value");
        Assert.Equal(9, ((SelectCore)s.Body).Targets.Count);
        var c = TestSql.One<CreateTableStatement>("CREATE TABLE kv (key text PRIMARY KEY, value jsonb, name text, type int, data bytea, position int, filter text)");
        Assert.Equal(["key", "value", "name", "type", "data", "position", "filter"], c.Columns.Select(x => x.Name));
        TestSql.One<InsertStatement>("INSERT INTO kv (key, value) VALUES ('a', '{}')");
        TestSql.One<UpdateStatement>("UPDATE kv SET value = '{}', name = 'x' WHERE key = 'a'");
    }
}
