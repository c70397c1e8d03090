using Npgsql;

namespace Borealis.Instance.Tests;

public sealed class NpgsqlEndToEndTests(InstanceFixture fx) : IClassFixture<InstanceFixture>
{
    private static async Task<int> Exec(NpgsqlConnection c, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, c);
        return await cmd.ExecuteNonQueryAsync();
    }

    private static async Task<object?> Scalar(NpgsqlConnection c, string sql, params object[] args)
    {
        await using var cmd = new NpgsqlCommand(sql, c);
        foreach (var a in args) cmd.Parameters.Add(new NpgsqlParameter { Value = a });
        return await cmd.ExecuteScalarAsync();
    }

    private static async Task<List<object?[]>> Rows(NpgsqlConnection c, string sql, params object[] args)
    {
        await using var cmd = new NpgsqlCommand(sql, c);
        foreach (var a in args) cmd.Parameters.Add(new NpgsqlParameter { Value = a });
        await using var r = await cmd.ExecuteReaderAsync();
        var list = new List<object?[]>();
        while (await r.ReadAsync())
        {
            var row = new object?[r.FieldCount];
            for (int i = 0; i < row.Length; i++) row[i] = r.IsDBNull(i) ? null : r.GetValue(i);
            list.Add(row);
        }
        return list;
    }

    private static async Task<PostgresException> Fails(NpgsqlConnection c, string sql) =>
        await Assert.ThrowsAsync<PostgresException>(() => Exec(c, sql));

    [Fact]
    public async Task Select_without_from_computes_expressions()
    {
        await using var c = await fx.OpenAsync();
        Assert.Equal(3, await Scalar(c, "SELECT 1 + 2"));
        Assert.Equal("ab", await Scalar(c, "SELECT 'a' || 'b'"));
        Assert.Equal(true, await Scalar(c, "SELECT 2 BETWEEN 1 AND 3"));
        Assert.Equal(DBNull.Value, await Scalar(c, "SELECT NULL::int + 1"));
        Assert.Equal(5L, await Scalar(c, "SELECT abs(-5::bigint)"));
        Assert.Equal("ABC", await Scalar(c, "SELECT upper('abc')"));
        Assert.Equal(7, await Scalar(c, "SELECT coalesce(NULL, 7)"));
        Assert.Equal(2.5m, await Scalar(c, "SELECT 5 / 2.0"));
    }

    [Fact]
    public async Task Ddl_and_crud_round_trip()
    {
        await using var c = await fx.OpenAsync();
        await Exec(c, "CREATE TABLE crud (id int PRIMARY KEY, name varchar(20) NOT NULL, bal numeric(12,2) DEFAULT 0, ts timestamptz, flag bool)");
        Assert.Equal(3, await Exec(c, "INSERT INTO crud (id, name) VALUES (1, 'one'), (2, 'two'), (3, 'three')"));
        Assert.Equal(1, await Exec(c, "UPDATE crud SET bal = bal + 10.5 WHERE id = 2"));
        Assert.Equal(1, await Exec(c, "DELETE FROM crud WHERE id = 3"));
        var rows = await Rows(c, "SELECT id, name, bal FROM crud ORDER BY id");
        Assert.Equal(2, rows.Count);
        Assert.Equal(1, rows[0][0]);
        Assert.Equal("two", rows[1][1]);
        Assert.Equal(10.50m, rows[1][2]);
        Assert.Equal(2L, await Scalar(c, "SELECT count(*) FROM crud"));
        Assert.Equal(10.50m, await Scalar(c, "SELECT sum(bal) FROM crud"));
        await Exec(c, "DROP TABLE crud");
        var e = await Fails(c, "SELECT * FROM crud");
        Assert.Equal("42P01", e.SqlState);
    }

    [Fact]
    public async Task Errors_carry_sqlstates()
    {
        await using var c = await fx.OpenAsync();
        await Exec(c, "CREATE TABLE errs (id int PRIMARY KEY, v int NOT NULL)");
        await Exec(c, "INSERT INTO errs VALUES (1, 1)");
        Assert.Equal("23505", (await Fails(c, "INSERT INTO errs VALUES (1, 2)")).SqlState);
        Assert.Equal("23502", (await Fails(c, "INSERT INTO errs VALUES (2, NULL)")).SqlState);
        Assert.Equal("42703", (await Fails(c, "SELECT nope FROM errs")).SqlState);
        Assert.Equal("42601", (await Fails(c, "SELEC 1")).SqlState);
        Assert.Equal("22012", (await Fails(c, "SELECT 1 / 0")).SqlState);
        Assert.Equal("22P02", (await Fails(c, "SELECT 'x'::int")).SqlState);
        Assert.Equal("22003", (await Fails(c, "SELECT 2147483647 + 1")).SqlState);
        Assert.Equal(1L, await Scalar(c, "SELECT count(*) FROM errs"));
    }

    [Fact]
    public async Task Transactions_commit_rollback_and_aborted_state()
    {
        await using var c = await fx.OpenAsync();
        await Exec(c, "CREATE TABLE tx1 (id int PRIMARY KEY, v int)");
        await using (var t = await c.BeginTransactionAsync())
        {
            await Exec(c, "INSERT INTO tx1 VALUES (1, 1)");
            await t.RollbackAsync();
        }
        Assert.Equal(0L, await Scalar(c, "SELECT count(*) FROM tx1"));
        await using (var t = await c.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead))
        {
            await Exec(c, "INSERT INTO tx1 VALUES (2, 2)");
            await t.CommitAsync();
        }
        Assert.Equal(1L, await Scalar(c, "SELECT count(*) FROM tx1"));

        await Exec(c, "BEGIN");
        Assert.Equal("23505", (await Fails(c, "INSERT INTO tx1 VALUES (2, 3)")).SqlState);
        Assert.Equal("25P02", (await Fails(c, "SELECT 1")).SqlState);
        await Exec(c, "ROLLBACK");
        Assert.Equal(1, await Scalar(c, "SELECT 1"));

        await Exec(c, "BEGIN");
        await Exec(c, "INSERT INTO tx1 VALUES (3, 3)");
        await Exec(c, "SAVEPOINT s1");
        await Exec(c, "INSERT INTO tx1 VALUES (4, 4)");
        await Exec(c, "ROLLBACK TO SAVEPOINT s1");
        await Exec(c, "COMMIT");
        Assert.Equal(2L, await Scalar(c, "SELECT count(*) FROM tx1"));
    }

    [Fact]
    public async Task Isolation_levels_between_two_sessions()
    {
        await using var a = await fx.OpenAsync();
        await using var b = await fx.OpenAsync();
        await Exec(a, "CREATE TABLE iso (id int PRIMARY KEY, v int)");
        await Exec(a, "INSERT INTO iso VALUES (1, 10)");

        await Exec(a, "BEGIN ISOLATION LEVEL REPEATABLE READ");
        Assert.Equal(10, await Scalar(a, "SELECT v FROM iso WHERE id = 1"));
        await Exec(b, "UPDATE iso SET v = 20 WHERE id = 1");
        Assert.Equal(10, await Scalar(a, "SELECT v FROM iso WHERE id = 1"));
        Assert.Equal("40001", (await Fails(a, "UPDATE iso SET v = v + 1 WHERE id = 1")).SqlState);
        await Exec(a, "ROLLBACK");

        await Exec(a, "BEGIN");
        Assert.Equal(20, await Scalar(a, "SELECT v FROM iso WHERE id = 1"));
        await Exec(b, "UPDATE iso SET v = 30 WHERE id = 1");
        Assert.Equal(30, await Scalar(a, "SELECT v FROM iso WHERE id = 1")); // READ COMMITTED: new snapshot per statement
        await Exec(a, "COMMIT");
    }

    [Fact]
    public async Task Serializable_write_skew_fails_with_40001()
    {
        await using var a = await fx.OpenAsync();
        await using var b = await fx.OpenAsync();
        await Exec(a, "CREATE TABLE oncall (id int PRIMARY KEY, on_duty bool)");
        await Exec(a, "INSERT INTO oncall VALUES (1, true), (2, true)");
        await Exec(a, "BEGIN ISOLATION LEVEL SERIALIZABLE");
        await Exec(b, "BEGIN ISOLATION LEVEL SERIALIZABLE");
        Assert.Equal(2L, await Scalar(a, "SELECT count(*) FROM oncall WHERE on_duty"));
        Assert.Equal(2L, await Scalar(b, "SELECT count(*) FROM oncall WHERE on_duty"));
        await Exec(a, "UPDATE oncall SET on_duty = false WHERE id = 1");
        await Exec(b, "UPDATE oncall SET on_duty = false WHERE id = 2");
        await Exec(a, "COMMIT");
        Assert.Equal("40001", (await Fails(b, "COMMIT")).SqlState);
        Assert.Equal(1L, await Scalar(b, "SELECT count(*) FROM oncall WHERE on_duty"));
    }

    [Fact]
    public async Task Prepared_statements_with_parameters_and_binary_results()
    {
        await using var c = await fx.OpenAsync();
        await Exec(c, "CREATE TABLE prep (id bigint PRIMARY KEY, name text, amount float8, d date, u uuid)");
        await using (var ins = new NpgsqlCommand("INSERT INTO prep VALUES ($1, $2, $3, $4, $5)", c))
        {
            ins.Parameters.Add(new NpgsqlParameter { Value = 0L });
            ins.Parameters.Add(new NpgsqlParameter { Value = "" });
            ins.Parameters.Add(new NpgsqlParameter { Value = 0.0 });
            ins.Parameters.Add(new NpgsqlParameter { Value = new DateOnly(2024, 1, 1) });
            ins.Parameters.Add(new NpgsqlParameter { Value = Guid.Empty });
            await ins.PrepareAsync();
            for (long i = 1; i <= 20; i++)
            {
                ins.Parameters[0].Value = i;
                ins.Parameters[1].Value = $"n{i}";
                ins.Parameters[2].Value = i * 1.5;
                ins.Parameters[3].Value = new DateOnly(2024, 1, (int)i);
                ins.Parameters[4].Value = Guid.NewGuid();
                Assert.Equal(1, await ins.ExecuteNonQueryAsync());
            }
        }
        await using var sel = new NpgsqlCommand("SELECT name, amount, d FROM prep WHERE id = $1", c);
        sel.Parameters.Add(new NpgsqlParameter { Value = 7L });
        await sel.PrepareAsync();
        await using (var r = await sel.ExecuteReaderAsync())
        {
            Assert.True(await r.ReadAsync());
            Assert.Equal("n7", r.GetString(0));
            Assert.Equal(10.5, r.GetDouble(1));
            Assert.Equal(new DateOnly(2024, 1, 7), r.GetFieldValue<DateOnly>(2));
        }
        var range = await Rows(c, "SELECT id FROM prep WHERE id BETWEEN $1 AND $2 ORDER BY id DESC LIMIT 3", 5L, 15L);
        Assert.Equal([15L, 14L, 13L], range.Select(r => (long)r[0]!).ToArray());
        var grouped = await Rows(c, "SELECT id % 2 AS parity, count(*), max(amount) FROM prep GROUP BY 1 ORDER BY 1");
        Assert.Equal(2, grouped.Count);
        Assert.Equal(10L, grouped[0][1]);
    }

    [Fact]
    public async Task Serial_defaults_index_and_insert_select()
    {
        await using var c = await fx.OpenAsync();
        await Exec(c, "CREATE TABLE ser (id serial PRIMARY KEY, k int, v text DEFAULT 'x')");
        await Exec(c, "INSERT INTO ser (k) SELECT g FROM generate_series(1, 50) g");
        await Exec(c, "CREATE INDEX ser_k ON ser (k)");
        Assert.Equal(50L, await Scalar(c, "SELECT count(*) FROM ser WHERE v = 'x'"));
        Assert.Equal(50, await Scalar(c, "SELECT max(id) FROM ser"));
        Assert.Equal(3L, await Scalar(c, "SELECT count(*) FROM ser WHERE k IN (3, 4, 5)"));
        Assert.Equal(10, await Scalar(c, "SELECT id FROM ser WHERE k = 10"));
        Assert.Equal(5L, await Scalar(c, "SELECT count(DISTINCT k % 5) FROM ser"));
        var rows = await Rows(c, "INSERT INTO ser (k) VALUES (1000) RETURNING id, v");
        Assert.Equal(51, rows[0][0]);
        await Exec(c, "TRUNCATE ser");
        Assert.Equal(0L, await Scalar(c, "SELECT count(*) FROM ser"));
    }

    [Fact]
    public async Task Set_and_show()
    {
        await using var c = await fx.OpenAsync();
        await Exec(c, "SET application_name = 'x'");
        await Exec(c, "SET extra_float_digits = 3");
        Assert.Equal("3", await Scalar(c, "SHOW extra_float_digits"));
        await Exec(c, "VACUUM");
        await Exec(c, "ANALYZE");
    }
}

