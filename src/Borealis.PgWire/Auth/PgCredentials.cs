using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Borealis.PgWire.Auth;

/// <summary>How connections prove who they are.</summary>
public enum PgAuthMethod
{
    /// <summary>Anyone may connect as any user (PostgreSQL "trust").</summary>
    Trust,
    /// <summary>The password is sent in clear (only sensible over TLS).</summary>
    CleartextPassword,
    /// <summary>SCRAM-SHA-256 (RFC 5802 / 7677) as PostgreSQL implements it, without channel binding.</summary>
    ScramSha256,
}

/// <summary>Looks up the stored secret of a role. Called once per connection attempt, before the role is known to exist.</summary>
public interface IPgCredentialStore
{
    /// <summary>The role's verifier, or null if the role does not exist or may not log in.</summary>
    ValueTask<ScramVerifier?> GetVerifierAsync(string user, CancellationToken ct);
}

/// <summary>
/// A SCRAM-SHA-256 verifier, as PostgreSQL stores it in pg_authid.rolpassword:
/// <c>SCRAM-SHA-256$&lt;iterations&gt;:&lt;base64 salt&gt;$&lt;base64 StoredKey&gt;:&lt;base64 ServerKey&gt;</c>,
/// where SaltedPassword = PBKDF2-HMAC-SHA256(password, salt, iterations), StoredKey =
/// SHA256(HMAC(SaltedPassword, "Client Key")) and ServerKey = HMAC(SaltedPassword, "Server Key").
/// The password itself is never stored.
/// </summary>
public sealed class ScramVerifier
{
    public const int DefaultIterations = 4096;
    public const int SaltLength = 16;
    public const int KeyLength = 32;

    public ScramVerifier(int iterations, byte[] salt, byte[] storedKey, byte[] serverKey)
    {
        if (iterations < 1 || salt.Length == 0 || storedKey.Length != KeyLength || serverKey.Length != KeyLength)
            throw new ArgumentException("malformed SCRAM verifier");
        Iterations = iterations;
        Salt = salt;
        StoredKey = storedKey;
        ServerKey = serverKey;
    }

    public int Iterations { get; }
    public byte[] Salt { get; }
    public byte[] StoredKey { get; }
    public byte[] ServerKey { get; }

    public static ScramVerifier FromPassword(string password, int iterations = DefaultIterations, byte[]? salt = null)
    {
        salt ??= RandomNumberGenerator.GetBytes(SaltLength);
        var salted = SaltedPassword(password, salt, iterations);
        var clientKey = HMACSHA256.HashData(salted, "Client Key"u8);
        return new ScramVerifier(iterations, salt, SHA256.HashData(clientKey), HMACSHA256.HashData(salted, "Server Key"u8));
    }

    /// <summary>Whether a cleartext password matches (for cleartext authentication against a stored verifier).</summary>
    public bool Matches(string password)
    {
        var salted = SaltedPassword(password, Salt, Iterations);
        var stored = SHA256.HashData(HMACSHA256.HashData(salted, "Client Key"u8));
        return CryptographicOperations.FixedTimeEquals(stored, StoredKey);
    }

    internal static byte[] SaltedPassword(string password, byte[] salt, int iterations) =>
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, KeyLength);

    public override string ToString() =>
        $"SCRAM-SHA-256${Iterations}:{Convert.ToBase64String(Salt)}${Convert.ToBase64String(StoredKey)}:{Convert.ToBase64String(ServerKey)}";

    public static bool TryParse(string text, out ScramVerifier? verifier)
    {
        verifier = null;
        var parts = text.Split('$');
        if (parts.Length != 3 || parts[0] != "SCRAM-SHA-256") return false;
        var a = parts[1].Split(':');
        var b = parts[2].Split(':');
        if (a.Length != 2 || b.Length != 2 || !int.TryParse(a[0], NumberStyles.None, CultureInfo.InvariantCulture, out int iter) || iter < 1) return false;
        try
        {
            var salt = Convert.FromBase64String(a[1]);
            var stored = Convert.FromBase64String(b[0]);
            var server = Convert.FromBase64String(b[1]);
            if (salt.Length == 0 || stored.Length != KeyLength || server.Length != KeyLength) return false;
            verifier = new ScramVerifier(iter, salt, stored, server);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}

/// <summary>An in-memory credential store (tests, embedded use). Thread-safe.</summary>
public sealed class InMemoryCredentialStore : IPgCredentialStore
{
    private readonly ConcurrentDictionary<string, ScramVerifier> _users = new(StringComparer.Ordinal);

    public void SetPassword(string user, string password, int iterations = ScramVerifier.DefaultIterations) =>
        _users[user] = ScramVerifier.FromPassword(password, iterations);

    public void SetVerifier(string user, ScramVerifier verifier) => _users[user] = verifier;

    public bool Remove(string user) => _users.TryRemove(user, out _);

    public ValueTask<ScramVerifier?> GetVerifierAsync(string user, CancellationToken ct) =>
        ValueTask.FromResult(_users.TryGetValue(user, out var v) ? v : null);
}
