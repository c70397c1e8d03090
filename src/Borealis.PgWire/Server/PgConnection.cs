using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Borealis.PgWire.Auth;
using Borealis.PgWire.Backend;
using Borealis.PgWire.Protocol;

namespace Borealis.PgWire.Server;

/// <summary>
/// One client connection: transport, startup negotiation (SSLRequest, GSSENCRequest,
/// CancelRequest, StartupMessage), authentication, then the session proper (<see cref="PgSession"/>).
/// Threading: everything runs on the connection's own task except <see cref="CancelFromRequest"/>
/// and <see cref="Abort"/>, which other connections / the server call.
/// Failure: a protocol violation gets a FATAL ErrorResponse (08P01) and the connection is closed;
/// nothing escapes to other connections.
/// </summary>
internal sealed class PgConnection
{
    private const int MaxAuthMessage = 65535;

    private readonly PgServer _server;
    private readonly SocketTransport _transport;
    private readonly CancellationTokenSource _life = new();
    private readonly Lock _cancelLock = new();
    private MessageInput _input;
    private PgOutput _output;
    private SslStream? _ssl;
    private PipeReader? _tlsReader;
    private PipeWriter? _tlsWriter;
    private int _secretKey;
    private CancellationTokenSource? _statementCts;
    private bool _admitted;
    private bool _statementRunning;

    public PgConnection(PgServer server, Socket socket)
    {
        _server = server;
        _transport = new SocketTransport(socket);
        _input = new MessageInput(_transport.Input);
        _output = new PgOutput(_transport.Output);
    }

    public int ProcessId { get; private set; }
    public string Remote => _transport.RemoteEndPoint?.ToString() ?? "?";
    internal MessageInput Input => _input;
    internal PgOutput Output => _output;
    internal PgServer Server => _server;