public sealed class NpgsqlTypeLoadingTests(InstanceFixture fx) : IClassFixture<InstanceFixture>
{
    [Fact]
    public async Task Npgsql_connects_with_its_type_loading_query()
    {
        string cs = fx.ConnectionString.Replace("ServerCompatibilityMode=NoTypeLoading;", "", StringComparison.Ordinal);
        await using var c = new NpgsqlConnection(cs);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT 41 + 1, 'x'::text, now()", c);
        await using var r = await cmd.ExecuteReaderAsync();
        Assert.True(await r.ReadAsync());
        Assert.Equal(42, r.GetInt32(0));
        Assert.Equal("x", r.GetString(1));
        Assert.Equal(DateTimeKind.Utc, r.GetDateTime(2).Kind);
    }

    [Fact]
    public async Task Correlated_scalar_subquery_and_catalog_tables()
    {
        await using var c = await fx.OpenAsync();
        await using (var cmd = new NpgsqlCommand("CREATE TABLE catt (id int PRIMARY KEY, v text)", c)) await cmd.ExecuteNonQueryAsync();
        await using var q = new NpgsqlCommand(
            "SELECT t.typname, (SELECT r.rngsubtype FROM pg_range r WHERE r.rngtypid = t.oid) FROM pg_type t WHERE t.typname IN ('int4range', 'int4') ORDER BY 1", c);
        await using (var r = await q.ExecuteReaderAsync())
        {
            Assert.True(await r.ReadAsync());
            Assert.Equal("int4", r.GetString(0));
            Assert.True(r.IsDBNull(1));
            Assert.True(await r.ReadAsync());
            Assert.Equal("int4range", r.GetString(0));
            Assert.Equal(23u, r.GetFieldValue<uint>(1));
        }
        await using var a = new NpgsqlCommand("SELECT a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid WHERE c.relname = 'catt' ORDER BY a.attnum", c);
        await using var rr = await a.ExecuteReaderAsync();
        var names = new List<string>();
        while (await rr.ReadAsync()) names.Add(rr.GetString(0));
        Assert.Equal(["id", "v"], names);
    }
}
