using Borealis.Sql.Ast;

namespace Borealis.Sql.Parser;

/// <summary>DECLARE … CURSOR, FETCH and MOVE (as psql sends with FETCH_COUNT).</summary>
public sealed partial class SqlParser
{
    private Statement ParseDeclareCursor()
    {
        var start = Expect(Keyword.Declare).Start;
        var name = ColId();
        var binary = false;
        var insensitive = false;
        bool? scroll = null;
        while (true)
        {
            if (Accept(Keyword.Binary))
            {
                binary = true;
            }
            else if (Accept(Keyword.Insensitive))
            {
                insensitive = true;
            }
            else if (Accept(Keyword.Asensitive))
            {
                insensitive = false;
            }
            else if (Accept(Keyword.Scroll))
            {
                scroll = true;
            }
            else if (Is(Keyword.No))
            {
                _pos++;
                Expect(Keyword.Scroll);
                scroll = false;
            }
            else
            {
                break;
            }
        }

        Expect(Keyword.Cursor);
        var hold = false;
        if (Accept(Keyword.With))
        {
            Expect(Keyword.Hold);
            hold = true;
        }
        else if (Accept(Keyword.Without))
        {
            Expect(Keyword.Hold);
        }

        Expect(Keyword.For);
        return new DeclareCursorStatement(name, binary, insensitive, scroll, hold, ParseSelectStatement()) { Position = start };
    }

    private long SignedIntegerConstant()
    {
        var negative = Accept(TokenKind.Minus);
        if (!negative)
        {
            Accept(TokenKind.Plus);
        }

        var t = Expect(TokenKind.Integer);
        return negative ? -t.Integer : t.Integer;
    }

    private Statement ParseFetch()
    {
        var verb = Advance();
        var move = verb.Keyword == Keyword.Move;
        var direction = FetchDirection.Forward;
        long count = 1;
        var needFromIn = false;
        var t = Peek;
        switch (t.Kind == TokenKind.Identifier ? t.Keyword : Keyword.NotAKeyword)
        {
            case Keyword.Next:
                _pos++;
                break;
            case Keyword.Prior:
                _pos++;
                direction = FetchDirection.Backward;
                break;
            case Keyword.First:
                _pos++;
                direction = FetchDirection.Absolute;
                break;
            case Keyword.Last:
                _pos++;
                direction = FetchDirection.Absolute;
                count = -1;
                break;
            case Keyword.Absolute or Keyword.Relative:
                _pos++;
                direction = t.Keyword == Keyword.Absolute ? FetchDirection.Absolute : FetchDirection.Relative;
                count = SignedIntegerConstant();
                break;
            case Keyword.All:
                _pos++;
                count = FetchStatement.All;
                break;
            case Keyword.Forward or Keyword.Backward:
                _pos++;
                direction = t.Keyword == Keyword.Forward ? FetchDirection.Forward : FetchDirection.Backward;
                if (Accept(Keyword.All))
                {
                    count = FetchStatement.All;
                }
                else if (Peek.Kind is TokenKind.Integer or TokenKind.Minus or TokenKind.Plus)
                {
                    count = SignedIntegerConstant();
                }

                break;
            case Keyword.From or Keyword.In:
                needFromIn = true;
                break;
            default:
                if (t.Kind is TokenKind.Integer or TokenKind.Minus or TokenKind.Plus)
                {
                    count = SignedIntegerConstant();
                }

                break;
        }

        if (!(Accept(Keyword.From) || Accept(Keyword.In)) && needFromIn)
        {
            throw SyntaxError();
        }

        return new FetchStatement(move, direction, count, ColId()) { Position = verb.Start };
    }
}
