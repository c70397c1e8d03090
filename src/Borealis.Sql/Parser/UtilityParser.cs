using Borealis.Sql.Ast;

namespace Borealis.Sql.Parser;

/// <summary>Transaction control, SET/SHOW/RESET, DISCARD, VACUUM/ANALYZE, COPY, EXPLAIN,
/// PREPARE/EXECUTE/DEALLOCATE, LOCK, DO, LISTEN/NOTIFY.</summary>
public sealed partial class SqlParser
{
    private Statement ParseTransaction()
    {
        var t = Advance();
        var start = t.Start;
        switch (t.Keyword)
        {
            case Keyword.Begin:
                _ = Accept(Keyword.Work) || Accept(Keyword.Transaction);
                return new TransactionStatement(TransactionKind.Begin, ParseTransactionModes()) { Position = start };
            case Keyword.Start:
                Expect(Keyword.Transaction);
                return new TransactionStatement(TransactionKind.Start, ParseTransactionModes()) { Position = start };
            case Keyword.Commit or Keyword.End:
            {
                if (t.Keyword == Keyword.Commit && Accept(Keyword.Prepared))
                {
                    return new TransactionStatement(TransactionKind.CommitPrepared, [], StringConstant()) { Position = start };
                }

                _ = Accept(Keyword.Work) || Accept(Keyword.Transaction);
                return new TransactionStatement(TransactionKind.Commit, [], null, ParseChain()) { Position = start };
            }

            case Keyword.Rollback or Keyword.Abort:
            {
                if (t.Keyword == Keyword.Rollback && Accept(Keyword.Prepared))
                {
                    return new TransactionStatement(TransactionKind.RollbackPrepared, [], StringConstant()) { Position = start };
                }

                _ = Accept(Keyword.Work) || Accept(Keyword.Transaction);
                if (t.Keyword == Keyword.Rollback && Accept(Keyword.To))
                {
                    SkipOptionalSavepointWord();
                    return new TransactionStatement(TransactionKind.RollbackTo, [], ColId()) { Position = start };
                }

                return new TransactionStatement(TransactionKind.Rollback, [], null, ParseChain()) { Position = start };
            }

            case Keyword.Savepoint:
                return new TransactionStatement(TransactionKind.Savepoint, [], ColId()) { Position = start };
            case Keyword.Release:
                SkipOptionalSavepointWord();
                return new TransactionStatement(TransactionKind.Release, [], ColId()) { Position = start };
            case Keyword.Prepare:
                Expect(Keyword.Transaction);
                return new TransactionStatement(TransactionKind.PrepareTransaction, [], StringConstant()) { Position = start };
            default:
                throw SyntaxErrorAt(t);
        }
    }

    /// <summary>The optional SAVEPOINT noise word, unless it is the savepoint's name.</summary>
    private void SkipOptionalSavepointWord()
    {
        if (Is(Keyword.Savepoint) && IsColId(PeekAt(1)))
        {
            _pos++;
        }
    }

    private bool ParseChain()
    {
        if (!Accept(Keyword.And))
        {
            return false;
        }

        var no = Accept(Keyword.No);
        Expect(Keyword.Chain);
        return !no;
    }

