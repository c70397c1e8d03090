namespace Borealis.Sql.Ast;

public enum TransactionKind : byte
{
    Begin,
    Start,
    Commit,
    Rollback,
    Savepoint,
    Release,
    RollbackTo,
    PrepareTransaction,
    CommitPrepared,
    RollbackPrepared,
}

/// <summary>Transaction control. Options (BEGIN/START) use PostgreSQL's names:
/// transaction_isolation ('read committed' …), transaction_read_only, transaction_deferrable.</summary>
public sealed record TransactionStatement(TransactionKind Kind, IReadOnlyList<DefElem> Options, string? Name = null, bool Chain = false) : Statement;

public enum SetKind : byte
{
    /// <summary>SET name TO values.</summary>
    Value,
    /// <summary>SET name TO DEFAULT.</summary>
    Default,
    /// <summary>SET name FROM CURRENT.</summary>
    FromCurrent,
    /// <summary>RESET name.</summary>
    Reset,
    /// <summary>RESET ALL.</summary>
    ResetAll,
    /// <summary>SET TRANSACTION modes (Options).</summary>
    Transaction,
    /// <summary>SET SESSION CHARACTERISTICS AS TRANSACTION modes (Options).</summary>
    SessionCharacteristics,
}

/// <summary>SET [SESSION|LOCAL] / RESET. Name is the lower-case variable ("timezone" for TIME ZONE,
/// "client_encoding" for NAMES, "search_path" for SCHEMA). Values are literals: words and strings
/// are StringLiterals, numbers are numeric literals.</summary>
public sealed record SetStatement(SetKind Kind, string? Name, IReadOnlyList<Expr> Values, bool Local, IReadOnlyList<DefElem> Options) : Statement;

/// <summary>SHOW name | SHOW ALL (Name "all").</summary>
public sealed record ShowStatement(string Name) : Statement;

public enum DiscardTarget : byte
{
    All,
    Plans,
    Sequences,
    Temp,
}

public sealed record DiscardStatement(DiscardTarget Target) : Statement;

public sealed record VacuumRelation(QualifiedName Name, IReadOnlyList<string> Columns) : Node;

/// <summary>VACUUM (IsVacuum) or ANALYZE with options (full, freeze, verbose, analyze, …).</summary>
public sealed record VacuumStatement(bool IsVacuum, IReadOnlyList<DefElem> Options, IReadOnlyList<VacuumRelation> Relations) : Statement;

/// <summary>COPY table [(cols)] | (query) FROM|TO STDIN|STDOUT|'file' [WITH] options [WHERE].
/// FileName null means STDIN/STDOUT. Options use lower-case names: format, delimiter, null,
/// header, quote, escape, force_quote, force_not_null, encoding, freeze.</summary>
public sealed record CopyStatement(
    QualifiedName? Table,
    IReadOnlyList<string> Columns,
    Statement? Query,
    bool IsFrom,
    bool IsProgram,
    string? FileName,
    IReadOnlyList<DefElem> Options,
    Expr? Where) : Statement;

public sealed record ExplainStatement(Statement Statement, IReadOnlyList<DefElem> Options) : Statement;

public sealed record PrepareStatement(string Name, IReadOnlyList<TypeName> ParameterTypes, Statement Statement) : Statement;

public sealed record ExecuteStatement(string Name, IReadOnlyList<Expr> Args) : Statement;

/// <summary>DEALLOCATE [PREPARE] name | ALL (Name null).</summary>
public sealed record DeallocateStatement(string? Name) : Statement;

/// <summary>TRUNCATE [TABLE] names [RESTART|CONTINUE IDENTITY] [CASCADE|RESTRICT].</summary>
public sealed record TruncateStatement(IReadOnlyList<TableName> Tables, bool RestartIdentity, DropBehavior Behavior) : Statement;

/// <summary>LOCK [TABLE] names [IN mode MODE] [NOWAIT]. Mode is upper case, e.g. "ACCESS EXCLUSIVE".</summary>
public sealed record LockStatement(IReadOnlyList<TableName> Tables, string Mode, bool NoWait) : Statement;

/// <summary>DO [LANGUAGE l] 'code': the body is kept opaque.</summary>
public sealed record DoStatement(string Code, string? Language) : Statement;

/// <summary>LISTEN ch / NOTIFY ch [, payload] / UNLISTEN ch|* (Channel null).</summary>
public sealed record NotifyStatement(string Verb, string? Channel, string? Payload) : Statement;

/// <summary>CHECKPOINT, and CLOSE name|ALL (Name null).</summary>
public sealed record SimpleCommandStatement(string Command, string? Name) : Statement;

/// <summary>DECLARE name [BINARY] [ASENSITIVE|INSENSITIVE] [[NO] SCROLL] CURSOR [WITH|WITHOUT HOLD] FOR query.
/// Scroll is null when neither SCROLL nor NO SCROLL is given.</summary>
public sealed record DeclareCursorStatement(string Name, bool Binary, bool Insensitive, bool? Scroll, bool Hold, SelectStatement Query) : Statement;

public enum FetchDirection : byte
{
    Forward,
    Backward,
    Absolute,
    Relative,
}

/// <summary>FETCH or MOVE (Move) in PostgreSQL's normal form: NEXT is FORWARD 1, PRIOR is
/// BACKWARD 1, FIRST is ABSOLUTE 1, LAST is ABSOLUTE -1; Count is <see cref="All"/> for ALL.</summary>
public sealed record FetchStatement(bool Move, FetchDirection Direction, long Count, string Cursor) : Statement
{
    public const long All = long.MaxValue;
}
