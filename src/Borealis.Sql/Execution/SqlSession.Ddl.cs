using Borealis.Engine.BTree;
using Borealis.Engine.Catalog;
using Borealis.Engine.Txn;
using Borealis.PgWire.Backend;
using Borealis.Sql.Ast;
using Borealis.Sql.Types;
using AstConstraintKind = Borealis.Sql.Ast.ConstraintKind;
using EngineColumnDef = Borealis.Engine.Catalog.ColumnDef;
using EngineConstraintKind = Borealis.Engine.Catalog.ConstraintKind;

namespace Borealis.Sql.Execution;

public sealed partial class SqlSession
{
    private async ValueTask<PgCommandTag> CreateTableAsync(Transaction tx, CreateTableStatement c, CancellationToken ct)
    {
        var cat = engine.Db.Catalog;
        if (c.IfNotExists && cat.View(tx).FindRelation(c.Name.Schema, c.Name.Name) != 0) return PgCommandTag.Of("CREATE TABLE");
        var cols = new List<EngineColumnDef>();
        var cons = new List<ConstraintDef>();
        foreach (var col in c.Columns)
        {
            var type = Types.Types.Resolve(col.Type);
            bool notNull = false;
            string? def = null;
            if (Types.Types.IsSerial(col.Type))
            {
                string seq = $"{c.Name.Name}_{col.Name}_seq";
                await cat.CreateSequenceAsync(tx, c.Name.Schema, seq, null, ct);
                def = $"nextval('{seq}'::regclass)";
                notNull = true;
            }
            foreach (var k in col.Constraints)
            {
                switch (k.Kind)
                {
                    case AstConstraintKind.NotNull: notNull = true; break;
                    case AstConstraintKind.Null: break;
                    case AstConstraintKind.Default: def = k.Expr!.ToString(); break;
                    case AstConstraintKind.PrimaryKey: cons.Add(new ConstraintDef(EngineConstraintKind.PrimaryKey, k.Name, [col.Name])); break;
                    case AstConstraintKind.Unique: cons.Add(new ConstraintDef(EngineConstraintKind.Unique, k.Name, [col.Name])); break;
                    case AstConstraintKind.Check: cons.Add(new ConstraintDef(EngineConstraintKind.Check, k.Name, [col.Name], k.Expr!.ToString())); break;
                    default: throw SqlErrors.NotSupported($"{k.Kind} constraints");
                }
            }
            cols.Add(new EngineColumnDef(col.Name, type.Oid, type.Typmod, notNull, def));
        }
        foreach (var k in c.Constraints)
        {
            switch (k.Kind)
            {
                case AstConstraintKind.PrimaryKey: cons.Add(new ConstraintDef(EngineConstraintKind.PrimaryKey, k.Name, k.Columns!)); break;
                case AstConstraintKind.Unique: cons.Add(new ConstraintDef(EngineConstraintKind.Unique, k.Name, k.Columns!)); break;
                case AstConstraintKind.Check: cons.Add(new ConstraintDef(EngineConstraintKind.Check, k.Name, [], k.Expr!.ToString())); break;
                default: throw SqlErrors.NotSupported($"{k.Kind} constraints");
            }
        }
        await cat.CreateTableAsync(tx, c.Name.Schema, c.Name.Name, cols, cons, ct);
        return PgCommandTag.Of("CREATE TABLE");
    }

    private async ValueTask<PgCommandTag> CreateIndexAsync(Transaction tx, CreateIndexStatement ci, CancellationToken ct)
    {
        var cat = engine.Db.Catalog;
        var view = cat.View(tx);
        var t = view.FindTable(ci.Table.Schema, ci.Table.Name) ?? throw SqlErrors.UndefinedTable(ci.Table.Name, ci.Table.Position);
        if (ci.Where is not null) throw SqlErrors.NotSupported("partial indexes");
        var defs = ci.Elements.Select(e => e.Column is null
            ? throw SqlErrors.NotSupported("expression indexes")
            : new IndexColumnDef(e.Column, e.Direction == SortDirection.Desc, e.Nulls == NullsOrder.Default ? null : e.Nulls == NullsOrder.First)).ToList();
        string name = ci.Name ?? $"{t.Name}_{string.Join('_', defs.Select(d => d.Column))}_idx";
        if (ci.IfNotExists && view.FindRelation(ci.Table.Schema, name) != 0) return PgCommandTag.Of("CREATE INDEX");
        var idx = await cat.CreateIndexAsync(tx, t.Oid, name, defs, ci.Unique, ct);
        await FillIndexAsync(tx, cat.View(tx).GetTable(t.Oid), idx, ct);
        return PgCommandTag.Of("CREATE INDEX");
    }

