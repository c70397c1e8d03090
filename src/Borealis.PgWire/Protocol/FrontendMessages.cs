using System.Buffers.Binary;

namespace Borealis.PgWire.Protocol;

/// <summary>Parse: <c>name cstring | query cstring | int16 n | n × int32 parameter type OID</c>.</summary>
public readonly ref struct ParseMessage
{
    public ReadOnlySpan<byte> Name { get; init; }
    public ReadOnlySpan<byte> Query { get; init; }
    /// <summary>n big-endian uint32 OIDs (0 = let the server infer).</summary>
    public ReadOnlySpan<byte> ParameterTypesRaw { get; init; }
    public int ParameterCount => ParameterTypesRaw.Length / 4;
    public uint ParameterType(int i) => BinaryPrimitives.ReadUInt32BigEndian(ParameterTypesRaw[(4 * i)..]);
}

/// <summary>
/// Bind: <c>portal cstring | statement cstring | int16 nf | nf × int16 format | int16 np |
/// np × (int32 len (-1 = NULL) | len bytes) | int16 nr | nr × int16 result format</c>.
/// nf is 0 (all text), 1 (one format for all) or np; likewise nr for result columns.
/// </summary>
public readonly ref struct BindMessage
{
    public ReadOnlySpan<byte> Portal { get; init; }
    public ReadOnlySpan<byte> Statement { get; init; }
    public ReadOnlySpan<byte> ParameterFormatsRaw { get; init; }
    public int ParameterCount { get; init; }
    /// <summary>The parameter values region: np × (int32 length | bytes), already validated.</summary>
    public ReadOnlySpan<byte> ParametersRaw { get; init; }
    public ReadOnlySpan<byte> ResultFormatsRaw { get; init; }
}

/// <summary>Describe / Close: <c>kind byte ('S' statement, 'P' portal) | name cstring</c>.</summary>
public readonly ref struct TargetMessage
{
    public byte Kind { get; init; }
    public ReadOnlySpan<byte> Name { get; init; }
}

/// <summary>Execute: <c>portal cstring | int32 max rows (0 = all)</c>.</summary>
public readonly ref struct ExecuteMessage
{
    public ReadOnlySpan<byte> Portal { get; init; }
    public int MaxRows { get; init; }
}

/// <summary>Decoders for frontend message bodies. All return false on malformed input and never throw.</summary>
public static class FrontendMessages
{
    public static bool TryDecodeQuery(ReadOnlySpan<byte> body, out ReadOnlySpan<byte> query)
    {
        var r = new PgMessageReader(body);
        return r.TryReadCString(out query) & r.AtEnd;
    }

    public static bool TryDecodeParse(ReadOnlySpan<byte> body, out ParseMessage msg)
    {
        msg = default;
        var r = new PgMessageReader(body);
        if (!r.TryReadCString(out var name) || !r.TryReadCString(out var query) || !r.TryReadInt16(out short n) || n < 0) return false;
        if (!r.TryReadBytes(4 * n, out var types) || !r.AtEnd) return false;
        msg = new ParseMessage { Name = name, Query = query, ParameterTypesRaw = types };
        return true;
    }

    public static bool TryDecodeBind(ReadOnlySpan<byte> body, out BindMessage msg)
    {
        msg = default;
        var r = new PgMessageReader(body);
        if (!r.TryReadCString(out var portal) || !r.TryReadCString(out var stmt)) return false;
        if (!r.TryReadInt16(out short nf) || nf < 0 || !r.TryReadBytes(2 * nf, out var formats) || !ValidFormats(formats)) return false;
        if (!r.TryReadInt16(out short np) || np < 0) return false;
        if (nf > 1 && nf != np) return false;
        int start = body.Length - r.Remaining;
        for (int i = 0; i < np; i++)
        {
            if (!r.TryReadInt32(out int len) || len < -1) return false;
            if (len > 0 && !r.TryReadBytes(len, out _)) return false;
        }
        var values = body[start..(body.Length - r.Remaining)];
        if (!r.TryReadInt16(out short nr) || nr < 0 || !r.TryReadBytes(2 * nr, out var resultFormats) || !ValidFormats(resultFormats) || !r.AtEnd) return false;
        msg = new BindMessage
        {
            Portal = portal,
            Statement = stmt,
            ParameterFormatsRaw = formats,
            ParameterCount = np,
            ParametersRaw = values,
            ResultFormatsRaw = resultFormats,
        };
        return true;
    }

    public static bool TryDecodeTarget(ReadOnlySpan<byte> body, out TargetMessage msg)
    {
        msg = default;
        var r = new PgMessageReader(body);
        if (!r.TryReadByte(out byte kind) || kind is not ((byte)'S' or (byte)'P') || !r.TryReadCString(out var name) || !r.AtEnd) return false;
        msg = new TargetMessage { Kind = kind, Name = name };
        return true;
    }

