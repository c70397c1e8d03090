using System.Text;
using Borealis.Sql.Ast;
using Borealis.Sql.Parser;
using Xunit.Abstractions;

namespace Borealis.Sql.Tests;

/// <summary>Seeded random inputs: token soups and random characters must either parse (and then
/// round-trip through the printer) or fail with 42601/54001, never another exception.
/// Set BOREALIS_SQL_SEED to replay a seed.</summary>
public sealed class RandomInputTests(ITestOutputHelper output)
{
    private static readonly string[] Vocabulary =
    [
        "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "NULL", "IS", "IN", "BETWEEN", "LIKE", "ILIKE", "CASE", "WHEN", "THEN",
        "ELSE", "END", "AS", "JOIN", "LEFT", "ON", "USING", "GROUP", "BY", "ORDER", "HAVING", "LIMIT", "OFFSET", "UNION", "ALL",
        "DISTINCT", "INSERT", "INTO", "VALUES", "UPDATE", "SET", "DELETE", "CREATE", "TABLE", "INDEX", "DROP", "ALTER", "ADD",
        "COLUMN", "PRIMARY", "KEY", "DEFAULT", "CAST", "ARRAY", "ROW", "EXISTS", "ANY", "WITH", "RECURSIVE", "OVER", "PARTITION",
        "FILTER", "TRUE", "FALSE", "int", "text", "varchar", "timestamp", "interval", "a", "b", "t", "x", "name", "key", "value",
        "position", "type", "data", "count", "sum", "coalesce", "extract", "substring", "trim", "$1", "$2", "1", "42", "3.14",
        "1e10", "'str'", "E'\\n'", "$$dollar$$", "B'101'", "X'1F'", "\"Quoted\"", "(", ")", "(", ")", ",", ",", ";", ".", "*", "+",
        "-", "/", "%", "^", "=", "<", ">", "<=", ">=", "<>", "!=", "||", "::", "->", "->>", "@>", "~", "[", "]", ":", "=>",
        "BEGIN", "COMMIT", "ROLLBACK", "COPY", "STDIN", "EXPLAIN", "PREPARE", "EXECUTE", "TRUNCATE", "VACUUM", "SHOW", "RESET",
        "LATERAL", "FOR", "FETCH", "FIRST", "ROWS", "ONLY", "RETURNING", "CONFLICT", "DO", "NOTHING", "EXCEPT", "INTERSECT",
    ];

    private const string Inserts = "()',;:$\"*-/ a1";

    private static int Seed()
    {
        var env = Environment.GetEnvironmentVariable("BOREALIS_SQL_SEED");
        return env is not null && int.TryParse(env, out var s) ? s : Environment.TickCount;
    }

    private void Check(string sql, int seed, int iteration)
    {
        try
        {
            var stmts = SqlParser.Parse(sql);
            foreach (var s in stmts)
            {
                var printed = s.Statement.ToString();
                Statement again;
                try
                {
                    again = SqlParser.ParseOne(printed);
                }
                catch (ParseException e)
                {
                    Assert.Fail($"seed {seed} iteration {iteration}: printed SQL does not parse ({e.Message})\n  in:  {sql}\n  out: {printed}");
                    return;
                }

                var diff = AstComparer.Difference(s.Statement, again);
                Assert.True(diff is null, $"seed {seed} iteration {iteration}: round trip differs at {diff}\n  in:  {sql}\n  out: {printed}");
            }
        }
        catch (ParseException e)
        {
            Assert.True(e.SqlState is SqlStates.SyntaxError or SqlStates.StatementTooComplex or SqlStates.InvalidParameterValue,
                $"seed {seed} iteration {iteration}: unexpected SQLSTATE {e.SqlState} for {sql}");
            Assert.InRange(e.Position, 0, sql.Length + 1);
        }
    }

    [Fact]
    public void TokenSoupsNeverThrowOtherExceptions()
    {
        var seed = Seed();
        output.WriteLine($"seed {seed} (replay with BOREALIS_SQL_SEED={seed})");
        var rng = new Random(seed);
        var sb = new StringBuilder();
        for (var i = 0; i < 30_000; i++)
        {
            sb.Clear();
            var n = rng.Next(1, 25);
            for (var k = 0; k < n; k++)
            {
                sb.Append(Vocabulary[rng.Next(Vocabulary.Length)]).Append(rng.Next(4) == 0 ? "" : " ");
            }

            Check(sb.ToString(), seed, i);
        }
    }

    [Fact]
    public void RandomCharactersNeverThrowOtherExceptions()
    {
        var seed = Seed();
        output.WriteLine($"seed {seed} (replay with BOREALIS_SQL_SEED={seed})");
        var rng = new Random(seed);
        const string alphabet = "abcSELECTfromwhere0123456789 \t\n'\"$()[],;:.*+-/%^<>=~!@#&|`?_eExXbBuU&\\{}é\u0000\uD83D\uDE00";
        var sb = new StringBuilder();
        for (var i = 0; i < 30_000; i++)
        {
            sb.Clear();
            var n = rng.Next(0, 40);
            for (var k = 0; k < n; k++)
            {
                sb.Append(rng.Next(10) == 0 ? (char)rng.Next(0, 0xFFFF) : alphabet[rng.Next(alphabet.Length)]);
            }

            Check(sb.ToString(), seed, i);
        }
    }

    [Fact]
    public void MutatedValidStatementsNeverThrowOtherExceptions()
    {
        var seed = Seed();
        output.WriteLine($"seed {seed} (replay with BOREALIS_SQL_SEED={seed})");
        var rng = new Random(seed);
        var corpus = ((IEnumerable<object[]>)WorkloadStatementTests.Pgbench).Concat(WorkloadStatementTests.Sysbench)
            .Concat(RoundTripTests.Statements).Concat(ToolQueryTests.Queries).Select(r => (string)r[0]).ToList();
        corpus.Add(WorkloadStatementTests.NpgsqlTypeLoading);
        for (var i = 0; i < 40_000; i++)
        {
            var chars = corpus[rng.Next(corpus.Count)].ToCharArray().ToList();
            var edits = rng.Next(1, 4);
            for (var e = 0; e < edits && chars.Count > 0; e++)
            {
                var at = rng.Next(chars.Count);
                switch (rng.Next(3))
                {
                    case 0:
                        chars.RemoveAt(at);
                        break;
                    case 1:
                        chars.Insert(at, Inserts[rng.Next(Inserts.Length)]);
                        break;
                    default:
                        chars[at] = (char)rng.Next(32, 127);
                        break;
                }
            }

            Check(new string(chars.ToArray()), seed, i);
        }
    }
}
