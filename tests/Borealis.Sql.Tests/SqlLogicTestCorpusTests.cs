using System.Text;
using Borealis.Sql.Parser;
using Xunit.Abstractions;

namespace Borealis.Sql.Tests;

/// <summary>Every statement and query of the shared sqllogictest corpus parses (except those the
/// corpus marks as failing on PostgreSQL) and round-trips through the printer.</summary>
public sealed class SqlLogicTestCorpusTests(ITestOutputHelper output)
{
    private const string Root = "/work/shared/sqllogictest";

    internal sealed record Record(string File, int Line, string Sql, bool ExpectError);

    internal static IEnumerable<Record> ReadRecords(string file)
    {
        var lines = File.ReadAllLines(file);
        var i = 0;
        while (i < lines.Length)
        {
            var skip = false;
            while (i < lines.Length && (lines[i].StartsWith("skipif ", StringComparison.Ordinal) || lines[i].StartsWith("onlyif ", StringComparison.Ordinal)))
            {
                var engine = lines[i][7..].Trim();
                if (lines[i].StartsWith("skipif", StringComparison.Ordinal) ? engine == "postgresql" : engine != "postgresql")
                {
                    skip = true;
                }

                i++;
            }

            if (i >= lines.Length)
            {
                yield break;
            }

            var head = lines[i];
            if (head == "halt")
            {
                yield break;
            }

            if (head.StartsWith("statement ", StringComparison.Ordinal) || head.StartsWith("query ", StringComparison.Ordinal))
            {
                var start = i + 1;
                var sb = new StringBuilder();
                i++;
                while (i < lines.Length && lines[i].Length > 0 && lines[i] != "----")
                {
                    sb.Append(lines[i]).Append('\n');
                    i++;
                }

                if (!skip)
                {
                    yield return new Record(file, start, sb.ToString(), head.StartsWith("statement error", StringComparison.Ordinal));
                }

                while (i < lines.Length && lines[i].Length > 0)
                {
                    i++;
                }
            }
            else
            {
                i++;
            }
        }
    }

    internal static List<string> CorpusFiles()
    {
        if (!Directory.Exists(Root))
        {
            return [];
        }

        var files = Directory.GetFiles(Root, "*.test").ToList();
        var index = Path.Combine(Root, "index");
        if (Directory.Exists(index))
        {
            files.AddRange(Directory.GetFiles(index, "*.test", SearchOption.AllDirectories));
        }

        files.Sort(StringComparer.Ordinal);
        return files;
    }

    [Fact]
    public void EveryCorpusStatementParsesAndRoundTrips()
    {
        var files = CorpusFiles();
        if (files.Count == 0)
        {
            output.WriteLine("corpus not present; skipped");
            return;
        }

        var parsed = 0;
        var failures = new List<string>();
        foreach (var file in files)
        {
            foreach (var r in ReadRecords(file))
            {
                if (r.ExpectError)
                {
                    continue;
                }

                try
                {
                    var stmts = SqlParser.Parse(r.Sql);
                    foreach (var s in stmts)
                    {
                        var printed = s.Statement.ToString();
                        var again = SqlParser.ParseOne(printed);
                        var diff = AstComparer.Difference(s.Statement, again);
                        if (diff is not null)
                        {
                            failures.Add($"{r.File}:{r.Line}: round trip differs at {diff}\n  {printed}");
                        }
                    }

                    parsed++;
                }
                catch (ParseException e)
                {
                    failures.Add($"{r.File}:{r.Line}: {e.Message} (pos {e.Position})\n  {r.Sql.Trim()}");
                }
            }
        }

        output.WriteLine($"parsed {parsed} statements from {files.Count} files; {failures.Count} failures");
        foreach (var f in failures.Take(30))
        {
            output.WriteLine(f);
        }

        Assert.True(parsed > 1000, "corpus unexpectedly small");
        Assert.Empty(failures);
    }
}
