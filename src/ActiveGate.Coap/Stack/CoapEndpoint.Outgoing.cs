using System.Net;
using ActiveGate.Coap.Matching;
using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Serialization;
using ActiveGate.Coap.Stack.Reliability;

namespace ActiveGate.Coap.Stack;

public sealed partial class CoapEndpoint
{
    /// <summary>
    /// Sends one request and returns the matching response (piggybacked in the ACK or separate).
    /// This is a single exchange: no block-wise transfer and no observe handling — use
    /// <see cref="Client.CoapClient"/> for those. A CON is retransmitted with exponential back-off
    /// and counts against NSTART for the peer.
    /// </summary>
    /// <param name="request">The request. Its message ID is assigned here; an empty token is replaced by a fresh random one.</param>
    /// <param name="remote">The peer.</param>
    /// <param name="cancellationToken">Cancels waiting (and stops retransmitting).</param>
    /// <exception cref="CoapTimeoutException">A CON was never acknowledged.</exception>
    /// <exception cref="CoapResetException">The peer answered with RST.</exception>
    public async Task<CoapMessage> SendRequestAsync(CoapMessage request, EndPoint remote, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(remote);
        if (!request.Code.IsRequest)
        {
            throw new ArgumentException("Not a request code.", nameof(request));
        }

        Start();
        var pending = new PendingRequest();
        request.Token = RegisterResponseSink(remote, pending, request.Token);
        OutgoingMessage? outgoing = null;
        try
        {
            using CancellationTokenRegistration registration = cancellationToken.UnsafeRegister(
                static (state, token) => ((PendingRequest)state!).Cancel(token), pending);
            outgoing = await TransmitAsync(request, remote, pending, cancellationToken).ConfigureAwait(false);
            return await pending.Task.ConfigureAwait(false);
        }
        finally
        {
            UnregisterResponseSink(remote, request.Token, pending);
            if (outgoing is not null && !outgoing.IsCompleted)
            {
                _matcher.Untrack(outgoing);
                outgoing.TryComplete(TransmissionOutcome.Cancelled);
            }
        }
    }

    /// <summary>
    /// Registers <paramref name="sink"/> for responses from <paramref name="remote"/> with
    /// <paramref name="token"/>, or with a new random token when it is empty. Returns the token used.
    /// </summary>
    internal CoapToken RegisterResponseSink(EndPoint remote, IResponseSink sink, CoapToken token = default)
    {
        if (token.Length > 0)
        {
            if (!_matcher.TryAddSink(remote, token, sink))
            {
                throw new InvalidOperationException($"Token {token} is already in use for {remote}, or too many exchanges are pending.");
            }

            return token;
        }

        for (int attempt = 0; attempt < 16; attempt++)
        {
            CoapToken candidate = CoapToken.NewRandom(_options.TokenLength);
            if (_matcher.TryAddSink(remote, candidate, sink))
            {
                return candidate;
            }
        }

        throw new CoapException("Too many exchanges are pending.");
    }

    internal void UnregisterResponseSink(EndPoint remote, CoapToken token, IResponseSink sink) =>
        _matcher.RemoveSink(remote, token, sink);

    /// <summary>
    /// Assigns a message ID and sends <paramref name="message"/>. A CON waits for an NSTART slot,
    /// is tracked and retransmitted; when it fails (RST, timeout) <paramref name="failureSink"/> is failed.
    /// A NON is tracked only so that a RST for it can be attributed.
    /// </summary>
    internal async ValueTask<OutgoingMessage> TransmitAsync(CoapMessage message, EndPoint remote, IResponseSink? failureSink, CancellationToken cancellationToken, Action<TransmissionOutcome>? completed = null)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        bool confirmable = message.Type == CoapMessageType.Confirmable;
        if (confirmable)
        {
            await AcquireNStartAsync(remote, cancellationToken).ConfigureAwait(false);
        }

        message.MessageId = NextMessageId();
        byte[] bytes = CoapMessageCodec.Encode(message);
        var outgoing = new OutgoingMessage(bytes, remote, message.MessageId, confirmable)
        {
            Completed = (sent, outcome, _) =>
            {
                if (sent.Confirmable)
                {
                    ReleaseNStart(sent.Remote);
                }

                _matcher.Untrack(sent);
                completed?.Invoke(outcome);
                switch (outcome)
                {
                    case TransmissionOutcome.Reset:
                        failureSink?.Fail(new CoapResetException());
                        break;
                    case TransmissionOutcome.TimedOut:
                        failureSink?.Fail(new CoapTimeoutException($"No ACK from {sent.Remote} after {TransmissionParameters.MaxRetransmit} retransmissions."));
                        break;
                }
            },
        };

