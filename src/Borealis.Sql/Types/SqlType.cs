using Borealis.PgWire.Backend;

namespace Borealis.Sql.Types;

/// <summary>The SQL types the engine evaluates. <see cref="Unknown"/> is an untyped literal or NULL (PostgreSQL's "unknown").</summary>
public enum TypeId : byte
{
    Unknown = 0,
    Bool,
    Int2,
    Int4,
    Int8,
    Numeric,
    Float4,
    Float8,
    Text,
    Varchar,
    Bpchar,
    Bytea,
    Date,
    Timestamp,
    TimestampTz,
    Uuid,
    Jsonb,
    /// <summary>oid / regproc / regclass (system catalogs only; not storable in user tables).</summary>
    Oid,
    /// <summary>PostgreSQL's one-byte "char" (system catalogs only).</summary>
    Char,
}

/// <summary>A type with its modifier (varchar(n)/bpchar(n) length, numeric precision/scale; -1 = none).</summary>
public readonly record struct SqlType(TypeId Id, int Typmod = -1)
{
    public static readonly SqlType Unknown = new(TypeId.Unknown);
    public static readonly SqlType Bool = new(TypeId.Bool);
    public static readonly SqlType Int2 = new(TypeId.Int2);
    public static readonly SqlType Int4 = new(TypeId.Int4);
    public static readonly SqlType Int8 = new(TypeId.Int8);
    public static readonly SqlType Numeric = new(TypeId.Numeric);
    public static readonly SqlType Float8 = new(TypeId.Float8);
    public static readonly SqlType Text = new(TypeId.Text);
    public static readonly SqlType TimestampTz = new(TypeId.TimestampTz);

    public uint Oid => Types.Oid(Id);
    public bool IsInteger => Id is TypeId.Int2 or TypeId.Int4 or TypeId.Int8;
    public bool IsNumeric => Id is TypeId.Int2 or TypeId.Int4 or TypeId.Int8 or TypeId.Numeric or TypeId.Float4 or TypeId.Float8;
    public bool IsString => Id is TypeId.Text or TypeId.Varchar or TypeId.Bpchar or TypeId.Char or TypeId.Unknown;
    public string Name => Types.Name(Id);
}

/// <summary>OIDs, names and type-name resolution.</summary>
public static class Types
{
    public static uint Oid(TypeId id) => id switch
    {
        TypeId.Bool => 16,
        TypeId.Int2 => 21,
        TypeId.Int4 => 23,
        TypeId.Int8 => 20,
        TypeId.Numeric => 1700,
        TypeId.Float4 => 700,
        TypeId.Float8 => 701,
        TypeId.Text => 25,
        TypeId.Varchar => 1043,
        TypeId.Bpchar => 1042,
        TypeId.Bytea => 17,
        TypeId.Date => 1082,
        TypeId.Timestamp => 1114,
        TypeId.TimestampTz => 1184,
        TypeId.Uuid => 2950,
        TypeId.Jsonb => 3802,
        TypeId.Oid => 26,
        TypeId.Char => 18,
        _ => 25, // unknown results are reported as text, as PostgreSQL does for 'literal'
    };

    public static TypeId FromOid(uint oid) => oid switch
    {
        16 => TypeId.Bool,
        21 => TypeId.Int2,
        23 => TypeId.Int4,
        20 => TypeId.Int8,
        1700 => TypeId.Numeric,
        700 => TypeId.Float4,
        701 => TypeId.Float8,
        25 or 19 => TypeId.Text,
        1043 => TypeId.Varchar,
        1042 => TypeId.Bpchar,
        17 => TypeId.Bytea,
        1082 => TypeId.Date,
        1114 => TypeId.Timestamp,
        1184 => TypeId.TimestampTz,
        2950 => TypeId.Uuid,
        3802 or 114 => TypeId.Jsonb,
        26 or 24 or 2205 or 2206 => TypeId.Oid,
        18 => TypeId.Char,
        _ => TypeId.Unknown,
    };

