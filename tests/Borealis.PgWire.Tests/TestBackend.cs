using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Borealis.PgWire.Backend;
using Borealis.PgWire.Protocol;
using Borealis.PgWire.Types;

namespace Borealis.PgWire.Tests;

/// <summary>
/// A tiny SQL-ish backend for protocol tests. Statements (split on ';' outside quotes):
/// <list type="bullet">
/// <item><c>SELECT &lt;int&gt;</c>, <c>SELECT '&lt;text&gt;'</c>: one row, one column.</item>
/// <item><c>SELECT $1, $2 …</c>: echoes the parameters with their hinted types (text when 0).</item>
/// <item><c>SELECT * FROM rows(N)</c>: N rows of (id int4, name text, big int8, ratio float8, flag bool, amount numeric, at timestamptz, day date, uid uuid, data bytea); honours row limits (PortalSuspended).</item>
/// <item><c>SELECT raise('CODE', 'message')</c>: fails with that SQLSTATE plus detail, hint and position.</item>
/// <item><c>SELECT pg_sleep(S)</c>: waits S seconds unless cancelled.</item>
/// <item><c>BEGIN</c>/<c>COMMIT</c>/<c>ROLLBACK</c>: transaction status; an error inside a block fails it.</item>
/// <item><c>COPY name FROM STDIN</c> / <c>COPY name TO STDOUT</c>: a shared line store per name.</item>
/// <item><c>NOTICE 'text'</c>, <c>SET application_name = 'x'</c>, <c>DISCARD ALL</c>, <c>INSERT …</c> (tag INSERT 0 1).</item>
/// </list>
/// </summary>
internal sealed partial class TestBackend : IPgBackend
{
    public ConcurrentDictionary<string, List<string>> Tables { get; } = new();
    public int SessionsOpened;
    public long RowsProduced;
    public int SessionsClosed;

    public ValueTask<IPgSessionHandler> OpenSessionAsync(PgSessionInfo session, CancellationToken ct)
    {
        if (session.Database == "nodb") throw new PgErrorException(PgSqlState.InvalidCatalogName, "database \"nodb\" does not exist");
        Interlocked.Increment(ref SessionsOpened);
        return ValueTask.FromResult<IPgSessionHandler>(new Session(this));
    }

    private sealed class Statement(string sql, uint[] parameterTypes, PgColumn[]? columns, Kind kind) : IPgStatement
    {
        public string Sql { get; } = sql;
        public Kind Kind { get; } = kind;
        public uint[] ParameterTypes { get; } = parameterTypes;
        public PgColumn[]? Columns { get; } = columns;
    }

    private enum Kind { Fatal, Int, Text, Echo, Rows, Raise, Sleep, Begin, Commit, Rollback, CopyIn, CopyOut, Notice, Set, Tag }

    private static readonly PgColumn[] RowsColumns =
    [
        new("id", PgOid.Int4), new("name", PgOid.Text), new("big", PgOid.Int8), new("ratio", PgOid.Float8),
        new("flag", PgOid.Bool), new("amount", PgOid.Numeric), new("at", PgOid.Timestamptz), new("day", PgOid.Date),
        new("uid", PgOid.Uuid), new("data", PgOid.Bytea),
    ];

    public static readonly DateTime BaseTime = new(2024, 5, 6, 7, 8, 9, 123456 / 1000, DateTimeKind.Utc);

    private sealed class Session(TestBackend backend) : IPgSessionHandler
    {
        private PgTransactionStatus _status = PgTransactionStatus.Idle;

        public PgTransactionStatus TransactionStatus => _status;

        public IReadOnlyDictionary<string, string>? InitialParameterStatus { get; } = new Dictionary<string, string> { ["is_superuser"] = "on", ["borealis_role"] = "writer" };

        public ValueTask<IReadOnlyList<IPgStatement>> ParseAsync(string sql, uint[] hints, CancellationToken ct)
        {
            var list = new List<IPgStatement>();
            foreach (var part in Split(sql))
            {
                string s = part.Trim();
                if (s.Length == 0) continue;
                list.Add(ParseOne(s, hints));
            }
            return ValueTask.FromResult<IReadOnlyList<IPgStatement>>(list);
        }

