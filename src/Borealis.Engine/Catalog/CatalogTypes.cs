using System.Collections.Immutable;

namespace Borealis.Engine.Catalog;

/// <summary>PostgreSQL's fixed OIDs for the built-in objects the catalog holds, and where user OIDs start.</summary>
public static class CatalogOids
{
    public const uint PgCatalogNamespace = 11;
    public const uint PgToastNamespace = 99;
    public const uint PublicNamespace = 2200;
    public const uint PostgresDatabase = 5;
    public const uint SuperuserRole = 10;
    /// <summary>PostgreSQL's FirstNormalObjectId: user objects get OIDs from here.</summary>
    public const uint FirstNormal = 16384;

    // The system tables (PostgreSQL's OIDs for the tables they stand for).
    public const uint PgNamespace = 2615, PgClass = 1259, PgAttribute = 1249, PgIndex = 2610, PgConstraint = 2606,
        PgSequence = 2224, PgDatabase = 1262, PgAuthId = 1260;
}

/// <summary>pg_class.relkind values the catalog uses.</summary>
public enum RelKind : byte
{
    Table = (byte)'r',
    Index = (byte)'i',
    Sequence = (byte)'S',
}

/// <summary>pg_constraint.contype values.</summary>
public enum ConstraintKind : byte
{
    PrimaryKey = (byte)'p',
    Unique = (byte)'u',
    Check = (byte)'c',
    NotNull = (byte)'n',
}

/// <summary>A column as CREATE TABLE / ADD COLUMN defines it.</summary>
public sealed record ColumnDef(string Name, uint TypeOid, int Typmod = -1, bool NotNull = false, string? Default = null);

/// <summary>A table constraint as CREATE TABLE defines it (NotNull constraints become the column's flag).</summary>
public sealed record ConstraintDef(ConstraintKind Kind, string? Name, IReadOnlyList<string> Columns, string? CheckExpression = null);

/// <summary>One key column of an index: its attribute name and order.</summary>
public sealed record IndexColumnDef(string Column, bool Descending = false, bool? NullsFirst = null);

/// <summary>CREATE SEQUENCE options (PostgreSQL's defaults for an ascending bigint sequence).</summary>
public sealed record SequenceOptions
{
    public long Increment { get; init; } = 1;
    public long? MinValue { get; init; }
    public long? MaxValue { get; init; }
    public long? Start { get; init; }
    public long Cache { get; init; } = 1;
    public bool Cycle { get; init; }
}

public sealed record NamespaceInfo(uint Oid, string Name);

/// <summary>One pg_attribute row (attnum from 1; dropped columns keep their attnum and are hidden).</summary>
public sealed record ColumnInfo(short AttNum, string Name, uint TypeOid, int Typmod, bool NotNull, string? Default, bool Dropped)
{
    /// <summary>How values of this column are stored in rows (dropped columns keep their width so old rows still parse).</summary>
    public Rows.ColumnStorage Storage => PgTypes.Find(TypeOid)?.RowStorage ?? Rows.ColumnStorage.VarLen;
}

/// <summary>One index key column: attribute number and order.</summary>
public readonly record struct IndexKeyColumn(short AttNum, bool Descending, bool NullsFirst);

public sealed record IndexInfo(uint Oid, string Name, uint NamespaceOid, uint TableOid, ImmutableArray<IndexKeyColumn> Columns,
    bool Unique, bool Primary, ulong MetaPage);

public sealed record ConstraintInfo(uint Oid, string Name, uint TableOid, ConstraintKind Kind, ImmutableArray<short> Columns,
    uint IndexOid, string? CheckExpression);

/// <summary>A table: its columns in attnum order (index = attnum - 1, dropped ones included), indexes and constraints.</summary>
public sealed record TableInfo(uint Oid, string Name, uint NamespaceOid, ulong HeapMetaPage, ImmutableArray<ColumnInfo> AllColumns,
    ImmutableArray<IndexInfo> Indexes, ImmutableArray<ConstraintInfo> Constraints)
{
    /// <summary>The live columns (not dropped), in attnum order.</summary>
    public IEnumerable<ColumnInfo> Columns => AllColumns.Where(c => !c.Dropped);

    /// <summary>The row layout: one storage per attnum (dropped columns included).</summary>
    public Rows.ColumnStorage[] RowLayout() => AllColumns.Select(c => c.Storage).ToArray();

    public ColumnInfo? FindColumn(string name) => AllColumns.FirstOrDefault(c => !c.Dropped && c.Name == name);

    public ColumnInfo GetColumn(string name) => FindColumn(name)
        ?? throw new CatalogException(CatalogErrors.UndefinedColumn, $"column \"{name}\" of relation \"{Name}\" does not exist");

    public IndexInfo? PrimaryKey => Indexes.FirstOrDefault(i => i.Primary);
}

public sealed record SequenceInfo(uint Oid, string Name, uint NamespaceOid, ulong Page, long Start, long Increment, long MinValue,
    long MaxValue, long Cache, bool Cycle);

public sealed record DatabaseInfo(uint Oid, string Name);

public sealed record RoleInfo(uint Oid, string Name, bool Superuser);

/// <summary>SQLSTATE codes the catalog raises.</summary>
public static class CatalogErrors
{
    public const string DuplicateTable = "42P07";
    public const string UndefinedTable = "42P01";
    public const string UndefinedColumn = "42703";
    public const string DuplicateColumn = "42701";
    public const string DuplicateObject = "42710";
    public const string UndefinedObject = "42704";
    public const string InvalidSchemaName = "3F000";
    public const string WrongObjectType = "42809";
    public const string InvalidTableDefinition = "42P16";
    public const string UndefinedType = "42704";
    public const string ObjectNotInPrerequisiteState = "55000";
    public const string SequenceGeneratorLimitExceeded = "2200H";
    public const string NumericValueOutOfRange = "22003";
    public const string InvalidParameterValue = "22023";
    public const string DependentObjectsStillExist = "2BP01";
    public const string TooManyColumns = "54011";
}

/// <summary>A client-visible catalog error with its PostgreSQL SQLSTATE.</summary>
public sealed class CatalogException(string sqlState, string message) : Exception(message)
{
    public string SqlState { get; } = sqlState;
}
