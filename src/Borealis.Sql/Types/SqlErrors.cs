using Borealis.PgWire.Backend;

namespace Borealis.Sql.Types;

/// <summary>Client-visible errors with PostgreSQL's SQLSTATEs and message wording.</summary>
public static class SqlErrors
{
    public static PgErrorException Make(string code, string message, int position = -1) =>
        new(new PgError(code, message) { Position = position >= 0 ? position + 1 : 0 });

    public static PgErrorException InvalidText(string type, string text) => Make("22P02", $"invalid input syntax for type {type}: \"{text}\"");
    public static PgErrorException OutOfRange(string type) => Make("22003", $"{type} out of range");
    public static PgErrorException DivisionByZero() => Make("22012", "division by zero");
    public static PgErrorException Syntax(string message, int position = -1) => Make("42601", message, position);
    public static PgErrorException NotSupported(string what) => Make("0A000", $"{what} is not supported");
    public static PgErrorException UndefinedColumn(string name, int position) => Make("42703", $"column \"{name}\" does not exist", position);
    public static PgErrorException UndefinedTable(string name, int position) => Make("42P01", $"relation \"{name}\" does not exist", position);
    public static PgErrorException UndefinedFunction(string sig, int position) =>
        new(new PgError("42883", $"function {sig} does not exist") { Position = position + 1, Hint = "No function matches the given name and argument types. You might need to add explicit type casts." });
    public static PgErrorException DatatypeMismatch(string message, int position = -1) => Make("42804", message, position);
    public static PgErrorException OperatorDoesNotExist(string op, SqlType l, SqlType r, int position) =>
        new(new PgError("42883", $"operator does not exist: {l.Name} {op} {r.Name}") { Position = position + 1, Hint = "No operator matches the given name and argument types. You might need to add explicit type casts." });
}
