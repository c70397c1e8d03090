using Borealis.Engine.Catalog;
using Borealis.Engine.Txn;
using Borealis.PgWire.Backend;
using Borealis.Sql.Ast;
using Borealis.Sql.Types;
using AstConstraintKind = Borealis.Sql.Ast.ConstraintKind;
using EngineColumnDef = Borealis.Engine.Catalog.ColumnDef;
using EngineConstraintKind = Borealis.Engine.Catalog.ConstraintKind;

namespace Borealis.Sql.Execution;

public sealed partial class SqlSession
{
    private async ValueTask<PgCommandTag> ExecuteUtilityAsync(Statement s, PgExecuteContext ctx, CancellationToken ct)
    {
        switch (s)
        {
            case TransactionStatement t: return await TransactionAsync(t, ctx, ct);
            case SetStatement set: return await SetAsync(set, ctx);
            case ShowStatement sh:
            {
                string name = sh.Name.ToLowerInvariant();
                string v = name == "all" ? ""
                    : name == "transaction_isolation" ? IsolationName(_tx?.Isolation ?? _defaultIsolation)
                    : _settings.TryGetValue(name, out var x) ? x
                    : throw new PgErrorException("42704", $"unrecognized configuration parameter \"{sh.Name}\"");
                ctx.Rows.BeginRow();
                ctx.Rows.WriteText(v);
                ctx.Rows.EndRow();
                return PgCommandTag.Of("SHOW");
            }
            case VacuumStatement v: return await VacuumAsync(v, ct);
            case DiscardStatement: return PgCommandTag.Of("DISCARD ALL");
            case SimpleCommandStatement sc when sc.Command.Equals("CHECKPOINT", StringComparison.OrdinalIgnoreCase): return PgCommandTag.Of("CHECKPOINT");
        }
        // DDL and TRUNCATE run in the (implicit or explicit) transaction.
        var tx = EnsureTx();
        var cat = engine.Db.Catalog;
        PgCommandTag tag;
        switch (s)
        {
            case CreateTableStatement c: tag = await CreateTableAsync(tx, c, ct); break;
            case DropStatement { Kind: ObjectKind.Table or ObjectKind.Index or ObjectKind.Sequence } d:
                foreach (var n in d.Names)
                {
                    var view = cat.View(tx);
                    bool exists = d.Kind switch
                    {
                        ObjectKind.Table => view.FindTable(n.Schema, n.Name) is not null,
                        _ => view.FindRelation(n.Schema, n.Name) != 0,
                    };
                    if (!exists)
                    {
                        if (d.IfExists)
                        {
                            ctx.SendNotice(new PgError("00000", $"{d.Kind.ToString().ToLowerInvariant()} \"{n.Name}\" does not exist, skipping"));
                            continue;
                        }
                        throw d.Kind == ObjectKind.Table ? SqlErrors.UndefinedTable(n.Name, n.Position)
                            : SqlErrors.Make("42704", $"{d.Kind.ToString().ToLowerInvariant()} \"{n.Name}\" does not exist", n.Position);
                    }
                    if (d.Kind == ObjectKind.Table)
                    {
                        var t = view.GetTable(n.Schema, n.Name);
                        await cat.DropTableAsync(tx, n.Schema, n.Name, ct);
                        // owned serial sequences go with the table
                        foreach (var col in t.Columns)
                            if (col.Default is { } def && def.StartsWith("nextval('", StringComparison.Ordinal))
                            {
                                string seq = def[9..def.IndexOf('\'', 9)];
                                if (cat.View(tx).FindRelation(n.Schema, seq) != 0) await cat.DropSequenceAsync(tx, n.Schema, seq, ct);
                            }
                    }
                    else if (d.Kind == ObjectKind.Index) await cat.DropIndexAsync(tx, n.Schema, n.Name, ct);
                    else await cat.DropSequenceAsync(tx, n.Schema, n.Name, ct);
                }
                tag = PgCommandTag.Of($"DROP {d.Kind.ToString().ToUpperInvariant()}");
                break;
            case CreateIndexStatement ci: tag = await CreateIndexAsync(tx, ci, ct); break;
            case AlterTableStatement at: tag = await AlterTableAsync(tx, at, ct); break;
            case CreateSequenceStatement cs:
                if (cs.IfNotExists && cat.View(tx).FindRelation(cs.Name.Schema, cs.Name.Name) != 0) return PgCommandTag.Of("CREATE SEQUENCE");
                await cat.CreateSequenceAsync(tx, cs.Name.Schema, cs.Name.Name, null, ct);
                tag = PgCommandTag.Of("CREATE SEQUENCE");
                break;
            case CopyStatement cp: return await CopyFromStdinAsync(cp, ctx, ct);
            case TruncateStatement tr:
                foreach (var tn in tr.Tables) await TruncateAsync(tx, tn.Name, ct);
                tag = PgCommandTag.Of("TRUNCATE TABLE");
                break;
            default:
                throw SqlErrors.NotSupported(s.GetType().Name.Replace("Statement", "", StringComparison.Ordinal));
        }
        tx.CommandCounterIncrement();
        return tag;
    }

