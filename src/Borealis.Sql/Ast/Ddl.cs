namespace Borealis.Sql.Ast;

public enum Persistence : byte
{
    Permanent,
    Temporary,
    Unlogged,
}

/// <summary>CREATE [TEMP|UNLOGGED] TABLE [IF NOT EXISTS] name (columns and constraints) [WITH (…)].</summary>
public sealed record CreateTableStatement(
    QualifiedName Name,
    Persistence Persistence,
    bool IfNotExists,
    IReadOnlyList<ColumnDef> Columns,
    IReadOnlyList<Constraint> Constraints,
    IReadOnlyList<DefElem> Options,
    string? OnCommit = null) : Statement;

/// <summary>CREATE TABLE name [(cols)] AS query [WITH [NO] DATA].</summary>
public sealed record CreateTableAsStatement(
    QualifiedName Name,
    Persistence Persistence,
    bool IfNotExists,
    IReadOnlyList<string> Columns,
    SelectStatement Query,
    bool WithData) : Statement;

public sealed record ColumnDef(string Name, TypeName Type, IReadOnlyList<Constraint> Constraints, IReadOnlyList<string>? Collation = null) : Node;

public enum ConstraintKind : byte
{
    NotNull,
    Null,
    Default,
    Check,
    PrimaryKey,
    Unique,
    ForeignKey,
    /// <summary>GENERATED ALWAYS|BY DEFAULT AS IDENTITY [(sequence options)].</summary>
    Identity,
    /// <summary>GENERATED ALWAYS AS (expr) STORED.</summary>
    Generated,
}

public enum ForeignKeyAction : byte
{
    NoAction,
    Restrict,
    Cascade,
    SetNull,
    SetDefault,
}

/// <summary>
/// A column or table constraint. Expr is the DEFAULT/CHECK/GENERATED expression; Columns the
/// PRIMARY KEY/UNIQUE/FOREIGN KEY columns (empty for a column constraint); Ref* describe
/// REFERENCES; IdentityAlways distinguishes GENERATED ALWAYS from BY DEFAULT; Options holds
/// identity sequence options or index WITH (…) parameters.
/// </summary>
public sealed record Constraint(
    ConstraintKind Kind,
    string? Name = null,
    Expr? Expr = null,
    IReadOnlyList<string>? Columns = null,
    QualifiedName? RefTable = null,
    IReadOnlyList<string>? RefColumns = null,
    ForeignKeyAction OnDelete = ForeignKeyAction.NoAction,
    ForeignKeyAction OnUpdate = ForeignKeyAction.NoAction,
    string? Match = null,
    bool Deferrable = false,
    bool InitiallyDeferred = false,
    bool NoInherit = false,
    bool NotValid = false,
    bool IdentityAlways = false,
    IReadOnlyList<string>? Include = null,
    IReadOnlyList<DefElem>? Options = null,
    bool NullsNotDistinct = false) : Node;

/// <summary>DROP kind [IF EXISTS] name, … [CASCADE|RESTRICT] (also DROP INDEX CONCURRENTLY).</summary>
public sealed record DropStatement(
    ObjectKind Kind,
    IReadOnlyList<QualifiedName> Names,
    bool IfExists,
    DropBehavior Behavior,
    bool Concurrently = false) : Statement;

/// <summary>An index column: a column name or an expression, with collation, opclass and ordering.</summary>
public sealed record IndexElem(
    string? Column,
    Expr? Expr,
    IReadOnlyList<string>? Collation,
    IReadOnlyList<string>? OpClass,
    SortDirection Direction,
    NullsOrder Nulls) : Node;

public sealed record CreateIndexStatement(
    string? Name,
    QualifiedName Table,
    bool Only,
    bool Unique,
    bool Concurrently,
    bool IfNotExists,
    string? Method,
    IReadOnlyList<IndexElem> Elements,
    IReadOnlyList<string> Include,
    IReadOnlyList<DefElem> Options,
    Expr? Where,
    bool NullsNotDistinct = false) : Statement;

/// <summary>ALTER TABLE [IF EXISTS] [ONLY] name command, ….</summary>
public sealed record AlterTableStatement(QualifiedName Table, bool IfExists, bool Only, IReadOnlyList<AlterTableCommand> Commands) : Statement;