    /// <summary>transaction_mode_list: modes separated by commas or spaces.</summary>
    private List<DefElem> ParseTransactionModes()
    {
        var list = new List<DefElem>();
        while (true)
        {
            var t = Peek;
            if (Is(Keyword.Isolation))
            {
                _pos++;
                Expect(Keyword.Level);
                string level;
                if (Accept(Keyword.Serializable))
                {
                    level = "serializable";
                }
                else if (Accept(Keyword.Repeatable))
                {
                    Expect(Keyword.Read);
                    level = "repeatable read";
                }
                else
                {
                    Expect(Keyword.Read);
                    level = Accept(Keyword.Committed) ? "read committed" : Expect(Keyword.Uncommitted).Keyword == Keyword.Uncommitted ? "read uncommitted" : "";
                }

                list.Add(new DefElem("transaction_isolation", new StringLiteral(level)) { Position = t.Start });
            }
            else if (Is(Keyword.Read))
            {
                _pos++;
                if (!Is(Keyword.Only) && !Is(Keyword.Write))
                {
                    throw SyntaxError();
                }

                var readOnly = Advance().Keyword == Keyword.Only;
                list.Add(new DefElem("transaction_read_only", new BooleanLiteral(readOnly)) { Position = t.Start });
            }
            else if (Is(Keyword.Deferrable))
            {
                _pos++;
                list.Add(new DefElem("transaction_deferrable", new BooleanLiteral(true)) { Position = t.Start });
            }
            else if (Is(Keyword.Not))
            {
                _pos++;
                Expect(Keyword.Deferrable);
                list.Add(new DefElem("transaction_deferrable", new BooleanLiteral(false)) { Position = t.Start });
            }
            else if (list.Count > 0 && _tokens[_pos - 1].Kind == TokenKind.Comma)
            {
                throw SyntaxError();
            }
            else
            {
                return list;
            }

            Accept(TokenKind.Comma);
        }
    }

    /// <summary>var_name: ColId { '.' ColId }.</summary>
    private string VarName()
    {
        var name = ColId();
        while (Accept(TokenKind.Dot))
        {
            name += "." + ColId();
        }

        return name;
    }

    private Statement ParseSet()
    {
        var start = Expect(Keyword.Set).Start;
        if (Is(Keyword.Session) && IsAt(1, Keyword.Characteristics))
        {
            _pos += 2;
            Expect(Keyword.As);
            Expect(Keyword.Transaction);
            return new SetStatement(SetKind.SessionCharacteristics, null, [], false, ParseTransactionModes()) { Position = start };
        }

        var local = false;
        if (Accept(Keyword.Local))
        {
            local = true;
        }
        else if (Is(Keyword.Session) && !IsAt(1, Keyword.Authorization) && !(PeekAt(1).Kind is TokenKind.Equals || IsAt(1, Keyword.To)))
        {
            _pos++;
        }

        if (Is(Keyword.Transaction) && !(PeekAt(1).Kind is TokenKind.Equals || IsAt(1, Keyword.To)))
        {
            _pos++;
            var modes = ParseTransactionModes();
            if (modes.Count == 0)
            {
                throw SyntaxError();
            }

            return new SetStatement(SetKind.Transaction, null, [], local, modes) { Position = start };
        }

        if (Is(Keyword.Time) && IsAt(1, Keyword.Zone))
        {
            _pos += 2;
            if (Accept(Keyword.Default) || Accept(Keyword.Local))
            {
                return new SetStatement(SetKind.Default, "timezone", [], local, []) { Position = start };
            }

            return new SetStatement(SetKind.Value, "timezone", [ParseSetValue()], local, []) { Position = start };
        }

        if (Is(Keyword.Names) && !(PeekAt(1).Kind is TokenKind.Equals || IsAt(1, Keyword.To)))
        {
            _pos++;
            if (Accept(Keyword.Default) || !Is(TokenKind.String))
            {
                return new SetStatement(SetKind.Default, "client_encoding", [], local, []) { Position = start };
            }

            return new SetStatement(SetKind.Value, "client_encoding", [ParseSetValue()], local, []) { Position = start };
        }

        if (Is(Keyword.Schema) && PeekAt(1).Kind == TokenKind.String)
        {
            _pos++;
            return new SetStatement(SetKind.Value, "search_path", [ParseSetValue()], local, []) { Position = start };
        }

        if (Is(Keyword.Session) && IsAt(1, Keyword.Authorization))
        {
            _pos += 2;
            if (Accept(Keyword.Default))
            {
                return new SetStatement(SetKind.Default, "session_authorization", [], local, []) { Position = start };
            }

            return new SetStatement(SetKind.Value, "session_authorization", [ParseSetValue()], local, []) { Position = start };
        }

        if (Is(Keyword.Role) && !(PeekAt(1).Kind is TokenKind.Equals || IsAt(1, Keyword.To)))
        {
            _pos++;
            return new SetStatement(SetKind.Value, "role", [ParseSetValue()], local, []) { Position = start };
        }

        var name = VarName();
        if (Accept(Keyword.From))
        {
            Expect(Keyword.Current);
            return new SetStatement(SetKind.FromCurrent, name, [], local, []) { Position = start };
        }

        if (!Accept(Keyword.To))
        {
            Expect(TokenKind.Equals);
        }

        if (Accept(Keyword.Default))
        {
            return new SetStatement(SetKind.Default, name, [], local, []) { Position = start };
        }

        var values = new List<Expr> { ParseSetValue() };
        while (Accept(TokenKind.Comma))
        {
            values.Add(ParseSetValue());
        }

        return new SetStatement(SetKind.Value, name, values, local, []) { Position = start };
    }

