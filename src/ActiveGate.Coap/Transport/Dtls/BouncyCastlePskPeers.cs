using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;

namespace ActiveGate.Coap.Transport.Dtls;

/// <summary>Alert bookkeeping shared by our client and server peers, for precise failure reasons.</summary>
internal interface IAlertObserver
{
    short? LastAlertReceived { get; }

    short? LastAlertRaised { get; }
}

/// <summary>BouncyCastle's PSK client restricted to DTLS 1.2 and our suites, offering a cached session.</summary>
internal sealed class PskDtlsClientPeer : PskTlsClient, IAlertObserver
{
    private readonly int[] _cipherSuites;
    private readonly int _handshakeTimeoutMillis;
    private readonly int _resendMillis;
    private readonly TlsSession? _sessionToResume;

    public PskDtlsClientPeer(TlsCrypto crypto, TlsPskIdentity identity, DtlsPskTransportOptions options, TlsSession? sessionToResume)
        : base(crypto, identity)
    {
        _cipherSuites = options.CipherSuites.Select(s => (int)s).ToArray();
        _handshakeTimeoutMillis = (int)options.HandshakeTimeout.TotalMilliseconds;
        _resendMillis = (int)options.HandshakeRetransmitTimeout.TotalMilliseconds;
        _sessionToResume = sessionToResume;
    }

    public short? LastAlertReceived { get; private set; }

    public short? LastAlertRaised { get; private set; }

    /// <summary>The session after a successful handshake (resumable when the server issued an id).</summary>
    public TlsSession? EstablishedSession { get; private set; }

    public bool WasResumed { get; private set; }

    public int NegotiatedCipherSuite { get; private set; }

    protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.DTLSv12.Only();

    protected override int[] GetSupportedCipherSuites() => TlsUtilities.GetSupportedCipherSuites(Crypto, _cipherSuites);

    public override TlsSession? GetSessionToResume() => _sessionToResume is { IsResumable: true } ? _sessionToResume : null;

    public override int GetHandshakeTimeoutMillis() => _handshakeTimeoutMillis;

    public override int GetHandshakeResendTimeMillis() => _resendMillis;

    public override void NotifyAlertReceived(short alertLevel, short alertDescription)
    {
        if (alertLevel == AlertLevel.fatal || alertDescription == AlertDescription.close_notify)
        {
            LastAlertReceived = alertDescription;
        }
    }

    public override void NotifyAlertRaised(short alertLevel, short alertDescription, string message, Exception cause)
    {
        if (alertLevel == AlertLevel.fatal)
        {
            LastAlertRaised = alertDescription;
        }
    }

    public override void NotifyHandshakeComplete()
    {
        base.NotifyHandshakeComplete();
        EstablishedSession = m_context.Session;
        WasResumed = m_context.SecurityParameters.IsResumedSession;
        NegotiatedCipherSuite = m_context.SecurityParameters.CipherSuite;
    }
}

/// <summary>
/// BouncyCastle's PSK server restricted to DTLS 1.2 and our suites, with keys from the provider and
/// a bounded cache of resumable sessions.
/// </summary>
internal sealed class PskDtlsServerPeer : PskTlsServer, IAlertObserver
{
    private readonly int[] _cipherSuites;
    private readonly int _handshakeTimeoutMillis;
    private readonly int _resendMillis;
    private readonly DtlsServerSessionCache? _sessionCache;
    private readonly DtlsIdentityManager _identities;

    public PskDtlsServerPeer(TlsCrypto crypto, DtlsIdentityManager identities, DtlsPskTransportOptions options, DtlsServerSessionCache? sessionCache)
        : base(crypto, identities)
    {
        _identities = identities;
        _cipherSuites = options.CipherSuites.Select(s => (int)s).ToArray();
        _handshakeTimeoutMillis = (int)options.HandshakeTimeout.TotalMilliseconds;
        _resendMillis = (int)options.HandshakeRetransmitTimeout.TotalMilliseconds;
        _sessionCache = sessionCache;
    }

    public short? LastAlertReceived { get; private set; }

    public short? LastAlertRaised { get; private set; }

    public byte[]? ClientIdentity => _identities.LastIdentity;

    public bool WasResumed { get; private set; }

    public int NegotiatedCipherSuite { get; private set; }

    protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.DTLSv12.Only();

    protected override int[] GetSupportedCipherSuites() => TlsUtilities.GetSupportedCipherSuites(Crypto, _cipherSuites);

    // Our order, not the client's: CCM_8 first is what constrained LwM2M devices expect.
    protected override bool PreferLocalCipherSuites() => true;

    public override int GetHandshakeTimeoutMillis() => _handshakeTimeoutMillis;

    public override int GetHandshakeResendTimeMillis() => _resendMillis;

    public override byte[]? GetNewSessionID() => _sessionCache is null ? null : RandomNumberGenerator.GetBytes(32);

