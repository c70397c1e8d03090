using Borealis.Engine.BTree;
using Borealis.Engine.Heap;
using Borealis.Engine.Rows;
using Borealis.Engine.Txn;

namespace Borealis.Engine.Catalog;

/// <summary>DDL: every method runs in the caller's transaction and returns the object as that transaction now sees it.</summary>
public sealed partial class Catalog
{
    /// <summary>
    /// CREATE TABLE: the heap, its columns, and its constraints (PRIMARY KEY and UNIQUE create
    /// their B+tree index; PRIMARY KEY columns become NOT NULL; CHECK stores the expression text).
    /// </summary>
    public async ValueTask<TableInfo> CreateTableAsync(Transaction tx, string? schema, string name, IReadOnlyList<ColumnDef> columns,
        IReadOnlyList<ConstraintDef>? constraints = null, CancellationToken ct = default)
    {
        var (xid, view) = await BeginDdlAsync(tx, ct).ConfigureAwait(false);
        uint ns = view.GetNamespace(schema);
        if (view.FindRelation(view.Namespaces[ns].Name, name) != 0)
            throw new CatalogException(CatalogErrors.DuplicateTable, $"relation \"{name}\" already exists");
        if (columns.Count > RowFormat.MaxAttributes)
            throw new CatalogException(CatalogErrors.TooManyColumns, $"tables can have at most {RowFormat.MaxAttributes} columns");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in columns)
        {
            if (!seen.Add(c.Name)) throw new CatalogException(CatalogErrors.DuplicateColumn, $"column \"{c.Name}\" specified more than once");
            CheckType(c.TypeOid);
        }
        constraints ??= [];
        if (constraints.Count(c => c.Kind == ConstraintKind.PrimaryKey) > 1)
            throw new CatalogException(CatalogErrors.InvalidTableDefinition, $"multiple primary keys for table \"{name}\" are not allowed");
        var notNull = new HashSet<string>(columns.Where(c => c.NotNull).Select(c => c.Name), StringComparer.Ordinal);
        foreach (var k in constraints)
        {
            foreach (var col in k.Columns)
                if (!seen.Contains(col)) throw new CatalogException(CatalogErrors.UndefinedColumn, $"column \"{col}\" named in key does not exist");
            if (k.Kind is ConstraintKind.PrimaryKey or ConstraintKind.NotNull) notNull.UnionWith(k.Columns);
        }

