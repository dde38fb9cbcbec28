using System.Security.Cryptography;
using System.Text;

namespace ActiveGate.Coap.Transport.Dtls;

/// <summary>
/// A DTLS pre-shared key and the identity it belongs to (RFC 4279). The key is secret: it never
/// appears in <see cref="ToString"/>, in exceptions or in logs; only the identity and the key length do.
/// </summary>
public sealed class PskCredential
{
    private readonly byte[] _identity;
    private readonly byte[] _key;

    /// <summary>Creates a credential from raw identity and key bytes (both copied).</summary>
    public PskCredential(ReadOnlySpan<byte> identity, ReadOnlySpan<byte> key)
    {
        // RFC 4279 §5.3: identities are at most 2^16-1 bytes, keys at most 2^16-1 bytes; 128 is the
        // practical limit every DTLS stack we talk to (OpenSSL, mbedTLS, tinydtls) enforces.
        if (identity.Length is 0 or > 128)
        {
            throw new ArgumentException("A PSK identity must be 1 to 128 bytes long.", nameof(identity));
        }

        if (key.Length is 0 or > 64)
        {
            throw new ArgumentException("A pre-shared key must be 1 to 64 bytes long.", nameof(key));
        }

        _identity = identity.ToArray();
        _key = key.ToArray();
    }

    /// <summary>Creates a credential from a UTF-8 identity and raw key bytes.</summary>
    public PskCredential(string identity, ReadOnlySpan<byte> key)
        : this(Encoding.UTF8.GetBytes(identity ?? throw new ArgumentNullException(nameof(identity))), key)
    {
    }

    /// <summary>Parses a hexadecimal key (as LwM2M servers and field tools hand them out).</summary>
    /// <exception cref="FormatException">The key is not an even number of hex digits.</exception>
    public static PskCredential FromHex(string identity, string hexKey)
    {
        ArgumentNullException.ThrowIfNull(hexKey);
        byte[] key;
        try
        {
            key = Convert.FromHexString(hexKey.Trim());
        }
        catch (FormatException)
        {
            // The message must not echo the key back.
            throw new FormatException("The pre-shared key is not a valid hexadecimal string.");
        }

        try
        {
            return new PskCredential(identity, key);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>The PSK identity sent in the ClientKeyExchange.</summary>
    public ReadOnlyMemory<byte> Identity => _identity;

    /// <summary>The identity for humans: UTF-8 text when printable, hex otherwise.</summary>
    public string DisplayIdentity => FormatIdentity(_identity);

    /// <summary>Length of the key in bytes (the only thing about the key that may be shown).</summary>
    public int KeyLength => _key.Length;

    /// <summary>A copy of the key, for handing to the TLS engine. Callers should zero it when done.</summary>
    internal byte[] CopyKey() => (byte[])_key.Clone();

    /// <summary>SHA-256 of the key, used to notice a changed key without keeping copies of it.</summary>
    internal byte[] KeyFingerprint() => SHA256.HashData(_key);

    /// <inheritdoc/>
    public override string ToString() => $"PSK identity '{DisplayIdentity}', key <redacted, {_key.Length} bytes>";

    internal static string FormatIdentity(ReadOnlySpan<byte> identity)
    {
        foreach (byte b in identity)
        {
            if (b is < 0x20 or > 0x7E)
            {
                return "0x" + Convert.ToHexString(identity);
            }
        }

        return Encoding.ASCII.GetString(identity);
    }
}

/// <summary>
/// Looks up the pre-shared key for an identity a DTLS client presented, or returns null when the
/// identity is unknown (the handshake then fails with an unknown_psk_identity alert). LwM2M supplies
/// keys from its Security object through this. Called on a handshake thread; must not block long.
/// </summary>
public delegate byte[]? DtlsPskKeyProvider(ReadOnlySpan<byte> identity);