    /// <summary>VACUUM runs the engine's vacuum on the named tables (all tables when none); ANALYZE is accepted (no statistics yet).</summary>
    private async ValueTask<PgCommandTag> VacuumAsync(VacuumStatement v, CancellationToken ct)
    {
        if (!v.IsVacuum) return PgCommandTag.Of("ANALYZE");
        if (_explicit) throw new PgErrorException("25001", "VACUUM cannot run inside a transaction block");
        var view = engine.Db.Catalog.View(null);
        var tables = v.Relations.Count == 0
            ? view.Tables.Values.Where(t => t.NamespaceOid != CatalogOids.PgCatalogNamespace).ToList()
            : v.Relations.Select(r => view.FindTable(r.Name.Schema, r.Name.Name) ?? throw SqlErrors.UndefinedTable(r.Name.Name, r.Name.Position)).ToList();
        var vacuumer = new Borealis.Engine.Vacuum.Vacuumer(engine.Db.Txns);
        foreach (var t in tables) await vacuumer.VacuumTableAsync((await engine.OpenAsync(t, ct)).Table, ct);
        return PgCommandTag.Of("VACUUM");
    }

    private async ValueTask<PgCommandTag> TransactionAsync(TransactionStatement t, PgExecuteContext ctx, CancellationToken ct)
    {
        switch (t.Kind)
        {
            case TransactionKind.Begin or TransactionKind.Start:
            {
                if (_explicit)
                {
                    ctx.SendNotice(new PgError("25001", "there is already a transaction in progress") { Severity = PgSeverity.Warning });
                    return PgCommandTag.Of("BEGIN");
                }
                var iso = _defaultIsolation;
                foreach (var o in t.Options)
                    if (o.Name == "transaction_isolation" && o.Arg is StringLiteral sl) iso = ParseIsolation(sl.Value);
                if (_tx is null)
                {
                    _tx = engine.Db.Begin(iso);
                    _txTimestamp = PgWire.Types.PgCodec.ToPgTimestamp(DateTime.UtcNow);
                }
                _explicit = true;
                _failed = false;
                _savepoints.Clear();
                return PgCommandTag.Of("BEGIN");
            }
            case TransactionKind.Commit:
            {
                if (!_explicit) ctx.SendNotice(new PgError("25P01", "there is no transaction in progress") { Severity = PgSeverity.Warning });
                bool failed = _failed;
                await EndAsync(!failed, ct);
                return PgCommandTag.Of(failed ? "ROLLBACK" : "COMMIT");
            }
            case TransactionKind.Rollback:
                if (!_explicit) ctx.SendNotice(new PgError("25P01", "there is no transaction in progress") { Severity = PgSeverity.Warning });
                await EndAsync(false, ct);
                return PgCommandTag.Of("ROLLBACK");
            case TransactionKind.Savepoint:
            {
                if (!_explicit) throw new PgErrorException("25P01", "SAVEPOINT can only be used in transaction blocks");
                var tx = EnsureTx();
                _savepoints.Add((t.Name!, TxnManager.Savepoint(tx)));
                return PgCommandTag.Of("SAVEPOINT");
            }
            case TransactionKind.RollbackTo or TransactionKind.Release:
            {
                string verb = t.Kind == TransactionKind.Release ? "RELEASE" : "ROLLBACK";
                if (!_explicit) throw new PgErrorException("25P01", $"{(verb == "RELEASE" ? "RELEASE SAVEPOINT" : "ROLLBACK TO SAVEPOINT")} can only be used in transaction blocks");
                int i = _savepoints.FindLastIndex(x => x.Name == t.Name);
                if (i < 0) throw new PgErrorException("3B001", $"savepoint \"{t.Name}\" does not exist");
                var tx = _tx!;
                int depth = _savepoints[i].Depth;
                if (t.Kind == TransactionKind.Release)
                {
                    if (_failed) throw new PgErrorException("25P02", "current transaction is aborted, commands ignored until end of transaction block");
                    TxnManager.ReleaseSavepoint(tx, depth);
                    _savepoints.RemoveRange(i, _savepoints.Count - i);
                }
                else
                {
                    await engine.Db.Txns.RollbackToSavepointAsync(tx, depth, ct);
                    _savepoints.RemoveRange(i + 1, _savepoints.Count - i - 1);
                    _failed = false;
                }
                return PgCommandTag.Of(verb);
            }
            default:
                throw SqlErrors.NotSupported("prepared transactions");
        }
    }

