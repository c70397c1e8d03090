using Borealis.Sql.Ast;

namespace Borealis.Sql.Parser;

/// <summary>Type names (gram.y Typename), normalising SQL-standard spellings as PostgreSQL does.</summary>
public sealed partial class SqlParser
{
    private static readonly IReadOnlyList<Expr> NoModifiers = [];
    private static readonly IReadOnlyList<int> NoBounds = [];

    /// <summary>Parses a type name. allowArray is false for typed literals (type 'text'), where
    /// array bounds and char's implicit length do not apply.</summary>
    private TypeName ParseTypeName(bool allowArray = true)
    {
        var start = Peek.Start;
        var setof = allowArray && Accept(Keyword.Setof);
        var type = ParseSimpleTypeName(!allowArray);
        if (!allowArray)
        {
            return type;
        }

        var bounds = new List<int>();
        if (Is(Keyword.Array))
        {
            _pos++;
            if (Accept(TokenKind.LBracket))
            {
                bounds.Add(ArrayBound());
                Expect(TokenKind.RBracket);
            }
            else
            {
                bounds.Add(-1);
            }
        }
        else
        {
            while (Accept(TokenKind.LBracket))
            {
                bounds.Add(Is(TokenKind.RBracket) ? -1 : ArrayBound());
                Expect(TokenKind.RBracket);
            }
        }

        return type with { ArrayBounds = bounds.Count == 0 ? NoBounds : bounds, Setof = setof, Position = start };
    }

    private int ArrayBound()
    {
        var t = Expect(TokenKind.Integer);
        return (int)Math.Clamp(t.Integer, 0, int.MaxValue);
    }

    private TypeName SystemType(string name, IReadOnlyList<Expr>? mods, int start) =>
        new(["pg_catalog", name], mods ?? NoModifiers, NoBounds) { Position = start };

    /// <summary>'(' Iconst ')' for character and bit lengths.</summary>
    private List<Expr>? OptLength()
    {
        if (!Accept(TokenKind.LParen))
        {
            return null;
        }

        var t = Expect(TokenKind.Integer);
        Expect(TokenKind.RParen);
        return [new IntegerLiteral(t.Integer) { Position = t.Start }];
    }

    private List<Expr>? OptTypeModifiers()
    {
        if (!Is(TokenKind.LParen))
        {
            return null;
        }

        _pos++;
        var list = ParseExprList();
        Expect(TokenKind.RParen);
        return list;
    }

