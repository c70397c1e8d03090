using Borealis.Engine.Catalog;
using Borealis.Sql.Types;

namespace Borealis.Sql.Binding;

/// <summary>
/// pg_catalog tables as in-memory rows built from the catalog view and <see cref="PgTypes"/>: what
/// drivers read on connect (Npgsql's type loading: pg_type, pg_namespace, pg_class, pg_proc,
/// pg_range, pg_attribute, pg_enum). Only the columns those queries use.
/// </summary>
public static class SystemViews
{
    private static readonly SqlType Oid = new(TypeId.Oid);
    private static readonly SqlType Char = new(TypeId.Char);
    private static readonly SqlType Bool = SqlType.Bool;
    private static readonly SqlType Text = SqlType.Text;

    private static Value O(long v) => Value.FromInt(TypeId.Oid, v);
    private static Value C(char c) => Value.FromString(TypeId.Char, c.ToString());
    private static Value T(string s) => Value.FromText(s);

    /// <summary>Receive functions get stable synthetic OIDs (pg_type.typreceive joins pg_proc.oid).</summary>
    private static readonly Dictionary<string, long> ProcOids = PgTypes.All.Select(t => t.Receive).Distinct(StringComparer.Ordinal)
        .Select((n, i) => (n, i)).ToDictionary(x => x.n, x => 9_000L + x.i, StringComparer.Ordinal);

    public static bool TryGet(CatalogSnapshot view, string? schema, string name, out (string Name, SqlType Type)[] columns, out Value[][] rows)
    {
        columns = [];
        rows = [];
        if (schema is not null && schema != "pg_catalog") return false;
        switch (name)
        {
            case "pg_type":
                columns = [("oid", Oid), ("typname", Text), ("typnamespace", Oid), ("typlen", SqlType.Int2), ("typtype", Char), ("typcategory", Char),
                    ("typrelid", Oid), ("typelem", Oid), ("typarray", Oid), ("typreceive", Oid), ("typbasetype", Oid), ("typnotnull", Bool)];
                rows = PgTypes.All.Select(t => new[]
                {
                    O(t.Oid), T(t.Name), O(CatalogOids.PgCatalogNamespace), Value.FromInt2(t.Length), C(t.Type), C(t.Category),
                    O(0), O(t.Element), O(t.Array), O(ProcOids[t.Receive]), O(0), Value.FromBool(false),
                }).ToArray();
                return true;
            case "pg_proc":
                columns = [("oid", Oid), ("proname", Text), ("pronamespace", Oid)];
                rows = ProcOids.Select(p => new[] { O(p.Value), T(p.Key), O(CatalogOids.PgCatalogNamespace) }).ToArray();
                return true;
            case "pg_range":
                columns = [("rngtypid", Oid), ("rngsubtype", Oid), ("rngmultitypid", Oid)];
                rows = PgTypes.All.Where(t => t.RangeSubtype != 0).Select(t => new[] { O(t.Oid), O(t.RangeSubtype), O(t.RangeMultirange) }).ToArray();
                return true;
            case "pg_namespace":
                columns = [("oid", Oid), ("nspname", Text)];
                rows = view.Namespaces.Values.OrderBy(n => n.Oid).Select(n => new[] { O(n.Oid), T(n.Name) }).ToArray();
                return true;
            case "pg_class":
                columns = [("oid", Oid), ("relname", Text), ("relnamespace", Oid), ("relkind", Char)];
                rows =
                [
                    .. view.Tables.Values.Select(t => new[] { O(t.Oid), T(t.Name), O(t.NamespaceOid), C('r') }),
                    .. view.Indexes.Values.Select(i => new[] { O(i.Oid), T(i.Name), O(i.NamespaceOid), C('i') }),
                    .. view.Sequences.Values.Select(s => new[] { O(s.Oid), T(s.Name), O(s.NamespaceOid), C('S') }),
                ];
                return true;
            case "pg_attribute":
                columns = [("attrelid", Oid), ("attname", Text), ("atttypid", Oid), ("attnum", SqlType.Int2), ("attnotnull", Bool), ("attisdropped", Bool)];
                rows = view.Tables.Values.SelectMany(t => t.AllColumns.Select(c => new[]
                {
                    O(t.Oid), T(c.Name), O(c.TypeOid), Value.FromInt2(c.AttNum), Value.FromBool(c.NotNull), Value.FromBool(c.Dropped),
                })).ToArray();
                return true;
            case "pg_enum":
                columns = [("oid", Oid), ("enumtypid", Oid), ("enumsortorder", new SqlType(TypeId.Float4)), ("enumlabel", Text)];
                return true;
            default:
                return false;
        }
    }
}
