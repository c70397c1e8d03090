using System.Text;
using Borealis.PgWire.Backend;
using Borealis.PgWire.Protocol;

namespace Borealis.PgWire.Server;

/// <summary>
/// The query protocol of one authenticated connection: simple Query, the extended protocol
/// (Parse/Bind/Describe/Execute/Close/Sync/Flush with named and unnamed statements and portals),
/// COPY, FunctionCall and Terminate. Strictly sequential: one message at a time, on the
/// connection's task; the handler is awaited before the next message is read, so pipelined
/// messages wait in the input pipe (and back-pressure the client).
/// Error handling follows PostgreSQL: an error in an extended-protocol message makes the session
/// skip every message up to the next Sync; a framing error or unknown message type is FATAL 08P01.
/// </summary>
internal sealed class PgSession : IPgSessionChannel, IAsyncDisposable
{
    private readonly PgConnection _conn;
    private readonly IPgSessionHandler _handler;
    private readonly PgExecuteContext _ctx;
    private readonly Dictionary<string, Prepared> _statements = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Portal> _portals = new(StringComparer.Ordinal);
    private readonly Stack<Portal> _freePortals = new();
    private bool _ignoreTillSync;
    private bool _extendedFailed;
    private CancellationToken _connectionToken;

    private sealed class Prepared(IPgStatement? statement, uint[] parameterTypes)
    {
        /// <summary>Null for an empty query string.</summary>
        public IPgStatement? Statement { get; } = statement;
        public uint[] ParameterTypes { get; } = statement?.ParameterTypes ?? parameterTypes;
    }

    /// <summary>A bound portal. Instances (with their parameter and format buffers) are recycled across Binds.</summary>
    private sealed class Portal
    {
        private byte[] _formats = new byte[16];
        private int _formatsLength;

        public IPgPortal? HandlerPortal { get; set; }
        public PgParameters Parameters { get; } = new();
        public ReadOnlySpan<byte> ResultFormats => _formats.AsSpan(0, _formatsLength);
        public PgCommandTag? CompletedTag { get; set; }

        public void Load(in BindMessage bind, uint[] parameterTypes)
        {
            Parameters.Load(bind, parameterTypes);
            var resultFormats = bind.ResultFormatsRaw;
            if (_formats.Length < resultFormats.Length) _formats = new byte[resultFormats.Length];
            resultFormats.CopyTo(_formats);
            _formatsLength = resultFormats.Length;
            CompletedTag = null;
        }

        public void Clear()
        {
            HandlerPortal?.Dispose();
            HandlerPortal = null;
            CompletedTag = null;
        }
    }

    public PgSession(PgConnection conn, IPgSessionHandler handler, PgSessionInfo info)
    {
        _conn = conn;
        _handler = handler;
        _ctx = new PgExecuteContext(this, info);
    }

    public PgOutput Output => _conn.Output;
    private MessageInput Input => _conn.Input;
    private int MaxMessage => _conn.Server.Options.MaxMessageSize;

    public async ValueTask FlushAsync(CancellationToken ct)
    {
        var r = await Output.FlushAsync(ct);
        if (r.IsCompleted || r.IsCanceled) throw new IOException("client connection closed");
    }

    public ReadOnlyMemory<byte> CurrentMessage => Input.Body;