        var heap = await HeapTable.CreateAsync(_pool, _alloc, ct).ConfigureAwait(false);
        uint oid = await AllocateOidAsync(ct).ConfigureAwait(false);
        uint cid = tx.CommandId;
        await InsertRowAsync(SystemTables.Class, xid, cid, ct, (long)oid, name, (long)ns, (long)RelKind.Table, (long)heap.MetaPage).ConfigureAwait(false);
        for (int i = 0; i < columns.Count; i++)
        {
            var c = columns[i];
            await InsertRowAsync(SystemTables.Attribute, xid, cid, ct, (long)oid, (long)(i + 1), c.Name, (long)c.TypeOid, (long)c.Typmod,
                notNull.Contains(c.Name), c.Default, false).ConfigureAwait(false);
        }
        var taken = new HashSet<string>(StringComparer.Ordinal);
        foreach (var k in constraints)
        {
            short[] atts = k.Columns.Select(col => (short)(columns.ToList().FindIndex(c => c.Name == col) + 1)).ToArray();
            uint indexOid = 0;
            string conName = k.Name ?? DefaultConstraintName(view, ns, name, k, taken);
            taken.Add(conName);
            if (k.Kind is ConstraintKind.PrimaryKey or ConstraintKind.Unique)
            {
                if (view.FindRelation(view.Namespaces[ns].Name, conName) != 0)
                    throw new CatalogException(CatalogErrors.DuplicateTable, $"relation \"{conName}\" already exists");
                var keys = atts.Select(a => new IndexKeyColumn(a, false, false)).ToArray();
                indexOid = await CreateIndexCoreAsync(xid, cid, ns, oid, conName, keys, true, k.Kind == ConstraintKind.PrimaryKey, ct).ConfigureAwait(false);
            }
            if (k.Kind == ConstraintKind.NotNull) continue; // attnotnull carries it (as in PostgreSQL 15)
            uint conOid = await AllocateOidAsync(ct).ConfigureAwait(false);
            await InsertRowAsync(SystemTables.Constraint, xid, cid, ct, (long)conOid, conName, (long)oid, (long)k.Kind,
                SystemTables.EncodeAttNums(atts), (long)indexOid, k.CheckExpression).ConfigureAwait(false);
        }
        var v = await ReloadOwnerViewAsync(tx, ct).ConfigureAwait(false);
        return v.GetTable(oid);
    }

    private static string DefaultConstraintName(CatalogSnapshot view, uint ns, string table, ConstraintDef k, HashSet<string> taken)
    {
        string baseName = k.Kind switch
        {
            ConstraintKind.PrimaryKey => $"{table}_pkey",
            ConstraintKind.Unique => $"{table}_{string.Join('_', k.Columns)}_key",
            ConstraintKind.Check => k.Columns.Count > 0 ? $"{table}_{k.Columns[0]}_check" : $"{table}_check",
            _ => $"{table}_{string.Join('_', k.Columns)}_not_null",
        };
        string n = baseName;
        for (int i = 1; taken.Contains(n) || view.FindRelation(view.Namespaces[ns].Name, n) != 0; i++) n = baseName + i;
        return n;
    }

    private static void CheckType(uint typeOid)
    {
        if (PgTypes.Find(typeOid) is null) throw new CatalogException(CatalogErrors.UndefinedType, $"type with OID {typeOid} does not exist");
    }

    private async ValueTask<uint> CreateIndexCoreAsync(ulong xid, uint cid, uint ns, uint tableOid, string name, IReadOnlyList<IndexKeyColumn> keys,
        bool unique, bool primary, CancellationToken ct)
    {
        var tree = await BPlusTree.CreateAsync(_pool, _alloc, ct).ConfigureAwait(false);
        uint oid = await AllocateOidAsync(ct).ConfigureAwait(false);
        await InsertRowAsync(SystemTables.Class, xid, cid, ct, (long)oid, name, (long)ns, (long)RelKind.Index, (long)tree.MetaPageNo).ConfigureAwait(false);
        await InsertRowAsync(SystemTables.Index, xid, cid, ct, (long)oid, (long)tableOid, unique, primary, SystemTables.EncodeKeys(keys)).ConfigureAwait(false);
        return oid;
    }

    /// <summary>DROP TABLE: its rows in the catalog, with its indexes and constraints (pages are reclaimed by vacuum, later).</summary>
    public async ValueTask DropTableAsync(Transaction tx, string? schema, string name, CancellationToken ct = default)
    {
        var (xid, view) = await BeginDdlAsync(tx, ct).ConfigureAwait(false);
        var t = view.GetTable(schema, name);
        uint cid = tx.CommandId;
        foreach (var i in t.Indexes) await DropIndexRowsAsync(view, i, xid, cid, ct).ConfigureAwait(false);
        foreach (var c in t.Constraints) await DeleteRowAsync(SystemTables.Constraint, view.ConstraintTids[c.Oid], xid, cid, ct).ConfigureAwait(false);
        foreach (var c in t.AllColumns) await DeleteRowAsync(SystemTables.Attribute, view.AttributeTids[(t.Oid, c.AttNum)], xid, cid, ct).ConfigureAwait(false);
        await DeleteRowAsync(SystemTables.Class, view.ClassTids[t.Oid], xid, cid, ct).ConfigureAwait(false);
        await ReloadOwnerViewAsync(tx, ct).ConfigureAwait(false);
    }

    private async ValueTask DropIndexRowsAsync(CatalogSnapshot view, IndexInfo i, ulong xid, uint cid, CancellationToken ct)
    {
        await DeleteRowAsync(SystemTables.Index, view.IndexTids[i.Oid], xid, cid, ct).ConfigureAwait(false);
        await DeleteRowAsync(SystemTables.Class, view.ClassTids[i.Oid], xid, cid, ct).ConfigureAwait(false);
    }

    /// <summary>ALTER TABLE … ADD COLUMN (existing rows read it as NULL / its default: the SQL layer fills defaults).</summary>
    public async ValueTask<TableInfo> AddColumnAsync(Transaction tx, uint tableOid, ColumnDef column, CancellationToken ct = default)
    {
        var (xid, view) = await BeginDdlAsync(tx, ct).ConfigureAwait(false);
        var t = view.GetTable(tableOid);
        if (t.FindColumn(column.Name) is not null)
            throw new CatalogException(CatalogErrors.DuplicateColumn, $"column \"{column.Name}\" of relation \"{t.Name}\" already exists");
        if (t.AllColumns.Length >= RowFormat.MaxAttributes)
            throw new CatalogException(CatalogErrors.TooManyColumns, $"tables can have at most {RowFormat.MaxAttributes} columns");
        CheckType(column.TypeOid);
        await InsertRowAsync(SystemTables.Attribute, xid, tx.CommandId, ct, (long)t.Oid, (long)(t.AllColumns.Length + 1), column.Name,
            (long)column.TypeOid, (long)column.Typmod, column.NotNull, column.Default, false).ConfigureAwait(false);
        return (await ReloadOwnerViewAsync(tx, ct).ConfigureAwait(false)).GetTable(tableOid);
    }

    /// <summary>ALTER TABLE … DROP COLUMN: the attribute stays (dropped, renamed as PostgreSQL does); indexes and constraints on it go too.</summary>
    public async ValueTask<TableInfo> DropColumnAsync(Transaction tx, uint tableOid, string column, CancellationToken ct = default)
    {
        var (xid, view) = await BeginDdlAsync(tx, ct).ConfigureAwait(false);
        var t = view.GetTable(tableOid);
        var c = t.GetColumn(column);
        uint cid = tx.CommandId;
        foreach (var i in t.Indexes.Where(i => i.Columns.Any(k => k.AttNum == c.AttNum)))
            await DropIndexRowsAsync(view, i, xid, cid, ct).ConfigureAwait(false);
        foreach (var k in t.Constraints.Where(k => k.Columns.Contains(c.AttNum)))
            await DeleteRowAsync(SystemTables.Constraint, view.ConstraintTids[k.Oid], xid, cid, ct).ConfigureAwait(false);
        await UpdateRowAsync(SystemTables.Attribute, view.AttributeTids[(t.Oid, c.AttNum)], xid, cid, ct, (long)t.Oid, (long)c.AttNum,
            $"........pg.dropped.{c.AttNum}........", (long)c.TypeOid, (long)c.Typmod, false, null, true).ConfigureAwait(false);
        return (await ReloadOwnerViewAsync(tx, ct).ConfigureAwait(false)).GetTable(tableOid);
    }

    /// <summary>ALTER TABLE … RENAME TO.</summary>
    public async ValueTask<TableInfo> RenameTableAsync(Transaction tx, uint tableOid, string newName, CancellationToken ct = default)
    {
        var (xid, view) = await BeginDdlAsync(tx, ct).ConfigureAwait(false);
        var t = view.GetTable(tableOid);
        if (view.FindRelation(view.Namespaces[t.NamespaceOid].Name, newName) != 0)
            throw new CatalogException(CatalogErrors.DuplicateTable, $"relation \"{newName}\" already exists");
        await UpdateRowAsync(SystemTables.Class, view.ClassTids[t.Oid], xid, tx.CommandId, ct, (long)t.Oid, newName, (long)t.NamespaceOid,
            (long)RelKind.Table, (long)t.HeapMetaPage).ConfigureAwait(false);
        return (await ReloadOwnerViewAsync(tx, ct).ConfigureAwait(false)).GetTable(tableOid);
    }

    /// <summary>ALTER TABLE … RENAME COLUMN.</summary>
    public async ValueTask<TableInfo> RenameColumnAsync(Transaction tx, uint tableOid, string column, string newName, CancellationToken ct = default)
    {
        var (xid, view) = await BeginDdlAsync(tx, ct).ConfigureAwait(false);
        var t = view.GetTable(tableOid);
        var c = t.GetColumn(column);
        if (t.FindColumn(newName) is not null)
            throw new CatalogException(CatalogErrors.DuplicateColumn, $"column \"{newName}\" of relation \"{t.Name}\" already exists");
        await UpdateRowAsync(SystemTables.Attribute, view.AttributeTids[(t.Oid, c.AttNum)], xid, tx.CommandId, ct, (long)t.Oid, (long)c.AttNum,
            newName, (long)c.TypeOid, (long)c.Typmod, c.NotNull, c.Default, false).ConfigureAwait(false);
        return (await ReloadOwnerViewAsync(tx, ct).ConfigureAwait(false)).GetTable(tableOid);
    }

    /// <summary>
    /// CREATE [UNIQUE] INDEX on an existing table (in the table's schema). The B+tree starts
    /// empty: the caller (the table access layer) fills it from the table's rows.
    /// </summary>
    public async ValueTask<IndexInfo> CreateIndexAsync(Transaction tx, uint tableOid, string name, IReadOnlyList<IndexColumnDef> columns,
        bool unique = false, CancellationToken ct = default)
    {
        var (xid, view) = await BeginDdlAsync(tx, ct).ConfigureAwait(false);
        var t = view.GetTable(tableOid);
        if (view.FindRelation(view.Namespaces[t.NamespaceOid].Name, name) != 0)
            throw new CatalogException(CatalogErrors.DuplicateTable, $"relation \"{name}\" already exists");
        var keys = columns.Select(c => new IndexKeyColumn(t.GetColumn(c.Column).AttNum, c.Descending, c.NullsFirst ?? c.Descending)).ToArray();
        uint oid = await CreateIndexCoreAsync(xid, tx.CommandId, t.NamespaceOid, t.Oid, name, keys, unique, false, ct).ConfigureAwait(false);
        return (await ReloadOwnerViewAsync(tx, ct).ConfigureAwait(false)).Indexes[oid];
    }

    /// <summary>DROP INDEX (not one a constraint needs: 2BP01, as PostgreSQL).</summary>
    public async ValueTask DropIndexAsync(Transaction tx, string? schema, string name, CancellationToken ct = default)
    {
        var (xid, view) = await BeginDdlAsync(tx, ct).ConfigureAwait(false);
        var i = view.GetIndex(schema, name);
        var con = view.GetTable(i.TableOid).Constraints.FirstOrDefault(c => c.IndexOid == i.Oid);
        if (con is not null)
            throw new CatalogException(CatalogErrors.DependentObjectsStillExist,
                $"cannot drop index {name} because constraint {con.Name} on table {view.GetTable(i.TableOid).Name} requires it");
        await DropIndexRowsAsync(view, i, xid, tx.CommandId, ct).ConfigureAwait(false);
        await ReloadOwnerViewAsync(tx, ct).ConfigureAwait(false);
    }

    /// <summary>CREATE SCHEMA.</summary>
    public async ValueTask<NamespaceInfo> CreateSchemaAsync(Transaction tx, string name, CancellationToken ct = default)
    {
        var (xid, view) = await BeginDdlAsync(tx, ct).ConfigureAwait(false);
        if (view.FindNamespace(name) is not null) throw new CatalogException("42P06", $"schema \"{name}\" already exists");
        uint oid = await AllocateOidAsync(ct).ConfigureAwait(false);
        await InsertRowAsync(SystemTables.Namespace, xid, tx.CommandId, ct, (long)oid, name).ConfigureAwait(false);
        return (await ReloadOwnerViewAsync(tx, ct).ConfigureAwait(false)).Namespaces[oid];
    }

}