    private TypeName ParseSimpleTypeName(bool constContext)
    {
        var t = Peek;
        var start = t.Start;
        if (t.Kind == TokenKind.Identifier)
        {
            switch (t.Keyword)
            {
                case Keyword.Int or Keyword.Integer:
                    _pos++;
                    return SystemType("int4", null, start);
                case Keyword.Smallint:
                    _pos++;
                    return SystemType("int2", null, start);
                case Keyword.Bigint:
                    _pos++;
                    return SystemType("int8", null, start);
                case Keyword.Real:
                    _pos++;
                    return SystemType("float4", null, start);
                case Keyword.Boolean:
                    _pos++;
                    return SystemType("bool", null, start);
                case Keyword.Double when IsAt(1, Keyword.Precision):
                    _pos += 2;
                    return SystemType("float8", null, start);
                case Keyword.Float:
                {
                    _pos++;
                    if (Accept(TokenKind.LParen))
                    {
                        var p = Expect(TokenKind.Integer);
                        Expect(TokenKind.RParen);
                        if (p.Integer < 1)
                        {
                            throw GrammarError("precision for type float must be at least 1 bit", p, SqlStates.InvalidParameterValue);
                        }

                        if (p.Integer > 53)
                        {
                            throw GrammarError("precision for type float must be less than 54 bits", p, SqlStates.InvalidParameterValue);
                        }

                        return SystemType(p.Integer <= 24 ? "float4" : "float8", null, start);
                    }

                    return SystemType("float8", null, start);
                }

                case Keyword.Dec or Keyword.Decimal or Keyword.Numeric:
                    _pos++;
                    return SystemType("numeric", OptTypeModifiers(), start);
                case Keyword.Bit:
                {
                    _pos++;
                    var varying = Accept(Keyword.Varying);
                    var mods = OptLength();
                    if (mods is null && !varying && !constContext)
                    {
                        mods = [new IntegerLiteral(1)];
                    }

                    return SystemType(varying ? "varbit" : "bit", mods, start);
                }

                case Keyword.Character or Keyword.Char or Keyword.Nchar or Keyword.National or Keyword.Varchar:
                {
                    _pos++;
                    var varying = t.Keyword == Keyword.Varchar;
                    if (t.Keyword == Keyword.National)
                    {
                        if (!Accept(Keyword.Character))
                        {
                            Expect(Keyword.Char);
                        }
                    }

                    if (!varying)
                    {
                        varying = Accept(Keyword.Varying);
                    }

                    var mods = OptLength();
                    if (mods is null && !varying && !constContext)
                    {
                        mods = [new IntegerLiteral(1)];
                    }

                    return SystemType(varying ? "varchar" : "bpchar", mods, start);
                }

                case Keyword.Timestamp or Keyword.Time:
                {
                    _pos++;
                    var mods = OptTypeModifiers();
                    var zone = false;
                    if (Is(Keyword.With) && IsAt(1, Keyword.Time) && IsAt(2, Keyword.Zone))
                    {
                        _pos += 3;
                        zone = true;
                    }
                    else if (Is(Keyword.Without) && IsAt(1, Keyword.Time) && IsAt(2, Keyword.Zone))
                    {
                        _pos += 3;
                    }

                    var name = t.Keyword == Keyword.Timestamp ? (zone ? "timestamptz" : "timestamp") : (zone ? "timetz" : "time");
                    return SystemType(name, mods, start);
                }

                case Keyword.Interval:
                {
                    _pos++;
                    if (Is(TokenKind.LParen))
                    {
                        return SystemType("interval", OptTypeModifiers(), start);
                    }

                    var fields = constContext ? null : ParseIntervalFields();
                    return SystemType("interval", null, start) with { IntervalFields = fields };
                }
            }
        }

        if (!IsTypeFuncName(t))
        {
            throw SyntaxError();
        }

        var names = new List<string> { Advance().Value! };
        while (Is(TokenKind.Dot))
        {
            _pos++;
            names.Add(ColLabel());
        }

        var modifiers = OptTypeModifiers();
        return new TypeName(names, modifiers ?? NoModifiers, NoBounds) { Position = start };
    }

    /// <summary>opt_interval: YEAR | MONTH | … | DAY TO SECOND(p) …; null when absent.</summary>
    private string? ParseIntervalFields()
    {
        static bool IsField(Token t) =>
            t.Kind == TokenKind.Identifier && t.Keyword is Keyword.Year or Keyword.Month or Keyword.Day or Keyword.Hour or Keyword.Minute or Keyword.Second;

        if (!IsField(Peek))
        {
            return null;
        }

        var first = Advance().Value!;
        var text = first;
        if (first == "second" && Is(TokenKind.LParen))
        {
            _pos++;
            text += "(" + Expect(TokenKind.Integer).Integer + ")";
            Expect(TokenKind.RParen);
            return text;
        }

        if (Is(Keyword.To))
        {
            _pos++;
            var to = Peek;
            var ok = first switch
            {
                "year" => to.IsKeyword(Keyword.Month),
                "day" => to.IsKeyword(Keyword.Hour) || to.IsKeyword(Keyword.Minute) || to.IsKeyword(Keyword.Second),
                "hour" => to.IsKeyword(Keyword.Minute) || to.IsKeyword(Keyword.Second),
                "minute" => to.IsKeyword(Keyword.Second),
                _ => false,
            };
            if (!ok)
            {
                throw SyntaxError();
            }

            _pos++;
            text += " to " + to.Value;
            if (to.Keyword == Keyword.Second && Is(TokenKind.LParen))
            {
                _pos++;
                text += "(" + Expect(TokenKind.Integer).Integer + ")";
                Expect(TokenKind.RParen);
            }
        }

        return text;
    }
}
