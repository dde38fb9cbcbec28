using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Org.BouncyCastle.Tls;

namespace ActiveGate.Coap.Transport.Dtls;

/// <summary>
/// DTLS 1.2 PSK client transport: the first datagram to a server (or <see cref="ConnectAsync"/>)
/// runs the handshake; later ones go over the session. When the server loses the session (it sends
/// a plaintext alert, a fatal alert, or stays silent for <see cref="DtlsPskClientOptions.PeerSilenceTimeout"/>
/// while we keep sending) the next send starts a new handshake, offering the old session for
/// resumption; a server that forgot it answers with a full handshake.
/// </summary>
/// <example>
/// <code>
/// var credential = PskCredential.FromHex("gateway-01", "000102030405060708090a0b0c0d0e0f");
/// await using var dtls = new DtlsPskClientTransport(new DtlsPskClientOptions { Credential = credential });
/// await dtls.ConnectAsync(new IPEndPoint(IPAddress.Loopback, 5684), ct); // optional: fail early on a wrong key
/// </code>
/// </example>
public sealed class DtlsPskClientTransport : DtlsPskTransport
{
    private readonly DtlsPskClientOptions _options;
    private readonly ConcurrentDictionary<IPEndPoint, TlsSession> _resumableSessions = new();

    /// <summary>Binds the UDP socket and starts receiving.</summary>
    public DtlsPskClientTransport(DtlsPskClientOptions options, ILogger? logger = null, TimeProvider? timeProvider = null)
        : base(options, options?.LocalEndPoint ?? throw new ArgumentNullException(nameof(options)), logger, timeProvider)
    {
        _options = options;
        StartReceiving();
    }

    /// <summary>Runs the handshake with <paramref name="remote"/> now unless a usable session exists.</summary>
    /// <exception cref="DtlsHandshakeException">The handshake failed (timeout, wrong key, unknown identity, alert).</exception>
    public async Task ConnectAsync(IPEndPoint remote, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(remote);
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        _ = await GetSessionForSendAsync(Normalize(remote), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Whether an established session with <paramref name="remote"/> exists.</summary>
    public bool IsConnected(IPEndPoint remote) =>
        Sessions.TryGetValue(Normalize(remote ?? throw new ArgumentNullException(nameof(remote))), out DtlsSession? session) && session.IsEstablished;

    private protected override async ValueTask<DtlsSession?> GetSessionForSendAsync(IPEndPoint remote, CancellationToken cancellationToken)
    {
        while (true)
        {
            ObjectDisposedException.ThrowIf(IsDisposed, this);
            if (Sessions.TryGetValue(remote, out DtlsSession? existing))
            {
                if (!existing.IsEstablished)
                {
                    await existing.Ready.WaitAsync(cancellationToken).ConfigureAwait(false);
                    continue;
                }

                string? staleReason = StaleReason(existing);
                if (staleReason is null)
                {
                    return existing;
                }

                DtlsLog.SessionLost(Logger, remote, staleReason);
                RemoveSession(existing, notifyPeer: true);
            }

            var session = new DtlsSession(CreateLink(remote), Time.GetTimestamp());
            if (!Sessions.TryAdd(remote, session))
            {
                continue;
            }

            StartHandshake(session, RunHandshake);
            await session.Ready.WaitAsync(cancellationToken).ConfigureAwait(false);
            return session;
        }
    }

    private protected override TimeSpan SilenceWindow => _options.PeerSilenceTimeout;

    private protected override void OnDatagramFromUnknownPeer(ReadOnlySpan<byte> datagram, IPEndPoint remote)
    {
        // A client talks only to servers it contacted; anything else is noise or a late record of a closed session.
        CountDropped();
    }

    private string? StaleReason(DtlsSession session)
    {
        lock (session.Gate)
        {
            if (session.PeerLostSession)
            {
                return "the server answered with a plaintext alert";
            }

            if (session.UnansweredSends >= 2 && Time.GetElapsedTime(session.FirstUnansweredTimestamp) >= _options.PeerSilenceTimeout)
            {
                return $"{session.UnansweredSends} records unanswered for {Time.GetElapsedTime(session.FirstUnansweredTimestamp).TotalSeconds:0.#} s";
            }

            if (_options.ResumeAfterIdle is { } idle && Time.GetElapsedTime(session.LastReceiveTimestamp) >= idle)
            {
                return $"idle for {Time.GetElapsedTime(session.LastReceiveTimestamp).TotalSeconds:0.#} s";
            }

            return null;
        }
    }

    private void RunHandshake(DtlsSession session)
    {
        IPEndPoint remote = session.Remote;
        TlsSession? resume = _options.EnableSessionResumption && _resumableSessions.TryGetValue(remote, out TlsSession? cached) ? cached : null;
        byte[] key = _options.Credential.CopyKey();
        PskDtlsClientPeer peer;
        try
        {
            peer = new PskDtlsClientPeer(Crypto, new BasicTlsPskIdentity(_options.Credential.Identity.ToArray(), key), Options, resume);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }

        try
        {
            DtlsTransport transport = new DtlsClientProtocol().Connect(peer, session.Link);
            if (peer.EstablishedSession is { IsResumable: true } established && _options.EnableSessionResumption)
            {
                _resumableSessions[remote] = established;
            }

            session.CipherSuite = peer.NegotiatedCipherSuite;
            CompleteHandshake(session, transport, peer.WasResumed);
            DtlsLog.SessionEstablished(Logger, remote, _options.Credential.DisplayIdentity, (DtlsPskCipherSuite)peer.NegotiatedCipherSuite, peer.WasResumed);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            DtlsHandshakeException failure = FailHandshake(session, e, peer);
            if (failure.Reason != DtlsFailureReason.Canceled)
            {
                // Never offer a session the server just refused.
                _resumableSessions.TryRemove(remote, out _);
            }
        }
    }

    internal static string CipherSuiteName(int suite) => suite switch
    {
        (int)DtlsPskCipherSuite.TlsPskWithAes128Ccm8 => "TLS_PSK_WITH_AES_128_CCM_8",
        (int)DtlsPskCipherSuite.TlsPskWithAes128CbcSha256 => "TLS_PSK_WITH_AES_128_CBC_SHA256",
        _ => $"0x{suite:X4}",
    };
}
