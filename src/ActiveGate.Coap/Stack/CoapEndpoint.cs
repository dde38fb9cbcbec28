using System.Buffers;
using System.Collections.Frozen;
using System.Net;
using ActiveGate.Coap.Matching;
using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Serialization;
using ActiveGate.Coap.Stack.Deduplication;
using ActiveGate.Coap.Stack.Reliability;
using ActiveGate.Coap.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ActiveGate.Coap.Stack;

/// <summary>Handles requests that arrive at a <see cref="CoapEndpoint"/> (a server sets itself here).</summary>
public interface ICoapRequestHandler
{
    /// <summary>
    /// Handles one new (non-duplicate) request. Answer with <see cref="CoapIncomingExchange.RespondAsync"/>.
    /// Called on the receive loop: return quickly or go asynchronous.
    /// </summary>
    ValueTask HandleRequestAsync(CoapIncomingExchange exchange, CancellationToken cancellationToken);
}

/// <summary>
/// A CoAP endpoint: one datagram transport plus the message layer of RFC 7252 — codec, matcher
/// (message IDs for ACK/RST, tokens for responses), reliability (CON retransmission with
/// exponential back-off, NSTART per peer), deduplication with cached replies, piggybacked and
/// separate responses. Client (<see cref="Client.CoapClient"/>) and server
/// (<see cref="Server.CoapServer"/>) can share one endpoint, as LwM2M needs.
/// </summary>
/// <remarks>
/// All time comes from the injected <see cref="System.TimeProvider"/>. Malformed CON messages
/// are answered with RST and malformed NON messages dropped; both are counted in
/// <see cref="Counters"/>. Requests with an unrecognised critical option get 4.02 Bad Option.
/// </remarks>
public sealed partial class CoapEndpoint : IAsyncDisposable
{
    private readonly IDatagramTransport _transport;
    private readonly CoapEndpointOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Deduplicator _deduplicator;
    private readonly CoapMatcher _matcher;
    private readonly Dictionary<EndPoint, PeerCongestionState> _peers = [];
    private readonly FrozenSet<CoapOptionNumber>? _additionalKnownOptions;
    private readonly CancellationTokenSource _stopping = new();
    private readonly object _startLock = new();
    private Task? _receiveLoop;

    // The batch whose send queue collects the datagrams this thread sends while its receive loop
    // processes a batch (flushed together afterwards); null outside that window and on other threads.
    [ThreadStatic]
    private static IDatagramBatch? t_sendBatch;
    [ThreadStatic]
    private static CoapEndpoint? t_sendBatchOwner;
    private int _nextMessageId;
    private int _disposed;

    /// <summary>Creates an endpoint over <paramref name="transport"/>. Call <see cref="Start"/> (clients start it on first use).</summary>
    /// <param name="transport">Datagram transport (UDP, DTLS, 6LoWPAN, in-memory).</param>
    /// <param name="options">Settings; null for the RFC defaults.</param>
    /// <param name="timeProvider">Clock and timers; null for <see cref="TimeProvider.System"/>.</param>
    /// <param name="logger">Logger; null for none.</param>
    public CoapEndpoint(IDatagramTransport transport, CoapEndpointOptions? options = null, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        _transport = transport;
        _options = options ?? new CoapEndpointOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.TokenLength, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(_options.TokenLength, 8, nameof(options));
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _deduplicator = new Deduplicator(_time, _options.MaxDeduplicationEntries, Counters);
        _matcher = new CoapMatcher(_options.MaxPendingExchanges);
        _additionalKnownOptions = _options.AdditionalKnownOptions.Count == 0 ? null : _options.AdditionalKnownOptions.ToFrozenSet();
#pragma warning disable CA5394 // RFC 7252 §4.4 asks for a randomised start, not a secret one.
        _nextMessageId = Random.Shared.Next(0, 65536);
#pragma warning restore CA5394
    }

    /// <summary>The transport underneath.</summary>
    public IDatagramTransport Transport => _transport;

    /// <summary>The local address.</summary>
    public EndPoint LocalEndPoint => _transport.LocalEndPoint;

    /// <summary>The transmission parameters in use.</summary>
    public CoapTransmissionParameters TransmissionParameters => _options.TransmissionParameters;

    /// <summary>The endpoint's settings.</summary>
    public CoapEndpointOptions Options => _options;

    /// <summary>The clock and timer source.</summary>
    public TimeProvider TimeProvider => _time;

    /// <summary>Counters for diagnostics.</summary>
    public CoapEndpointCounters Counters { get; } = new();

    /// <summary>Receives incoming requests; without a handler requests are answered with 4.04.</summary>
    public ICoapRequestHandler? RequestHandler { get; set; }