    /// <summary>var_value: a word or string (as a string) or a signed number.</summary>
    private Expr ParseSetValue()
    {
        var t = Peek;
        switch (t.Kind)
        {
            case TokenKind.String:
                _pos++;
                return new StringLiteral(t.Value!) { Position = t.Start };
            case TokenKind.Integer or TokenKind.Numeric or TokenKind.Minus or TokenKind.Plus:
                return SignedNumber();
            case TokenKind.QuotedIdentifier:
                _pos++;
                return new StringLiteral(t.Value!) { Position = t.Start };
            case TokenKind.Identifier when t.Keyword is Keyword.NotAKeyword or Keyword.True or Keyword.False or Keyword.On
                || Keywords.Category(t.Keyword) != KeywordCategory.Reserved:
                _pos++;
                return new StringLiteral(t.Value!) { Position = t.Start };
            default:
                throw SyntaxError();
        }
    }

    /// <summary>The variable named by SHOW/RESET, with PostgreSQL's special spellings.</summary>
    private string ShowVariable()
    {
        if (Is(Keyword.Time) && IsAt(1, Keyword.Zone))
        {
            _pos += 2;
            return "timezone";
        }

        if (Is(Keyword.Transaction) && IsAt(1, Keyword.Isolation))
        {
            _pos += 2;
            Expect(Keyword.Level);
            return "transaction_isolation";
        }

        if (Is(Keyword.Session) && IsAt(1, Keyword.Authorization))
        {
            _pos += 2;
            return "session_authorization";
        }

        if (Accept(Keyword.All))
        {
            return "all";
        }

        return VarName();
    }

    private Statement ParseShow()
    {
        var start = Expect(Keyword.Show).Start;
        return new ShowStatement(ShowVariable()) { Position = start };
    }

    private Statement ParseReset()
    {
        var start = Expect(Keyword.Reset).Start;
        var name = ShowVariable();
        return name == "all"
            ? new SetStatement(SetKind.ResetAll, null, [], false, []) { Position = start }
            : new SetStatement(SetKind.Reset, name, [], false, []) { Position = start };
    }

    private Statement ParseDiscard()
    {
        var start = Expect(Keyword.Discard).Start;
        var t = Advance();
        DiscardTarget target = (t.Kind == TokenKind.Identifier ? t.Keyword : Keyword.NotAKeyword) switch
        {
            Keyword.All => DiscardTarget.All,
            Keyword.Plans => DiscardTarget.Plans,
            Keyword.Sequences => DiscardTarget.Sequences,
            Keyword.Temp or Keyword.Temporary => DiscardTarget.Temp,
            _ => throw SyntaxErrorAt(t),
        };
        return new DiscardStatement(target) { Position = start };
    }