        private static Statement ParseOne(string s, uint[] hints)
        {
            Match m;
            if ((m = IntRegex().Match(s)).Success) return new Statement(s, [], [new("?column?", PgOid.Int4)], Kind.Int);
            if ((m = TextRegex().Match(s)).Success) return new Statement(s, [], [new("?column?", PgOid.Text)], Kind.Text);
            if ((m = EchoRegex().Match(s)).Success)
            {
                int n = m.Groups[1].Captures.Count + 1;
                var types = new uint[n];
                var cols = new PgColumn[n];
                for (int i = 0; i < n; i++)
                {
                    types[i] = i < hints.Length && hints[i] != 0 ? hints[i] : PgOid.Text;
                    cols[i] = new PgColumn($"p{i + 1}", types[i]);
                }
                return new Statement(s, types, cols, Kind.Echo);
            }
            if (s.Equals("SELECT terminate()", StringComparison.OrdinalIgnoreCase)) return new Statement(s, [], null, Kind.Fatal);
            if (RowsRegex().IsMatch(s)) return new Statement(s, [], RowsColumns, Kind.Rows);
            if (RaiseRegex().IsMatch(s)) return new Statement(s, [], [new("raise", PgOid.Int4)], Kind.Raise);
            if (SleepRegex().IsMatch(s)) return new Statement(s, [], [new("pg_sleep", PgOid.Text)], Kind.Sleep);
            string upper = s.ToUpperInvariant();
            if (upper.StartsWith("BEGIN", StringComparison.Ordinal) || upper.StartsWith("START TRANSACTION", StringComparison.Ordinal)) return new Statement(s, [], null, Kind.Begin);
            if (upper is "COMMIT" or "END") return new Statement(s, [], null, Kind.Commit);
            if (upper == "ROLLBACK") return new Statement(s, [], null, Kind.Rollback);
            if (CopyInRegex().IsMatch(s)) return new Statement(s, [], null, Kind.CopyIn);
            if (CopyOutRegex().IsMatch(s)) return new Statement(s, [], null, Kind.CopyOut);
            if (upper.StartsWith("NOTICE ", StringComparison.Ordinal)) return new Statement(s, [], null, Kind.Notice);
            if (upper.StartsWith("SET ", StringComparison.Ordinal)) return new Statement(s, [], null, Kind.Set);
            if (upper.StartsWith("INSERT ", StringComparison.Ordinal) || upper == "DISCARD ALL" || upper.StartsWith("CREATE ", StringComparison.Ordinal))
                return new Statement(s, [], null, Kind.Tag);
            throw new PgErrorException(new PgError(PgSqlState.SyntaxError, $"syntax error at or near \"{s.Split(' ')[0]}\"") { Position = 1 });
        }

        public ValueTask<IPgPortal> BindAsync(IPgStatement statement, PgParameters parameters, CancellationToken ct)
        {
            var st = (Statement)statement;
            if (_status == PgTransactionStatus.Failed && st.Kind is not (Kind.Rollback or Kind.Commit))
                throw new PgErrorException(PgSqlState.InFailedSqlTransaction, "current transaction is aborted, commands ignored until end of transaction block");
            return ValueTask.FromResult<IPgPortal>(new Portal(this, backend, st, parameters));
        }

        public ValueTask SyncAsync(bool failed, CancellationToken ct)
        {
            if (failed && _status == PgTransactionStatus.InTransaction) _status = PgTransactionStatus.Failed;
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            Interlocked.Increment(ref backend.SessionsClosed);
            return ValueTask.CompletedTask;
        }

        private sealed class Portal(Session session, TestBackend backend, Statement st, PgParameters p) : IPgPortal
        {
            private int _next;

            public PgColumn[]? Columns => st.Columns;

