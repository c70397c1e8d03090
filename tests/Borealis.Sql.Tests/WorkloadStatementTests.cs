using Borealis.Sql.Ast;
using Borealis.Sql.Parser;

namespace Borealis.Sql.Tests;

/// <summary>The statements real tools send: pgbench (-i and the built-in scripts, simple and
/// extended protocol), sysbench oltp_read_write, and Npgsql's type loading on connect.</summary>
public sealed class WorkloadStatementTests
{
    public static readonly TheoryData<string> Pgbench = new()
    {
        "drop table if exists pgbench_accounts, pgbench_branches, pgbench_history, pgbench_tellers",
        "create table pgbench_history(tid int,bid int,aid    int,delta int,mtime timestamp,filler char(22))",
        "create table pgbench_tellers(tid int not null,bid int,tbalance int,filler char(84)) with (fillfactor=100)",
        "create table pgbench_accounts(aid    int not null,bid int,abalance int,filler char(84)) with (fillfactor=100)",
        "create table pgbench_branches(bid int not null,bbalance int,filler char(88)) with (fillfactor=100)",
        "truncate table pgbench_accounts, pgbench_branches, pgbench_history, pgbench_tellers",
        "begin",
        "insert into pgbench_branches(bid,bbalance) values(1,0)",
        "insert into pgbench_tellers(tid,bid,tbalance) values (1,1,0)",
        "copy pgbench_accounts from stdin",
        "copy pgbench_accounts from stdin with (freeze on)",
        "insert into pgbench_branches(bid,bbalance) select bid, 0 from generate_series(1, 1) as bid",
        "insert into pgbench_tellers(tid,bid,tbalance) select tid, (tid - 1) / 10 + 1, 0 from generate_series(1, 10) as tid",
        "insert into pgbench_accounts(aid,bid,abalance,filler) select aid, (aid - 1) / 100000 + 1, 0, '' from generate_series(1, 100000) as aid",
        "commit",
        "vacuum analyze pgbench_branches",
        "vacuum analyze pgbench_tellers",
        "vacuum analyze pgbench_accounts",
        "vacuum analyze pgbench_history",
        "alter table pgbench_branches add primary key (bid)",
        "alter table pgbench_tellers add primary key (tid)",
        "alter table pgbench_accounts add primary key (aid)",
        "alter table pgbench_tellers add constraint pgbench_tellers_bid_fkey foreign key (bid) references pgbench_branches",
        "alter table pgbench_accounts add constraint pgbench_accounts_bid_fkey foreign key (bid) references pgbench_branches",
        "alter table pgbench_history add constraint pgbench_history_bid_fkey foreign key (bid) references pgbench_branches",
        "select count(*) from pgbench_branches",
        "select o.n, p.partstrat, pg_catalog.count(i.inhparent) from pg_catalog.pg_class as c join pg_catalog.pg_namespace as n on (n.oid = c.relnamespace) cross join lateral (select pg_catalog.array_position(pg_catalog.current_schemas(true), n.nspname)) as o(n) left join pg_catalog.pg_partitioned_table as p on (p.partrelid = c.oid) left join pg_catalog.pg_inherits as i on (c.oid = i.inhparent) where c.relname = 'pgbench_accounts' and o.n is not null group by 1, 2 order by 1 asc limit 1",
        "vacuum pgbench_branches",
        "vacuum pgbench_tellers",
        "truncate pgbench_history",
        "BEGIN;",
        "UPDATE pgbench_accounts SET abalance = abalance + -4112 WHERE aid = 81443;",
        "SELECT abalance FROM pgbench_accounts WHERE aid = 81443;",
        "UPDATE pgbench_tellers SET tbalance = tbalance + -4112 WHERE tid = 5;",
        "UPDATE pgbench_branches SET bbalance = bbalance + -4112 WHERE bid = 1;",
        "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (5, 1, 81443, -4112, CURRENT_TIMESTAMP);",
        "END;",
        "UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2",
        "SELECT abalance FROM pgbench_accounts WHERE aid = $1",
        "UPDATE pgbench_tellers SET tbalance = tbalance + $1 WHERE tid = $2",
        "UPDATE pgbench_branches SET bbalance = bbalance + $1 WHERE bid = $2",
        "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES ($1, $2, $3, $4, CURRENT_TIMESTAMP)",
    };

    internal const string SysbenchCreate =
        "CREATE TABLE sbtest1(\n  id SERIAL,\n  k INTEGER DEFAULT '0' NOT NULL,\n  c CHAR(120) DEFAULT '' NOT NULL,\n  pad CHAR(60) DEFAULT '' NOT NULL,\n  PRIMARY KEY (id)\n) ";