    public override TlsSession? GetSessionToResume(byte[] sessionID)
    {
        if (_sessionCache is null || sessionID is null || sessionID.Length == 0)
        {
            return null;
        }

        TlsSession? session = _sessionCache.Find(sessionID, _identities);
        if (session is not null)
        {
            _identities.LastIdentity = _sessionCache.IdentityOf(sessionID);
        }

        return session;
    }

    public override void NotifyAlertReceived(short alertLevel, short alertDescription)
    {
        if (alertLevel == AlertLevel.fatal || alertDescription == AlertDescription.close_notify)
        {
            LastAlertReceived = alertDescription;
        }
    }

    public override void NotifyAlertRaised(short alertLevel, short alertDescription, string message, Exception cause)
    {
        if (alertLevel == AlertLevel.fatal)
        {
            LastAlertRaised = alertDescription;
        }
    }

    public override void NotifyHandshakeComplete()
    {
        base.NotifyHandshakeComplete();
        WasResumed = m_context.SecurityParameters.IsResumedSession;
        NegotiatedCipherSuite = m_context.SecurityParameters.CipherSuite;
        TlsSession session = m_context.Session;
        if (_sessionCache is not null && session is { IsResumable: true } && !WasResumed && _identities.LastIdentity is { } identity)
        {
            _sessionCache.Add(session, identity, _identities.LastKeyFingerprint);
        }
    }
}

/// <summary>Adapts <see cref="DtlsPskKeyProvider"/> to BouncyCastle; remembers which identity asked (not the key).</summary>
internal sealed class DtlsIdentityManager : TlsPskIdentityManager
{
    private readonly DtlsPskKeyProvider _provider;
    private readonly ILogger _logger;

    public DtlsIdentityManager(DtlsPskKeyProvider provider, ILogger logger)
    {
        _provider = provider;
        _logger = logger;
    }

    public byte[]? LastIdentity { get; set; }

    public byte[]? LastKeyFingerprint { get; private set; }

    // LwM2M (RFC 7925 §4.1) sends no identity hint.
    public byte[]? GetHint() => null;

    public byte[]? GetPsk(byte[] identity)
    {
        LastIdentity = identity;
        byte[]? key = LookUp(identity);
        LastKeyFingerprint = key is null ? null : SHA256.HashData(key);
        return key;
    }

    /// <summary>Current key fingerprint for an identity, or null if it is no longer known.</summary>
    public byte[]? CurrentFingerprint(byte[] identity)
    {
        byte[]? key = LookUp(identity);
        if (key is null)
        {
            return null;
        }

        byte[] fingerprint = SHA256.HashData(key);
        CryptographicOperations.ZeroMemory(key);
        return fingerprint;
    }

    private byte[]? LookUp(byte[] identity)
    {
        try
        {
            return _provider(identity);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A failing key store must fail the handshake (unknown identity), not the transport.
            DtlsLog.KeyLookupFailed(_logger, e, PskCredential.FormatIdentity(identity));
            return null;
        }
    }
}

/// <summary>
/// Bounded map from session id to resumable session. A session resumes only while its identity
/// still maps to the same key, so a key rotated through LwM2M forces a full handshake.
/// </summary>
internal sealed class DtlsServerSessionCache
{
    private readonly int _capacity;
    private readonly ConcurrentDictionary<string, Entry> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _insertionOrder = new();

    public DtlsServerSessionCache(int capacity) => _capacity = capacity;

    public int Count => _sessions.Count;

    public void Add(TlsSession session, byte[] identity, byte[]? keyFingerprint)
    {
        if (keyFingerprint is null)
        {
            return;
        }

        string id = Convert.ToHexString(session.SessionID);
        _sessions[id] = new Entry(session, identity, keyFingerprint);
        _insertionOrder.Enqueue(id);
        while (_sessions.Count > _capacity && _insertionOrder.TryDequeue(out string? oldest))
        {
            if (_sessions.TryRemove(oldest, out Entry? evicted))
            {
                evicted.Session.Invalidate();
            }
        }
    }

    public TlsSession? Find(byte[] sessionId, DtlsIdentityManager identities)
    {
        if (!_sessions.TryGetValue(Convert.ToHexString(sessionId), out Entry? entry) || !entry.Session.IsResumable)
        {
            return null;
        }

        byte[]? current = identities.CurrentFingerprint(entry.Identity);
        if (current is null || !CryptographicOperations.FixedTimeEquals(current, entry.KeyFingerprint))
        {
            _sessions.TryRemove(Convert.ToHexString(sessionId), out _);
            return null;
        }

        return entry.Session;
    }

    public byte[]? IdentityOf(byte[] sessionId) =>
        _sessions.TryGetValue(Convert.ToHexString(sessionId), out Entry? entry) ? entry.Identity : null;

    private sealed record Entry(TlsSession Session, byte[] Identity, byte[] KeyFingerprint);
}
