namespace Borealis.Sql.Ast;

/// <summary>
/// Base of the immutable syntax tree. <see cref="Position"/> is the 0-based UTF-16 offset in the
/// query string of the token that starts the node (PostgreSQL's "location"), for error reports;
/// -1 when synthesised. Lists are read-only arrays; record equality compares them by reference,
/// so compare trees structurally (tests do) rather than with ==.
/// ToString prints SQL that parses back to an equal tree (see <see cref="SqlPrinter"/>).
/// </summary>
public abstract record Node
{
    public int Position { get; init; } = -1;

    public sealed override string ToString() => SqlPrinter.Print(this);
}

/// <summary>Base of all statements.</summary>
public abstract record Statement : Node;

/// <summary>One statement of a query string with its source span (PostgreSQL's RawStmt):
/// Location/Length delimit the statement text without the terminating semicolon.</summary>
public sealed record RawStatement(Statement Statement, int Location, int Length);

/// <summary>A generic "name [= value]" option (PostgreSQL's DefElem): storage parameters,
/// sequence, COPY, EXPLAIN, VACUUM, role and transaction options. Names are lower case.
/// Arg is a literal, a <see cref="TypeName"/>, a <see cref="NameList"/> or null.</summary>
public sealed record DefElem(string Name, Node? Arg) : Node;

/// <summary>A possibly qualified name used as an option value (e.g. OWNED BY t.c).</summary>
public sealed record NameList(IReadOnlyList<string> Names) : Node;

/// <summary>A table, view, sequence or index name with up to three parts.</summary>
public sealed record QualifiedName(string? Catalog, string? Schema, string Name) : Node;

public enum DropBehavior : byte
{
    Default,
    Restrict,
    Cascade,
}

public enum ObjectKind : byte
{
    Table,
    Index,
    Sequence,
    View,
    MaterializedView,
    Schema,
    Database,
    Role,
    Column,
    Function,
    Type,
    Extension,
    Constraint,
}
