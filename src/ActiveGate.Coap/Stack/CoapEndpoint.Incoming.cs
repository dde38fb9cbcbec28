using System.Net;
using System.Text;
using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Serialization;
using ActiveGate.Coap.Stack.Reliability;
using Microsoft.Extensions.Logging;

namespace ActiveGate.Coap.Stack;

public sealed partial class CoapEndpoint
{
    private void HandleRequest(CoapMessageView view, EndPoint remote)
    {
        if (AcceptRequestsFrom is { } accept && !accept(remote))
        {
            // Silence rather than 4.03/RST: a stranger learns nothing, not even that something listens.
            Interlocked.Increment(ref Counters._requestsIgnored);
            return;
        }

        bool confirmable = view.Type == CoapMessageType.Confirmable;
        TimeSpan lifetime = confirmable ? TransmissionParameters.ExchangeLifetime : TransmissionParameters.NonLifetime;
        if (!_deduplicator.TryRegister(remote, view.MessageId, lifetime, out byte[]? cachedReply))
        {
            // §4.5: a duplicate gets the same reply again and is not processed twice.
            Interlocked.Increment(ref Counters._duplicatesReceived);
            if (cachedReply is not null)
            {
                SendDatagram(cachedReply, remote);
            }

            return;
        }

        Interlocked.Increment(ref Counters._requestsReceived);
        var exchange = new CoapIncomingExchange(this, view.ToMessage(), remote);
        if (TryFindBadCriticalOption(view, out CoapOptionNumber badOption))
        {
            // §5.4.1: unrecognised critical option in a request → 4.02 Bad Option.
            Interlocked.Increment(ref Counters._badOptionRejected);
            var badOptionResponse = new CoapMessage
            {
                Code = CoapCode.BadOption,
                Payload = Encoding.UTF8.GetBytes($"Unrecognised critical option {(int)badOption}"),
            };
            Forget(RespondAsync(exchange, badOptionResponse, CancellationToken.None));
            return;
        }

        ICoapRequestHandler? handler = RequestHandler;
        if (handler is null)
        {
            Forget(RespondAsync(exchange, new CoapMessage { Code = CoapCode.NotFound }, CancellationToken.None));
            return;
        }

        ValueTask handling;
        try
        {
            handling = handler.HandleRequestAsync(exchange, _stopping.Token);
        }
#pragma warning disable CA1031 // A failing handler becomes a 5.00, never a dead endpoint.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            FailExchange(exchange, ex);
            return;
        }

        if (handling.IsCompletedSuccessfully)
        {
            EnsureResponded(exchange);
            return;
        }

        if (confirmable)
        {
            exchange.StartSeparateResponseTimer(_time, _options.SeparateResponseDelay);
        }

