using System.Collections;
using System.Reflection;
using Borealis.Sql.Ast;
using Borealis.Sql.Parser;

namespace Borealis.Sql.Tests;

/// <summary>Every node the parser builds from source text carries its source position, so the
/// binder can point errors at it. Synthesised nodes (implicit lengths and defaults) are exempt.</summary>
public sealed class PositionCoverageTests
{
    private static void Walk(object? value, string sql, string path, List<string> missing)
    {
        switch (value)
        {
            case null or string:
                return;
            case Node node:
                var synthesized = path.EndsWith(".Modifiers", StringComparison.Ordinal) || path.Contains(".Arg", StringComparison.Ordinal) ||
                                  (node is IntegerLiteral { Value: 1 } && path.Contains("Args", StringComparison.Ordinal));
                if (node.Position < 0 && !synthesized)
                {
                    missing.Add($"{path}: {node.GetType().Name} in {sql}");
                }

                Assert.InRange(node.Position, -1, sql.Length);
                foreach (var p in node.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
                {
                    if (p.Name is not ("Position" or "EqualityContract") && p.GetIndexParameters().Length == 0)
                    {
                        Walk(p.GetValue(node), sql, path + "." + p.Name, missing);
                    }
                }

                return;
            case IEnumerable items:
                foreach (var item in items)
                {
                    Walk(item, sql, path, missing);
                }

                return;
        }
    }

    [Fact]
    public void ParsedNodesHavePositions()
    {
        var missing = new List<string>();
        var all = ((IEnumerable<object[]>)RoundTripTests.Statements).Concat(ToolQueryTests.Queries).Concat(WorkloadStatementTests.Pgbench);
        foreach (var row in all)
        {
            var sql = (string)row[0];
            foreach (var s in SqlParser.Parse(sql))
            {
                Walk(s.Statement, sql, s.Statement.GetType().Name, missing);
            }
        }

        Assert.True(missing.Count == 0, string.Join('\n', missing.Take(20)));
    }
}
