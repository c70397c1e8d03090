using Borealis.Sql.Execution;
using Borealis.Sql.Types;

namespace Borealis.Sql.Binding;

/// <summary>A column of the enclosing query's current row, read from inside a correlated subquery.</summary>
public sealed class OuterColExpr : BExpr
{
    public int Index;
    public int Depth; // 1 = the immediately enclosing query
    public override Value Eval(EvalContext c) => c.Outer[^Depth][Index];
}

/// <summary>
/// A scalar subquery (correlated or not), run each time it is evaluated. Its operators run
/// synchronously here (expression evaluation is synchronous); 21000 when it returns two rows.
/// </summary>
public sealed class ScalarSubqueryExpr : BExpr
{
    public required Func<Op> Make;
    public bool Exists;

    public override Value Eval(EvalContext c)
    {
        var st = c.Exec ?? throw new InvalidOperationException("subquery outside an executing statement");
        var saveRow = c.Row;
        c.Outer.Add(saveRow);
        var op = Make();
        try
        {
            if (!op.NextAsync(st).AsTask().GetAwaiter().GetResult()) return Exists ? Value.FromBool(false) : Value.Null;
            if (Exists) return Value.FromBool(true);
            var v = op.Row[0];
            if (op.NextAsync(st).AsTask().GetAwaiter().GetResult()) throw SqlErrors.Make("21000", "more than one row returned by a subquery used as an expression");
            return v;
        }
        finally
        {
            op.Close();
            c.Outer.RemoveAt(c.Outer.Count - 1);
            c.Row = saveRow;
        }
    }
}

/// <summary>x IN (subquery), with three-valued logic (NULL when no match and a NULL was seen).</summary>
public sealed class InSubqueryExpr : BExpr
{
    public required BExpr Test;
    public required Func<Op> Make;

    public override Value Eval(EvalContext c)
    {
        var t = Test.Eval(c);
        var st = c.Exec ?? throw new InvalidOperationException("subquery outside an executing statement");
        var saveRow = c.Row;
        c.Outer.Add(saveRow);
        var op = Make();
        try
        {
            bool sawNull = false;
            while (op.NextAsync(st).AsTask().GetAwaiter().GetResult())
            {
                var v = op.Row[0];
                if (v.IsNull || t.IsNull) { sawNull = true; continue; }
                if (Ops.Compare(t, v) == 0) return Value.FromBool(true);
            }
            return sawNull ? Value.Null : Value.FromBool(false);
        }
        finally
        {
            op.Close();
            c.Outer.RemoveAt(c.Outer.Count - 1);
            c.Row = saveRow;
        }
    }
}

/// <summary>Rows computed at bind time (system views), with an optional filter.</summary>
public sealed class RowsOp(Value[][] rows, BExpr? filter) : Op
{
    private int _i;

    public override ValueTask<bool> NextAsync(ExecState st)
    {
        while (_i < rows.Length)
        {
            Row = rows[_i++];
            if (filter is null) return new(true);
            st.Eval.Row = Row;
            if (filter.Eval(st.Eval).IsTrue) return new(true);
        }
        return new(false);
    }
}
