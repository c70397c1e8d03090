using Borealis.Engine.Access;
using Borealis.Engine.Catalog;
using Borealis.Engine.Txn;
using Borealis.PgWire.Backend;
using Borealis.PgWire.Protocol;
using Borealis.PgWire.Types;
using Borealis.Sql.Ast;
using Borealis.Sql.Binding;
using Borealis.Sql.Parser;
using Borealis.Sql.Types;

namespace Borealis.Sql.Execution;

/// <summary>
/// One client session over the SQL engine: parsing, binding, planning and execution, and the
/// transaction state machine (implicit transaction per Sync / simple query; explicit BEGIN blocks;
/// savepoints; 25P02 after an error inside a block).
/// </summary>
public sealed partial class SqlSession(SqlEngine engine) : IPgSessionHandler
{
    private Transaction? _tx;
    private bool _explicit;
    private bool _failed;
    private readonly List<(string Name, int Depth)> _savepoints = [];
    private readonly SequenceSession _sequences = new();
    private readonly Dictionary<string, string> _settings = new(StringComparer.OrdinalIgnoreCase)
    {
        ["transaction_isolation"] = "read committed",
        ["default_transaction_isolation"] = "read committed",
        ["server_version"] = "15.0",
        ["server_encoding"] = "UTF8",
        ["client_encoding"] = "UTF8",
        ["datestyle"] = "ISO, MDY",
        ["timezone"] = "UTC",
        ["standard_conforming_strings"] = "on",
        ["search_path"] = "\"$user\", public",
        ["max_identifier_length"] = "63",
        ["integer_datetimes"] = "on",
    };
    private IsolationLevel _defaultIsolation = IsolationLevel.ReadCommitted;
    private long _txTimestamp;

    public PgTransactionStatus TransactionStatus =>
        !_explicit ? PgTransactionStatus.Idle : _failed ? PgTransactionStatus.Failed : PgTransactionStatus.InTransaction;

    public ValueTask DisposeAsync()
    {
        if (_tx is not null)
        {
            var tx = _tx;
            _tx = null;
            return engine.Db.RollbackAsync(tx);
        }
        return ValueTask.CompletedTask;
    }

    // ------------------------------------------------------------------ protocol seam

    public async ValueTask<IReadOnlyList<IPgStatement>> ParseAsync(string sql, uint[] parameterTypeHints, CancellationToken ct)
    {
        IReadOnlyList<RawStatement> raw;
        try { raw = SqlParser.Parse(sql); }
        catch (ParseException e) { throw new PgErrorException(new PgError(e.SqlState, e.Message) { Position = e.Position > 0 ? e.Position : 0 }); }
        var list = new List<IPgStatement>(raw.Count);
        foreach (var r in raw) list.Add(new SqlStatement(r.Statement, parameterTypeHints));
        if (list.Count == 1 && !_failed) await PrepareAsync((SqlStatement)list[0], ct);
        return list;
    }

    public async ValueTask<IPgPortal> BindAsync(IPgStatement statement, PgParameters parameters, CancellationToken ct)
    {
        var st = (SqlStatement)statement;
        CheckNotFailed(st.Ast);
        await PrepareAsync(st, ct);
        var values = new Value[st.ParameterTypes.Length];
        for (int i = 0; i < values.Length; i++) values[i] = i < parameters.Count ? ReadParam(parameters, i, st.ParamSqlTypes[i]) : Value.Null;
        return new SqlPortal(this, st, values);
    }

    public async ValueTask SyncAsync(bool failed, CancellationToken ct)
    {
        if (_explicit)
        {
            if (failed) _failed = true;
            return;
        }
        if (_tx is null) return;
        var tx = _tx;
        _tx = null;
        if (failed) await engine.Db.RollbackAsync(tx, ct);
        else await Translate(() => engine.Db.CommitAsync(tx, ct));
    }

    public IReadOnlyDictionary<string, string>? InitialParameterStatus => null;

