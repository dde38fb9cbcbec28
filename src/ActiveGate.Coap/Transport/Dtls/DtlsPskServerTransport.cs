using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Org.BouncyCastle.Tls;

namespace ActiveGate.Coap.Transport.Dtls;

/// <summary>
/// DTLS 1.2 PSK server transport: one session per client endpoint, created by a ClientHello that
/// carries a valid stateless cookie (RFC 6347 §4.2.1, so spoofed sources cost no state), keys from
/// <see cref="DtlsPskServerOptions.KeyProvider"/>, at most <see cref="DtlsPskServerOptions.MaxSessions"/>
/// sessions, idle ones closed after <see cref="DtlsPskServerOptions.SessionIdleTimeout"/>. A client
/// that restarts on the same port and sends a fresh ClientHello gets a fresh session (RFC 6347 §4.2.8).
/// Sends to endpoints without a session are dropped, as UDP would.
/// </summary>
/// <example>
/// <code>
/// var options = new DtlsPskServerOptions
/// {
///     LocalEndPoint = new IPEndPoint(IPAddress.IPv6Any, 5684),
///     KeyProvider = identity => securityStore.FindKey(identity), // null for unknown identities
/// };
/// await using var dtls = new DtlsPskServerTransport(options, logger);
/// </code>
/// </example>
public sealed class DtlsPskServerTransport : DtlsPskTransport
{
    private readonly DtlsPskServerOptions _options;
    private readonly DtlsVerifier _verifier;
    private readonly DtlsServerSessionCache? _sessionCache;
    private readonly ITimer _idleSweep;
    private int _handshakesRunning;

