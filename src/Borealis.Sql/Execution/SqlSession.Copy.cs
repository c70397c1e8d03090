using System.Text;
using Borealis.PgWire.Backend;
using Borealis.PgWire.Protocol;
using Borealis.Sql.Ast;
using Borealis.Sql.Types;

namespace Borealis.Sql.Execution;

public sealed partial class SqlSession
{
    /// <summary>COPY table [(cols)] FROM STDIN in text format (tab-separated, \N for NULL, backslash escapes).</summary>
    private async ValueTask<PgCommandTag> CopyFromStdinAsync(CopyStatement c, PgExecuteContext ctx, CancellationToken ct)
    {
        if (!c.IsFrom || c.FileName is not null || c.IsProgram || c.Table is null) throw SqlErrors.NotSupported("COPY other than FROM STDIN");
        foreach (var o in c.Options)
            if (o.Name is "format" && o.Arg is not null && !o.Arg.ToString().Contains("text", StringComparison.OrdinalIgnoreCase))
                throw SqlErrors.NotSupported("COPY formats other than text");
        var tx = EnsureTx();
        var view = engine.Db.Catalog.View(tx);
        var info = view.FindTable(c.Table.Schema, c.Table.Name) ?? throw SqlErrors.UndefinedTable(c.Table.Name, c.Table.Position);
        var t = await engine.OpenAsync(info, ct);
        var target = c.Columns.Count == 0
            ? info.Columns.Select(x => x.AttNum - 1).ToArray()
            : c.Columns.Select(n => (t.Info.FindColumn(n) ?? throw SqlErrors.Make("42703", $"column \"{n}\" of relation \"{info.Name}\" does not exist")).AttNum - 1).ToArray();
        await ctx.BeginCopyInAsync(PgFormat.Text, target.Length, ct);
        var pending = new List<byte>();
        long n = 0;
        var row = new Value[t.Types.Length];
        byte[] buf = new byte[256];
        bool done = false;
        while (!done && await ctx.ReadCopyDataAsync(ct))
        {
            pending.AddRange(ctx.CopyData.Span);
            int start = 0;
            var arr = pending.ToArray();
            for (int i = 0; i < arr.Length; i++)
            {
                if (arr[i] != (byte)'\n') continue;
                string line = Encoding.UTF8.GetString(arr, start, i - start).TrimEnd('\r');
                start = i + 1;
                if (line == "\\.") { done = true; break; }
                await InsertCopyLineAsync(t, target, line, row, ref buf, tx, ct);
                n++;
            }
            pending.RemoveRange(0, start);
        }
        if (pending.Count > 0)
        {
            string line = Encoding.UTF8.GetString(pending.ToArray()).TrimEnd('\r');
            if (line != "\\." && line.Length > 0) { await InsertCopyLineAsync(t, target, line, row, ref buf, tx, ct); n++; }
        }
        while (done && await ctx.ReadCopyDataAsync(ct)) { }
        tx.CommandCounterIncrement();
        return PgCommandTag.Copy(n);
    }

    private ValueTask InsertCopyLineAsync(TableRt t, int[] target, string line, Value[] row, ref byte[] buf, Engine.Txn.Transaction tx, CancellationToken ct)
    {
        var fields = line.Split('\t');
        if (fields.Length != target.Length)
            throw SqlErrors.Make("22P04", fields.Length < target.Length ? $"missing data for column \"{t.Info.AllColumns[target[fields.Length]].Name}\"" : "extra data after last expected column");
        for (int i = 0; i < row.Length; i++) row[i] = Value.Null;
        for (int k = 0; k < target.Length; k++)
        {
            string f = fields[k];
            if (f == "\\N") continue;
            if (f.Contains('\\', StringComparison.Ordinal)) f = Unescape(f);
            row[target[k]] = Ops.Parse(f, t.Types[target[k]]);
        }
        for (int i = 0; i < row.Length; i++)
        {
            var col = t.Info.AllColumns[i];
            if (row[i].IsNull && col.NotNull && !col.Dropped)
                throw new PgErrorException(new PgError("23502", $"null value in column \"{col.Name}\" of relation \"{t.Info.Name}\" violates not-null constraint"));
        }
        int len = RowCodec.Encode(row, t.Types, ref buf);
        var bytes = buf.AsMemory(0, len).ToArray();
        return new ValueTask(t.Table.InsertAsync(tx, bytes, ct).AsTask());
    }

    private static string Unescape(string f)
    {
        var sb = new StringBuilder(f.Length);
        for (int i = 0; i < f.Length; i++)
        {
            char ch = f[i];
            if (ch != '\\' || i + 1 >= f.Length) { sb.Append(ch); continue; }
            char e = f[++i];
            sb.Append(e switch { 't' => '\t', 'n' => '\n', 'r' => '\r', 'b' => '\b', 'f' => '\f', 'v' => '\v', _ => e });
        }
        return sb.ToString();
    }
}