    public static readonly TheoryData<string> Sysbench = new()
    {
        SysbenchCreate,
        "CREATE INDEX k_1 ON sbtest1(k)",
        "INSERT INTO sbtest1(k, c, pad) VALUES(50174, '36867471081-41208271457-87233235329-44399208993-29765108014-45453064451-42698939419-08407069839-53546022934-70587209316', '38553488316-66447416045-56186396669-19364380440-61283512924'),(49836, '29981337244-42372040470-34016106932-38513394497-65098163993-81424227154-68394133425-40359498934-42869327432-11432396458', '10823165609-31386217366-32592098468-37963296626-38467049891')",
        "SELECT c FROM sbtest1 WHERE id=$1",
        "SELECT c FROM sbtest1 WHERE id BETWEEN $1 AND $2",
        "SELECT SUM(k) FROM sbtest1 WHERE id BETWEEN $1 AND $2",
        "SELECT c FROM sbtest1 WHERE id BETWEEN $1 AND $2 ORDER BY c",
        "SELECT DISTINCT c FROM sbtest1 WHERE id BETWEEN $1 AND $2 ORDER BY c",
        "UPDATE sbtest1 SET k=k+1 WHERE id=$1",
        "UPDATE sbtest1 SET c=$1 WHERE id=$2",
        "DELETE FROM sbtest1 WHERE id=$1",
        "INSERT INTO sbtest1 (id, k, c, pad) VALUES ($1, $2, $3, $4)",
        "SELECT c FROM sbtest1 WHERE id=5012",
        "SELECT c FROM sbtest1 WHERE id BETWEEN 5012 AND 5111 ORDER BY c",
        "UPDATE sbtest1 SET c='12345-67890' WHERE id=4999",
        "INSERT INTO sbtest1 (id, k, c, pad) VALUES (4999, 5013, '1-2-3', '4-5-6')",
        "BEGIN",
        "COMMIT",
        "DROP TABLE IF EXISTS sbtest1",
    };

    [Theory]
    [MemberData(nameof(Pgbench))]
    public void PgbenchStatementsParse(string sql) => TestSql.RoundTrip(sql);

    [Theory]
    [MemberData(nameof(Sysbench))]
    public void SysbenchStatementsParse(string sql) => TestSql.RoundTrip(sql);

    [Fact]
    public void SysbenchTableShape()
    {
        var ct = TestSql.One<CreateTableStatement>(SysbenchCreate);
        Assert.Equal(["id", "k", "c", "pad"], ct.Columns.Select(c => c.Name));
        Assert.Equal(["serial"], ct.Columns[0].Type.Names);
        Assert.Equal(["pg_catalog", "int4"], ct.Columns[1].Type.Names);
        Assert.Equal(ConstraintKind.Default, ct.Columns[1].Constraints[0].Kind);
        Assert.Equal("0", Assert.IsType<StringLiteral>(ct.Columns[1].Constraints[0].Expr).Value);
        Assert.Equal(ConstraintKind.NotNull, ct.Columns[1].Constraints[1].Kind);
        Assert.Equal(["pg_catalog", "bpchar"], ct.Columns[2].Type.Names);
        Assert.Equal(120, Assert.IsType<IntegerLiteral>(Assert.Single(ct.Columns[2].Type.Modifiers)).Value);
        var pk = Assert.Single(ct.Constraints);
        Assert.Equal(ConstraintKind.PrimaryKey, pk.Kind);
        Assert.Equal(["id"], pk.Columns!);
    }