        _ = CompleteHandlingAsync(handling, exchange);
    }

    private async Task CompleteHandlingAsync(ValueTask handling, CoapIncomingExchange exchange)
    {
        try
        {
            await handling.ConfigureAwait(false);
            EnsureResponded(exchange);
        }
#pragma warning disable CA1031 // A failing handler becomes a 5.00, never a dead endpoint.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            FailExchange(exchange, ex);
        }
    }

    private void EnsureResponded(CoapIncomingExchange exchange)
    {
        if (!exchange.HasResponded)
        {
            _logger.LogWarning("CoAP handler returned without responding to {Request}; sending 5.00", exchange.Request);
            Forget(RespondAsync(exchange, new CoapMessage { Code = CoapCode.InternalServerError }, CancellationToken.None));
        }
    }

    private void FailExchange(CoapIncomingExchange exchange, Exception error)
    {
        if (error is OperationCanceledException && _stopping.IsCancellationRequested)
        {
            return;
        }

        _logger.LogWarning(error, "CoAP handler failed for {Request} from {Remote}", exchange.Request, exchange.Remote);
        if (!exchange.HasResponded)
        {
            Forget(RespondAsync(exchange, new CoapMessage { Code = CoapCode.InternalServerError }, CancellationToken.None));
        }
    }

    /// <summary>Sends the empty ACK for a CON request whose response will come separately.</summary>
    internal void AcknowledgeSeparately(CoapIncomingExchange exchange)
    {
        byte[] ack = EncodeEmpty(CoapMessageType.Acknowledgement, exchange.Request.MessageId);
        _deduplicator.SetReply(exchange.Remote, exchange.Request.MessageId, ack);
        SendDatagram(ack, exchange.Remote);
    }

    /// <summary>Sends the response for an exchange: piggybacked, separate (CON) or NON (§5.2).</summary>
    internal ValueTask RespondAsync(CoapIncomingExchange exchange, CoapMessage response, CancellationToken cancellationToken) =>
        RespondAsync(exchange, response, shared: false, cancellationToken);

    /// <summary>
    /// Sends the response for an exchange. A <paramref name="shared"/> response (one a handler may
    /// hand out again) is never modified: the header fields are written from the request's on encoding.
    /// Otherwise it gets the token, type and message ID that were sent, as callers may look at them.
    /// </summary>
    internal async ValueTask RespondAsync(CoapIncomingExchange exchange, CoapMessage response, bool shared, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (!response.Code.IsResponse)
        {
            throw new ArgumentException("Not a response code.", nameof(response));
        }

        bool acknowledged = exchange.MarkResponded();
        CoapMessage request = exchange.Request;
        bool confirmable = request.Type == CoapMessageType.Confirmable;
        if (!shared)
        {
            response.Token = request.Token;
        }

        if (IsSuppressedByNoResponse(request, response.Code))
        {
            if (confirmable && !acknowledged)
            {
                AcknowledgeSeparately(exchange);
            }

            return;
        }

        if (confirmable && !acknowledged)
        {
            if (!shared)
            {
                response.Type = CoapMessageType.Acknowledgement;
                response.MessageId = request.MessageId;
            }

            byte[] piggybacked = CoapMessageCodec.Encode(response, CoapMessageType.Acknowledgement, request.MessageId, request.Token);
            _deduplicator.SetReply(exchange.Remote, request.MessageId, piggybacked);
            SendDatagram(piggybacked, exchange.Remote);
            return;
        }

        if (confirmable)
        {
            // Separate response: reliable on its own (§5.2.2); the retransmission state keeps the message.
            CoapMessage separate = shared ? response.Clone() : response;
            separate.Token = request.Token;
            separate.Type = CoapMessageType.Confirmable;
            _ = await TransmitAsync(separate, exchange.Remote, null, cancellationToken).ConfigureAwait(false);
            return;
        }

        ushort messageId = NextMessageId();
        if (!shared)
        {
            response.Type = CoapMessageType.NonConfirmable;
            response.MessageId = messageId;
        }

        byte[] bytes = CoapMessageCodec.Encode(response, CoapMessageType.NonConfirmable, messageId, request.Token);
        _deduplicator.SetReply(exchange.Remote, request.MessageId, bytes);
        SendDatagram(bytes, exchange.Remote);
    }

    /// <summary>
    /// Sends a notification (or any message outside an exchange) with a fresh message ID. A CON is
    /// retransmitted; <paramref name="completed"/> reports ACK, RST or timeout. For a NON,
    /// <paramref name="completed"/> runs only if the peer answers with RST.
    /// </summary>
    internal async ValueTask SendNotificationAsync(CoapMessage notification, EndPoint remote, Action<bool> completed, CancellationToken cancellationToken)
    {
        _ = await TransmitAsync(
            notification,
            remote,
            null,
            cancellationToken,
            outcome => completed(outcome == TransmissionOutcome.Acknowledged)).ConfigureAwait(false);
    }

    /// <summary>Lets a ValueTask finish in the background, logging a failure.</summary>
    private void Forget(ValueTask operation)
    {
        if (!operation.IsCompletedSuccessfully)
        {
            _ = ForgetAsync(operation);
        }
    }

    private async Task ForgetAsync(ValueTask operation)
    {
        try
        {
            await operation.ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Background completion: failures are logged, not rethrown.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _logger.LogDebug(ex, "CoAP background send failed");
        }
    }

    /// <summary>RFC 7967: the No-Response option suppresses responses of the classes it names.</summary>
    private static bool IsSuppressedByNoResponse(CoapMessage request, CoapCode code)
    {
        if (request.Options.GetUInt(CoapOptionNumber.NoResponse) is not uint flags)
        {
            return false;
        }

        uint classBit = code.Class switch { 2 => 0x02u, 4 => 0x08u, 5 => 0x10u, _ => 0u };
        return (flags & classBit) != 0;
    }
}

