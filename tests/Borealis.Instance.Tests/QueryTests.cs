using Npgsql;

namespace Borealis.Instance.Tests;

/// <summary>SELECT features through the wire: joins, grouping, ordering, NULL logic, sysbench-style queries.</summary>
public sealed class QueryTests(InstanceFixture fx) : IClassFixture<InstanceFixture>, IAsyncLifetime
{
    private NpgsqlConnection _c = null!;

    public async Task InitializeAsync()
    {
        _c = await fx.OpenAsync();
        await Exec("DROP TABLE IF EXISTS emp, dept, sbtest1");
        await Exec("CREATE TABLE dept (id int PRIMARY KEY, name text)");
        await Exec("CREATE TABLE emp (id int PRIMARY KEY, dept_id int, name text, salary int)");
        await Exec("INSERT INTO dept VALUES (1, 'eng'), (2, 'ops'), (3, 'empty')");
        await Exec("INSERT INTO emp VALUES (1, 1, 'ann', 100), (2, 1, 'bob', 90), (3, 2, 'cid', 80), (4, NULL, 'dan', NULL)");
        await Exec("CREATE TABLE sbtest1 (id serial PRIMARY KEY, k int NOT NULL DEFAULT 0, c char(120) NOT NULL DEFAULT '', pad char(60) NOT NULL DEFAULT '')");
        await Exec("CREATE INDEX k_1 ON sbtest1 (k)");
        await Exec("INSERT INTO sbtest1 (k, c, pad) SELECT g % 10, 'c' || g, 'p' FROM generate_series(1, 200) g");
    }

    public async Task DisposeAsync() => await _c.DisposeAsync();