    /// <summary>Npgsql's type-loading batch (PostgresDatabaseInfo), with ranges and multiranges,
    /// as it sends it on the first connection: one simple-protocol string of four statements.</summary>
    internal const string NpgsqlTypeLoading = """
SELECT version();

SELECT ns.nspname, t.oid, t.typname, t.typtype, t.typnotnull, t.elemtypoid
FROM (
    -- Arrays have typtype=b - this subquery identifies them by their typreceive and converts their typtype to a
    -- We first do this for the type (innerest-most subquery), and then for its element type
    -- This also returns the array element, range subtype and domain base type as elemtypoid
    SELECT
        typ.oid, typ.typnamespace, typ.typname, typ.typtype, typ.typrelid, typ.typnotnull, typ.relkind,
        elemtyp.oid AS elemtypoid, elemtyp.typname AS elemtypname, elemcls.relkind AS elemrelkind,
        CASE WHEN elemproc.proname='array_recv' THEN 'a' ELSE elemtyp.typtype END AS elemtyptype
    FROM (
        SELECT typ.oid, typnamespace, typname, typrelid, typnotnull, relkind, typelem AS elemoid,
            CASE WHEN proc.proname='array_recv' THEN 'a' ELSE typ.typtype END AS typtype,
            CASE
                WHEN proc.proname='array_recv' THEN typ.typelem
                WHEN typ.typtype='r' THEN rngsubtype
                WHEN typ.typtype='m' THEN (SELECT rngtypid FROM pg_range WHERE rngmultitypid = typ.oid)
                WHEN typ.typtype='d' THEN typ.typbasetype
            END AS elemtypoid
        FROM pg_type AS typ
        LEFT JOIN pg_class AS cls ON (cls.oid = typ.typrelid)
        LEFT JOIN pg_proc AS proc ON proc.oid = typ.typreceive
        LEFT JOIN pg_range ON (pg_range.rngtypid = typ.oid)
    ) AS typ
    LEFT JOIN pg_type AS elemtyp ON elemtyp.oid = elemtypoid
    LEFT JOIN pg_class AS elemcls ON (elemcls.oid = elemtyp.typrelid)
    LEFT JOIN pg_proc AS elemproc ON elemproc.oid = elemtyp.typreceive
) AS t
JOIN pg_namespace AS ns ON (ns.oid = typnamespace)
WHERE
    typtype IN ('b', 'r', 'm', 'e', 'd') OR -- Base, range, multirange, enum, domain
    (typtype = 'c' AND relkind='c') OR -- User-defined free-standing composites (not table composites) by default
    (typtype = 'p' AND typname IN ('record', 'void')) OR -- Some special supported pseudo-types
    (typtype = 'a' AND (  -- Array of...
        elemtyptype IN ('b', 'r', 'm', 'e', 'd') OR -- Array of base, range, multirange, enum, domain
        (elemtyptype = 'p' AND elemtypname IN ('record', 'void')) OR -- Arrays of special supported pseudo-types
        (elemtyptype = 'c' AND elemrelkind='c') -- Array of user-defined free-standing composites (not table composites) by default
    ))
ORDER BY CASE
       WHEN typtype IN ('b', 'e', 'p') THEN 0           -- First base types, enums, pseudo-types
       WHEN typtype = 'r' THEN 1                        -- Ranges after
       WHEN typtype = 'm' THEN 2                        -- Multiranges after
       WHEN typtype = 'c' THEN 3                        -- Composites after
       WHEN typtype = 'd' AND elemtyptype <> 'a' THEN 4 -- Domains over non-arrays after
       WHEN typtype = 'a' THEN 5                        -- Arrays after
       WHEN typtype = 'd' AND elemtyptype = 'a' THEN 6  -- Domains over arrays last
END;

-- Load field definitions for (free-standing) composite types
SELECT typ.oid, att.attname, att.atttypid
FROM pg_type AS typ
JOIN pg_namespace AS ns ON (ns.oid = typ.typnamespace)
JOIN pg_class AS cls ON (cls.oid = typ.typrelid)
JOIN pg_attribute AS att ON (att.attrelid = typ.typrelid)
WHERE
  (typ.typtype = 'c' AND cls.relkind='c') AND
  attnum > 0 AND     -- Don't load system attributes
  NOT attisdropped
ORDER BY typ.oid, att.attnum;

-- Load enum fields
SELECT pg_type.oid, enumlabel
FROM pg_enum
JOIN pg_type ON pg_type.oid=enumtypid
ORDER BY oid, enumsortorder;
""";

    [Fact]
    public void NpgsqlTypeLoadingBatchParses()
    {
        var all = SqlParser.Parse(NpgsqlTypeLoading);
        Assert.Equal(4, all.Count);
        Assert.All(all, s => Assert.IsType<SelectStatement>(s.Statement));
        TestSql.RoundTrip(NpgsqlTypeLoading);

        // Statement spans cover each statement's text without the semicolon.
        Assert.Equal("SELECT version()", NpgsqlTypeLoading.Substring(all[0].Location, all[0].Length));
        Assert.StartsWith("SELECT ns.nspname", NpgsqlTypeLoading.Substring(all[1].Location, all[1].Length), StringComparison.Ordinal);
        Assert.EndsWith("enumsortorder", NpgsqlTypeLoading.Substring(all[3].Location, all[3].Length), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("SET extra_float_digits = 3")]
    [InlineData("SET application_name = 'npgsql'")]
    [InlineData("DISCARD ALL")]
    [InlineData("SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL;")]
    [InlineData("SHOW transaction_isolation")]
    [InlineData("SELECT pg_catalog.set_config('search_path', '', false)")]
    [InlineData("SET client_encoding = 'UTF8'; SET DateStyle = 'ISO'")]
    public void DriverSessionStatementsParse(string sql) => TestSql.RoundTrip(sql);
}
