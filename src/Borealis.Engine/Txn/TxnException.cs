namespace Borealis.Engine.Txn;

/// <summary>PostgreSQL SQLSTATE codes the transaction layer raises.</summary>
public static class SqlStates
{
    /// <summary>serialization_failure: the client should retry the transaction.</summary>
    public const string SerializationFailure = "40001";
    /// <summary>deadlock_detected: this transaction closed a cycle of lock waits.</summary>
    public const string DeadlockDetected = "40P01";
    /// <summary>lock_not_available: lock_timeout expired (or NOWAIT).</summary>
    public const string LockNotAvailable = "55P03";
    /// <summary>in_failed_sql_transaction.</summary>
    public const string InFailedTransaction = "25P02";
    /// <summary>invalid_transaction_state (e.g. work on a finished transaction).</summary>
    public const string InvalidTransactionState = "25000";
    /// <summary>savepoint_exception / invalid savepoint specification.</summary>
    public const string InvalidSavepoint = "3B001";
    /// <summary>program_limit_exceeded.</summary>
    public const string ProgramLimitExceeded = "54000";
    /// <summary>query_canceled.</summary>
    public const string QueryCanceled = "57014";
}

/// <summary>A client-visible transaction error carrying its PostgreSQL SQLSTATE.</summary>
public sealed class TxnException(string sqlState, string message) : Exception(message)
{
    public string SqlState { get; } = sqlState;

    public bool IsRetryable => SqlState is SqlStates.SerializationFailure or SqlStates.DeadlockDetected;
}
