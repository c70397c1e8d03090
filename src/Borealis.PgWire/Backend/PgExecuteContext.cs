using Borealis.PgWire.Protocol;

namespace Borealis.PgWire.Backend;

/// <summary>What a COPY FROM STDIN reader sees for each message it receives.</summary>
internal enum CopyInStatus
{
    Data,
    Done,
}

/// <summary>The session-side operations a handler reaches through <see cref="PgExecuteContext"/>.</summary>
internal interface IPgSessionChannel
{
    PgOutput Output { get; }
    ValueTask FlushAsync(CancellationToken ct);
    /// <summary>Reads the next COPY message; throws PgErrorException on CopyFail or an unexpected message.</summary>
    ValueTask<CopyInStatus> ReadCopyInAsync(CancellationToken ct);
    ReadOnlyMemory<byte> CurrentMessage { get; }
}

/// <summary>
/// Per-session services for a running statement: the row writer, notices, ParameterStatus reports
/// and the COPY sub-protocols. One instance per session, reused for every execution; valid only
/// during <see cref="IPgPortal.ExecuteAsync"/>.
/// </summary>
public sealed class PgExecuteContext
{
    private readonly IPgSessionChannel _channel;
    private CopyState _copy;

    private enum CopyState { None, In, InDone, Out }

    internal PgExecuteContext(IPgSessionChannel channel, PgSessionInfo session)
    {
        _channel = channel;
        Session = session;
        Rows = new PgRowWriter(channel.Output);
    }

    public PgSessionInfo Session { get; }
    public PgRowWriter Rows { get; }

    /// <summary>Sends a NoticeResponse (severity NOTICE unless set otherwise).</summary>
    public void SendNotice(PgError notice) =>
        _channel.Output.WriteError(notice.Severity is PgSeverity.Error or PgSeverity.Fatal or PgSeverity.Panic ? notice with { Severity = PgSeverity.Notice } : notice, notice: true);

    /// <summary>Reports a changed run-time parameter to the client (ParameterStatus), e.g. after SET application_name.</summary>
    public void ReportParameter(string name, string value) => _channel.Output.WriteParameterStatus(name, value);

    /// <summary>
    /// Starts COPY FROM STDIN: sends CopyInResponse and flushes. Then call
    /// <see cref="ReadCopyDataAsync"/> until it returns false (CopyDone). A client CopyFail throws
    /// PgErrorException 57014.
    /// </summary>
    public ValueTask BeginCopyInAsync(PgFormat format, int columns, CancellationToken ct)
    {
        if (_copy != CopyState.None) throw new InvalidOperationException("COPY already in progress");
        _copy = CopyState.In;
        _channel.Output.WriteCopyResponse(BackendCode.CopyInResponse, format, columns);
        return _channel.FlushAsync(ct);
    }

    /// <summary>The payload of the last CopyData read; valid until the next read.</summary>
    public ReadOnlyMemory<byte> CopyData => _copy == CopyState.In ? _channel.CurrentMessage : default;

    /// <summary>Reads the next CopyData (true, see <see cref="CopyData"/>) or CopyDone (false).</summary>
    public async ValueTask<bool> ReadCopyDataAsync(CancellationToken ct)
    {
        if (_copy == CopyState.InDone) return false;
        if (_copy != CopyState.In) throw new InvalidOperationException("not in COPY FROM STDIN");
        try
        {
            if (await _channel.ReadCopyInAsync(ct) == CopyInStatus.Data) return true;
            _copy = CopyState.InDone;
            return false;
        }
        catch
        {
            _copy = CopyState.InDone;
            throw;
        }
    }

    /// <summary>Starts COPY TO STDOUT: sends CopyOutResponse. Then <see cref="WriteCopyData"/> per chunk/row and <see cref="EndCopyOut"/>.</summary>
    public void BeginCopyOut(PgFormat format, int columns)
    {
        if (_copy != CopyState.None) throw new InvalidOperationException("COPY already in progress");
        _copy = CopyState.Out;
        _channel.Output.WriteCopyResponse(BackendCode.CopyOutResponse, format, columns);
    }

    public void WriteCopyData(ReadOnlySpan<byte> data)
    {
        if (_copy != CopyState.Out) throw new InvalidOperationException("not in COPY TO STDOUT");
        var o = _channel.Output;
        o.Begin(BackendCode.CopyData);
        o.WriteBytes(data);
        o.End();
    }

    public void EndCopyOut()
    {
        if (_copy != CopyState.Out) throw new InvalidOperationException("not in COPY TO STDOUT");
        _channel.Output.WriteEmpty(BackendCode.CopyDone);
        _copy = CopyState.None;
    }

    /// <summary>Sends buffered output once enough has accumulated (use between COPY chunks or rows).</summary>
    public ValueTask FlushIfFullAsync(CancellationToken ct = default) => Rows.FlushIfFullAsync(ct);

    /// <summary>Whether the statement left a COPY IN unfinished (the session must then discard the client's remaining COPY messages).</summary>
    internal bool CopyInUnfinished => _copy == CopyState.In;
    internal bool CopyOutUnfinished => _copy == CopyState.Out;

    internal void Reset() => _copy = CopyState.None;
}
