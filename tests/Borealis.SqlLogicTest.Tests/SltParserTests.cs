using Borealis.SqlLogicTest;

namespace Borealis.SqlLogicTest.Tests;

public class SltParserTests
{
    private const string Script = """
        hash-threshold 8

        statement ok
        CREATE TABLE t1(a INTEGER,
          b INTEGER)

        # a comment
        skipif postgresql
        statement ok
        SELECT 'not for us'

        onlyif postgresql
        statement error
        SELECT nonsense

        query II rowsort label-1
        SELECT a, b
          FROM t1
        ----
        1
        2

        query I nosort
        SELECT a FROM t1
        ----
        30 values hashing to efdbaa4d180e7867bec1c4d897bd25b9

        halt

        statement ok
        SELECT 'after halt'
        """;

    [Fact]
    public void ParsesRecordsDirectivesAndHalt()
    {
        var recs = SltParser.Parse("x.test", Script.Split('\n')).ToList();
        Assert.Equal(4, recs.Count);
        var create = Assert.IsType<StatementRecord>(recs[0]);
        Assert.Equal("CREATE TABLE t1(a INTEGER,\n  b INTEGER)", create.Sql);
        Assert.Equal(3, create.Line);
        Assert.True(Assert.IsType<StatementRecord>(recs[1]).ExpectError);
        var q = Assert.IsType<QueryRecord>(recs[2]);
        Assert.Equal("II", q.Types);
        Assert.Equal(SortMode.RowSort, q.Sort);
        Assert.Equal("label-1", q.Label);
        Assert.Equal(["1", "2"], q.Expected);
        Assert.Equal(8, q.HashThreshold);
        var h = Assert.IsType<QueryRecord>(recs[3]).ExpectedHash;
        Assert.Equal((30, "efdbaa4d180e7867bec1c4d897bd25b9"), h);
    }

    [Fact]
    public void SortsRowsAndValuesAndHashesLikeSqlLogicTest()
    {
        var v = new List<string> { "2", "b", "1", "a" };
        SltRunner.Sort(v, 2, SortMode.RowSort);
        Assert.Equal(["1", "a", "2", "b"], v);
        SltRunner.Sort(v, 2, SortMode.ValueSort);
        Assert.Equal(["1", "2", "a", "b"], v);
        // md5("1\n2\n")
        Assert.Equal("6ddb4095eb719e2a9f0a3f95677d24e0", SltRunner.Md5(["1", "2"]));
    }
}
