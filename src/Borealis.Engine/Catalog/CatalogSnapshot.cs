using System.Collections.Frozen;
using System.Collections.Immutable;
using Borealis.Engine.Heap;
using Borealis.Engine.Txn;

namespace Borealis.Engine.Catalog;

/// <summary>
/// The catalog as one snapshot saw it: immutable, safe to share between threads. Name lookups
/// without a schema follow the search path pg_catalog, public (PostgreSQL's default for a
/// superuser without a same-named schema).
/// </summary>
public sealed class CatalogSnapshot
{
    private static readonly uint[] SearchPath = [CatalogOids.PgCatalogNamespace, CatalogOids.PublicNamespace];

    internal CatalogSnapshot(ulong version, ulong readLsn, List<NamespaceInfo> namespaces, List<TableInfo> tables, List<IndexInfo> indexes,
        List<SequenceInfo> sequences, List<DatabaseInfo> databases, List<RoleInfo> roles, Dictionary<uint, Tid> rowTids,
        Dictionary<(uint, short), Tid> attributeTids, Dictionary<uint, Tid> indexTids, Dictionary<uint, Tid> constraintTids, Dictionary<uint, Tid> sequenceRowTids)
    {
        Version = version;
        ReadLsn = readLsn;
        Namespaces = namespaces.ToFrozenDictionary(n => n.Oid);
        Tables = tables.ToFrozenDictionary(t => t.Oid);
        Indexes = indexes.ToFrozenDictionary(i => i.Oid);
        Sequences = sequences.ToFrozenDictionary(s => s.Oid);
        Databases = [.. databases];
        Roles = [.. roles];
        var byName = new Dictionary<(uint, string), uint>();
        foreach (var t in tables) byName[(t.NamespaceOid, t.Name)] = t.Oid;
        foreach (var i in indexes) byName[(i.NamespaceOid, i.Name)] = i.Oid;
        foreach (var s in sequences) byName[(s.NamespaceOid, s.Name)] = s.Oid;
        _relByName = byName.ToFrozenDictionary();
        _nsByName = namespaces.ToFrozenDictionary(n => n.Name, n => n.Oid, StringComparer.Ordinal);
        ClassTids = rowTids;
        AttributeTids = attributeTids;
        IndexTids = indexTids;
        ConstraintTids = constraintTids;
        SequenceRowTids = sequenceRowTids;
    }

    private readonly FrozenDictionary<(uint, string), uint> _relByName;
    private readonly FrozenDictionary<string, uint> _nsByName;

    /// <summary>The catalog meta page's version when loaded (odd while a DDL transaction was open).</summary>
    public ulong Version { get; }
    /// <summary>The read point the snapshot was taken at.</summary>
    public ulong ReadLsn { get; }
    public FrozenDictionary<uint, NamespaceInfo> Namespaces { get; }
    public FrozenDictionary<uint, TableInfo> Tables { get; }
    public FrozenDictionary<uint, IndexInfo> Indexes { get; }
    public FrozenDictionary<uint, SequenceInfo> Sequences { get; }
    public ImmutableArray<DatabaseInfo> Databases { get; }
    public ImmutableArray<RoleInfo> Roles { get; }

    // Where each object's rows are (pg_class by oid, pg_attribute by (relid, attnum), …): what DDL updates.
    internal Dictionary<uint, Tid> ClassTids { get; }
    internal Dictionary<(uint, short), Tid> AttributeTids { get; }
    internal Dictionary<uint, Tid> IndexTids { get; }
    internal Dictionary<uint, Tid> ConstraintTids { get; }
    internal Dictionary<uint, Tid> SequenceRowTids { get; }

    public uint? FindNamespace(string name) => _nsByName.TryGetValue(name, out uint oid) ? oid : null;

    public uint GetNamespace(string? name) => name is null ? CatalogOids.PublicNamespace
        : FindNamespace(name) ?? throw new CatalogException(CatalogErrors.InvalidSchemaName, $"schema \"{name}\" does not exist");

    /// <summary>Any relation (table, index, sequence) by optionally schema-qualified name; 0 if none.</summary>
    public uint FindRelation(string? schema, string name)
    {
        if (schema is not null)
            return FindNamespace(schema) is uint ns && _relByName.TryGetValue((ns, name), out uint oid) ? oid : 0;
        foreach (uint ns in SearchPath)
            if (_relByName.TryGetValue((ns, name), out uint oid)) return oid;
        return 0;
    }

    public TableInfo? FindTable(string? schema, string name) => Tables.GetValueOrDefault(FindRelation(schema, name));

    public TableInfo GetTable(string? schema, string name) => FindTable(schema, name) ?? throw Undefined(schema, name, "relation");

    public TableInfo GetTable(uint oid) => Tables.GetValueOrDefault(oid)
        ?? throw new CatalogException(CatalogErrors.UndefinedTable, $"relation with OID {oid} does not exist");

    public IndexInfo GetIndex(string? schema, string name) => Indexes.GetValueOrDefault(FindRelation(schema, name)) ?? throw Undefined(schema, name, "index");

    public SequenceInfo GetSequence(string? schema, string name) => Sequences.GetValueOrDefault(FindRelation(schema, name)) ?? throw Undefined(schema, name, "sequence");

    public SequenceInfo GetSequence(uint oid) => Sequences.GetValueOrDefault(oid)
        ?? throw new CatalogException(CatalogErrors.UndefinedTable, $"sequence with OID {oid} does not exist");

    private static CatalogException Undefined(string? schema, string name, string what) =>
        new(CatalogErrors.UndefinedTable, $"{what} \"{(schema is null ? name : schema + "." + name)}\" does not exist");