    /// <summary>'(' name [value], … ')' utility options (EXPLAIN, VACUUM, COPY).</summary>
    private List<DefElem> ParseUtilityOptions(bool anyLabel = false)
    {
        Expect(TokenKind.LParen);
        var list = new List<DefElem>();
        do
        {
            var t = Peek;
            if (!IsColLabel(t) ||
                (!anyLabel && CategoryOf(t) == KeywordCategory.Reserved && t.Keyword is not (Keyword.Analyze or Keyword.Analyse)))
            {
                throw SyntaxError();
            }

            _pos++;
            Node? arg = null;
            var v = Peek;
            if (v.Kind is TokenKind.String or TokenKind.Integer or TokenKind.Numeric or TokenKind.Minus or TokenKind.Plus
                || (v.Kind is TokenKind.Identifier or TokenKind.QuotedIdentifier))
            {
                arg = ParseOptionValue();
            }
            else if (v.Kind == TokenKind.Star)
            {
                _pos++;
                arg = new ColumnRef([], true) { Position = v.Start };
            }
            else if (v.Kind == TokenKind.LParen)
            {
                arg = new NameList(ParenColIdList()) { Position = v.Start };
            }

            list.Add(new DefElem(t.Value!, arg) { Position = t.Start });
        }
        while (Accept(TokenKind.Comma));
        Expect(TokenKind.RParen);
        return list;
    }

    private Statement ParseVacuum()
    {
        var t = Advance();
        var isVacuum = t.Keyword == Keyword.Vacuum;
        List<DefElem> options;
        if (Is(TokenKind.LParen))
        {
            options = ParseUtilityOptions();
        }
        else
        {
            options = [];
            while (true)
            {
                var o = Peek;
                if (isVacuum && (Is(Keyword.Full) || Is(Keyword.Freeze) || Is(Keyword.Verbose) || Is(Keyword.Analyze) || Is(Keyword.Analyse)))
                {
                    _pos++;
                    options.Add(new DefElem(o.Keyword == Keyword.Analyse ? "analyze" : o.Value!, null) { Position = o.Start });
                }
                else if (!isVacuum && Is(Keyword.Verbose))
                {
                    _pos++;
                    options.Add(new DefElem("verbose", null) { Position = o.Start });
                }
                else
                {
                    break;
                }
            }
        }

        var relations = new List<VacuumRelation>();
        if (IsColId(Peek))
        {
            do
            {
                var p = Peek.Start;
                var name = QualifiedName();
                IReadOnlyList<string> cols = Is(TokenKind.LParen) ? ParenColIdList() : [];
                relations.Add(new VacuumRelation(name, cols) { Position = p });
            }
            while (Accept(TokenKind.Comma));
        }

        return new VacuumStatement(isVacuum, options, relations) { Position = t.Start };
    }

    private Statement ParseCopy()
    {
        var start = Expect(Keyword.Copy).Start;
        var options = new List<DefElem>();
        QualifiedName? table = null;
        Statement? query = null;
        IReadOnlyList<string> columns = [];
        if (Is(TokenKind.LParen))
        {
            _pos++;
            query = Peek.Kind == TokenKind.Identifier && Peek.Keyword is Keyword.Insert or Keyword.Update or Keyword.Delete
                ? ParseStatement()
                : ParseSelectStatement();
            Expect(TokenKind.RParen);
        }
        else
        {
            if (Is(Keyword.Binary))
            {
                options.Add(new DefElem("format", new StringLiteral("binary")) { Position = Advance().Start });
            }

            table = QualifiedName();
            if (Is(TokenKind.LParen))
            {
                columns = ParenColIdList();
            }
        }

        bool isFrom;
        if (Accept(Keyword.From))
        {
            isFrom = true;
        }
        else
        {
            Expect(Keyword.To);
            isFrom = false;
        }

        if (query is not null && isFrom)
        {
            throw SyntaxErrorAt(_tokens[_pos - 1]);
        }

        var program = Accept(Keyword.Program);
        string? file = null;
        if (Is(TokenKind.String))
        {
            file = StringConstant();
        }
        else if (program || !(Accept(Keyword.Stdin) || Accept(Keyword.Stdout)))
        {
            throw SyntaxError();
        }

        if (Is(Keyword.Using) && IsAt(1, Keyword.Delimiters) || Is(Keyword.Delimiters))
        {
            var p = Peek.Start;
            Accept(Keyword.Using);
            _pos++;
            options.Add(new DefElem("delimiter", new StringLiteral(StringConstant())) { Position = p });
        }

        Accept(Keyword.With);
        if (Is(TokenKind.LParen))
        {
            options.AddRange(ParseUtilityOptions(anyLabel: true));
        }
        else
        {
            ParseOldCopyOptions(options);
        }

        Expr? where = null;
        if (Accept(Keyword.Where))
        {
            where = ParseExpr();
        }

        return new CopyStatement(table, columns, query, isFrom, program, file, options, where) { Position = start };
    }

