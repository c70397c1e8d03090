using System.Net;
using Borealis.PgWire.Protocol;
using Borealis.PgWire.Types;

namespace Borealis.PgWire.Backend;

/// <summary>
/// The seam between the protocol server and the SQL layer. The server authenticates a connection,
/// then asks the backend for one <see cref="IPgSessionHandler"/>, which serves that connection
/// until it closes.
/// </summary>
public interface IPgBackend
{
    /// <summary>
    /// Opens a session for an authenticated connection. Throw <see cref="PgErrorException"/> to
    /// refuse it (e.g. 3D000 for an unknown database); the error is sent as FATAL.
    /// </summary>
    ValueTask<IPgSessionHandler> OpenSessionAsync(PgSessionInfo session, CancellationToken ct);
}

/// <summary>
/// One client session. Threading: every member is called from the connection's own task, one call
/// at a time, never concurrently (the protocol is strictly sequential per connection). Errors the
/// client should see are thrown as <see cref="PgErrorException"/>; any other exception is reported
/// as XX000 and the session continues (the handler must then still be consistent).
/// </summary>
public interface IPgSessionHandler : IAsyncDisposable
{
    /// <summary>Reported in every ReadyForQuery.</summary>
    PgTransactionStatus TransactionStatus { get; }

    /// <summary>
    /// Splits and parses a query string into statements (zero for an empty query). The simple
    /// protocol runs all of them in order; the extended protocol accepts at most one.
    /// <paramref name="parameterTypeHints"/> are the client's OIDs for $1..$n (0 = infer).
    /// Semantic analysis that depends on earlier statements of the same string may be deferred
    /// to <see cref="BindAsync"/>.
    /// </summary>
    ValueTask<IReadOnlyList<IPgStatement>> ParseAsync(string sql, uint[] parameterTypeHints, CancellationToken ct);

    /// <summary>
    /// Binds parameter values to a statement and returns a portal ready to execute.
    /// <paramref name="parameters"/> stays valid until the portal is disposed.
    /// </summary>
    ValueTask<IPgPortal> BindAsync(IPgStatement statement, PgParameters parameters, CancellationToken ct);

    /// <summary>
    /// End of an implicit transaction: called at every Sync (extended protocol) and at the end of
    /// every simple Query, with <paramref name="failed"/> when an error occurred since the last one.
    /// Commit or roll back the implicit transaction here; explicit blocks stay open.
    /// </summary>
    ValueTask SyncAsync(bool failed, CancellationToken ct);

    /// <summary>
    /// ParameterStatus values to send at startup instead of the server's defaults (e.g.
    /// is_superuser, TimeZone, DateStyle for this role), or null for the defaults.
    /// </summary>
    IReadOnlyDictionary<string, string>? InitialParameterStatus => null;
}

/// <summary>A parsed statement; lives until the client closes it (or the session ends).</summary>
public interface IPgStatement
{
    /// <summary>The type OIDs of $1..$n (ParameterDescription); may contain 0 when unknown.</summary>
    uint[] ParameterTypes { get; }

    /// <summary>The columns the statement returns (RowDescription), or null when it returns no rows (NoData).</summary>
    PgColumn[]? Columns { get; }
}

/// <summary>A statement with bound parameters; executes, possibly in several row-limited steps.</summary>
public interface IPgPortal : IDisposable
{
    /// <summary>The result columns, or null when the portal returns no rows.</summary>
    PgColumn[]? Columns { get; }

    /// <summary>
    /// Runs the portal, writing at most <paramref name="maxRows"/> rows (0 = no limit) through
    /// <see cref="PgExecuteContext.Rows"/>. Return <see cref="PgExecuteResult.Suspended"/> when the
    /// limit was reached with rows left (the next Execute continues), otherwise the command tag.
    /// <paramref name="ct"/> is cancelled by a CancelRequest for this session: throw
    /// OperationCanceledException (reported as 57014) or a PgErrorException.
    /// </summary>
    ValueTask<PgExecuteResult> ExecuteAsync(PgExecuteContext context, int maxRows, CancellationToken ct);
}

/// <summary>What a connection told us at startup.</summary>
public sealed class PgSessionInfo
{
    public required int ProcessId { get; init; }
    public required string User { get; init; }
    public required string Database { get; init; }
    public required string ApplicationName { get; init; }
    /// <summary>All startup parameters as sent (user, database, options, application_name, client_encoding...).</summary>
    public required IReadOnlyDictionary<string, string> Parameters { get; init; }
    /// <summary>Settings requested at startup (e.g. search_path, DateStyle, from parameters and "-c" options); case-insensitive names.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();
    public EndPoint? RemoteEndPoint { get; init; }
    public bool IsTls { get; init; }
}

/// <summary>One column of a RowDescription.</summary>
public readonly record struct PgColumn(string Name, uint TypeOid, int TypeModifier = -1, uint TableOid = 0, short ColumnNumber = 0)
{
    public short TypeSize => PgOid.TypeSize(TypeOid);
}

/// <summary>A CommandComplete tag: a verb and, for commands that count rows, the count ("SELECT 3", "INSERT 0 1").</summary>
public readonly record struct PgCommandTag(string Verb, long Rows = -1)
{
    public static PgCommandTag Select(long rows) => new("SELECT", rows);
    public static PgCommandTag Insert(long rows) => new("INSERT", rows);
    public static PgCommandTag Update(long rows) => new("UPDATE", rows);
    public static PgCommandTag Delete(long rows) => new("DELETE", rows);
    public static PgCommandTag Copy(long rows) => new("COPY", rows);
    public static PgCommandTag Of(string verb) => new(verb);

    public override string ToString() => Rows < 0 ? Verb : Verb == "INSERT" ? $"INSERT 0 {Rows}" : $"{Verb} {Rows}";
}

/// <summary>The outcome of one Execute.</summary>
public readonly record struct PgExecuteResult(bool IsSuspended, PgCommandTag Tag)
{
    public static PgExecuteResult Suspended => new(true, default);
    public static PgExecuteResult Complete(PgCommandTag tag) => new(false, tag);
}
