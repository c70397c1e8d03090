namespace Borealis.PgWire.Types;

/// <summary>
/// PostgreSQL type OIDs (pg_type.oid) as fixed in PostgreSQL's catalog; clients hard-code these,
/// so they are a wire format and pinned by tests.
/// </summary>
public static class PgOid
{
    public const uint Unspecified = 0;
    public const uint Bool = 16;
    public const uint Bytea = 17;
    public const uint Char = 18;
    public const uint Name = 19;
    public const uint Int8 = 20;
    public const uint Int2 = 21;
    public const uint Int4 = 23;
    public const uint Regproc = 24;
    public const uint Text = 25;
    public const uint Oid = 26;
    public const uint Xid = 28;
    public const uint Json = 114;
    public const uint Xml = 142;
    public const uint Float4 = 700;
    public const uint Float8 = 701;
    public const uint Unknown = 705;
    public const uint Money = 790;
    public const uint Inet = 869;
    public const uint BoolArray = 1000;
    public const uint ByteaArray = 1001;
    public const uint Int2Array = 1005;
    public const uint Int4Array = 1007;
    public const uint TextArray = 1009;
    public const uint VarcharArray = 1015;
    public const uint Int8Array = 1016;
    public const uint Float4Array = 1021;
    public const uint Float8Array = 1022;
    public const uint Bpchar = 1042;
    public const uint Varchar = 1043;
    public const uint Date = 1082;
    public const uint Time = 1083;
    public const uint Timestamp = 1114;
    public const uint Timestamptz = 1184;
    public const uint Interval = 1186;
    public const uint Timetz = 1266;
    public const uint Bit = 1560;
    public const uint Varbit = 1562;
    public const uint Numeric = 1700;
    public const uint Refcursor = 1790;
    public const uint Regclass = 2205;
    public const uint Record = 2249;
    public const uint Void = 2278;
    public const uint Uuid = 2950;
    public const uint Jsonb = 3802;

    /// <summary>pg_type.typlen for a type: its fixed size in bytes, or -1 for variable length.</summary>
    public static short TypeSize(uint oid) => oid switch
    {
        Bool or Char => 1,
        Int2 => 2,
        Int4 or Oid or Xid or Float4 or Date or Regproc or Regclass => 4,
        Int8 or Float8 or Timestamp or Timestamptz or Time or Money => 8,
        Timetz => 12,
        Interval or Uuid => 16,
        Name => 64,
        _ => -1,
    };
}