    /// <summary>Builds a snapshot from the system tables as <paramref name="snap"/> sees them.</summary>
    internal static async ValueTask<CatalogSnapshot> LoadAsync(HeapTable[] heaps, ulong version, Snapshot snap, CancellationToken ct)
    {
        var rows = new List<SystemTables.Row>[SystemTables.Count];
        for (int i = 0; i < SystemTables.Count; i++)
            rows[i] = await SystemTables.ScanAsync(heaps[i], i, snap, ct).ConfigureAwait(false);

        var namespaces = rows[SystemTables.Namespace].Select(r => new NamespaceInfo((uint)SystemTables.Long(r.Values[0]), SystemTables.Text(r.Values[1]))).ToList();
        var classTids = new Dictionary<uint, Tid>();
        var attTids = new Dictionary<(uint, short), Tid>();
        var idxTids = new Dictionary<uint, Tid>();
        var conTids = new Dictionary<uint, Tid>();
        var seqTids = new Dictionary<uint, Tid>();

        var columns = new Dictionary<uint, List<ColumnInfo>>();
        foreach (var r in rows[SystemTables.Attribute])
        {
            var v = r.Values;
            uint rel = (uint)SystemTables.Long(v[0]);
            var c = new ColumnInfo((short)SystemTables.Long(v[1]), SystemTables.Text(v[2]), (uint)SystemTables.Long(v[3]), (int)SystemTables.Long(v[4]),
                (bool)v[5]!, SystemTables.TextOrNull(v[6]), (bool)v[7]!);
            (columns.TryGetValue(rel, out var l) ? l : columns[rel] = []).Add(c);
            attTids[(rel, c.AttNum)] = r.Tid;
        }
        var indexRows = new Dictionary<uint, (SystemTables.Row Row, uint Rel)>();
        foreach (var r in rows[SystemTables.Index])
        {
            uint oid = (uint)SystemTables.Long(r.Values[0]);
            indexRows[oid] = (r, (uint)SystemTables.Long(r.Values[1]));
            idxTids[oid] = r.Tid;
        }
        var constraints = new Dictionary<uint, List<ConstraintInfo>>();
        foreach (var r in rows[SystemTables.Constraint])
        {
            var v = r.Values;
            var c = new ConstraintInfo((uint)SystemTables.Long(v[0]), SystemTables.Text(v[1]), (uint)SystemTables.Long(v[2]), (ConstraintKind)(byte)SystemTables.Long(v[3]),
                [.. SystemTables.DecodeAttNums(v[4] as byte[])], (uint)SystemTables.Long(v[5]), SystemTables.TextOrNull(v[6]));
            (constraints.TryGetValue(c.TableOid, out var l) ? l : constraints[c.TableOid] = []).Add(c);
            conTids[c.Oid] = r.Tid;
        }
        var seqRows = new Dictionary<uint, object?[]>();
        foreach (var r in rows[SystemTables.Sequence])
        {
            uint oid = (uint)SystemTables.Long(r.Values[0]);
            seqRows[oid] = r.Values;
            seqTids[oid] = r.Tid;
        }

        var tables = new List<TableInfo>();
        var indexes = new List<IndexInfo>();
        var sequences = new List<SequenceInfo>();
        var pendingTables = new List<(uint Oid, string Name, uint Ns, ulong Page)>();
        foreach (var r in rows[SystemTables.Class])
        {
            var v = r.Values;
            uint oid = (uint)SystemTables.Long(v[0]);
            string name = SystemTables.Text(v[1]);
            uint ns = (uint)SystemTables.Long(v[2]);
            var kind = (RelKind)(byte)SystemTables.Long(v[3]);
            ulong page = (ulong)SystemTables.Long(v[4]);
            classTids[oid] = r.Tid;
            switch (kind)
            {
                case RelKind.Table: pendingTables.Add((oid, name, ns, page)); break;
                case RelKind.Index when indexRows.TryGetValue(oid, out var ir):
                    var iv = ir.Row.Values;
                    indexes.Add(new IndexInfo(oid, name, ns, ir.Rel, [.. SystemTables.DecodeKeys((byte[])iv[4]!)], (bool)iv[2]!, (bool)iv[3]!, page));
                    break;
                case RelKind.Sequence when seqRows.TryGetValue(oid, out var sv):
                    sequences.Add(new SequenceInfo(oid, name, ns, page, SystemTables.Long(sv[1]), SystemTables.Long(sv[2]), SystemTables.Long(sv[4]),
                        SystemTables.Long(sv[3]), SystemTables.Long(sv[5]), (bool)sv[6]!));
                    break;
                default: throw new HeapCorruptedException($"pg_class row {oid} ({name}) has relkind {(char)kind} without its detail row");
            }
        }
        foreach (var (oid, name, ns, page) in pendingTables)
        {
            var cols = columns.TryGetValue(oid, out var cl) ? cl.OrderBy(c => c.AttNum).ToImmutableArray() : [];
            var idx = indexes.Where(i => i.TableOid == oid).OrderBy(i => i.Oid).ToImmutableArray();
            var cons = constraints.TryGetValue(oid, out var co) ? co.OrderBy(c => c.Oid).ToImmutableArray() : [];
            tables.Add(new TableInfo(oid, name, ns, page, cols, idx, cons));
        }
        var dbs = rows[SystemTables.Database].Select(r => new DatabaseInfo((uint)SystemTables.Long(r.Values[0]), SystemTables.Text(r.Values[1]))).ToList();
        var roles = rows[SystemTables.AuthId].Select(r => new RoleInfo((uint)SystemTables.Long(r.Values[0]), SystemTables.Text(r.Values[1]), (bool)r.Values[2]!)).ToList();
        return new CatalogSnapshot(version, snap.ReadLsn, namespaces, tables, indexes, sequences, dbs, roles, classTids, attTids, idxTids, conTids, seqTids);
    }
}