    /// <summary>
    /// Which peers may send requests (null: any). A request from another peer gets no answer at all —
    /// no response, no ACK, no RST, nothing remembered — and is counted in
    /// <see cref="CoapEndpointCounters.RequestsIgnored"/>; responses and ACKs are not affected.
    /// </summary>
    public Func<EndPoint, bool>? AcceptRequestsFrom { get; set; }

    /// <summary>Requests awaiting a response plus active observations.</summary>
    internal int PendingTokenCount => _matcher.PendingTokens;

    /// <summary>Outgoing messages still tracked by message ID.</summary>
    internal int TrackedMessageCount => _matcher.TrackedMessages;

    /// <summary>Remembered (peer, MID) pairs.</summary>
    internal int DeduplicationCount => _deduplicator.Count;

    /// <summary>Starts the receive loop (idempotent).</summary>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        lock (_startLock)
        {
            // Long-running: a transport whose receive blocks (UDP) keeps this thread to itself;
            // an asynchronous one (in-memory, DTLS) continues on the thread pool after its first await.
            _receiveLoop ??= Task.WhenAll(Enumerable.Range(0, Math.Max(1, _options.ReceiveConcurrency)).Select(_ =>
                Task.Factory.StartNew(
                    () => ReceiveLoopAsync(_stopping.Token),
                    CancellationToken.None,
                    TaskCreationOptions.LongRunning,
                    TaskScheduler.Default).Unwrap()));
        }
    }

    /// <summary>Allocates the next message ID (RFC 7252 §4.4: sequential from a random start).</summary>
    public ushort NextMessageId() => (ushort)Interlocked.Increment(ref _nextMessageId);

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        (List<OutgoingMessage> messages, List<IResponseSink> sinks) = _matcher.Clear();
        foreach (OutgoingMessage message in messages)
        {
            message.TryComplete(TransmissionOutcome.Cancelled);
        }

        foreach (IResponseSink sink in sinks)
        {
            sink.Fail(new ObjectDisposedException(nameof(CoapEndpoint)));
        }

        if (_options.OwnsTransport)
        {
            await _transport.DisposeAsync().ConfigureAwait(false);
        }

        if (_receiveLoop is not null)
        {
            try
            {
                await _receiveLoop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        _stopping.Dispose();
    }

    private async Task ReceiveLoopAsync(CancellationToken cancellationToken)
    {
        if (_options.ReceiveBatchSize > 1 && _transport is IDatagramBatchTransport batching &&
            batching.CreateBatch(_options.ReceiveBatchSize, Math.Max(_options.ReceiveBufferSize, 64)) is { } batch)
        {
            // Synchronous: the transport blocks in the kernel, on this loop's own thread.
            ReceiveBatches(batch, cancellationToken);
            return;
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Max(_options.ReceiveBufferSize, 64));
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                DatagramReceiveResult received;
                try
                {
                    received = await _transport.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    break;
                }
                catch (ObjectDisposedException)
                {
                    break;
                }
                catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException)
                {
                    // ICMP errors and the like concern one peer, never the endpoint.
                    _logger.LogDebug(ex, "CoAP receive failed; continuing");
                    continue;
                }

                Interlocked.Increment(ref Counters._datagramsReceived);
                if (received.Truncated)
                {
                    Interlocked.Increment(ref Counters._truncatedDatagrams);
                    continue;
                }

                try
                {
                    ProcessDatagram(buffer.AsSpan(0, received.Length), received.Remote);
                }
#pragma warning disable CA1031 // One bad datagram or handler must not stop the endpoint.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    _logger.LogWarning(ex, "CoAP datagram from {Remote} could not be processed", received.Remote);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void ReceiveBatches(IDatagramBatch batch, CancellationToken cancellationToken)
    {
        using (batch)
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                int count;
                try
                {
                    count = batch.Receive(cancellationToken);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    break;
                }
                catch (ObjectDisposedException)
                {
                    break;
                }
                catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException)
                {
                    _logger.LogDebug(ex, "CoAP receive failed; continuing");
                    continue;
                }

                ProcessBatch(batch, count);
            }
        }
    }

    /// <summary>Processes the datagrams of one received batch, then sends the replies they produced together.</summary>
    internal void ProcessBatch(IDatagramBatch batch, int count)
    {
        t_sendBatch = batch;
        t_sendBatchOwner = this;
        try
        {
            for (int i = 0; i < count; i++)
            {
                ReadOnlySpan<byte> datagram = batch.GetReceived(i, out EndPoint remote, out bool truncated);
                Interlocked.Increment(ref Counters._datagramsReceived);
                if (truncated)
                {
                    Interlocked.Increment(ref Counters._truncatedDatagrams);
                    continue;
                }

                try
                {
                    ProcessDatagram(datagram, remote);
                }
#pragma warning disable CA1031 // One bad datagram or handler must not stop the endpoint.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    _logger.LogWarning(ex, "CoAP datagram from {Remote} could not be processed", remote);
                }
            }
        }
        finally
        {
            t_sendBatch = null;
            t_sendBatchOwner = null;
        }

        int refused = batch.Flush();
        if (refused > 0 && _logger.IsEnabled(LogLevel.Debug))
        {
            _logger.LogDebug("CoAP send of {Count} batched datagrams failed", refused);
        }
    }

    /// <summary>Processes one received datagram (the receive loop calls this; tests may too).</summary>
    internal void ProcessDatagram(ReadOnlySpan<byte> datagram, EndPoint remote)
    {
        if (!CoapMessageView.TryParse(datagram, out CoapMessageView view, out CoapFormatError error))
        {
            RejectMalformed(datagram, remote, error);
            return;
        }

        switch (view.Type)
        {
            case CoapMessageType.Acknowledgement:
                HandleAcknowledgement(view, remote);
                break;
            case CoapMessageType.Reset:
                HandleReset(view.MessageId, remote);
                break;
            default:
                if (view.Code.IsEmpty)
                {
                    // CoAP ping (§4.3): a CON with code 0.00 is answered with RST.
                    SendEmpty(CoapMessageType.Reset, view.MessageId, remote);
                }
                else if (view.Code.IsRequest)
                {
                    HandleRequest(view, remote);
                }
                else
                {
                    HandleSeparateResponse(view, remote);
                }

                break;
        }
    }

    private void RejectMalformed(ReadOnlySpan<byte> datagram, EndPoint remote, CoapFormatError error)
    {
        if (CoapMessageView.TryPeekHeader(datagram, out CoapMessageType type, out ushort messageId) &&
            type == CoapMessageType.Confirmable)
        {
            Interlocked.Increment(ref Counters._malformedRejected);
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                _logger.LogDebug("Malformed CON from {Remote} ({Error}); sending RST", remote, error);
            }

            SendEmpty(CoapMessageType.Reset, messageId, remote);
        }
        else
        {
            Interlocked.Increment(ref Counters._malformedDropped);
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                _logger.LogDebug("Malformed message from {Remote} ({Error}) dropped", remote, error);
            }

        }
    }

    /// <summary>
    /// The first critical option neither this library nor <see cref="CoapEndpointOptions.AdditionalKnownOptions"/>
    /// understands (or a known one with an invalid length), if any. The additional set is looked at only after the
    /// cheap checks failed, so device traffic never reaches it.
    /// </summary>
    private bool TryFindBadCriticalOption(CoapMessageView view, out CoapOptionNumber number)
    {
        foreach (CoapMessageView.OptionView option in view.Options)
        {
            if (option.Number.IsCritical() &&
                (option.Number.IsKnown() ? !option.Number.IsValidLength(option.Value.Length) : _additionalKnownOptions?.Contains(option.Number) != true))
            {
                number = option.Number;
                return true;
            }
        }

        number = default;
        return false;
    }

    private void HandleAcknowledgement(CoapMessageView view, EndPoint remote)
    {
        if (!_matcher.TryRemoveTracked(remote, view.MessageId, out OutgoingMessage? outgoing) || !outgoing!.Confirmable)
        {
            Interlocked.Increment(ref Counters._unmatchedMessages);
            return;
        }

        if (!view.Code.IsEmpty && TryFindBadCriticalOption(view, out CoapOptionNumber badOption))
        {
            // §5.4.1: a piggybacked response with an unrecognised critical option is rejected. The ACK still ends the
            // retransmission; the waiting request fails now instead of timing out on a response it can never accept.
            outgoing.TryComplete(TransmissionOutcome.Acknowledged);
            Interlocked.Increment(ref Counters._malformedDropped);
            CoapToken token = view.Token;
            if (_matcher.TryGetSink(remote, token, out IResponseSink? rejected))
            {
                _matcher.RemoveSink(remote, token, rejected!);
                rejected!.Fail(new CoapException($"Response rejected: unrecognised critical option {(int)badOption} (RFC 7252 §5.4.1)."));
            }

            return;
        }

        CoapMessage? ack = view.Code.IsEmpty ? null : view.ToMessage();
        outgoing.TryComplete(TransmissionOutcome.Acknowledged, ack);
        if (ack is not null)
        {
            Interlocked.Increment(ref Counters._responsesReceived);
            DeliverResponse(ack, remote);
        }
    }

    private void HandleReset(ushort messageId, EndPoint remote)
    {
        Interlocked.Increment(ref Counters._resetsReceived);
        if (_matcher.TryRemoveTracked(remote, messageId, out OutgoingMessage? outgoing))
        {
            outgoing!.TryComplete(TransmissionOutcome.Reset);
        }
        else
        {
            Interlocked.Increment(ref Counters._unmatchedMessages);
        }
    }

    private void HandleSeparateResponse(CoapMessageView view, EndPoint remote)
    {
        bool confirmable = view.Type == CoapMessageType.Confirmable;
        TimeSpan lifetime = confirmable ? TransmissionParameters.ExchangeLifetime : TransmissionParameters.NonLifetime;
        if (!_deduplicator.TryRegister(remote, view.MessageId, lifetime, out byte[]? cachedReply))
        {
            Interlocked.Increment(ref Counters._duplicatesReceived);
            if (cachedReply is not null)
            {
                SendDatagram(cachedReply, remote);
            }

            return;
        }

        if (TryFindBadCriticalOption(view, out _))
        {
            // §5.4.1: an unrecognised critical option in a response means rejecting it.
            if (confirmable)
            {
                Interlocked.Increment(ref Counters._malformedRejected);
                SendEmpty(CoapMessageType.Reset, view.MessageId, remote);
            }
            else
            {
                Interlocked.Increment(ref Counters._malformedDropped);
            }

            return;
        }

        if (!_matcher.ContainsToken(remote, view.Token))
        {
            // Nobody waits for this (a cancelled request, a forgotten observation): RST tells the peer (§4.2, RFC 7641 §3.6).
            Interlocked.Increment(ref Counters._unmatchedMessages);
            byte[] reset = EncodeEmpty(CoapMessageType.Reset, view.MessageId);
            _deduplicator.SetReply(remote, view.MessageId, reset);
            SendDatagram(reset, remote);
            return;
        }

        if (confirmable)
        {
            byte[] ack = EncodeEmpty(CoapMessageType.Acknowledgement, view.MessageId);
            _deduplicator.SetReply(remote, view.MessageId, ack);
            SendDatagram(ack, remote);
        }

        Interlocked.Increment(ref Counters._responsesReceived);
        DeliverResponse(view.ToMessage(), remote);
    }

    private void DeliverResponse(CoapMessage response, EndPoint remote)
    {
        if (!_matcher.TryGetSink(remote, response.Token, out IResponseSink? sink))
        {
            Interlocked.Increment(ref Counters._unmatchedMessages);
            return;
        }

        if (!sink!.Deliver(response, remote))
        {
            _matcher.RemoveSink(remote, response.Token, sink);
        }
    }

    private static byte[] EncodeEmpty(CoapMessageType type, ushort messageId)
    {
        byte[] bytes = new byte[CoapMessageCodec.HeaderLength];
        CoapMessageCodec.WriteEmpty(type, messageId, bytes);
        return bytes;
    }

    private void SendEmpty(CoapMessageType type, ushort messageId, EndPoint remote) =>
        SendDatagram(EncodeEmpty(type, messageId), remote);

    /// <summary>Sends without waiting; failures are logged (UDP gives no delivery guarantee anyway).</summary>
    private void SendDatagram(ReadOnlyMemory<byte> datagram, EndPoint remote)
    {
        if (_disposed != 0)
        {
            return;
        }

        Interlocked.Increment(ref Counters._datagramsSent);
        ValueTask sending;
        try
        {
            if (ReferenceEquals(t_sendBatchOwner, this) && t_sendBatch!.TryQueueSend(datagram.Span, remote))
            {
                return;
            }

            sending = _transport.SendAsync(datagram, remote, CancellationToken.None);
        }
#pragma warning disable CA1031 // A failed send is a lost datagram, which CoAP tolerates.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogSendFailure(ex, remote);
            return;
        }

        if (!sending.IsCompletedSuccessfully)
        {
            _ = ObserveSendAsync(sending, remote);
        }
    }

    private async Task ObserveSendAsync(ValueTask sending, EndPoint remote)
    {
        try
        {
            await sending.ConfigureAwait(false);
        }
#pragma warning disable CA1031 // A failed send is a lost datagram, which CoAP tolerates.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogSendFailure(ex, remote);
        }
    }

    private void LogSendFailure(Exception error, EndPoint remote)
    {
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            _logger.LogDebug(error, "CoAP send to {Remote} failed", remote);
        }
    }

    private sealed class PeerCongestionState
    {
        public int Outstanding { get; set; }

        public Queue<TaskCompletionSource> Waiters { get; } = new();
    }
}
