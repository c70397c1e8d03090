namespace Borealis.Redo.Heap;

/// <summary>Apply routine of the heap record family (<see cref="RedoFamilies.HeapFirst"/>..<see cref="RedoFamilies.HeapLast"/>).</summary>
public static class HeapApply
{
    /// <summary>
    /// Applies one heap record's payload to a page body. Returns false, leaving the page
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
