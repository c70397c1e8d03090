namespace Borealis.PgWire.Backend;

/// <summary>PostgreSQL SQLSTATE codes used by the protocol layer (Appendix A of the PostgreSQL manual).</summary>
public static class PgSqlState
{
    public const string SuccessfulCompletion = "00000";
    public const string Warning = "01000";
    public const string ConnectionException = "08000";
    public const string ProtocolViolation = "08P01";
    public const string FeatureNotSupported = "0A000";
    public const string InvalidAuthorizationSpecification = "28000";
    public const string InvalidPassword = "28P01";
    public const string InvalidCatalogName = "3D000";
    public const string SyntaxError = "42601";
    public const string UndefinedTable = "42P01";
    public const string UndefinedFunction = "42883";
    public const string DuplicatePreparedStatement = "42P05";
    public const string DuplicateCursor = "42P03";
    public const string InvalidSqlStatementName = "26000";
    public const string InvalidCursorName = "34000";
    public const string InvalidTextRepresentation = "22P02";
    public const string InvalidBinaryRepresentation = "22P03";
    public const string NumericValueOutOfRange = "22003";
    public const string DivisionByZero = "22012";
    public const string InFailedSqlTransaction = "25P02";
    public const string ActiveSqlTransaction = "25001";
    public const string SerializationFailure = "40001";
    public const string DeadlockDetected = "40P01";
    public const string TooManyConnections = "53300";
    public const string OutOfMemory = "53200";
    public const string QueryCanceled = "57014";
    public const string AdminShutdown = "57P01";
    public const string InternalError = "XX000";
    public const string QueryCanceledMessage = "canceling statement due to user request";
}

/// <summary>Severity of an ErrorResponse or NoticeResponse (the non-localized 'V' field).</summary>
public enum PgSeverity : byte
{
    Error,
    Fatal,
    Panic,
    Warning,
    Notice,
    Debug,
    Info,
    Log,
}

/// <summary>The fields of an ErrorResponse or NoticeResponse. Only Code and Message are required.</summary>
public sealed record PgError(string Code, string Message)
{
    public PgSeverity Severity { get; init; } = PgSeverity.Error;
    public string? Detail { get; init; }
    public string? Hint { get; init; }
    /// <summary>1-based character position in the query string, or 0 for none.</summary>
    public int Position { get; init; }
    public string? Where { get; init; }
    public string? Schema { get; init; }
    public string? Table { get; init; }
    public string? Column { get; init; }
    public string? Constraint { get; init; }
    public string? Routine { get; init; }

    public static string SeverityText(PgSeverity s) => s switch
    {
        PgSeverity.Error => "ERROR",
        PgSeverity.Fatal => "FATAL",
        PgSeverity.Panic => "PANIC",
        PgSeverity.Warning => "WARNING",
        PgSeverity.Notice => "NOTICE",
        PgSeverity.Debug => "DEBUG",
        PgSeverity.Info => "INFO",
        _ => "LOG",
    };
}

/// <summary>
/// Thrown by a session handler to fail the current statement with a client-visible error. The
/// server turns it into an ErrorResponse; any other exception becomes XX000 internal_error.
/// A FATAL severity also closes the connection after the error is sent.
/// </summary>
public sealed class PgErrorException : Exception
{
    public PgErrorException(PgError error) : base(error.Message) => Error = error;
    public PgErrorException(string code, string message) : this(new PgError(code, message)) { }

    public PgError Error { get; }
}
