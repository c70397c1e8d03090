using Borealis.Engine.Access;
using Borealis.Engine.Rows;
using Borealis.PgWire.Backend;
using Borealis.Sql.Ast;
using Borealis.Sql.Binding;
using Borealis.Sql.Types;

namespace Borealis.Sql.Execution;

/// <summary>A planned statement: result columns and how to run it for a portal.</summary>
public abstract class StatementPlan
{
    public PgColumn[]? Columns;
    public abstract ValueTask<PgExecuteResult> RunAsync(SqlPortal portal, PgExecuteContext ctx, int maxRows);

    protected static PgColumn[] ToColumns(string[] names, SqlType[] types) =>
        names.Select((n, i) => new PgColumn(n, types[i].Oid, Types.Types.WireTypmod(types[i]))).ToArray();

    protected static async ValueTask<long> WriteRowsAsync(Op root, ExecState st, PgExecuteContext ctx, int maxRows, int width)
    {
        long n = 0;
        while ((maxRows == 0 || n < maxRows) && await root.NextAsync(st))
        {
            var w = ctx.Rows;
            w.BeginRow();
            for (int i = 0; i < width; i++) root.Row[i].WriteTo(w);
            w.EndRow();
            n++;
            await ctx.Rows.FlushIfFullAsync(st.Ct);
        }
        return n;
    }
}

public sealed class SelectPlan : StatementPlan
{
    public required BoundQuery Query;

    public override async ValueTask<PgExecuteResult> RunAsync(SqlPortal portal, PgExecuteContext ctx, int maxRows)
    {
        portal.Root ??= Query.Make();
        long n = await WriteRowsAsync(portal.Root, portal.State!, ctx, maxRows, Query.Names.Length);
        portal.RowsSoFar += n;
        if (maxRows > 0 && n == maxRows) return PgExecuteResult.Suspended;
        portal.Root.Close();
        return PgExecuteResult.Complete(PgCommandTag.Select(portal.RowsSoFar));
    }
}

/// <summary>Shared by INSERT/UPDATE: casting to column types, NOT NULL checks, encoding.</summary>
public abstract class ModifyPlan : StatementPlan
{
    public required TableRt Table;
    public BExpr[]? Returning;
    protected byte[] Buffer = new byte[256];

    protected ReadOnlyMemory<byte> Encode(Value[] row)
    {
        for (int i = 0; i < row.Length; i++)
        {
            var col = Table.Info.AllColumns[i];
            if (col.Dropped) { row[i] = Value.Null; continue; }
            if (!row[i].IsNull && (row[i].Type != Table.Types[i].Id || Table.Types[i].Typmod >= 0)) row[i] = Ops.Cast(row[i], Table.Types[i], false);
            if (row[i].IsNull && col.NotNull)
                throw new PgErrorException(new PgError("23502", $"null value in column \"{col.Name}\" of relation \"{Table.Info.Name}\" violates not-null constraint")
                { Table = Table.Info.Name, Column = col.Name });
        }
        // The buffer is reused: the table layer is done with a row once its (awaited) insert/update returns.
        int n = RowCodec.Encode(row, Table.Types, ref Buffer);
        return Buffer.AsMemory(0, n);
    }

    protected void WriteReturning(ExecState st, PgExecuteContext ctx, Value[] row)
    {
        if (Returning is null) return;
        st.Eval.Row = row;
        ctx.Rows.BeginRow();
        foreach (var e in Returning) e.Eval(st.Eval).WriteTo(ctx.Rows);
        ctx.Rows.EndRow();
    }
}

public sealed class InsertPlan : ModifyPlan
{
    /// <summary>Source rows in target-column order.</summary>
    public required BoundQuery Source;
    /// <summary>Per table attribute: the source column feeding it, or -1 (default).</summary>
    public required int[] SourceIndex;
    /// <summary>Per table attribute: default expression or null.</summary>
    public required BExpr?[] Defaults;
    /// <summary>Per source row and column: true when the VALUES item was DEFAULT (VALUES sources only).</summary>
    public bool[][]? DefaultMarks;
    /// <summary>ON CONFLICT DO NOTHING: each row is inserted in its own subtransaction, rolled back on 23505.</summary>
    public bool OnConflictDoNothing;

