using System.Collections;
using System.Reflection;
using Borealis.Sql.Ast;

namespace Borealis.Sql.Tests;

/// <summary>Structural tree equality that ignores source positions; reports the first difference.</summary>
internal static class AstComparer
{
    public static string? Difference(object? a, object? b, string path = "")
    {
        if (ReferenceEquals(a, b))
        {
            return null;
        }

        if (a is null || b is null)
        {
            return $"{path}: {Show(a)} vs {Show(b)}";
        }

        if (a is not string && b is not string && a is IEnumerable && b is IEnumerable)
        {
            return Sequence((IEnumerable)a, (IEnumerable)b, path);
        }

        if (a.GetType() != b.GetType())
        {
            return $"{path}: type {a.GetType().Name} vs {b.GetType().Name}";
        }

        if (a is string || a.GetType().IsPrimitive || a.GetType().IsEnum)
        {
            return a.Equals(b) ? null : $"{path}: {Show(a)} vs {Show(b)}";
        }

        foreach (var p in a.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (p.Name is "Position" or "EqualityContract" || p.GetIndexParameters().Length > 0)
            {
                continue;
            }

            var d = Difference(p.GetValue(a), p.GetValue(b), path + "." + p.Name);
            if (d is not null)
            {
                return d;
            }
        }

        return null;
    }

    private static string? Sequence(IEnumerable ea, IEnumerable eb, string path)
    {
        var la = ea.Cast<object?>().ToList();
        var lb = eb.Cast<object?>().ToList();
        if (la.Count != lb.Count)
        {
            return $"{path}: count {la.Count} vs {lb.Count}";
        }

        for (var i = 0; i < la.Count; i++)
        {
            var d = Difference(la[i], lb[i], $"{path}[{i}]");
            if (d is not null)
            {
                return d;
            }
        }

        return null;
    }

    private static string Show(object? o) => o switch
    {
        null => "null",
        Node n => n.GetType().Name + "(" + n + ")",
        _ => o.ToString() ?? "",
    };
}
