using Borealis.Sql.Ast;

namespace Borealis.Sql.Parser;

/// <summary>Option lists: sequence options, CREATE DATABASE options, role options.</summary>
public sealed partial class SqlParser
{
    /// <summary>Sequence options (SeqOptList) until a token that cannot start one.</summary>
    private List<DefElem> ParseSequenceOptions()
    {
        var list = new List<DefElem>();
        while (true)
        {
            var t = Peek;
            if (t.Kind != TokenKind.Identifier)
            {
                return list;
            }

            switch (t.Keyword)
            {
                case Keyword.As:
                    _pos++;
                    list.Add(new DefElem("as", ParseSimpleTypeName(false)) { Position = t.Start });
                    break;
                case Keyword.Cache:
                    _pos++;
                    list.Add(new DefElem("cache", SignedNumber()) { Position = t.Start });
                    break;
                case Keyword.Cycle:
                    _pos++;
                    list.Add(new DefElem("cycle", new BooleanLiteral(true)) { Position = t.Start });
                    break;
                case Keyword.Increment:
                    _pos++;
                    Accept(Keyword.By);
                    list.Add(new DefElem("increment", SignedNumber()) { Position = t.Start });
                    break;
                case Keyword.Minvalue or Keyword.Maxvalue:
                    _pos++;
                    list.Add(new DefElem(t.Value!, SignedNumber()) { Position = t.Start });
                    break;
                case Keyword.No:
                {
                    _pos++;
                    if (!Is(Keyword.Minvalue) && !Is(Keyword.Maxvalue) && !Is(Keyword.Cycle))
                    {
                        throw SyntaxError();
                    }

                    var what = Advance();
                    list.Add(new DefElem(what.Value!, what.Keyword == Keyword.Cycle ? new BooleanLiteral(false) : null) { Position = t.Start });
                    break;
                }

                case Keyword.Owned:
                {
                    _pos++;
                    Expect(Keyword.By);
                    var names = Accept(Keyword.None) ? ["none"] : AnyName();
                    list.Add(new DefElem("owned_by", new NameList(names)) { Position = t.Start });
                    break;
                }

                case Keyword.Start:
                    _pos++;
                    Accept(Keyword.With);
                    list.Add(new DefElem("start", SignedNumber()) { Position = t.Start });
                    break;
                case Keyword.Restart:
                {
                    _pos++;
                    var with = Accept(Keyword.With);
                    Expr? value = with || Peek.Kind is TokenKind.Integer or TokenKind.Numeric or TokenKind.Minus or TokenKind.Plus ? SignedNumber() : null;
                    list.Add(new DefElem("restart", value) { Position = t.Start });
                    break;
                }

                case Keyword.Sequence when IsAt(1, Keyword.Name):
                    _pos += 2;
                    list.Add(new DefElem("sequence_name", new NameList(AnyName())) { Position = t.Start });
                    break;
                default:
                    return list;
            }
        }
    }

    private Expr SignedNumber()
    {
        var t = Peek;
        if (t.Kind is TokenKind.Minus or TokenKind.Plus)
        {
            _pos++;
            var n = Peek;
            if (n.Kind is not (TokenKind.Integer or TokenKind.Numeric))
            {
                throw SyntaxError();
            }

            var lit = ParsePrimary();
            return t.Kind == TokenKind.Minus ? Negate(lit, t.Start) : lit;
        }

        if (t.Kind is not (TokenKind.Integer or TokenKind.Numeric))
        {
            throw SyntaxError();
        }

        return ParsePrimary();
    }

    /// <summary>Generic "name [=] value" options (CREATE DATABASE).</summary>
    private List<DefElem> ParseGenericOptions()
    {
        var list = new List<DefElem>();
        while (Peek.Kind == TokenKind.Identifier)
        {
            var start = Peek.Start;
            var name = Advance().Value!;
            if (name == "connection" && Is(Keyword.Limit))
            {
                _pos++;
                name = "connection_limit";
            }

            Accept(TokenKind.Equals);
            Node? arg = Accept(Keyword.Default) ? null : ParseOptionValue();
            list.Add(new DefElem(name, arg) { Position = start });
        }

        return list;
    }

    /// <summary>CREATE/ALTER ROLE options.</summary>
    private List<DefElem> ParseRoleOptions()
    {
        var list = new List<DefElem>();
        while (Peek.Kind == TokenKind.Identifier)
        {
            var t = Advance();
            switch (t.Keyword)
            {
                case Keyword.Password or Keyword.Encrypted:
                {
                    if (t.Keyword == Keyword.Encrypted)
                    {
                        Expect(Keyword.Password);
                    }

                    Node? arg = Accept(Keyword.Null) ? null : new StringLiteral(StringConstant());
                    list.Add(new DefElem("password", arg) { Position = t.Start });
                    break;
                }

                case Keyword.Connection:
                    Expect(Keyword.Limit);
                    list.Add(new DefElem("connectionlimit", SignedNumber()) { Position = t.Start });
                    break;
                case Keyword.Valid:
                    Expect(Keyword.Until);
                    list.Add(new DefElem("validuntil", new StringLiteral(StringConstant())) { Position = t.Start });
                    break;
                case Keyword.In:
                    if (!Accept(Keyword.Role))
                    {
                        Expect(Keyword.Group);
                    }

                    list.Add(new DefElem("addroleto", new NameList(RoleList())) { Position = t.Start });
                    break;
                case Keyword.Role or Keyword.Admin or Keyword.User:
                    list.Add(new DefElem(t.Keyword == Keyword.Admin ? "adminmembers" : "rolemembers", new NameList(RoleList())) { Position = t.Start });
                    break;
                case Keyword.Sysid:
                    list.Add(new DefElem("sysid", SignedNumber()) { Position = t.Start });
                    break;
                case Keyword.Inherit:
                    list.Add(new DefElem("inherit", new BooleanLiteral(true)) { Position = t.Start });
                    break;
                case Keyword.NotAKeyword:
                {
                    // superuser/nosuperuser, login/nologin, createdb, createrole, replication, bypassrls, …
                    var word = t.Value!;
                    var negated = word.StartsWith("no", StringComparison.Ordinal) && word != "noinherit" ? true : word == "noinherit";
                    var baseName = negated ? word[2..] : word;
                    if (baseName is not ("superuser" or "createdb" or "createrole" or "login" or "replication" or "bypassrls" or "inherit"))
                    {
                        throw SyntaxErrorAt(t);
                    }

                    list.Add(new DefElem(baseName, new BooleanLiteral(!negated)) { Position = t.Start });
                    break;
                }

                default:
                    throw SyntaxErrorAt(t);
            }
        }

        return list;
    }

    private List<string> RoleList()
    {
        var list = new List<string> { RoleSpec() };
        while (Accept(TokenKind.Comma))
        {
            list.Add(RoleSpec());
        }

        return list;
    }
}
