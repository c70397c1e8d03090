namespace Borealis.Redo.BTree;

/// <summary>Apply routine of the B+tree record family (<see cref="RedoFamilies.BTreeFirst"/>..<see cref="RedoFamilies.BTreeLast"/>).</summary>
public static class BTreeApply
{
    /// <summary>
    /// Applies one B+tree record's payload to a page body. Returns false, leaving the page
    /// untouched, when the payload is malformed or does not fit the page.
    /// </summary>
    public static bool Apply(Span<byte> page, RedoType type, ReadOnlySpan<byte> payload)
    {
        _ = page;
        _ = payload;
        return type switch
        {
            _ => false,
        };
    }
}
