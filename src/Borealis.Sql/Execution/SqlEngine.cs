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
    private readonly object _openLock = new();

    public Database Db => db;

    /// <summary>The runtime table for a catalog entry (opened once per heap + index set).</summary>
    public TableRt Open(TableInfo t)
    {
        var idx = t.Indexes.OrderBy(i => i.Oid).ToArray();
        string key = $"{t.HeapMetaPage}/{t.AllColumns.Length}:{string.Join(',', idx.Select(i => i.MetaPage))}";
        if (_tables.TryGetValue(key, out var rt) && ReferenceEquals(rt.Info, t)) return rt;
        if (rt is not null) { rt = new TableRt { Info = t, Table = rt.Table, Types = TypesOf(t), Layout = t.RowLayout(), IndexInfos = idx }; return rt; }
        lock (_openLock)
        {
            if (_tables.TryGetValue(key, out rt)) return rt;
            var types = TypesOf(t);
            var defs = idx.Select(i => new IndexDefinition(i.Name, i.Columns.Select(c => c.AttNum - 1).ToArray(),
                i.Columns.Select(c => new KeyColumn(RowCodec.KeyTypeOf(types[c.AttNum - 1].Id), c.Descending, c.NullsFirst)).ToArray(), i.Unique)).ToArray();
            var table = Table.OpenAsync(t.Name, db.Pool, db.Allocator, db.Txns, t.RowLayout(), t.HeapMetaPage, defs, idx.Select(i => i.MetaPage).ToArray())
                .AsTask().GetAwaiter().GetResult();
            rt = new TableRt { Info = t, Table = table, Types = types, Layout = t.RowLayout(), IndexInfos = idx };
            _tables[key] = rt;
            return rt;
        }
    }

    private static SqlType[] TypesOf(TableInfo t) => t.AllColumns.Select(c => Types.Types.FromCatalog(c.TypeOid, c.Typmod)).ToArray();
}
