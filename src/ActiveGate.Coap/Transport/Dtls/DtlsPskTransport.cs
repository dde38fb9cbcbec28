using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace ActiveGate.Coap.Transport.Dtls;

/// <summary>
/// DTLS 1.2 PSK over one UDP socket, shared by the client and server roles. A single reader loop
/// owns the socket: it routes each datagram to its peer's session by source endpoint and decrypts
/// application records in place; handshakes run on their own threads because BouncyCastle's DTLS
/// handshake is blocking. Decrypted CoAP datagrams surface through <see cref="ReceiveAsync"/>.
/// </summary>
public abstract class DtlsPskTransport : IDatagramTransport
{
    private readonly Socket _socket;
    private readonly Channel<ReceivedDatagram> _received;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly ConcurrentDictionary<DtlsSession, Task> _handshakes = new();
    private readonly int _recordLimit;
    private Task _receiveLoop = Task.CompletedTask;
    private int _disposed;
    private long _handshakesSucceeded;
    private long _handshakesFailed;
    private long _handshakesResumed;
    private long _datagramsDropped;

    private protected DtlsPskTransport(DtlsPskTransportOptions options, IPEndPoint localEndPoint, ILogger? logger, TimeProvider? timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        Logger = logger ?? NullLogger.Instance;
        Time = timeProvider ?? TimeProvider.System;
        Crypto = new BcTlsCrypto(new SecureRandom());
        _recordLimit = options.MaxRecordSize;
        MaxDatagramSize = options.MaxRecordSize - WorstCaseRecordOverhead(options.CipherSuites);
        _received = Channel.CreateBounded<ReceivedDatagram>(new BoundedChannelOptions(options.ReceiveQueueCapacity)
        {
            FullMode = BoundedChannelFullMode.DropWrite,
            SingleReader = false,
            SingleWriter = false,
        });

        _socket = new Socket(localEndPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (localEndPoint.AddressFamily == AddressFamily.InterNetworkV6 && localEndPoint.Address.Equals(IPAddress.IPv6Any))
            {
                _socket.DualMode = true;
            }

            _socket.Bind(localEndPoint);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }

        LocalEndPoint = _socket.LocalEndPoint!;
    }

    /// <inheritdoc/>
    public EndPoint LocalEndPoint { get; }

    /// <summary>Largest CoAP datagram that fits one DTLS record of <see cref="DtlsPskTransportOptions.MaxRecordSize"/> with any configured suite.</summary>
    public int MaxDatagramSize { get; }

    /// <summary>Sessions held now (established and handshaking).</summary>
    public int SessionCount => Sessions.Count;

    /// <summary>Handshakes (full or abbreviated) that completed.</summary>
    public long HandshakesSucceeded => Interlocked.Read(ref _handshakesSucceeded);

    /// <summary>Handshakes that failed (timeout, wrong key, alerts, refusals).</summary>
    public long HandshakesFailed => Interlocked.Read(ref _handshakesFailed);

    /// <summary>Handshakes that resumed an earlier session instead of running a full handshake.</summary>
    public long HandshakesResumed => Interlocked.Read(ref _handshakesResumed);

    /// <summary>Datagrams dropped: no session, queue full, or not DTLS.</summary>
    public long DatagramsDropped => Interlocked.Read(ref _datagramsDropped);

    /// <summary>For tests and diagnostics: each session's peer and state.</summary>
    internal IReadOnlyList<string> DescribeSessions() =>
        Sessions.Select(pair => $"{pair.Key} {(pair.Value.IsEstablished ? "established" : "handshaking")} link-closed={pair.Value.Link.IsClosed}").ToArray();

    private protected DtlsPskTransportOptions Options { get; }

    private protected ILogger Logger { get; }

    private protected TimeProvider Time { get; }

    private protected BcTlsCrypto Crypto { get; }

    private protected ConcurrentDictionary<IPEndPoint, DtlsSession> Sessions { get; } = new();

    private protected CancellationToken ShutdownToken => _shutdown.Token;

    private protected bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <inheritdoc/>
    public async ValueTask SendAsync(ReadOnlyMemory<byte> datagram, EndPoint remote, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        IPEndPoint peer = Normalize(remote as IPEndPoint ?? throw new ArgumentException("DTLS runs over IP; an IPEndPoint is required.", nameof(remote)));
        if (datagram.Length > MaxDatagramSize)
        {
            throw new ArgumentException($"The datagram ({datagram.Length} bytes) exceeds the DTLS transport's limit of {MaxDatagramSize} bytes.", nameof(datagram));
        }

        DtlsSession? session = await GetSessionForSendAsync(peer, cancellationToken).ConfigureAwait(false);
        if (session is null)
        {
            CountDropped();
            DtlsLog.NoSession(Logger, peer, datagram.Length);
            return;
        }

        lock (session.Gate)
        {
            DtlsTransport transport = session.Transport!;
            try
            {
                transport.Send(datagram.Span);
            }
            catch (IOException e)
            {
                DtlsLog.SendFailed(Logger, peer, e.Message);
                RemoveSession(session, notifyPeer: false);
                throw;
            }

            NoteSent(session);
        }
    }

