namespace Borealis.Sql.Ast;

/// <summary>
/// A complete query: [WITH] body [ORDER BY] [LIMIT/OFFSET/FETCH] [FOR UPDATE…]. Limit null means
/// no limit (LIMIT ALL). A parenthesised query with none of the outer clauses is unwrapped to its body.
/// </summary>
public sealed record SelectStatement(
    WithClause? With,
    QueryExpr Body,
    IReadOnlyList<SortItem> OrderBy,
    Expr? Limit,
    Expr? Offset,
    bool WithTies,
    IReadOnlyList<LockingClause> Locking) : Statement;

/// <summary>Base of query bodies: a SELECT core, VALUES, a set operation, or a nested query.</summary>
public abstract record QueryExpr : Node;

/// <summary>SELECT [DISTINCT [ON (…)]] targets [FROM] [WHERE] [GROUP BY] [HAVING] [WINDOW].
/// Distinct is true for DISTINCT; DistinctOn is non-empty for DISTINCT ON.</summary>
public sealed record SelectCore(
    bool Distinct,
    IReadOnlyList<Expr> DistinctOn,
    IReadOnlyList<ResultTarget> Targets,
    IReadOnlyList<TableRef> From,
    Expr? Where,
    IReadOnlyList<Expr> GroupBy,
    bool GroupByDistinct,
    Expr? Having,
    IReadOnlyList<WindowDefinition> Windows) : QueryExpr;

/// <summary>VALUES (…), (…). Rows may contain <see cref="DefaultExpr"/>.</summary>
public sealed record ValuesCore(IReadOnlyList<IReadOnlyList<Expr>> Rows) : QueryExpr;

public enum SetOperator : byte
{
    Union,
    Intersect,
    Except,
}

public sealed record SetOperation(SetOperator Op, bool All, QueryExpr Left, QueryExpr Right) : QueryExpr;

/// <summary>A parenthesised query that carries its own WITH/ORDER BY/LIMIT/locking.</summary>
public sealed record NestedQuery(SelectStatement Query) : QueryExpr;

/// <summary>An output column: value and optional alias; "*" and "t.*" are star ColumnRefs.</summary>
public sealed record ResultTarget(Expr Value, string? Alias) : Node;

public enum SortDirection : byte
{
    Default,
    Asc,
    Desc,
}

public enum NullsOrder : byte
{
    Default,
    First,
    Last,
}

public sealed record SortItem(Expr Expr, SortDirection Direction, NullsOrder Nulls) : Node;

public sealed record WindowDefinition(string Name, WindowSpec Spec) : Node;

public enum LockStrength : byte
{
    Update,
    NoKeyUpdate,
    Share,
    KeyShare,
}

public enum LockWaitPolicy : byte
{
    Block,
    NoWait,
    SkipLocked,
}

/// <summary>FOR UPDATE|NO KEY UPDATE|SHARE|KEY SHARE [OF tables] [NOWAIT|SKIP LOCKED].</summary>
public sealed record LockingClause(LockStrength Strength, IReadOnlyList<QualifiedName> Of, LockWaitPolicy Wait) : Node;

public sealed record WithClause(bool Recursive, IReadOnlyList<CommonTableExpr> Ctes) : Node;

public enum CteMaterialize : byte
{
    Default,
    Always,
    Never,
}

/// <summary>name [(cols)] AS [[NOT] MATERIALIZED] (query); the query may be a data-modifying
/// INSERT/UPDATE/DELETE.</summary>
public sealed record CommonTableExpr(string Name, IReadOnlyList<string> Columns, CteMaterialize Materialized, Statement Query) : Node;

/// <summary>[AS] name [(col, …)].</summary>
public sealed record Alias(string Name, IReadOnlyList<string> Columns) : Node;

/// <summary>Base of FROM-clause items.</summary>
public abstract record TableRef : Node;

/// <summary>A table name; Only for ONLY t / t* is not kept (inheritance is the default).</summary>
public sealed record TableName(QualifiedName Name, bool Only, Alias? Alias) : TableRef;

public sealed record SubqueryRef(bool Lateral, SelectStatement Query, Alias? Alias) : TableRef;

/// <summary>A set-returning function in FROM, e.g. generate_series(1, 10) AS g(x).</summary>
public sealed record FunctionRef(bool Lateral, Expr Function, bool WithOrdinality, Alias? Alias) : TableRef;

public enum JoinKind : byte
{
    Inner,
    Left,
    Right,
    Full,
    Cross,
}

/// <summary>A join. Exactly one of Natural, On, Using applies except for Cross (none).</summary>
public sealed record JoinRef(
    JoinKind Kind,
    TableRef Left,
    TableRef Right,
    bool Natural,
    Expr? On,
    IReadOnlyList<string>? Using,
    Alias? Alias) : TableRef;
