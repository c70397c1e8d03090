namespace Borealis.Sql.Ast;

/// <summary>INSERT INTO t [AS a] [(cols)] {VALUES …|query|DEFAULT VALUES} [ON CONFLICT …] [RETURNING …].
/// Source is null for DEFAULT VALUES.</summary>
public sealed record InsertStatement(
    WithClause? With,
    QualifiedName Table,
    string? Alias,
    IReadOnlyList<string> Columns,
    SelectStatement? Source,
    OnConflictClause? OnConflict,
    IReadOnlyList<ResultTarget> Returning,
    string? Overriding = null) : Statement;

/// <summary>ON CONFLICT [(elems) [WHERE …] | ON CONSTRAINT name] DO NOTHING | DO UPDATE SET … [WHERE …].</summary>
public sealed record OnConflictClause(
    IReadOnlyList<IndexElem> Target,
    Expr? TargetWhere,
    string? Constraint,
    bool DoUpdate,
    IReadOnlyList<SetClause> Set,
    Expr? Where) : Node;

/// <summary>col = value, or (a, b) = row/subquery when Multi. Column names may carry
/// field/subscript paths in the column's ColumnRef-less form (only plain names are kept).</summary>
public sealed record SetClause(IReadOnlyList<string> Columns, Expr Value, bool Multi) : Node;

public sealed record UpdateStatement(
    WithClause? With,
    QualifiedName Table,
    bool Only,
    string? Alias,
    IReadOnlyList<SetClause> Set,
    IReadOnlyList<TableRef> From,
    Expr? Where,
    IReadOnlyList<ResultTarget> Returning) : Statement;

public sealed record DeleteStatement(
    WithClause? With,
    QualifiedName Table,
    bool Only,
    string? Alias,
    IReadOnlyList<TableRef> Using,
    Expr? Where,
    IReadOnlyList<ResultTarget> Returning) : Statement;
