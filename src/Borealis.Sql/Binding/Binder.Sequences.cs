using Borealis.Engine.Catalog;
using Borealis.Sql.Ast;
using Borealis.Sql.Types;

namespace Borealis.Sql.Binding;

public sealed partial class Binder
{
    /// <summary>nextval/currval/setval on a sequence named by a text argument (evaluated synchronously over the catalog's async API).</summary>
    private BExpr BindSequenceFunction(string name, BExpr[] args, FuncCall f)
    {
        if (args.Length < 1) throw SqlErrors.UndefinedFunction($"{name}()", f.Position);
        args[0] = Coerce(args[0], SqlType.Text, false);
        for (int k = 1; k < args.Length; k++) args[k] = Coerce(args[k], k == 1 ? SqlType.Int8 : SqlType.Bool, false);
        var v = view;
        SequenceInfo Seq(string n)
        {
            var parts = n.Split('.');
            try { return parts.Length == 2 ? v.GetSequence(parts[0], parts[1]) : v.GetSequence(null, parts[0]); }
            catch (CatalogException) { throw SqlErrors.Make("42P01", $"relation \"{n}\" does not exist"); }
        }
        return new FuncExpr
        {
            Name = name,
            Args = args,
            Type = SqlType.Int8,
            Fn = name switch
            {
                "nextval" => (c, a) => Value.FromInt8(c.Db!.Catalog.NextValAsync(Seq(a[0].Str), c.Sequences!).AsTask().GetAwaiter().GetResult()),
                "currval" => (c, a) => Value.FromInt8(Catalog.CurrVal(Seq(a[0].Str), c.Sequences!)),
                _ => (c, a) => Value.FromInt8(c.Db!.Catalog.SetValAsync(Seq(a[0].Str), a[1].Int, a.Length < 3 || a[2].Bool, c.Sequences!).AsTask().GetAwaiter().GetResult()),
            },
        };
    }
}
