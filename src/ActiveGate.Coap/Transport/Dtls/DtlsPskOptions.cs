using System.Net;

namespace ActiveGate.Coap.Transport.Dtls;

/// <summary>Settings both DTLS-PSK transports share.</summary>
public abstract class DtlsPskTransportOptions
{
    /// <summary>
    /// Cipher suites in order of preference. Default: TLS_PSK_WITH_AES_128_CCM_8, then
    /// TLS_PSK_WITH_AES_128_CBC_SHA256.
    /// </summary>
    public IReadOnlyList<DtlsPskCipherSuite> CipherSuites { get; set; } =
        [DtlsPskCipherSuite.TlsPskWithAes128Ccm8, DtlsPskCipherSuite.TlsPskWithAes128CbcSha256];

    /// <summary>Whole-handshake limit; after it the handshake fails with <see cref="DtlsFailureReason.HandshakeTimeout"/>.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>First handshake flight retransmission timeout; doubles per retry (RFC 6347 §4.2.4.1).</summary>
    public TimeSpan HandshakeRetransmitTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Largest UDP datagram (DTLS record) sent or accepted. Default 1232 = IPv6 minimum MTU 1280 minus
    /// the IPv6 and UDP headers, so records never fragment at the IP layer.
    /// </summary>
    public int MaxRecordSize { get; set; } = 1232;

    /// <summary>Whether sessions may be resumed with an abbreviated handshake (RFC 5246 §7.3).</summary>
    public bool EnableSessionResumption { get; set; } = true;

    /// <summary>Decrypted datagrams held for <see cref="IDatagramTransport.ReceiveAsync"/> before new ones are dropped.</summary>
    public int ReceiveQueueCapacity { get; set; } = 256;

    internal void Validate()
    {
        if (CipherSuites is null || CipherSuites.Count == 0)
        {
            throw new ArgumentException("At least one cipher suite is required.", nameof(CipherSuites));
        }

        foreach (DtlsPskCipherSuite suite in CipherSuites)
        {
            if (!Enum.IsDefined(suite))
            {
                throw new ArgumentException($"Unsupported cipher suite 0x{(int)suite:X4}.", nameof(CipherSuites));
            }
        }

        if (HandshakeTimeout < TimeSpan.FromSeconds(1) || HandshakeTimeout > TimeSpan.FromMinutes(10))
        {
            throw new ArgumentOutOfRangeException(nameof(HandshakeTimeout), HandshakeTimeout, "Must be between 1 s and 10 min.");
        }

        if (HandshakeRetransmitTimeout < TimeSpan.FromMilliseconds(100) || HandshakeRetransmitTimeout > HandshakeTimeout)
        {
            throw new ArgumentOutOfRangeException(nameof(HandshakeRetransmitTimeout), HandshakeRetransmitTimeout, "Must be between 100 ms and the handshake timeout.");
        }

        if (MaxRecordSize is < 256 or > 16384 + 2048)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxRecordSize), MaxRecordSize, "Must be between 256 and 18432 bytes.");
        }

        if (ReceiveQueueCapacity < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(ReceiveQueueCapacity), ReceiveQueueCapacity, "Must be positive.");
        }

        ValidateRole();
    }

    private protected abstract void ValidateRole();
}

/// <summary>Settings of <see cref="DtlsPskClientTransport"/>.</summary>
public sealed class DtlsPskClientOptions : DtlsPskTransportOptions
{
    /// <summary>The identity and key this client authenticates with.</summary>
    public required PskCredential Credential { get; set; }

    /// <summary>Local address to bind; default [::]:0 (dual-stack, ephemeral port).</summary>
    public IPEndPoint LocalEndPoint { get; set; } = new(IPAddress.IPv6Any, 0);

    /// <summary>
    /// Restart detection: when at least two records went out over this long without a single record
    /// coming back (sends less than this apart count as one burst), the server has most likely lost
    /// the session (restart, NAT rebinding); the next send then starts a new handshake, offering
    /// resumption first. Default 9 s: with RFC 7252 defaults the third or fourth retransmission of
    /// an unanswered CON triggers it.
    /// </summary>
    public TimeSpan PeerSilenceTimeout { get; set; } = TimeSpan.FromSeconds(9);

    /// <summary>
    /// When set, a session that received nothing for this long is refreshed with a resumption
    /// handshake before the next send (NAT bindings of cellular links expire in minutes). Null: off.
    /// </summary>
    public TimeSpan? ResumeAfterIdle { get; set; }

    private protected override void ValidateRole()
    {
        ArgumentNullException.ThrowIfNull(Credential);
        ArgumentNullException.ThrowIfNull(LocalEndPoint);
        if (PeerSilenceTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(PeerSilenceTimeout), PeerSilenceTimeout, "Must be positive.");
        }

        if (ResumeAfterIdle is { } idle && idle <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(ResumeAfterIdle), idle, "Must be positive.");
        }
    }
}

/// <summary>Settings of <see cref="DtlsPskServerTransport"/>.</summary>
public sealed class DtlsPskServerOptions : DtlsPskTransportOptions
{
    /// <summary>Finds the key for a client's identity; null for unknown identities.</summary>
    public required DtlsPskKeyProvider KeyProvider { get; set; }

    /// <summary>Local address to bind; default [::]:5684 (dual-stack, the coaps port).</summary>
    public IPEndPoint LocalEndPoint { get; set; } = new(IPAddress.IPv6Any, 5684);

    /// <summary>Most sessions (established plus handshaking) held at once; further ClientHellos are refused.</summary>
    public int MaxSessions { get; set; } = 64;

    /// <summary>Most handshakes running at once (each holds a thread while it waits for flights).</summary>
    public int MaxConcurrentHandshakes { get; set; } = 8;

    /// <summary>Sessions silent for this long are closed and forgotten.</summary>
    public TimeSpan SessionIdleTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Resumable sessions remembered for abbreviated handshakes.</summary>
    public int SessionCacheSize { get; set; } = 256;

    /// <summary>A server that knows one identity and key, e.g. for the field tools.</summary>
    public static DtlsPskServerOptions ForSingleCredential(PskCredential credential)
    {
        ArgumentNullException.ThrowIfNull(credential);
        return new DtlsPskServerOptions
        {
            KeyProvider = identity => identity.SequenceEqual(credential.Identity.Span) ? credential.CopyKey() : null,
        };
    }

    private protected override void ValidateRole()
    {
        ArgumentNullException.ThrowIfNull(KeyProvider);
        ArgumentNullException.ThrowIfNull(LocalEndPoint);
        if (MaxSessions < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxSessions), MaxSessions, "Must be positive.");
        }

        if (MaxConcurrentHandshakes < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxConcurrentHandshakes), MaxConcurrentHandshakes, "Must be positive.");
        }

        if (SessionIdleTimeout < TimeSpan.FromSeconds(1))
        {
            throw new ArgumentOutOfRangeException(nameof(SessionIdleTimeout), SessionIdleTimeout, "Must be at least 1 s.");
        }

        if (SessionCacheSize < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(SessionCacheSize), SessionCacheSize, "Must not be negative.");
        }
    }
}
