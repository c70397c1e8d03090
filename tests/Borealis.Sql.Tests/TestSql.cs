using Borealis.Sql.Ast;
using Borealis.Sql.Parser;

namespace Borealis.Sql.Tests;

internal static class TestSql
{
    public static Statement One(string sql) => SqlParser.ParseOne(sql);

    public static T One<T>(string sql)
        where T : Statement => Assert.IsType<T>(SqlParser.ParseOne(sql));

    public static Expr Expr(string sql)
    {
        var s = One<SelectStatement>("SELECT " + sql);
        var core = Assert.IsType<SelectCore>(s.Body);
        return Assert.Single(core.Targets).Value;
    }

    /// <summary>Parses, prints, re-parses and asserts the trees are equal; returns the printed SQL.</summary>
    public static string RoundTrip(string sql)
    {
        var all = SqlParser.Parse(sql);
        var printed = new List<string>();
        foreach (var raw in all)
        {
            var text = raw.Statement.ToString();
            Statement again;
            try
            {
                again = SqlParser.ParseOne(text);
            }
            catch (ParseException e)
            {
                throw new InvalidOperationException($"printed SQL does not parse: {e.Message}\n{text}", e);
            }

            var diff = AstComparer.Difference(raw.Statement, again);
            Assert.True(diff is null, $"round trip differs at {diff}\n  in:  {sql}\n  out: {text}");
            printed.Add(text);
        }

        return string.Join("; ", printed);
    }

    public static ParseError Error(string sql)
    {
        Assert.False(SqlParser.TryParse(sql, out _, out var error), "expected a parse error for: " + sql);
        return error;
    }
}
