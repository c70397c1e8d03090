using Borealis.Engine.Heap;
using Borealis.Engine.Keys;

namespace Borealis.Engine.Access;

/// <summary>
/// One index of a table, as the catalog defines it: the row columns it covers (ordinals into the
/// table's layout), their key types and sort order, and whether it is unique.
/// Index entry key = the encoded columns (<see cref="KeyEncoder"/>) followed by the 8-byte
/// big-endian packed <see cref="Tid"/> of the version it points to; the value is empty. Unique
/// indexes have the same layout (several versions of one key coexist); uniqueness is checked over
/// the key prefix.
/// </summary>
public sealed class IndexDefinition
{
    public IndexDefinition(string name, int[] columns, KeyColumn[] keyColumns, bool unique)
    {
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(keyColumns);
        if (columns.Length == 0 || columns.Length != keyColumns.Length) throw new ArgumentException("an index needs one key column per indexed column", nameof(keyColumns));
        Name = name;
        Columns = columns;
        KeyColumns = keyColumns;
        Unique = unique;
    }

    public string Name { get; }
    public int[] Columns { get; }
    public KeyColumn[] KeyColumns { get; }
    public bool Unique { get; }
}

/// <summary>Outcome of an UPDATE / DELETE / SELECT FOR UPDATE|SHARE of one row.</summary>
public enum ModifyStatus : byte
{
    /// <summary>The row was updated, deleted or locked.</summary>
    Done = 0,
    /// <summary>
    /// Nothing done: the row was deleted concurrently, no longer satisfies the statement's quals
    /// (READ COMMITTED EvalPlanQual), or was already changed by this command.
    /// </summary>
    Skipped = 1,
}

/// <summary>Outcome of a modification: status, and the version now current (the new one for an update).</summary>
public readonly record struct ModifyResult(ModifyStatus Status, Tid Tid);

/// <summary>
/// The statement's per-row logic for UPDATE / DELETE / locking: re-checks the quals on the version
/// about to be changed (the one the snapshot saw, or the newest one after EvalPlanQual) and, for an
/// UPDATE, builds the new row from it. Return false to skip the row. For DELETE and locks
/// <paramref name="newRow"/> is ignored.
/// </summary>
public interface IRowModifier
{
    bool TryBuild(ReadOnlySpan<byte> current, out ReadOnlyMemory<byte> newRow);
}

/// <summary>A modifier that accepts every row and writes a fixed new row.</summary>
public sealed class FixedRow(ReadOnlyMemory<byte> row) : IRowModifier
{
    public static readonly FixedRow None = new(ReadOnlyMemory<byte>.Empty);

    public bool TryBuild(ReadOnlySpan<byte> current, out ReadOnlyMemory<byte> newRow)
    {
        newRow = row;
        return true;
    }
}

/// <summary>Row lock strength for <see cref="Table.LockRowAsync"/>.</summary>
public enum RowLockStrength : byte
{
    ForShare = 1,
    ForUpdate = 2,
}

/// <summary>A client-visible error from the table layer, with its PostgreSQL SQLSTATE.</summary>
public sealed class AccessException(string sqlState, string message) : Exception(message)
{
    public const string UniqueViolation = "23505";
    public const string LockNotAvailable = "55P03";
    public const string ProgramLimitExceeded = "54000";
    public string SqlState { get; } = sqlState;
}

/// <summary>Outcome of a point lookup: found or not, the version's address and the row length copied.</summary>
public readonly record struct LookupResult(bool Found, Tid Tid, int Length);
