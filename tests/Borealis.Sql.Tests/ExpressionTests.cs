using Borealis.Sql.Ast;

namespace Borealis.Sql.Tests;

/// <summary>Expression shapes: PostgreSQL's precedence and associativity, special forms.</summary>
public sealed class ExpressionTests
{
    private static ColumnRef Col(Expr e, string name)
    {
        var c = Assert.IsType<ColumnRef>(e);
        Assert.Equal(name, string.Join('.', c.Names));
        return c;
    }

    private static OperatorExpr Op(Expr e, string op)
    {
        var o = Assert.IsType<OperatorExpr>(e);
        Assert.Equal(op, o.Op);
        return o;
    }

    [Fact]
    public void MultiplicationBindsTighterThanAddition()
    {
        var plus = Op(TestSql.Expr("1 + 2 * 3"), "+");
        Assert.Equal(1, Assert.IsType<IntegerLiteral>(plus.Left).Value);
        Op(plus.Right, "*");
    }

    [Fact]
    public void ArithmeticIsLeftAssociativeIncludingExponent()
    {
        var outer = Op(TestSql.Expr("a - b - c"), "-");
        Op(outer.Left!, "-");
        Col(outer.Right, "c");
        var pow = Op(TestSql.Expr("2 ^ 3 ^ 2"), "^");
        Op(pow.Left!, "^");
    }

    [Fact]
    public void AndBindsTighterThanOrAndChainsFlatten()
    {
        var or = Assert.IsType<BoolExpr>(TestSql.Expr("a OR b AND c OR d"));
        Assert.Equal(BoolOp.Or, or.Op);
        Assert.Equal(3, or.Args.Count);
        Assert.Equal(BoolOp.And, Assert.IsType<BoolExpr>(or.Args[1]).Op);
    }

    [Fact]
    public void NotBindsLooserThanComparison()
    {
        var not = Assert.IsType<BoolExpr>(TestSql.Expr("NOT a = b"));
        Assert.Equal(BoolOp.Not, not.Op);
        Op(Assert.Single(not.Args), "=");
    }

    [Fact]
    public void UnaryMinusFoldsIntoConstantsAndBindsTighterThanExponent()
    {
        Assert.Equal(-5, Assert.IsType<IntegerLiteral>(TestSql.Expr("-5")).Value);
        Assert.Equal("-1.5", Assert.IsType<NumericLiteral>(TestSql.Expr("-1.5")).Text);
        Assert.Equal(long.MinValue, Assert.IsType<IntegerLiteral>(TestSql.Expr("-9223372036854775808")).Value);
        Assert.Equal("9223372036854775808", Assert.IsType<NumericLiteral>(TestSql.Expr("9223372036854775808")).Text);
        var pow = Op(TestSql.Expr("-a ^ 2"), "^");
        Assert.Null(Op(pow.Left!, "-").Left);
    }

    [Fact]
    public void OtherOperatorsBindTighterThanComparison()
    {
        var eq = Op(TestSql.Expr("a || b = c"), "=");
        Op(eq.Left!, "||");
        var like = Assert.IsType<LikeExpr>(TestSql.Expr("a LIKE b || c"));
        Op(like.Pattern, "||");
    }

    [Fact]
    public void IsBindsLooserThanComparison()
    {
        var test = Assert.IsType<NullTestExpr>(TestSql.Expr("a = b IS NULL"));
        Op(test.Arg, "=");
        Assert.False(test.Not);
        Assert.True(Assert.IsType<NullTestExpr>(TestSql.Expr("a NOTNULL")).Not);
        var dist = Assert.IsType<DistinctFromExpr>(TestSql.Expr("a IS NOT DISTINCT FROM b + 1"));
        Assert.True(dist.Not);
        Op(dist.Right, "+");
    }

    [Fact]
    public void ComparisonIsNonAssociative()
    {
        var e = TestSql.Error("SELECT a < b < c");
        Assert.Equal("syntax error at or near \"<\"", e.Message);
    }

    [Fact]
    public void BetweenTakesAndBeforeBooleanAnd()
    {
        var and = Assert.IsType<BoolExpr>(TestSql.Expr("a BETWEEN 1 AND 2 AND c"));
        Assert.IsType<BetweenExpr>(and.Args[0]);
        var b = Assert.IsType<BetweenExpr>(TestSql.Expr("a NOT BETWEEN SYMMETRIC 1 AND 2"));
        Assert.True(b.Not);
        Assert.True(b.Symmetric);
    }