    public override async ValueTask<PgExecuteResult> RunAsync(SqlPortal portal, PgExecuteContext ctx, int maxRows)
    {
        var st = portal.State!;
        var src = Source.Make();
        long n = 0;
        int rowNo = 0;
        var row = new Value[Table.Types.Length]; // reused per row: the insert is awaited before the next one
        try
        {
            while (await src.NextAsync(st))
            {
                for (int i = 0; i < row.Length; i++)
                {
                    int s = SourceIndex[i];
                    bool useDefault = s < 0 || (DefaultMarks is not null && DefaultMarks[rowNo][s]);
                    if (!useDefault) row[i] = src.Row[s];
                    else if (Defaults[i] is { } d) { st.Eval.Row = []; row[i] = d.Eval(st.Eval); }
                    else row[i] = Value.Null;
                }
                rowNo++;
                var bytes = Encode(row);
                if (OnConflictDoNothing)
                {
                    int depth = Borealis.Engine.Txn.TxnManager.Savepoint(st.Tx);
                    try { await Table.Table.InsertAsync(st.Tx, bytes, st.Ct); }
                    catch (AccessException e) when (e.SqlState == AccessException.UniqueViolation)
                    {
                        await st.Db.Txns.RollbackToSavepointAsync(st.Tx, depth, st.Ct);
                        Borealis.Engine.Txn.TxnManager.ReleaseSavepoint(st.Tx, depth);
                        continue;
                    }
                    Borealis.Engine.Txn.TxnManager.ReleaseSavepoint(st.Tx, depth);
                }
                else await Table.Table.InsertAsync(st.Tx, bytes, st.Ct);
                WriteReturning(st, ctx, row);
                n++;
            }
        }
        finally { src.Close(); }
        return PgExecuteResult.Complete(PgCommandTag.Insert(n));
    }
}

public sealed class UpdatePlan : ModifyPlan
{
    public required Func<Op> Scan;
    public BExpr? Where;
    public required (int Att, BExpr Value)[] Sets;

    private sealed class Modifier(UpdatePlan plan, ExecState st) : IRowModifier
    {
        public Value[]? NewRow;
        private readonly Value[] _row = new Value[plan.Table.Types.Length];
        private readonly Value[] _upd = new Value[plan.Table.Types.Length];

        public bool TryBuild(ReadOnlySpan<byte> current, out ReadOnlyMemory<byte> newRow)
        {
            var row = _row;
            RowCodec.Decode(current, plan.Table.Layout, plan.Table.Types, row);
            st.Eval.Row = row;
            if (plan.Where is not null && !plan.Where.Eval(st.Eval).IsTrue) { newRow = default; return false; }
            var upd = _upd;
            Array.Copy(row, upd, row.Length);
            foreach (var (att, e) in plan.Sets) upd[att] = e.Eval(st.Eval);
            newRow = plan.Encode(upd);
            NewRow = upd;
            return true;
        }
    }

    public override async ValueTask<PgExecuteResult> RunAsync(SqlPortal portal, PgExecuteContext ctx, int maxRows)
    {
        var st = portal.State!;
        var scan = Scan();
        long n = 0;
        var m = new Modifier(this, st);
        try
        {
            while (await scan.NextAsync(st))
            {
                var tid = scan is SeqScanOp s ? s.Tid : ((IndexScanOp)scan).Tid;
                var r = await Table.Table.UpdateAsync(st.Tx, tid, m, st.Ct);
                if (r.Status != ModifyStatus.Done) continue;
                WriteReturning(st, ctx, m.NewRow!);
                n++;
            }
        }
        finally { scan.Close(); }
        return PgExecuteResult.Complete(PgCommandTag.Update(n));
    }
}

public sealed class DeletePlan : ModifyPlan
{
    public required Func<Op> Scan;
    public BExpr? Where;

    private sealed class Recheck(DeletePlan plan, ExecState st) : IRowModifier
    {
        public Value[] Row = new Value[plan.Table.Types.Length];

        public bool TryBuild(ReadOnlySpan<byte> current, out ReadOnlyMemory<byte> newRow)
        {
            newRow = default;
            RowCodec.Decode(current, plan.Table.Layout, plan.Table.Types, Row);
            st.Eval.Row = Row;
            return plan.Where is null || plan.Where.Eval(st.Eval).IsTrue;
        }
    }

    public override async ValueTask<PgExecuteResult> RunAsync(SqlPortal portal, PgExecuteContext ctx, int maxRows)
    {
        var st = portal.State!;
        var scan = Scan();
        long n = 0;
        var rc = new Recheck(this, st);
        try
        {
            while (await scan.NextAsync(st))
            {
                var tid = scan is SeqScanOp s ? s.Tid : ((IndexScanOp)scan).Tid;
                var row = Returning is null ? scan.Row : (Value[])scan.Row.Clone();
                var r = await Table.Table.DeleteAsync(st.Tx, tid, rc, st.Ct);
                if (r.Status != ModifyStatus.Done) continue;
                WriteReturning(st, ctx, row);
                n++;
            }
        }
        finally { scan.Close(); }
        return PgExecuteResult.Complete(PgCommandTag.Delete(n));
    }
}