    public async Task RunAsync(CancellationToken serverStop)
    {
        _transport.Start();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(serverStop, _life.Token);
        var ct = linked.Token;
        PgSession? session = null;
        try
        {
            using (var startupTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                startupTimeout.CancelAfter(_server.Options.StartupTimeout);
                session = await StartupAsync(startupTimeout.Token);
            }
            if (session is null) return;
            _input.FlushBeforeWait = _output;
            await session.RunAsync(ct);
        }
        catch (OperationCanceledException)
        {
            // Server shutdown, abort, or the startup timeout: the connection ends either way.
            Log.ConnectionEnded(_server.Logger, Remote, serverStop.IsCancellationRequested ? "server shutdown" : "startup timeout or abort");
            if ((serverStop.IsCancellationRequested || ShuttingDown) && !_output.InMessage)
            {
                _output.WriteError(new PgError(PgSqlState.AdminShutdown, "terminating connection due to administrator command") { Severity = PgSeverity.Fatal });
                await TryFlushAsync();
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            Log.ConnectionEnded(_server.Logger, Remote, e.Message);
        }
        finally
        {
            if (session is not null) await session.DisposeAsync();
            if (ProcessId != 0) _server.Unregister(ProcessId, this);
            if (_admitted) _server.ReleaseSession();
            _input.ReleaseBuffer();
            _output.Discard();
            if (_tlsReader is not null) await _tlsReader.CompleteAsync();
            if (_tlsWriter is not null) await CompleteQuietlyAsync(_tlsWriter);
            if (_ssl is not null) await _ssl.DisposeAsync();
            await _transport.DisposeAsync();
            _life.Dispose();
            lock (_cancelLock) _statementCts?.Dispose();
        }
    }

    /// <summary>Stops the connection (server shutdown).</summary>
    public void Abort()
    {
        ShuttingDown = true;
        try { _life.Cancel(); } catch (ObjectDisposedException) { }
        lock (_cancelLock)
        {
            try { _statementCts?.Cancel(); } catch (ObjectDisposedException) { }
        }
    }

    /// <summary>Set by <see cref="Abort"/>: a cancelled statement then ends the connection (57P01) instead of reporting 57014.</summary>
    internal volatile bool ShuttingDown;

    // ---- cancellation of the running statement ----

    /// <summary>
    /// Opens the window in which a CancelRequest cancels the returned token. A cancel that arrives
    /// outside a statement is ignored, as in PostgreSQL.
    /// </summary>
    internal CancellationToken BeginStatement()
    {
        lock (_cancelLock)
        {
            if (_statementCts is null || !_statementCts.TryReset())
            {
                _statementCts?.Dispose();
                _statementCts = new CancellationTokenSource();
            }
            _statementRunning = true;
            return _statementCts.Token;
        }
    }

    internal void EndStatement()
    {
        lock (_cancelLock) _statementRunning = false;
    }

    public void CancelFromRequest(int secretKey)
    {
        if (!CryptographicOperations.FixedTimeEquals(BitConverter.GetBytes(secretKey), BitConverter.GetBytes(_secretKey))) return;
        lock (_cancelLock)
        {
            if (_statementRunning) _statementCts?.Cancel();
        }
    }

    // ---- startup ----

    private async Task<PgSession?> StartupAsync(CancellationToken ct)
    {
        bool sslSeen = false, gssSeen = false;
        while (true)
        {
            var status = await _input.ReadAsync(startup: true, PgProtocol.MaxStartupPacketLength, ct);
            if (status is ReadStatus.EndOfStream or ReadStatus.Truncated) return null;
            if (status != ReadStatus.Ok)
            {
                await FatalAsync(PgSqlState.ProtocolViolation, "invalid length of startup packet");
                return null;
            }
            var body = _input.Body;
            int code = BinaryPrimitives.ReadInt32BigEndian(body.Span);
            switch (code)
            {
                case PgProtocol.SslRequestCode:
                    if (body.Length != 4 || sslSeen)
                    {
                        await FatalAsync(PgSqlState.ProtocolViolation, "unexpected SSL request");
                        return null;
                    }
                    sslSeen = true;
                    if (_server.Options.ServerCertificate is { } cert)
                    {
                        if (_input.HasBufferedData())
                        {
                            await FatalAsync(PgSqlState.ProtocolViolation, "received unencrypted data after SSL request");
                            return null;
                        }
                        _output.WriteByte((byte)'S');
                        await TryFlushAsync();
                        await StartTlsAsync(cert, ct);
                    }
                    else
                    {
                        _output.WriteByte((byte)'N');
                        await TryFlushAsync();
                    }
                    continue;
                case PgProtocol.GssEncRequestCode:
                    if (body.Length != 4 || gssSeen)
                    {
                        await FatalAsync(PgSqlState.ProtocolViolation, "unexpected GSSAPI encryption request");
                        return null;
                    }
                    gssSeen = true;
                    _output.WriteByte((byte)'N');
                    await TryFlushAsync();
                    continue;
                case PgProtocol.CancelRequestCode:
                    if (body.Length == 12)
                        _server.Cancel(BinaryPrimitives.ReadInt32BigEndian(body.Span[4..]), BinaryPrimitives.ReadInt32BigEndian(body.Span[8..]));
                    return null; // no reply, by protocol
            }
            return await StartSessionAsync(code, ct);
        }
    }

    private async Task StartTlsAsync(System.Security.Cryptography.X509Certificates.X509Certificate2 cert, CancellationToken ct)
    {
        _ssl = new SslStream(new DuplexPipeStream(_transport.Input, _transport.Output), leaveInnerStreamOpen: false);
        try
        {
            await _ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificate = cert,
                ClientCertificateRequired = false,
            }, ct);
        }
        catch (System.Security.Authentication.AuthenticationException e)
        {
            throw new IOException("TLS handshake failed: " + e.Message, e);
        }
        var reader = PipeReader.Create(_ssl, new StreamPipeReaderOptions(bufferSize: 16 * 1024, minimumReadSize: 4096, leaveOpen: true, useZeroByteReads: true));
        var writer = PipeWriter.Create(_ssl, new StreamPipeWriterOptions(minimumBufferSize: 16 * 1024, leaveOpen: true));
        _input.SetReader(reader);
        _output = new PgOutput(writer);
        (_tlsReader, _tlsWriter) = (reader, writer);
    }

    private async Task<PgSession?> StartSessionAsync(int version, CancellationToken ct)
    {
        int major = version >> 16, minor = version & 0xFFFF;
        if (major != 3)
        {
            await FatalAsync(PgSqlState.FeatureNotSupported, $"unsupported frontend protocol {major}.{minor}: server supports 3.0 to 3.0");
            return null;
        }
        if (!StartupParameters.TryDecode(version, _input.BodySpan[4..], out var startup))
        {
            if (startup.User is null && _input.BodySpan[^1] == 0)
                await FatalAsync(PgSqlState.InvalidAuthorizationSpecification, "no PostgreSQL user name specified in startup packet");
            else
                await FatalAsync(PgSqlState.ProtocolViolation, "invalid startup packet layout: expected terminator as last byte");
            return null;
        }
        if (minor > 0 || startup.UnsupportedOptions.Count > 0) _output.WriteNegotiateProtocolVersion(0, startup.UnsupportedOptions);

        var options = _server.Options;
        if (options.RequireTls && _ssl is null)
        {
            await FatalAsync(PgSqlState.InvalidAuthorizationSpecification, "connection requires TLS");
            return null;
        }
        if (!_server.TryAdmitSession())
        {
            await FatalAsync(PgSqlState.TooManyConnections, "sorry, too many clients already");
            return null;
        }
        _admitted = true;
        string user = startup.User!;
        if (!await AuthenticateAsync(user, ct)) return null;
        _output.WriteAuthentication(AuthenticationCode.Ok);

        (ProcessId, _secretKey) = _server.Register(this);
        var info = new PgSessionInfo
        {
            ProcessId = ProcessId,
            User = user,
            Database = startup.Database,
            ApplicationName = startup.ApplicationName,
            Parameters = startup.Values,
            Settings = startup.Settings(),
            RemoteEndPoint = _transport.RemoteEndPoint,
            IsTls = _ssl is not null,
        };
        IPgSessionHandler handler;
        try
        {
            handler = await _server.Backend.OpenSessionAsync(info, ct);
        }
        catch (PgErrorException e)
        {
            await FatalAsync(e.Error.Code, e.Error.Message);
            return null;
        }
        Log.SessionStarted(_server.Logger, ProcessId, user, info.Database, Remote);

        // The set and order PostgreSQL 15 reports (GUC_REPORT parameters), then the handler's overrides.
        var status = new List<KeyValuePair<string, string>>
        {
            new("application_name", info.ApplicationName),
            new("client_encoding", "UTF8"),
            new("DateStyle", "ISO, MDY"),
            new("default_transaction_read_only", "off"),
            new("in_hot_standby", "off"),
            new("integer_datetimes", "on"),
            new("IntervalStyle", "postgres"),
            new("is_superuser", "off"),
            new("server_encoding", "UTF8"),
            new("server_version", options.ServerVersion),
            new("session_authorization", user),
            new("standard_conforming_strings", "on"),
            new("TimeZone", options.TimeZone),
        };
        if (handler.InitialParameterStatus is { } overrides)
        {
            foreach (var (name, value) in overrides)
            {
                int i = status.FindIndex(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase));
                if (i >= 0) status[i] = new(status[i].Key, value);
                else status.Add(new(name, value));
            }
        }
        foreach (var (name, value) in status) _output.WriteParameterStatus(name, value);
        _output.WriteBackendKeyData(ProcessId, _secretKey);
        _output.WriteReadyForQuery(handler.TransactionStatus);
        return new PgSession(this, handler, info);
    }

    private async Task<bool> AuthenticateAsync(string user, CancellationToken ct)
    {
        var options = _server.Options;
        switch (options.AuthMethod)
        {
            case PgAuthMethod.Trust:
                return true;
            case PgAuthMethod.CleartextPassword:
            {
                _output.WriteAuthentication(AuthenticationCode.CleartextPassword);
                if (!await ReadAuthMessageAsync(ct)) return false;
                if (!FrontendMessages.TryDecodeQuery(_input.BodySpan, out var pw) || !Types.PgCodec.TryDecodeUtf8(pw, out string password))
                    return await AuthProtocolErrorAsync("invalid password packet");
                var verifier = await options.Credentials!.GetVerifierAsync(user, ct);
                if (verifier is not null && verifier.Matches(password)) return true;
                return await AuthFailedAsync(user);
            }
            default:
            {
                var mechanisms = new byte[ScramServer.Mechanism.Length + 2];
                Encoding.ASCII.GetBytes(ScramServer.Mechanism, mechanisms);
                var verifier = await options.Credentials!.GetVerifierAsync(user, ct);
                _output.WriteAuthentication(AuthenticationCode.Sasl, mechanisms);
                if (!await ReadAuthMessageAsync(ct)) return false;
                var r = new PgMessageReader(_input.BodySpan);
                if (!r.TryReadCString(out var mech) || !r.TryReadInt32(out int len) || !r.TryReadBytes(len, out var first) || !r.AtEnd)
                    return await AuthProtocolErrorAsync("malformed SASLInitialResponse message");
                if (!mech.SequenceEqual("SCRAM-SHA-256"u8))
                    return await AuthProtocolErrorAsync("client selected an invalid SASL authentication mechanism");
                var scram = new ScramServer(verifier, user, _server.MockSecret);
                string? serverFirst = scram.HandleClientFirst(first, out string? error);
                if (serverFirst is null) return await AuthProtocolErrorAsync(error!);
                _output.WriteAuthentication(AuthenticationCode.SaslContinue, Encoding.UTF8.GetBytes(serverFirst));
                if (!await ReadAuthMessageAsync(ct)) return false;
                string? serverFinal = scram.HandleClientFinal(_input.BodySpan, out bool malformed);
                if (serverFinal is null)
                    return malformed ? await AuthProtocolErrorAsync("malformed SCRAM message") : await AuthFailedAsync(user);
                _output.WriteAuthentication(AuthenticationCode.SaslFinal, Encoding.UTF8.GetBytes(serverFinal));
                return true;
            }
        }
    }

    /// <summary>Reads the client's next authentication message ('p'); false (connection done) on anything else.</summary>
    private async Task<bool> ReadAuthMessageAsync(CancellationToken ct)
    {
        var flush = await _output.FlushAsync(ct);
        if (flush.IsCompleted) return false;
        var status = await _input.ReadAsync(startup: false, MaxAuthMessage, ct);
        if (status is ReadStatus.EndOfStream or ReadStatus.Truncated) return false;
        if (status != ReadStatus.Ok)
        {
            await FatalAsync(PgSqlState.ProtocolViolation, "invalid authentication packet length");
            return false;
        }
        if (_input.Type == FrontendCode.Password) return true;
        if (_input.Type != FrontendCode.Terminate)
            await FatalAsync(PgSqlState.ProtocolViolation, $"expected password response, got message type {_input.Type}");
        return false;
    }

    private async Task<bool> AuthFailedAsync(string user)
    {
        Log.AuthFailed(_server.Logger, Remote, user);
        PgWireMetrics.AuthFailures.Add(1);
        await FatalAsync(PgSqlState.InvalidPassword, $"password authentication failed for user \"{user}\"");
        return false;
    }

    private async Task<bool> AuthProtocolErrorAsync(string message)
    {
        await FatalAsync(PgSqlState.ProtocolViolation, message);
        return false;
    }

    /// <summary>Sends a FATAL error (the caller then closes the connection).</summary>
    internal async Task FatalAsync(string code, string message)
    {
        if (code == PgSqlState.ProtocolViolation)
        {
            Log.ProtocolViolation(_server.Logger, Remote, message);
            PgWireMetrics.ProtocolViolations.Add(1);
        }
        _output.Abandon();
        _output.WriteError(new PgError(code, message) { Severity = PgSeverity.Fatal });
        await TryFlushAsync();
    }

    internal Task FlushQuietlyAsync() => TryFlushAsync();

    private static async Task CompleteQuietlyAsync(PipeWriter writer)
    {
        try
        {
            await writer.CompleteAsync();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }

    private async Task TryFlushAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _output.FlushAsync(timeout.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
        {
        }
    }
}