    /// <inheritdoc/>
    public async ValueTask<DatagramReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        ReceivedDatagram received;
        try
        {
            received = await _received.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw new ObjectDisposedException(GetType().Name);
        }

        try
        {
            int length = Math.Min(received.Length, buffer.Length);
            received.Buffer.AsSpan(0, length).CopyTo(buffer.Span);
            return new DatagramReceiveResult(length, received.Remote, received.Length > buffer.Length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(received.Buffer);
        }
    }

    /// <summary>Closes every session (with close_notify), the socket and pending receives. Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _shutdown.CancelAsync().ConfigureAwait(false);
        OnDisposing();
        foreach (DtlsSession session in Sessions.Values)
        {
            RemoveSession(session, notifyPeer: true);
        }

        _socket.Dispose();
        try
        {
            await _receiveLoop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Expected on shutdown.
        }

        // Handshakes unwind promptly: their links throw once closed.
        await Task.WhenAll(_handshakes.Values).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _received.Writer.TryComplete();
        while (_received.Reader.TryRead(out ReceivedDatagram leftover))
        {
            ArrayPool<byte>.Shared.Return(leftover.Buffer);
        }

        _shutdown.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// How long sends may be apart and still count as one burst of unanswered records (see
    /// <see cref="DtlsPskClientOptions.PeerSilenceTimeout"/>); infinite for roles that do not track silence.
    /// </summary>
    private protected virtual TimeSpan SilenceWindow => Timeout.InfiniteTimeSpan;

    /// <summary>
    /// Books a send for silence detection: records sent since the last record received form one
    /// burst as long as they are less than <see cref="SilenceWindow"/> apart, so an old response
    /// followed hours later by a new request does not look like a silent peer.
    /// Caller holds <see cref="DtlsSession.Gate"/>.
    /// </summary>
    private void NoteSent(DtlsSession session)
    {
        long now = Time.GetTimestamp();
        bool burstBroken = SilenceWindow != Timeout.InfiniteTimeSpan && Time.GetElapsedTime(session.LastSendTimestamp, now) > SilenceWindow;
        if (session.UnansweredSends == 0 || burstBroken)
        {
            session.UnansweredSends = 0;
            session.FirstUnansweredTimestamp = now;
        }

        session.UnansweredSends++;
        session.LastSendTimestamp = now;
        session.LastActivityTimestamp = now;
    }

    /// <summary>Role hook: the session to send over, establishing one if the role may; null drops the datagram.</summary>
    private protected abstract ValueTask<DtlsSession?> GetSessionForSendAsync(IPEndPoint remote, CancellationToken cancellationToken);

    /// <summary>Role hook: a datagram from an endpoint without a session.</summary>
    private protected abstract void OnDatagramFromUnknownPeer(ReadOnlySpan<byte> datagram, IPEndPoint remote);

    /// <summary>Role hook: a ClientHello from an endpoint that has an established session. Returns true when handled.</summary>
    private protected virtual bool OnClientHelloFromKnownPeer(ReadOnlySpan<byte> datagram, DtlsSession session) => false;

    private protected virtual void OnDisposing()
    {
    }