    /// <summary>Pre-9.0 COPY options: BINARY, CSV, HEADER, DELIMITER [AS] 'x', NULL [AS] 'x', …</summary>
    private void ParseOldCopyOptions(List<DefElem> options)
    {
        while (Peek.Kind == TokenKind.Identifier)
        {
            var t = Peek;
            switch (t.Keyword)
            {
                case Keyword.Binary:
                    _pos++;
                    options.Add(new DefElem("format", new StringLiteral("binary")) { Position = t.Start });
                    break;
                case Keyword.Csv:
                    _pos++;
                    options.Add(new DefElem("format", new StringLiteral("csv")) { Position = t.Start });
                    break;
                case Keyword.Header:
                    _pos++;
                    options.Add(new DefElem("header", null) { Position = t.Start });
                    break;
                case Keyword.Freeze:
                    _pos++;
                    options.Add(new DefElem("freeze", null) { Position = t.Start });
                    break;
                case Keyword.Delimiter or Keyword.Null or Keyword.Quote or Keyword.Escape or Keyword.Encoding:
                    _pos++;
                    Accept(Keyword.As);
                    options.Add(new DefElem(t.Value!, new StringLiteral(StringConstant())) { Position = t.Start });
                    break;
                case Keyword.Force:
                {
                    _pos++;
                    string name;
                    if (Accept(Keyword.Quote))
                    {
                        name = "force_quote";
                    }
                    else if (Accept(Keyword.Not))
                    {
                        Expect(Keyword.Null);
                        name = "force_not_null";
                    }
                    else
                    {
                        Expect(Keyword.Null);
                        name = "force_null";
                    }

                    Node arg;
                    if (Is(TokenKind.Star))
                    {
                        arg = new ColumnRef([], true) { Position = Advance().Start };
                    }
                    else
                    {
                        arg = new NameList(ColIdList());
                    }

                    options.Add(new DefElem(name, arg) { Position = t.Start });
                    break;
                }

                default:
                    return;
            }
        }
    }

    private Statement ParseExplain()
    {
        var start = Expect(Keyword.Explain).Start;
        List<DefElem> options;
        if (Is(TokenKind.LParen) && !IsSelectStart(lookThroughParens: true))
        {
            options = ParseUtilityOptions();
        }
        else
        {
            options = [];
            if (Is(Keyword.Analyze) || Is(Keyword.Analyse))
            {
                options.Add(new DefElem("analyze", null) { Position = Advance().Start });
            }

            if (Is(Keyword.Verbose))
            {
                options.Add(new DefElem("verbose", null) { Position = Advance().Start });
            }
        }

        var t = Peek;
        if (t.Kind != TokenKind.LParen &&
            !(t.Kind == TokenKind.Identifier && t.Keyword is Keyword.Select or Keyword.Values or Keyword.With or Keyword.Table or Keyword.Insert
                or Keyword.Update or Keyword.Delete or Keyword.Create or Keyword.Execute or Keyword.Declare))
        {
            throw SyntaxError();
        }

        return new ExplainStatement(ParseStatement(), options) { Position = start };
    }

