namespace Borealis.Sql.Ast;

/// <summary>Base of value expressions.</summary>
public abstract record Expr : Node;

/// <summary>A column reference of 1..4 parts; Star for "*" or "t.*" (Names then holds the prefix).</summary>
public sealed record ColumnRef(IReadOnlyList<string> Names, bool Star = false) : Expr;

/// <summary>$n.</summary>
public sealed record ParamRef(int Number) : Expr;

public sealed record IntegerLiteral(long Value) : Expr;

/// <summary>A decimal, real, or integer too large for int8, as written (with a leading '-' when negated).</summary>
public sealed record NumericLiteral(string Text) : Expr;

public sealed record StringLiteral(string Value) : Expr;

/// <summary>B'…' (Hex false, Value holds bits) or X'…' (Hex true, Value holds hex digits).</summary>
public sealed record BitStringLiteral(string Value, bool Hex) : Expr;

public sealed record BooleanLiteral(bool Value) : Expr;

public sealed record NullLiteral : Expr;

/// <summary>DEFAULT in an INSERT VALUES row or an UPDATE SET.</summary>
public sealed record DefaultExpr : Expr;

/// <summary>A binary (Left set) or prefix (Left null) operator. Op is the operator text; "!=" is
/// normalised to "&lt;&gt;". Schema is set for OPERATOR(schema.op).</summary>
public sealed record OperatorExpr(string Op, Expr? Left, Expr Right, string? Schema = null) : Expr;

public enum BoolOp : byte
{
    And,
    Or,
    Not,
}

/// <summary>AND/OR with two or more arguments (left-nested chains are flattened), or NOT with one.</summary>
public sealed record BoolExpr(BoolOp Op, IReadOnlyList<Expr> Args) : Expr;

/// <summary>x IS [NOT] NULL, x ISNULL, x NOTNULL.</summary>
public sealed record NullTestExpr(Expr Arg, bool Not) : Expr;

public enum BoolTestKind : byte
{
    True,
    False,
    Unknown,
}

/// <summary>x IS [NOT] TRUE | FALSE | UNKNOWN.</summary>
public sealed record BoolTestExpr(Expr Arg, BoolTestKind Kind, bool Not) : Expr;

/// <summary>x IS [NOT] DISTINCT FROM y.</summary>
public sealed record DistinctFromExpr(Expr Left, Expr Right, bool Not) : Expr;

public sealed record BetweenExpr(Expr Arg, Expr Low, Expr High, bool Not, bool Symmetric) : Expr;

/// <summary>x [NOT] IN (list).</summary>
public sealed record InListExpr(Expr Arg, IReadOnlyList<Expr> List, bool Not) : Expr;

public enum LikeKind : byte
{
    Like,
    ILike,
    SimilarTo,
}

public sealed record LikeExpr(LikeKind Kind, Expr Arg, Expr Pattern, Expr? Escape, bool Not) : Expr;

/// <summary>x op ANY|SOME|ALL (array expression).</summary>
public sealed record AnyAllExpr(string Op, Expr Left, bool All, Expr Right) : Expr;

public enum SubLinkKind : byte
{
    /// <summary>(SELECT …) as a value.</summary>
    Scalar,
    Exists,
    /// <summary>x op ANY (SELECT …); x IN (SELECT …) is Any with op "=".</summary>
    Any,
    All,
    /// <summary>ARRAY(SELECT …).</summary>
    Array,
}

/// <summary>A subquery in an expression. Test and Op are set for Any/All.</summary>
public sealed record SubLink(SubLinkKind Kind, Expr? Test, string? Op, SelectStatement Query) : Expr;

public sealed record CaseWhen(Expr Condition, Expr Result) : Node;

/// <summary>CASE [Arg] WHEN … THEN … [ELSE …] END.</summary>
public sealed record CaseExpr(Expr? Arg, IReadOnlyList<CaseWhen> Whens, Expr? Else) : Expr;

public enum ConditionalKind : byte
{
    Coalesce,
    NullIf,
    Greatest,
    Least,
}

/// <summary>COALESCE, NULLIF, GREATEST, LEAST (special forms, not functions).</summary>
public sealed record ConditionalExpr(ConditionalKind Kind, IReadOnlyList<Expr> Args) : Expr;