    // ------------------------------------------------------------------ statements

    /// <summary>Binds the statement against the current catalog if it has not been (or the catalog changed).</summary>
    private async ValueTask PrepareAsync(SqlStatement st, CancellationToken ct)
    {
        if (!NeedsPlan(st.Ast)) { st.Columns = ColumnsOfUtility(st.Ast); return; }
        var view = engine.Db.Catalog.View(_tx);
        if (st.Plan is not null && st.PlanVersion == view.Version) return;
        List<SqlType> types;
        while (true)
        {
            // Binding is synchronous: a table whose engine objects are not open yet stops it; open it (I/O) and bind again.
            types = st.Hints.Select(h => new SqlType(Types.Types.FromOid(h))).ToList();
            var binder = new Binder(view, t => engine.TryGet(t, out var rt) ? rt : throw new TableNotOpenException(t), types);
            try
            {
                st.Plan = Translate(() => PlanStatement(binder, st.Ast));
                break;
            }
            catch (TableNotOpenException e) { await engine.OpenAsync(e.Table, ct); }
        }
        st.PlanVersion = view.Version;
        st.ParamSqlTypes = types.Select(t => t.Id == TypeId.Unknown ? SqlType.Text : t).ToArray();
        st.ParameterTypes = st.ParamSqlTypes.Select(t => t.Oid).ToArray();
        st.Columns = st.Plan.Columns;
    }

    private static bool NeedsPlan(Statement s) => s is SelectStatement or InsertStatement or UpdateStatement or DeleteStatement;

    private PgColumn[]? ColumnsOfUtility(Statement s) => s is ShowStatement sh ? [new PgColumn(sh.Name.ToLowerInvariant(), PgOid.Text)] : null;

    private static Value ReadParam(PgParameters p, int i, SqlType t)
    {
        if (p.IsNull(i)) return Value.Null;
        if (p.Format(i) == PgFormat.Text) return Ops.Parse(p.GetString(i)!, t);
        return t.Id switch
        {
            TypeId.Bool => Value.FromBool(p.GetBool(i)),
            TypeId.Int2 => Value.FromInt2(p.GetInt16(i)),
            TypeId.Int4 => Value.FromInt4(p.GetInt32(i)),
            TypeId.Int8 => Value.FromInt8(p.GetInt64(i)),
            TypeId.Numeric => Value.FromNumeric(p.GetDecimal(i)),
            TypeId.Float4 => Value.FromFloat4(p.GetDouble(i)),
            TypeId.Float8 => Value.FromFloat8(p.GetDouble(i)),
            TypeId.Bytea => Value.FromBytea(p.GetBytea(i)),
            TypeId.Uuid => Value.FromUuid(p.GetGuid(i)),
            TypeId.Date => Value.FromDate(p.GetDate(i).DayNumber - Value.PgDateEpoch),
            TypeId.Timestamp or TypeId.TimestampTz => Value.FromTimestamp(t.Id, PgCodec.ToPgTimestamp(p.GetTimestamp(i))),
            _ => Ops.Cast(Value.FromText(p.GetString(i)!), t),
        };
    }

    private void CheckNotFailed(Statement s)
    {
        if (!_failed) return;
        if (s is TransactionStatement { Kind: TransactionKind.Rollback or TransactionKind.RollbackTo or TransactionKind.Commit }) return;
        throw new PgErrorException("25P02", "current transaction is aborted, commands ignored until end of transaction block");
    }

    internal Transaction EnsureTx()
    {
        if (_tx is null)
        {
            _tx = engine.Db.Begin(_defaultIsolation);
            _txTimestamp = PgCodec.ToPgTimestamp(DateTime.UtcNow);
        }
        return _tx;
    }

    internal EvalContext NewEval(Value[] parameters) => new()
    {
        Params = parameters,
        TransactionTimestamp = _txTimestamp,
        StatementTimestamp = PgCodec.ToPgTimestamp(DateTime.UtcNow),
        Db = engine.Db,
        Sequences = _sequences,
    };