    [Fact]
    public void TypecastBindsTightest()
    {
        var plus = Op(TestSql.Expr("a::int + 1"), "+");
        var cast = Assert.IsType<TypeCast>(plus.Left);
        Assert.Equal(["pg_catalog", "int4"], cast.Type.Names);
        var neg = Op(TestSql.Expr("-a::int"), "-");
        Assert.IsType<TypeCast>(neg.Right);
    }

    [Fact]
    public void InListAndSubqueries()
    {
        var list = Assert.IsType<InListExpr>(TestSql.Expr("a NOT IN (1, 2)"));
        Assert.True(list.Not);
        Assert.Equal(2, list.List.Count);
        var sub = Assert.IsType<SubLink>(TestSql.Expr("a IN (SELECT b FROM t)"));
        Assert.Equal(SubLinkKind.Any, sub.Kind);
        Assert.Equal("=", sub.Op);
        var notIn = Assert.IsType<BoolExpr>(TestSql.Expr("a NOT IN (SELECT b FROM t)"));
        Assert.IsType<SubLink>(Assert.Single(notIn.Args));
        Assert.Equal(SubLinkKind.Exists, Assert.IsType<SubLink>(TestSql.Expr("EXISTS (SELECT 1)")).Kind);
        Assert.Equal(SubLinkKind.Scalar, Assert.IsType<SubLink>(TestSql.Expr("(SELECT 1)")).Kind);
        Assert.Equal(SubLinkKind.All, Assert.IsType<SubLink>(TestSql.Expr("a > ALL (SELECT 1)")).Kind);
        var any = Assert.IsType<AnyAllExpr>(TestSql.Expr("a = ANY ($1)"));
        Assert.False(any.All);
        Assert.IsType<ParamRef>(any.Right);
    }

    [Fact]
    public void ColumnReferencesAndIndirection()
    {
        Assert.Equal(["c", "s", "t", "a"], Assert.IsType<ColumnRef>(TestSql.Expr("c.s.t.a")).Names);
        var star = Assert.IsType<ColumnRef>(TestSql.Expr("t.*"));
        Assert.True(star.Star);
        Assert.Equal(["t"], star.Names);
        var ind = Assert.IsType<IndirectionExpr>(TestSql.Expr("a.b[1].c"));
        Assert.Equal(["a", "b"], Col(ind.Arg, "a.b").Names);
        Assert.IsType<Subscript>(ind.Path[0]);
        Assert.Equal("c", Assert.IsType<FieldSelection>(ind.Path[1]).Name);
        var field = Assert.IsType<IndirectionExpr>(TestSql.Expr("(row_value).f"));
        Assert.Equal("f", Assert.IsType<FieldSelection>(Assert.Single(field.Path)).Name);
        var slice = Assert.IsType<Subscript>(Assert.IsType<IndirectionExpr>(TestSql.Expr("a[1:]")).Path[0]);
        Assert.True(slice.Slice);
        Assert.Null(slice.Upper);
    }

    [Fact]
    public void FunctionCalls()
    {
        var count = Assert.IsType<FuncCall>(TestSql.Expr("count(*)"));
        Assert.True(count.Star);
        var agg = Assert.IsType<FuncCall>(TestSql.Expr("pg_catalog.string_agg(DISTINCT a, ',' ORDER BY a) FILTER (WHERE a > 0)"));
        Assert.Equal(["pg_catalog", "string_agg"], agg.Name);
        Assert.True(agg.Distinct);
        Assert.Single(agg.OrderBy!);
        Assert.NotNull(agg.Filter);
        var win = Assert.IsType<FuncCall>(TestSql.Expr("rank() OVER (PARTITION BY a ORDER BY b DESC NULLS LAST)")).Over!;
        Assert.Single(win.PartitionBy);
        Assert.Equal(SortDirection.Desc, win.OrderBy[0].Direction);
        Assert.Equal(NullsOrder.Last, win.OrderBy[0].Nulls);
        var named = Assert.IsType<FuncCall>(TestSql.Expr("f(x => 1)"));
        Assert.Equal("x", Assert.IsType<NamedArgExpr>(named.Args[0]).Name);
        Assert.Equal(["left"], Assert.IsType<FuncCall>(TestSql.Expr("left(s, 2)")).Name);
    }