    private async Task<int> Exec(string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, _c);
        return await cmd.ExecuteNonQueryAsync();
    }

    private async Task<List<string>> Col(string sql, params object[] args)
    {
        await using var cmd = new NpgsqlCommand(sql, _c);
        foreach (var a in args) cmd.Parameters.Add(new NpgsqlParameter { Value = a });
        await using var r = await cmd.ExecuteReaderAsync();
        var list = new List<string>();
        while (await r.ReadAsync())
            list.Add(string.Join("|", Enumerable.Range(0, r.FieldCount).Select(i => r.IsDBNull(i) ? "NULL" : Convert.ToString(r.GetValue(i), System.Globalization.CultureInfo.InvariantCulture))));
        return list;
    }

    [Fact]
    public async Task Inner_and_left_joins()
    {
        Assert.Equal(["ann|eng", "bob|eng", "cid|ops"], await Col("SELECT e.name, d.name FROM emp e JOIN dept d ON e.dept_id = d.id ORDER BY e.name"));
        Assert.Equal(["empty|0", "eng|2", "ops|1"], await Col("SELECT d.name, count(e.id) FROM dept d LEFT JOIN emp e ON e.dept_id = d.id GROUP BY d.name ORDER BY d.name"));
        Assert.Equal(["ann|eng"], await Col("SELECT emp.name, dept.name FROM emp, dept WHERE emp.dept_id = dept.id AND emp.salary > 95"));
    }

    [Fact]
    public async Task Grouping_having_distinct_limit_offset()
    {
        Assert.Equal(["1|190"], await Col("SELECT dept_id, sum(salary) FROM emp GROUP BY dept_id HAVING count(*) > 1"));
        Assert.Equal(["1", "2", "NULL"], await Col("SELECT DISTINCT dept_id FROM emp ORDER BY dept_id"));
        Assert.Equal(["bob", "cid"], await Col("SELECT name FROM emp ORDER BY name LIMIT 2 OFFSET 1"));
        Assert.Equal(["90.0000000000000000"], await Col("SELECT avg(salary) FROM emp WHERE dept_id IS NOT NULL"));
        Assert.Equal(["NULL|0"], await Col("SELECT max(salary), count(*) FROM emp WHERE id > 100"));
    }

    [Fact]
    public async Task Three_valued_logic_like_case()
    {
        Assert.Equal(["ann", "bob"], await Col("SELECT name FROM emp WHERE salary > 85 OR dept_id IS NULL AND salary > 0 ORDER BY 1"));
        Assert.Equal(["dan"], await Col("SELECT name FROM emp WHERE (salary > 0) IS NOT TRUE"));
        Assert.Equal(["NULL"], await Col("SELECT NULL::bool AND true"));
        Assert.Equal(["False"], await Col("SELECT NULL::bool AND false"));
        Assert.Equal(["ann", "dan"], await Col("SELECT name FROM emp WHERE name LIKE '%n' ORDER BY 1"));
        Assert.Equal(["ann|high", "bob|low", "cid|low", "dan|none"],
            await Col("SELECT name, CASE WHEN salary >= 100 THEN 'high' WHEN salary IS NULL THEN 'none' ELSE 'low' END FROM emp ORDER BY id"));
        Assert.Equal(["NULL"], await Col("SELECT 1 IN (2, NULL)"));
    }

    [Fact]
    public async Task Sysbench_style_statements()
    {
        Assert.Equal(["c5"], (await Col("SELECT c FROM sbtest1 WHERE id = $1", 5)).Select(s => s.TrimEnd()).ToList());
        Assert.Equal(11, (await Col("SELECT c FROM sbtest1 WHERE id BETWEEN $1 AND $2", 10, 20)).Count);
        Assert.Equal(["141"], await Col("SELECT SUM(k) FROM sbtest1 WHERE id BETWEEN $1 AND $2", 1, 33));
        Assert.Equal(["c10", "c11", "c12"], (await Col("SELECT c FROM sbtest1 WHERE id BETWEEN $1 AND $2 ORDER BY c LIMIT 3", 10, 20)).Select(s => s.TrimEnd()).ToList());
        Assert.Equal(11, (await Col("SELECT DISTINCT c FROM sbtest1 WHERE id BETWEEN $1 AND $2 ORDER BY c", 10, 20)).Count);
        Assert.Equal(20, (await Col("SELECT id FROM sbtest1 WHERE k = $1", 3)).Count);
        Assert.Equal(1, await Exec("UPDATE sbtest1 SET k = k + 1 WHERE id = 7"));
        await using (var cmd = new NpgsqlCommand("UPDATE sbtest1 SET c = $1 WHERE id = $2", _c))
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = "changed" });
            cmd.Parameters.Add(new NpgsqlParameter { Value = 8 });
            Assert.Equal(1, await cmd.ExecuteNonQueryAsync());
        }
        Assert.Equal(1, await Exec("DELETE FROM sbtest1 WHERE id = 9"));
        Assert.Equal(1, await Exec("INSERT INTO sbtest1 (id, k, c, pad) VALUES (9, 1, 'again', 'p')"));
        Assert.Equal(["again"], (await Col("SELECT c FROM sbtest1 WHERE id = 9")).Select(s => s.TrimEnd()).ToList());
        Assert.Equal(["changed"], (await Col("SELECT c FROM sbtest1 WHERE id = 8")).Select(s => s.TrimEnd()).ToList());
    }

    [Fact]
    public async Task Order_by_output_alias_and_set_transaction()
    {
        Assert.Equal(["cid|160", "bob|180", "ann|200"], await Col("SELECT name, salary * 2 AS salary FROM emp WHERE salary IS NOT NULL ORDER BY salary"));
        await Exec("BEGIN");
        await Exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
        Assert.Equal(["repeatable read"], await Col("SHOW transaction_isolation"));
        await Exec("COMMIT");
    }

    [Fact]
    public async Task Sysbench_prepare_statements()
    {
        await Exec("DROP TABLE IF EXISTS sbtest2");
        await Exec("CREATE TABLE sbtest2(\n  id SERIAL,\n  k INTEGER DEFAULT '0' NOT NULL,\n  c CHAR(120) DEFAULT '' NOT NULL,\n  pad CHAR(60) DEFAULT '' NOT NULL,\n  PRIMARY KEY (id)\n) ");
        Assert.Equal(2, await Exec("INSERT INTO sbtest2(k, c, pad) VALUES(50174, '36867471081-41208271457', '38553488316-66447416045'),(49836, '29981337244-42372040470', '10823165609-31386217366')"));
        await Exec("CREATE INDEX k_2 ON sbtest2(k)");
        Assert.Equal(1, await Exec("INSERT INTO sbtest2 (k) VALUES (7)"));
        Assert.Equal(["1|50174", "2|49836", "3|7"], await Col("SELECT id, k FROM sbtest2 ORDER BY id"));
        Assert.Equal(["3"], await Col("SELECT id FROM sbtest2 WHERE k = $1", 7));
        Assert.Equal([new string(' ', 120)], await Col("SELECT c FROM sbtest2 WHERE id = 3"));
        await Exec("DROP TABLE IF EXISTS sbtest2");
    }

    [Fact]
    public async Task Union_and_in_subquery()
    {
        Assert.Equal(["1", "2", "3"], await Col("SELECT id FROM dept UNION SELECT dept_id FROM emp WHERE dept_id IS NOT NULL ORDER BY 1"));
        Assert.Equal(6, (await Col("SELECT id FROM dept UNION ALL SELECT id FROM dept")).Count);
        Assert.Equal(["ann", "bob", "cid"], await Col("SELECT name FROM emp WHERE dept_id IN (SELECT id FROM dept WHERE name <> 'empty') ORDER BY name"));
        Assert.Equal(["empty"], await Col("SELECT name FROM dept d WHERE NOT EXISTS (SELECT 1 FROM emp e WHERE e.dept_id = d.id)"));
        Assert.Equal(["eng|2"], await Col("SELECT d.name, (SELECT count(*) FROM emp e WHERE e.dept_id = d.id) FROM dept d WHERE d.id = 1"));
    }

    [Fact]
    public async Task Insert_on_conflict_do_nothing()
    {
        await Exec("CREATE TABLE upsert (id int PRIMARY KEY, v text)");
        Assert.Equal(2, await Exec("INSERT INTO upsert VALUES (1, 'a'), (2, 'b')"));
        Assert.Equal(1, await Exec("INSERT INTO upsert VALUES (2, 'x'), (3, 'c') ON CONFLICT DO NOTHING"));
        Assert.Equal(["1|a", "2|b", "3|c"], await Col("SELECT id, v FROM upsert ORDER BY id"));
        await Exec("BEGIN");
        Assert.Equal(0, await Exec("INSERT INTO upsert VALUES (1, 'z') ON CONFLICT (id) DO NOTHING"));
        Assert.Equal(1, await Exec("INSERT INTO upsert VALUES (4, 'd')"));
        await Exec("COMMIT");
        Assert.Equal(["4"], await Col("SELECT count(*) FROM upsert"));
    }

    [Fact]
    public async Task Errors_report_positions()
    {
        var e = await Assert.ThrowsAsync<PostgresException>(() => Exec("SELECT nosuch FROM emp"));
        Assert.Equal("42703", e.SqlState);
        Assert.Equal("column \"nosuch\" does not exist", e.MessageText);
        Assert.Equal(8, e.Position);
        e = await Assert.ThrowsAsync<PostgresException>(() => Exec("SELECT * FROM nosuch"));
        Assert.Equal("relation \"nosuch\" does not exist", e.MessageText);
        Assert.Equal(15, e.Position);
        e = await Assert.ThrowsAsync<PostgresException>(() => Exec("SELECT name FROM emp GROUP BY dept_id"));
        Assert.Equal("42803", e.SqlState);
    }
}