        long now = _time.GetTimestamp();
        if (confirmable)
        {
            if (!_matcher.TryTrack(outgoing, now))
            {
                outgoing.TryComplete(TransmissionOutcome.Cancelled);
                throw new CoapException("Too many outgoing messages are pending (or the message ID is still in use).");
            }

            outgoing.CurrentTimeout = TransmissionParameters.NextInitialTimeout();
            outgoing.Timer = _time.CreateTimer(
                static state => ((RetransmissionState)state!).Endpoint.OnRetransmissionTimer(((RetransmissionState)state!).Message),
                new RetransmissionState(this, outgoing),
                outgoing.CurrentTimeout,
                Timeout.InfiniteTimeSpan);
        }
        else
        {
            outgoing.ExpiresAt = now + (long)(TransmissionParameters.NonLifetime.TotalSeconds * _time.TimestampFrequency);
            _ = _matcher.TryTrack(outgoing, now);
        }

        SendDatagram(bytes, remote);
        return outgoing;
    }

    private void OnRetransmissionTimer(OutgoingMessage outgoing)
    {
        lock (outgoing)
        {
            if (outgoing.IsCompleted)
            {
                return;
            }

            if (outgoing.Retransmissions >= TransmissionParameters.MaxRetransmit)
            {
                Interlocked.Increment(ref Counters._transmissionTimeouts);
                outgoing.TryComplete(TransmissionOutcome.TimedOut);
                return;
            }

            // §4.2: double the timeout for each retransmission.
            outgoing.Retransmissions++;
            outgoing.CurrentTimeout *= 2;
            outgoing.Timer?.Change(outgoing.CurrentTimeout, Timeout.InfiniteTimeSpan);
        }

        Interlocked.Increment(ref Counters._retransmissions);
        SendDatagram(outgoing.Bytes, outgoing.Remote);
    }

    private ValueTask AcquireNStartAsync(EndPoint remote, CancellationToken cancellationToken)
    {
        TaskCompletionSource waiter;
        lock (_peers)
        {
            if (!_peers.TryGetValue(remote, out PeerCongestionState? state))
            {
                state = new PeerCongestionState();
                _peers[remote] = state;
            }

            if (state.Outstanding < TransmissionParameters.NStart)
            {
                state.Outstanding++;
                return default;
            }

            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            state.Waiters.Enqueue(waiter);
        }

        return WaitForSlotAsync(waiter, cancellationToken);
    }

    private static async ValueTask WaitForSlotAsync(TaskCompletionSource waiter, CancellationToken cancellationToken)
    {
        // A cancelled waiter never owns a slot: ReleaseNStart hands slots only to waiters it can complete.
        using CancellationTokenRegistration registration = cancellationToken.UnsafeRegister(
            static (state, token) => ((TaskCompletionSource)state!).TrySetCanceled(token), waiter);
        await waiter.Task.ConfigureAwait(false);
    }

    private void ReleaseNStart(EndPoint remote)
    {
        lock (_peers)
        {
            if (!_peers.TryGetValue(remote, out PeerCongestionState? state))
            {
                return;
            }

            while (state.Waiters.TryDequeue(out TaskCompletionSource? waiter))
            {
                if (waiter.TrySetResult())
                {
                    return;
                }
            }

            if (--state.Outstanding <= 0)
            {
                _peers.Remove(remote);
            }
        }
    }

    private sealed record RetransmissionState(CoapEndpoint Endpoint, OutgoingMessage Message);

    private sealed class PendingRequest : IResponseSink
    {
        private readonly TaskCompletionSource<CoapMessage> _response = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<CoapMessage> Task => _response.Task;

        public bool Deliver(CoapMessage response, EndPoint remote)
        {
            _response.TrySetResult(response);
            return false;
        }

        public void Fail(Exception error) => _response.TrySetException(error);

        public void Cancel(CancellationToken token) => _response.TrySetCanceled(token);
    }
}
