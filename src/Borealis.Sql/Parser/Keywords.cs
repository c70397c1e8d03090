namespace Borealis.Sql.Parser;

/// <summary>Keyword lookup and classification (PostgreSQL 15's kwlist.h, see KeywordTable.cs).</summary>
internal static partial class Keywords
{
    /// <summary>The longest keyword's length; longer words are never keywords.</summary>
    public const int MaxLength = 17;

    // Built on first use, after the tables in KeywordTable.cs are initialised.
    private static class Index
    {
        public static readonly Dictionary<string, Keyword>.AlternateLookup<ReadOnlySpan<char>> ByTextSpan =
            Build().GetAlternateLookup<ReadOnlySpan<char>>();
    }

    private static Dictionary<string, Keyword> Build()
    {
        var map = new Dictionary<string, Keyword>(Texts.Length, StringComparer.Ordinal);
        for (var i = 0; i < Texts.Length; i++)
        {
            map.Add(Texts[i], (Keyword)(i + 1));
        }

        return map;
    }

    /// <summary>The keyword spelled by <paramref name="lowered"/> (already lower case), or None.</summary>
    public static Keyword Lookup(ReadOnlySpan<char> lowered) =>
        lowered.Length <= MaxLength && Index.ByTextSpan.TryGetValue(lowered, out var kw) ? kw : Keyword.NotAKeyword;

    public static string Text(Keyword kw) => Texts[(int)kw - 1];

    public static KeywordCategory Category(Keyword kw) => Categories[(int)kw - 1];

    /// <summary>True when the keyword may follow an expression as a column label without AS.</summary>
    public static bool IsBareLabel(Keyword kw) => BareLabels[(int)kw - 1];

    public static int Count => Texts.Length;
}
