using System.Collections.Concurrent;
using Borealis.Engine;
using Borealis.Engine.Access;
using Borealis.Engine.Catalog;
using Borealis.Engine.Keys;
using Borealis.Sql.Types;

namespace Borealis.Sql.Execution;

/// <summary>
/// The SQL engine over one <see cref="Database"/>: shared by every session. Holds the one
/// <see cref="Table"/> object per table version (heap + index set), as the table layer requires.
/// </summary>
public sealed class SqlEngine(Database db)
{
    private readonly ConcurrentDictionary<string, TableRt> _tables = new(StringComparer.Ordinal);

    public Database Db => db;

    /// <summary>Called once for each engine <see cref="Table"/> object the engine opens (e.g. to register it with the vacuum worker).</summary>
    public Action<Table>? TableOpened { get; set; }

    private static string KeyOf(TableInfo t, IndexInfo[] idx) =>
        $"{t.HeapMetaPage}/{t.AllColumns.Length}:{string.Join(',', idx.Select(i => i.MetaPage))}";

    private static IndexInfo[] IndexesOf(TableInfo t) => t.Indexes.OrderBy(i => i.Oid).ToArray();

    /// <summary>The runtime table for a catalog entry if its engine objects are already open (no I/O).</summary>
    public bool TryGet(TableInfo t, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TableRt? rt)
    {
        var idx = IndexesOf(t);
        if (!_tables.TryGetValue(KeyOf(t, idx), out var cached)) { rt = null; return false; }
        rt = ReferenceEquals(cached.Info, t) ? cached : new TableRt { Info = t, Table = cached.Table, Types = TypesOf(t), Layout = t.RowLayout(), IndexInfos = idx };
        return true;
    }

    /// <summary>The runtime table for a catalog entry, opening its engine objects once per heap + index set.</summary>
    public async ValueTask<TableRt> OpenAsync(TableInfo t, CancellationToken ct = default)
    {
        if (TryGet(t, out var rt)) return rt;
        var idx = IndexesOf(t);
        var types = TypesOf(t);
        var defs = idx.Select(i => new IndexDefinition(i.Name, i.Columns.Select(c => c.AttNum - 1).ToArray(),
            i.Columns.Select(c => new KeyColumn(RowCodec.KeyTypeOf(types[c.AttNum - 1].Id), c.Descending, c.NullsFirst)).ToArray(), i.Unique)).ToArray();
        var table = await Table.OpenAsync(t.Name, db.Pool, db.Allocator, db.Txns, t.RowLayout(), t.HeapMetaPage, defs, idx.Select(i => i.MetaPage).ToArray(), ct);
        var fresh = new TableRt { Info = t, Table = table, Types = types, Layout = t.RowLayout(), IndexInfos = idx };
        // Two sessions may open concurrently: the first one stored wins, so all share one Table object.
        var stored = _tables.GetOrAdd(KeyOf(t, idx), fresh);
        if (ReferenceEquals(stored, fresh)) TableOpened?.Invoke(table);
        return stored;
    }

    private static SqlType[] TypesOf(TableInfo t) => t.AllColumns.Select(c => Types.Types.FromCatalog(c.TypeOid, c.Typmod)).ToArray();
}
