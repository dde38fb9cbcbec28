using System.Net;
using ActiveGate.Coap.Messages;

namespace ActiveGate.Coap.Stack.Reliability;

/// <summary>How the transmission of one outgoing message ended.</summary>
internal enum TransmissionOutcome
{
    /// <summary>An ACK arrived (CON), or the message was sent (NON).</summary>
    Acknowledged,

    /// <summary>The peer answered with RST.</summary>
    Reset,

    /// <summary>No ACK after MAX_RETRANSMIT retransmissions.</summary>
    TimedOut,

    /// <summary>The sender gave up (cancellation, disposal).</summary>
    Cancelled,
}

/// <summary>
/// One message the endpoint sent and still tracks by message ID: a CON that is retransmitted with
/// exponential back-off until ACK/RST/timeout (RFC 7252 §4.2), or a NON kept only so that a RST
/// for it can be attributed (e.g. an observer rejecting a notification, RFC 7641 §3.6).
/// </summary>
internal sealed class OutgoingMessage
{
    private readonly TaskCompletionSource<TransmissionOutcome> _outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _completed;

    public OutgoingMessage(byte[] bytes, EndPoint remote, ushort messageId, bool confirmable)
    {
        Bytes = bytes;
        Remote = remote;
        MessageId = messageId;
        Confirmable = confirmable;
    }

    public byte[] Bytes { get; }

    public EndPoint Remote { get; }

    public ushort MessageId { get; }

    public bool Confirmable { get; }

    public int Retransmissions { get; set; }

    public TimeSpan CurrentTimeout { get; set; }

    public ITimer? Timer { get; set; }

    /// <summary>Expiry for NON tracking (timestamp ticks).</summary>
    public long ExpiresAt { get; set; }

    /// <summary>Runs once, synchronously, when the transmission ends (before <see cref="Outcome"/> completes).</summary>
    public Action<OutgoingMessage, TransmissionOutcome, CoapMessage?>? Completed { get; set; }

    public Task<TransmissionOutcome> Outcome => _outcome.Task;

    public bool IsCompleted => Volatile.Read(ref _completed) != 0;

    /// <summary>Ends the transmission exactly once; <paramref name="ack"/> is the ACK when there is one.</summary>
    public bool TryComplete(TransmissionOutcome outcome, CoapMessage? ack = null)
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0)
        {
            return false;
        }

        Timer?.Dispose();
        Completed?.Invoke(this, outcome, ack);
        _outcome.TrySetResult(outcome);
        return true;
    }
}
