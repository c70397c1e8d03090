using Borealis.Redo.Xact;

namespace Borealis.Engine.Txn;

/// <summary>
/// Transaction ids: 64-bit, handed out in increasing order, never wrapping or reused (the xid
/// counter page's ceiling survives restarts). 0 and 1 are special and never handed out.
/// </summary>
public static class Xids
{
    /// <summary>No transaction (an unset xmax).</summary>
    public const ulong Invalid = 0;
    /// <summary>Inserted by a transaction every snapshot sees (vacuum freezes old xmins to it).</summary>
    public const ulong Frozen = 1;
    public const ulong FirstNormal = 2;

    /// <summary>
    /// The status <see cref="XactStore"/> reports for <see cref="Frozen"/>: committed at LSN 2, at or
    /// below every read point that can see any tuple (LSN 1 formats the super block).
    /// </summary>
    public const ulong FrozenStatus = 2;

    public static bool IsCommitted(ulong status) => status > XactLayout.StatusAborted;
}