/// <summary>x::type, CAST(x AS type), and type 'literal'.</summary>
public sealed record TypeCast(Expr Arg, TypeName Type) : Expr;

public sealed record CollateExpr(Expr Arg, IReadOnlyList<string> Collation) : Expr;

/// <summary>ARRAY[…]; nested bracket lists are nested ArrayExprs.</summary>
public sealed record ArrayExpr(IReadOnlyList<Expr> Elements) : Expr;

/// <summary>ROW(…) (Explicit) or (a, b, …).</summary>
public sealed record RowExpr(IReadOnlyList<Expr> Args, bool Explicit) : Expr;

/// <summary>Base of subscripts and field selections applied to an expression.</summary>
public abstract record Indirection : Node;

/// <summary>[i] (Upper null, Slice false) or [lower:upper] with either bound optional.</summary>
public sealed record Subscript(Expr? Lower, Expr? Upper, bool Slice) : Indirection;

/// <summary>.name, or .* when Name is null.</summary>
public sealed record FieldSelection(string? Name) : Indirection;

/// <summary>(expr)[…].field and similar.</summary>
public sealed record IndirectionExpr(Expr Arg, IReadOnlyList<Indirection> Path) : Expr;

public enum SqlValueKind : byte
{
    CurrentDate,
    CurrentTime,
    CurrentTimestamp,
    LocalTime,
    LocalTimestamp,
    CurrentRole,
    CurrentUser,
    SessionUser,
    User,
    CurrentCatalog,
    CurrentSchema,
}

/// <summary>CURRENT_TIMESTAMP[(p)] and the other niladic SQL functions.</summary>
public sealed record SqlValueFunction(SqlValueKind Kind, int? Precision) : Expr;

/// <summary>name => value (or name := value) in a function's argument list.</summary>
public sealed record NamedArgExpr(string Name, Expr Value) : Expr;

/// <summary>
/// A function call, including aggregates and window functions. Special SQL syntax is rewritten
/// to the function PostgreSQL calls: EXTRACT(f FROM x) → pg_catalog.extract('f', x),
/// POSITION(a IN b) → pg_catalog.position(b, a), SUBSTRING(x FROM a FOR b) →
/// pg_catalog.substring(x, a, b), TRIM → pg_catalog.btrim/ltrim/rtrim, OVERLAY →
/// pg_catalog.overlay, x AT TIME ZONE z → pg_catalog.timezone(z, x).
/// </summary>
public sealed record FuncCall(
    IReadOnlyList<string> Name,
    IReadOnlyList<Expr> Args,
    bool Star = false,
    bool Distinct = false,
    bool Variadic = false,
    IReadOnlyList<SortItem>? OrderBy = null,
    bool WithinGroup = false,
    Expr? Filter = null,
    WindowSpec? Over = null) : Expr;

public enum FrameMode : byte
{
    None,
    Rows,
    Range,
    Groups,
}

public enum FrameBoundKind : byte
{
    UnboundedPreceding,
    Preceding,
    CurrentRow,
    Following,
    UnboundedFollowing,
}

public sealed record FrameBound(FrameBoundKind Kind, Expr? Offset) : Node;

/// <summary>OVER (…) or OVER name (then only RefName is set). Frame bounds are set when Mode is not None.</summary>
public sealed record WindowSpec(
    string? RefName,
    IReadOnlyList<Expr> PartitionBy,
    IReadOnlyList<SortItem> OrderBy,
    FrameMode Mode,
    FrameBound? Start,
    FrameBound? End,
    bool IsReference = false) : Node;

/// <summary>
/// A type name. SQL-standard keyword types are normalised as PostgreSQL does (int → pg_catalog.int4,
/// varchar → pg_catalog.varchar, timestamp with time zone → pg_catalog.timestamptz, …); other
/// names are kept as written. ArrayBounds has one entry per [] (-1 when no bound is given).
/// IntervalFields holds the field restriction of an interval ("day", "hour to minute").
/// </summary>
public sealed record TypeName(
    IReadOnlyList<string> Names,
    IReadOnlyList<Expr> Modifiers,
    IReadOnlyList<int> ArrayBounds,
    string? IntervalFields = null,
    bool Setof = false) : Node;
