using System.Collections.Frozen;
using Borealis.Engine.Rows;

namespace Borealis.Engine.Catalog;

/// <summary>One row of pg_type (the columns clients and the SQL layer use), plus its pg_range link.</summary>
public sealed record PgType(
    uint Oid, string Name, short Length, bool ByValue, char Type, char Category, bool Preferred, char Delimiter,
    uint Element, uint Array, string Input, string Output, string Receive, string Send, char Align, char Storage,
    uint Collation, uint RangeSubtype, uint RangeMultirange)
{
    /// <summary>How the engine stores a value of this type in a row.</summary>
    public ColumnStorage RowStorage => Length > 0 ? new ColumnStorage(Length) : ColumnStorage.VarLen;
    public bool IsArray => Element != 0 && Length == -1 && Category == 'A';
}

/// <summary>
/// PostgreSQL's built-in types with their fixed OIDs (pg_type.dat), so clients that load types by
/// OID — Npgsql's type-loading query, JDBC, libpq's binary formats — see exactly what
/// PostgreSQL 15 reports.
/// </summary>
public static partial class PgTypes
{
    public const uint Bool = 16, Bytea = 17, Char = 18, Name = 19, Int8 = 20, Int2 = 21, Int4 = 23, Regproc = 24,
        Text = 25, Oid = 26, Tid = 27, Xid = 28, Cid = 29, Json = 114, Xml = 142, Float4 = 700, Float8 = 701,
        Unknown = 705, Money = 790, Inet = 869, BpChar = 1042, VarChar = 1043, Date = 1082, Time = 1083,
        Timestamp = 1114, TimestampTz = 1184, Interval = 1186, TimeTz = 1266, Bit = 1560, VarBit = 1562,
        Numeric = 1700, RegClass = 2205, RegType = 2206, Record = 2249, Cstring = 2275, Any = 2276, Void = 2278,
        Uuid = 2950, Jsonb = 3802;

    /// <summary>The pg_catalog namespace OID that owns every built-in type.</summary>
    public const uint PgCatalogNamespace = 11;
    public const uint PublicNamespace = 2200;

    public static PgType? Find(uint oid) => Index.ByOid.GetValueOrDefault(oid);
    public static PgType? Find(string name) => Index.ByName.GetValueOrDefault(name);

    // Separate class: static fields of the generated partial file must be initialised first.
    private static class Index
    {
        public static readonly FrozenDictionary<uint, PgType> ByOid = All.ToFrozenDictionary(t => t.Oid);
        public static readonly FrozenDictionary<string, PgType> ByName = All.ToFrozenDictionary(t => t.Name, StringComparer.Ordinal);
    }
}