public abstract record AlterTableCommand : Node;

public sealed record AddColumnCommand(ColumnDef Column, bool IfNotExists) : AlterTableCommand;

public sealed record DropColumnCommand(string Column, bool IfExists, DropBehavior Behavior) : AlterTableCommand;

public sealed record AddConstraintCommand(Constraint Constraint) : AlterTableCommand;

public sealed record DropConstraintCommand(string Name, bool IfExists, DropBehavior Behavior) : AlterTableCommand;

/// <summary>ALTER COLUMN c SET DEFAULT e (Default set) / DROP DEFAULT (Default null).</summary>
public sealed record AlterColumnDefaultCommand(string Column, Expr? Default) : AlterTableCommand;

/// <summary>ALTER COLUMN c SET NOT NULL (NotNull true) / DROP NOT NULL.</summary>
public sealed record AlterColumnNotNullCommand(string Column, bool NotNull) : AlterTableCommand;

/// <summary>ALTER COLUMN c [SET DATA] TYPE t [COLLATE c] [USING e].</summary>
public sealed record AlterColumnTypeCommand(string Column, TypeName Type, IReadOnlyList<string>? Collation, Expr? Using) : AlterTableCommand;

/// <summary>OWNER TO role.</summary>
public sealed record OwnerToCommand(string Owner) : AlterTableCommand;

/// <summary>ALTER TABLE/INDEX/SEQUENCE/VIEW … RENAME [COLUMN|CONSTRAINT old] TO new (PostgreSQL's RenameStmt).
/// SubName is the column or constraint renamed; null when the object itself is.</summary>
public sealed record RenameStatement(ObjectKind Kind, QualifiedName Target, bool IfExists, ObjectKind? SubKind, string? SubName, string NewName) : Statement;

/// <summary>CREATE [TEMP] SEQUENCE [IF NOT EXISTS] name [options]. Options use PostgreSQL's
/// names: as, increment, minvalue, maxvalue, start, restart, cache, cycle, owned_by.</summary>
public sealed record CreateSequenceStatement(QualifiedName Name, Persistence Persistence, bool IfNotExists, IReadOnlyList<DefElem> Options) : Statement;

public sealed record AlterSequenceStatement(QualifiedName Name, bool IfExists, IReadOnlyList<DefElem> Options) : Statement;

public sealed record CreateViewStatement(
    QualifiedName Name,
    bool OrReplace,
    Persistence Persistence,
    IReadOnlyList<string> Columns,
    SelectStatement Query,
    IReadOnlyList<DefElem> Options,
    string? CheckOption = null,
    bool Materialized = false) : Statement;

public sealed record CreateDatabaseStatement(string Name, IReadOnlyList<DefElem> Options) : Statement;

public sealed record CreateSchemaStatement(string? Name, string? Authorization, bool IfNotExists) : Statement;

public enum RoleKind : byte
{
    Role,
    User,
    Group,
}

/// <summary>CREATE ROLE/USER/GROUP name [WITH] options (login, superuser, password, …).</summary>
public sealed record CreateRoleStatement(RoleKind Kind, string Name, IReadOnlyList<DefElem> Options) : Statement;

public sealed record AlterRoleStatement(string Name, IReadOnlyList<DefElem> Options) : Statement;

/// <summary>COMMENT ON kind name IS 'text' | NULL.</summary>
public sealed record CommentStatement(ObjectKind Kind, IReadOnlyList<string> Name, string? Comment) : Statement;

/// <summary>GRANT/REVOKE privileges ON [kind] objects TO/FROM grantees. Privileges empty = ALL.</summary>
public sealed record GrantStatement(
    bool IsGrant,
    IReadOnlyList<string> Privileges,
    ObjectKind ObjectKind,
    bool AllInSchema,
    IReadOnlyList<QualifiedName> Objects,
    IReadOnlyList<string> Grantees,
    bool GrantOption,
    DropBehavior Behavior) : Statement;

/// <summary>GRANT role, … TO role, … / REVOKE role, … FROM role, ….</summary>
public sealed record GrantRoleStatement(bool IsGrant, IReadOnlyList<string> Roles, IReadOnlyList<string> Grantees, bool AdminOption) : Statement;