/// <summary>
/// One received request and the means to answer it. The endpoint piggybacks the response on
/// the ACK when it comes quickly, otherwise sends an empty ACK first and the response as a separate CON.
/// </summary>
public sealed class CoapIncomingExchange
{
    // Flags changed with compare-and-swap: one exchange per request, so no lock object is made.
    private const int Acknowledged = 1;
    private const int Responded = 2;
    private int _state;
    private ITimer? _separateTimer;

    internal CoapIncomingExchange(CoapEndpoint endpoint, CoapMessage request, EndPoint remote)
    {
        Endpoint = endpoint;
        Request = request;
        Remote = remote;
    }

    /// <summary>The endpoint that received the request.</summary>
    public CoapEndpoint Endpoint { get; }

    /// <summary>The request message.</summary>
    public CoapMessage Request { get; }

    /// <summary>The client's address.</summary>
    public EndPoint Remote { get; }

    /// <summary>True once a response was sent.</summary>
    public bool HasResponded => (Volatile.Read(ref _state) & Responded) != 0;

    /// <summary>Sends the response (token and message ID are filled in). Only one response per exchange.</summary>
    /// <exception cref="InvalidOperationException">A response was already sent.</exception>
    public ValueTask RespondAsync(CoapMessage response, CancellationToken cancellationToken = default) =>
        Endpoint.RespondAsync(this, response, cancellationToken);

    /// <summary>Acknowledges a CON request now with an empty ACK; the response will be separate.</summary>
    public void Accept()
    {
        if (Request.Type != CoapMessageType.Confirmable)
        {
            return;
        }

        int state = Volatile.Read(ref _state);
        do
        {
            if (state != 0)
            {
                return;
            }
        }
        while ((state = Interlocked.CompareExchange(ref _state, Acknowledged, 0)) != 0);

        Interlocked.Exchange(ref _separateTimer, null)?.Dispose();
        Endpoint.AcknowledgeSeparately(this);
    }

    internal void StartSeparateResponseTimer(TimeProvider time, TimeSpan delay)
    {
        if (Volatile.Read(ref _state) != 0)
        {
            return;
        }

        Volatile.Write(ref _separateTimer, time.CreateTimer(static state => ((CoapIncomingExchange)state!).Accept(), this, delay, Timeout.InfiniteTimeSpan));
        if (Volatile.Read(ref _state) != 0)
        {
            // Answered meanwhile: the timer is not needed (had it fired, Accept would have found the exchange answered).
            Interlocked.Exchange(ref _separateTimer, null)?.Dispose();
        }
    }

    /// <summary>Marks the exchange answered; returns whether an empty ACK was already sent.</summary>
    internal bool MarkResponded()
    {
        int state = Volatile.Read(ref _state);
        int seen;
        do
        {
            if ((state & Responded) != 0)
            {
                throw new InvalidOperationException("This request has already been answered.");
            }

            seen = state;
        }
        while ((state = Interlocked.CompareExchange(ref _state, seen | Responded, seen)) != seen);

        Interlocked.Exchange(ref _separateTimer, null)?.Dispose();
        return (seen & Acknowledged) != 0;
    }
}