    /// <summary>Builds a new index from the rows the transaction sees (the catalog creates it empty). Unique violations raise 23505.</summary>
    private async ValueTask FillIndexAsync(Transaction tx, TableInfo t, IndexInfo idx, CancellationToken ct)
    {
        var rt = await engine.OpenAsync(t, ct);
        int ix = Array.FindIndex(rt.IndexInfos, i => i.Oid == idx.Oid);
        var tree = rt.Table.Trees[ix];
        var snap = engine.Db.Txns.StatementSnapshot(tx);
        using var scan = rt.Table.Scan(snap);
        var key = new byte[BPlusTree.MaxKeyLength];
        var seen = idx.Unique ? new HashSet<string>(StringComparer.Ordinal) : null;
        while (await scan.MoveNextAsync(ct))
        {
            int len = rt.Table.EncodeKey(ix, scan.Row, key, out bool hasNull);
            if (len < 0 || len + 8 > key.Length) throw new PgErrorException("54000", "index row size exceeds maximum for index");
            if (seen is not null && !hasNull && !seen.Add(Convert.ToHexString(key, 0, len)))
                throw new PgErrorException(new PgError("23505", $"could not create unique index \"{idx.Name}\"") { Detail = "Key is duplicated." });
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(key.AsSpan(len), scan.Tid.Packed);
            await tree.InsertAsync(key.AsMemory(0, len + 8).ToArray(), ReadOnlyMemory<byte>.Empty, ct);
        }
    }

    private async ValueTask<PgCommandTag> AlterTableAsync(Transaction tx, AlterTableStatement at, CancellationToken ct)
    {
        var cat = engine.Db.Catalog;
        var t = cat.View(tx).FindTable(at.Table.Schema, at.Table.Name);
        if (t is null)
        {
            if (at.IfExists) return PgCommandTag.Of("ALTER TABLE");
            throw SqlErrors.UndefinedTable(at.Table.Name, at.Table.Position);
        }
        foreach (var cmd in at.Commands)
        {
            switch (cmd)
            {
                case AddConstraintCommand { Constraint.Kind: AstConstraintKind.PrimaryKey or AstConstraintKind.Unique } ac:
                {
                    // Engine gap: no ADD CONSTRAINT; a unique index named like the constraint stands in for it.
                    var k = ac.Constraint;
                    if (k.Kind == AstConstraintKind.PrimaryKey && t.PrimaryKey is not null)
                        throw new PgErrorException("42P16", $"multiple primary keys for table \"{t.Name}\" are not allowed");
                    string name = k.Name ?? (k.Kind == AstConstraintKind.PrimaryKey ? $"{t.Name}_pkey" : $"{t.Name}_{string.Join('_', k.Columns!)}_key");
                    var idx = await cat.CreateIndexAsync(tx, t.Oid, name, k.Columns!.Select(c => new IndexColumnDef(c)).ToList(), true, ct);
                    await FillIndexAsync(tx, cat.View(tx).GetTable(t.Oid), idx, ct);
                    break;
                }
                case AddColumnCommand add:
                {
                    var type = Types.Types.Resolve(add.Column.Type);
                    bool nn = add.Column.Constraints.Any(c => c.Kind == AstConstraintKind.NotNull);
                    string? def = add.Column.Constraints.FirstOrDefault(c => c.Kind == AstConstraintKind.Default)?.Expr?.ToString();
                    await cat.AddColumnAsync(tx, t.Oid, new EngineColumnDef(add.Column.Name, type.Oid, type.Typmod, nn, def), ct);
                    break;
                }
                case DropColumnCommand dc: await cat.DropColumnAsync(tx, t.Oid, dc.Column, ct); break;
                default: throw SqlErrors.NotSupported($"ALTER TABLE {cmd.GetType().Name.Replace("Command", "", StringComparison.Ordinal)}");
            }
            t = cat.View(tx).GetTable(t.Oid);
        }
        return PgCommandTag.Of("ALTER TABLE");
    }

    /// <summary>TRUNCATE as a delete of every visible row (engine gap: no relation-level truncate).</summary>
    private async ValueTask TruncateAsync(Transaction tx, QualifiedName name, CancellationToken ct)
    {
        var view = engine.Db.Catalog.View(tx);
        var t = view.FindTable(name.Schema, name.Name) ?? throw SqlErrors.UndefinedTable(name.Name, name.Position);
        var rt = await engine.OpenAsync(t, ct);
        var snap = engine.Db.Txns.StatementSnapshot(tx);
        var tids = new List<Borealis.Engine.Heap.Tid>();
        using (var scan = rt.Table.Scan(snap))
            while (await scan.MoveNextAsync(ct)) tids.Add(scan.Tid);
        foreach (var tid in tids) await rt.Table.DeleteAsync(tx, tid, null, ct);
    }
}