    /// <summary>Starts the socket reader; called at the end of the role's constructor.</summary>
    private protected void StartReceiving() =>
        _receiveLoop = Task.Factory.StartNew(() => ReceiveLoopAsync(_shutdown.Token), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();

    private protected DtlsPeerLink CreateLink(IPEndPoint remote) => new(_socket, remote, _recordLimit);

    private protected void CountDropped() => Interlocked.Increment(ref _datagramsDropped);

    /// <summary>Runs a blocking handshake on its own thread and tracks it for disposal.</summary>
    private protected void StartHandshake(DtlsSession session, Action<DtlsSession> handshake)
    {
        Task task = Task.Factory.StartNew(() => handshake(session), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        _handshakes[session] = task;
        _ = task.ContinueWith((_, state) => _handshakes.TryRemove((DtlsSession)state!, out Task? _), session, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Marks the session established and drains datagrams that arrived during the handshake's last moments.</summary>
    private protected void CompleteHandshake(DtlsSession session, DtlsTransport transport, bool resumed)
    {
        lock (session.Gate)
        {
            session.Establish(transport);
            long now = Time.GetTimestamp();
            session.LastReceiveTimestamp = now;
            session.LastActivityTimestamp = now;
            Pump(session);
        }

        Interlocked.Increment(ref _handshakesSucceeded);
        if (resumed)
        {
            Interlocked.Increment(ref _handshakesResumed);
        }

        session.MarkReady();
    }

    /// <summary>Records a failed handshake, forgets the session and turns the BouncyCastle exception into ours.</summary>
    private protected DtlsHandshakeException FailHandshake(DtlsSession session, Exception exception, IAlertObserver observer)
    {
        DtlsHandshakeException failure = Classify(session, exception, observer);
        session.Fail(failure);
        RemoveSession(session, notifyPeer: false);
        if (failure.Reason == DtlsFailureReason.Canceled)
        {
            DtlsLog.HandshakeCanceled(Logger, session.Remote);
        }
        else
        {
            DtlsLog.HandshakeFailed(Logger, session.Remote, failure.Reason, failure.Message);
        }

        Interlocked.Increment(ref _handshakesFailed);

        return failure;
    }

    private protected void RemoveSession(DtlsSession session, bool notifyPeer)
    {
        Sessions.TryRemove(new KeyValuePair<IPEndPoint, DtlsSession>(session.Remote, session));
        session.Close(notifyPeer);
    }

    private protected static IPEndPoint Normalize(IPEndPoint endPoint) =>
        endPoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port) : endPoint;

    private static int WorstCaseRecordOverhead(IReadOnlyList<DtlsPskCipherSuite> suites)
    {
        int worst = 0;
        foreach (DtlsPskCipherSuite suite in suites)
        {
            int overhead = suite switch
            {
                // header 13 + explicit nonce 8 + CCM_8 tag 8
                DtlsPskCipherSuite.TlsPskWithAes128Ccm8 => DtlsRecordHeader.Length + 8 + 8,
                // header 13 + IV 16 + HMAC-SHA256 32 + padding up to a full block 16
                _ => DtlsRecordHeader.Length + 16 + 32 + 16,
            };
            worst = Math.Max(worst, overhead);
        }

        return worst;
    }

    private async Task ReceiveLoopAsync(CancellationToken cancellationToken)
    {
        // One buffer for the loop's lifetime; anything larger than a UDP datagram cannot arrive.
        byte[] buffer = GC.AllocateUninitializedArray<byte>(65536);
        EndPoint any = _socket.AddressFamily == AddressFamily.InterNetworkV6 ? new IPEndPoint(IPAddress.IPv6Any, 0) : new IPEndPoint(IPAddress.Any, 0);
        while (!cancellationToken.IsCancellationRequested)
        {
            SocketReceiveFromResult result;
            try
            {
                result = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (ObjectDisposedException)
            {
                break;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.OperationAborted || cancellationToken.IsCancellationRequested)
            {
                // Disposal closes the socket under a pending receive; Linux reports that as ECANCELED.
                break;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.MessageSize or SocketError.NetworkReset)
            {
                // ICMP errors for earlier sends surface here on some platforms; they concern no single read.
                continue;
            }

            IPEndPoint remote = Normalize((IPEndPoint)result.RemoteEndPoint);
            try
            {
                OnDatagram(buffer.AsSpan(0, result.ReceivedBytes), remote);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // One misbehaving peer must never stop the reader for all others.
                CountDropped();
                DtlsLog.DatagramFailed(Logger, e, remote);
            }
        }
    }

    private void OnDatagram(ReadOnlySpan<byte> datagram, IPEndPoint remote)
    {
        if (!Sessions.TryGetValue(remote, out DtlsSession? session))
        {
            OnDatagramFromUnknownPeer(datagram, remote);
            return;
        }

        if (session.IsEstablished && DtlsRecordHeader.IsClientHello(datagram) && OnClientHelloFromKnownPeer(datagram, session))
        {
            return;
        }

        lock (session.Gate)
        {
            if (session.IsEstablished && IsPlaintextAlert(datagram))
            {
                // An established peer never sends epoch-0 alerts; one that lost our session (restart)
                // answers our records with one. Unauthenticated, so it only prompts a re-handshake.
                session.PeerLostSession = true;
            }

            if (!session.Link.Enqueue(datagram))
            {
                CountDropped();
                return;
            }

            if (session.IsEstablished)
            {
                Pump(session);
            }
        }
    }

    private static bool IsPlaintextAlert(ReadOnlySpan<byte> datagram) =>
        datagram.Length >= DtlsRecordHeader.Length && datagram[0] == DtlsRecordHeader.ContentTypeAlert && datagram[3] == 0 && datagram[4] == 0;

    /// <summary>Decrypts every queued datagram of an established session. Caller holds <see cref="DtlsSession.Gate"/>.</summary>
    private void Pump(DtlsSession session)
    {
        DtlsTransport transport = session.Transport!;
        byte[] plaintext = ArrayPool<byte>.Shared.Rent(_recordLimit);
        try
        {
            while (session.Link.HasQueuedDatagrams)
            {
                // The link never blocks once established; 1 ms only bounds BouncyCastle's retry loop
                // for records that carry no application data (alerts, retransmitted Finished).
                int length = transport.Receive(plaintext, 0, plaintext.Length, 1);
                while (length >= 0)
                {
                    Deliver(session, plaintext.AsSpan(0, length));
                    length = transport.ReceivePending(plaintext, 0, plaintext.Length);
                }
            }
        }
        catch (TlsFatalAlertReceived e)
        {
            DtlsLog.PeerAlert(Logger, session.Remote, e.AlertDescription);
            RemoveSession(session, notifyPeer: false);
            return;
        }
        catch (IOException e)
        {
            DtlsLog.SessionFailed(Logger, session.Remote, e.Message);
            RemoveSession(session, notifyPeer: false);
            return;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(plaintext);
        }

        if (session.Link.IsClosed)
        {
            // close_notify from the peer: BouncyCastle closed the record layer.
            DtlsLog.PeerClosed(Logger, session.Remote);
            RemoveSession(session, notifyPeer: false);
        }
    }

    private void Deliver(DtlsSession session, ReadOnlySpan<byte> plaintext)
    {
        long now = Time.GetTimestamp();
        session.LastReceiveTimestamp = now;
        session.LastActivityTimestamp = now;
        session.UnansweredSends = 0;
        session.PeerLostSession = false;

        byte[] copy = ArrayPool<byte>.Shared.Rent(Math.Max(plaintext.Length, 1));
        plaintext.CopyTo(copy);
        if (!_received.Writer.TryWrite(new ReceivedDatagram(copy, plaintext.Length, session.Remote)))
        {
            ArrayPool<byte>.Shared.Return(copy);
            CountDropped();
        }
    }

    private DtlsHandshakeException Classify(DtlsSession session, Exception exception, IAlertObserver observer)
    {
        IPEndPoint remote = session.Remote;
        if (IsDisposed || session.Link.IsClosed && Find<DtlsLinkClosedException>(exception) is not null)
        {
            return new DtlsHandshakeException(remote, DtlsFailureReason.Canceled, $"The DTLS handshake with {remote} was canceled.", innerException: exception);
        }

        if (Find<DtlsKeyMismatchException>(exception) is not null)
        {
            return new DtlsHandshakeException(remote, DtlsFailureReason.KeyMismatch,
                $"The DTLS handshake with {remote} failed: the peer's encrypted Finished never authenticated; the pre-shared keys differ.", innerException: exception);
        }

        short? alert = null;
        bool received = false;
        if (Find<TlsFatalAlertReceived>(exception) is { } alertReceived)
        {
            alert = alertReceived.AlertDescription;
            received = true;
        }
        else if (Find<TlsFatalAlert>(exception) is { } alertSent)
        {
            alert = alertSent.AlertDescription;
        }
        else if (observer.LastAlertReceived is { } lastReceived)
        {
            alert = lastReceived;
            received = true;
        }

        if (alert is null && Find<TlsTimeoutException>(exception) is not null)
        {
            return new DtlsHandshakeException(remote, DtlsFailureReason.HandshakeTimeout,
                $"The DTLS handshake with {remote} timed out after {Options.HandshakeTimeout.TotalSeconds:0.#} s (peer unreachable, not speaking DTLS, or silently rejecting our key).", innerException: exception);
        }

        if (alert is { } description)
        {
            string text = AlertDescription.GetText(description);
            DtlsFailureReason reason = description switch
            {
                AlertDescription.unknown_psk_identity => DtlsFailureReason.UnknownIdentity,
                AlertDescription.decrypt_error or AlertDescription.bad_record_mac => DtlsFailureReason.KeyMismatch,
                _ => received ? DtlsFailureReason.AlertReceived : DtlsFailureReason.AlertSent,
            };
            string detail = reason switch
            {
                DtlsFailureReason.UnknownIdentity => "the PSK identity is unknown",
                DtlsFailureReason.KeyMismatch => "the pre-shared keys differ",
                _ => received ? "the peer sent a fatal alert" : "we aborted with a fatal alert",
            };
            return new DtlsHandshakeException(remote, reason, $"The DTLS handshake with {remote} failed: {detail} ({(received ? "received" : "sent")} {text}).", description, exception);
        }

        return new DtlsHandshakeException(remote, DtlsFailureReason.AlertSent, $"The DTLS handshake with {remote} failed: {exception.Message}", innerException: exception);
    }

    private static T? Find<T>(Exception? exception)
        where T : Exception
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is T match)
            {
                return match;
            }
        }

        return null;
    }

    private readonly record struct ReceivedDatagram(byte[] Buffer, int Length, IPEndPoint Remote);
}
