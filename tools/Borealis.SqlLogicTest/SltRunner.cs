using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace Borealis.SqlLogicTest;

public sealed record Failure(string File, int Line, string Sql, string Reason);

public sealed class FileResult
{
    public required string File { get; init; }
    public int Records;
    public int Passed;
    public List<Failure> Failures { get; } = [];
    public TimeSpan Elapsed;
}

/// <summary>
/// Runs sqllogictest scripts over the PostgreSQL wire protocol (Npgsql), so the same runner
/// checks PostgreSQL 15 and Borealis. Each file runs on its own connection; objects it
/// created are dropped afterwards so files do not see each other's tables. Values are printed
/// as sqllogictest does: I as an integer, R with three decimals, T as text, NULL as "NULL",
/// an empty string as "(empty)"; results above the hash threshold compare by MD5.
/// </summary>
public sealed class SltRunner(string connectionString, TimeSpan statementTimeout)
{
    public async Task<FileResult> RunFileAsync(string path, string displayName, CancellationToken ct)
    {
        var result = new FileResult { File = displayName };
        var sw = Stopwatch.StartNew();
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync(ct);
        var created = new List<(string Kind, string Name)>();
        try
        {
            foreach (var rec in SltParser.Parse(path))
            {
                ct.ThrowIfCancellationRequested();
                result.Records++;
                string? failure = rec switch
                {
                    StatementRecord s => await RunStatementAsync(conn, s, created, ct),
                    QueryRecord q => await RunQueryAsync(conn, q, ct),
                    _ => null,
                };
                if (failure is null) result.Passed++;
                else result.Failures.Add(new Failure(displayName, rec.Line, rec.Sql, failure));
            }
        }
        finally
        {
            await CleanUpAsync(conn, created);
            result.Elapsed = sw.Elapsed;
        }
        return result;
    }

    private async Task<string?> RunStatementAsync(NpgsqlConnection conn, StatementRecord s, List<(string, string)> created, CancellationToken ct)
    {
        try
        {
            await using var cmd = new NpgsqlCommand(s.Sql, conn) { CommandTimeout = (int)statementTimeout.TotalSeconds };
            await cmd.ExecuteNonQueryAsync(ct);
            NoteCreated(s.Sql, created);
            return s.ExpectError ? "statement succeeded but an error was expected" : null;
        }
        catch (PostgresException e)
        {
            return s.ExpectError ? null : $"error {e.SqlState}: {e.MessageText}";
        }
        catch (NpgsqlException e) when (e.InnerException is TimeoutException)
        {
            return "timed out";
        }
    }

    private async Task<string?> RunQueryAsync(NpgsqlConnection conn, QueryRecord q, CancellationToken ct)
    {
        var values = new List<string>();
        int columns;
        try
        {
            await using var cmd = new NpgsqlCommand(q.Sql, conn) { CommandTimeout = (int)statementTimeout.TotalSeconds };
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            columns = reader.FieldCount;
            while (await reader.ReadAsync(ct))
                for (int c = 0; c < columns; c++)
                    values.Add(Format(reader, c, c < q.Types.Length ? q.Types[c] : 'T'));
        }
        catch (PostgresException e)
        {
            return $"error {e.SqlState}: {e.MessageText}";
        }
        catch (NpgsqlException e) when (e.InnerException is TimeoutException)
        {
            return "timed out";
        }
        if (q.Types.Length > 0 && columns != q.Types.Length)
            return $"expected {q.Types.Length} columns, got {columns}";
        Sort(values, Math.Max(columns, 1), q.Sort);

        if (q.ExpectedHash is { } h)
        {
            string md5 = Md5(values);
            if (values.Count != h.Count || md5 != h.Md5)
                return $"expected {h.Count} values hashing to {h.Md5}, got {values.Count} values hashing to {md5}";
            return null;
        }
        var expected = q.Expected;
        if (expected.Count == values.Count)
        {
            bool same = true;
            for (int i = 0; i < values.Count && same; i++) same = values[i] == expected[i];
            if (same) return null;
        }
        // Some scripts list one row per line (values separated by spaces) rather than one value per line.
        if (columns > 1 && expected.Count * columns == values.Count)
        {
            var rows = new List<string>();
            for (int i = 0; i < values.Count; i += columns) rows.Add(string.Join(' ', values.Skip(i).Take(columns)));
            if (rows.SequenceEqual(expected)) return null;
        }
        return $"expected [{Preview(expected)}], got [{Preview(values)}]";
    }

