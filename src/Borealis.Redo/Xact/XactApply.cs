namespace Borealis.Redo.Xact;

/// <summary>Apply routine of the transaction-status family (<see cref="RedoFamilies.XactFirst"/>..<see cref="RedoFamilies.XactLast"/>).</summary>
public static class XactApply
{
    /// <summary>
    /// Applies one record's payload to a page body; <paramref name="lsn"/> is the record's own
    /// LSN (a commit's status is its commit LSN). Returns false, leaving the page untouched,
    /// when the payload is malformed.
    /// </summary>
    public static bool Apply(Span<byte> page, RedoType type, ReadOnlySpan<byte> payload, ulong lsn)
    {
        _ = page;
        _ = payload;
        _ = lsn;
        return type switch
        {
            _ => false,
        };
    }

    /// <summary>Types of this family whose result depends on the record's LSN.</summary>
    public static bool IsLsnDependent(RedoType type) => type switch
    {
        _ => false,
    };
}