    public static bool TryDecodeExecute(ReadOnlySpan<byte> body, out ExecuteMessage msg)
    {
        msg = default;
        var r = new PgMessageReader(body);
        if (!r.TryReadCString(out var portal) || !r.TryReadInt32(out int maxRows) || !r.AtEnd) return false;
        msg = new ExecuteMessage { Portal = portal, MaxRows = maxRows < 0 ? 0 : maxRows };
        return true;
    }

    public static bool TryDecodeCopyFail(ReadOnlySpan<byte> body, out ReadOnlySpan<byte> message)
    {
        var r = new PgMessageReader(body);
        return r.TryReadCString(out message) & r.AtEnd;
    }

    /// <summary>Format code at index i of a raw int16 array with the 0/1/n convention.</summary>
    public static PgFormat FormatAt(ReadOnlySpan<byte> raw, int i)
    {
        int n = raw.Length / 2;
        if (n == 0) return PgFormat.Text;
        return (PgFormat)BinaryPrimitives.ReadInt16BigEndian(raw[(2 * (n == 1 ? 0 : i))..]);
    }

    private static bool ValidFormats(ReadOnlySpan<byte> raw)
    {
        for (int i = 0; i + 1 < raw.Length; i += 2)
        {
            short f = BinaryPrimitives.ReadInt16BigEndian(raw[i..]);
            if (f is not (0 or 1)) return false;
        }
        return true;
    }
}

/// <summary>The parameters of a StartupMessage: <c>int32 version | (name cstring | value cstring)* | NUL</c>.</summary>
public sealed class StartupParameters
{
    public int ProtocolVersion { get; init; }
    public Dictionary<string, string> Values { get; } = new(StringComparer.Ordinal);
    /// <summary>Protocol options (names starting with "_pq_.") the client asked for; we support none.</summary>
    public List<string> UnsupportedOptions { get; } = [];

    public string? User => Values.GetValueOrDefault("user");
    public string Database => Values.GetValueOrDefault("database") ?? User ?? "";
    public string ApplicationName => Values.GetValueOrDefault("application_name") ?? "";

    /// <summary>
    /// Run-time settings the client asked for, as PostgreSQL derives them: every startup parameter
    /// except user, database, options and replication, plus each <c>-c name=value</c> or
    /// <c>--name=value</c> in "options" (backslash escapes a space or backslash). Later wins.
    /// </summary>
    public Dictionary<string, string> Settings()
    {
        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (k, v) in Values)
            if (k is not ("user" or "database" or "options" or "replication")) settings[k] = v;
        if (Values.TryGetValue("options", out var options))
        {
            var words = SplitOptions(options);
            for (int i = 0; i < words.Count; i++)
            {
                string w = words[i];
                string? assignment = w == "-c" && i + 1 < words.Count ? words[++i]
                    : w.StartsWith("-c", StringComparison.Ordinal) && w.Length > 2 ? w[2..]
                    : w.StartsWith("--", StringComparison.Ordinal) ? w[2..] : null;
                int eq = assignment?.IndexOf('=', StringComparison.Ordinal) ?? -1;
                if (eq > 0) settings[assignment![..eq].Replace('-', '_')] = assignment[(eq + 1)..];
            }
        }
        return settings;
    }

    private static List<string> SplitOptions(string options)
    {
        var words = new List<string>();
        var current = new System.Text.StringBuilder();
        for (int i = 0; i < options.Length; i++)
        {
            char c = options[i];
            if (c == '\\' && i + 1 < options.Length) { current.Append(options[++i]); continue; }
            if (char.IsWhiteSpace(c))
            {
                if (current.Length > 0) { words.Add(current.ToString()); current.Clear(); }
                continue;
            }
            current.Append(c);
        }
        if (current.Length > 0) words.Add(current.ToString());
        return words;
    }

    /// <summary>Decodes the body after the version word. False if malformed (not NUL-terminated, bad UTF-8, no user).</summary>
    public static bool TryDecode(int version, ReadOnlySpan<byte> rest, out StartupParameters result)
    {
        result = new StartupParameters { ProtocolVersion = version };
        var r = new PgMessageReader(rest);
        while (true)
        {
            if (!r.TryReadCString(out var name)) return false;
            if (name.IsEmpty) break;
            if (!r.TryReadCString(out var value)) return false;
            if (!Types.PgCodec.TryDecodeUtf8(name, out string n) || !Types.PgCodec.TryDecodeUtf8(value, out string v)) return false;
            if (n.StartsWith("_pq_.", StringComparison.Ordinal)) result.UnsupportedOptions.Add(n);
            else result.Values[n] = v;
        }
        return r.AtEnd && !string.IsNullOrEmpty(result.User);
    }
}