    private Statement ParsePrepare()
    {
        var start = Expect(Keyword.Prepare).Start;
        var name = ColId();
        var types = new List<TypeName>();
        if (Accept(TokenKind.LParen))
        {
            do
            {
                types.Add(ParseTypeName());
            }
            while (Accept(TokenKind.Comma));
            Expect(TokenKind.RParen);
        }

        Expect(Keyword.As);
        var t = Peek;
        if (t.Kind != TokenKind.LParen &&
            !(t.Kind == TokenKind.Identifier && t.Keyword is Keyword.Select or Keyword.Values or Keyword.With or Keyword.Table or Keyword.Insert
                or Keyword.Update or Keyword.Delete))
        {
            throw SyntaxError();
        }

        return new PrepareStatement(name, types, ParseStatement()) { Position = start };
    }

    private Statement ParseExecute()
    {
        var start = Expect(Keyword.Execute).Start;
        var name = ColId();
        IReadOnlyList<Expr> args = [];
        if (Accept(TokenKind.LParen))
        {
            args = ParseExprList();
            Expect(TokenKind.RParen);
        }

        return new ExecuteStatement(name, args) { Position = start };
    }

    private Statement ParseDeallocate()
    {
        var start = Expect(Keyword.Deallocate).Start;
        Accept(Keyword.Prepare);
        var name = Accept(Keyword.All) ? null : ColId();
        return new DeallocateStatement(name) { Position = start };
    }

    private Statement ParseLock()
    {
        var start = Expect(Keyword.Lock).Start;
        Accept(Keyword.Table);
        var tables = new List<TableName>();
        do
        {
            var p = Peek.Start;
            var only = Accept(Keyword.Only);
            var name = QualifiedName();
            Accept(TokenKind.Star);
            tables.Add(new TableName(name, only, null) { Position = p });
        }
        while (Accept(TokenKind.Comma));
        var mode = "ACCESS EXCLUSIVE";
        if (Accept(Keyword.In))
        {
            if (Accept(Keyword.Access))
            {
                mode = Accept(Keyword.Share) ? "ACCESS SHARE" : Expect(Keyword.Exclusive).Keyword == Keyword.Exclusive ? "ACCESS EXCLUSIVE" : mode;
            }
            else if (Accept(Keyword.Row))
            {
                mode = Accept(Keyword.Share) ? "ROW SHARE" : Expect(Keyword.Exclusive).Keyword == Keyword.Exclusive ? "ROW EXCLUSIVE" : mode;
            }
            else if (Accept(Keyword.Share))
            {
                if (Accept(Keyword.Update))
                {
                    Expect(Keyword.Exclusive);
                    mode = "SHARE UPDATE EXCLUSIVE";
                }
                else if (Accept(Keyword.Row))
                {
                    Expect(Keyword.Exclusive);
                    mode = "SHARE ROW EXCLUSIVE";
                }
                else
                {
                    mode = "SHARE";
                }
            }
            else
            {
                Expect(Keyword.Exclusive);
                mode = "EXCLUSIVE";
            }

            Expect(Keyword.Mode);
        }

        var nowait = Accept(Keyword.Nowait);
        return new LockStatement(tables, mode, nowait) { Position = start };
    }

    private Statement ParseDo()
    {
        var start = Expect(Keyword.Do).Start;
        string? language = null;
        if (Accept(Keyword.Language))
        {
            language = ParseLanguageName();
        }

        var code = StringConstant();
        if (language is null && Accept(Keyword.Language))
        {
            language = ParseLanguageName();
        }

        return new DoStatement(code, language) { Position = start };
    }

    private string ParseLanguageName() => Is(TokenKind.String) ? StringConstant() : ColLabel();

    private Statement ParseNotify()
    {
        var t = Advance();
        switch (t.Keyword)
        {
            case Keyword.Listen:
                return new NotifyStatement("LISTEN", ColId(), null) { Position = t.Start };
            case Keyword.Unlisten:
                return new NotifyStatement("UNLISTEN", Accept(TokenKind.Star) ? null : ColId(), null) { Position = t.Start };
            default:
            {
                var channel = ColId();
                string? payload = null;
                if (Accept(TokenKind.Comma))
                {
                    payload = StringConstant();
                }

                return new NotifyStatement("NOTIFY", channel, payload) { Position = t.Start };
            }
        }
    }
}