    [Fact]
    public void SpecialSyntaxBecomesTheFunctionPostgresCalls()
    {
        var extract = Assert.IsType<FuncCall>(TestSql.Expr("EXTRACT(YEAR FROM ts)"));
        Assert.Equal(["pg_catalog", "extract"], extract.Name);
        Assert.Equal("year", Assert.IsType<StringLiteral>(extract.Args[0]).Value);
        var pos = Assert.IsType<FuncCall>(TestSql.Expr("POSITION('b' IN s)"));
        Assert.Equal(["pg_catalog", "position"], pos.Name);
        Col(pos.Args[0], "s");
        var sub = Assert.IsType<FuncCall>(TestSql.Expr("SUBSTRING(s FROM 2 FOR 3)"));
        Assert.Equal(3, sub.Args.Count);
        var trim = Assert.IsType<FuncCall>(TestSql.Expr("TRIM(LEADING 'x' FROM s)"));
        Assert.Equal(["pg_catalog", "ltrim"], trim.Name);
        Col(trim.Args[0], "s");
        var tz = Assert.IsType<FuncCall>(TestSql.Expr("ts AT TIME ZONE 'UTC'"));
        Assert.Equal(["pg_catalog", "timezone"], tz.Name);
        Assert.Equal(ConditionalKind.Coalesce, Assert.IsType<ConditionalExpr>(TestSql.Expr("COALESCE(a, 1)")).Kind);
        Assert.Equal(SqlValueKind.CurrentTimestamp, Assert.IsType<SqlValueFunction>(TestSql.Expr("CURRENT_TIMESTAMP")).Kind);
        Assert.Equal(3, Assert.IsType<SqlValueFunction>(TestSql.Expr("LOCALTIMESTAMP(3)")).Precision);
    }

    [Fact]
    public void TypedLiteralsAndCasts()
    {
        var date = Assert.IsType<TypeCast>(TestSql.Expr("DATE '2020-01-01'"));
        Assert.Equal(["date"], date.Type.Names);
        Assert.Equal("2020-01-01", Assert.IsType<StringLiteral>(date.Arg).Value);
        var interval = Assert.IsType<TypeCast>(TestSql.Expr("INTERVAL '1' DAY"));
        Assert.Equal(["pg_catalog", "interval"], interval.Type.Names);
        Assert.Equal("day", interval.Type.IntervalFields);
        var tstz = Assert.IsType<TypeCast>(TestSql.Expr("TIMESTAMP WITH TIME ZONE '2020-01-01'"));
        Assert.Equal(["pg_catalog", "timestamptz"], tstz.Type.Names);
        var cast = Assert.IsType<TypeCast>(TestSql.Expr("CAST(x AS varchar(10)[])"));
        Assert.Equal(["pg_catalog", "varchar"], cast.Type.Names);
        Assert.Equal([-1], cast.Type.ArrayBounds);
        Assert.Equal(["pg_catalog", "float8"], Assert.IsType<TypeCast>(TestSql.Expr("x::double precision")).Type.Names);
        Assert.Equal(["pg_catalog", "float4"], Assert.IsType<TypeCast>(TestSql.Expr("x::float(24)")).Type.Names);
        Assert.Equal(["pg_catalog", "bool"], Assert.IsType<TypeCast>(TestSql.Expr("x::boolean")).Type.Names);
    }

    [Fact]
    public void CaseArrayRowAndCollate()
    {
        var simple = Assert.IsType<CaseExpr>(TestSql.Expr("CASE a WHEN 1 THEN 'x' ELSE 'y' END"));
        Assert.NotNull(simple.Arg);
        Assert.NotNull(simple.Else);
        var searched = Assert.IsType<CaseExpr>(TestSql.Expr("CASE WHEN a THEN 1 WHEN b THEN 2 END"));
        Assert.Null(searched.Arg);
        Assert.Equal(2, searched.Whens.Count);
        var arr = Assert.IsType<ArrayExpr>(TestSql.Expr("ARRAY[[1, 2], [3]]"));
        Assert.IsType<ArrayExpr>(arr.Elements[0]);
        Assert.False(Assert.IsType<RowExpr>(TestSql.Expr("(1, 2)")).Explicit);
        Assert.True(Assert.IsType<RowExpr>(TestSql.Expr("ROW(1)")).Explicit);
        Assert.Equal(["C"], Assert.IsType<CollateExpr>(TestSql.Expr("a COLLATE \"C\"")).Collation);
    }

    [Fact]
    public void NodesCarrySourcePositions()
    {
        var s = TestSql.One<SelectStatement>("SELECT a + 1 FROM t WHERE b = $1");
        var core = (SelectCore)s.Body;
        var plus = Op(core.Targets[0].Value, "+");
        Assert.Equal(9, plus.Position);
        Assert.Equal(7, plus.Left!.Position);
        var eq = Op(core.Where!, "=");
        Assert.Equal(30, eq.Right.Position);
        Assert.Equal(18, ((TableName)core.From[0]).Position);
    }
}