            public async ValueTask<PgExecuteResult> ExecuteAsync(PgExecuteContext ctx, int maxRows, CancellationToken ct)
            {
                var rows = ctx.Rows;
                switch (st.Kind)
                {
                    case Kind.Fatal:
                        throw new PgErrorException(new PgError("57P01", "terminating connection due to administrator command") { Severity = PgSeverity.Fatal });
                    case Kind.Int:
                        rows.BeginRow();
                        rows.WriteInt32(int.Parse(IntRegex().Match(st.Sql).Groups[1].Value, CultureInfo.InvariantCulture));
                        rows.EndRow();
                        return PgExecuteResult.Complete(PgCommandTag.Select(1));
                    case Kind.Text:
                        rows.BeginRow();
                        rows.WriteText(TextRegex().Match(st.Sql).Groups[1].Value.Replace("''", "'", StringComparison.Ordinal));
                        rows.EndRow();
                        return PgExecuteResult.Complete(PgCommandTag.Select(1));
                    case Kind.Echo:
                        rows.BeginRow();
                        for (int i = 0; i < p.Count; i++) WriteEcho(rows, p, i);
                        rows.EndRow();
                        return PgExecuteResult.Complete(PgCommandTag.Select(1));
                    case Kind.Rows:
                    {
                        int total = int.Parse(RowsRegex().Match(st.Sql).Groups[1].Value, CultureInfo.InvariantCulture);
                        int written = 0;
                        while (_next < total)
                        {
                            if (maxRows > 0 && written == maxRows) return PgExecuteResult.Suspended;
                            WriteRow(rows, _next++);
                            written++;
                            Interlocked.Increment(ref backend.RowsProduced);
                            await rows.FlushIfFullAsync(ct);
                        }
                        return PgExecuteResult.Complete(PgCommandTag.Select(written));
                    }
                    case Kind.Raise:
                    {
                        var m = RaiseRegex().Match(st.Sql);
                        throw new PgErrorException(new PgError(m.Groups[1].Value, m.Groups[2].Value) { Detail = "some detail", Hint = "some hint", Position = 8 });
                    }
                    case Kind.Sleep:
                    {
                        double seconds = double.Parse(SleepRegex().Match(st.Sql).Groups[1].Value, CultureInfo.InvariantCulture);
                        await Task.Delay(TimeSpan.FromSeconds(seconds), ct);
                        rows.BeginRow();
                        rows.WriteText("");
                        rows.EndRow();
                        return PgExecuteResult.Complete(PgCommandTag.Select(1));
                    }
                    case Kind.Begin:
                        session._status = PgTransactionStatus.InTransaction;
                        return PgExecuteResult.Complete(PgCommandTag.Of("BEGIN"));
                    case Kind.Commit:
                    {
                        bool failed = session._status == PgTransactionStatus.Failed;
                        session._status = PgTransactionStatus.Idle;
                        return PgExecuteResult.Complete(PgCommandTag.Of(failed ? "ROLLBACK" : "COMMIT"));
                    }
                    case Kind.Rollback:
                        session._status = PgTransactionStatus.Idle;
                        return PgExecuteResult.Complete(PgCommandTag.Of("ROLLBACK"));
                    case Kind.CopyIn:
                    {
                        string table = CopyInRegex().Match(st.Sql).Groups[1].Value;
                        await ctx.BeginCopyInAsync(PgFormat.Text, 1, ct);
                        var text = new StringBuilder();
                        while (await ctx.ReadCopyDataAsync(ct)) text.Append(Encoding.UTF8.GetString(ctx.CopyData.Span));
                        var lines = text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l != "\\.").ToList();
                        backend.Tables.AddOrUpdate(table, _ => lines, (_, old) => { lock (old) old.AddRange(lines); return old; });
                        return PgExecuteResult.Complete(PgCommandTag.Copy(lines.Count));
                    }
                    case Kind.CopyOut:
                    {
                        string table = CopyOutRegex().Match(st.Sql).Groups[1].Value;
                        var lines = backend.Tables.TryGetValue(table, out var l) ? l.ToList() : [];
                        ctx.BeginCopyOut(PgFormat.Text, 1);
                        foreach (var line in lines)
                        {
                            ctx.WriteCopyData(Encoding.UTF8.GetBytes(line + "\n"));
                            await ctx.FlushIfFullAsync(ct);
                        }
                        ctx.EndCopyOut();
                        return PgExecuteResult.Complete(PgCommandTag.Copy(lines.Count));
                    }
                    case Kind.Notice:
                        ctx.SendNotice(new PgError(PgSqlState.SuccessfulCompletion, st.Sql[7..].Trim('\'')) { Severity = PgSeverity.Notice });
                        return PgExecuteResult.Complete(PgCommandTag.Of("DO"));
                    case Kind.Set:
                    {
                        var m = Regex.Match(st.Sql, @"^SET\s+(\w+)\s*(?:=|TO)\s*'?([^']*)'?$", RegexOptions.IgnoreCase);
                        if (m.Success) ctx.ReportParameter(m.Groups[1].Value, m.Groups[2].Value);
                        return PgExecuteResult.Complete(PgCommandTag.Of("SET"));
                    }
                    default:
                    {
                        string verb = st.Sql.ToUpperInvariant();
                        if (verb.StartsWith("INSERT", StringComparison.Ordinal)) return PgExecuteResult.Complete(PgCommandTag.Insert(1));
                        if (verb.StartsWith("CREATE TABLE", StringComparison.Ordinal)) return PgExecuteResult.Complete(PgCommandTag.Of("CREATE TABLE"));
                        return PgExecuteResult.Complete(PgCommandTag.Of(verb));
                    }
                }
            }