    private async ValueTask EndAsync(bool commit, CancellationToken ct)
    {
        var tx = _tx;
        _tx = null;
        _explicit = false;
        _failed = false;
        _savepoints.Clear();
        if (tx is null) return;
        if (commit) await engine.Db.CommitAsync(tx, ct);
        else await engine.Db.RollbackAsync(tx, ct);
    }

    private static string IsolationName(IsolationLevel l) => l switch
    {
        IsolationLevel.Serializable => "serializable",
        IsolationLevel.RepeatableRead => "repeatable read",
        _ => "read committed",
    };

    private static IsolationLevel ParseIsolation(string s) => s.ToLowerInvariant() switch
    {
        "serializable" => IsolationLevel.Serializable,
        "repeatable read" => IsolationLevel.RepeatableRead,
        "read committed" or "read uncommitted" => IsolationLevel.ReadCommitted,
        _ => throw new PgErrorException("22023", $"invalid value for parameter \"transaction_isolation\": \"{s}\""),
    };

    private async ValueTask<PgCommandTag> SetAsync(SetStatement set, PgExecuteContext ctx)
    {
        switch (set.Kind)
        {
            case SetKind.Transaction or SetKind.SessionCharacteristics:
                foreach (var o in set.Options)
                    if (o.Name == "transaction_isolation" && o.Arg is StringLiteral sl)
                    {
                        var iso = ParseIsolation(sl.Value);
                        if (set.Kind == SetKind.SessionCharacteristics) { _defaultIsolation = iso; _settings["default_transaction_isolation"] = sl.Value; }
                        else if (_tx is not null && _tx.Isolation != iso && _tx.SnapshotLsn != 0)
                            throw new PgErrorException("25001", "SET TRANSACTION ISOLATION LEVEL must be called before any query");
                        else if (_tx is not null && _tx.Isolation != iso)
                        {
                            // The transaction has not read anything yet: restart it at the requested level.
                            var old = _tx;
                            _tx = engine.Db.Begin(iso);
                            await engine.Db.RollbackAsync(old);
                        }
                    }
                return PgCommandTag.Of("SET");
            case SetKind.ResetAll: return PgCommandTag.Of("RESET");
            case SetKind.Reset or SetKind.Default: return PgCommandTag.Of(set.Kind == SetKind.Reset ? "RESET" : "SET");
        }
        string name = set.Name!.ToLowerInvariant();
        string value = string.Join(", ", set.Values.Select(v => v switch
        {
            StringLiteral s => s.Value,
            IntegerLiteral i => i.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
            NumericLiteral n => n.Text,
            ColumnRef c => c.Names[^1],
            _ => v.ToString(),
        }));
        if (name is "transaction_isolation" or "default_transaction_isolation")
        {
            var iso = ParseIsolation(value);
            if (name == "default_transaction_isolation") _defaultIsolation = iso;
        }
        _settings[name] = value;
        if (name is "application_name" or "datestyle" or "timezone" or "intervalstyle" or "standard_conforming_strings")
            ctx.ReportParameter(name switch { "datestyle" => "DateStyle", "timezone" => "TimeZone", "intervalstyle" => "IntervalStyle", _ => name }, value);
        return PgCommandTag.Of("SET");
    }
}