    /// <summary>Serves messages until Terminate, end of stream or a fatal error.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        _connectionToken = ct;
        while (true)
        {
            var status = await Input.ReadAsync(startup: false, MaxMessage, ct);
            if (status is ReadStatus.EndOfStream or ReadStatus.Truncated) return;
            if (status != ReadStatus.Ok)
            {
                await _conn.FatalAsync(PgSqlState.ProtocolViolation, status == ReadStatus.TooLarge
                    ? $"invalid message length {Input.DeclaredLength} for message type {Input.Type}"
                    : $"invalid message length {Input.DeclaredLength}");
                return;
            }
            byte type = Input.Type;
            if (type == FrontendCode.Sync)
            {
                _ignoreTillSync = false;
                await SyncAsync(ct);
                continue;
            }
            if (type == FrontendCode.Terminate) return;
            if (_ignoreTillSync && type != FrontendCode.Flush) continue;
            bool ok;
            try
            {
                ok = await DispatchAsync(type, ct);
            }
            catch (FatalProtocolException e)
            {
                await _conn.FatalAsync(PgSqlState.ProtocolViolation, e.Message);
                return;
            }
            catch (PgErrorException e) when (e.Error.Severity is PgSeverity.Fatal or PgSeverity.Panic)
            {
                // A FATAL from the handler was already written by Report: deliver it and close.
                await _conn.FlushQuietlyAsync();
                return;
            }
            if (!ok) return;
        }
    }

    private async ValueTask<bool> DispatchAsync(byte type, CancellationToken ct) =>
        type switch
        {
                FrontendCode.Query => await SimpleQueryAsync(ct),
                FrontendCode.Parse => await ParseAsync(ct),
                FrontendCode.Bind => await BindAsync(ct),
                FrontendCode.Describe => Describe(),
                FrontendCode.Execute => await ExecuteAsync(ct),
                FrontendCode.Close => Close(),
                FrontendCode.Flush => await FlushMessageAsync(ct),
                FrontendCode.FunctionCall => FunctionCall(),
                // Leftovers of a COPY that failed on our side: ignored, as PostgreSQL does.
                FrontendCode.CopyData or FrontendCode.CopyDone or FrontendCode.CopyFail => true,
                _ => await FatalAsync($"invalid frontend message type {type}"),
            };

    private async Task<bool> FatalAsync(string message)
    {
        await _conn.FatalAsync(PgSqlState.ProtocolViolation, message);
        return false;
    }

    private async Task<bool> FlushMessageAsync(CancellationToken ct)
    {
        await FlushAsync(ct);
        return true;
    }

    // ---- simple query ----

    private async Task<bool> SimpleQueryAsync(CancellationToken ct)
    {
        if (!FrontendMessages.TryDecodeQuery(Input.BodySpan, out var sqlBytes)) return await FatalAsync("invalid Query message");
        bool failed = false;
        if (!Types.PgCodec.TryDecodeUtf8(sqlBytes, out string sql))
        {
            SendError(new PgError("22021", "invalid byte sequence for encoding \"UTF8\""));
            failed = true;
        }
        else
        {
            failed = !await RunSimpleAsync(sql, ct);
        }
        try
        {
            await _handler.SyncAsync(failed, ct);
        }
        catch (Exception e) when (e is not IOException)
        {
            if (!Report(e)) throw;
        }
        Output.WriteReadyForQuery(_handler.TransactionStatus);
        return true;
    }

    private async Task<bool> RunSimpleAsync(string sql, CancellationToken ct)
    {
        IReadOnlyList<IPgStatement> statements;
        try
        {
            statements = await _handler.ParseAsync(sql, [], ct);
        }
        catch (Exception e) when (e is not IOException)
        {
            if (!Report(e)) throw;
            return false;
        }
        if (statements.Count == 0)
        {
            Output.WriteEmpty(BackendCode.EmptyQueryResponse);
            return true;
        }
        foreach (var statement in statements)
        {
            var token = _conn.BeginStatement();
            try
            {
                using var portal = await _handler.BindAsync(statement, PgParameters.Empty, token);
                var columns = portal.Columns;
                if (columns is not null) Output.WriteRowDescription(columns, default);
                _ctx.Rows.Configure(columns, default);
                var result = await portal.ExecuteAsync(_ctx, 0, token);
                FinishCopy();
                WriteTag(result.Tag);
            }
            catch (Exception e) when (e is not IOException)
            {
                if (!Report(e, token)) throw;
                return false;
            }
            finally
            {
                _conn.EndStatement();
            }
        }
        return true;
    }

    // ---- extended protocol ----

    private async Task<bool> ParseAsync(CancellationToken ct)
    {
        if (!FrontendMessages.TryDecodeParse(Input.BodySpan, out var msg)) return await FatalAsync("invalid Parse message");
        string name = Name(msg.Name);
        if (!Types.PgCodec.TryDecodeUtf8(msg.Query, out string sql)) return ExtendedError(new PgError("22021", "invalid byte sequence for encoding \"UTF8\""));
        var hints = new uint[msg.ParameterCount];
        for (int i = 0; i < hints.Length; i++) hints[i] = msg.ParameterType(i);
        if (name.Length > 0 && _statements.ContainsKey(name))
            return ExtendedError(new PgError(PgSqlState.DuplicatePreparedStatement, $"prepared statement \"{name}\" already exists"));
        IReadOnlyList<IPgStatement> statements;
        try
        {
            statements = await _handler.ParseAsync(sql, hints, ct);
        }
        catch (Exception e) when (e is not IOException)
        {
            return ExtendedFailure(e);
        }
        if (statements.Count > 1)
            return ExtendedError(new PgError(PgSqlState.SyntaxError, "cannot insert multiple commands into a prepared statement"));
        _statements[name] = new Prepared(statements.Count == 0 ? null : statements[0], hints);
        Output.WriteEmpty(BackendCode.ParseComplete);
        return true;
    }

    private async Task<bool> BindAsync(CancellationToken ct)
    {
        if (!FrontendMessages.TryDecodeBind(Input.BodySpan, out var msg)) return await FatalAsync("invalid Bind message");
        if (!TryGetStatement(msg.Statement, out var prepared, out string stmtName))
            return ExtendedError(new PgError(PgSqlState.InvalidSqlStatementName, stmtName.Length == 0 ? "unnamed prepared statement does not exist" : $"prepared statement \"{stmtName}\" does not exist"));
        if (msg.ParameterCount != prepared.ParameterTypes.Length)
            return ExtendedError(new PgError(PgSqlState.ProtocolViolation, $"bind message supplies {msg.ParameterCount} parameters, but prepared statement \"{stmtName}\" requires {prepared.ParameterTypes.Length}"));
        string portalName = Name(msg.Portal);
        if (portalName.Length > 0 && _portals.ContainsKey(portalName))
            return ExtendedError(new PgError(PgSqlState.DuplicateCursor, $"portal \"{portalName}\" already exists"));
        int columns = prepared.Statement?.Columns?.Length ?? 0;
        int nr = msg.ResultFormatsRaw.Length / 2;
        if (nr > 1 && nr != columns)
            return ExtendedError(new PgError(PgSqlState.ProtocolViolation, $"bind message has {nr} result formats but query has {columns} columns"));

        var portal = _freePortals.Count > 0 ? _freePortals.Pop() : new Portal();
        portal.Load(msg, prepared.ParameterTypes);
        if (prepared.Statement is not null)
        {
            try
            {
                portal.HandlerPortal = await _handler.BindAsync(prepared.Statement, portal.Parameters, ct);
            }
            catch (Exception e) when (e is not IOException)
            {
                ReturnPortal(portal);
                return ExtendedFailure(e);
            }
        }
        if (portalName.Length == 0 && _portals.Remove("", out var old)) ReturnPortal(old);
        _portals[portalName] = portal;
        Output.WriteEmpty(BackendCode.BindComplete);
        return true;
    }

    private bool Describe()
    {
        if (!FrontendMessages.TryDecodeTarget(Input.BodySpan, out var msg)) return FatalSync("invalid Describe message");
        string name = Name(msg.Name);
        if (msg.Kind == (byte)'S')
        {
            if (!_statements.TryGetValue(name, out var prepared))
                return ExtendedError(new PgError(PgSqlState.InvalidSqlStatementName, $"prepared statement \"{name}\" does not exist"));
            Output.WriteParameterDescription(prepared.ParameterTypes);
            var columns = prepared.Statement?.Columns;
            if (columns is null) Output.WriteEmpty(BackendCode.NoData);
            else Output.WriteRowDescription(columns, default);
            return true;
        }
        if (!_portals.TryGetValue(name, out var portal))
            return ExtendedError(new PgError(PgSqlState.InvalidCursorName, $"portal \"{name}\" does not exist"));
        var cols = portal.HandlerPortal?.Columns;
        if (cols is null) Output.WriteEmpty(BackendCode.NoData);
        else Output.WriteRowDescription(cols, portal.ResultFormats);
        return true;
    }

    private async Task<bool> ExecuteAsync(CancellationToken ct)
    {
        if (!FrontendMessages.TryDecodeExecute(Input.BodySpan, out var msg)) return await FatalAsync("invalid Execute message");
        string name = Name(msg.Portal);
        if (!_portals.TryGetValue(name, out var portal))
            return ExtendedError(new PgError(PgSqlState.InvalidCursorName, $"portal \"{name}\" does not exist"));
        if (portal.HandlerPortal is null)
        {
            Output.WriteEmpty(BackendCode.EmptyQueryResponse);
            return true;
        }
        if (portal.CompletedTag is { } done)
        {
            // Re-executing a finished portal returns no more rows.
            WriteTag(done.Rows < 0 ? done : done with { Rows = 0 });
            return true;
        }
        _ctx.Rows.Configure(portal.HandlerPortal.Columns, portal.ResultFormats);
        var token = _conn.BeginStatement();
        try
        {
            var result = await portal.HandlerPortal.ExecuteAsync(_ctx, msg.MaxRows, token);
            FinishCopy();
            if (result.IsSuspended)
            {
                Output.WriteEmpty(BackendCode.PortalSuspended);
            }
            else
            {
                portal.CompletedTag = result.Tag;
                WriteTag(result.Tag);
            }
            return true;
        }
        catch (Exception e) when (e is not IOException)
        {
            if (!Report(e, token)) throw;
            _ignoreTillSync = true;
            _extendedFailed = true;
            return true;
        }
        finally
        {
            _conn.EndStatement();
        }
    }

    private bool Close()
    {
        if (!FrontendMessages.TryDecodeTarget(Input.BodySpan, out var msg)) return FatalSync("invalid Close message");
        string name = Name(msg.Name);
        if (msg.Kind == (byte)'S') _statements.Remove(name);
        else if (_portals.Remove(name, out var portal)) ReturnPortal(portal);
        Output.WriteEmpty(BackendCode.CloseComplete);
        return true;
    }

    private async Task SyncAsync(CancellationToken ct)
    {
        try
        {
            await _handler.SyncAsync(_extendedFailed, ct);
        }
        catch (Exception e) when (e is not IOException)
        {
            if (!Report(e)) throw;
        }
        _extendedFailed = false;
        if (_handler.TransactionStatus == PgTransactionStatus.Idle) CloseAllPortals();
        Output.WriteReadyForQuery(_handler.TransactionStatus);
    }

    private bool FunctionCall()
    {
        SendError(new PgError(PgSqlState.FeatureNotSupported, "the FunctionCall protocol message is not supported; use SELECT function(...) instead"));
        Output.WriteReadyForQuery(_handler.TransactionStatus);
        return true;
    }

    // ---- COPY FROM STDIN ----

    public async ValueTask<CopyInStatus> ReadCopyInAsync(CancellationToken ct)
    {
        while (true)
        {
            var status = await Input.ReadAsync(startup: false, MaxMessage, ct);
            if (status is ReadStatus.EndOfStream or ReadStatus.Truncated) throw new IOException("client connection closed during COPY");
            if (status != ReadStatus.Ok) throw new FatalProtocolException($"invalid message length {Input.DeclaredLength} during COPY");
            switch (Input.Type)
            {
                case FrontendCode.CopyData:
                    return CopyInStatus.Data;
                case FrontendCode.CopyDone:
                    return CopyInStatus.Done;
                case FrontendCode.CopyFail:
                    FrontendMessages.TryDecodeCopyFail(Input.BodySpan, out var reason);
                    throw new PgErrorException(PgSqlState.QueryCanceled, "COPY from stdin failed: " + Encoding.UTF8.GetString(reason));
                case FrontendCode.Flush or FrontendCode.Sync:
                    continue; // ignored during COPY IN, per protocol
                default:
                    throw new PgErrorException(PgSqlState.ProtocolViolation, $"unexpected message type 0x{Input.Type:X2} during COPY from stdin");
            }
        }
    }

    private void FinishCopy()
    {
        if (_ctx.CopyOutUnfinished) _ctx.EndCopyOut();
        _ctx.Reset();
    }

    // ---- errors ----

    /// <summary>Error in an extended-protocol message: report it and skip to Sync.</summary>
    private bool ExtendedError(PgError error)
    {
        SendError(error);
        _ignoreTillSync = true;
        _extendedFailed = true;
        return true;
    }

    private bool ExtendedFailure(Exception e)
    {
        if (!Report(e)) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e);
        _ignoreTillSync = true;
        _extendedFailed = true;
        return true;
    }

    private bool FatalSync(string message) => throw new FatalProtocolException(message);

    /// <summary>
    /// Turns a handler failure into an ErrorResponse. Returns false for exceptions that must end the
    /// connection (a fatal protocol error is reported here and rethrown by the caller).
    /// </summary>
    private bool Report(Exception e, CancellationToken statement = default)
    {
        _ctx.Rows.AbandonRow();
        _ctx.Reset();
        switch (e)
        {
            case FatalProtocolException:
                return false;
            case PgErrorException pe:
                SendError(pe.Error);
                return pe.Error.Severity is not (PgSeverity.Fatal or PgSeverity.Panic);
            case OperationCanceledException when _conn.ShuttingDown || _connectionToken.IsCancellationRequested:
                return false;
            case OperationCanceledException when statement.IsCancellationRequested:
                SendError(new PgError(PgSqlState.QueryCanceled, PgSqlState.QueryCanceledMessage));
                return true;
            default:
                Log.InternalError(_conn.Server.Logger, _conn.ProcessId, e);
                SendError(new PgError(PgSqlState.InternalError, "internal error: " + e.Message));
                return true;
        }
    }

    private void SendError(PgError error)
    {
        Output.Abandon();
        Output.WriteError(error);
    }

    private void WriteTag(PgCommandTag tag)
    {
        if (tag.Rows < 0) Output.WriteCommandComplete(tag.Verb);
        else Output.WriteCommandComplete(tag.Verb, tag.Rows);
    }

    // ---- names, portals ----

    /// <summary>Statement and portal names; the unnamed one ("") without allocating.</summary>
    private static string Name(ReadOnlySpan<byte> utf8) => utf8.IsEmpty ? "" : Encoding.UTF8.GetString(utf8);

    /// <summary>Looks a statement up by its UTF-8 name without allocating (prepared statements are looked up on every Bind).</summary>
    private bool TryGetStatement(ReadOnlySpan<byte> utf8, out Prepared prepared, out string name)
    {
        name = "";
        if (utf8.Length <= 128)
        {
            Span<char> chars = stackalloc char[128];
            int n = Encoding.UTF8.GetChars(utf8, chars);
            var lookup = _statements.GetAlternateLookup<ReadOnlySpan<char>>();
            if (lookup.TryGetValue(chars[..n], out var found))
            {
                prepared = found;
                return true;
            }
        }
        name = Name(utf8);
        return _statements.TryGetValue(name, out prepared!);
    }

    private void ReturnPortal(Portal portal)
    {
        portal.Clear();
        if (_freePortals.Count < 4) _freePortals.Push(portal);
        else portal.Parameters.Dispose();
    }

    private void CloseAllPortals()
    {
        if (_portals.Count == 0) return;
        foreach (var p in _portals.Values) ReturnPortal(p);
        _portals.Clear();
    }

    public async ValueTask DisposeAsync()
    {
        CloseAllPortals();
        while (_freePortals.Count > 0) _freePortals.Pop().Parameters.Dispose();
        try
        {
            await _handler.DisposeAsync();
        }
        catch (Exception e)
        {
            Log.InternalError(_conn.Server.Logger, _conn.ProcessId, e);
        }
    }
}

/// <summary>A protocol violation discovered below the message loop; the connection gets FATAL 08P01 and closes.</summary>
internal sealed class FatalProtocolException(string message) : Exception(message);