    internal SqlEngine Engine => engine;

    /// <summary>Runs a statement to completion or suspension; errors inside an explicit block mark it failed.</summary>
    internal async ValueTask<PgExecuteResult> ExecuteAsync(SqlPortal portal, PgExecuteContext ctx, int maxRows, CancellationToken ct)
    {
        try
        {
            return await TranslateAsync(() => ExecuteCoreAsync(portal, ctx, maxRows, ct));
        }
        catch
        {
            if (_explicit) _failed = true;
            throw;
        }
    }

    private async ValueTask<PgExecuteResult> ExecuteCoreAsync(SqlPortal portal, PgExecuteContext ctx, int maxRows, CancellationToken ct)
    {
        var ast = portal.Statement.Ast;
        if (!NeedsPlan(ast)) return PgExecuteResult.Complete(await ExecuteUtilityAsync(ast, ctx, ct));
        var tx = EnsureTx();
        if (portal.Running is null)
        {
            var snap = engine.Db.Txns.StatementSnapshot(tx);
            portal.State = new ExecState { Db = engine.Db, Tx = tx, Snap = snap, Eval = NewEval(portal.Params), Ct = ct };
            portal.State.Eval.Exec = portal.State;
            portal.Running = portal.Statement.Plan!;
        }
        portal.State!.Ct = ct;
        var r = await portal.Running.RunAsync(portal, ctx, maxRows);
        if (!r.IsSuspended)
        {
            tx.CommandCounterIncrement();
            portal.Running = null;
        }
        return r;
    }

    // ------------------------------------------------------------------ errors

    internal static T Translate<T>(Func<T> f)
    {
        try { return f(); }
        catch (Exception e) when (Map(e) is { } pg) { throw pg; }
    }

    internal static async ValueTask Translate(Func<ValueTask> f)
    {
        try { await f(); }
        catch (Exception e) when (Map(e) is { } pg) { throw pg; }
    }

    internal static async ValueTask<T> TranslateAsync<T>(Func<ValueTask<T>> f)
    {
        try { return await f(); }
        catch (Exception e) when (Map(e) is { } pg) { throw pg; }
    }

    private static PgErrorException? Map(Exception e) => e switch
    {
        CatalogException c => new PgErrorException(c.SqlState, c.Message),
        AccessException a => new PgErrorException(a.SqlState, a.Message),
        TxnException t => new PgErrorException(t.SqlState, t.Message),
        AggregateException { InnerException: { } inner } => Map(inner),
        _ => null,
    };
}

/// <summary>Raised by binding when a table's engine objects must be opened first (see <see cref="SqlEngine.OpenAsync"/>).</summary>
internal sealed class TableNotOpenException(TableInfo table) : Exception($"table {table.Name} is not open")
{
    public TableInfo Table { get; } = table;
}

/// <summary>A parsed statement; its plan is cached per catalog version.</summary>
public sealed class SqlStatement(Statement ast, uint[] hints) : IPgStatement
{
    public Statement Ast => ast;
    public uint[] Hints { get; } = hints;
    public uint[] ParameterTypes { get; set; } = [];
    public SqlType[] ParamSqlTypes { get; set; } = [];
    public PgColumn[]? Columns { get; set; }
    internal StatementPlan? Plan;
    internal ulong PlanVersion;
}

public sealed class SqlPortal(SqlSession session, SqlStatement statement, Value[] parameters) : IPgPortal
{
    public SqlStatement Statement => statement;
    public Value[] Params => parameters;
    public PgColumn[]? Columns => statement.Columns;
    internal StatementPlan? Running;
    internal ExecState? State;
    internal Op? Root;
    internal long RowsSoFar;

    public ValueTask<PgExecuteResult> ExecuteAsync(PgExecuteContext context, int maxRows, CancellationToken ct) =>
        session.ExecuteAsync(this, context, maxRows, ct);

    public void Dispose() => Root?.Close();
}