    /// <summary>Binds the UDP socket and starts receiving.</summary>
    public DtlsPskServerTransport(DtlsPskServerOptions options, ILogger? logger = null, TimeProvider? timeProvider = null)
        : base(options, options?.LocalEndPoint ?? throw new ArgumentNullException(nameof(options)), logger, timeProvider)
    {
        _options = options;
        _verifier = new DtlsVerifier(Crypto);
        _sessionCache = options.EnableSessionResumption && options.SessionCacheSize > 0 ? new DtlsServerSessionCache(options.SessionCacheSize) : null;
        TimeSpan sweepPeriod = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerSecond, Math.Min(options.SessionIdleTimeout.Ticks / 4, TimeSpan.TicksPerMinute)));
        _idleSweep = Time.CreateTimer(_ => CloseIdleSessions(), null, sweepPeriod, sweepPeriod);
        StartReceiving();
    }

    /// <summary>Resumable sessions currently cached.</summary>
    public int CachedSessionCount => _sessionCache?.Count ?? 0;

    /// <summary>The PSK identity the client at <paramref name="remote"/> authenticated with, or null.</summary>
    public string? GetPeerIdentity(IPEndPoint remote) =>
        Sessions.TryGetValue(Normalize(remote ?? throw new ArgumentNullException(nameof(remote))), out DtlsSession? session) && session.IsEstablished ? session.PeerIdentity : null;

    /// <summary>Closes sessions idle longer than the idle timeout; returns how many. Runs periodically on its own.</summary>
    public int CloseIdleSessions()
    {
        int closed = 0;
        foreach (DtlsSession session in Sessions.Values)
        {
            if (session.IsEstablished && Time.GetElapsedTime(session.LastActivityTimestamp) >= _options.SessionIdleTimeout)
            {
                DtlsLog.SessionIdle(Logger, session.Remote, _options.SessionIdleTimeout);
                RemoveSession(session, notifyPeer: true);
                closed++;
            }
        }

        return closed;
    }

    private protected override ValueTask<DtlsSession?> GetSessionForSendAsync(IPEndPoint remote, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Sessions.TryGetValue(remote, out DtlsSession? session) && session.IsEstablished ? session : null);

    private protected override void OnDatagramFromUnknownPeer(ReadOnlySpan<byte> datagram, IPEndPoint remote)
    {
        if (!DtlsRecordHeader.IsClientHello(datagram))
        {
            CountDropped();
            return;
        }

        DtlsPeerLink link = CreateLink(remote);
        DtlsRequest? request = VerifyCookie(datagram, link);
        if (request is null)
        {
            return;
        }

        if (Sessions.Count >= _options.MaxSessions && CloseIdleSessions() == 0 && Sessions.Count >= _options.MaxSessions)
        {
            CountDropped();
            DtlsLog.SessionLimit(Logger, _options.MaxSessions, remote);
            return;
        }

        Accept(link, request);
    }

    private protected override bool OnClientHelloFromKnownPeer(ReadOnlySpan<byte> datagram, DtlsSession session)
    {
        // The client lost its state (reboot, same source port) or wants to resume: the old session
        // ends only once the new ClientHello proved the address with a valid cookie.
        DtlsPeerLink link = CreateLink(session.Remote);
        DtlsRequest? request = VerifyCookie(datagram, link);
        if (request is not null)
        {
            DtlsLog.SessionReplaced(Logger, session.Remote);
            RemoveSession(session, notifyPeer: false);
            Accept(link, request);
        }

        return true;
    }

    private protected override void OnDisposing() => _idleSweep.Dispose();

    private DtlsRequest? VerifyCookie(ReadOnlySpan<byte> datagram, DtlsPeerLink link)
    {
        byte[] clientId = ClientId(link.Remote);
        byte[] data = datagram.ToArray();
        // Sends a HelloVerifyRequest itself when the cookie is missing or wrong.
        return _verifier.VerifyRequest(clientId, data, 0, data.Length, link);
    }

    private void Accept(DtlsPeerLink link, DtlsRequest request)
    {
        if (Interlocked.Increment(ref _handshakesRunning) > _options.MaxConcurrentHandshakes)
        {
            Interlocked.Decrement(ref _handshakesRunning);
            CountDropped();
            DtlsLog.HandshakeLimit(Logger, _options.MaxConcurrentHandshakes, link.Remote);
            return;
        }

        var session = new DtlsSession(link, Time.GetTimestamp());
        if (!Sessions.TryAdd(link.Remote, session))
        {
            Interlocked.Decrement(ref _handshakesRunning);
            return;
        }

        StartHandshake(session, s => RunHandshake(s, request));
    }

    private void RunHandshake(DtlsSession session, DtlsRequest request)
    {
        var identities = new DtlsIdentityManager(_options.KeyProvider, Logger);
        var peer = new PskDtlsServerPeer(Crypto, identities, Options, _sessionCache);
        try
        {
            DtlsTransport transport = new DtlsServerProtocol().Accept(peer, session.Link, request);
            session.PeerIdentity = peer.ClientIdentity is { } identity ? PskCredential.FormatIdentity(identity) : null;
            session.CipherSuite = peer.NegotiatedCipherSuite;
            CompleteHandshake(session, transport, peer.WasResumed);
            DtlsLog.SessionEstablished(Logger, session.Remote, session.PeerIdentity, (DtlsPskCipherSuite)peer.NegotiatedCipherSuite, peer.WasResumed);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            DtlsHandshakeException failure = FailHandshake(session, e, peer);
            if (failure.Reason == DtlsFailureReason.UnknownIdentity && peer.ClientIdentity is { } identity && Logger.IsEnabled(LogLevel.Warning))
            {
                DtlsLog.UnknownIdentity(Logger, session.Remote, PskCredential.FormatIdentity(identity));
            }
        }
        finally
        {
            Interlocked.Decrement(ref _handshakesRunning);
        }
    }

    private static byte[] ClientId(IPEndPoint remote)
    {
        // The cookie binds the client's address and port (RFC 6347 §4.2.1).
        byte[] address = remote.Address.GetAddressBytes();
        byte[] id = new byte[address.Length + 2];
        address.CopyTo(id, 0);
        id[^2] = (byte)(remote.Port >> 8);
        id[^1] = (byte)remote.Port;
        return id;
    }
}
