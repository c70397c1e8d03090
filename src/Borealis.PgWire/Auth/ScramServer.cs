using System.Security.Cryptography;
using System.Text;

namespace Borealis.PgWire.Auth;

/// <summary>
/// The server side of one SCRAM-SHA-256 exchange (RFC 5802 §3, RFC 7677), as PostgreSQL runs it:
/// <code>
///   C: client-first   = gs2-header client-first-bare      gs2-header = "n,," | "y,,"
///                       client-first-bare = "n=" user ",r=" c-nonce [ext]   (user ignored: the startup user counts)
///   S: server-first   = "r=" c-nonce s-nonce ",s=" base64(salt) ",i=" iterations
///   C: client-final   = "c=" base64(gs2-header) ",r=" nonce [ext] ",p=" base64(ClientProof)
///   S: server-final   = "v=" base64(ServerSignature)
/// </code>
/// AuthMessage = client-first-bare "," server-first "," client-final-without-proof;
/// ClientProof = ClientKey XOR HMAC(StoredKey, AuthMessage); the server recovers ClientKey and checks
/// SHA256(ClientKey) == StoredKey. Channel binding ("p=") is refused: we do not advertise -PLUS.
/// For a role that does not exist, a deterministic fake verifier is used so the exchange looks the
/// same and fails only at the proof (no user enumeration).
/// </summary>
public sealed class ScramServer
{
    public const string Mechanism = "SCRAM-SHA-256";

    private readonly ScramVerifier _verifier;
    private readonly bool _userExists;
    private string _clientFirstBare = "";
    private string _serverFirst = "";
    private string _nonce = "";
    private string _gs2Header = "";

    public ScramServer(ScramVerifier? verifier, string user, byte[] mockSecret)
    {
        _userExists = verifier is not null;
        _verifier = verifier ?? MockVerifier(user, mockSecret);
    }

    private static ScramVerifier MockVerifier(string user, byte[] secret)
    {
        var salt = HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes(user))[..ScramVerifier.SaltLength];
        return new ScramVerifier(ScramVerifier.DefaultIterations, salt, RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(32));
    }

    /// <summary>Handles client-first; returns server-first, or null if the message is malformed.</summary>
    public string? HandleClientFirst(ReadOnlySpan<byte> message, out string? error)
    {
        error = null;
        if (!Types.PgCodec.TryDecodeUtf8(message, out string text)) { error = "malformed SCRAM message (invalid UTF-8)"; return null; }
        // gs2-header: cbind-flag "," [authzid] ","
        int c1 = text.IndexOf(',', StringComparison.Ordinal);
        int c2 = c1 < 0 ? -1 : text.IndexOf(',', c1 + 1);
        if (c1 < 0 || c2 < 0) { error = "malformed SCRAM message (no GS2 header)"; return null; }
        string flag = text[..c1];
        if (flag.StartsWith("p=", StringComparison.Ordinal)) { error = "channel binding is not supported"; return null; }
        if (flag is not ("n" or "y")) { error = "malformed SCRAM message (bad channel binding flag)"; return null; }
        if (c2 != c1 + 1) { error = "client uses authorization identity, but it is not supported"; return null; }
        _gs2Header = text[..(c2 + 1)];
        _clientFirstBare = text[(c2 + 1)..];
        string? clientNonce = null;
        foreach (var attr in _clientFirstBare.Split(','))
        {
            if (attr.StartsWith("m=", StringComparison.Ordinal)) { error = "SCRAM mandatory extensions are not supported"; return null; }
            if (attr.StartsWith("r=", StringComparison.Ordinal)) clientNonce = attr[2..];
        }
        if (!_clientFirstBare.StartsWith("n=", StringComparison.Ordinal) || string.IsNullOrEmpty(clientNonce) || clientNonce.Contains(',', StringComparison.Ordinal))
        {
            error = "malformed SCRAM message (no user name or nonce)";
            return null;
        }
        _nonce = clientNonce + Convert.ToBase64String(RandomNumberGenerator.GetBytes(18));
        _serverFirst = $"r={_nonce},s={Convert.ToBase64String(_verifier.Salt)},i={_verifier.Iterations}";
        return _serverFirst;
    }

    /// <summary>
    /// Handles client-final. Returns server-final when the proof is valid; null with
    /// <paramref name="malformed"/> false when the password is wrong, true when the message is malformed.
    /// </summary>
    public string? HandleClientFinal(ReadOnlySpan<byte> message, out bool malformed)
    {
        malformed = true;
        if (!Types.PgCodec.TryDecodeUtf8(message, out string text)) return null;
        int p = text.LastIndexOf(",p=", StringComparison.Ordinal);
        if (p < 0) return null;
        string withoutProof = text[..p];
        string? channel = null, nonce = null;
        foreach (var attr in withoutProof.Split(','))
        {
            if (attr.StartsWith("c=", StringComparison.Ordinal)) channel = attr[2..];
            else if (attr.StartsWith("r=", StringComparison.Ordinal)) nonce = attr[2..];
        }
        byte[] proof;
        try
        {
            proof = Convert.FromBase64String(text[(p + 3)..]);
            if (channel is null || Encoding.UTF8.GetString(Convert.FromBase64String(channel)) != _gs2Header) return null;
        }
        catch (FormatException)
        {
            return null;
        }
        if (nonce != _nonce || proof.Length != ScramVerifier.KeyLength) return null;
        malformed = false;

        var authMessage = Encoding.UTF8.GetBytes($"{_clientFirstBare},{_serverFirst},{withoutProof}");
        var clientSignature = HMACSHA256.HashData(_verifier.StoredKey, authMessage);
        var clientKey = new byte[ScramVerifier.KeyLength];
        for (int i = 0; i < clientKey.Length; i++) clientKey[i] = (byte)(proof[i] ^ clientSignature[i]);
        bool ok = CryptographicOperations.FixedTimeEquals(SHA256.HashData(clientKey), _verifier.StoredKey) && _userExists;
        if (!ok) return null;
        return "v=" + Convert.ToBase64String(HMACSHA256.HashData(_verifier.ServerKey, authMessage));
    }
}