public sealed class LockingTests(InstanceFixture fx) : IClassFixture<InstanceFixture>
{
    [Fact]
    public async Task Select_for_update_nowait_conflicts_with_a_held_lock()
    {
        await using var a = await fx.OpenAsync();
        await using var b = await fx.OpenAsync();
        await using (var cmd = new NpgsqlCommand("CREATE TABLE lk (id int PRIMARY KEY, v int); INSERT INTO lk VALUES (1, 1), (2, 2)", a)) await cmd.ExecuteNonQueryAsync();
        await using var ta = await a.BeginTransactionAsync();
        await using (var cmd = new NpgsqlCommand("SELECT v FROM lk WHERE id = 1 FOR UPDATE", a)) Assert.Equal(1, await cmd.ExecuteScalarAsync());
        await using var tb = await b.BeginTransactionAsync();
        await using (var cmd = new NpgsqlCommand("SELECT v FROM lk WHERE id = 2 FOR UPDATE NOWAIT", b)) Assert.Equal(2, await cmd.ExecuteScalarAsync());
        await using (var cmd = new NpgsqlCommand("SELECT v FROM lk WHERE id = 1 FOR UPDATE NOWAIT", b))
            Assert.Equal("55P03", (await Assert.ThrowsAsync<PostgresException>(() => cmd.ExecuteScalarAsync())).SqlState);
        await tb.RollbackAsync();
        await ta.CommitAsync();
    }
}