    private static string Preview(IReadOnlyList<string> v) =>
        string.Join(", ", v.Take(12)) + (v.Count > 12 ? $", … ({v.Count} values)" : "");

    internal static string Format(NpgsqlDataReader reader, int column, char type)
    {
        if (reader.IsDBNull(column)) return "NULL";
        object v = reader.GetValue(column);
        switch (type)
        {
            case 'I':
                return v switch
                {
                    short s => s.ToString(CultureInfo.InvariantCulture),
                    int i => i.ToString(CultureInfo.InvariantCulture),
                    long l => l.ToString(CultureInfo.InvariantCulture),
                    decimal d => decimal.Truncate(d).ToString(CultureInfo.InvariantCulture),
                    double f => ((long)Math.Truncate(f)).ToString(CultureInfo.InvariantCulture),
                    float f => ((long)Math.Truncate(f)).ToString(CultureInfo.InvariantCulture),
                    bool b => b ? "1" : "0",
                    string s => long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out long l) ? l.ToString(CultureInfo.InvariantCulture) : "0",
                    _ => Convert.ToString(v, CultureInfo.InvariantCulture) ?? "NULL",
                };
            case 'R':
                return v switch
                {
                    decimal d => d.ToString("F3", CultureInfo.InvariantCulture),
                    double f => f.ToString("F3", CultureInfo.InvariantCulture),
                    float f => f.ToString("F3", CultureInfo.InvariantCulture),
                    short s => ((double)s).ToString("F3", CultureInfo.InvariantCulture),
                    int i => ((double)i).ToString("F3", CultureInfo.InvariantCulture),
                    long l => ((double)l).ToString("F3", CultureInfo.InvariantCulture),
                    _ => Convert.ToString(v, CultureInfo.InvariantCulture) ?? "NULL",
                };
            default:
            {
                string s = v switch
                {
                    bool b => b ? "true" : "false",
                    IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                    _ => v.ToString() ?? "",
                };
                if (s.Length == 0) return "(empty)";
                var sb = new StringBuilder(s.Length);
                foreach (char ch in s) sb.Append(ch < ' ' || ch > '~' ? '@' : ch);
                return sb.ToString();
            }
        }
    }

    internal static void Sort(List<string> values, int columns, SortMode mode)
    {
        switch (mode)
        {
            case SortMode.ValueSort:
                values.Sort(StringComparer.Ordinal);
                break;
            case SortMode.RowSort:
            {
                var rows = new List<string[]>();
                for (int i = 0; i + columns <= values.Count; i += columns) rows.Add(values.GetRange(i, columns).ToArray());
                rows.Sort(static (a, b) =>
                {
                    for (int i = 0; i < a.Length; i++)
                    {
                        int c = string.CompareOrdinal(a[i], b[i]);
                        if (c != 0) return c;
                    }
                    return 0;
                });
                values.Clear();
                foreach (var r in rows) values.AddRange(r);
                break;
            }
        }
    }

    internal static string Md5(List<string> values)
    {
        var sb = new StringBuilder();
        foreach (var v in values) sb.Append(v).Append('\n');
        return Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }

    private static void NoteCreated(string sql, List<(string, string)> created)
    {
        var words = sql.Split((char[]?)null, 5, StringSplitOptions.RemoveEmptyEntries);
        if (words.Length < 3 || !words[0].Equals("CREATE", StringComparison.OrdinalIgnoreCase)) return;
        int k = 1;
        if (words[k].Equals("UNIQUE", StringComparison.OrdinalIgnoreCase) || words[k].Equals("TEMP", StringComparison.OrdinalIgnoreCase)) k++;
        if (k + 1 >= words.Length) return;
        string kind = words[k].ToUpperInvariant();
        if (kind is not ("TABLE" or "VIEW")) return;
        string name = words[k + 1];
        int paren = name.IndexOf('(', StringComparison.Ordinal);
        if (paren >= 0) name = name[..paren];
        created.Add((kind, name));
    }

    private static async Task CleanUpAsync(NpgsqlConnection conn, List<(string Kind, string Name)> created)
    {
        if (conn.State != System.Data.ConnectionState.Open) return;
        for (int i = created.Count - 1; i >= 0; i--)
        {
            try
            {
                await using var cmd = new NpgsqlCommand($"DROP {created[i].Kind} IF EXISTS {created[i].Name} CASCADE", conn);
                await cmd.ExecuteNonQueryAsync();
            }
            catch (PostgresException) { }
        }
    }
}
