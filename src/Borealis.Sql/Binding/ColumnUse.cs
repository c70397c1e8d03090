namespace Borealis.Sql.Binding;

/// <summary>Which row columns a bound expression reads (for decoding only those).</summary>
public static class ColumnUse
{
    /// <summary>Adds the column indexes <paramref name="e"/> reads; false when that cannot be known (subqueries, unknown nodes).</summary>
    public static bool Collect(BExpr e, HashSet<int> into)
    {
        switch (e)
        {
            case ColExpr c: into.Add(c.Index); return true;
            case ConstExpr or ParamExpr: return true;
            case CastExpr x: return Collect(x.Arg, into);
            case NegExpr x: return Collect(x.Arg, into);
            case NotExpr x: return Collect(x.Arg, into);
            case IsNullExpr x: return Collect(x.Arg, into);
            case BoolTestBExpr x: return Collect(x.Arg, into);
            case ArithExpr x: return Collect(x.L, into) & Collect(x.R, into);
            case ConcatExpr x: return Collect(x.L, into) & Collect(x.R, into);
            case CmpExpr x: return Collect(x.L, into) & Collect(x.R, into);
            case DistinctExpr x: return Collect(x.L, into) & Collect(x.R, into);
            case LikeBExpr x: return Collect(x.Arg, into) & Collect(x.Pattern, into);
            case AndExpr x: return All(x.Args, into);
            case OrExpr x: return All(x.Args, into);
            case FuncExpr x: return All(x.Args, into);
            case InExpr x: return Collect(x.Arg, into) & All(x.List, into);
            case CaseBExpr x:
            {
                bool ok = (x.Arg is null || Collect(x.Arg, into)) && (x.Else is null || Collect(x.Else, into));
                foreach (var (w, t) in x.Whens) ok &= Collect(w, into) & Collect(t, into);
                return ok;
            }
            default: return false;
        }
    }

    private static bool All(BExpr[] es, HashSet<int> into)
    {
        bool ok = true;
        foreach (var e in es) ok &= Collect(e, into);
        return ok;
    }
}