    public static string Name(TypeId id) => id switch
    {
        TypeId.Bool => "boolean",
        TypeId.Int2 => "smallint",
        TypeId.Int4 => "integer",
        TypeId.Int8 => "bigint",
        TypeId.Numeric => "numeric",
        TypeId.Float4 => "real",
        TypeId.Float8 => "double precision",
        TypeId.Text => "text",
        TypeId.Varchar => "character varying",
        TypeId.Bpchar => "character",
        TypeId.Bytea => "bytea",
        TypeId.Date => "date",
        TypeId.Timestamp => "timestamp without time zone",
        TypeId.TimestampTz => "timestamp with time zone",
        TypeId.Uuid => "uuid",
        TypeId.Jsonb => "jsonb",
        TypeId.Oid => "oid",
        TypeId.Char => "\"char\"",
        _ => "unknown",
    };

    /// <summary>Resolves a type name as written in SQL (pg_catalog prefix allowed); 42704 when unknown.</summary>
    public static SqlType Resolve(Ast.TypeName t)
    {
        string n = t.Names[^1].ToLowerInvariant();
        int mod0 = t.Modifiers.Count > 0 && t.Modifiers[0] is Ast.IntegerLiteral i ? (int)i.Value : -1;
        if (t.ArrayBounds.Count > 0) throw new PgErrorException("0A000", "array types are not supported");
        var id = n switch
        {
            "bool" or "boolean" => TypeId.Bool,
            "int2" or "smallint" or "smallserial" or "serial2" => TypeId.Int2,
            "int4" or "int" or "integer" or "serial" or "serial4" => TypeId.Int4,
            "int8" or "bigint" or "bigserial" or "serial8" => TypeId.Int8,
            "numeric" or "decimal" => TypeId.Numeric,
            "float4" or "real" => TypeId.Float4,
            "float8" or "double precision" or "float" => TypeId.Float8,
            "text" or "name" => TypeId.Text,
            "varchar" or "character varying" => TypeId.Varchar,
            "bpchar" or "char" or "character" => TypeId.Bpchar,
            "bytea" => TypeId.Bytea,
            "date" => TypeId.Date,
            "timestamp" or "timestamp without time zone" => TypeId.Timestamp,
            "timestamptz" or "timestamp with time zone" => TypeId.TimestampTz,
            "uuid" => TypeId.Uuid,
            "jsonb" or "json" => TypeId.Jsonb,
            _ => throw new PgErrorException(new PgError("42704", $"type \"{t.Names[^1]}\" does not exist") { Position = t.Position + 1 }),
        };
        if (id == TypeId.Float8 && n == "float" && mod0 is >= 1 and <= 24) id = TypeId.Float4;
        int typmod = id switch
        {
            TypeId.Bpchar => mod0 < 0 ? (n == "bpchar" ? -1 : 1) : mod0,
            TypeId.Varchar => mod0,
            TypeId.Numeric => mod0 < 0 ? -1 : (mod0 << 16) | (t.Modifiers.Count > 1 && t.Modifiers[1] is Ast.IntegerLiteral s ? (int)s.Value : 0),
            _ => -1,
        };
        return new SqlType(id, typmod);
    }

    /// <summary>Whether a type name is a serial pseudo-type and the integer type it stands for.</summary>
    public static bool IsSerial(Ast.TypeName t) => t.Names[^1].ToLowerInvariant() is "serial" or "serial4" or "bigserial" or "serial8" or "smallserial" or "serial2";

    /// <summary>The PostgreSQL typmod as sent in RowDescription (VARHDRSZ + n for char types).</summary>
    public static int WireTypmod(SqlType t) => t.Id is TypeId.Varchar or TypeId.Bpchar && t.Typmod >= 0 ? t.Typmod + 4
        : t.Id == TypeId.Numeric && t.Typmod >= 0 ? t.Typmod + 4 : -1;

    /// <summary>Catalog typmod → SqlType (the catalog stores the modifier as we give it).</summary>
    public static SqlType FromCatalog(uint oid, int typmod) => new(FromOid(oid), typmod);
}
