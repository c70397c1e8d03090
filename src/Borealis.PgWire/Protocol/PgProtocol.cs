namespace Borealis.PgWire.Protocol;

/// <summary>
/// PostgreSQL frontend/backend protocol 3.0 wire constants.
///
/// Every message after startup is framed as
/// <code>
///   +------+----------------+---------------------------+
///   | type | length (int32) | body (length - 4 bytes)   |
///   +------+----------------+---------------------------+
///    1 byte  big-endian, counts itself but not the type byte
/// </code>
/// The first message of a connection has no type byte: <c>length (int32) | code (int32) | body</c>,
/// where the code is a protocol version (StartupMessage) or one of the special request codes.
/// All integers are big-endian; strings are NUL-terminated UTF-8 (server_encoding is UTF8).
/// </summary>
public static class PgProtocol
{
    /// <summary>Protocol 3.0 as sent in StartupMessage: major 3 in the high 16 bits, minor 0.</summary>
    public const int Version30 = 3 << 16;
    public const int SslRequestCode = (1234 << 16) | 5679;
    public const int CancelRequestCode = (1234 << 16) | 5678;
    public const int GssEncRequestCode = (1234 << 16) | 5680;

    /// <summary>Size of the type byte plus the length word.</summary>
    public const int HeaderSize = 5;
    /// <summary>The length word counts itself, so the smallest valid length is 4.</summary>
    public const int MinLength = 4;
    /// <summary>PostgreSQL's MAX_STARTUP_PACKET_LENGTH: startup/SSL/cancel packets are at most this long.</summary>
    public const int MaxStartupPacketLength = 10000;
    /// <summary>PostgreSQL's PQ_SMALL_MESSAGE_LIMIT (length word) for message types that never carry user data.</summary>
    public const int SmallMessageLimit = 10000;
    /// <summary>PostgreSQL's PQ_LARGE_MESSAGE_LIMIT (MaxAllocSize - 1, just under 1 GB): no length word may exceed it.</summary>
    public const int LargeMessageLimit = 0x3FFF_FFFE;
    /// <summary>Maximum number of parameters / columns a message can carry (int16 count).</summary>
    public const int MaxFieldCount = short.MaxValue;

    /// <summary>Whether a frontend message type is one PostgreSQL bounds by <see cref="SmallMessageLimit"/>.</summary>
    public static bool IsSmallMessage(byte type) => type is
        FrontendCode.Sync or FrontendCode.Flush or FrontendCode.Terminate or FrontendCode.Describe or
        FrontendCode.Execute or FrontendCode.Close or FrontendCode.CopyDone or FrontendCode.CopyFail;
}

/// <summary>Type bytes of frontend (client → server) messages.</summary>
public static class FrontendCode
{
    public const byte Bind = (byte)'B';
    public const byte Close = (byte)'C';
    public const byte CopyData = (byte)'d';
    public const byte CopyDone = (byte)'c';
    public const byte CopyFail = (byte)'f';
    public const byte Describe = (byte)'D';
    public const byte Execute = (byte)'E';
    public const byte Flush = (byte)'H';
    public const byte FunctionCall = (byte)'F';
    public const byte Parse = (byte)'P';
    /// <summary>PasswordMessage, SASLInitialResponse and SASLResponse all use 'p'.</summary>
    public const byte Password = (byte)'p';
    public const byte Query = (byte)'Q';
    public const byte Sync = (byte)'S';
    public const byte Terminate = (byte)'X';
}

/// <summary>Type bytes of backend (server → client) messages.</summary>
public static class BackendCode
{
    public const byte Authentication = (byte)'R';
    public const byte BackendKeyData = (byte)'K';
    public const byte BindComplete = (byte)'2';
    public const byte CloseComplete = (byte)'3';
    public const byte CommandComplete = (byte)'C';
    public const byte CopyData = (byte)'d';
    public const byte CopyDone = (byte)'c';
    public const byte CopyInResponse = (byte)'G';
    public const byte CopyOutResponse = (byte)'H';
    public const byte DataRow = (byte)'D';
    public const byte EmptyQueryResponse = (byte)'I';
    public const byte ErrorResponse = (byte)'E';
    public const byte NegotiateProtocolVersion = (byte)'v';
    public const byte NoData = (byte)'n';
    public const byte NoticeResponse = (byte)'N';
    public const byte ParameterDescription = (byte)'t';
    public const byte ParameterStatus = (byte)'S';
    public const byte ParseComplete = (byte)'1';
    public const byte PortalSuspended = (byte)'s';
    public const byte ReadyForQuery = (byte)'Z';
    public const byte RowDescription = (byte)'T';
}

/// <summary>Int32 sub-codes of the Authentication ('R') message.</summary>
public enum AuthenticationCode
{
    Ok = 0,
    CleartextPassword = 3,
    Md5Password = 5,
    Sasl = 10,
    SaslContinue = 11,
    SaslFinal = 12,
}

/// <summary>ReadyForQuery transaction status byte.</summary>
public enum PgTransactionStatus : byte
{
    /// <summary>Not in a transaction block.</summary>
    Idle = (byte)'I',
    /// <summary>In a transaction block.</summary>
    InTransaction = (byte)'T',
    /// <summary>In a failed transaction block (statements are rejected until the block ends).</summary>
    Failed = (byte)'E',
}

/// <summary>Parameter / result format code.</summary>
public enum PgFormat : short
{
    Text = 0,
    Binary = 1,
}

/// <summary>Field type bytes of ErrorResponse / NoticeResponse.</summary>
public static class ErrorField
{
    public const byte Severity = (byte)'S';
    public const byte SeverityNonLocalized = (byte)'V';
    public const byte Code = (byte)'C';
    public const byte Message = (byte)'M';
    public const byte Detail = (byte)'D';
    public const byte Hint = (byte)'H';
    public const byte Position = (byte)'P';
    public const byte Where = (byte)'W';
    public const byte Schema = (byte)'s';
    public const byte Table = (byte)'t';
    public const byte Column = (byte)'c';
    public const byte Constraint = (byte)'n';
    public const byte Routine = (byte)'R';
}