            public void Dispose() { }
        }
    }

    internal static void WriteRow(PgRowWriter rows, int i)
    {
        rows.BeginRow();
        rows.WriteInt32(i);
        rows.WriteText("name " + i.ToString(CultureInfo.InvariantCulture));
        rows.WriteInt64(i * 10_000_000_000L);
        rows.WriteFloat8(i + 0.5);
        rows.WriteBool(i % 2 == 0);
        rows.WriteDecimal(i * 1.25m - 3);
        rows.WriteTimestamp(BaseTime.AddSeconds(i));
        rows.WriteDate(new DateOnly(2024, 1, 1).AddDays(i));
        rows.WriteUuid(new Guid(i, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10));
        if (i % 3 == 0) rows.WriteNull(); else rows.WriteBytea([(byte)i, 0, 255]);
        rows.EndRow();
    }

    private static readonly byte[] SomeBytes = [1, 0, 255];
    private static readonly Guid SomeGuid = Guid.NewGuid();

    /// <summary>Like <see cref="WriteRow"/> but with no per-row allocation in the caller either (for the allocation test).</summary>
    internal static void WriteRowNoAlloc(PgRowWriter rows, int i)
    {
        rows.BeginRow();
        rows.WriteInt32(i);
        rows.WriteText("some name");
        rows.WriteInt64(i * 10_000_000_000L);
        rows.WriteFloat8(i + 0.5);
        rows.WriteBool(i % 2 == 0);
        rows.WriteDecimal(i * 1.25m - 3);
        rows.WriteTimestamp(BaseTime);
        rows.WriteDate(new DateOnly(2024, 1, 1));
        rows.WriteUuid(SomeGuid);
        if (i % 3 == 0) rows.WriteNull(); else rows.WriteBytea(SomeBytes);
        rows.EndRow();
    }

    private static void WriteEcho(PgRowWriter rows, PgParameters p, int i)
    {
        if (p.IsNull(i)) { rows.WriteNull(); return; }
        switch (p.TypeOid(i))
        {
            case PgOid.Int2 or PgOid.Int4 or PgOid.Int8: rows.WriteInt64(p.GetInt64(i)); break;
            case PgOid.Bool: rows.WriteBool(p.GetBool(i)); break;
            case PgOid.Float4 or PgOid.Float8: rows.WriteFloat8(p.GetDouble(i)); break;
            case PgOid.Numeric: rows.WriteDecimal(p.GetDecimal(i)); break;
            case PgOid.Uuid: rows.WriteUuid(p.GetGuid(i)); break;
            case PgOid.Date: rows.WriteDate(p.GetDate(i)); break;
            case PgOid.Timestamp or PgOid.Timestamptz: rows.WriteTimestamp(p.GetTimestamp(i)); break;
            case PgOid.Bytea: rows.WriteBytea(p.GetBytea(i)); break;
            default: rows.WriteText(p.GetString(i)); break;
        }
    }

    private static IEnumerable<string> Split(string sql)
    {
        var sb = new StringBuilder();
        bool quoted = false;
        foreach (char c in sql)
        {
            if (c == '\'') quoted = !quoted;
            if (c == ';' && !quoted) { yield return sb.ToString(); sb.Clear(); continue; }
            sb.Append(c);
        }
        yield return sb.ToString();
    }

    [GeneratedRegex(@"^SELECT\s+(-?\d+)$", RegexOptions.IgnoreCase)]
    private static partial Regex IntRegex();
    [GeneratedRegex(@"^SELECT\s+'((?:[^']|'')*)'$", RegexOptions.IgnoreCase)]
    private static partial Regex TextRegex();
    [GeneratedRegex(@"^SELECT\s+\$1(\s*,\s*\$\d+)*$", RegexOptions.IgnoreCase)]
    private static partial Regex EchoRegex();
    [GeneratedRegex(@"^SELECT \* FROM rows\((\d+)\)$", RegexOptions.IgnoreCase)]
    private static partial Regex RowsRegex();
    [GeneratedRegex(@"^SELECT raise\('(\w+)',\s*'([^']*)'\)$", RegexOptions.IgnoreCase)]
    private static partial Regex RaiseRegex();
    [GeneratedRegex(@"^SELECT pg_sleep\(([\d.]+)\)$", RegexOptions.IgnoreCase)]
    private static partial Regex SleepRegex();
    [GeneratedRegex(@"^COPY (\w+) FROM STDIN$", RegexOptions.IgnoreCase)]
    private static partial Regex CopyInRegex();
    [GeneratedRegex(@"^COPY (\w+) TO STDOUT$", RegexOptions.IgnoreCase)]
    private static partial Regex CopyOutRegex();
}
