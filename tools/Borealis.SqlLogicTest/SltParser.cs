namespace Borealis.SqlLogicTest;

/// <summary>One record of a sqllogictest script.</summary>
public abstract record SltRecord(string File, int Line, string Sql);

public sealed record StatementRecord(string File, int Line, string Sql, bool ExpectError) : SltRecord(File, Line, Sql);

public enum SortMode { NoSort, RowSort, ValueSort }

public sealed record QueryRecord(string File, int Line, string Sql, string Types, SortMode Sort, string? Label,
    IReadOnlyList<string> Expected, int HashThreshold) : SltRecord(File, Line, Sql)
{
    /// <summary>When the expected block is "N values hashing to MD5": (N, md5), else null.</summary>
    public (int Count, string Md5)? ExpectedHash
    {
        get
        {
            if (Expected.Count != 1) return null;
            var parts = Expected[0].Split(' ');
            if (parts.Length == 5 && parts[1] == "values" && parts[2] == "hashing" && parts[3] == "to" && int.TryParse(parts[0], out int n))
                return (n, parts[4]);
            return null;
        }
    }
}

/// <summary>
/// Reads sqllogictest scripts: records separated by blank lines; `statement ok|error`,
/// `query TYPES [nosort|rowsort|valuesort] [label]` with `----` before the expected values,
/// `hash-threshold N`, `skipif ENGINE` / `onlyif ENGINE` (the runner answers as
/// <see cref="Engine"/>), `halt`, and `#` comments.
/// </summary>
public static class SltParser
{
    public const string Engine = "postgresql";

    public static IEnumerable<SltRecord> Parse(string path) => Parse(path, File.ReadLines(path));

    public static IEnumerable<SltRecord> Parse(string file, IEnumerable<string> lines)
    {
        int hashThreshold = 0;
        var block = new List<(int Line, string Text)>();
        int lineNo = 0;
        foreach (var raw in lines.Append(""))
        {
            lineNo++;
            string line = raw.TrimEnd('\r');
            if (line.Trim().Length == 0)
            {
                if (block.Count > 0)
                {
                    var rec = ParseBlock(file, block, ref hashThreshold, out bool halt);
                    block.Clear();
                    if (halt) yield break;
                    if (rec is not null) yield return rec;
                }
                continue;
            }
            if (line.StartsWith('#') && block.Count == 0) continue;
            block.Add((lineNo, line));
        }
    }

    private static SltRecord? ParseBlock(string file, List<(int Line, string Text)> block, ref int hashThreshold, out bool halt)
    {
        halt = false;
        int i = 0;
        bool skip = false;
        while (i < block.Count)
        {
            var words = block[i].Text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (words[0] == "skipif" && words.Length > 1) { if (words[1] == Engine) skip = true; i++; continue; }
            if (words[0] == "onlyif" && words.Length > 1) { if (words[1] != Engine) skip = true; i++; continue; }
            if (words[0].StartsWith('#')) { i++; continue; }
            break;
        }
        if (i >= block.Count) return null;
        int line = block[i].Line;
        var head = block[i].Text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        switch (head[0])
        {
            case "halt":
                if (!skip) halt = true;
                return null;
            case "hash-threshold":
                if (!skip && head.Length > 1) hashThreshold = int.Parse(head[1], System.Globalization.CultureInfo.InvariantCulture);
                return null;
            case "statement":
            {
                string sql = string.Join('\n', block.Skip(i + 1).Select(b => b.Text));
                return skip ? null : new StatementRecord(file, line, sql, head.Length > 1 && head[1] == "error");
            }
            case "query":
            {
                string types = head.Length > 1 ? head[1] : "";
                var sort = head.Length > 2 ? head[2] switch
                {
                    "rowsort" => SortMode.RowSort,
                    "valuesort" => SortMode.ValueSort,
                    _ => SortMode.NoSort,
                } : SortMode.NoSort;
                string? label = head.Length > 3 ? head[3] : null;
                var sql = new List<string>();
                var expected = new List<string>();
                bool inResult = false;
                foreach (var (_, text) in block.Skip(i + 1))
                {
                    if (!inResult && text == "----") { inResult = true; continue; }
                    (inResult ? expected : sql).Add(text);
                }
                return skip ? null : new QueryRecord(file, line, string.Join('\n', sql), types, sort, label, expected, hashThreshold);
            }
            default:
                return null; // unknown directive: ignored, as sqllogictest does
        }
    }
}
